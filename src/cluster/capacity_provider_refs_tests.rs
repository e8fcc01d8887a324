//! A Cluster naming CapacityProvider objects (capacityProviderRefs): it waits until ECS
//! has each one ACTIVE, then uses it by the ECS name its status reports, in the
//! providers and in a default strategy that names the object.

use std::sync::Arc;

use super::tests::{Rig, cluster, is_ready};
use super::*;
use crate::api::capacity_provider::AutoScalingGroupProvider;
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::service::LocalReference;
use crate::api::{CapacityProvider, CapacityProviderSpec, CapacityProviderStatus};
use crate::aws::{CapacityProviderConfig, CreateCapacityProvider, EcsApi, Tags};

fn referencing(provider: &str) -> Rig {
    let mut object = cluster("ml");
    object.spec.capacity_providers = Some(vec!["FARGATE".into()]);
    object.spec.capacity_provider_refs = vec![LocalReference {
        name: provider.into(),
    }];
    object.spec.default_capacity_provider_strategy = Some(vec![CapacityProviderStrategyItem {
        capacity_provider: provider.into(),
        weight: Some(1),
        base: None,
    }]);
    Rig::new(object)
}

/// The CapacityProvider object `name` of team-a, whose status reports the ECS
/// provider `ecs_name` in ECS status `status`.
fn provider_object(name: &str, ecs_name: &str, status: &str) -> Arc<CapacityProvider> {
    let mut p = CapacityProvider::new(name, CapacityProviderSpec::default());
    p.metadata.namespace = Some("team-a".into());
    p.status = Some(CapacityProviderStatus {
        name: Some(ecs_name.into()),
        status: Some(status.into()),
        ..Default::default()
    });
    Arc::new(p)
}

async fn in_ecs(rig: &Rig, name: &str) {
    let request = CreateCapacityProvider {
        name: name.into(),
        cluster: None,
        config: CapacityProviderConfig::AutoScalingGroup(AutoScalingGroupProvider {
            auto_scaling_group_arn: "gpu-workers".into(),
            ..Default::default()
        }),
        tags: Tags::new(),
    };
    rig.ecs.create_capacity_provider(&request).await.unwrap();
}

#[tokio::test]
async fn a_cluster_waits_for_a_referenced_provider_without_calling_aws() {
    let mut rig = referencing("gpu");
    let waiting = rig.reconcile().await.unwrap();
    let Health::Progressing { reason, message } = &waiting.health else {
        panic!("{waiting:?}")
    };
    assert_eq!(*reason, providers::WAITING_FOR_CAPACITY_PROVIDER);
    assert!(message.contains("CapacityProvider team-a/gpu"), "{message}");
    assert!(rig.ecs.inner().calls().is_empty());

    // Created but not ACTIVE yet (a Managed Instances provider provisioning): still waiting.
    rig.index.capacity_providers = vec![provider_object("gpu", "gpu-fleet", "PROVISIONING")];
    let still = rig.reconcile().await.unwrap();
    assert!(
        matches!(still.health, Health::Progressing { .. }),
        "{still:?}"
    );
    assert!(rig.ecs.inner().calls().is_empty());
}

#[tokio::test]
async fn a_referenced_provider_is_used_by_its_ecs_name_in_providers_and_strategy() {
    let mut rig = referencing("gpu");
    in_ecs(&rig, "gpu-fleet").await;
    rig.index.capacity_providers = vec![provider_object("gpu", "gpu-fleet", "ACTIVE")];
    let ready = rig.reconcile().await.unwrap();
    assert!(is_ready(&ready), "{ready:?}");
    let created = rig.ecs.inner().cluster("ml").unwrap();
    assert_eq!(created.capacity_providers, ["FARGATE", "gpu-fleet"]);
    assert_eq!(
        created.default_capacity_provider_strategy[0].capacity_provider,
        "gpu-fleet"
    );

    // Resyncs see no drift: the resolved names are what ECS reports.
    let calls = rig.ecs.inner().calls().len();
    let idle = rig.reconcile().await.unwrap();
    assert!(idle.notes.is_empty(), "{:?}", idle.notes);
    assert_eq!(rig.ecs.inner().calls().len() - calls, 1);
}

#[tokio::test]
async fn a_managed_instances_provider_of_this_cluster_in_its_refs_stalls_instead_of_deadlocking() {
    let mut rig = referencing("gpu");
    let mut provider = (*provider_object("gpu", "gpu", "PROVISIONING")).clone();
    provider.spec.cluster_ref = Some(LocalReference { name: "ml".into() });
    rig.index.capacity_providers = vec![Arc::new(provider)];
    let stalled = rig.reconcile().await.unwrap();
    let Health::Stalled { reason, message } = &stalled.health else {
        panic!("{stalled:?}")
    };
    assert_eq!(*reason, crate::conditions::REASON_INVALID_SPEC);
    assert!(
        message.contains("remove it from capacityProviderRefs"),
        "{message}"
    );
    assert!(rig.ecs.inner().calls().is_empty());
}
