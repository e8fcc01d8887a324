//! Service deployments in the fake ECS: every deployment it starts has one, and a
//! BLUE_GREEN, LINEAR or CANARY one walks its lifecycle stages one `advance` at a time
//! (ECS Developer Guide, "Amazon ECS blue/green service deployments workflow"), held by
//! a PAUSE hook until ContinueServiceDeployment ("Lifecycle hooks for Amazon ECS service
//! deployments"). AWS_LAMBDA hooks succeed at once. Hook timeouts are not modelled: the
//! fake has no clock (the emulator has).

use super::State;
use crate::api::service::DeploymentLifecycleHook;
use crate::aws::{
    AwsError, DeploymentRollback, DeploymentState, DeploymentStopType, EcsService,
    EcsServiceDeployment, ErrorKind, HookAction, HookDetail, HookStatus, RevisionSummary,
    RolloutState, ServiceDeploymentState,
};

// LINEAR and CANARY walk the blue/green stages; their traffic steps are not modelled
// in the fake.
use crate::aws::LIFECYCLE_STAGES as STAGES;

/// One service deployment and what the fake needs to move it on.
pub struct Tracked {
    pub deployment: EcsServiceDeployment,
    service_arn: String,
    hooks: Vec<DeploymentLifecycleHook>,
    /// The task definition the source revision ran, to roll back to.
    source_task_definition: Option<String>,
}

/// Whether the service's deployments walk lifecycle stages (any strategy but ROLLING).
pub fn staged(service: &EcsService) -> bool {
    service
        .settings
        .deployment_configuration
        .as_ref()
        .and_then(|d| d.strategy.as_deref())
        .is_some_and(|s| s != "ROLLING")
}

/// Records the deployment `service` just started (its PRIMARY) as a service deployment,
/// the one before it STOPPED if still in flight, and points the service at it.
pub fn started(state: &mut State, service_index: usize, source_task_definition: Option<String>) {
    let service = &state.services[service_index];
    let number = state.service_deployments.len() + 1;
    let name = service.arn.rsplit('/').next().unwrap_or_default();
    let cluster = service.cluster_arn.rsplit('/').next().unwrap_or_default();
    let arn = format!(
        "arn:aws:ecs:{}:{}:service-deployment/{cluster}/{name}/sd{number}",
        super::REGION,
        super::ACCOUNT
    );
    let revision = |n: usize| RevisionSummary {
        arn: format!(
            "arn:aws:ecs:{}:{}:service-revision/{cluster}/{name}/{n}",
            super::REGION,
            super::ACCOUNT
        ),
        requested_task_count: service.desired_count,
        ..Default::default()
    };
    let staged = staged(service);
    let configuration = service.settings.deployment_configuration.as_ref();
    let hooks = configuration
        .map(|d| d.lifecycle_hooks.clone())
        .unwrap_or_default();
    let bake_time_in_minutes = configuration.and_then(|d| d.bake_time_in_minutes);
    let previous_revision = state
        .service_deployments
        .iter()
        .rev()
        .find(|t| t.service_arn == service.arn)
        .and_then(|t| t.deployment.target.clone());
    let service_arn = service.arn.clone();
    for earlier in state
        .service_deployments
        .iter_mut()
        .filter(|t| t.service_arn == service_arn && !t.deployment.finished())
    {
        earlier.deployment.status = ServiceDeploymentState::Stopped;
    }
    let deployment = EcsServiceDeployment {
        arn: arn.clone(),
        status: ServiceDeploymentState::InProgress,
        lifecycle_stage: staged.then(|| STAGES[0].to_string()),
        target: Some(revision(number)),
        sources: previous_revision.into_iter().collect(),
        bake_time_in_minutes,
        ..Default::default()
    };
    state.services[service_index].current_service_deployment = Some(arn);
    let mut tracked = Tracked {
        deployment,
        service_arn,
        hooks,
        source_task_definition,
    };
    if staged {
        enter_stage(&mut tracked, 0);
    }
    state.service_deployments.push(tracked);
}

/// Whether a hook for `hook_stage` runs in the reported stage `stage`: ECS reports no
/// PRE_PRODUCTION_TRAFFIC_SHIFT stage, its hooks run as production traffic shifts
/// (ECS API Reference, ServiceDeployment lifecycleStage and DeploymentLifecycleHook).
fn runs_at(hook_stage: &str, stage: &str) -> bool {
    hook_stage == stage
        || (hook_stage == "PRE_PRODUCTION_TRAFFIC_SHIFT" && stage == "PRODUCTION_TRAFFIC_SHIFT")
}

/// The hooks of stage `index` start: PAUSE ones wait, AWS_LAMBDA ones succeed.
fn enter_stage(tracked: &mut Tracked, index: usize) {
    let stage = STAGES[index];
    tracked.deployment.lifecycle_stage = Some(stage.to_string());
    tracked.deployment.hooks = tracked
        .hooks
        .iter()
        .enumerate()
        .filter(|(_, h)| h.lifecycle_stages.iter().any(|s| runs_at(s, stage)))
        .map(|(n, h)| {
            let pause = h.target_type.as_deref() == Some("PAUSE");
            HookDetail {
                hook_id: format!("hook-{n}-{stage}"),
                target_type: Some(h.target_type.clone().unwrap_or("AWS_LAMBDA".into())),
                target_arn: h.hook_target_arn.clone(),
                status: if pause {
                    HookStatus::AwaitingAction
                } else {
                    HookStatus::Succeeded
                },
                timeout_action: h
                    .timeout_configuration
                    .as_ref()
                    .and_then(|t| t.action.as_deref())
                    .map(HookAction::from),
                ..Default::default()
            }
        })
        .collect();
}

/// One step for each service deployment in flight: a staged one enters its next stage
/// unless a hook holds it, and succeeds past the last; a rolling one follows its
/// service's deployments (run after the services have progressed).
pub fn advance(state: &mut State) {
    for tracked in &mut state.service_deployments {
        let Some(service) = state
            .services
            .iter_mut()
            .find(|s| s.arn == tracked.service_arn)
        else {
            continue;
        };
        match tracked.deployment.status {
            ServiceDeploymentState::InProgress | ServiceDeploymentState::RollbackInProgress
                if !staged(service) =>
            {
                follow_rolling(tracked, service);
            }
            ServiceDeploymentState::RollbackRequested
            | ServiceDeploymentState::RollbackInProgress => roll_back(tracked, service),
            ServiceDeploymentState::InProgress => {
                let held = tracked
                    .deployment
                    .hooks
                    .iter()
                    .any(|h| h.status == HookStatus::AwaitingAction);
                if held {
                    continue;
                }
                let at = tracked
                    .deployment
                    .lifecycle_stage
                    .as_deref()
                    .and_then(|s| STAGES.iter().position(|x| *x == s))
                    .unwrap_or(0);
                match STAGES.get(at + 1) {
                    Some(_) => enter_stage(tracked, at + 1),
                    None => succeed(tracked, service),
                }
            }
            _ => {}
        }
    }
}

/// A rolling service deployment ends with its deployment: SUCCESSFUL when it completes,
/// ROLLBACK_SUCCESSFUL when the circuit breaker's rollback completes, STOPPED when it
/// failed without one (ECS Developer Guide, "View service history using Amazon ECS
/// service deployments").
fn follow_rolling(tracked: &mut Tracked, service: &EcsService) {
    let failed = service
        .deployments
        .iter()
        .any(|d| d.rollout_state == Some(RolloutState::Failed));
    let primary = service
        .deployments
        .iter()
        .find(|d| d.status == DeploymentState::Primary)
        .and_then(|d| d.rollout_state.clone());
    tracked.deployment.status = match (failed, primary) {
        (false, Some(RolloutState::Completed)) => ServiceDeploymentState::Successful,
        (true, Some(RolloutState::Completed)) => ServiceDeploymentState::RollbackSuccessful,
        (true, Some(RolloutState::Failed)) => ServiceDeploymentState::Stopped,
        (true, _) => ServiceDeploymentState::RollbackInProgress,
        _ => return,
    };
}

/// Whether the staged deployment of `service` still holds its rolling deployment open.
pub fn holds(state: &State, service: &EcsService) -> bool {
    staged(service)
        && state.service_deployments.iter().any(|t| {
            t.service_arn == service.arn
                && t.deployment.status == ServiceDeploymentState::InProgress
        })
}

fn succeed(tracked: &mut Tracked, service: &mut EcsService) {
    tracked.deployment.status = ServiceDeploymentState::Successful;
    tracked.deployment.hooks.clear();
    if let Some(target) = &mut tracked.deployment.target {
        target.running_task_count = service.desired_count;
    }
}

/// Production goes back to the source revision: the service runs its task definition
/// again (ECS Developer Guide, "Stopping Amazon ECS service deployments").
fn roll_back(tracked: &mut Tracked, service: &mut EcsService) {
    let Some(previous) = tracked.source_task_definition.clone() else {
        tracked.deployment.status = ServiceDeploymentState::RollbackFailed;
        return;
    };
    tracked.deployment.status = ServiceDeploymentState::RollbackSuccessful;
    tracked.deployment.hooks.clear();
    service
        .deployments
        .retain(|d| d.task_definition == previous);
    for d in &mut service.deployments {
        d.status = DeploymentState::Primary;
        d.rollout_state = Some(RolloutState::Completed);
    }
    service.task_definition = previous;
}

fn start_rollback(tracked: &mut Tracked, reason: &str) {
    tracked.deployment.status = ServiceDeploymentState::RollbackRequested;
    tracked.deployment.rollback = Some(DeploymentRollback {
        reason: Some(reason.to_string()),
        service_revision_arn: tracked.deployment.sources.first().map(|s| s.arn.clone()),
        ..Default::default()
    });
}

fn not_found(action: &'static str, arn: &str) -> AwsError {
    AwsError::new(
        ErrorKind::NotFound,
        action,
        "ServiceDeploymentNotFoundException",
        format!("The service deployment {arn} does not exist."),
    )
}

/// StopServiceDeployment says ConflictException; ContinueServiceDeployment has no such
/// error and refuses a hook that does not wait with InvalidParameterException (ECS API
/// Reference, the two actions' Errors).
fn refused(action: &'static str, code: &str, message: String) -> AwsError {
    AwsError::new(ErrorKind::InvalidInput, action, code, &message)
}

pub fn describe(state: &State, arn: &str) -> Option<EcsServiceDeployment> {
    state
        .service_deployments
        .iter()
        .find(|t| t.deployment.arn == arn)
        .map(|t| t.deployment.clone())
}

/// ContinueServiceDeployment: only a hook that is AWAITING_ACTION can be acted on.
pub fn continue_at(
    state: &mut State,
    arn: &str,
    hook_id: &str,
    action: &HookAction,
) -> Result<(), AwsError> {
    const ACTION: &str = "ecs:ContinueServiceDeployment";
    let tracked = state
        .service_deployments
        .iter_mut()
        .find(|t| t.deployment.arn == arn)
        .ok_or_else(|| not_found(ACTION, arn))?;
    let hook = tracked
        .deployment
        .hooks
        .iter_mut()
        .find(|h| h.hook_id == hook_id && h.status == HookStatus::AwaitingAction)
        .ok_or_else(|| {
            refused(
                ACTION,
                "InvalidParameterException",
                format!("The lifecycle hook {hook_id} of {arn} is not awaiting action."),
            )
        })?;
    hook.status = HookStatus::Succeeded;
    if *action == HookAction::Rollback {
        start_rollback(tracked, "Rolled back by ContinueServiceDeployment.");
    }
    Ok(())
}

/// StopServiceDeployment of a deployment in flight: it rolls back.
pub fn stop(state: &mut State, arn: &str, stop_type: &DeploymentStopType) -> Result<(), AwsError> {
    const ACTION: &str = "ecs:StopServiceDeployment";
    let tracked = state
        .service_deployments
        .iter_mut()
        .find(|t| t.deployment.arn == arn)
        .ok_or_else(|| not_found(ACTION, arn))?;
    if tracked.deployment.finished() {
        return Err(refused(
            ACTION,
            "ConflictException",
            format!("The service deployment {arn} is not in progress."),
        ));
    }
    // The API reference lists ROLLBACK as the only valid stopType, though the enum has ABORT.
    if *stop_type != DeploymentStopType::Rollback {
        return Err(refused(
            ACTION,
            "InvalidParameterException",
            format!("stopType {stop_type} is not supported: the valid value is ROLLBACK."),
        ));
    }
    start_rollback(tracked, "Stopped by StopServiceDeployment.");
    Ok(())
}
