//! What a ScheduledTask's status reports: its schedule and the runs found in ECS.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::common::conditions_schema;
use crate::api::task::AttemptStatus;

/// What the operator observed of the schedule and its runs.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledTaskStatus {
    /// The metadata.generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling and Stalled, as kstatus defines them, and LastRunFailed: True
    /// while the newest run found failed (the schedule stays Ready: the next run may
    /// succeed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_schema")]
    pub conditions: Vec<Condition>,
    /// AWS region of the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ARN of the EventBridge Scheduler schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_arn: Option<String>,
    /// The schedule group, one per namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_group: Option<String>,
    /// ENABLED or DISABLED: the schedule's state once this reconcile wrote or checked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// ARN of the cluster the runs start in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The task definition revision the schedule runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// The revision's essential containers: a run succeeds when each exits 0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub essential_containers: Vec<String>,
    /// When the schedule runs next, computed from its expression; absent when it will not
    /// run again or is suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_time: Option<Time>,
    /// Until when ECS was searched for runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs_checked_time: Option<Time>,
    /// When the newest run found started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_time: Option<Time>,
    /// Running, Succeeded or Failed: the newest run found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_result: Option<String>,
    /// The newest run's exit codes of essential containers, task by task (`0`, `3,0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_codes: Option<String>,
    /// Runs found in ECS, oldest first, at most spec.runHistoryLimit. `attempt` numbers
    /// them in the order they were found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub runs: Vec<AttemptStatus>,
}
