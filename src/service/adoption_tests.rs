//! A tenant cannot take over another team's ECS service by naming it with
//! adoptionPolicy: Adopt, nor point it at its own task definition, nor reach subnets,
//! clusters or task definitions its TenantPolicy does not allow.

use std::sync::Arc;

use super::tests::{Rig, TD1, reason};
use super::*;
use crate::aws::ServiceState;
use crate::ownership::UID;
use crate::reconcile::Cleanup;
use crate::tenancy::tests::adoption_allowed_in;

/// A Service in namespace `namespace` for the ECS service `web` of cluster `main`,
/// adopting, running `task_definition`.
fn intruder(namespace: &str, task_definition: &str) -> Service {
    let mut service = Service::new(
        "web",
        serde_json::from_value(serde_json::json!({
            "cluster": "main",
            "taskDefinition": task_definition,
            "desiredCount": 5,
            "adoptionPolicy": "Adopt",
        }))
        .unwrap(),
    );
    service.metadata.namespace = Some(namespace.into());
    service.metadata.uid = Some(format!("uid-{namespace}"));
    service.metadata.generation = Some(1);
    service
}

#[tokio::test]
async fn a_service_of_another_namespace_is_never_adopted_nor_changed() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    let owner = rig.object.clone();
    let theirs = "arn:aws:ecs:us-east-1:123456789012:task-definition/team-b-app:1";
    rig.object = intruder("team-b", theirs);
    rig.objects.tenant_policies = vec![adoption_allowed_in("*")];
    rig.objects.services = vec![Arc::new(owner.clone())];
    let updates = rig.fake().count("ecs:UpdateService");

    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "OwnedElsewhere", "{outcome:?}");
    let service = rig.ecs_service();
    assert_eq!(
        rig.fake().count("ecs:UpdateService"),
        updates,
        "not pointed at {theirs}"
    );
    assert_eq!(service.task_definition, TD1);
    assert_eq!(service.tags.get(UID), owner.metadata.uid.as_ref());

    assert!(matches!(rig.cleanup().await, Cleanup::Done(_)));
    assert_eq!(
        rig.ecs_service().status,
        ServiceState::Active,
        "not deleted either"
    );
}

#[tokio::test]
async fn adopting_an_untagged_service_needs_the_admins_leave() {
    let mut rig = Rig::new();
    rig.fake().insert_service(&crate::aws::CreateService {
        cluster: "main".into(),
        name: "web".into(),
        task_definition: Some(TD1.into()),
        client_token: "console".into(),
        ..Default::default()
    });
    rig.object.spec.adoption_policy = AdoptionPolicy::Adopt;
    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "AdoptionNotAllowed", "{outcome:?}");
    assert!(!rig.ecs_service().tags.contains_key(UID));
}

#[tokio::test]
async fn references_outside_the_tenant_policy_are_never_sent_to_ecs() {
    let mut rig = Rig::new();
    rig.objects.tenant_policies = vec![crate::tenancy::tests::policy(
        "shop",
        serde_json::json!({
            "namespaces": ["*"],
            "references": {"subnets": ["subnet-shop-*"], "clusters": []},
            "names": {"families": ["web"]},
        }),
    )];
    let network = |subnet: &str| {
        serde_json::from_value(serde_json::json!({
            "awsvpcConfiguration": {"subnets": ["subnet-shop-a", subnet]}
        }))
        .unwrap()
    };
    rig.object.spec.settings.network_configuration = Some(network("subnet-payments-a"));
    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "ForbiddenByTenantPolicy", "{outcome:?}");
    assert_eq!(rig.fake().count("ecs:CreateService"), 0);

    rig.object.spec.settings.network_configuration = Some(network("subnet-shop-b"));
    rig.object.spec.cluster_ref = None;
    rig.object.spec.cluster = Some("arn:aws:ecs:us-east-1:123456789012:cluster/payments".into());
    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "ForbiddenByTenantPolicy", "{outcome:?}");

    rig.object.spec.cluster_ref =
        Some(serde_json::from_value(serde_json::json!({"name": "main"})).unwrap());
    rig.object.spec.task_definition_ref = None;
    rig.object.spec.task_definition = Some("payments-app:7".into());
    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "ForbiddenByTenantPolicy", "{outcome:?}");
    assert_eq!(rig.fake().count("ecs:CreateService"), 0);
}
