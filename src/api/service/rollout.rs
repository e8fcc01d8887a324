//! What a BLUE_GREEN, LINEAR or CANARY rollout is doing, from its ECS service deployment
//! (ECS API Reference, ServiceDeployment): the stage, the traffic split, the hooks that
//! hold it and the rollback, which DescribeServices' `deployments` cannot say.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most source revisions and hooks status.rollout records: a service takes at
/// most 20 lifecycle hooks.
pub const ROLLOUT_LIST_MAX: usize = 20;
/// The most triggered alarms it records: deploymentConfiguration.alarms names at most 100.
pub const TRIGGERED_ALARMS_MAX: usize = 100;

/// The service deployment of the latest rollout, as ECS last reported it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// ARN of the ECS service deployment: what an approval names.
    pub service_deployment_arn: String,
    /// The deployment strategy: BLUE_GREEN, LINEAR or CANARY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// PENDING, IN_PROGRESS, SUCCESSFUL, STOP_REQUESTED, STOPPED, ROLLBACK_REQUESTED,
    /// ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED.
    pub status: String,
    /// Why it is in that status, as ECS says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The lifecycle stage it is in, such as POST_TEST_TRAFFIC_SHIFT or BAKE_TIME.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The service revision being deployed (green).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_revision: Option<RevisionStatus>,
    /// The service revisions it replaces (blue), at most 20.
    #[schemars(length(max = ROLLOUT_LIST_MAX))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_revisions: Vec<RevisionStatus>,
    /// The lifecycle hooks of the current stage.
    #[schemars(length(max = ROLLOUT_LIST_MAX))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<LifecycleHookStatus>,
    /// Set once ECS rolls the deployment back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackStatus>,
    /// When ECS started the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// When ECS last changed it (entering a stage, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Time>,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
    /// Minutes both revisions run after production traffic moved (BAKE_TIME), as the
    /// deployment runs with it. ECS reports no end time: the bake ends this long after
    /// the stage began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake_time_in_minutes: Option<i32>,
    /// Deployment alarms (deploymentConfiguration.alarms) ECS saw in ALARM during it.
    #[schemars(length(max = TRIGGERED_ALARMS_MAX))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggered_alarms: Vec<String>,
}

/// One service revision's share of the deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionStatus {
    /// ECS service revision ARN.
    pub arn: String,
    /// Tasks ECS asked for.
    pub requested_task_count: i32,
    /// Tasks running.
    pub running_task_count: i32,
    /// Tasks starting.
    pub pending_task_count: i32,
    /// Percent of test traffic routed to it, where ECS reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_weight: Option<f64>,
    /// Percent of production traffic routed to it, where ECS reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_traffic_weight: Option<f64>,
}

/// A lifecycle hook of the current stage.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleHookStatus {
    /// The id ContinueServiceDeployment takes to act on this hook.
    pub hook_id: String,
    /// AWS_LAMBDA or PAUSE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// The Lambda function, for AWS_LAMBDA hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_arn: Option<String>,
    /// AWAITING_ACTION, IN_PROGRESS, SUCCEEDED, FAILED or TIMED_OUT.
    pub status: String,
    /// When ECS takes the timeout action if nobody acts first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Time>,
    /// CONTINUE or ROLLBACK: what ECS does when the hook times out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_action: Option<String>,
}

/// Why and to what ECS rolled the deployment back.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollbackStatus {
    /// ECS's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the rollback started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// The service revision it returns to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_revision_arn: Option<String>,
}
