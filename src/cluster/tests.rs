//! Reconciler tests: the Cluster reconcile against the in-memory ECS fake,
//! with the object's status carried between rounds as the controller writes it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::*;
use crate::api::ClusterSpec;
use crate::api::cluster::{
    CapacityProviderStrategyItem, ClusterSetting, ClusterSettingName, ContainerInsights,
};
use crate::aws::ClusterState;
use crate::aws::Tags;
use crate::aws::fake::FakeEcs;
use crate::aws::retry::Retrying;
use crate::conditions::REASON_INVALID_SPEC;
use crate::controller::TestIndex;
use crate::controller::status::next_status;
use crate::ownership::UID;
use crate::tenancy::tests::adoption_allowed_in;
use std::time::Duration;

pub(super) fn cluster(name: &str) -> Cluster {
    let mut c = Cluster::new(name, ClusterSpec::default());
    c.metadata.namespace = Some("team-a".into());
    c.metadata.uid = Some(format!("uid-{name}"));
    c.metadata.generation = Some(1);
    c
}

/// Drives reconciles as the controller does: the status each round writes is the next round's input.
pub(super) struct Rig {
    pub(super) ecs: Retrying<FakeEcs>,
    pub(super) object: Cluster,
    pub(super) index: TestIndex,
}

impl Rig {
    /// The fake behind the same retry layer the operator uses, without its delays.
    pub(super) fn new(object: Cluster) -> Self {
        Self {
            ecs: Retrying::new(FakeEcs::default(), 4, Duration::ZERO),
            object,
            index: TestIndex::default(),
        }
    }

    pub(super) async fn reconcile(&mut self) -> Result<Outcome<ClusterStatus>, AwsError> {
        let outcome = reconcile(&self.object, &self.ecs, &self.index).await?;
        self.record(&outcome);
        Ok(outcome)
    }

    /// Reconciles until no retryable error is left, as the error policy's retries would.
    async fn reconcile_until_settled(&mut self, max_rounds: usize) -> Outcome<ClusterStatus> {
        for _ in 0..max_rounds {
            if let Ok(outcome) = self.reconcile().await {
                return outcome;
            }
        }
        panic!(
            "still failing after {max_rounds} rounds; calls: {:?}",
            self.ecs.inner().calls()
        );
    }

    fn record(&mut self, outcome: &Outcome<ClusterStatus>) {
        let now = Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let status = next_status(
            &self.object,
            outcome.status.clone(),
            &outcome.health,
            "us-east-1",
            &now,
        );
        self.object.status = Some(status);
    }

    fn edit_spec(&mut self, edit: impl FnOnce(&mut ClusterSpec)) {
        edit(&mut self.object.spec);
        *self.object.metadata.generation.as_mut().unwrap() += 1;
    }
}

fn insights(value: ContainerInsights) -> ClusterSetting {
    ClusterSetting {
        name: ClusterSettingName::ContainerInsights,
        value,
    }
}

pub(super) fn is_ready(outcome: &Outcome<ClusterStatus>) -> bool {
    matches!(outcome.health, Health::Ready { .. })
}

pub(super) fn stalled_reason(outcome: &Outcome<ClusterStatus>) -> Option<&'static str> {
    match outcome.health {
        Health::Stalled { reason, .. } => Some(reason),
        _ => None,
    }
}

#[tokio::test]
async fn new_cluster_is_created_tagged_and_ready() {
    let mut rig = Rig::new(cluster("web"));
    let outcome = rig.reconcile().await.unwrap();
    assert!(is_ready(&outcome), "{outcome:?}");
    let created = rig.ecs.inner().cluster("web").unwrap();
    assert_eq!(created.tags.get(UID).map(String::as_str), Some("uid-web"));
    assert_eq!(outcome.status.arn.as_deref(), Some(created.arn.as_str()));
    assert!(outcome.notes.iter().any(|n| n.reason == "Created"));
}

#[tokio::test]
async fn crash_after_create_before_status_write_finds_the_cluster_again() {
    let mut rig = Rig::new(cluster("web"));
    // The create succeeds, then the process dies: no status is ever written.
    let lost = reconcile(&rig.object, &rig.ecs, &rig.index).await.unwrap();
    assert!(is_ready(&lost));
    assert!(rig.object.status.is_none());

    let outcome = rig.reconcile().await.unwrap();
    assert!(is_ready(&outcome), "{outcome:?}");
    assert_eq!(rig.ecs.inner().count("ecs:CreateCluster"), 1);
    assert_eq!(rig.ecs.inner().cluster_count(), 1);
    assert!(
        outcome.notes.is_empty(),
        "a recovered cluster is not news: {:?}",
        outcome.notes
    );
}

#[tokio::test]
async fn foreign_cluster_with_the_same_name_is_a_conflict_and_survives_deletion() {
    let mut rig = Rig::new(cluster("web"));
    let foreign = rig
        .ecs
        .inner()
        .insert_cluster("web", Tags::from([("owner".into(), "someone-else".into())]));

    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(stalled_reason(&outcome), Some("NameConflict"));
    assert_eq!(outcome.status.arn, None);
    let calls_before_delete = rig.ecs.inner().calls();
    assert!(
        calls_before_delete
            .iter()
            .all(|c| *c == "ecs:DescribeClusters"),
        "{calls_before_delete:?}"
    );

    let cleanup = cleanup(&rig.object, &rig.ecs, &[]).await.unwrap();
    assert_eq!(cleanup, Cleanup::Done(Vec::new()));
    assert_eq!(
        rig.ecs.inner().cluster("web"),
        Some(foreign),
        "the foreign cluster must be untouched"
    );
    assert_eq!(rig.ecs.inner().count("ecs:DeleteCluster"), 0);
}

#[tokio::test]
async fn adopt_policy_takes_over_a_foreign_cluster_and_tags_it() {
    let mut object = cluster("web");
    object.spec.adoption_policy = AdoptionPolicy::Adopt;
    let mut rig = Rig::new(object);
    rig.index.tenant_policies = vec![adoption_allowed_in("team-a")];
    rig.ecs
        .inner()
        .insert_cluster("web", Tags::from([("owner".into(), "console".into())]));

    let outcome = rig.reconcile().await.unwrap();
    assert!(is_ready(&outcome), "{outcome:?}");
    let adopted = rig.ecs.inner().cluster("web").unwrap();
    assert_eq!(adopted.tags.get(UID).map(String::as_str), Some("uid-web"));
    assert_eq!(
        adopted.tags.get("owner").map(String::as_str),
        Some("console"),
        "foreign tags stay"
    );
    assert!(outcome.notes.iter().any(|n| n.reason == "Adopted"));
    assert_eq!(rig.ecs.inner().count("ecs:CreateCluster"), 0);
}

#[tokio::test]
async fn deleting_a_cluster_with_services_waits_then_completes() {
    let mut rig = Rig::new(cluster("web"));
    rig.reconcile().await.unwrap();
    rig.ecs
        .inner()
        .edit_cluster("web", |c| c.active_services_count = 2);

    let Cleanup::Waiting(waiting) = cleanup(&rig.object, &rig.ecs, &[]).await.unwrap() else {
        panic!("deletion must wait while services exist")
    };
    let Health::Progressing { reason, message } = &waiting.health else {
        panic!("{waiting:?}")
    };
    assert_eq!(*reason, "ClusterHasServices");
    assert!(message.contains("delete its services"), "{message}");
    assert_eq!(
        rig.ecs.inner().cluster("web").unwrap().status,
        ClusterState::Active
    );

    rig.ecs
        .inner()
        .edit_cluster("web", |c| c.active_services_count = 0);
    let Cleanup::Done(notes) = cleanup(&rig.object, &rig.ecs, &[]).await.unwrap() else {
        panic!("deletion must finish")
    };
    assert!(notes.iter().any(|n| n.reason == "Deleted"));
    assert_eq!(
        rig.ecs.inner().cluster("web").unwrap().status,
        ClusterState::Inactive
    );
}

#[tokio::test]
async fn retain_policy_leaves_the_cluster_in_aws() {
    let mut object = cluster("web");
    object.spec.deletion_policy = DeletionPolicy::Retain;
    let mut rig = Rig::new(object);
    rig.reconcile().await.unwrap();
    assert!(matches!(
        cleanup(&rig.object, &rig.ecs, &[]).await.unwrap(),
        Cleanup::Done(_)
    ));
    assert_eq!(
        rig.ecs.inner().cluster("web").unwrap().status,
        ClusterState::Active
    );
    assert_eq!(rig.ecs.inner().count("ecs:DeleteCluster"), 0);
}

#[tokio::test]
async fn cluster_converges_when_every_other_call_is_throttled() {
    let mut object = cluster("web");
    object.spec.settings = Some(vec![insights(ContainerInsights::Enabled)]);
    object.spec.tags.insert("team".into(), "payments".into());
    let mut rig = Rig::new(object);
    rig.ecs.inner().throttle_every(2);

    let outcome = rig.reconcile_until_settled(10).await;
    assert!(is_ready(&outcome), "{outcome:?}");
    rig.edit_spec(|s| {
        s.settings = Some(vec![insights(ContainerInsights::Enhanced)]);
        s.tags.insert("tier".into(), "gold".into());
    });
    let outcome = rig.reconcile_until_settled(10).await;
    assert!(is_ready(&outcome), "{outcome:?}");
    let c = rig.ecs.inner().cluster("web").unwrap();
    assert_eq!(c.settings[0].value, ContainerInsights::Enhanced);
    assert_eq!(c.tags.get("tier").map(String::as_str), Some("gold"));
    assert_eq!(rig.ecs.inner().cluster_count(), 1);
    assert_eq!(
        rig.object.status.as_ref().unwrap().arn.as_deref(),
        Some(c.arn.as_str())
    );
}

#[tokio::test]
async fn invalid_input_stalls_and_is_not_retried_until_the_spec_changes() {
    let mut object = cluster("web");
    object.spec.capacity_providers = Some(vec!["NOT_A_PROVIDER".into()]);
    let mut rig = Rig::new(object);

    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(stalled_reason(&outcome), Some(REASON_INVALID_SPEC));
    assert_eq!(outcome.next, Next::AwaitChange);
    let Health::Stalled { message, .. } = &outcome.health else {
        panic!("expected Stalled, got {:?}", outcome.health)
    };
    assert!(
        message.contains("NOT_A_PROVIDER"),
        "the message carries AWS's words: {message}"
    );
    let calls = rig.ecs.inner().calls().len();

    for _ in 0..5 {
        let again = rig.reconcile().await.unwrap();
        assert_eq!(stalled_reason(&again), Some(REASON_INVALID_SPEC));
    }
    assert_eq!(
        rig.ecs.inner().calls().len(),
        calls,
        "no AWS call may repeat while the spec is unchanged"
    );

    rig.edit_spec(|s| s.capacity_providers = Some(vec!["FARGATE".into()]));
    let fixed = rig.reconcile().await.unwrap();
    assert!(is_ready(&fixed), "{fixed:?}");
}

#[tokio::test]
async fn access_denied_stalls_naming_the_iam_action() {
    let mut rig = Rig::new(cluster("web"));
    rig.ecs.inner().fail_call(
        2,
        AwsError::new(
            ErrorKind::AccessDenied,
            "ecs:CreateCluster",
            "AccessDeniedException",
            "not allowed",
        ),
    );
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(stalled_reason(&outcome), Some("AccessDenied"));
    let Health::Stalled { message, .. } = &outcome.health else {
        panic!("expected Stalled, got {:?}", outcome.health)
    };
    assert!(message.contains("ecs:CreateCluster"), "{message}");
    assert_eq!(
        outcome.next,
        Next::Resync,
        "permissions are fixed outside the spec, so look again later"
    );
}

#[tokio::test]
async fn drift_made_in_the_console_is_corrected_and_reported() {
    let mut object = cluster("web");
    object.spec.settings = Some(vec![insights(ContainerInsights::Enabled)]);
    object.spec.capacity_providers = Some(vec!["FARGATE".into()]);
    object.spec.default_capacity_provider_strategy = Some(vec![CapacityProviderStrategyItem {
        capacity_provider: "FARGATE".into(),
        weight: Some(1),
        base: None,
    }]);
    let mut rig = Rig::new(object);
    rig.reconcile().await.unwrap();

    rig.ecs.inner().edit_cluster("web", |c| {
        c.settings[0].value = ContainerInsights::Disabled;
        c.capacity_providers = vec![];
        c.default_capacity_provider_strategy = vec![];
    });
    let outcome = rig.reconcile().await.unwrap();
    assert!(is_ready(&outcome));
    assert_eq!(
        outcome.notes.iter().map(|n| n.reason).collect::<Vec<_>>(),
        ["DriftCorrected"]
    );
    let c = rig.ecs.inner().cluster("web").unwrap();
    assert_eq!(c.settings[0].value, ContainerInsights::Enabled);
    assert_eq!(c.capacity_providers, ["FARGATE"]);
}

#[tokio::test]
async fn idle_resync_costs_one_describe_and_changes_nothing() {
    let mut object = cluster("web");
    object.spec.settings = Some(vec![insights(ContainerInsights::Enabled)]);
    object.spec.tags.insert("team".into(), "payments".into());
    let mut rig = Rig::new(object);
    rig.reconcile().await.unwrap();
    let settled = rig.object.status.clone();
    let calls = rig.ecs.inner().calls().len();

    for _ in 0..20 {
        let outcome = rig.reconcile().await.unwrap();
        assert!(outcome.notes.is_empty());
    }
    let idle_calls = &rig.ecs.inner().calls()[calls..];
    assert_eq!(
        idle_calls.len(),
        20,
        "one call per idle resync: {idle_calls:?}"
    );
    assert!(idle_calls.iter().all(|c| *c == "ecs:DescribeClusters"));
    assert_eq!(
        rig.object.status, settled,
        "an idle resync must not change status"
    );
}

#[tokio::test]
async fn cluster_deleted_outside_kubernetes_is_recreated() {
    let mut rig = Rig::new(cluster("web"));
    rig.reconcile().await.unwrap();
    rig.ecs
        .inner()
        .edit_cluster("web", |c| c.status = "INACTIVE".into());
    let outcome = rig.reconcile().await.unwrap();
    assert!(is_ready(&outcome));
    assert_eq!(rig.ecs.inner().count("ecs:CreateCluster"), 2);
    assert_eq!(
        rig.ecs.inner().cluster("web").unwrap().status,
        ClusterState::Active
    );
}

#[tokio::test]
async fn deleting_a_cluster_waits_while_service_objects_reference_it() {
    let mut rig = Rig::new(cluster("web"));
    rig.reconcile().await.unwrap();
    let dependents = ["Service shop/api".to_string()];
    let Cleanup::Waiting(waiting) = cleanup(&rig.object, &rig.ecs, &dependents).await.unwrap()
    else {
        panic!("deletion must wait for the Service objects")
    };
    let Health::Progressing { reason, message } = &waiting.health else {
        panic!("{waiting:?}")
    };
    assert_eq!(*reason, "HasDependents");
    assert!(message.contains("Service shop/api"), "{message}");
    assert_eq!(rig.ecs.inner().count("ecs:DeleteCluster"), 0);
}
