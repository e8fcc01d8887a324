//! Reconciling `Task` objects: observe the running attempt, decide (`plan`), start,
//! stop or report, and write what ECS said into status.

pub(crate) mod apply;
mod controller;
mod delete;
mod observe;
mod outcome;
pub(crate) mod plan;
pub(crate) mod status;

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;

use crate::api::task::ATTEMPTS_KEPT;
use crate::api::{Task, TaskStatus};
use crate::aws::{AwsApi, AwsError, Freshness, Operation};
use crate::controller::Index;
use crate::reconcile::{Health, Next, Note, Outcome, guarded, reference_poll};
use crate::service::references::{Unresolved, cluster_of, strategy_of, task_definition_of};
use crate::tenancy;
use apply::stop;
pub use delete::cleanup;
use observe::{Observed, observe};
#[cfg(test)]
use outcome::{COMPLETE, FAILED};
use outcome::{finish, finished, in_progress, own_fields};
use plan::{Decision, decide};

/// Runs the Task's next step. The object carries its finalizer already. AWS errors a
/// retry can fix are returned; the rest become `Stalled`.
pub async fn reconcile(
    task: &Task,
    ecs: &dyn AwsApi,
    index: &dyn Index,
) -> Result<Outcome<TaskStatus>, AwsError> {
    let previous = task.status.clone().unwrap_or_default();
    guarded(
        previous.clone(),
        &previous.conditions,
        task.metadata.generation,
        converge(task, ecs, index, &previous),
    )
    .await
}

async fn converge(
    task: &Task,
    ecs: &dyn AwsApi,
    index: &dyn Index,
    previous: &TaskStatus,
) -> Result<Outcome<TaskStatus>, AwsError> {
    let now = Timestamp::now();
    if previous.completion_time.is_some() {
        // Finished: nothing in AWS can change the result, so no call is made.
        return Ok(finished(task, previous.clone(), Vec::new(), now));
    }
    if let Some(refused) = tenancy::refusal(index, task, &plan::tenant_uses(task), previous) {
        return Ok(refused);
    }
    let mut status = own_fields(previous);
    match observe(task, ecs, &status).await? {
        Observed::Attempts(attempts) => status.attempts = attempts,
        Observed::NotOwned(arn) => {
            return Ok(Outcome::stalled(
                status,
                "TaskNotOwned",
                format!(
                    "status names ECS task {arn}, which this object did not start (its tags say \
                     otherwise); the operator will not read or stop it. Delete this Task and \
                     create it again"
                ),
                Next::AwaitChange,
            ));
        }
    }
    let start_time = status.start_time.as_ref().map(|t| t.0);
    let mut notes = Vec::new();
    match decide(&task.spec, &status.attempts, start_time, now) {
        Decision::Start { attempt } => {
            if attempt == 1
                && let Err(outcome) = fix_targets(task, ecs, index, &mut status, now).await?
            {
                return Ok(*outcome);
            }
            let (Some(cluster), Some(revision)) =
                (status.cluster.clone(), status.task_definition_arn.clone())
            else {
                return Ok(Outcome::stalled(
                    status,
                    "InvalidStatus",
                    "status has attempts but no cluster or task definition; delete this Task \
                     and create it again"
                        .into(),
                    Next::AwaitChange,
                ));
            };
            if status.attempts.len() >= ATTEMPTS_KEPT {
                return Ok(Outcome::stalled(
                    status,
                    "InvalidStatus",
                    format!("status already holds {ATTEMPTS_KEPT} attempts, the most a Task makes"),
                    Next::AwaitChange,
                ));
            }
            // Strategy entries naming CapacityProvider objects run on their providers'
            // ECS names; an attempt waits while ECS does not have one ACTIVE.
            let namespace = task.namespace().unwrap_or_default();
            let written = &task.spec.template.capacity_provider_strategy;
            let strategy = match strategy_of(&namespace, written, index) {
                Ok(strategy) => strategy,
                Err(waiting) => {
                    status.phase = Some("Pending".into());
                    return Ok(Outcome::waiting_for_reference(
                        status,
                        waiting.reason,
                        waiting.message,
                        task.metadata.creation_timestamp.as_ref(),
                    ));
                }
            };
            let mut request = apply::run_request(task, &cluster, &revision, attempt);
            request.template.capacity_provider_strategy = strategy;
            // While RunTask's rate limit has a queue, come back at this attempt's turn
            // rather than hold a reconcile slot the polls of running Tasks need.
            if let Some(turn) = ecs.write_turn(Operation::RunTask, &cluster, &request.client_token)
            {
                return Ok(outcome::waiting_for_quota(task, status, turn));
            }
            let started = ecs.run_task(&request).await?;
            let arns: Vec<&str> = started.tasks.iter().map(|t| t.arn.as_str()).collect();
            notes.push(if started.tasks.is_empty() {
                Note::warning(
                    "StartFailed",
                    format!(
                        "attempt {attempt}: RunTask started no task: {}",
                        started.failures.join("; ")
                    ),
                )
            } else {
                Note::normal(
                    "Started",
                    format!("attempt {attempt}: started {}", arns.join(", ")),
                )
            });
            status
                .attempts
                .push(status::attempt_started(attempt, &started, now));
            Ok(in_progress(task, status, notes, "Running", FIRST_POLL))
        }
        Decision::Wait {
            backing_off,
            recheck,
        } => {
            let reason = if backing_off { "BackingOff" } else { "Running" };
            Ok(in_progress(task, status, notes, reason, recheck))
        }
        Decision::StopForDeadline { arns } => {
            let cluster = status.cluster.clone().unwrap_or_default();
            let seconds = task.spec.active_deadline_seconds.unwrap_or_default();
            for arn in &arns {
                stop(
                    ecs,
                    &cluster,
                    arn,
                    &format!("activeDeadlineSeconds {seconds} passed"),
                )
                .await?;
            }
            notes.push(Note::warning(
                plan::DEADLINE_EXCEEDED,
                format!(
                    "activeDeadlineSeconds {seconds} passed: stopped {}",
                    arns.join(", ")
                ),
            ));
            // One look after the stop, so status shows what ECS made of it (its stop
            // code at once; STOPPED comes later, and a finished Task is not read again).
            let after = ecs.describe_tasks(&cluster, &arns).await?;
            if let Some(last) = status.attempts.last_mut() {
                status::stopped_for_deadline(last, seconds, &after);
            }
            let message = format!(
                "activeDeadlineSeconds {seconds} passed before an attempt succeeded; its tasks were stopped"
            );
            Ok(finish(
                task,
                status,
                notes,
                now,
                Err((plan::DEADLINE_EXCEEDED, message)),
            ))
        }
        Decision::Succeeded => Ok(finish(task, status, notes, now, Ok(()))),
        Decision::Failed { reason, message } => {
            Ok(finish(task, status, notes, now, Err((reason, message))))
        }
    }
}

/// How soon a just-started attempt is looked at.
const FIRST_POLL: Duration = Duration::from_secs(2);

/// Before the first attempt: the cluster and revision every attempt uses, and which of
/// the revision's containers are essential. Err holds the outcome while a reference is
/// not ready or cannot be used.
async fn fix_targets(
    task: &Task,
    ecs: &dyn AwsApi,
    index: &dyn Index,
    status: &mut TaskStatus,
    now: Timestamp,
) -> Result<Result<(), Box<Outcome<TaskStatus>>>, AwsError> {
    let namespace = task.namespace().unwrap_or_default();
    let spec = &task.spec;
    let resolved = cluster_of(
        &namespace,
        spec.template.cluster_ref.as_ref(),
        spec.template.cluster.as_ref(),
        index,
    )
    .and_then(|cluster| {
        task_definition_of(
            &namespace,
            spec.template.task_definition_ref.as_ref(),
            spec.template.task_definition.as_ref(),
            index,
        )
        .map(|revision| (cluster, revision))
    });
    let (cluster, revision) = match resolved {
        Ok(targets) => targets,
        Err(Unresolved::Waiting(waiting)) => {
            let mut waiting_status = status.clone();
            waiting_status.phase = Some("Pending".into());
            return Ok(Err(Box::new(Outcome {
                status: waiting_status,
                health: Health::Progressing {
                    reason: waiting.reason,
                    message: waiting.message,
                },
                notes: Vec::new(),
                next: Next::After(reference_poll(
                    task.metadata.creation_timestamp.as_ref(),
                    now,
                )),
            })));
        }
        Err(Unresolved::Invalid(message)) => {
            return Ok(Err(Box::new(Outcome::stalled(
                status.clone(),
                crate::conditions::REASON_INVALID_SPEC,
                message,
                Next::AwaitChange,
            ))));
        }
    };
    let Some(definition) = ecs
        .describe_task_definition(&revision, Freshness::Kept)
        .await?
    else {
        return Ok(Err(Box::new(Outcome::stalled(
            status.clone(),
            "TaskDefinitionNotFound",
            format!(
                "ECS does not know task definition {revision}; the spec cannot change, so delete \
                 this Task and create it naming a revision that exists"
            ),
            Next::AwaitChange,
        ))));
    };
    status.essential_containers = definition
        .fields
        .container_definitions
        .iter()
        .filter(|c| c.essential != Some(false))
        .map(|c| c.name.clone())
        .collect();
    status.cluster = Some(cluster);
    status.task_definition_arn = Some(definition.arn);
    status.start_time = Some(status::time(now));
    Ok(Ok(()))
}
