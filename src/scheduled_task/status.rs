//! What a ScheduledTask's status reports: the schedule, its next run, its newest run
//! and the LastRunFailed condition.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

use crate::api::ScheduledTaskStatus;
use crate::api::common::condition;
use crate::api::common::whole_seconds;
use crate::api::task::AttemptStatus;
use crate::reconcile::Note;
use crate::task::plan::{self, FAILED, RUNNING, SUCCEEDED};

/// The condition a failed run sets: True while the newest finished run failed. The
/// schedule stays Ready (kstatus reads it as Current; Argo CD as Healthy, with the
/// message saying so): the next run may succeed, and nothing in the spec is wrong.
pub const LAST_RUN_FAILED: &str = "LastRunFailed";

/// The status fields this kind computes, without kstatus's conditions (the driver
/// writes those) but with its own.
pub fn own_fields(previous: &ScheduledTaskStatus) -> ScheduledTaskStatus {
    ScheduledTaskStatus {
        conditions: condition::own(&previous.conditions),
        ..previous.clone()
    }
}

/// The newest run's summary fields and the LastRunFailed condition, from the runs.
pub fn summarise(status: &mut ScheduledTaskStatus) {
    let newest = status.runs.last();
    status.last_run_time = newest.and_then(|r| r.started_at.clone());
    status.last_result = newest.map(|r| r.result.clone());
    status.exit_codes = newest
        .map(|r| plan::exit_codes(r, &status.essential_containers))
        .filter(|codes| !codes.is_empty());
    let finished = status.runs.iter().rev().find(|r| r.result != RUNNING);
    status.conditions.retain(|c| c.type_ != LAST_RUN_FAILED);
    if let Some(run) = finished {
        let (value, reason, message) = if run.result == FAILED {
            (
                "True",
                "RunFailed",
                format!(
                    "run {} failed: {}",
                    run.attempt,
                    plan::describe_failure(run)
                ),
            )
        } else {
            (
                "False",
                "RunSucceeded",
                format!(
                    "run {} succeeded: every essential container exited 0",
                    run.attempt
                ),
            )
        };
        status.conditions.push(Condition {
            type_: LAST_RUN_FAILED.to_string(),
            status: value.to_string(),
            reason: reason.to_string(),
            message,
            observed_generation: None,
            // The driver stamps it (`conditions::stamped`).
            last_transition_time: Time(Timestamp::UNIX_EPOCH),
        });
    }
}

/// Ready's message: the schedule, when it runs next and how the newest run went.
pub fn ready_message(status: &ScheduledTaskStatus, enabled: bool) -> String {
    let schedule = status.schedule_arn.as_deref().unwrap_or("the schedule");
    let next = match (&status.next_run_time, enabled) {
        (_, false) => "suspended".to_string(),
        (Some(t), true) => format!("next run at {}", t.0),
        (None, true) => "no further runs".to_string(),
    };
    let last = match status.runs.last() {
        None => "no run found yet".to_string(),
        Some(run) if run.result == RUNNING => format!("run {} is running", run.attempt),
        Some(run) if run.result == SUCCEEDED => format!(
            "run {} succeeded (exit codes {})",
            run.attempt,
            status.exit_codes.as_deref().unwrap_or("-")
        ),
        Some(run) => format!(
            "run {} FAILED: {}",
            run.attempt,
            plan::describe_failure(run)
        ),
    };
    format!("{schedule}: {next}; {last}")
}

/// Events for runs first seen and runs that finished since the last look.
pub fn run_notes(before: &[AttemptStatus], after: &[AttemptStatus]) -> Vec<Note> {
    let mut notes = Vec::new();
    for run in after {
        let earlier = before.iter().find(|r| r.attempt == run.attempt);
        if earlier.is_none() {
            let arns: Vec<&str> = run.tasks.iter().map(|t| t.arn.as_str()).collect();
            notes.push(Note::normal(
                "RunStarted",
                format!("run {} started {}", run.attempt, arns.join(", ")),
            ));
        }
        let was_running = earlier.is_none_or(|r| r.result == RUNNING);
        if was_running && run.result != RUNNING {
            notes.push(if run.result == SUCCEEDED {
                Note::normal("RunSucceeded", format!("run {} succeeded", run.attempt))
            } else {
                Note::warning(
                    "RunFailed",
                    format!(
                        "run {} failed: {}",
                        run.attempt,
                        plan::describe_failure(run)
                    ),
                )
            });
        }
    }
    notes
}

pub fn time(t: Timestamp) -> Time {
    whole_seconds(t)
}
