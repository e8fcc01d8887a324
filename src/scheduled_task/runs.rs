//! A schedule's runs as ECS reports them: which tasks of the family are this object's,
//! grouped into runs, each judged as a Task's attempt is. Scheduler cannot set
//! startedBy and ListTasks cannot filter by tag, so the runs are found with ListTasks
//! (the family, RUNNING and STOPPED) and DescribeTasks, keeping the tasks that carry the
//! object's uid tag; ECS keeps stopped tasks for about an hour, so status keeps what was
//! found.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use crate::api::task::AttemptStatus;
use crate::aws::EcsTask;
use crate::task::plan::{self, RUNNING};
use crate::task::status::{merge, task_status};

/// Tasks created this close together are one run (Scheduler starts a run's TaskCount
/// tasks with one RunTask call).
const SAME_RUN: Duration = Duration::from_secs(60);

/// The runs after a look: the known ones brought up to date from `found` (the object's
/// tasks ECS reports now), new tasks grouped into new runs, the newest `keep` kept.
pub fn merge_runs(
    runs: &[AttemptStatus],
    found: &[EcsTask],
    essentials: &[String],
    count: i32,
    keep: usize,
) -> Vec<AttemptStatus> {
    let mut merged = merge(runs, found, essentials, count);
    let known = |arn: &str| runs.iter().flat_map(|r| &r.tasks).any(|t| t.arn == arn);
    // Runs status no longer keeps (past `keep`) are older than the newest kept one:
    // their tasks, which ECS still lists for about an hour, are not new runs.
    let newest_start = runs.last().and_then(|r| r.started_at.as_ref()).map(|t| t.0);
    let mut new: Vec<&EcsTask> = found
        .iter()
        .filter(|t| !known(&t.arn))
        .filter(|t| newest_start.is_none_or(|start| t.created_at.is_some_and(|c| c >= start)))
        .collect();
    new.sort_by_key(|t| (t.created_at, t.arn.clone()));
    let mut number = runs.last().map_or(0, |r| r.attempt);
    // A task of the newest run seen after the rest joins it while the run lacks tasks.
    let mut open: Option<(Timestamp, AttemptStatus)> = match (merged.last(), newest_start) {
        (Some(last), Some(start)) if i32::try_from(last.tasks.len()).is_ok_and(|n| n < count) => {
            merged.pop().map(|run| (start, run))
        }
        _ => None,
    };
    for task in new {
        let created = task.created_at.unwrap_or(Timestamp::UNIX_EPOCH);
        let joins = open.as_ref().is_some_and(|(first, run)| {
            i32::try_from(run.tasks.len()).is_ok_and(|n| n < count)
                && Duration::try_from(created.duration_since(*first)).is_ok_and(|d| d < SAME_RUN)
        });
        if !joins {
            if let Some((_, run)) = open.take() {
                merged.push(run);
            }
            number += 1;
            open = Some((
                created,
                AttemptStatus {
                    attempt: number,
                    result: RUNNING.to_string(),
                    started_at: task.created_at.map(crate::api::common::whole_seconds),
                    message: None,
                    tasks: Vec::new(),
                },
            ));
        }
        if let Some((_, run)) = open.as_mut() {
            run.tasks.push(task_status(task));
            // Judged again with its new task.
            run.result = RUNNING.to_string();
        }
    }
    if let Some((_, run)) = open.take() {
        merged.push(run);
    }
    for run in &mut merged {
        if run.result == RUNNING {
            run.result = plan::judge(run, essentials, count).to_string();
        }
    }
    let skip = merged.len().saturating_sub(keep);
    merged.into_iter().skip(skip).collect()
}

/// The tasks a look must describe: every listed one but those of runs already judged,
/// which ECS will not change, and every task of a run still running, listed or not.
pub fn to_describe(listed: &[String], runs: &[AttemptStatus]) -> Vec<String> {
    let finished = |arn: &String| {
        runs.iter()
            .filter(|r| r.result != RUNNING)
            .flat_map(|r| &r.tasks)
            .any(|t| &t.arn == arn)
    };
    let running = runs
        .iter()
        .filter(|r| r.result == RUNNING)
        .flat_map(|r| &r.tasks)
        .map(|t| t.arn.clone());
    let mut arns: Vec<String> = listed
        .iter()
        .filter(|a| !finished(a))
        .cloned()
        .chain(running)
        .collect();
    arns.sort();
    arns.dedup();
    arns
}

/// Whether any known run has a task that has not stopped.
pub fn any_running(runs: &[AttemptStatus]) -> bool {
    runs.iter().any(|r| r.result == RUNNING)
}
