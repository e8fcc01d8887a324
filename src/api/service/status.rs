//! What a Service's status reports: the ECS service, its deployments and events.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    AutoscalingStatus, DEPLOYMENTS_KEPT, DeployerStatus, EVENTS_KEPT, PreDeployStatus,
    RolloutStatus,
};
use crate::api::common::conditions_schema;

/// What the operator observed of the ECS service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStatus {
    /// The metadata.generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling and Stalled, as kstatus defines them. Ready: the latest rollout
    /// of the desired revision completed and every desired task runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_schema")]
    pub conditions: Vec<Condition>,
    /// AWS region of the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ECS service status: ACTIVE, DRAINING or INACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// ECS service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// ECS service ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// ARN of the cluster the service runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_arn: Option<String>,
    /// The task definition revision the service should run (the desired one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// Tasks ECS aims to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i32>,
    /// Tasks running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_count: Option<i32>,
    /// Tasks starting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<i32>,
    /// The service's deployments, newest first (at most 10).
    #[schemars(length(max = DEPLOYMENTS_KEPT))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<DeploymentStatus>,
    /// The newest ECS service events, newest first (at most 10).
    #[schemars(length(max = EVENTS_KEPT))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ServiceEvent>,
    /// Label selector for the scale subresource. ECS tasks are not pods, so it matches none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Hash of the task definition, settings and redeployToken last sent to ECS, so a
    /// resync sends nothing unless the spec changed or ECS drifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_hash: Option<String>,
    /// The redeployToken of the last deployment the operator started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeploy_token: Option<String>,
    /// Keys of the spec tags last applied, so one removed from the spec is removed from AWS.
    #[schemars(length(max = 50))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_tag_keys: Vec<String>,
    /// The scalable target, policies and scheduled actions, while spec.autoscaling is set
    /// (or until they are removed after it was taken out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingStatus>,
    /// Why the latest rollout of the desired revision failed, or why its tasks keep
    /// stopping: ECS's reason and the stopped tasks', read once per failed deployment.
    /// Kept after a rollback removes the failed deployment; cleared when the desired
    /// revision changes or a rollout completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_rollout: Option<FailedRollout>,
    /// Set while spec.deploymentController is CODE_DEPLOY or EXTERNAL: the revision
    /// that deployer should roll out, what it alone can apply, and the task sets ECS reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployer: Option<DeployerStatus>,
    /// Set while spec.deploymentConfiguration.strategy is BLUE_GREEN, LINEAR or CANARY:
    /// the ECS service deployment of the latest rollout, its stage, traffic split and
    /// hooks. Read while the deployment is in flight, kept once it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutStatus>,
    /// The latest pre-deploy task (spec.preDeploy): the revision it ran and its result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_deploy: Option<PreDeployStatus>,
}

/// A deployment whose tasks failed, and what ECS said of them.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailedRollout {
    /// ECS deployment ID.
    pub deployment_id: String,
    /// Task definition revision ARN the deployment was rolling out.
    pub task_definition: String,
    /// The deployment's rolloutStateReason, as ECS last reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The deployment's most recently stopped tasks (at most 3), newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 3))]
    pub stopped_tasks: Vec<StoppedTask>,
}

/// A task ECS stopped, as DescribeTasks reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoppedTask {
    /// Task ARN.
    pub arn: String,
    /// Why ECS stopped it, as a code: TaskFailedToStart, EssentialContainerExited, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<String>,
    /// Why ECS stopped it, in words (for example a CannotPullContainerError).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    /// When the task stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<Time>,
    /// The task's containers that exited or carry a reason (ECS allows 10 per task).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub containers: Vec<StoppedContainer>,
}

/// One container of a stopped task.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoppedContainer {
    /// Container name.
    pub name: String,
    /// The exit code, once the container exited; none when it never started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why the container stopped, as the ECS agent says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One deployment of the service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStatus {
    /// ECS deployment ID.
    pub id: String,
    /// PRIMARY (the newest) or ACTIVE (still running, being replaced or rolled back to).
    pub status: String,
    /// IN_PROGRESS, COMPLETED or FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<String>,
    /// Why the rollout is in that state, as ECS says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    /// Task definition revision ARN this deployment runs.
    pub task_definition: String,
    /// Tasks this deployment aims to run.
    pub desired_count: i32,
    /// Tasks of this deployment running.
    pub running_count: i32,
    /// Tasks of this deployment starting.
    pub pending_count: i32,
    /// Tasks of this deployment that failed to start.
    pub failed_tasks: i32,
    /// When ECS last updated the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Time>,
}

/// One entry of the ECS service event log.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEvent {
    /// ECS event ID.
    pub id: String,
    /// When ECS recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// What ECS said.
    pub message: String,
}
