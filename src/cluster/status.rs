//! The Cluster status fields: what ECS reported.

use crate::api::ClusterStatus;
use crate::api::cluster::CAPACITY_PROVIDERS_MAX;
use crate::aws::EcsCluster;

/// The status fields ECS reports for `c`.
pub fn observed_status(c: &EcsCluster) -> ClusterStatus {
    ClusterStatus {
        arn: Some(c.arn.clone()),
        status: Some(c.status.to_string()),
        active_services_count: Some(c.active_services_count),
        running_tasks_count: Some(c.running_tasks_count),
        pending_tasks_count: Some(c.pending_tasks_count),
        registered_container_instances_count: Some(c.registered_container_instances_count),
        capacity_providers: c
            .capacity_providers
            .iter()
            .take(CAPACITY_PROVIDERS_MAX)
            .cloned()
            .collect(),
        ..ClusterStatus::default()
    }
}
