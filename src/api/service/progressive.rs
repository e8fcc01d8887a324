//! ECS-native progressive deployments: the LINEAR and CANARY steps, lifecycle hooks,
//! and a load balancer's blue/green settings (ECS Developer Guide, "Amazon ECS
//! blue/green deployments", "linear deployments", "canary deployments" and "Lifecycle
//! hooks for Amazon ECS service deployments"; ECS API Reference, DeploymentConfiguration).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The lifecycle stages a hook may run at (ECS API Reference, DeploymentLifecycleHook).
pub const HOOK_STAGES: [&str; 8] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
];

/// LINEAR: production traffic moves to the new revision in equal steps.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinearConfiguration {
    /// Share of production traffic moved at each step, 3.0 to 100 in steps of 0.1.
    /// ECS default: 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 3.0, max = 100.0))]
    pub step_percent: Option<f64>,
    /// Minutes ECS waits after each step before the next, 0 to 1440. ECS default: 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1440))]
    pub step_bake_time_in_minutes: Option<i32>,
}

/// CANARY: a share of production traffic moves first, the rest after a wait.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryConfiguration {
    /// Share of production traffic the canary gets, 0.1 to 100. ECS default: 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.1, max = 100.0))]
    pub canary_percent: Option<f64>,
    /// Minutes the canary runs before the rest of the traffic moves, 0 to 1440.
    /// ECS default: 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1440))]
    pub canary_bake_time_in_minutes: Option<i32>,
}

/// Custom logic, or a pause, at stages of a BLUE_GREEN, LINEAR or CANARY deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "(has(self.targetType) ? self.targetType : 'AWS_LAMBDA') != 'AWS_LAMBDA' || has(self.hookTargetArn)",
    "message": "lifecycleHooks[].hookTargetArn is required for an AWS_LAMBDA hook (the default targetType): set the Lambda function's ARN, or targetType PAUSE",
    "fieldPath": ".hookTargetArn"
}, {
    "rule": "!has(self.targetType) || self.targetType != 'PAUSE' || (!has(self.hookTargetArn) && !has(self.roleArn))",
    "message": "lifecycleHooks[]: a PAUSE hook takes no hookTargetArn or roleArn (ECS calls nothing; it waits for ContinueServiceDeployment); leave them out",
    "fieldPath": ".targetType"
}, {
    "rule": "!has(self.targetType) || self.targetType != 'PAUSE' || self.lifecycleStages.all(s, s != 'TEST_TRAFFIC_SHIFT' && s != 'PRODUCTION_TRAFFIC_SHIFT')",
    "message": "lifecycleHooks[].lifecycleStages: a PAUSE hook cannot run at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT, where ECS moves traffic; choose POST_TEST_TRAFFIC_SHIFT or PRE_PRODUCTION_TRAFFIC_SHIFT instead",
    "fieldPath": ".lifecycleStages"
}]))]
pub struct DeploymentLifecycleHook {
    /// AWS_LAMBDA (default) invokes a function that answers SUCCEEDED, FAILED or
    /// IN_PROGRESS; PAUSE holds the deployment until ContinueServiceDeployment, or
    /// until timeoutConfiguration acts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["AWS_LAMBDA", "PAUSE"]))]
    pub target_type: Option<String>,
    /// AWS_LAMBDA: the function's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub hook_target_arn: Option<String>,
    /// AWS_LAMBDA: the IAM role ECS assumes to invoke the function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub role_arn: Option<String>,
    /// The stages the hook runs at: RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP,
    /// TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRE_PRODUCTION_TRAFFIC_SHIFT,
    /// PRODUCTION_TRAFFIC_SHIFT or POST_PRODUCTION_TRAFFIC_SHIFT.
    #[schemars(length(min = 1, max = 8))]
    #[schemars(extend("items" = {"type": "string", "enum": HOOK_STAGES}))]
    pub lifecycle_stages: Vec<String>,
    /// AWS_LAMBDA: parameters ECS passes to the function on each invocation, as any
    /// JSON value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub hook_details: Option<serde_json::Value>,
    /// How long ECS waits for the hook, and what it does then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_configuration: Option<HookTimeoutConfiguration>,
}

/// What ECS does with a hook that does not finish in time.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookTimeoutConfiguration {
    /// Minutes ECS waits. ECS default: 1440 (24 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub timeout_in_minutes: Option<i32>,
    /// CONTINUE moves the deployment on; ROLLBACK (ECS default) returns to the
    /// previous revision. A PAUSE hook with CONTINUE is an approval that grants itself
    /// after the timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["CONTINUE", "ROLLBACK"]))]
    pub action: Option<String>,
}

/// A load balancer's settings for ECS-native BLUE_GREEN, LINEAR and CANARY
/// deployments: where the new revision's tasks register, and the listener rules ECS
/// moves traffic with.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedConfiguration {
    /// The second target group: the new revision's tasks register here while the
    /// old ones keep targetGroupArn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_target_group_arn: Option<String>,
    /// The listener rule (Application Load Balancer) or listener (Network Load
    /// Balancer) that carries production traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_listener_rule: Option<String>,
    /// The listener rule or listener that carries test traffic to the new revision
    /// before production traffic moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_listener_rule: Option<String>,
    /// The IAM role ECS assumes to change the listener rules and target groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}
