//! Whether the service runs what the spec asks for: Ready means the rollout finished,
//! not that ECS accepted a call. When a rollout fails, or its tasks keep stopping, the
//! message says why, from what ECS said of the stopped tasks.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use super::deployer;
use super::plan::revision_key;
use crate::api::common::whole_seconds;
use crate::api::service::{FailedRollout, StoppedContainer, StoppedTask};
use crate::aws::{
    DeploymentState, EcsDeployment, EcsService, EcsTask, RolloutState, StabilityStatus,
    TaskSetState,
};
use crate::reconcile::CONVERGE_POLL;

/// How many stopped tasks a failure keeps.
pub const STOPPED_TASKS_KEPT: usize = 3;

/// The longest wait between two looks at a rollout ECS is not moving.
pub const MAX_POLL: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rollout {
    /// A single PRIMARY deployment of the desired revision completed and every desired task runs.
    Complete(String),
    InProgress(String),
    /// ECS gave up on the desired revision; the message carries ECS's reason.
    Failed(String),
    /// CODE_DEPLOY or an external deployer runs the rollouts, and has not deployed the
    /// desired revision yet.
    AwaitingDeployer(String),
}

/// Judges the deployments of `service` against the desired task definition. `failure`
/// is what was recorded of a failing deployment of it, if any.
pub fn rollout(
    service: &EcsService,
    desired_task_definition: &str,
    failure: Option<&FailedRollout>,
) -> Rollout {
    if deployer::runs_rollouts(service) {
        return by_task_sets(service, desired_task_definition);
    }
    let wanted = revision_key(desired_task_definition);
    let ours = |d: &&EcsDeployment| revision_key(&d.task_definition) == wanted;
    let tasks = failure.map(stopped_tasks_summary).unwrap_or_default();
    if let Some(failed) = service
        .deployments
        .iter()
        .filter(ours)
        .find(|d| d.rollout_state == Some(RolloutState::Failed))
    {
        let reason = failed
            .rollout_state_reason
            .as_deref()
            .unwrap_or("no reason given");
        return Rollout::Failed(format!(
            "the rollout of {wanted} failed: {reason}{tasks} Check the service events and \
             status.failedRollout, then fix the task definition or change spec.redeployToken to retry"
        ));
    }
    let running = revision_key(&service.task_definition);
    if !service.deployments.iter().any(|d| ours(&d)) && running != wanted {
        if let Some(failure) = failure.filter(|f| revision_key(&f.task_definition) == wanted) {
            let reason = failure
                .reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_else(|| ".".to_string());
            return Rollout::Failed(format!(
                "the rollout of {wanted} failed and ECS rolled back to {running}{reason}{tasks} \
                 Fix the task definition, then change spec.redeployToken or the task definition \
                 to roll out again"
            ));
        }
        return Rollout::Failed(format!(
            "ECS runs {running} instead of {wanted}: a circuit breaker rolled the rollout back, or \
             the service was changed outside the operator; fix the cause, then change \
             spec.redeployToken or the task definition to roll out again"
        ));
    }
    let primaries: Vec<&EcsDeployment> = service
        .deployments
        .iter()
        .filter(|d| d.status == DeploymentState::Primary)
        .collect();
    let counts = format!(
        "{}/{} tasks running",
        service.running_count, service.desired_count
    );
    match primaries.as_slice() {
        [primary] if service.deployments.len() == 1 && ours(primary) => {
            // Deployments run by CODE_DEPLOY or EXTERNAL controllers carry no rolloutState.
            let done = primary
                .rollout_state
                .as_ref()
                .is_none_or(|s| *s == RolloutState::Completed);
            if done && service.running_count == service.desired_count {
                Rollout::Complete(format!("{wanted} rolled out; {counts}"))
            } else {
                Rollout::InProgress(format!(
                    "deployment {} of {wanted} is {}; {counts}{}",
                    primary.id,
                    primary
                        .rollout_state
                        .as_ref()
                        .map_or("starting tasks", RolloutState::as_str),
                    failing_tasks(primary, failure)
                ))
            }
        }
        [primary] if ours(primary) => Rollout::InProgress(format!(
            "rolling out {wanted}: {} older deployment(s) still draining; {counts}{}",
            service.deployments.len() - 1,
            failing_tasks(primary, failure)
        )),
        _ => Rollout::InProgress(format!(
            "waiting for ECS to start a deployment of {wanted}; {counts}"
        )),
    }
}

/// Ready once a single PRIMARY task set runs the desired revision in steady state with
/// every task it should run; otherwise waiting for the deployer, which the operator
/// cannot move along.
fn by_task_sets(service: &EcsService, desired_task_definition: &str) -> Rollout {
    let wanted = revision_key(desired_task_definition);
    let controller = deployer::controller(&service.settings);
    let primary = service
        .task_sets
        .iter()
        .find(|t| t.status == TaskSetState::Primary);
    let Some(primary) = primary else {
        return Rollout::AwaitingDeployer(format!(
            "{controller} owns the rollouts of this service and it has no primary task set \
             yet: deploy {wanted} with it (status.deployer)"
        ));
    };
    let counts = format!(
        "{}/{} tasks running",
        primary.running_count, primary.computed_desired_count
    );
    let running = revision_key(&primary.task_definition);
    if running != wanted {
        return Rollout::AwaitingDeployer(format!(
            "{controller} owns the rollouts of this service: its primary task set runs \
             {running}; deploy {wanted} with {controller} (status.deployer), or set \
             spec.deploymentController to ECS; {counts}"
        ));
    }
    if service.task_sets.len() > 1 {
        return Rollout::AwaitingDeployer(format!(
            "{controller} is deploying {wanted}: {} task sets; {counts}",
            service.task_sets.len()
        ));
    }
    if primary.stability_status != StabilityStatus::SteadyState
        || primary.running_count != primary.computed_desired_count
    {
        return Rollout::AwaitingDeployer(format!(
            "the primary task set of {wanted} is {}; {counts}",
            primary.stability_status
        ));
    }
    Rollout::Complete(format!("{controller} deployed {wanted}; {counts}"))
}

/// What paces the looks at a rollout in flight: the time, and how long deployments in
/// this region usually take to complete (None until one did).
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    pub now: Timestamp,
    pub typical: Option<Duration>,
}

/// The soonest look at a new deployment.
pub const FIRST_LOOK_MIN: Duration = Duration::from_secs(1);

/// How soon to look again at a rollout in flight. Where deployments usually take less
/// than `CONVERGE_POLL`, a new one is looked at once when it should have ended (but not
/// before `FIRST_LOOK_MIN` after its creation). Otherwise every `CONVERGE_POLL` while
/// ECS moves, and, while it does not, half the time since a deployment last changed
/// (its updatedAt), up to `MAX_POLL`. A rollout waiting minutes on a deregistration
/// delay or a health check grace period costs a few describes, not one every poll.
pub fn poll_interval(service: &EcsService, pacing: Pacing) -> Duration {
    let since =
        |at: Timestamp| Duration::try_from(pacing.now.duration_since(at)).unwrap_or_default();
    let newest = service
        .deployments
        .iter()
        .filter(|d| d.status == DeploymentState::Primary)
        .filter_map(|d| d.created_at)
        .max();
    if let (Some(typical), Some(created)) = (pacing.typical, newest)
        && typical < CONVERGE_POLL
    {
        let first = typical.max(FIRST_LOOK_MIN);
        if since(created) < first {
            return first - since(created);
        }
    }
    let Some(moved) = service
        .deployments
        .iter()
        .filter_map(|d| d.updated_at)
        .max()
    else {
        return CONVERGE_POLL;
    };
    (since(moved) / 2).clamp(CONVERGE_POLL, MAX_POLL)
}

/// How long the deployment that just completed took, from its createdAt to its
/// updatedAt: None unless the service's rollout is complete with one deployment that
/// has both.
pub fn completed_in(service: &EcsService) -> Option<Duration> {
    let [only] = service.deployments.as_slice() else {
        return None;
    };
    if only.rollout_state != Some(RolloutState::Completed) {
        return None;
    }
    let took = only.updated_at?.duration_since(only.created_at?);
    Duration::try_from(took).ok()
}

/// The deployment of the desired revision whose tasks fail: FAILED, or still rolling
/// out with failed tasks. Its stopped tasks say why.
pub fn failing_deployment<'a>(
    service: &'a EcsService,
    desired_task_definition: &str,
) -> Option<&'a EcsDeployment> {
    let wanted = revision_key(desired_task_definition);
    service
        .deployments
        .iter()
        .filter(|d| revision_key(&d.task_definition) == wanted)
        .find(|d| {
            d.rollout_state == Some(RolloutState::Failed)
                || (d.status == DeploymentState::Primary && d.failed_tasks > 0)
        })
}

/// What to record of a failing rollout this pass, before any AWS call.
#[derive(Debug, PartialEq)]
pub enum FailureRecord {
    /// A deployment not read yet: read its stopped tasks (once). After a rollback that
    /// was not seen while it ran, only its revision is known and the id is empty.
    Read(EcsDeployment),
    /// Nothing to read; keep this (None: nothing to report).
    Keep(Option<FailedRollout>),
}

/// Whether `service`'s failing deployment of the desired revision still has to be read,
/// or what is already `recorded` of it. A record is kept while the revision stays
/// desired (so the reason survives the rollback that removes the failed deployment).
pub fn failure_record(
    service: &EcsService,
    desired_task_definition: &str,
    recorded: Option<&FailedRollout>,
) -> FailureRecord {
    let wanted = revision_key(desired_task_definition);
    let recorded = recorded.filter(|f| revision_key(&f.task_definition) == wanted);
    match (
        failing_deployment(service, desired_task_definition),
        recorded,
    ) {
        (Some(deployment), Some(known)) if known.deployment_id == deployment.id => {
            FailureRecord::Keep(Some(FailedRollout {
                reason: failure_reason(deployment).or_else(|| known.reason.clone()),
                ..known.clone()
            }))
        }
        (Some(deployment), _) => FailureRecord::Read(deployment.clone()),
        (None, Some(known)) => FailureRecord::Keep(Some(known.clone())),
        // Rolled back, or changed outside the operator, before a pass saw it fail.
        (None, None)
            if revision_key(&service.task_definition) != wanted
                && !service
                    .deployments
                    .iter()
                    .any(|d| revision_key(&d.task_definition) == wanted) =>
        {
            FailureRecord::Read(EcsDeployment {
                task_definition: desired_task_definition.to_string(),
                ..Default::default()
            })
        }
        (None, None) => FailureRecord::Keep(None),
    }
}

/// The record of `deployment` from the service's stopped tasks (any order, any
/// deployment): its own, newest first, at most `STOPPED_TASKS_KEPT`. A deployment known
/// only by its revision (empty id) takes the tasks of that revision, and its id from them.
pub fn failed_rollout(deployment: &EcsDeployment, stopped: &[EcsTask]) -> FailedRollout {
    let wanted = revision_key(&deployment.task_definition);
    let mut own: Vec<&EcsTask> = stopped
        .iter()
        .filter(|t| match &t.started_by {
            Some(by) if !deployment.id.is_empty() => *by == deployment.id,
            _ => revision_key(&t.task_definition) == wanted,
        })
        .filter(|t| !scaled_in(t))
        .collect();
    own.sort_by_key(|t| std::cmp::Reverse(t.stopped_at));
    let deployment_id = match own.first().and_then(|t| t.started_by.as_ref()) {
        Some(by) if deployment.id.is_empty() => by.clone(),
        _ => deployment.id.clone(),
    };
    FailedRollout {
        deployment_id,
        task_definition: deployment.task_definition.clone(),
        reason: failure_reason(deployment),
        stopped_tasks: own
            .into_iter()
            .take(STOPPED_TASKS_KEPT)
            .map(stopped_task)
            .collect(),
    }
}

/// A task the service scheduler stopped because it needed fewer (a scale-in, or a
/// rollback draining the new revision): stopCode ServiceSchedulerInitiated with ECS's
/// "Scaling activity initiated by" reason (ECS Developer Guide, "Amazon ECS stopped task
/// error codes"). It did not fail, so it explains nothing. A task failing its load
/// balancer health checks carries the same stopCode with another reason, and stays.
fn scaled_in(task: &EcsTask) -> bool {
    task.stop_code.as_deref() == Some("ServiceSchedulerInitiated")
        && task
            .stopped_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("Scaling activity initiated by"))
}

/// ECS's reason once the deployment FAILED; while it rolls out, its reason says only that.
fn failure_reason(deployment: &EcsDeployment) -> Option<String> {
    (deployment.rollout_state == Some(RolloutState::Failed))
        .then(|| deployment.rollout_state_reason.clone())
        .flatten()
}

fn stopped_task(task: &EcsTask) -> StoppedTask {
    StoppedTask {
        arn: task.arn.clone(),
        stop_code: task.stop_code.clone(),
        stopped_reason: task.stopped_reason.clone(),
        stopped_at: task.stopped_at.map(whole_seconds),
        containers: task
            .containers
            .iter()
            .filter(|c| c.exit_code.is_some() || c.reason.is_some())
            .map(|c| StoppedContainer {
                name: c.name.clone(),
                exit_code: c.exit_code,
                reason: c.reason.clone(),
            })
            .collect(),
    }
}

/// " N task(s) failed; <the newest stopped task>." for a rolling-out deployment with
/// failed tasks, else nothing.
fn failing_tasks(primary: &EcsDeployment, failure: Option<&FailedRollout>) -> String {
    if primary.failed_tasks == 0 {
        return String::new();
    }
    let tasks = failure
        .filter(|f| f.deployment_id == primary.id)
        .map(stopped_tasks_summary)
        .unwrap_or_default();
    format!("; {} task(s) failed.{tasks}", primary.failed_tasks)
}

/// " Stopped task <id>: <code>: <reason>; container <name> exited with code <n>." for
/// the newest stopped task, which `kubectl describe` shows in the condition message.
pub fn stopped_tasks_summary(failure: &FailedRollout) -> String {
    let Some(task) = failure.stopped_tasks.first() else {
        return String::new();
    };
    let id = task.arn.rsplit('/').next().unwrap_or(&task.arn);
    let mut said = vec![format!("Stopped task {id}")];
    said.extend(task.stop_code.clone());
    said.extend(task.stopped_reason.clone());
    let mut text = said.join(": ");
    for container in &task.containers {
        match (container.exit_code, &container.reason) {
            (Some(code), _) => {
                text.push_str(&format!(
                    "; container {} exited with code {code}",
                    container.name
                ));
            }
            (None, Some(reason)) if task.stopped_reason.as_ref() != Some(reason) => {
                text.push_str(&format!("; container {}: {reason}", container.name));
            }
            (None, _) => {}
        }
    }
    format!(" {text}.")
}
