//! Status from what ECS reported, and Events for the service events not seen before.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use crate::api::service::{DeploymentStatus, ServiceEvent, ServiceStatus};
use crate::aws::{EcsService, RolloutState};
use crate::reconcile::Note;

/// How many ECS service events status keeps.
pub const EVENTS_KEPT: usize = 10;

/// The observed fields. `desired_task_definition` is the revision the spec resolves to.
pub fn observed_status(
    service: &EcsService,
    desired_task_definition: &str,
    previous: &ServiceStatus,
) -> ServiceStatus {
    let desired_arn = if super::plan::revision_key(&service.task_definition)
        == super::plan::revision_key(desired_task_definition)
    {
        service.task_definition.clone()
    } else {
        desired_task_definition.to_string()
    };
    ServiceStatus {
        status: Some(service.status.to_string()),
        service_name: Some(service.name.clone()),
        arn: Some(service.arn.clone()),
        cluster_arn: Some(service.cluster_arn.clone()),
        task_definition_arn: Some(desired_arn),
        desired_count: Some(service.desired_count),
        running_count: Some(service.running_count),
        pending_count: Some(service.pending_count),
        deployments: service
            .deployments
            .iter()
            .map(|d| DeploymentStatus {
                id: d.id.clone(),
                status: d.status.to_string(),
                rollout_state: d.rollout_state.as_ref().map(RolloutState::to_string),
                rollout_state_reason: d.rollout_state_reason.clone(),
                task_definition: d.task_definition.clone(),
                desired_count: d.desired_count,
                running_count: d.running_count,
                pending_count: d.pending_count,
                failed_tasks: d.failed_tasks,
                updated_at: d.updated_at.map(whole_seconds),
            })
            .collect(),
        events: service
            .events
            .iter()
            .take(EVENTS_KEPT)
            .map(|e| ServiceEvent {
                id: e.id.clone(),
                created_at: e.created_at.map(whole_seconds),
                message: e.message.clone(),
            })
            .collect(),
        selector: Some(selector(&service.name)),
        applied_hash: previous.applied_hash.clone(),
        redeploy_token: previous.redeploy_token.clone(),
        managed_tag_keys: previous.managed_tag_keys.clone(),
        ..Default::default()
    }
}

/// ECS tasks are not pods; the selector exists so the scale subresource has one.
pub fn selector(service_name: &str) -> String {
    format!("ecs.operator.dev/service={service_name}")
}

/// One Event per ECS service event that `previous` did not list yet, oldest first.
pub fn new_event_notes(current: &ServiceStatus, previous: &ServiceStatus) -> Vec<Note> {
    current
        .events
        .iter()
        .rev()
        .filter(|e| !previous.events.iter().any(|p| p.id == e.id))
        .map(|e| {
            let message = format!("ECS: {}", e.message);
            if looks_like_trouble(&e.message) {
                Note::warning("ServiceEvent", message)
            } else {
                Note::normal("ServiceEvent", message)
            }
        })
        .collect()
}

/// ECS words its placement and health failures this way ("was unable to place a task",
/// "failed container health checks", "deployment failed").
fn looks_like_trouble(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    ["unable", "failed", "unhealthy", "error"]
        .iter()
        .any(|word| lower.contains(word))
}

/// Kubernetes stores times in whole seconds; comparing a finer AWS time with the
/// stored one would see a change at every resync and write status for nothing.
fn whole_seconds(time: Timestamp) -> Time {
    Time(Timestamp::from_second(time.as_second()).unwrap_or(time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{EcsDeployment, EcsServiceEvent};

    #[test]
    fn status_survives_a_trip_through_the_api_server_unchanged() {
        let moment: Timestamp = "2026-11-21T10:00:00.123456Z".parse().unwrap();
        let service = EcsService {
            name: "web".into(),
            deployments: vec![EcsDeployment {
                id: "ecs-svc/1".into(),
                updated_at: Some(moment),
                ..Default::default()
            }],
            events: vec![EcsServiceEvent {
                id: "e1".into(),
                created_at: Some(moment),
                message: "steady".into(),
            }],
            ..Default::default()
        };
        let status = observed_status(&service, "web:1", &ServiceStatus::default());
        let stored: ServiceStatus =
            serde_json::from_value(serde_json::to_value(&status).unwrap()).unwrap();
        assert_eq!(
            stored, status,
            "a status that changes on its way through the API server is written at every resync"
        );
    }
}
