//! What `kubectl ecs status` prints, pure.

use std::fmt::Write;

use kube::ResourceExt;

use crate::api::common::condition::READY;
use crate::api::rollout_approval::ApprovalAction;
use crate::api::service::{RevisionStatus, RolloutStatus};
use crate::api::{RolloutApproval, Service};
use crate::aws::{HookStatus, ServiceDeploymentState};

/// The Service's readiness, its rollout and the approvals naming it.
pub fn status(service: &Service, approvals: &[RolloutApproval]) -> String {
    let mut out = String::new();
    let name = service.name_any();
    let namespace = service.namespace().unwrap_or_default();
    let status = service.status.as_ref();
    let ready = status.and_then(|s| s.conditions.iter().find(|c| c.type_ == READY));
    let _ = match ready {
        Some(c) => writeln!(
            out,
            "Service {namespace}/{name}: Ready={} {}\n  {}",
            c.status, c.reason, c.message
        ),
        None => writeln!(out, "Service {namespace}/{name}: not reconciled yet"),
    };
    if let Some(td) = status.and_then(|s| s.task_definition_arn.as_deref()) {
        let _ = writeln!(out, "Task definition  {td}");
    }
    let Some(rollout) = status.and_then(|s| s.rollout.as_ref()) else {
        out.push_str("Rollout          none recorded (ROLLING, or not deployed yet)\n");
        return out;
    };
    rollout_lines(&mut out, rollout);
    let mine: Vec<&RolloutApproval> = approvals
        .iter()
        .filter(|a| a.spec.service_deployment_arn == rollout.service_deployment_arn)
        .collect();
    for (i, a) in mine.iter().enumerate() {
        let label = if i == 0 { "Approvals" } else { "" };
        let hook = a.spec.hook_id.as_deref().unwrap_or("-");
        let _ = writeln!(
            out,
            "{label:<17}{} {:?} hook {hook} by {}",
            a.name_any(),
            a.spec.action,
            a.spec.approved_by
        );
    }
    next_steps(&mut out, rollout, &mine, &name, &namespace);
    out
}

fn rollout_lines(out: &mut String, rollout: &RolloutStatus) {
    let _ = writeln!(out, "Deployment       {}", rollout.service_deployment_arn);
    let _ = writeln!(
        out,
        "Strategy         {}",
        rollout.strategy.as_deref().unwrap_or("-")
    );
    let _ = writeln!(out, "Status           {}", rollout.status);
    let _ = writeln!(
        out,
        "Stage            {}",
        rollout.stage.as_deref().unwrap_or("-")
    );
    if let Some(target) = &rollout.target_revision {
        let _ = writeln!(out, "Target revision  {}", revision(target));
    }
    for source in &rollout.source_revisions {
        let _ = writeln!(out, "Source revision  {}", revision(source));
    }
    for hook in &rollout.hooks {
        let timeout = match (&hook.expires_at, hook.timeout_action.as_deref()) {
            (Some(at), Some(action)) => format!(", {action} at {}", at.0),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "Hook             {} {} {}{timeout}",
            hook.hook_id,
            hook.target_type.as_deref().unwrap_or("-"),
            hook.status
        );
    }
    if let Some(minutes) = rollout.bake_time_in_minutes {
        let _ = writeln!(out, "Bake time        {minutes} minute(s)");
    }
    if !rollout.triggered_alarms.is_empty() {
        let _ = writeln!(
            out,
            "Alarms           {} in ALARM",
            rollout.triggered_alarms.join(", ")
        );
    }
    if let Some(rollback) = &rollout.rollback {
        let _ = writeln!(
            out,
            "Rollback         {}",
            rollback.reason.as_deref().unwrap_or("no reason given")
        );
    }
}

fn revision(r: &RevisionStatus) -> String {
    let weight =
        |label: &str, w: Option<f64>| w.map(|w| format!(", {label} {w}%")).unwrap_or_default();
    format!(
        "{} ({}/{} tasks running{}{})",
        r.arn,
        r.running_task_count,
        r.requested_task_count,
        weight("test traffic", r.test_traffic_weight),
        weight("production traffic", r.production_traffic_weight)
    )
}

fn next_steps(
    out: &mut String,
    rollout: &RolloutStatus,
    approvals: &[&RolloutApproval],
    name: &str,
    namespace: &str,
) {
    let state = ServiceDeploymentState::from(rollout.status.as_str());
    if !matches!(
        state,
        ServiceDeploymentState::Pending | ServiceDeploymentState::InProgress
    ) {
        return;
    }
    let paused = rollout.hooks.iter().any(|h| {
        HookStatus::from(h.status.as_str()) == HookStatus::AwaitingAction
            && !approvals.iter().any(|a| {
                a.spec.hook_id.as_deref() == Some(h.hook_id.as_str())
                    && a.spec.action != ApprovalAction::Abort
            })
    });
    let mut label = "Next";
    if paused {
        let _ = writeln!(
            out,
            "{label:<17}kubectl ecs promote {name} -n {namespace}   (or --rollback)"
        );
        label = "";
    }
    let _ = writeln!(
        out,
        "{label:<17}kubectl ecs abort {name} -n {namespace}   stops it and rolls back"
    );
}
