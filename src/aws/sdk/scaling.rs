//! Application Auto Scaling between our types and the AWS SDK's. Every call is about
//! an ECS service's desiredCount.

use std::future::Future;

use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types as sdk;
use aws_smithy_types::error::operation::BuildError;

use super::customized_metric;
use super::{aws_error, invalid_input, text, timestamp};
use crate::api::service::{PredefinedMetric, StepAdjustment, SuspendedState};
use crate::aws::scaling::{PolicyConfiguration, StepScaling, TargetTracking};
use crate::aws::{
    AwsError, ObservedPolicy, ObservedScheduledAction, PutPolicyResult, RegisterScalableTarget,
    ScalableTarget, ScalingPolicy, ScheduledScaling,
};

const NAMESPACE: sdk::ServiceNamespace = sdk::ServiceNamespace::Ecs;
const DIMENSION: sdk::ScalableDimension = sdk::ScalableDimension::EcsServiceDesiredCount;

pub async fn describe_target(
    client: &Client,
    resource_id: &str,
) -> Result<Option<ScalableTarget>, AwsError> {
    let out = client
        .describe_scalable_targets()
        .service_namespace(NAMESPACE)
        .scalable_dimension(DIMENSION)
        .resource_ids(resource_id)
        .send()
        .await
        .map_err(|e| aws_error("application-autoscaling:DescribeScalableTargets", e))?;
    Ok(out
        .scalable_targets()
        .iter()
        .find(|t| t.resource_id() == resource_id)
        .map(|t| ScalableTarget {
            arn: text(t.scalable_target_arn()),
            min_capacity: t.min_capacity(),
            max_capacity: t.max_capacity(),
            suspended_state: t.suspended_state().map(|s| SuspendedState {
                dynamic_scaling_in_suspended: s.dynamic_scaling_in_suspended().unwrap_or(false),
                dynamic_scaling_out_suspended: s.dynamic_scaling_out_suspended().unwrap_or(false),
                scheduled_scaling_suspended: s.scheduled_scaling_suspended().unwrap_or(false),
            }),
        }))
}

pub async fn register_target(
    client: &Client,
    request: &RegisterScalableTarget,
) -> Result<Option<String>, AwsError> {
    let s = request.suspended_state;
    let out = client
        .register_scalable_target()
        .service_namespace(NAMESPACE)
        .scalable_dimension(DIMENSION)
        .resource_id(&request.resource_id)
        .min_capacity(request.min_capacity)
        .max_capacity(request.max_capacity)
        .suspended_state(
            sdk::SuspendedState::builder()
                .dynamic_scaling_in_suspended(s.dynamic_scaling_in_suspended)
                .dynamic_scaling_out_suspended(s.dynamic_scaling_out_suspended)
                .scheduled_scaling_suspended(s.scheduled_scaling_suspended)
                .build(),
        )
        .set_tags((!request.tags.is_empty()).then(|| request.tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(|e| aws_error("application-autoscaling:RegisterScalableTarget", e))?;
    Ok(text(out.scalable_target_arn()))
}

pub async fn deregister_target(client: &Client, resource_id: &str) -> Result<(), AwsError> {
    client
        .deregister_scalable_target()
        .service_namespace(NAMESPACE)
        .scalable_dimension(DIMENSION)
        .resource_id(resource_id)
        .send()
        .await
        .map_err(|e| aws_error("application-autoscaling:DeregisterScalableTarget", e))?;
    Ok(())
}

/// Every page of a paginated describe: `page` fetches one, given the previous page's token.
async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut found = Vec::new();
    let mut next_token = None;
    loop {
        let (items, next) = page(next_token).await?;
        found.extend(items);
        match next {
            Some(token) => next_token = Some(token),
            None => return Ok(found),
        }
    }
}

pub async fn describe_policies(
    client: &Client,
    resource_id: &str,
) -> Result<Vec<ObservedPolicy>, AwsError> {
    all_pages(|next_token| async move {
        let out = client
            .describe_scaling_policies()
            .service_namespace(NAMESPACE)
            .scalable_dimension(DIMENSION)
            .resource_id(resource_id)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| aws_error("application-autoscaling:DescribeScalingPolicies", e))?;
        let policies = out
            .scaling_policies()
            .iter()
            // moto matches resource IDs by substring.
            .filter(|p| p.resource_id() == resource_id)
            .map(policy_from_sdk)
            .collect();
        Ok((policies, text(out.next_token())))
    })
    .await
}

pub async fn put_policy(
    client: &Client,
    resource_id: &str,
    policy: &ScalingPolicy,
) -> Result<PutPolicyResult, AwsError> {
    const ACTION: &str = "application-autoscaling:PutScalingPolicy";
    let request = client
        .put_scaling_policy()
        .service_namespace(NAMESPACE)
        .scalable_dimension(DIMENSION)
        .resource_id(resource_id)
        .policy_name(&policy.name)
        .policy_type(sdk::PolicyType::from(policy.configuration.policy_type()));
    let request = match &policy.configuration {
        PolicyConfiguration::TargetTracking(t) => request
            .target_tracking_scaling_policy_configuration(
                target_tracking_to_sdk(t).map_err(invalid_input(ACTION))?,
            ),
        PolicyConfiguration::StepScaling(s) => request.step_scaling_policy_configuration(
            step_scaling_to_sdk(s).map_err(invalid_input(ACTION))?,
        ),
    };
    let out = request.send().await.map_err(|e| aws_error(ACTION, e))?;
    Ok(PutPolicyResult {
        arn: out.policy_arn().to_string(),
        alarm_names: out
            .alarms()
            .iter()
            .map(|a| a.alarm_name().to_string())
            .collect(),
    })
}

pub async fn delete_policy(client: &Client, resource_id: &str, name: &str) -> Result<(), AwsError> {
    client
        .delete_scaling_policy()
        .service_namespace(NAMESPACE)
        .scalable_dimension(DIMENSION)
        .resource_id(resource_id)
        .policy_name(name)
        .send()
        .await
        .map_err(|e| aws_error("application-autoscaling:DeleteScalingPolicy", e))?;
    Ok(())
}

pub async fn describe_actions(
    client: &Client,
    resource_id: &str,
) -> Result<Vec<ObservedScheduledAction>, AwsError> {
    all_pages(|next_token| async move {
        let out = client
            .describe_scheduled_actions()
            .service_namespace(NAMESPACE)
            .scalable_dimension(DIMENSION)
            .resource_id(resource_id)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| aws_error("application-autoscaling:DescribeScheduledActions", e))?;
        let actions = out
            .scheduled_actions()
            .iter()
            .filter(|a| a.resource_id() == resource_id)
            .map(|a| ObservedScheduledAction {
                arn: a.scheduled_action_arn().to_string(),
                action: ScheduledScaling {
                    name: a.scheduled_action_name().to_string(),
                    schedule: a.schedule().to_string(),
                    timezone: text(a.timezone()),
                    start_time: timestamp(a.start_time()),
                    end_time: timestamp(a.end_time()),
                    min_capacity: a.scalable_target_action().and_then(|t| t.min_capacity()),
                    max_capacity: a.scalable_target_action().and_then(|t| t.max_capacity()),
                },
            })
            .collect();
        Ok((actions, text(out.next_token())))
    })
    .await
}

pub async fn put_action(
    client: &Client,
    resource_id: &str,
    action: &ScheduledScaling,
) -> Result<(), AwsError> {
    let time = |t: &Option<k8s_openapi::jiff::Timestamp>| {
        t.map(|t| aws_smithy_types::DateTime::from_secs(t.as_second()))
    };
    client
        .put_scheduled_action()
        .service_namespace(NAMESPACE)
        .scalable_dimension(DIMENSION)
        .resource_id(resource_id)
        .scheduled_action_name(&action.name)
        .schedule(&action.schedule)
        .set_timezone(action.timezone.clone())
        .set_start_time(time(&action.start_time))
        .set_end_time(time(&action.end_time))
        .scalable_target_action(
            sdk::ScalableTargetAction::builder()
                .set_min_capacity(action.min_capacity)
                .set_max_capacity(action.max_capacity)
                .build(),
        )
        .send()
        .await
        .map_err(|e| aws_error("application-autoscaling:PutScheduledAction", e))?;
    Ok(())
}

pub async fn delete_action(client: &Client, resource_id: &str, name: &str) -> Result<(), AwsError> {
    client
        .delete_scheduled_action()
        .service_namespace(NAMESPACE)
        .scalable_dimension(DIMENSION)
        .resource_id(resource_id)
        .scheduled_action_name(name)
        .send()
        .await
        .map_err(|e| aws_error("application-autoscaling:DeleteScheduledAction", e))?;
    Ok(())
}

fn target_tracking_to_sdk(
    t: &TargetTracking,
) -> Result<sdk::TargetTrackingScalingPolicyConfiguration, BuildError> {
    let predefined = t
        .predefined_metric
        .as_ref()
        .map(|m| {
            sdk::PredefinedMetricSpecification::builder()
                .predefined_metric_type(sdk::MetricType::from(m.type_.as_str()))
                .set_resource_label(m.resource_label.clone())
                .build()
        })
        .transpose()?;
    let customized = t
        .customized_metric
        .as_ref()
        .map(customized_metric::to_sdk)
        .transpose()?;
    sdk::TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(t.target_value)
        .set_predefined_metric_specification(predefined)
        .set_customized_metric_specification(customized)
        .set_scale_in_cooldown(t.scale_in_cooldown)
        .set_scale_out_cooldown(t.scale_out_cooldown)
        .set_disable_scale_in(t.disable_scale_in)
        .build()
}

fn step_scaling_to_sdk(s: &StepScaling) -> Result<sdk::StepScalingPolicyConfiguration, BuildError> {
    let steps = s
        .step_adjustments
        .iter()
        .map(|a| {
            sdk::StepAdjustment::builder()
                .set_metric_interval_lower_bound(a.metric_interval_lower_bound)
                .set_metric_interval_upper_bound(a.metric_interval_upper_bound)
                .scaling_adjustment(a.scaling_adjustment)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sdk::StepScalingPolicyConfiguration::builder()
        .set_adjustment_type(s.adjustment_type.as_deref().map(sdk::AdjustmentType::from))
        .set_step_adjustments(Some(steps))
        .set_cooldown(s.cooldown)
        .set_metric_aggregation_type(
            s.metric_aggregation_type
                .as_deref()
                .map(sdk::MetricAggregationType::from),
        )
        .set_min_adjustment_magnitude(s.min_adjustment_magnitude)
        .build())
}

fn policy_from_sdk(p: &sdk::ScalingPolicy) -> ObservedPolicy {
    let configuration = if let Some(t) = p.target_tracking_scaling_policy_configuration() {
        Some(PolicyConfiguration::TargetTracking(TargetTracking {
            predefined_metric: t
                .predefined_metric_specification()
                .map(|m| PredefinedMetric {
                    type_: m.predefined_metric_type().as_str().to_string(),
                    resource_label: text(m.resource_label()),
                }),
            customized_metric: t
                .customized_metric_specification()
                .map(customized_metric::from_sdk),
            target_value: t.target_value(),
            scale_in_cooldown: t.scale_in_cooldown(),
            scale_out_cooldown: t.scale_out_cooldown(),
            disable_scale_in: t.disable_scale_in(),
        }))
    } else {
        p.step_scaling_policy_configuration().map(|s| {
            PolicyConfiguration::StepScaling(StepScaling {
                adjustment_type: s.adjustment_type().map(|a| a.as_str().to_string()),
                step_adjustments: s
                    .step_adjustments()
                    .iter()
                    .map(|a| StepAdjustment {
                        metric_interval_lower_bound: a.metric_interval_lower_bound(),
                        metric_interval_upper_bound: a.metric_interval_upper_bound(),
                        scaling_adjustment: a.scaling_adjustment(),
                    })
                    .collect(),
                cooldown: s.cooldown(),
                metric_aggregation_type: s
                    .metric_aggregation_type()
                    .map(|m| m.as_str().to_string()),
                min_adjustment_magnitude: s.min_adjustment_magnitude(),
            })
        })
    };
    ObservedPolicy {
        arn: p.policy_arn().to_string(),
        alarm_names: p
            .alarms()
            .iter()
            .map(|a| a.alarm_name().to_string())
            .collect(),
        name: p.policy_name().to_string(),
        configuration,
    }
}
