//! Whether the service runs what the spec asks for: Ready means the rollout finished,
//! not that ECS accepted a call.

use super::plan::revision_key;
use crate::aws::{DeploymentState, EcsDeployment, EcsService, RolloutState};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rollout {
    /// A single PRIMARY deployment of the desired revision completed and every desired task runs.
    Complete(String),
    InProgress(String),
    /// ECS gave up on the desired revision; the message carries ECS's reason.
    Failed(String),
}

/// Judges the deployments of `service` against the desired task definition.
pub fn rollout(service: &EcsService, desired_task_definition: &str) -> Rollout {
    let wanted = revision_key(desired_task_definition);
    let ours = |d: &&EcsDeployment| revision_key(&d.task_definition) == wanted;
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
            "the rollout of {wanted} failed: {reason} Check the service events and the \
             stopped tasks' reasons, then fix the task definition or change spec.redeployToken to retry"
        ));
    }
    if !service.deployments.iter().any(|d| ours(&d))
        && revision_key(&service.task_definition) != wanted
    {
        return Rollout::Failed(format!(
            "ECS runs {} instead of {wanted}: a circuit breaker rolled the rollout back, or the service \
             was changed outside the operator; fix the cause, then change spec.redeployToken or the \
             task definition to roll out again",
            revision_key(&service.task_definition)
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
                    "deployment {} of {wanted} is {}; {counts}",
                    primary.id,
                    primary
                        .rollout_state
                        .as_ref()
                        .map_or("starting tasks", RolloutState::as_str)
                ))
            }
        }
        [primary] if ours(primary) => Rollout::InProgress(format!(
            "rolling out {wanted}: {} older deployment(s) still draining; {counts}",
            service.deployments.len() - 1
        )),
        _ => Rollout::InProgress(format!(
            "waiting for ECS to start a deployment of {wanted}; {counts}"
        )),
    }
}
