//! The RolloutApproval `promote` and `abort` create, chosen from what the Service
//! reports now, pure.

use kube::ResourceExt;
use kube::api::ObjectMeta;

use crate::api::rollout_approval::{ApprovalAction, RolloutApprovalSpec};
use crate::api::service::RolloutStatus;
use crate::api::{RolloutApproval, Service};
use crate::aws::{HookStatus, ServiceDeploymentState};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PluginError {
    #[error("there is no Service {name} in namespace {namespace}: check the name and -n")]
    NoService { name: String, namespace: String },
    #[error(
        "Service {0} shows no staged rollout (status.rollout is empty): only BLUE_GREEN, \
         LINEAR and CANARY deployments can be promoted or aborted"
    )]
    NoRollout(String),
    #[error(
        "the deployment {arn} of Service {service} is {status}, not in flight: there is \
         nothing to {verb}"
    )]
    Finished {
        service: String,
        arn: String,
        status: String,
        verb: &'static str,
    },
    #[error(
        "no lifecycle hook of Service {service}'s deployment awaits action (stage {stage}): \
         promote answers a PAUSE hook; `kubectl ecs status {service}` shows the hooks"
    )]
    NotPaused { service: String, stage: String },
    #[error("hooks {hooks} await action: say which one with --hook")]
    WhichHook { hooks: String },
    #[error("hook {0} does not await action; `kubectl ecs status` shows the hooks")]
    NoSuchHook(String),
    #[error(
        "the API server did not say who you are (SelfSubjectReview): an approval must \
         name its approver"
    )]
    Anonymous,
}

/// What the user asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Hook {
        rollback: bool,
        hook: Option<String>,
    },
    Abort,
}

#[derive(Debug)]
pub enum Decision {
    /// Create this approval.
    Create(Box<RolloutApproval>),
    /// An approval of the same deployment, hook and action exists: nothing to create.
    AlreadyGiven(String),
}

/// The approval answering the Service's current deployment as `request` asks, by `user`.
pub fn approval(
    service: &Service,
    given: &[RolloutApproval],
    request: &Request,
    user: &str,
) -> Result<Decision, PluginError> {
    let name = service.name_any();
    let rollout = service
        .status
        .as_ref()
        .and_then(|s| s.rollout.as_ref())
        .ok_or_else(|| PluginError::NoRollout(name.clone()))?;
    let state = ServiceDeploymentState::from(rollout.status.as_str());
    if !matches!(
        state,
        ServiceDeploymentState::Pending | ServiceDeploymentState::InProgress
    ) {
        return Err(PluginError::Finished {
            service: name,
            arn: rollout.service_deployment_arn.clone(),
            status: rollout.status.clone(),
            verb: match request {
                Request::Abort => "abort",
                Request::Hook { .. } => "promote",
            },
        });
    }
    let (action, hook_id, verb) = match request {
        Request::Abort => (ApprovalAction::Abort, None, "abort"),
        Request::Hook { rollback, hook } => {
            let hook_id = awaiting(rollout, hook.as_deref(), &name)?;
            let (action, verb) = if *rollback {
                (ApprovalAction::Rollback, "rollback")
            } else {
                (ApprovalAction::Continue, "promote")
            };
            (action, Some(hook_id), verb)
        }
    };
    if let Some(existing) = given.iter().find(|a| {
        a.spec.service_deployment_arn == rollout.service_deployment_arn
            && a.spec.hook_id == hook_id
            && a.spec.action == action
    }) {
        return Ok(Decision::AlreadyGiven(format!(
            "rolloutapproval/{} by {} already answers this; the operator acts on it at its \
             next look",
            existing.name_any(),
            existing.spec.approved_by
        )));
    }
    let mut approval = RolloutApproval::new(
        "",
        RolloutApprovalSpec {
            service: name.clone(),
            service_deployment_arn: rollout.service_deployment_arn.clone(),
            hook_id,
            action,
            approved_by: user.to_string(),
        },
    );
    // Kubernetes names must leave room for the five characters generateName adds.
    let prefix: String = name.chars().take(200).collect();
    approval.metadata = ObjectMeta {
        generate_name: Some(format!("{prefix}-{verb}-")),
        namespace: service.namespace(),
        ..Default::default()
    };
    Ok(Decision::Create(Box::new(approval)))
}

fn awaiting(
    rollout: &RolloutStatus,
    wanted: Option<&str>,
    service: &str,
) -> Result<String, PluginError> {
    let waiting: Vec<&str> = rollout
        .hooks
        .iter()
        .filter(|h| HookStatus::from(h.status.as_str()) == HookStatus::AwaitingAction)
        .map(|h| h.hook_id.as_str())
        .collect();
    match (wanted, waiting.as_slice()) {
        (Some(wanted), _) if waiting.contains(&wanted) => Ok(wanted.to_string()),
        (Some(wanted), _) => Err(PluginError::NoSuchHook(wanted.to_string())),
        (None, []) => Err(PluginError::NotPaused {
            service: service.to_string(),
            stage: rollout
                .stage
                .clone()
                .unwrap_or_else(|| "unknown".to_string()),
        }),
        (None, [one]) => Ok((*one).to_string()),
        (None, many) => Err(PluginError::WhichHook {
            hooks: many.join(", "),
        }),
    }
}

/// What `promote` or `abort` says once the approval exists.
pub fn created(approval: &RolloutApproval, namespace: &str) -> String {
    let spec = &approval.spec;
    let what = match (&spec.action, &spec.hook_id) {
        (ApprovalAction::Abort, _) | (_, None) => "abort".to_string(),
        (ApprovalAction::Continue, Some(hook)) => format!("continue past hook {hook}"),
        (ApprovalAction::Rollback, Some(hook)) => format!("roll back at hook {hook}"),
    };
    format!(
        "rolloutapproval/{} created in {namespace}: {what} of {}, approved by {}.\n\
         Follow it with: kubectl ecs status {} -n {namespace}",
        approval.name_any(),
        spec.service_deployment_arn,
        spec.approved_by,
        spec.service
    )
}
