//! `Service.spec.autoscaling`: Application Auto Scaling of the service's desiredCount,
//! declared in one block instead of separate target, policy and action objects.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The alarms recorded per target tracking policy: AWS creates two (high and low).
pub const POLICY_ALARMS_KEPT: usize = 10;

/// The scalable target (the service's desiredCount between min and max) and what moves it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.minCapacity <= self.maxCapacity")
    .message("spec.autoscaling.minCapacity must not exceed spec.autoscaling.maxCapacity")
    .field_path(".minCapacity"))]
pub struct Autoscaling {
    /// Fewest tasks the scaler may leave running.
    #[schemars(range(min = 0, max = 100000))]
    pub min_capacity: i32,
    /// Most tasks the scaler may start.
    #[schemars(range(min = 0, max = 100000))]
    pub max_capacity: i32,
    /// Policies that keep a metric near a target value, for example CPU at 60 %.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub target_tracking: Vec<TargetTrackingPolicy>,
    /// Policies that change capacity in steps when a CloudWatch alarm fires. Each policy's
    /// ARN appears in status.autoscaling.policies; name it in the alarm's actions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub step_scaling: Vec<StepScalingPolicy>,
    /// Changes of min and max at set times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub scheduled_actions: Vec<ScheduledAction>,
    /// Pauses scaling, for example during an incident or a load test. Leave out to scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_state: Option<SuspendedState>,
}

/// A target tracking policy.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.predefinedMetric) != has(self.customizedMetric)")
    .message("set exactly one of predefinedMetric and customizedMetric")
    .field_path(".predefinedMetric"))]
pub struct TargetTrackingPolicy {
    /// Unique among the Service's policies. The AWS policy name adds a prefix the operator
    /// derives from this object, so it never touches policies it did not create.
    #[schemars(length(min = 1, max = 64), regex(pattern = r"^[a-zA-Z0-9_.-]+$"))]
    pub name: String,
    /// A metric ECS publishes for the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predefined_metric: Option<PredefinedMetric>,
    /// Any CloudWatch metric that rises and falls with the service's load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customized_metric: Option<CustomizedMetric>,
    /// The metric value to keep, for example 60 for 60 % CPU.
    #[schemars(range(min = 0.0, max = 1.0e9))]
    pub target_value: f64,
    /// Seconds after a scale-in before another scale-in may start. AWS defaults it to 300.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 86400))]
    pub scale_in_cooldown: Option<i32>,
    /// Seconds after a scale-out before another scale-out may start. AWS defaults it to 300.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 86400))]
    pub scale_out_cooldown: Option<i32>,
    /// true lets this policy only add tasks; another policy or a person removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_scale_in: Option<bool>,
}

/// One of the metrics ECS publishes per service.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.type != 'ALBRequestCountPerTarget' || has(self.resourceLabel)")
    .message("ALBRequestCountPerTarget needs resourceLabel: app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>")
    .field_path(".resourceLabel"))]
pub struct PredefinedMetric {
    /// ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization, or
    /// ALBRequestCountPerTarget (requests per task through an Application Load Balancer).
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization", "ALBRequestCountPerTarget"]))]
    pub type_: String,
    /// For ALBRequestCountPerTarget: the load balancer and target group, written
    /// app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>. The two halves are the final
    /// parts of the load balancer's ARN (after "loadbalancer/") and of the target group's
    /// ARN, which is the one in spec.loadBalancers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1023))]
    pub resource_label: Option<String>,
}

/// A CloudWatch metric, named as CloudWatch names it: one metric (metricName,
/// namespace, dimensions, statistic, unit), or metric math over several (metrics).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.metrics) || (has(self.metricName) && has(self.namespace) && has(self.statistic))")
        .message("a customizedMetric needs metricName, namespace and statistic, or metric math in metrics"),
    validation = Rule::new("!has(self.metrics) || !(has(self.metricName) || has(self.namespace) || has(self.dimensions) || has(self.statistic) || has(self.unit))")
        .message("metrics replaces metricName, namespace, dimensions, statistic and unit: set one or the other")
        .field_path(".metrics"),
    validation = Rule::new("!has(self.metrics) || self.metrics.filter(m, !has(m.returnData) || m.returnData).size() == 1")
        .message("exactly one entry of metrics must return data (returnData true or left out): set returnData: false on the others")
        .field_path(".metrics"),
    validation = Rule::new("!has(self.metrics) || self.metrics.all(a, self.metrics.exists_one(b, b.id == a.id))")
        .message("the ids in metrics must be unique")
        .field_path(".metrics"),
)]
pub struct CustomizedMetric {
    /// The metric's name, for example ApproximateNumberOfMessagesVisible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub metric_name: Option<String>,
    /// The metric's namespace, for example AWS/SQS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub namespace: Option<String>,
    /// Dimensions that select one time series, for example QueueName.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 30))]
    pub dimensions: Vec<MetricDimension>,
    /// Average, Minimum, Maximum, SampleCount or Sum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Average", "Minimum", "Maximum", "SampleCount", "Sum"]))]
    pub statistic: Option<String>,
    /// The metric's unit, for example Percent or Count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub unit: Option<String>,
    /// Metric math instead of one metric, for example the backlog per task: the
    /// queue's visible messages divided by the service's running tasks. Exactly one
    /// entry returns data: the series the policy keeps at targetValue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1, max = 10))]
    pub metrics: Vec<MetricDataQuery>,
}

/// One entry of metric math: a metric, or an expression over other entries.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.expression) != has(self.metricStat)")
    .message("set exactly one of expression and metricStat"))]
pub struct MetricDataQuery {
    /// Names the entry's result in other entries' expressions: a lowercase letter,
    /// then letters, digits and underscores, for example m1.
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[a-z][a-zA-Z0-9_]*$"))]
    pub id: String,
    /// A CloudWatch metric math expression over other entries' ids, for example
    /// `m1 / m2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub expression: Option<String>,
    /// A metric and the statistic to take of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<MetricStat>,
    /// A human-readable name for the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub label: Option<String>,
    /// Whether this entry is the series the policy tracks. Left out it is true, so
    /// every other entry says false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_data: Option<bool>,
}

/// A metric of metric math and its statistic.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricStat {
    /// The metric.
    pub metric: Metric,
    /// Any CloudWatch statistic, for example Average, Sum or p90.
    #[schemars(length(min = 1, max = 100))]
    pub stat: String,
    /// The metric's unit, for example Count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub unit: Option<String>,
}

/// A CloudWatch metric by name, namespace and dimensions.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    /// The metric's name, for example RunningTaskCount.
    #[schemars(length(min = 1, max = 255))]
    pub metric_name: String,
    /// The metric's namespace, for example ECS/ContainerInsights.
    #[schemars(length(min = 1, max = 255))]
    pub namespace: String,
    /// Dimensions that select one time series.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 30))]
    pub dimensions: Vec<MetricDimension>,
}

/// One CloudWatch dimension.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct MetricDimension {
    /// Dimension name.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// Dimension value.
    #[schemars(length(min = 1, max = 1024))]
    pub value: String,
}

/// A step scaling policy. It does nothing until a CloudWatch alarm names its ARN
/// (status.autoscaling.policies[].arn) as an alarm action.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepScalingPolicy {
    /// Unique among the Service's policies; the AWS name adds the operator's prefix.
    #[schemars(length(min = 1, max = 64), regex(pattern = r"^[a-zA-Z0-9_.-]+$"))]
    pub name: String,
    /// How scalingAdjustment is read: ChangeInCapacity (tasks to add or remove),
    /// PercentChangeInCapacity, or ExactCapacity (the new task count).
    #[schemars(extend("enum" = ["ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"]))]
    pub adjustment_type: String,
    /// Adjustments by how far the metric is past the alarm threshold. Bounds are relative
    /// to the threshold; the ranges must not overlap or leave gaps.
    #[schemars(length(min = 1, max = 20))]
    pub step_adjustments: Vec<StepAdjustment>,
    /// Seconds to wait after a scaling activity before the alarm may start another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 86400))]
    pub cooldown: Option<i32>,
    /// How the alarm's data points are aggregated: Average (AWS's default), Minimum or Maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Average", "Minimum", "Maximum"]))]
    pub metric_aggregation_type: Option<String>,
    /// For PercentChangeInCapacity: the fewest tasks one step changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100000))]
    pub min_adjustment_magnitude: Option<i32>,
}

/// One step: while the metric is between the bounds (relative to the alarm threshold),
/// adjust by scalingAdjustment. A missing lower bound is minus infinity, a missing upper
/// bound plus infinity.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepAdjustment {
    /// Lower bound of the metric's distance from the threshold (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_interval_lower_bound: Option<f64>,
    /// Upper bound of the metric's distance from the threshold (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_interval_upper_bound: Option<f64>,
    /// Tasks (or percent, or the exact count) to change by; negative scales in.
    #[schemars(range(min = -100000, max = 100000))]
    pub scaling_adjustment: i32,
}

/// New min and max capacity at a set time or on a schedule.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.minCapacity) || has(self.maxCapacity)")
    .message("a scheduled action sets minCapacity, maxCapacity or both")
    .field_path(".minCapacity"))]
#[x_kube(validation = Rule::new("!has(self.minCapacity) || !has(self.maxCapacity) || self.minCapacity <= self.maxCapacity")
    .message("a scheduled action's minCapacity must not exceed its maxCapacity")
    .field_path(".minCapacity"))]
pub struct ScheduledAction {
    /// Unique among the Service's scheduled actions; the AWS name adds the operator's prefix.
    #[schemars(length(min = 1, max = 64), regex(pattern = r"^[a-zA-Z0-9_.-]+$"))]
    pub name: String,
    /// When to act: at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(minutes hours
    /// day-of-month month day-of-week year).
    #[schemars(
        length(min = 1, max = 1600),
        regex(pattern = r"^(at|rate|cron)\(.+\)$")
    )]
    pub schedule: String,
    /// IANA time zone of at() and cron() times, for example Europe/Paris. Defaults to UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1600))]
    pub timezone: Option<String>,
    /// When a recurring schedule starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,
    /// When a recurring schedule ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Time>,
    /// The new minCapacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100000))]
    pub min_capacity: Option<i32>,
    /// The new maxCapacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100000))]
    pub max_capacity: Option<i32>,
}

/// Which kinds of scaling are paused. Everything left out runs.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuspendedState {
    /// Policies may not remove tasks.
    #[serde(default)]
    pub dynamic_scaling_in_suspended: bool,
    /// Policies may not add tasks.
    #[serde(default)]
    pub dynamic_scaling_out_suspended: bool,
    /// Scheduled actions do not run.
    #[serde(default)]
    pub scheduled_scaling_suspended: bool,
}

/// What the operator observed of the service's scaling.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalingStatus {
    /// The scalable target's resource ID: service/<cluster>/<service>.
    pub resource_id: String,
    /// The scalable target's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalable_target_arn: Option<String>,
    /// minCapacity as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<i32>,
    /// maxCapacity as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<i32>,
    /// Which kinds of scaling are paused, as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_state: Option<SuspendedState>,
    /// The policies this object manages.
    #[schemars(length(max = 40))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<ScalingPolicyStatus>,
    /// The scheduled actions this object manages.
    #[schemars(length(max = 50))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled_actions: Vec<ScheduledActionStatus>,
    /// Hash of the autoscaling block last applied, so a resync sends nothing unless the
    /// spec changed or AWS drifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_hash: Option<String>,
    /// Whether the scalable target was registered with the Service's ownership tags. A
    /// target an earlier build registered without them is registered once more.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub target_tagged: bool,
}

/// One scaling policy as AWS reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScalingPolicyStatus {
    /// The name in the spec.
    pub name: String,
    /// TargetTrackingScaling or StepScaling.
    pub policy_type: String,
    /// The policy's ARN; a step scaling policy's alarm names it as its action.
    pub arn: String,
    /// The CloudWatch alarms AWS created for a target tracking policy (at most 10).
    #[schemars(length(max = POLICY_ALARMS_KEPT))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_names: Vec<String>,
}

/// One scheduled action as AWS reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledActionStatus {
    /// The name in the spec.
    pub name: String,
    /// The scheduled action's ARN.
    pub arn: String,
}

/// Type of the condition that says whether scaling matches the spec; Ready includes it.
pub const AUTOSCALING_READY: &str = "AutoscalingReady";
