//! Reconciling `ScheduledTask` objects: an EventBridge Scheduler schedule kept as the
//! spec says (created, corrected when it drifts, deleted with the object), and its runs
//! found in ECS and written into status.

mod apply;
mod controller;
mod expression;
mod observe;
mod plan;
mod runs;
mod status;

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;

use crate::api::scheduled_task::RUNS_KEPT_DEFAULT;
use crate::api::{DeletionPolicy, ScheduledTask, ScheduledTaskStatus};
use crate::aws::{AwsApi, AwsError, ErrorKind, Freshness};
use crate::conditions::REASON_INVALID_SPEC;
use crate::controller::Index;
use crate::reconcile::{CONVERGE_POLL, Cleanup, Health, Next, Note, Outcome, guarded};
use crate::service::references::strategy_of;
use crate::tenancy;
pub use controller::references_changed;
use observe::Observed;

/// How long after a run's time its tasks are looked for before the look moves on:
/// Scheduler starts a run within the minute it is due (plus its flexible window).
const RUN_WINDOW: Duration = Duration::from_secs(120);
/// How often a look is repeated while a due run has not appeared, or a run is running.
const RUN_POLL: Duration = Duration::from_secs(10);
/// The first look after a run's time comes this much later, so its tasks exist.
const AFTER_RUN: Duration = Duration::from_secs(5);

/// Brings the schedule in line with the spec and records its runs. AWS errors a retry
/// can fix are returned; the rest become `Stalled`.
pub async fn reconcile(
    scheduled: &ScheduledTask,
    ecs: &dyn AwsApi,
    index: &dyn Index,
) -> Result<Outcome<ScheduledTaskStatus>, AwsError> {
    let previous = scheduled.status.clone().unwrap_or_default();
    guarded(
        previous.clone(),
        &previous.conditions,
        scheduled.metadata.generation,
        converge(scheduled, ecs, index, &previous),
    )
    .await
}

async fn converge(
    scheduled: &ScheduledTask,
    ecs: &dyn AwsApi,
    index: &dyn Index,
    previous: &ScheduledTaskStatus,
) -> Result<Outcome<ScheduledTaskStatus>, AwsError> {
    let now = Timestamp::now();
    if let Some(refused) =
        tenancy::refusal(index, scheduled, &plan::tenant_uses(scheduled), previous)
    {
        return Ok(refused);
    }
    let mut status = status::own_fields(previous);
    let spec = &scheduled.spec;
    let expression = match expression::parse(
        &spec.schedule_expression,
        spec.schedule_expression_timezone.as_deref(),
    ) {
        Ok(expression) => expression,
        Err(invalid) => {
            return Ok(Outcome::stalled(
                status,
                REASON_INVALID_SPEC,
                invalid.to_string(),
                Next::AwaitChange,
            ));
        }
    };
    let (cluster_arn, revision) = match observe::targets(scheduled, ecs, index).await? {
        Ok(targets) => targets,
        Err(waiting_or_stalled) => {
            return Ok(waiting_or_stalled
                .with_status(status, scheduled.metadata.creation_timestamp.as_ref()));
        }
    };
    let Some(definition) = ecs
        .describe_task_definition(&revision, Freshness::Kept)
        .await?
    else {
        return Ok(Outcome::stalled(
            status,
            "TaskDefinitionNotFound",
            format!(
                "ECS does not know task definition {revision}; name a revision that exists in \
                 spec.task"
            ),
            Next::AwaitChange,
        ));
    };
    status.essential_containers = definition
        .fields
        .container_definitions
        .iter()
        .filter(|c| c.essential != Some(false))
        .map(|c| c.name.clone())
        .collect();
    status.cluster = Some(cluster_arn.clone());
    status.task_definition_arn = Some(definition.arn.clone());
    let namespace = scheduled.namespace().unwrap_or_default();
    let written = &scheduled.spec.task.capacity_provider_strategy;
    let strategy = match strategy_of(&namespace, written, index) {
        Ok(strategy) => strategy,
        Err(waiting) => {
            return Ok(Outcome::waiting_for_reference(
                status,
                waiting.reason,
                waiting.message,
                scheduled.metadata.creation_timestamp.as_ref(),
            ));
        }
    };
    let mut desired = plan::desired(scheduled, &cluster_arn, &definition.arn);
    // Strategy entries naming CapacityProvider objects run on their providers' ECS names.
    for (item, resolved) in desired
        .target
        .capacity_provider_strategy
        .iter_mut()
        .zip(strategy)
    {
        item.capacity_provider = resolved.capacity_provider;
    }
    status.schedule_group = Some(desired.group.clone());
    let mut notes = Vec::new();
    let created = match observe::schedule(scheduled, ecs, &desired.group, &desired.name).await? {
        Observed::Absent => {
            let namespace = scheduled.namespace().unwrap_or_default();
            if apply::ensure_group(ecs, &desired.group, &namespace, &cluster_arn)
                .await?
                .is_err()
            {
                return Ok(Outcome::stalled(
                    status,
                    "ScheduleGroupNotOwned",
                    format!(
                        "schedule group {} exists without the tag {}={namespace}, so it is not \
                         this namespace's; the operator will not put schedules in it. Tag it, \
                         or delete it",
                        desired.group,
                        crate::ownership::NAMESPACE
                    ),
                    Next::Resync,
                ));
            }
            let request = plan::write(&desired, &format!("create/{now}"));
            match ecs.create_schedule(&request).await {
                Ok(arn) => {
                    notes.push(Note::normal("Created", format!("created schedule {arn}")));
                    status.schedule_arn = Some(arn);
                    Some(now)
                }
                // Made meanwhile under this name: the next look reads and judges it.
                Err(e) if e.kind == ErrorKind::InUse => {
                    return Ok(Outcome {
                        status,
                        health: Health::Progressing {
                            reason: "Creating",
                            message: format!(
                                "schedule {} appeared while it was being created",
                                desired.name
                            ),
                        },
                        notes,
                        next: Next::After(CONVERGE_POLL),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Observed::Foreign(arn) => {
            return Ok(Outcome::stalled(
                status,
                "ScheduleNotOwned",
                format!(
                    "schedule {arn} exists and its target's tags name another owner; the \
                     operator will not change it. Rename this object, or delete that schedule"
                ),
                Next::Resync,
            ));
        }
        Observed::Owned(found) => {
            let changed = desired.differences(&found);
            if !changed.is_empty() {
                let request = plan::write(&desired, &format!("update/{found:?}"));
                ecs.update_schedule(&request).await?;
                notes.push(Note::normal(
                    "Updated",
                    format!("updated schedule {}: {}", found.arn, changed.join(", ")),
                ));
            }
            status.schedule_arn = Some(found.arn.clone());
            found.created
        }
    };
    status.state = Some(
        if desired.enabled {
            "ENABLED"
        } else {
            "DISABLED"
        }
        .to_string(),
    );
    // Scheduler runs rate schedules from the second they start (status keeps whole
    // seconds, so the looks compare in whole seconds too).
    let anchor = status::time(desired.start_date.or(created).unwrap_or(now)).0;
    let next_run = desired
        .enabled
        .then(|| {
            expression::next_run(
                &expression,
                now,
                anchor,
                desired.start_date,
                desired.end_date,
            )
        })
        .flatten();
    status.next_run_time = next_run.map(status::time);

    // Runs: looked for while one runs, and after each time one was due.
    // After the last look, strictly; before any, from the schedule's first run.
    let since = match &previous.runs_checked_time {
        Some(mark) => mark.0,
        None => anchor - Duration::from_secs(1),
    };
    // A suspended schedule starts nothing: only runs still running are followed.
    let first_due = desired
        .enabled
        .then(|| {
            expression::next_run(
                &expression,
                since,
                anchor,
                desired.start_date,
                desired.end_date,
            )
        })
        .flatten()
        .filter(|due| *due <= now);
    // Scheduler may start a run anywhere in its flexible window.
    let window = RUN_WINDOW
        + Duration::from_secs(
            60 * u64::try_from(desired.flexible_window_minutes.unwrap_or(0)).unwrap_or(0),
        );
    let mut waiting_for_run = false;
    if runs::any_running(&status.runs) || first_due.is_some() {
        let before = status.runs.clone();
        let family = observe::family_of(&definition.arn);
        let listed = observe::listed(ecs, &cluster_arn, family).await?;
        let found = observe::own_tasks(
            scheduled,
            ecs,
            &cluster_arn,
            &runs::to_describe(&listed, &status.runs),
        )
        .await?;
        let keep =
            usize::try_from(spec.run_history_limit.unwrap_or(RUNS_KEPT_DEFAULT)).unwrap_or(5);
        status.runs = runs::merge_runs(
            &status.runs,
            &found,
            &status.essential_containers,
            spec.task.count.unwrap_or(1),
            keep,
        );
        notes.extend(status::run_notes(&before, &status.runs));
        let newest_before = before.last().map_or(0, |r| r.attempt);
        let new_run = status
            .runs
            .last()
            .is_some_and(|r| r.attempt > newest_before);
        // Only a due run moves the mark (a look for a running run leaves status alone).
        if let Some(due) = first_due {
            if new_run || now >= due + window {
                status.runs_checked_time = Some(status::time(now));
            } else {
                waiting_for_run = true;
            }
        }
    }
    status::summarise(&mut status);
    let next = if waiting_for_run || runs::any_running(&status.runs) {
        Next::After(RUN_POLL)
    } else if let Some(next_run) = next_run {
        let until = Duration::try_from(next_run.duration_since(now)).unwrap_or_default();
        Next::ByThen(until + AFTER_RUN)
    } else {
        Next::Resync
    };
    Ok(Outcome {
        health: Health::Ready {
            message: status::ready_message(&status, desired.enabled),
        },
        status,
        notes,
        next,
    })
}

/// Deletes the schedule unless `deletionPolicy: Retain`; only a schedule whose target's
/// tags say it is this object's. Runs already started go on.
pub async fn cleanup(
    scheduled: &ScheduledTask,
    ecs: &dyn AwsApi,
) -> Result<Cleanup<ScheduledTaskStatus>, AwsError> {
    if scheduled.spec.deletion_policy == DeletionPolicy::Retain {
        return Ok(Cleanup::Done(vec![Note::normal(
            "Retained",
            "deletionPolicy is Retain: the schedule was left in EventBridge Scheduler",
        )]));
    }
    let group = plan::group_name(&scheduled.namespace().unwrap_or_default());
    let name = plan::schedule_name(&scheduled.name_any());
    match observe::schedule(scheduled, ecs, &group, &name).await? {
        Observed::Owned(found) => {
            apply::delete(ecs, &group, &name).await?;
            Ok(Cleanup::Done(vec![Note::normal(
                "Deleted",
                format!("deleted schedule {}", found.arn),
            )]))
        }
        // Never delete what this object did not make.
        Observed::Absent | Observed::Foreign(_) => Ok(Cleanup::Done(Vec::new())),
    }
}
