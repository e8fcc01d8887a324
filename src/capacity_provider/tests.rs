//! Reconciler tests: the CapacityProvider reconcile against the in-memory ECS fake,
//! with the object's status carried between rounds as the controller writes it.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::*;
use crate::api::capacity_provider::{
    AutoScalingGroupProvider, InstanceLaunchTemplate, ManagedInstancesProvider, ManagedScaling,
};
use crate::api::common::condition::READY;
use crate::api::service::LocalReference;
use crate::api::{CapacityProviderSpec, Cluster, ClusterStatus};
use crate::aws::fake::FakeEcs;
use crate::aws::retry::Retrying;
use crate::aws::{CapacityProviderConfig, Tags};
use crate::controller::TestIndex;
use crate::controller::status::next_status;

const GROUP_ARN: &str =
    "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/gpu";

fn auto_scaling(name: &str) -> CapacityProvider {
    let mut p = CapacityProvider::new(
        name,
        CapacityProviderSpec {
            auto_scaling_group_provider: Some(AutoScalingGroupProvider {
                auto_scaling_group_arn: GROUP_ARN.into(),
                managed_scaling: Some(ManagedScaling {
                    status: Some("ENABLED".into()),
                    target_capacity: Some(90),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            tags: Tags::from([("team".into(), "ml".into())]),
            ..Default::default()
        },
    );
    p.metadata.namespace = Some("team-a".into());
    p.metadata.uid = Some(format!("uid-{name}"));
    p.metadata.generation = Some(1);
    p
}

fn managed_instances(name: &str, cluster: &str) -> CapacityProvider {
    let mut p = auto_scaling(name);
    p.spec.auto_scaling_group_provider = None;
    p.spec.cluster_ref = Some(LocalReference {
        name: cluster.into(),
    });
    p.spec.managed_instances_provider = Some(ManagedInstancesProvider {
        infrastructure_role_arn: "arn:aws:iam::123456789012:role/ecsInfrastructure".into(),
        instance_launch_template: InstanceLaunchTemplate {
            ec2_instance_profile_arn: "arn:aws:iam::123456789012:instance-profile/ecsInstance"
                .into(),
            ..Default::default()
        },
        ..Default::default()
    });
    p
}

/// The Cluster object `name` of team-a, Ready with the ARN of the fake's cluster.
fn ready_cluster(name: &str) -> Arc<Cluster> {
    let mut cluster = Cluster::new(name, Default::default());
    cluster.metadata.namespace = Some("team-a".into());
    cluster.status = Some(ClusterStatus {
        arn: Some(format!("arn:aws:ecs:us-east-1:123456789012:cluster/{name}")),
        conditions: vec![Condition {
            type_: READY.into(),
            status: "True".into(),
            reason: "Ready".into(),
            message: String::new(),
            observed_generation: None,
            last_transition_time: Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
        }],
        ..Default::default()
    });
    Arc::new(cluster)
}

struct Rig {
    ecs: Retrying<FakeEcs>,
    object: CapacityProvider,
    index: TestIndex,
}

impl Rig {
    fn new(object: CapacityProvider) -> Self {
        Self {
            ecs: Retrying::new(FakeEcs::default(), 4, Duration::ZERO),
            object,
            index: TestIndex::default(),
        }
    }

    async fn reconcile(&mut self) -> Outcome<CapacityProviderStatus> {
        let outcome = reconcile(&self.object, &self.ecs, &self.index)
            .await
            .expect("no retryable error");
        let now = Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        self.object.status = Some(next_status(
            &self.object,
            outcome.status.clone(),
            &outcome.health,
            "us-east-1",
            &now,
        ));
        outcome
    }

    async fn cleanup(&self, dependents: &[String]) -> Cleanup<CapacityProviderStatus> {
        cleanup(&self.object, &self.ecs, dependents)
            .await
            .expect("no retryable error")
    }
}

fn reason(outcome: &Outcome<CapacityProviderStatus>) -> &'static str {
    match &outcome.health {
        Health::Ready { .. } => "Ready",
        Health::Progressing { reason, .. } | Health::Stalled { reason, .. } => reason,
    }
}

fn waiting_reason(cleanup: &Cleanup<CapacityProviderStatus>) -> &'static str {
    match cleanup {
        Cleanup::Waiting(outcome) => reason(outcome),
        Cleanup::Done(_) => "Done",
    }
}

#[tokio::test]
async fn an_auto_scaling_group_provider_is_created_ready_and_quiet_at_idle() {
    let mut rig = Rig::new(auto_scaling("gpu"));
    let created = rig.reconcile().await;
    assert_eq!(reason(&created), "Ready", "{created:?}");
    assert_eq!(created.notes[0].reason, "Created");
    let status = &created.status;
    assert_eq!(status.provider_type.as_deref(), Some("EC2_AUTOSCALING"));
    assert_eq!(status.managed_tag_keys, ["team"]);
    let tags = rig.ecs.inner().capacity_provider("gpu").unwrap().tags;
    assert_eq!(
        tags.get("ecs.operator.dev/uid").map(String::as_str),
        Some("uid-gpu")
    );

    let calls = rig.ecs.inner().calls().len();
    for _ in 0..3 {
        let idle = rig.reconcile().await;
        assert_eq!(reason(&idle), "Ready");
        assert!(idle.notes.is_empty(), "{:?}", idle.notes);
    }
    // One describe per resync, nothing else.
    let fake = rig.ecs.inner();
    assert_eq!(fake.calls().len() - calls, 3);
    assert_eq!(fake.count("ecs:DescribeCapacityProviders"), 4);
}

#[tokio::test]
async fn drift_in_a_managed_setting_is_corrected_and_the_rest_left_alone() {
    let mut rig = Rig::new(auto_scaling("gpu"));
    rig.reconcile().await;
    rig.ecs.inner().edit_capacity_provider("gpu", |p| {
        if let Some(CapacityProviderConfig::AutoScalingGroup(asg)) = p.config.as_mut() {
            asg.managed_scaling.as_mut().unwrap().target_capacity = Some(50);
            asg.managed_draining = Some("DISABLED".into());
        }
    });
    let corrected = rig.reconcile().await;
    assert_eq!(corrected.notes[0].reason, "DriftCorrected", "{corrected:?}");
    let fake = rig.ecs.inner();
    let Some(CapacityProviderConfig::AutoScalingGroup(asg)) =
        fake.capacity_provider("gpu").unwrap().config
    else {
        panic!("an Auto Scaling group provider")
    };
    assert_eq!(asg.managed_scaling.unwrap().target_capacity, Some(90));
    // Not in the spec, so not managed.
    assert_eq!(asg.managed_draining.as_deref(), Some("DISABLED"));
}

#[tokio::test]
async fn a_managed_instances_provider_waits_for_its_cluster_then_provisions_in_it() {
    let mut rig = Rig::new(managed_instances("gpu-mi", "ml"));
    let waiting = rig.reconcile().await;
    assert_eq!(reason(&waiting), "WaitingForCluster");
    assert!(rig.ecs.inner().calls().is_empty());

    rig.ecs.inner().insert_cluster("ml", Tags::new());
    rig.index.clusters = vec![ready_cluster("ml")];
    let provisioning = rig.reconcile().await;
    assert_eq!(reason(&provisioning), "Provisioning", "{provisioning:?}");
    assert_eq!(provisioning.status.cluster.as_deref(), Some("ml"));
    let fake = rig.ecs.inner();
    assert_eq!(fake.cluster("ml").unwrap().capacity_providers, ["gpu-mi"]);

    let ready = rig.reconcile().await;
    assert_eq!(reason(&ready), "Ready", "{ready:?}");
    assert_eq!(
        ready.status.update_status.as_deref(),
        Some("CREATE_COMPLETE")
    );
}

#[tokio::test]
async fn a_failed_update_stalls_with_ecs_reason_and_is_not_repeated() {
    let mut rig = Rig::new(auto_scaling("gpu"));
    rig.reconcile().await;
    rig.ecs.inner().edit_capacity_provider("gpu", |p| {
        p.update_status = Some("UPDATE_FAILED".into());
        p.update_status_reason = Some("the Auto Scaling group has no scale-in protection".into());
        if let Some(CapacityProviderConfig::AutoScalingGroup(asg)) = p.config.as_mut() {
            asg.managed_scaling.as_mut().unwrap().target_capacity = Some(100);
        }
    });
    let stalled = rig.reconcile().await;
    let Health::Stalled { reason, message } = &stalled.health else {
        panic!("{stalled:?}")
    };
    assert_eq!(*reason, "UpdateFailed");
    assert!(message.contains("no scale-in protection"), "{message}");
    assert_eq!(rig.ecs.inner().count("ecs:UpdateCapacityProvider"), 0);
}

#[tokio::test]
async fn a_provider_someone_else_made_is_a_name_conflict() {
    let mut rig = Rig::new(auto_scaling("gpu"));
    rig.reconcile().await;
    let mut other = auto_scaling("gpu");
    other.metadata.uid = Some("uid-other".into());
    rig.object = other;
    let conflict = rig.reconcile().await;
    assert_eq!(reason(&conflict), "NameConflict");
    assert_eq!(conflict.status.arn, None);
}

#[tokio::test]
async fn deletion_waits_while_objects_or_clusters_use_the_provider() {
    let mut rig = Rig::new(auto_scaling("gpu"));
    rig.reconcile().await;
    let dependents = ["Cluster team-a/ml".to_string()];
    assert_eq!(waiting_reason(&rig.cleanup(&dependents).await), IN_USE);
    assert_eq!(rig.ecs.inner().count("ecs:DeleteCapacityProvider"), 0);

    // A cluster no object of this namespace manages still lists it: ECS refuses.
    let fake = rig.ecs.inner();
    fake.insert_cluster("shared", Tags::new());
    fake.edit_cluster("shared", |c| c.capacity_providers = vec!["gpu".into()]);
    let Cleanup::Waiting(refused) = rig.cleanup(&[]).await else {
        panic!("deletion must wait")
    };
    assert_eq!(reason(&refused), IN_USE);
    let Health::Progressing { message, .. } = &refused.health else {
        panic!("{refused:?}")
    };
    assert!(
        message.contains("associated with clusters shared"),
        "{message}"
    );

    fake.edit_cluster("shared", |c| c.capacity_providers.clear());
    assert_eq!(waiting_reason(&rig.cleanup(&[]).await), "Deleting");
    assert_eq!(waiting_reason(&rig.cleanup(&[]).await), "Done");
    assert_eq!(
        fake.capacity_provider("gpu").unwrap().status.as_str(),
        "INACTIVE"
    );
}

#[tokio::test]
async fn a_retained_provider_is_left_in_place() {
    let mut rig = Rig::new(auto_scaling("gpu"));
    rig.reconcile().await;
    rig.object.spec.deletion_policy = crate::api::DeletionPolicy::Retain;
    assert_eq!(waiting_reason(&rig.cleanup(&[]).await), "Done");
    assert_eq!(rig.ecs.inner().count("ecs:DeleteCapacityProvider"), 0);
    assert_eq!(
        rig.ecs
            .inner()
            .capacity_provider("gpu")
            .unwrap()
            .status
            .as_str(),
        "ACTIVE"
    );
}
