//! The narrow AWS interface the reconcilers use, and the errors it returns.
//!
//! Reconcilers see only the types here and the port traits of `operations`, the table
//! of every AWS operation; `sdk` converts to and from the AWS SDK.

mod batch;
mod call_metrics;
mod capacity_provider;
pub mod clients;
mod error;
#[cfg(test)]
mod iam_policy_tests;
pub(crate) mod limiter;
mod operations;
mod pace;
pub mod quota;
pub(crate) mod retry;
pub mod scaling;
pub mod schedule;
pub mod sdk;
mod service_deployment;
mod states;

#[cfg(test)]
pub mod fake;

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;

use crate::api::cluster::{
    CapacityProviderStrategyItem, ClusterConfiguration, ClusterSetting, ServiceConnectDefaults,
};
use crate::api::service::{
    DeploymentConfiguration, DeploymentController, LoadBalancer, NetworkConfiguration,
    PlacementConstraint, PlacementStrategy, ServiceConnectConfiguration, ServiceRegistry,
    ServiceSettings,
};
use crate::api::task::TaskTemplate;
use crate::api::task_definition::TaskDefinitionFields;

pub use capacity_provider::{CapacityProviderConfig, CreateCapacityProvider, EcsCapacityProvider};
pub use error::{AwsError, ErrorKind};
pub use operations::{AwsApi, EcsApi, Operation, ScalingApi, SchedulerApi};
pub use pace::RolloutPace;
pub use scaling::{
    ObservedPolicy, ObservedScheduledAction, PutPolicyResult, RegisterScalableTarget,
    ScalableTarget, ScalingPolicy, ScheduledScaling,
};
pub use schedule::{EcsSchedule, EcsTarget};
pub use service_deployment::{
    DeploymentRollback, EcsServiceDeployment, HookDetail, LIFECYCLE_STAGES, RevisionSummary,
};
pub use states::{
    CapacityProviderState, CapacityProviderUpdate, ClusterState, DeploymentState,
    DeploymentStopType, HookAction, HookStatus, RevisionState, RolloutState,
    ServiceDeploymentState, ServiceState, StabilityStatus, TaskSetState, TaskState,
};

/// Tags as ECS stores them: key to value.
pub type Tags = BTreeMap<String, String>;

/// An ECS cluster as DescribeClusters reports it (with tags, settings and configuration).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsCluster {
    pub arn: String,
    pub name: String,
    pub status: ClusterState,
    pub tags: Tags,
    pub settings: Vec<ClusterSetting>,
    pub configuration: Option<ClusterConfiguration>,
    pub capacity_providers: Vec<String>,
    /// Those of `capacity_providers` that are ECS Managed Instances providers. Not in
    /// DescribeClusters' answer: observing a Cluster fills it from
    /// DescribeCapacityProviders when the cluster has providers its spec does not name.
    pub managed_instances_providers: Vec<String>,
    pub default_capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    pub service_connect_namespace: Option<String>,
    pub active_services_count: i32,
    pub running_tasks_count: i32,
    pub pending_tasks_count: i32,
    pub registered_container_instances_count: i32,
}

/// Everything CreateCluster takes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreateCluster {
    pub name: String,
    pub tags: Tags,
    pub settings: Vec<ClusterSetting>,
    pub configuration: Option<ClusterConfiguration>,
    pub capacity_providers: Option<Vec<String>>,
    pub default_capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    pub service_connect_defaults: Option<ServiceConnectDefaults>,
}

/// The parts UpdateCluster changes; None leaves a part as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateCluster {
    pub settings: Option<Vec<ClusterSetting>>,
    pub configuration: Option<ClusterConfiguration>,
    pub service_connect_defaults: Option<ServiceConnectDefaults>,
}

impl UpdateCluster {
    pub fn is_empty(&self) -> bool {
        self.settings.is_none()
            && self.configuration.is_none()
            && self.service_connect_defaults.is_none()
    }
}

/// Whether DescribeTaskDefinition may be answered from a copy the operator already read.
/// A revision's definition never changes once registered, but its status and tags do:
/// anyone can deregister or retag it in the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// A kept copy will do: the caller reads the definition.
    Kept,
    /// Ask ECS: the caller acts on the status or the tags (drift, ownership).
    Live,
}

/// One task definition revision as DescribeTaskDefinition reports it (with tags).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsTaskDefinition {
    pub arn: String,
    pub family: String,
    pub revision: i32,
    pub status: RevisionState,
    pub registered_at: Option<Timestamp>,
    pub tags: Tags,
    pub fields: TaskDefinitionFields,
}

/// Everything RegisterTaskDefinition takes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegisterTaskDefinition {
    pub family: String,
    pub fields: TaskDefinitionFields,
    pub tags: Tags,
}

/// One page of ListTaskDefinitions: revision ARNs, oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskDefinitionPage {
    pub arns: Vec<String>,
    pub next_token: Option<String>,
}

/// Which of a cluster's tasks ListTasks returns; None does not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskFilter {
    /// Cluster name or ARN.
    pub cluster: String,
    /// The tasks a service started.
    pub service_name: Option<String>,
    /// The tasks of any revision of a task definition family.
    pub family: Option<String>,
    pub started_by: Option<String>,
    /// PENDING, RUNNING or STOPPED; ECS lists RUNNING tasks when left out.
    pub desired_status: Option<TaskState>,
}

/// One page of ListTasks: task ARNs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskPage {
    pub arns: Vec<String>,
    pub next_token: Option<String>,
}

/// One task as DescribeTasks reports it (with tags).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsTask {
    pub arn: String,
    pub cluster_arn: String,
    pub task_definition: String,
    /// `service:<name>` for a service's tasks, else what RunTask was given.
    pub group: Option<String>,
    pub started_by: Option<String>,
    pub last_status: TaskState,
    pub desired_status: TaskState,
    /// Why ECS stopped the task, as a code (TaskFailedToStart, EssentialContainerExited, ...).
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub containers: Vec<EcsContainer>,
    pub created_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    pub tags: Tags,
}

/// One container of a task.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsContainer {
    pub name: String,
    pub last_status: TaskState,
    /// Set once the container exited.
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
}

/// Everything RunTask takes: the resolved cluster and revision, and the Task's spec for
/// the rest (launch type or capacity providers, network, overrides, placement, group).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunTask {
    pub cluster: String,
    pub task_definition: String,
    pub count: i32,
    /// Who started the tasks, for ListTasks (at most 36 characters).
    pub started_by: String,
    /// Makes a repeated request start nothing new (at most 64 characters).
    pub client_token: String,
    pub tags: Tags,
    pub template: TaskTemplate,
}

/// What RunTask answered: the tasks it started, and what it could not start.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StartedTasks {
    pub tasks: Vec<EcsTask>,
    /// ECS's failures, each as `reason (detail)`, such as RESOURCE:MEMORY.
    pub failures: Vec<String>,
}

/// An ECS service as DescribeServices reports it (with tags).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsService {
    pub arn: String,
    pub name: String,
    pub cluster_arn: String,
    pub status: ServiceState,
    /// The service's task definition: the one its PRIMARY deployment runs.
    pub task_definition: String,
    pub desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    /// The settings as ECS reports them.
    pub settings: ServiceSettings,
    pub deployments: Vec<EcsDeployment>,
    /// The task sets of a service whose rollouts CODE_DEPLOY or an external deployer
    /// runs; empty for the ECS controller.
    pub task_sets: Vec<EcsTaskSet>,
    /// Newest first, as ECS lists them.
    pub events: Vec<EcsServiceEvent>,
    pub tags: Tags,
    /// The ARN of the newest service deployment (DescribeServices'
    /// currentServiceDeployment), which DescribeServiceDeployments tells more of.
    pub current_service_deployment: Option<String>,
}

/// One task set of a CODE_DEPLOY or EXTERNAL service (ECS API Reference, TaskSet).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsTaskSet {
    pub id: String,
    pub status: TaskSetState,
    pub task_definition: String,
    pub computed_desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    pub stability_status: StabilityStatus,
}

/// One deployment of a service.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsDeployment {
    pub id: String,
    pub status: DeploymentState,
    pub rollout_state: Option<RolloutState>,
    pub rollout_state_reason: Option<String>,
    pub task_definition: String,
    pub desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    pub failed_tasks: i32,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
}

/// One entry of a service's event log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsServiceEvent {
    pub id: String,
    pub created_at: Option<Timestamp>,
    pub message: String,
}

/// Everything CreateService takes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreateService {
    pub cluster: String,
    pub name: String,
    /// None for an EXTERNAL service, whose task sets name their task definitions.
    pub task_definition: Option<String>,
    pub settings: ServiceSettings,
    pub tags: Tags,
    /// Makes a repeated request create nothing new (at most 36 characters).
    pub client_token: String,
}

/// An UpdateService call carrying only what changed. A desiredCount-only change starts
/// no deployment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateService {
    pub cluster: String,
    pub service: String,
    pub desired_count: Option<i32>,
    pub task_definition: Option<String>,
    pub changes: ServiceChanges,
    pub force_new_deployment: bool,
}

/// The settings an UpdateService call changes; None leaves a setting as it is, and an
/// empty list removes every entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceChanges {
    /// The move of a CODE_DEPLOY or EXTERNAL service to the ECS controller.
    pub deployment_controller: Option<DeploymentController>,
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    pub platform_version: Option<String>,
    pub network_configuration: Option<NetworkConfiguration>,
    pub load_balancers: Option<Vec<LoadBalancer>>,
    pub service_registries: Option<Vec<ServiceRegistry>>,
    pub service_connect_configuration: Option<ServiceConnectConfiguration>,
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    pub deployment_configuration: Option<DeploymentConfiguration>,
    pub health_check_grace_period_seconds: Option<i32>,
    pub enable_execute_command: Option<bool>,
    pub enable_ecs_managed_tags: Option<bool>,
    pub propagate_tags: Option<String>,
    pub availability_zone_rebalancing: Option<String>,
}

impl ServiceChanges {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
