//! Application Auto Scaling of an ECS service's desiredCount, as the reconcilers see it.
//! Every call is about one scalable target, named by its resource ID
//! (service/<cluster>/<service>) in the ecs namespace.

use k8s_openapi::jiff::Timestamp;

use super::Tags;

use crate::api::service::{
    CustomizedMetric, PredefinedMetric, ScheduledAction, StepAdjustment, StepScalingPolicy,
    SuspendedState, TargetTrackingPolicy,
};

/// The resource ID of an ECS service's scalable target.
pub fn resource_id(cluster: &str, service: &str) -> String {
    let cluster_name = cluster.rsplit('/').next().unwrap_or(cluster);
    format!("service/{cluster_name}/{service}")
}

/// A registered scalable target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScalableTarget {
    pub arn: Option<String>,
    pub min_capacity: i32,
    pub max_capacity: i32,
    /// None when AWS does not report it.
    pub suspended_state: Option<SuspendedState>,
}

/// What RegisterScalableTarget sends; it creates the target or changes it in place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterScalableTarget {
    pub resource_id: String,
    pub min_capacity: i32,
    pub max_capacity: i32,
    pub suspended_state: SuspendedState,
    /// Added to the target's tags: the Service's ownership tags, which the IAM policy's
    /// conditions on the scaling writes read.
    pub tags: Tags,
}

/// A scaling policy under its AWS name.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingPolicy {
    pub name: String,
    pub configuration: PolicyConfiguration,
}

/// The two kinds of policy the operator manages.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyConfiguration {
    TargetTracking(TargetTracking),
    StepScaling(StepScaling),
}

impl PolicyConfiguration {
    /// The PolicyType AWS calls it.
    pub fn policy_type(&self) -> &'static str {
        match self {
            Self::TargetTracking(_) => "TargetTrackingScaling",
            Self::StepScaling(_) => "StepScaling",
        }
    }
}

/// TargetTrackingScalingPolicyConfiguration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TargetTracking {
    pub predefined_metric: Option<PredefinedMetric>,
    pub customized_metric: Option<CustomizedMetric>,
    pub target_value: f64,
    pub scale_in_cooldown: Option<i32>,
    pub scale_out_cooldown: Option<i32>,
    pub disable_scale_in: Option<bool>,
}

impl From<&TargetTrackingPolicy> for TargetTracking {
    fn from(p: &TargetTrackingPolicy) -> Self {
        Self {
            predefined_metric: p.predefined_metric.clone(),
            customized_metric: p.customized_metric.clone(),
            target_value: p.target_value,
            scale_in_cooldown: p.scale_in_cooldown,
            scale_out_cooldown: p.scale_out_cooldown,
            disable_scale_in: p.disable_scale_in,
        }
    }
}

/// StepScalingPolicyConfiguration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepScaling {
    pub adjustment_type: Option<String>,
    pub step_adjustments: Vec<StepAdjustment>,
    pub cooldown: Option<i32>,
    pub metric_aggregation_type: Option<String>,
    pub min_adjustment_magnitude: Option<i32>,
}

impl From<&StepScalingPolicy> for StepScaling {
    fn from(p: &StepScalingPolicy) -> Self {
        Self {
            adjustment_type: Some(p.adjustment_type.clone()),
            step_adjustments: p.step_adjustments.clone(),
            cooldown: p.cooldown,
            metric_aggregation_type: p.metric_aggregation_type.clone(),
            min_adjustment_magnitude: p.min_adjustment_magnitude,
        }
    }
}

/// A policy as DescribeScalingPolicies reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservedPolicy {
    /// The AWS name.
    pub name: String,
    pub arn: String,
    pub alarm_names: Vec<String>,
    /// None for a kind the operator does not manage (predictive scaling).
    pub configuration: Option<PolicyConfiguration>,
}

/// What PutScalingPolicy returns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PutPolicyResult {
    pub arn: String,
    pub alarm_names: Vec<String>,
}

/// A scheduled action under its AWS name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScheduledScaling {
    pub name: String,
    pub schedule: String,
    pub timezone: Option<String>,
    pub start_time: Option<Timestamp>,
    pub end_time: Option<Timestamp>,
    pub min_capacity: Option<i32>,
    pub max_capacity: Option<i32>,
}

impl ScheduledScaling {
    /// The spec's action under the AWS name `name`.
    pub fn from_spec(name: String, a: &ScheduledAction) -> Self {
        Self {
            name,
            schedule: a.schedule.clone(),
            timezone: a.timezone.clone(),
            start_time: a.start_time.as_ref().map(|t| t.0),
            end_time: a.end_time.as_ref().map(|t| t.0),
            min_capacity: a.min_capacity,
            max_capacity: a.max_capacity,
        }
    }
}

/// A scheduled action as DescribeScheduledActions reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedScheduledAction {
    pub arn: String,
    pub action: ScheduledScaling,
}
