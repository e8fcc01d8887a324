//! The Task status fields: its attempts and their tasks as ECS reported them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::plan::{self, FAILED, RUNNING};
use crate::api::common::whole_seconds;
use crate::api::service::StoppedContainer;
use crate::api::task::{AttemptStatus, TaskRunStatus};
use crate::aws::{EcsTask, StartedTasks};
use crate::controller::truncated;

/// ECS's stopped reasons and RunTask failures can be long; status keeps this much.
const MESSAGE_MAX: usize = 1024;

/// One task as status shows it.
pub fn task_status(task: &EcsTask) -> TaskRunStatus {
    TaskRunStatus {
        arn: task.arn.clone(),
        last_status: task.last_status.to_string(),
        stop_code: task.stop_code.clone(),
        stopped_reason: task.stopped_reason.as_deref().map(bounded),
        started_at: task.started_at.map(whole_seconds),
        stopped_at: task.stopped_at.map(whole_seconds),
        containers: task
            .containers
            .iter()
            .map(|c| StoppedContainer {
                name: c.name.clone(),
                exit_code: c.exit_code,
                reason: c.reason.as_deref().map(bounded),
            })
            .collect(),
    }
}

/// The attempt RunTask just started.
pub fn attempt_started(attempt: i32, started: &StartedTasks, now: Timestamp) -> AttemptStatus {
    let message = (!started.failures.is_empty()).then(|| {
        bounded(&format!(
            "RunTask could not start every task: {}",
            started.failures.join("; ")
        ))
    });
    AttemptStatus {
        attempt,
        result: RUNNING.to_string(),
        started_at: Some(whole_seconds(now)),
        message,
        tasks: started.tasks.iter().map(task_status).collect(),
    }
}

/// The attempts with what DescribeTasks now says of their tasks, each judged again. A
/// running task ECS no longer reports (it keeps stopped tasks for about an hour) fails
/// its attempt: its result cannot be known.
pub fn merge(
    attempts: &[AttemptStatus],
    described: &[EcsTask],
    essentials: &[String],
    count: i32,
) -> Vec<AttemptStatus> {
    attempts
        .iter()
        .map(|attempt| {
            if attempt.result != RUNNING {
                return attempt.clone();
            }
            let mut next = attempt.clone();
            let mut lost = Vec::new();
            for task in &mut next.tasks {
                match described.iter().find(|d| d.arn == task.arn) {
                    Some(now) => *task = task_status(now),
                    None if !plan::stopped(task) => lost.push(task.arn.clone()),
                    None => {}
                }
            }
            if !lost.is_empty() {
                next.result = FAILED.to_string();
                next.message = Some(bounded(&format!(
                    "ECS no longer reports task {} (it keeps stopped tasks for about an hour), \
                     so its result is unknown",
                    lost.join(", ")
                )));
                return next;
            }
            next.result = plan::judge(&next, essentials, count).to_string();
            next
        })
        .collect()
}

/// The running attempt stopped at its deadline: Failed, saying so, with its tasks as
/// ECS described them just after the stop (`after`).
pub fn stopped_for_deadline(attempt: &mut AttemptStatus, seconds: i64, after: &[EcsTask]) {
    for task in &mut attempt.tasks {
        if let Some(now) = after.iter().find(|t| t.arn == task.arn) {
            *task = task_status(now);
        }
    }
    attempt.result = FAILED.to_string();
    attempt.message = Some(format!("stopped: activeDeadlineSeconds {seconds} passed"));
}

pub fn time(t: Timestamp) -> Time {
    whole_seconds(t)
}

fn bounded(text: &str) -> String {
    if text.len() <= MESSAGE_MAX {
        return text.to_string();
    }
    format!("{}...", truncated(text, MESSAGE_MAX - 3))
}
