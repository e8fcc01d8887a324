//! A task run on the revision a Service is about to roll out, before the rollout:
//! database migrations and other steps the new code needs first.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use crate::api::task::{AttemptStatus, TaskOverride};

/// The task to run, and wait for, before the Service rolls out a new revision. It runs
/// the new revision in the Service's cluster with its network configuration, launch type
/// or capacity provider strategy and platform version, changed by these overrides.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("has(self.containerOverrides) && size(self.containerOverrides) > 0")
    .message("spec.preDeploy.containerOverrides needs at least one entry: name the container and the command that migrates, for example [\"./manage.py\", \"migrate\"]")
    .field_path(".containerOverrides"))]
#[serde(rename_all = "camelCase")]
pub struct PreDeploy {
    /// What to change of the new revision for the pre-deploy task: at least one
    /// container's command, and as needed its environment, the task's roles, CPU or memory.
    #[serde(flatten)]
    pub overrides: TaskOverride,

    /// Seconds the task may run; then it is stopped and the rollout does not happen
    /// (Stalled PreDeployFailed). Left out: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 86400))]
    pub active_deadline_seconds: Option<i64>,
}

/// The latest pre-deploy task: which revision it ran for and what became of it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreDeployStatus {
    /// The task definition revision (ARN) the task ran, the one the Service then rolls out.
    pub task_definition: String,
    /// spec.redeployToken when the task started: a failed run is made again, on the same
    /// revision, when the token changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeploy_token: Option<String>,
    /// The revision's essential containers: the task succeeds when each exits 0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub essential_containers: Vec<String>,
    /// The essential containers' exit codes (`0`, `3`), once the task stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_codes: Option<String>,
    /// The run: its result (Running, Succeeded or Failed) and its task as ECS reports it.
    pub run: AttemptStatus,
}
