//! Following a BLUE_GREEN, LINEAR or CANARY rollout stage by stage through its ECS
//! service deployment, pure. DescribeServices names the current one
//! (`currentServiceDeployment`); it is read only while in flight, so a Service between
//! deployments costs no more than a rolling one. ROLLING keeps its judgement from
//! DescribeServices' `deployments` alone.

use std::sync::Arc;

use kube::ResourceExt;

use super::plan::revision_key;
use crate::api::RolloutApproval;
use crate::api::common::whole_seconds;
use crate::api::rollout_approval::ApprovalAction;
use crate::api::service::{
    LifecycleHookStatus, ROLLOUT_LIST_MAX, RevisionStatus, RollbackStatus, RolloutStatus,
    TRIGGERED_ALARMS_MAX,
};
use crate::aws::{
    EcsService, EcsServiceDeployment, HookAction, HookStatus, RevisionSummary,
    ServiceDeploymentState,
};

/// The deployment strategy ECS runs the service with, unless it is ROLLING.
pub fn staged_strategy(live: &EcsService) -> Option<&str> {
    live.settings
        .deployment_configuration
        .as_ref()
        .and_then(|d| d.strategy.as_deref())
        .filter(|s| *s != "ROLLING")
}

/// What status.rollout needs this pass.
#[derive(Debug, PartialEq)]
pub enum Look<'a> {
    /// A rolling service, or none reported: no service deployment to follow.
    None,
    /// The current deployment is recorded as finished: nothing to read.
    Keep,
    /// Read this deployment: it is in flight, or not recorded yet.
    Read(&'a str),
}

/// Whether to read the service's current deployment, given what status `recorded`.
pub fn look<'a>(live: &'a EcsService, recorded: Option<&RolloutStatus>) -> Look<'a> {
    let (Some(_), Some(current)) = (
        staged_strategy(live),
        live.current_service_deployment.as_deref(),
    ) else {
        return Look::None;
    };
    match recorded {
        Some(r)
            if r.service_deployment_arn == current
                && ServiceDeploymentState::from(r.status.as_str()).is_final() =>
        {
            Look::Keep
        }
        _ => Look::Read(current),
    }
}

/// status.rollout from what ECS reported of the deployment.
pub fn recorded(deployment: &EcsServiceDeployment, strategy: Option<&str>) -> RolloutStatus {
    RolloutStatus {
        service_deployment_arn: deployment.arn.clone(),
        strategy: strategy.map(str::to_string),
        status: deployment.status.as_str().to_string(),
        status_reason: deployment.status_reason.clone(),
        stage: deployment.lifecycle_stage.clone(),
        target_revision: deployment.target.as_ref().map(revision),
        source_revisions: deployment
            .sources
            .iter()
            .take(ROLLOUT_LIST_MAX)
            .map(revision)
            .collect(),
        hooks: deployment
            .hooks
            .iter()
            .take(ROLLOUT_LIST_MAX)
            .map(|h| LifecycleHookStatus {
                hook_id: h.hook_id.clone(),
                target_type: h.target_type.clone(),
                target_arn: h.target_arn.clone(),
                status: h.status.as_str().to_string(),
                expires_at: h.expires_at.map(whole_seconds),
                timeout_action: h.timeout_action.as_ref().map(|a| a.as_str().to_string()),
            })
            .collect(),
        rollback: deployment.rollback.as_ref().map(|r| RollbackStatus {
            reason: r.reason.clone(),
            started_at: r.started_at.map(whole_seconds),
            service_revision_arn: r.service_revision_arn.clone(),
        }),
        started_at: deployment.started_at.map(whole_seconds),
        updated_at: deployment.updated_at.map(whole_seconds),
        finished_at: deployment.finished_at.map(whole_seconds),
        bake_time_in_minutes: deployment.bake_time_in_minutes,
        triggered_alarms: deployment
            .triggered_alarms
            .iter()
            .take(TRIGGERED_ALARMS_MAX)
            .cloned()
            .collect(),
    }
}

fn revision(summary: &RevisionSummary) -> RevisionStatus {
    RevisionStatus {
        arn: summary.arn.clone(),
        requested_task_count: summary.requested_task_count,
        running_task_count: summary.running_task_count,
        pending_task_count: summary.pending_task_count,
        test_traffic_weight: summary.test_traffic_weight,
        production_traffic_weight: summary.production_traffic_weight,
    }
}

/// Where a staged rollout stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// ECS reports it SUCCESSFUL (the bake is over): the service's deployments decide.
    Succeeded,
    /// Still in flight; the reason names the phase.
    InFlight {
        reason: &'static str,
        message: String,
        /// A PAUSE hook holds it: only a person (or the hook's timeout) moves it on.
        paused: bool,
    },
    /// ECS rolled it back, or stopped it: the desired revision does not serve.
    Ended {
        reason: &'static str,
        message: String,
    },
}

pub const ROLLOUT_PAUSED: &str = "RolloutPaused";
pub const ROLLOUT_BAKING: &str = "RolloutBaking";
pub const SHIFTING_TRAFFIC: &str = "ShiftingTraffic";
pub const ROLLOUT_IN_PROGRESS: &str = "RolloutInProgress";
pub const ROLLED_BACK: &str = "RolledBack";
pub const DEPLOYMENT_FAILED: &str = "DeploymentFailed";

/// Judges the recorded deployment of `desired_task_definition`. The messages hold no
/// clock reading, so status is written when ECS moves, not at every look.
pub fn judge(rollout: &RolloutStatus, desired_task_definition: &str) -> Stage {
    let wanted = revision_key(desired_task_definition);
    let what = format!(
        "the {} deployment {} of {wanted}",
        rollout.strategy.as_deref().unwrap_or("ECS"),
        short(&rollout.service_deployment_arn)
    );
    let stage = rollout.stage.as_deref().unwrap_or("its first stage");
    let reason = |fallback: &str| {
        rollout
            .status_reason
            .clone()
            .or_else(|| rollout.rollback.as_ref().and_then(|r| r.reason.clone()))
            .unwrap_or_else(|| fallback.to_string())
            .trim_end_matches('.')
            .to_string()
    };
    let alarms = if rollout.triggered_alarms.is_empty() {
        String::new()
    } else {
        format!(
            " (alarms in ALARM: {})",
            rollout.triggered_alarms.join(", ")
        )
    };
    match ServiceDeploymentState::from(rollout.status.as_str()) {
        ServiceDeploymentState::Successful => Stage::Succeeded,
        ServiceDeploymentState::RollbackSuccessful => Stage::Ended {
            reason: ROLLED_BACK,
            message: format!(
                "ECS rolled back {what} at {stage}: {}{alarms}. Fix the cause, then change the \
                 task definition or spec.redeployToken to roll out again",
                reason("no reason given")
            ),
        },
        ServiceDeploymentState::RollbackFailed => Stage::Ended {
            reason: DEPLOYMENT_FAILED,
            message: format!(
                "{what} failed and so did its rollback: {}. Check the service events and \
                 status.rollout",
                reason("no reason given")
            ),
        },
        ServiceDeploymentState::Stopped => Stage::Ended {
            reason: DEPLOYMENT_FAILED,
            message: format!(
                "{what} was stopped at {stage}: {}. Change the task definition or \
                 spec.redeployToken to roll out again",
                reason("StopServiceDeployment was called")
            ),
        },
        ServiceDeploymentState::RollbackRequested
        | ServiceDeploymentState::RollbackInProgress
        | ServiceDeploymentState::StopRequested => Stage::InFlight {
            reason: ROLLOUT_IN_PROGRESS,
            message: format!(
                "ECS is rolling back {what} from {stage}: {}",
                reason("a rollback was asked for")
            ),
            paused: false,
        },
        ServiceDeploymentState::Pending | ServiceDeploymentState::InProgress => {
            in_flight(rollout, &what, stage)
        }
        // A status newer than this operator: keep looking rather than guess.
        ServiceDeploymentState::Other(status) => Stage::InFlight {
            reason: ROLLOUT_IN_PROGRESS,
            message: format!("{what} is {status} at {stage}"),
            paused: false,
        },
    }
}

fn in_flight(rollout: &RolloutStatus, what: &str, stage: &str) -> Stage {
    if let Some(hook) = rollout
        .hooks
        .iter()
        .find(|h| HookStatus::from(h.status.as_str()) == HookStatus::AwaitingAction)
    {
        let since = rollout
            .updated_at
            .as_ref()
            .map(|t| format!(" since {}", t.0))
            .unwrap_or_default();
        let timeout = match (&hook.expires_at, hook.timeout_action.as_deref()) {
            (Some(at), Some(action)) => {
                format!("; ECS takes action {action} at {} if nobody acts", at.0)
            }
            _ => String::new(),
        };
        return Stage::InFlight {
            reason: ROLLOUT_PAUSED,
            message: format!(
                "{what} is paused at {stage}: hook {} awaits approval{since}{timeout}. \
                 Continue or roll back with a RolloutApproval naming \
                 status.rollout.serviceDeploymentArn and the hook",
                hook.hook_id
            ),
            paused: true,
        };
    }
    let traffic = rollout
        .target_revision
        .as_ref()
        .and_then(|t| t.production_traffic_weight)
        .map(|w| format!("; {w}% of production traffic on the new revision"))
        .unwrap_or_default();
    let baking = match (rollout.bake_time_in_minutes, &rollout.updated_at) {
        (Some(minutes), Some(since)) => format!(
            "baking: both revisions run for {minutes} minute(s) after production moved (stage \
             since {})",
            since.0
        ),
        _ => "baking: both revisions run until the bake time ends".to_string(),
    };
    let (reason, doing) = match stage {
        "BAKE_TIME" => (ROLLOUT_BAKING, baking.as_str()),
        "TEST_TRAFFIC_SHIFT" | "PRODUCTION_TRAFFIC_SHIFT" => (SHIFTING_TRAFFIC, "shifting traffic"),
        _ => (ROLLOUT_IN_PROGRESS, "in progress"),
    };
    let counts = rollout
        .target_revision
        .as_ref()
        .map(|t| {
            format!(
                " ({}/{} new tasks running)",
                t.running_task_count, t.requested_task_count
            )
        })
        .unwrap_or_default();
    Stage::InFlight {
        reason,
        message: format!("{what} is {doing} at {stage}{counts}{traffic}"),
        paused: false,
    }
}

/// The last part of an ARN, for messages.
fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// A RolloutApproval to act on this pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub service_deployment_arn: String,
    pub reply: Reply,
    pub stage: String,
    /// The RolloutApproval's name.
    pub approval: String,
    pub approved_by: String,
}

/// What ECS is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// ContinueServiceDeployment for the hook.
    Hook { hook_id: String, action: HookAction },
    /// StopServiceDeployment with ROLLBACK, at whatever stage.
    Abort,
}

/// The approval that answers `rollout` this pass, if one does: it must name this very
/// deployment (`rollout` is what ECS reported this pass, of the service the tags prove
/// ours), and only while it is pending or in progress: never during its rollback. An
/// Abort wins over any hook answer; otherwise an approval answers a hook ECS reports
/// awaiting action. The
/// oldest wins among equals. ECS then moves on (past the hook, or into its rollback), so
/// an approval matches once.
pub fn answer(rollout: &RolloutStatus, approvals: &[Arc<RolloutApproval>]) -> Option<Answer> {
    let mut named: Vec<&Arc<RolloutApproval>> = approvals
        .iter()
        .filter(|a| a.spec.service_deployment_arn == rollout.service_deployment_arn)
        .collect();
    named.sort_by_key(|a| (a.creation_timestamp(), a.name_any()));
    let moving_forward = matches!(
        ServiceDeploymentState::from(rollout.status.as_str()),
        ServiceDeploymentState::Pending | ServiceDeploymentState::InProgress
    );
    if !moving_forward {
        return None;
    }
    let abort = named
        .iter()
        .find(|a| a.spec.action == ApprovalAction::Abort)
        .map(|a| (*a, Reply::Abort));
    let (approval, reply) = abort.or_else(|| {
        named.iter().find_map(|a| {
            let hook_id = a.spec.hook_id.as_deref()?;
            let action = match a.spec.action {
                ApprovalAction::Continue => HookAction::Continue,
                ApprovalAction::Rollback => HookAction::Rollback,
                ApprovalAction::Abort => return None,
            };
            let awaiting = rollout.hooks.iter().any(|h| {
                h.hook_id == hook_id
                    && HookStatus::from(h.status.as_str()) == HookStatus::AwaitingAction
            });
            awaiting.then(|| {
                let hook_id = hook_id.to_string();
                (*a, Reply::Hook { hook_id, action })
            })
        })
    })?;
    Some(Answer {
        service_deployment_arn: rollout.service_deployment_arn.clone(),
        reply,
        stage: rollout.stage.clone().unwrap_or_default(),
        approval: approval.name_any(),
        approved_by: approval.spec.approved_by.clone(),
    })
}
