//! Health from what ECS reports of a live service: Ready only once the rollout
//! finished, judged from the service's deployments (or task sets) and, for BLUE_GREEN,
//! LINEAR and CANARY, from the stage of its service deployment first.

use super::deployer;
use super::plan::Desired;
use super::rollout::{MAX_POLL, Pacing, Rollout, poll_interval, rollout, stopped_tasks_summary};
use super::stages::{self, Stage};
use super::status::{new_event_notes, observed_status};
use crate::api::common::condition::STALLED;
use crate::api::service::ServiceStatus;
use crate::aws::{EcsService, RolloutState};
use crate::reconcile::{Health, Next, Note, Outcome};

/// Status, Events and conditions from what ECS reports of a live service.
/// `pacing` paces the polls of a rollout in flight.
pub fn judged(
    current: &EcsService,
    desired: &Desired,
    recorded: &ServiceStatus,
    mut notes: Vec<Note>,
    pacing: Pacing,
) -> Outcome<ServiceStatus> {
    // Every spec setting the controller refuses and ECS does not show as the spec has it
    // (a setting ECS leaves out cannot be shown to match). The task definition has its
    // own place in status.deployer.
    let mut withheld =
        super::plan::update(desired, current, None, recorded.redeploy_token.as_deref()).withheld;
    withheld.retain(|field| *field != "taskDefinition");
    let status = ServiceStatus {
        deployer: deployer::status(current, &desired.task_definition, &withheld),
        ..observed_status(current, &desired.task_definition, recorded)
    };
    let previous_events = ServiceStatus {
        events: recorded.events.clone(),
        ..Default::default()
    };
    notes.extend(new_event_notes(&status, &previous_events));
    let stage = status
        .rollout
        .as_ref()
        .map(|r| stages::judge(r, &desired.task_definition));
    let (health, next) = match stage {
        Some(Stage::InFlight {
            reason,
            message,
            paused,
        }) => (
            Health::Progressing { reason, message },
            // Only an approval or the hook's timeout moves a paused deployment on.
            Next::After(if paused {
                MAX_POLL
            } else {
                poll_interval(current, pacing)
            }),
        ),
        Some(Stage::Ended { reason, message }) => {
            let tasks = recorded
                .failed_rollout
                .as_ref()
                .map(stopped_tasks_summary)
                .unwrap_or_default();
            stalled(
                reason,
                format!("{message}.{tasks}"),
                recorded,
                current,
                pacing,
                &mut notes,
            )
        }
        Some(Stage::Succeeded) | None => {
            by_deployments(current, desired, recorded, &withheld, pacing, &mut notes)
        }
    };
    let status = match health {
        Health::Ready { .. } => ServiceStatus {
            failed_rollout: None,
            ..status
        },
        _ => status,
    };
    Outcome {
        status,
        health,
        notes,
        next,
    }
}

/// Health from the service's deployments (or task sets): every rolling rollout, and a
/// staged one once ECS reports it SUCCESSFUL.
fn by_deployments(
    current: &EcsService,
    desired: &Desired,
    recorded: &ServiceStatus,
    withheld: &[&str],
    pacing: Pacing,
    notes: &mut Vec<Note>,
) -> (Health, Next) {
    let judged = match rollout(
        current,
        &desired.task_definition,
        recorded.failed_rollout.as_ref(),
    ) {
        // Not Ready while the service lacks settings only its deployer can apply.
        Rollout::Complete(message) if !withheld.is_empty() => Rollout::AwaitingDeployer(message),
        other => other,
    };
    match judged {
        Rollout::Complete(message) => (Health::Ready { message }, Next::Resync),
        Rollout::InProgress(message) => (
            Health::Progressing {
                reason: stages::ROLLOUT_IN_PROGRESS,
                message,
            },
            Next::After(poll_interval(current, pacing)),
        ),
        // Only the deployer moves this on: look every minute, not at every poll.
        Rollout::AwaitingDeployer(message) => (
            Health::Progressing {
                reason: "AwaitingDeployer",
                message: with_withheld(message, withheld),
            },
            Next::After(MAX_POLL),
        ),
        Rollout::Failed(message) => stalled(
            stages::DEPLOYMENT_FAILED,
            message,
            recorded,
            current,
            pacing,
            notes,
        ),
    }
}

/// Stalled for `reason`, with a Warning the first time.
fn stalled(
    reason: &'static str,
    message: String,
    recorded: &ServiceStatus,
    current: &EcsService,
    pacing: Pacing,
    notes: &mut Vec<Note>,
) -> (Health, Next) {
    let reported = recorded
        .conditions
        .iter()
        .any(|c| c.type_ == STALLED && c.status == "True" && c.reason == reason);
    if !reported {
        notes.push(Note::warning(reason, message.clone()));
    }
    // Poll while ECS is still rolling back; after that the resync is enough.
    let settling = current.deployments.len() > 1
        || current
            .deployments
            .iter()
            .any(|d| d.rollout_state == Some(RolloutState::InProgress));
    (
        Health::Stalled { reason, message },
        if settling {
            Next::After(poll_interval(current, pacing))
        } else {
            Next::Resync
        },
    )
}

/// The message, naming the spec settings only the deployer can apply.
fn with_withheld(message: String, withheld: &[&str]) -> String {
    if withheld.is_empty() {
        return message;
    }
    format!(
        "{message}; spec.{} differ(s) from the service and only the deployer can apply it",
        withheld.join(", spec.")
    )
}
