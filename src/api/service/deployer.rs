//! Status of a service whose rollouts another deployer runs (CODE_DEPLOY or EXTERNAL).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// For a service whose deploymentController is CODE_DEPLOY or EXTERNAL: that deployer,
/// not the operator, rolls out new revisions, so this says what it should deploy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeployerStatus {
    /// The deployment controller ECS reports: CODE_DEPLOY or EXTERNAL.
    pub controller: String,
    /// The revision the spec asks for: the one the deployer should deploy (a CodeDeploy
    /// deployment, or a new task set made primary).
    pub task_definition: String,
    /// Spec settings that differ from the service but that UpdateService refuses for
    /// this controller; only the deployer, or a move to the ECS controller, applies them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub withheld: Vec<String>,
    /// The service's task sets as ECS reports them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub task_sets: Vec<TaskSetStatus>,
}

/// One task set, as DescribeServices reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskSetStatus {
    /// ECS task set ID.
    pub id: String,
    /// PRIMARY (serves production traffic), ACTIVE or DRAINING.
    pub status: String,
    /// Task definition revision ARN the task set runs.
    pub task_definition: String,
    /// Tasks the task set should run (its scale of the service's desiredCount).
    pub computed_desired_count: i32,
    /// Tasks running.
    pub running_count: i32,
    /// Tasks starting.
    pub pending_count: i32,
    /// STEADY_STATE, or STABILIZING while its tasks start or stop.
    pub stability_status: String,
}
