//! Adoption and names are the admin's decision, and adoption never crosses namespaces: a
//! tenant cannot take over another team's ECS cluster by naming it and setting
//! adoptionPolicy: Adopt, nor name clusters its TenantPolicy does not allow.

use std::sync::Arc;

use super::tests::{Rig, cluster, is_ready, stalled_reason};
use super::*;
use crate::aws::Tags;
use crate::ownership::UID;
use crate::tenancy::tests::adoption_allowed_in;

/// team-a's Cluster `shop`, Ready, and team-b's Cluster of the same clusterName with
/// adoptionPolicy: Adopt, in a namespace the admin lets adopt.
async fn team_b_tries_to_adopt_team_a_s_cluster() -> (Rig, Cluster) {
    let mut team_a = Rig::new(cluster("shop"));
    assert!(is_ready(&team_a.reconcile().await.unwrap()));
    let mut intruder = cluster("shop");
    intruder.metadata.namespace = Some("team-b".into());
    intruder.metadata.uid = Some("uid-team-b".into());
    intruder.spec.adoption_policy = AdoptionPolicy::Adopt;
    let owner = team_a.object.clone();
    team_a.object = intruder;
    team_a.index.tenant_policies = vec![adoption_allowed_in("*")];
    team_a.index.clusters = vec![Arc::new(owner.clone())];
    (team_a, owner)
}

#[tokio::test]
async fn a_cluster_of_another_namespace_is_never_adopted_nor_deleted() {
    let (mut rig, owner) = team_b_tries_to_adopt_team_a_s_cluster().await;
    let calls_before = rig.ecs.inner().calls().len();
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(
        stalled_reason(&outcome),
        Some("OwnedElsewhere"),
        "{outcome:?}"
    );
    let Health::Stalled { message, .. } = &outcome.health else {
        panic!("stalled")
    };
    assert!(
        message.contains("team-a/shop in another namespace"),
        "{message}"
    );
    assert_eq!(outcome.status.arn, None, "status claims nothing");
    let calls: Vec<_> = rig.ecs.inner().calls()[calls_before..].to_vec();
    assert!(
        calls.iter().all(|c| *c == "ecs:DescribeClusters"),
        "{calls:?}"
    );

    let cleanup = cleanup(&rig.object, &rig.ecs, &[]).await.unwrap();
    assert_eq!(cleanup, Cleanup::Done(Vec::new()));
    let survivor = rig.ecs.inner().cluster("shop").expect("still in ECS");
    assert_eq!(survivor.status, ClusterState::Active);
    assert_eq!(
        survivor.tags.get(UID),
        owner.metadata.uid.as_ref(),
        "still team-a's"
    );
}

#[tokio::test]
async fn a_cluster_of_a_live_object_in_the_same_namespace_is_not_adopted() {
    let mut rig = Rig::new(cluster("shop"));
    rig.reconcile().await.unwrap();
    let owner = rig.object.clone();
    let mut second = cluster("shop-too");
    second.spec.cluster_name = Some("shop".into());
    second.spec.adoption_policy = AdoptionPolicy::Adopt;
    rig.object = second;
    rig.index.tenant_policies = vec![adoption_allowed_in("*")];
    rig.index.clusters = vec![Arc::new(owner)];
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(
        stalled_reason(&outcome),
        Some("OwnedElsewhere"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_retained_cluster_of_a_deleted_object_is_adopted_with_the_admins_leave() {
    let mut rig = Rig::new(cluster("shop"));
    rig.reconcile().await.unwrap();
    // The object was deleted with deletionPolicy: Retain; a new one (new uid) takes it back.
    let mut again = cluster("shop");
    again.metadata.uid = Some("uid-shop-again".into());
    again.spec.adoption_policy = AdoptionPolicy::Adopt;
    rig.object = again;

    let refused = rig.reconcile().await.unwrap();
    assert_eq!(
        stalled_reason(&refused),
        Some("AdoptionNotAllowed"),
        "{refused:?}"
    );
    assert_eq!(rig.ecs.inner().count("ecs:TagResource"), 0);

    rig.index.tenant_policies = vec![adoption_allowed_in("team-a")];
    let adopted = rig.reconcile().await.unwrap();
    assert!(is_ready(&adopted), "{adopted:?}");
    let tags = rig.ecs.inner().cluster("shop").unwrap().tags;
    assert_eq!(tags.get(UID).map(String::as_str), Some("uid-shop-again"));
}

#[tokio::test]
async fn an_untagged_cluster_needs_the_admins_leave_for_the_namespace() {
    let mut object = cluster("legacy");
    object.spec.adoption_policy = AdoptionPolicy::Adopt;
    let mut rig = Rig::new(object);
    rig.ecs.inner().insert_cluster("legacy", Tags::new());
    rig.index.tenant_policies = vec![adoption_allowed_in("team-b")];
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(stalled_reason(&outcome), Some("AdoptionNotAllowed"));
    let Health::Stalled { message, .. } = &outcome.health else {
        panic!("stalled")
    };
    assert!(
        message.contains("no TenantPolicy allows adoption in namespace team-a"),
        "{message}"
    );
}

#[tokio::test]
async fn a_cluster_name_outside_the_tenant_policy_is_never_created() {
    let mut rig = Rig::new(cluster("payments"));
    rig.index.tenant_policies = vec![crate::tenancy::tests::policy(
        "team-a",
        serde_json::json!({"namespaces": ["team-a"], "names": {"clusters": ["team-a-*"]}}),
    )];
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(stalled_reason(&outcome), Some("ForbiddenByTenantPolicy"));
    let Health::Stalled { message, .. } = &outcome.health else {
        panic!("stalled")
    };
    assert!(message.contains("metadata.name payments is not allowed in namespace team-a by TenantPolicy team-a (names.clusters: team-a-*)"), "{message}");
    assert!(rig.ecs.inner().calls().is_empty(), "no AWS call");

    rig.object = cluster("team-a-payments");
    assert!(is_ready(&rig.reconcile().await.unwrap()));
}
