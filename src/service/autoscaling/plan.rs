//! What to send Application Auto Scaling so the service's scaling matches the spec.
//! Pure: the reconciler observes, this decides, the reconciler applies.

use k8s_openapi::jiff::Timestamp;

use crate::api::service::{Autoscaling, CustomizedMetric, SuspendedState};
use crate::aws::scaling::{PolicyConfiguration, StepScaling, TargetTracking};
use crate::aws::{
    ObservedPolicy, ObservedScheduledAction, RegisterScalableTarget, ScalableTarget, ScalingPolicy,
    ScheduledScaling, Tags,
};
use crate::digest::{json, short_hex};

/// The scaling the spec asks for, under AWS names.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredScaling {
    pub target: RegisterScalableTarget,
    pub policies: Vec<ScalingPolicy>,
    pub actions: Vec<ScheduledScaling>,
    /// Hash of the autoscaling block; a change means the user asked for something.
    pub hash: String,
    /// Register the target even if it matches: it may lack the ownership tags (an
    /// earlier build registered it without them).
    pub retag: bool,
}

impl DesiredScaling {
    /// `prefix` marks the policies and actions this object owns (`name_prefix`).
    pub fn new(spec: &Autoscaling, resource_id: String, prefix: &str, tags: Tags) -> Self {
        let policies = spec
            .target_tracking
            .iter()
            .map(|p| ScalingPolicy {
                name: format!("{prefix}{}", p.name),
                configuration: PolicyConfiguration::TargetTracking(TargetTracking::from(p)),
            })
            .chain(spec.step_scaling.iter().map(|p| ScalingPolicy {
                name: format!("{prefix}{}", p.name),
                configuration: PolicyConfiguration::StepScaling(StepScaling::from(p)),
            }))
            .collect();
        let actions = spec
            .scheduled_actions
            .iter()
            .map(|a| ScheduledScaling::from_spec(format!("{prefix}{}", a.name), a))
            .collect();
        Self {
            target: RegisterScalableTarget {
                resource_id,
                min_capacity: spec.min_capacity,
                max_capacity: spec.max_capacity,
                suspended_state: spec.suspended_state.unwrap_or_default(),
                tags,
            },
            policies,
            actions,
            hash: hash(spec),
            retag: false,
        }
    }
}

fn hash(spec: &Autoscaling) -> String {
    short_hex(&json(spec))
}

/// The prefix of the AWS names of one object's policies and actions: stable for the
/// object's namespace and name, and short enough to leave room for the spec's name.
pub fn name_prefix(namespace: &str, name: &str) -> String {
    let digest = short_hex(format!("{namespace}/{name}").as_bytes());
    format!("ecs-operator-{}-", &digest[..8])
}

/// What Application Auto Scaling reports for the target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedScaling {
    pub target: Option<ScalableTarget>,
    /// Every policy of the target, the operator's or not.
    pub policies: Vec<ObservedPolicy>,
    /// Every scheduled action of the target, the operator's or not.
    pub actions: Vec<ObservedScheduledAction>,
}

/// One call to Application Auto Scaling. A plan lists them in the order they run:
/// register the target, put policies and actions, delete the ones removed from the
/// spec; a teardown deletes the operator's policies and actions, then the target.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Register(RegisterScalableTarget),
    PutPolicy(ScalingPolicy),
    PutAction(ScheduledScaling),
    DeletePolicy(String),
    DeleteAction(String),
    Deregister,
}

/// What the target lacks. `applied_hash` is the block last applied: while it is
/// unchanged, a field the spec leaves out is not compared (AWS reports its defaults);
/// after a change, it is, so removing a field from the spec resets it.
pub fn plan(
    desired: &DesiredScaling,
    observed: &ObservedScaling,
    prefix: &str,
    applied_hash: Option<&str>,
) -> Vec<Step> {
    let strict = applied_hash != Some(desired.hash.as_str());
    let register = desired.retag
        || match &observed.target {
            None => true,
            Some(t) => {
                t.min_capacity != desired.target.min_capacity
                    || t.max_capacity != desired.target.max_capacity
                    || match t.suspended_state {
                        Some(s) => s != desired.target.suspended_state,
                        None => {
                            strict && desired.target.suspended_state != SuspendedState::default()
                        }
                    }
            }
        };
    // A new target has nothing attached yet (a recreated service lost its policies).
    let fresh = observed.target.is_none();
    let put_policies = desired.policies.iter().filter(|d| {
        fresh
            || !observed.policies.iter().any(|o| {
                o.name == d.name
                    && o.configuration
                        .as_ref()
                        .is_some_and(|c| same_policy(&d.configuration, c, strict))
            })
    });
    let put_actions = desired.actions.iter().filter(|d| {
        fresh
            || !observed
                .actions
                .iter()
                .any(|o| o.action.name == d.name && same_action(d, &o.action, strict))
    });
    let delete_policies = ours(observed.policies.iter().map(|p| &p.name), prefix)
        .filter(|name| !desired.policies.iter().any(|d| &d.name == name));
    let delete_actions = ours(observed.actions.iter().map(|a| &a.action.name), prefix)
        .filter(|name| !desired.actions.iter().any(|d| &d.name == name));
    register
        .then(|| Step::Register(desired.target.clone()))
        .into_iter()
        .chain(put_policies.cloned().map(Step::PutPolicy))
        .chain(put_actions.cloned().map(Step::PutAction))
        .chain(delete_policies.map(Step::DeletePolicy))
        .chain(delete_actions.map(Step::DeleteAction))
        .collect()
}

/// Removing the autoscaling block (or deleting the Service): the operator's policies and
/// actions, then the target. AWS would cascade; deleting them first also leaves nothing
/// behind where it does not (moto).
pub fn teardown(observed: &ObservedScaling, prefix: &str) -> Vec<Step> {
    ours(observed.policies.iter().map(|p| &p.name), prefix)
        .map(Step::DeletePolicy)
        .chain(
            ours(observed.actions.iter().map(|a| &a.action.name), prefix).map(Step::DeleteAction),
        )
        .chain(observed.target.is_some().then_some(Step::Deregister))
        .collect()
}

fn ours<'a>(
    names: impl Iterator<Item = &'a String> + 'a,
    prefix: &'a str,
) -> impl Iterator<Item = String> + 'a {
    names.filter(move |n| n.starts_with(prefix)).cloned()
}

/// A field the spec leaves out matches anything unless `strict`.
fn same_optional<T: PartialEq>(desired: &Option<T>, observed: &Option<T>, strict: bool) -> bool {
    match desired {
        None => !strict || observed.is_none(),
        Some(_) => desired == observed,
    }
}

/// Metric math whose entries leave returnData out means true (AWS's default), so an
/// answer that fills it in is no drift.
fn same_customized_metric(d: Option<&CustomizedMetric>, o: Option<&CustomizedMetric>) -> bool {
    let filled = |m: &CustomizedMetric| {
        let mut m = m.clone();
        for query in &mut m.metrics {
            query.return_data.get_or_insert(true);
        }
        m
    };
    d.map(filled) == o.map(filled)
}

fn same_policy(d: &PolicyConfiguration, o: &PolicyConfiguration, strict: bool) -> bool {
    match (d, o) {
        (PolicyConfiguration::TargetTracking(d), PolicyConfiguration::TargetTracking(o)) => {
            d.predefined_metric == o.predefined_metric
                && same_customized_metric(d.customized_metric.as_ref(), o.customized_metric.as_ref())
                && d.target_value == o.target_value
                && same_optional(&d.scale_in_cooldown, &o.scale_in_cooldown, strict)
                && same_optional(&d.scale_out_cooldown, &o.scale_out_cooldown, strict)
                // false is AWS's default.
                && (d.disable_scale_in.unwrap_or(false) == o.disable_scale_in.unwrap_or(false))
        }
        (PolicyConfiguration::StepScaling(d), PolicyConfiguration::StepScaling(o)) => {
            d.adjustment_type == o.adjustment_type
                && d.step_adjustments == o.step_adjustments
                && same_optional(&d.cooldown, &o.cooldown, strict)
                && same_optional(
                    &d.metric_aggregation_type,
                    &o.metric_aggregation_type,
                    strict,
                )
                && same_optional(
                    &d.min_adjustment_magnitude,
                    &o.min_adjustment_magnitude,
                    strict,
                )
        }
        _ => false,
    }
}

fn same_action(d: &ScheduledScaling, o: &ScheduledScaling, strict: bool) -> bool {
    // AWS keeps whole seconds.
    let second = |t: &Option<Timestamp>| t.map(|t| t.as_second());
    d.schedule == o.schedule
        && same_optional(&d.timezone, &o.timezone, strict)
        && same_optional(&second(&d.start_time), &second(&o.start_time), strict)
        && same_optional(&second(&d.end_time), &second(&o.end_time), strict)
        && same_optional(&d.min_capacity, &o.min_capacity, strict)
        && same_optional(&d.max_capacity, &o.max_capacity, strict)
}

/// The desiredCount to create the service with: the spec's (default 1) within [min, max].
pub fn initial_count(spec_count: Option<i32>, scaling: &Autoscaling) -> i32 {
    spec_count.unwrap_or(1).clamp(
        scaling.min_capacity,
        scaling.min_capacity.max(scaling.max_capacity),
    )
}
