//! ECS service deployments (ECS API Reference, ServiceDeployment): what a blue/green,
//! linear or canary deployment is doing, stage by stage, which DescribeServices'
//! `deployments` cannot say. Read only while one is in flight.

use k8s_openapi::jiff::Timestamp;

use super::states::{HookAction, HookStatus, ServiceDeploymentState};

/// The lifecycle stages of a BLUE_GREEN, LINEAR or CANARY service deployment, in the
/// order ECS walks them (ECS API Reference, ServiceDeployment `lifecycleStage`).
pub const LIFECYCLE_STAGES: [&str; 10] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
];

/// One service deployment as DescribeServiceDeployments reports it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsServiceDeployment {
    pub arn: String,
    pub status: ServiceDeploymentState,
    pub status_reason: Option<String>,
    /// The stage it is in, such as POST_TEST_TRAFFIC_SHIFT or BAKE_TIME, as ECS writes it.
    pub lifecycle_stage: Option<String>,
    pub created_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// The revision being deployed (green).
    pub target: Option<RevisionSummary>,
    /// The revisions it replaces (blue).
    pub sources: Vec<RevisionSummary>,
    /// The lifecycle hooks of the stage it is in.
    pub hooks: Vec<HookDetail>,
    pub rollback: Option<DeploymentRollback>,
    /// The bake the deployment runs with (its deploymentConfiguration).
    pub bake_time_in_minutes: Option<i32>,
    /// Deployment alarms ECS saw in ALARM (alarms.triggeredAlarmNames).
    pub triggered_alarms: Vec<String>,
}

impl EcsServiceDeployment {
    /// Whether ECS is done with it, one way or the other.
    pub fn finished(&self) -> bool {
        self.status.is_final()
    }
}

/// One service revision's share of a deployment (ECS API Reference, ServiceRevisionSummary).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RevisionSummary {
    pub arn: String,
    pub requested_task_count: i32,
    pub running_task_count: i32,
    pub pending_task_count: i32,
    /// Percent of test traffic ECS routes to it, where it reports one.
    pub test_traffic_weight: Option<f64>,
    /// Percent of production traffic ECS routes to it, where it reports one.
    pub production_traffic_weight: Option<f64>,
}

/// A lifecycle hook of the current stage (ECS API Reference, DeploymentLifecycleHookDetail).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HookDetail {
    /// What ContinueServiceDeployment takes to continue or roll back past this hook.
    pub hook_id: String,
    /// AWS_LAMBDA or PAUSE.
    pub target_type: Option<String>,
    pub target_arn: Option<String>,
    pub status: HookStatus,
    /// When ECS takes `timeout_action` if nobody has acted.
    pub expires_at: Option<Timestamp>,
    pub timeout_action: Option<HookAction>,
}

/// Why and to what ECS rolled a deployment back (ECS API Reference, Rollback).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeploymentRollback {
    pub reason: Option<String>,
    pub started_at: Option<Timestamp>,
    pub service_revision_arn: Option<String>,
}
