//! Reconciling `Service` objects: references resolved, one ECS service per object,
//! only real changes sent, and Ready only once the rollout finished.

mod autoscaling;
mod controller;
mod delete;
mod normalise;
mod plan;
mod references;
mod rollout;
mod status;

#[cfg(test)]
mod autoscaling_tests;
#[cfg(test)]
mod internal_error_tests;
#[cfg(test)]
mod plan_props;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;

use crate::api::common::condition::STALLED;
use crate::api::service::AUTOSCALING_READY;
use crate::api::{AdoptionPolicy, Service, ServiceStatus};
use crate::aws::{AwsApi, AwsError, EcsService, RolloutState, ServiceState, UpdateService};
use crate::conditions::REASON_INVALID_SPEC;
use crate::controller::Index;
use crate::ownership::{Owner, owner_of, tag_changes};
use crate::reconcile::{CONVERGE_POLL, Health, Next, Note, Outcome, guarded};
use autoscaling::Scaling;
pub use controller::references_watched;
use delete::cleanup;
use plan::{Desired, Update, update};
use references::{Targets, Unresolved, resolve};
use rollout::{Rollout, rollout};
use status::{new_event_notes, observed_status};

const DEPLOYMENT_FAILED: &str = "DeploymentFailed";
const AUTOSCALING_REJECTED: &str = "AutoscalingRejected";

/// Makes the ECS service match the spec. AWS errors that a retry can fix are returned;
/// the rest become `Stalled`.
pub async fn reconcile(
    service: &Service,
    ecs: &dyn AwsApi,
    objects: &dyn Index,
) -> Result<Outcome<ServiceStatus>, AwsError> {
    let previous = service.status.clone().unwrap_or_default();
    guarded(
        previous.clone(),
        &previous.conditions,
        service.metadata.generation,
        converge(service, ecs, objects, &previous),
    )
    .await
}

async fn converge(
    service: &Service,
    ecs: &dyn AwsApi,
    objects: &dyn Index,
    previous: &ServiceStatus,
) -> Result<Outcome<ServiceStatus>, AwsError> {
    let Targets {
        cluster,
        task_definition,
    } = match resolve(service, objects) {
        Ok(targets) => targets,
        Err(Unresolved::Invalid(message)) => {
            return Ok(Outcome::stalled(
                previous.clone(),
                REASON_INVALID_SPEC,
                message,
                Next::AwaitChange,
            ));
        }
        Err(Unresolved::Waiting(waiting)) => {
            return Ok(Outcome {
                status: previous.clone(),
                health: Health::Progressing {
                    reason: waiting.reason,
                    message: waiting.message,
                },
                notes: Vec::new(),
                // The Cluster and TaskDefinition watches wake the Service when they change.
                next: Next::Resync,
            });
        }
    };
    let desired = Desired::new(service, cluster, task_definition);
    let outcome = match converge_on(service, ecs, &desired, previous).await {
        Err(e) if e.code == "ClusterNotFoundException" => {
            return Ok(cluster_not_found(&desired, previous));
        }
        other => other?,
    };
    with_scaling(service, ecs, &desired, outcome, previous).await
}

/// Brings the live service's Application Auto Scaling to the spec and folds the result
/// into the outcome: AutoscalingReady, and Ready only when both hold.
async fn with_scaling(
    service: &Service,
    ecs: &dyn AwsApi,
    desired: &Desired,
    mut outcome: Outcome<ServiceStatus>,
    previous: &ServiceStatus,
) -> Result<Outcome<ServiceStatus>, AwsError> {
    let status = &mut outcome.status;
    status.autoscaling = previous.autoscaling.clone();
    status.conditions.retain(|c| c.type_ != AUTOSCALING_READY);
    let previous_condition = previous
        .conditions
        .iter()
        .find(|c| c.type_ == AUTOSCALING_READY);
    if status.status.as_deref().map(ServiceState::from) != Some(ServiceState::Active) {
        // No live service to scale this pass: keep what was last seen.
        status.conditions.extend(previous_condition.cloned());
        return Ok(outcome);
    }
    let cluster = status
        .cluster_arn
        .clone()
        .unwrap_or(desired.cluster.clone());
    match autoscaling::converge(service, ecs, &cluster, previous.autoscaling.as_ref()).await? {
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
    Ok(outcome)
}

async fn converge_on(
    service: &Service,
    ecs: &dyn AwsApi,
    desired: &Desired,
    previous: &ServiceStatus,
) -> Result<Outcome<ServiceStatus>, AwsError> {
    let found = ecs
        .describe_service(&desired.cluster, &desired.name)
        .await?;
    let (current, mut notes) = match found {
        Some(s) if s.status == ServiceState::Draining => return Ok(draining(&s, previous)),
        Some(s) if s.status != ServiceState::Inactive => match owner_of(&s.tags, service) {
            Owner::ThisObject => (s, Vec::new()),
            Owner::Someone if service.spec.adoption_policy == AdoptionPolicy::Adopt => {
                let note = Note::normal("Adopted", format!("adopted ECS service {}", s.arn));
                (s, vec![note])
            }
            Owner::Someone => return Ok(name_conflict(&s)),
        },
        _ => {
            let created = ecs.create_service(&desired.create_request(service)).await?;
            if owner_of(&created.tags, service) == Owner::Someone {
                // ECS answered with a same-named service created meanwhile by someone else.
                return Ok(name_conflict(&created));
            }
            let note = Note::normal(
                "Created",
                format!(
                    "created ECS service {} running {}",
                    created.arn, desired.task_definition
                ),
            );
            let status = ServiceStatus {
                applied_hash: Some(desired.hash.clone()),
                redeploy_token: desired.redeploy_token.clone(),
                managed_tag_keys: desired.spec_tag_keys(),
                ..previous.clone()
            };
            return Ok(judged(&created, desired, &status, vec![note]));
        }
    };

    let changes = tag_changes(&desired.tags, &current.tags, &previous.managed_tag_keys);
    if changes != Default::default() {
        if !changes.set.is_empty() {
            ecs.tag_resource(&current.arn, &changes.set).await?;
        }
        if !changes.remove.is_empty() {
            ecs.untag_resource(&current.arn, &changes.remove).await?;
        }
        notes.push(Note::normal(
            "Updated",
            format!("updated the tags of ECS service {}", current.arn),
        ));
    }
    let planned = update(
        desired,
        &current,
        previous.applied_hash.as_deref(),
        previous.redeploy_token.as_deref(),
    );
    let current = if planned.is_empty() {
        current
    } else {
        let updated = ecs
            .update_service(&update_request(desired, &current, &planned))
            .await?;
        // The user asked when the spec, or the revision it references, changed since the last apply.
        let asked = previous.observed_generation != service.metadata.generation
            || previous.applied_hash.as_deref() != Some(desired.hash.as_str());
        notes.push(update_note(asked, &updated, &planned));
        updated
    };
    let status = ServiceStatus {
        applied_hash: Some(desired.hash.clone()),
        redeploy_token: desired.redeploy_token.clone(),
        managed_tag_keys: desired.spec_tag_keys(),
        ..previous.clone()
    };
    Ok(judged(&current, desired, &status, notes))
}

fn update_request(desired: &Desired, current: &EcsService, planned: &Update) -> UpdateService {
    UpdateService {
        cluster: desired.cluster.clone(),
        service: current.arn.clone(),
        desired_count: planned.desired_count,
        task_definition: planned.task_definition.clone(),
        changes: planned.changes.clone(),
        force_new_deployment: planned.force_new_deployment,
    }
}

/// "Updated" when the user asked for the change; "DriftCorrected" when only ECS had moved.
fn update_note(asked: bool, updated: &EcsService, planned: &Update) -> Note {
    let what = planned
        .changed
        .iter()
        .map(|field| match (*field, &planned.task_definition) {
            ("taskDefinition", Some(td)) => format!("taskDefinition {}", plan::revision_key(td)),
            _ => field.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    if asked {
        Note::normal(
            "Updated",
            format!("updated ECS service {}: {what}", updated.arn),
        )
    } else {
        Note::normal(
            "DriftCorrected",
            format!(
                "ECS service {} had drifted from the spec; sent {what}",
                updated.arn
            ),
        )
    }
}

/// Status, Events and conditions from what ECS reports of a live service.
fn judged(
    current: &EcsService,
    desired: &Desired,
    recorded: &ServiceStatus,
    mut notes: Vec<Note>,
) -> Outcome<ServiceStatus> {
    let status = observed_status(current, &desired.task_definition, recorded);
    let previous_events = ServiceStatus {
        events: recorded.events.clone(),
        ..Default::default()
    };
    notes.extend(new_event_notes(&status, &previous_events));
    let (health, next) = match rollout(current, &desired.task_definition) {
        Rollout::Complete(message) => (Health::Ready { message }, Next::Resync),
        Rollout::InProgress(message) => (
            Health::Progressing {
                reason: "RolloutInProgress",
                message,
            },
            Next::After(CONVERGE_POLL),
        ),
        Rollout::Failed(message) => {
            let reported = recorded
                .conditions
                .iter()
                .any(|c| c.type_ == STALLED && c.status == "True" && c.reason == DEPLOYMENT_FAILED);
            if !reported {
                notes.push(Note::warning(DEPLOYMENT_FAILED, message.clone()));
            }
            // Poll while ECS is still rolling back; after that the resync is enough.
            let settling = current.deployments.len() > 1
                || current
                    .deployments
                    .iter()
                    .any(|d| d.rollout_state == Some(RolloutState::InProgress));
            (
                Health::Stalled {
                    reason: DEPLOYMENT_FAILED,
                    message,
                },
                if settling {
                    Next::After(CONVERGE_POLL)
                } else {
                    Next::Resync
                },
            )
        }
    };
    Outcome {
        status,
        health,
        notes,
        next,
    }
}

fn draining(found: &EcsService, previous: &ServiceStatus) -> Outcome<ServiceStatus> {
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

fn cluster_not_found(desired: &Desired, previous: &ServiceStatus) -> Outcome<ServiceStatus> {
    let message = format!(
        "ECS has no cluster {} in this region; fix spec.cluster (or spec.region), or create the \
         cluster, for example with a Cluster object referenced by spec.clusterRef",
        desired.cluster
    );
    Outcome::stalled(previous.clone(), "ClusterNotFound", message, Next::Resync)
}

fn name_conflict(found: &EcsService) -> Outcome<ServiceStatus> {
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
