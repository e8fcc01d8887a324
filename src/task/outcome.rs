//! What a reconcile of a Task reports: its status fields, health and next look, while
//! it runs and once it has finished.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

use super::{plan, status};
use crate::api::common::condition;
use crate::api::{Task, TaskStatus};
use crate::aws::Operation;
use crate::reconcile::{Health, Next, Note, Outcome};

/// The Job-style conditions a finished Task carries beside kstatus's.
pub const COMPLETE: &str = "Complete";
pub const FAILED: &str = "Failed";

/// The status fields this kind computes, without kstatus's conditions (the driver
/// writes those) but with its own.
pub(super) fn own_fields(previous: &TaskStatus) -> TaskStatus {
    TaskStatus {
        conditions: condition::own(&previous.conditions),
        ..previous.clone()
    }
}

/// The next attempt waits for its turn in RunTask's client-side rate limit.
pub(super) fn waiting_for_quota(
    task: &Task,
    status: TaskStatus,
    turn: Duration,
) -> Outcome<TaskStatus> {
    let mut outcome = in_progress(task, status, Vec::new(), "WaitingForQuota", turn);
    let group = Operation::RunTask.group().name();
    outcome.health = Health::Progressing {
        reason: "WaitingForQuota",
        message: format!(
            "the client-side {group} rate limit has a queue; this Task calls RunTask at its \
             turn (raise the limit with --aws-rate-limit {group}=BURST:PER_SECOND if Service \
             Quotas shows a higher quota)"
        ),
    };
    outcome.next = Next::Turn(turn);
    outcome
}

pub(super) fn in_progress(
    task: &Task,
    mut status: TaskStatus,
    notes: Vec<Note>,
    reason: &'static str,
    recheck: Duration,
) -> Outcome<TaskStatus> {
    summarise(&mut status, None);
    status.phase = Some(
        match reason {
            "Running" | "BackingOff" => reason,
            _ => "Pending",
        }
        .to_string(),
    );
    let attempt = status.attempts.len();
    let message = match status.attempts.last() {
        Some(last) if reason == "BackingOff" => format!(
            "attempt {attempt} failed; the next starts after a pause ({})",
            plan::describe_failure(last)
        ),
        Some(last) => format!(
            "attempt {attempt} of at most {}: {} task(s) {}",
            plan::backoff_limit(&task.spec) + 1,
            last.tasks.len(),
            last.tasks
                .iter()
                .map(|t| t.last_status.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => "starting the first attempt".to_string(),
    };
    Outcome {
        status,
        health: Health::Progressing { reason, message },
        notes,
        next: Next::After(recheck),
    }
}

/// The Task has just succeeded (Ok) or failed (Err with reason and message).
pub(super) fn finish(
    task: &Task,
    mut status: TaskStatus,
    mut notes: Vec<Note>,
    now: Timestamp,
    result: Result<(), (&'static str, String)>,
) -> Outcome<TaskStatus> {
    status.completion_time = Some(status::time(now));
    let condition = match &result {
        Ok(()) => {
            notes.push(Note::normal(
                "Completed",
                format!("attempt {} succeeded", status.attempts.len()),
            ));
            own_condition(COMPLETE, "Completed", "every essential container exited 0")
        }
        Err((reason, message)) => {
            notes.push(Note::warning(reason, message.clone()));
            own_condition(FAILED, reason, message)
        }
    };
    status.conditions = vec![condition];
    finished(task, status, notes, now)
}

fn own_condition(type_: &str, reason: &str, message: &str) -> Condition {
    Condition {
        type_: type_.to_string(),
        status: "True".to_string(),
        reason: reason.to_string(),
        message: message.to_string(),
        observed_generation: None,
        // The driver stamps it (`conditions::stamped`).
        last_transition_time: Time(Timestamp::UNIX_EPOCH),
    }
}

/// The outcome of a finished Task, from its status alone: Ready when it completed,
/// Stalled when it failed, and deleted once its TTL has passed.
pub(super) fn finished(
    task: &Task,
    status: TaskStatus,
    notes: Vec<Note>,
    now: Timestamp,
) -> Outcome<TaskStatus> {
    let mut status = own_fields(&status);
    let completed_at = status.completion_time.as_ref().map_or(now, |t| t.0);
    summarise(&mut status, Some(completed_at));
    let failure = status
        .conditions
        .iter()
        .find(|c| c.type_ == FAILED && c.status == "True")
        .map(|c| (c.reason.clone(), c.message.clone()));
    status.phase = Some(
        if failure.is_some() {
            "Failed"
        } else {
            "Succeeded"
        }
        .to_string(),
    );
    let next = match task.spec.ttl_seconds_after_finished {
        None => Next::AwaitChange,
        Some(ttl) => {
            let expires = completed_at + Duration::from_secs(ttl.unsigned_abs().into());
            match Duration::try_from(expires.duration_since(now)) {
                Ok(left) if !left.is_zero() => Next::After(left),
                _ => Next::Expire,
            }
        }
    };
    let health = match failure {
        Some((reason, message)) => Health::Stalled {
            reason: failed_reason(&reason),
            message,
        },
        None => Health::Ready {
            message: format!(
                "completed: attempt {} succeeded (exit codes {})",
                status.attempts.len(),
                status.exit_codes.as_deref().unwrap_or("-")
            ),
        },
    };
    Outcome {
        status,
        health,
        notes,
        next,
    }
}

/// The fixed reason for the Failed condition's reason as stored.
fn failed_reason(stored: &str) -> &'static str {
    match stored {
        plan::DEADLINE_EXCEEDED => plan::DEADLINE_EXCEEDED,
        _ => plan::BACKOFF_LIMIT_EXCEEDED,
    }
}

/// Counts, the latest exit codes and the duration, from the attempts.
fn summarise(status: &mut TaskStatus, completed_at: Option<Timestamp>) {
    let count = |result: &str| {
        i32::try_from(
            status
                .attempts
                .iter()
                .filter(|a| a.result == result)
                .count(),
        )
        .unwrap_or(0)
    };
    let started = !status.attempts.is_empty();
    status.attempt_count = started.then(|| i32::try_from(status.attempts.len()).unwrap_or(0));
    status.succeeded = started.then(|| count(plan::SUCCEEDED));
    status.failed = started.then(|| count(plan::FAILED));
    status.exit_codes = status
        .attempts
        .last()
        .map(|a| plan::exit_codes(a, &status.essential_containers))
        .filter(|codes| !codes.is_empty());
    status.duration = completed_at
        .zip(status.start_time.as_ref())
        .map(|(end, start)| plan::duration_between(start.0, end));
}
