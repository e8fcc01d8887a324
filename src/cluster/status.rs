//! The Cluster status: what ECS reported, plus the shared conditions.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::api::{Cluster, ClusterStatus};
use crate::aws::EcsCluster;
use crate::conditions::conditions;
use crate::reconcile::Health;

/// The status fields ECS reports for `c`.
pub fn observed_status(c: &EcsCluster) -> ClusterStatus {
    ClusterStatus {
        arn: Some(c.arn.clone()),
        status: Some(c.status.clone()),
        active_services_count: Some(c.active_services_count),
        running_tasks_count: Some(c.running_tasks_count),
        pending_tasks_count: Some(c.pending_tasks_count),
        registered_container_instances_count: Some(c.registered_container_instances_count),
        capacity_providers: c.capacity_providers.clone(),
        ..ClusterStatus::default()
    }
}

/// The status to write after a reconcile: the observed fields plus conditions,
/// observedGeneration and region. Pure, so tests apply it exactly as the controller does.
pub fn next_status(
    cluster: &Cluster,
    mut status: ClusterStatus,
    health: &Health,
    region: &str,
    now: &Time,
) -> ClusterStatus {
    let previous = cluster.status.clone().unwrap_or_default();
    status.conditions = conditions(
        health,
        &previous.conditions,
        cluster.metadata.generation,
        now,
    );
    status.observed_generation = cluster.metadata.generation;
    status.region = Some(region.to_string());
    status
}
