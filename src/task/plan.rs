//! What a Task does next, from its attempts as last observed, its spec and the clock.
//! Pure: the reconcile observes, asks `decide`, and carries the decision out.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use crate::api::task::{AttemptStatus, BACKOFF_LIMIT_DEFAULT, TaskRunStatus, TaskTemplate};
use crate::api::{Task, TaskSpec};
use crate::aws::TaskState;
use crate::tenancy::{Rule, Use, named_uses, network_uses};

/// An attempt's result while any of its tasks has not stopped.
pub const RUNNING: &str = "Running";
pub const SUCCEEDED: &str = "Succeeded";
pub const FAILED: &str = "Failed";

/// Reasons a Task fails for.
pub const BACKOFF_LIMIT_EXCEEDED: &str = "BackoffLimitExceeded";
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";

/// The pause after the first failed attempt; it doubles after each further one.
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(10);
/// The longest pause between attempts (a Kubernetes Job's cap too).
const LONGEST_RETRY_DELAY: Duration = Duration::from_secs(360);
/// How often a running attempt is looked at: a quarter of its age, within these bounds,
/// so a short job is seen to finish soon and a long one costs few calls.
const SHORTEST_POLL: Duration = Duration::from_secs(2);
const LONGEST_POLL: Duration = Duration::from_secs(30);

/// What the Task does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Start attempt `attempt` (1 for the first) with RunTask.
    Start {
        attempt: i32,
    },
    /// An attempt runs, or the pause before the next one lasts: look again after `recheck`.
    Wait {
        backing_off: bool,
        recheck: Duration,
    },
    /// The deadline passed while these tasks run: stop them, and the Task has failed.
    StopForDeadline {
        arns: Vec<String>,
    },
    Succeeded,
    Failed {
        reason: &'static str,
        message: String,
    },
}

/// Whether status shows the task as STOPPED.
pub fn stopped(task: &TaskRunStatus) -> bool {
    TaskState::from(task.last_status.as_str()) == TaskState::Stopped
}

/// The ARNs of the attempt's tasks that status does not show STOPPED.
pub fn unstopped(attempt: &AttemptStatus) -> Vec<String> {
    attempt
        .tasks
        .iter()
        .filter(|t| !stopped(t))
        .map(|t| t.arn.clone())
        .collect()
}

/// Tasks each attempt starts.
pub fn count(spec: &TaskSpec) -> i32 {
    spec.template.count.unwrap_or(1)
}

/// Further attempts allowed after a failed one.
pub fn backoff_limit(spec: &TaskSpec) -> i32 {
    spec.backoff_limit.unwrap_or(BACKOFF_LIMIT_DEFAULT)
}

/// The next step for a Task whose attempts (already judged, see `judge`) are `attempts`,
/// first started at `start_time`.
pub fn decide(
    spec: &TaskSpec,
    attempts: &[AttemptStatus],
    start_time: Option<Timestamp>,
    now: Timestamp,
) -> Decision {
    if attempts.iter().any(|a| a.result == SUCCEEDED) {
        return Decision::Succeeded;
    }
    // A deadline past the last representable instant (an object stored without the
    // CRD's bound) is no deadline.
    let deadline = spec
        .active_deadline_seconds
        .zip(start_time)
        .and_then(|(seconds, start)| {
            start
                .checked_add(Duration::from_secs(seconds.unsigned_abs()))
                .ok()
        });
    let last = attempts.last();
    if let Some(deadline) = deadline
        && now >= deadline
    {
        let running: Vec<String> = last
            .filter(|a| a.result == RUNNING)
            .map(unstopped)
            .unwrap_or_default();
        if !running.is_empty() {
            return Decision::StopForDeadline { arns: running };
        }
        return Decision::Failed {
            reason: DEADLINE_EXCEEDED,
            message: format!(
                "activeDeadlineSeconds {} passed before an attempt succeeded",
                spec.active_deadline_seconds.unwrap_or_default()
            ),
        };
    }
    let until_deadline = deadline.map(|d| since(now, d));
    let Some(last) = last else {
        return Decision::Start { attempt: 1 };
    };
    if last.result == RUNNING {
        let poll = running_poll(last, now);
        return Decision::Wait {
            backing_off: false,
            recheck: until_deadline.map_or(poll, |d| poll.min(d)),
        };
    }
    let failed = attempts.iter().filter(|a| a.result == FAILED).count();
    let failed = i32::try_from(failed).unwrap_or(i32::MAX);
    if failed > backoff_limit(spec) {
        return Decision::Failed {
            reason: BACKOFF_LIMIT_EXCEEDED,
            message: format!(
                "{failed} attempts failed, more than backoffLimit {} allows; the last: {}",
                backoff_limit(spec),
                describe_failure(last)
            ),
        };
    }
    let pause = retry_delay(failed);
    let ended = last.ended_at().unwrap_or(now);
    let due = ended + pause;
    if now >= due {
        return Decision::Start {
            attempt: last.attempt + 1,
        };
    }
    let wait = since(now, due);
    Decision::Wait {
        backing_off: true,
        recheck: until_deadline.map_or(wait, |d| wait.min(d)),
    }
}

/// When to look at a running attempt again: a quarter of its age, within bounds.
pub fn running_poll(attempt: &AttemptStatus, now: Timestamp) -> Duration {
    let age = attempt
        .started_at_time()
        .map_or(Duration::ZERO, |t| since(t, now));
    (age / 4).clamp(SHORTEST_POLL, LONGEST_POLL)
}

/// Whether `seconds` from the attempt's start have passed.
pub fn past_deadline(attempt: &AttemptStatus, seconds: i64, now: Timestamp) -> bool {
    attempt
        .started_at_time()
        .and_then(|start| {
            start
                .checked_add(Duration::from_secs(seconds.unsigned_abs()))
                .ok()
        })
        .is_some_and(|deadline| now >= deadline)
}

/// The pause before the attempt after the `failed`-th failure: 10 s, doubling, at most 6 min.
pub fn retry_delay(failed: i32) -> Duration {
    let doublings = u32::try_from(failed.saturating_sub(1)).unwrap_or(0).min(16);
    (FIRST_RETRY_DELAY * 2u32.pow(doublings)).min(LONGEST_RETRY_DELAY)
}

/// The attempt's result from its tasks as ECS reports them: Running while any task has
/// not stopped; Succeeded when all `count` tasks stopped and every essential container
/// of each exited 0 (every container, when the essential ones are not known); else Failed.
pub fn judge(attempt: &AttemptStatus, essentials: &[String], count: i32) -> &'static str {
    if attempt.result != RUNNING {
        return if attempt.result == SUCCEEDED {
            SUCCEEDED
        } else {
            FAILED
        };
    }
    if attempt.tasks.is_empty() {
        return FAILED;
    }
    if !attempt.tasks.iter().all(stopped) {
        return RUNNING;
    }
    let all_started = i32::try_from(attempt.tasks.len()).is_ok_and(|n| n >= count);
    if all_started && attempt.tasks.iter().all(|t| exited_cleanly(t, essentials)) {
        SUCCEEDED
    } else {
        FAILED
    }
}

fn exited_cleanly(task: &TaskRunStatus, essentials: &[String]) -> bool {
    let judged = task
        .containers
        .iter()
        .filter(|c| essentials.is_empty() || essentials.contains(&c.name));
    let mut any = false;
    for container in judged {
        any = true;
        if container.exit_code != Some(0) {
            return false;
        }
    }
    any
}

/// What went wrong in a failed attempt, in one line.
pub fn describe_failure(attempt: &AttemptStatus) -> String {
    let parts = failure_parts(attempt);
    if parts.is_empty() {
        format!("attempt {} failed", attempt.attempt)
    } else {
        format!("attempt {}: {}", attempt.attempt, parts.join("; "))
    }
}

/// What status says went wrong in an attempt, and each task's stop and exit codes.
pub fn failure_parts(attempt: &AttemptStatus) -> Vec<String> {
    let mut parts: Vec<String> = attempt.message.iter().cloned().collect();
    for task in &attempt.tasks {
        let id = task.arn.rsplit('/').next().unwrap_or(&task.arn);
        let codes: Vec<String> = task
            .containers
            .iter()
            .map(|c| match (c.exit_code, &c.reason) {
                (Some(code), _) => format!("{} exited {code}", c.name),
                (None, Some(reason)) => format!("{}: {reason}", c.name),
                (None, None) => format!("{} did not exit", c.name),
            })
            .collect();
        parts.push(format!(
            "task {id} {} ({}): {}",
            task.stop_code.as_deref().unwrap_or("stopped"),
            task.stopped_reason.as_deref().unwrap_or("no reason given"),
            codes.join(", ")
        ));
    }
    parts
}

/// The essential containers' exit codes of the attempt's tasks, task by task (`0`, `3,0`);
/// `-` for a task whose containers did not exit.
pub fn exit_codes(attempt: &AttemptStatus, essentials: &[String]) -> String {
    attempt
        .tasks
        .iter()
        .map(|task| {
            let codes: Vec<String> = task
                .containers
                .iter()
                .filter(|c| essentials.is_empty() || essentials.contains(&c.name))
                .filter_map(|c| c.exit_code.map(|code| code.to_string()))
                .collect();
            if codes.is_empty() {
                "-".to_string()
            } else {
                codes.join("/")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `from` to `to`, or zero when `to` is earlier.
fn since(from: Timestamp, to: Timestamp) -> Duration {
    Duration::try_from(to.duration_since(from)).unwrap_or(Duration::ZERO)
}

/// A duration as `1h2m3s`, leaving out leading zero units.
pub fn human(duration: Duration) -> String {
    let total = duration.as_secs();
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

/// How long from `start` to `end`, as `human` writes it.
pub fn duration_between(start: Timestamp, end: Timestamp) -> String {
    human(since(start, end))
}

trait AttemptTimes {
    fn started_at_time(&self) -> Option<Timestamp>;
    /// When the attempt's last task stopped, else when it started.
    fn ended_at(&self) -> Option<Timestamp>;
}

impl AttemptTimes for AttemptStatus {
    fn started_at_time(&self) -> Option<Timestamp> {
        self.started_at.as_ref().map(|t| t.0)
    }

    fn ended_at(&self) -> Option<Timestamp> {
        self.tasks
            .iter()
            .filter_map(|t| t.stopped_at.as_ref().map(|s| s.0))
            .max()
            .or_else(|| self.started_at_time())
    }
}

/// What the Task names in AWS, for the tenant policy: the cluster and task definition
/// it was given by name, the roles its overrides pass, its subnets and security groups.
pub fn tenant_uses(task: &Task) -> Vec<Use> {
    template_uses(&task.spec.template, "spec")
}

/// What a run's template names that a TenantPolicy may govern, each with its field
/// under `path` (`spec` for a Task, `spec.task` for a ScheduledTask).
pub fn template_uses(template: &TaskTemplate, path: &str) -> Vec<Use> {
    let mut uses = named_uses(
        template
            .cluster
            .as_deref()
            .filter(|_| template.cluster_ref.is_none()),
        template
            .task_definition
            .as_deref()
            .filter(|_| template.task_definition_ref.is_none()),
    );
    if let Some(overrides) = &template.overrides {
        for (field, role) in [
            ("spec.overrides.taskRoleArn", &overrides.task_role_arn),
            (
                "spec.overrides.executionRoleArn",
                &overrides.execution_role_arn,
            ),
        ] {
            if let Some(role) = role {
                uses.push(Use::new(Rule::Role, field, role.clone()));
            }
        }
    }
    if let Some(network) = &template.network_configuration {
        uses.extend(network_uses(network));
    }
    // The helpers name fields from `spec`; the template may sit deeper.
    for used in &mut uses {
        if let Some(rest) = used.field.strip_prefix("spec") {
            used.field = format!("{path}{rest}");
        }
    }
    uses
}
