//! The autoscaling status and condition, and the Event text for a plan. Pure.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::plan::{DesiredScaling, ObservedScaling, Step};
use crate::api::service::{
    AUTOSCALING_READY, AutoscalingStatus, POLICY_ALARMS_KEPT, ScalingPolicyStatus,
    ScheduledActionStatus,
};

/// A short account of the plan, for the Event.
pub fn describe(resource_id: &str, steps: &[Step]) -> String {
    let mut parts = Vec::new();
    if steps.iter().any(|s| matches!(s, Step::Register(_))) {
        parts.push("registered the scalable target".to_string());
    }
    let count = |what: &str, is: fn(&Step) -> bool| {
        let n = steps.iter().filter(|s| is(s)).count();
        (n > 0).then(|| format!("{what} {n}"))
    };
    parts.extend(count("put policies:", |s| matches!(s, Step::PutPolicy(_))));
    parts.extend(count("deleted policies:", |s| {
        matches!(s, Step::DeletePolicy(_))
    }));
    parts.extend(count("put scheduled actions:", |s| {
        matches!(s, Step::PutAction(_))
    }));
    parts.extend(count("deleted scheduled actions:", |s| {
        matches!(s, Step::DeleteAction(_))
    }));
    format!("autoscaling of {resource_id}: {}", parts.join("; "))
}

/// The status for the desired scaling as AWS now holds it.
pub fn status_of(
    desired: &DesiredScaling,
    observed: &ObservedScaling,
    prefix: &str,
) -> AutoscalingStatus {
    let spec_name = |aws_name: &str| {
        aws_name
            .strip_prefix(prefix)
            .unwrap_or(aws_name)
            .to_string()
    };
    AutoscalingStatus {
        resource_id: desired.target.resource_id.clone(),
        scalable_target_arn: observed.target.as_ref().and_then(|t| t.arn.clone()),
        min_capacity: Some(desired.target.min_capacity),
        max_capacity: Some(desired.target.max_capacity),
        suspended_state: Some(desired.target.suspended_state),
        policies: desired
            .policies
            .iter()
            .filter_map(|d| {
                let o = observed.policies.iter().find(|o| o.name == d.name)?;
                Some(ScalingPolicyStatus {
                    name: spec_name(&d.name),
                    policy_type: d.configuration.policy_type().to_string(),
                    arn: o.arn.clone(),
                    alarm_names: o
                        .alarm_names
                        .iter()
                        .take(POLICY_ALARMS_KEPT)
                        .cloned()
                        .collect(),
                })
            })
            .collect(),
        scheduled_actions: desired
            .actions
            .iter()
            .filter_map(|d| {
                let o = observed.actions.iter().find(|o| o.action.name == d.name)?;
                Some(ScheduledActionStatus {
                    name: spec_name(&d.name),
                    arn: o.arn.clone(),
                })
            })
            .collect(),
        applied_hash: Some(desired.hash.clone()),
        // Every registration sends the tags, and one that lacked them was redone.
        target_tagged: true,
    }
}

/// The AutoscalingReady condition for a pass; the driver stamps its time and generation.
pub fn condition(ready: bool, reason: &str, message: String) -> Condition {
    Condition {
        type_: AUTOSCALING_READY.to_string(),
        status: if ready { "True" } else { "False" }.to_string(),
        reason: reason.to_string(),
        message,
        observed_generation: None,
        last_transition_time: Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
    }
}
