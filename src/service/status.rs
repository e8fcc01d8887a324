//! A pass's outcome, pure: the status fields from what ECS reported, Events for the
//! calls made and the service events not seen before, the cases that stop before any
//! call, and the autoscaling folded in. The conditions are judged in `readiness`.

use super::autoscaling::{self, Scaling};
use super::plan::{Desired, Step, revision_key};
use crate::api::common::whole_seconds;
use crate::api::service::{
    AUTOSCALING_READY, DEPLOYMENTS_KEPT, DeploymentStatus, EVENTS_KEPT, ServiceEvent, ServiceStatus,
};
use std::time::Duration;

use crate::aws::{EcsService, Operation, RolloutState};
use crate::reconcile::{CONVERGE_POLL, Health, Next, Note, Outcome};

const AUTOSCALING_REJECTED: &str = "AutoscalingRejected";

/// The Events for the calls a pass made on `live` (as the last call answered it).
/// `asked`: the spec, or the revision it references, changed since the last apply
/// ("Updated"); else only ECS had moved ("DriftCorrected").
pub fn step_notes(steps: &[Step], live: &EcsService, desired: &Desired, asked: bool) -> Vec<Note> {
    let mut notes = Vec::new();
    if steps
        .iter()
        .any(|s| matches!(s, Step::Tag { .. } | Step::Untag { .. }))
    {
        notes.push(Note::normal(
            "Updated",
            format!("updated the tags of ECS service {}", live.arn),
        ));
    }
    for step in steps {
        match step {
            Step::Create(_) => notes.push(Note::normal(
                "Created",
                format!(
                    "created ECS service {} running {}",
                    live.arn, desired.task_definition
                ),
            )),
            Step::Update { request, changed } => {
                let what = changed
                    .iter()
                    .map(|field| match (*field, &request.task_definition) {
                        ("taskDefinition", Some(td)) => {
                            format!("taskDefinition {}", revision_key(td))
                        }
                        _ => field.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                notes.push(if asked {
                    Note::normal(
                        "Updated",
                        format!("updated ECS service {}: {what}", live.arn),
                    )
                } else {
                    Note::normal(
                        "DriftCorrected",
                        format!(
                            "ECS service {} had drifted from the spec; sent {what}",
                            live.arn
                        ),
                    )
                });
            }
            Step::Tag { .. } | Step::Untag { .. } => {}
        }
    }
    notes
}

/// Waiting for its turn under the client-side rate limit before `operation`. The message
/// does not count down, so status is written once, not at every look.
pub fn waiting_for_quota(
    previous: &ServiceStatus,
    operation: Operation,
    turn: Duration,
) -> Outcome<ServiceStatus> {
    Outcome {
        status: previous.clone(),
        health: Health::Progressing {
            reason: "WaitingForQuota",
            message: format!(
                "the client-side {group} rate limit has a queue; this Service sends its {} at \
                 its turn (raise the limit with --aws-rate-limit {group}=BURST:PER_SECOND if \
                 Service Quotas shows a higher quota)",
                operation.name(),
                group = operation.group().name(),
            ),
        },
        notes: Vec::new(),
        next: Next::Turn(turn),
    }
}

pub fn draining(found: &EcsService, previous: &ServiceStatus) -> Outcome<ServiceStatus> {
    Outcome {
        status: ServiceStatus {
            status: Some(found.status.to_string()),
            ..previous.clone()
        },
        health: Health::Progressing {
            reason: "WaitingForDrain",
            message: format!(
                "an ECS service named {} is still DRAINING from an earlier deletion; it will be \
                 created again once ECS reports it INACTIVE",
                found.name
            ),
        },
        notes: Vec::new(),
        next: Next::After(CONVERGE_POLL),
    }
}

pub fn cluster_not_found(desired: &Desired, previous: &ServiceStatus) -> Outcome<ServiceStatus> {
    let message = format!(
        "ECS has no cluster {} in this region; fix spec.cluster (or spec.region), or create the \
         cluster, for example with a Cluster object referenced by spec.clusterRef",
        desired.cluster
    );
    Outcome::stalled(previous.clone(), "ClusterNotFound", message, Next::Resync)
}

pub fn name_conflict(found: &EcsService) -> Outcome<ServiceStatus> {
    let message = format!(
        "an ECS service named {} already exists ({}) and was not created by this object; \
         choose another spec.serviceName, or set spec.adoptionPolicy: Adopt to take it over",
        found.name, found.arn
    );
    Outcome::stalled(
        ServiceStatus::default(),
        "NameConflict",
        message,
        Next::Resync,
    )
}

/// Folds a pass's Application Auto Scaling into the outcome: AutoscalingReady, and
/// Ready only when both hold. `scaling` is None when no live service was scaled this
/// pass: what was last seen is kept.
pub fn with_scaling(
    mut outcome: Outcome<ServiceStatus>,
    scaling: Option<Scaling>,
    previous: &ServiceStatus,
) -> Outcome<ServiceStatus> {
    let status = &mut outcome.status;
    status.autoscaling = previous.autoscaling.clone();
    status.conditions.retain(|c| c.type_ != AUTOSCALING_READY);
    let previous_condition = previous
        .conditions
        .iter()
        .find(|c| c.type_ == AUTOSCALING_READY);
    let Some(scaling) = scaling else {
        status.conditions.extend(previous_condition.cloned());
        return outcome;
    };
    match scaling {
        Scaling::Unmanaged => {}
        Scaling::Converged {
            status: None,
            notes,
        } => {
            outcome.status.autoscaling = None;
            outcome.notes.extend(notes);
        }
        Scaling::Converged {
            status: Some(scaling),
            notes,
        } => {
            let message = format!(
                "scalable target {} between {} and {} tasks; scaling policies: {}; scheduled actions: {}",
                scaling.resource_id,
                scaling.min_capacity.unwrap_or_default(),
                scaling.max_capacity.unwrap_or_default(),
                scaling.policies.len(),
                scaling.scheduled_actions.len()
            );
            outcome.status.autoscaling = Some(scaling);
            outcome
                .status
                .conditions
                .push(autoscaling::condition(true, "Ready", message));
            outcome.notes.extend(notes);
        }
        Scaling::Rejected { message } => {
            let reported = previous_condition.is_some_and(|c| c.message == message);
            if !reported {
                outcome
                    .notes
                    .push(Note::warning(AUTOSCALING_REJECTED, message.clone()));
            }
            outcome.status.conditions.push(autoscaling::condition(
                false,
                AUTOSCALING_REJECTED,
                message.clone(),
            ));
            if !matches!(outcome.health, Health::Stalled { .. }) {
                outcome.health = Health::Stalled {
                    reason: AUTOSCALING_REJECTED,
                    message,
                };
            }
        }
    }
    outcome
}

/// The observed fields. `desired_task_definition` is the revision the spec resolves to.
pub fn observed_status(
    service: &EcsService,
    desired_task_definition: &str,
    previous: &ServiceStatus,
) -> ServiceStatus {
    let desired_arn =
        if revision_key(&service.task_definition) == revision_key(desired_task_definition) {
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
            .take(DEPLOYMENTS_KEPT)
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
        failed_rollout: previous.failed_rollout.clone(),
        rollout: previous.rollout.clone(),
        pre_deploy: previous.pre_deploy.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{EcsDeployment, EcsServiceEvent};
    use k8s_openapi::jiff::Timestamp;

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
