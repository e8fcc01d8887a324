//! What a run starts: the fields of one RunTask request, shared by a Task (each
//! attempt) and a ScheduledTask (each time its schedule comes due).

use std::collections::BTreeMap;

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::service::{
    LocalReference, NetworkConfiguration, PlacementConstraint, PlacementStrategy,
};
use crate::api::task_definition::KeyValuePair;

/// The tasks one run starts, in the ECS RunTask API's fields.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("has(self.clusterRef) != has(self.cluster)")
    .message("set exactly one of clusterRef (a Cluster object) and cluster (an ECS cluster name or ARN)")
    .field_path(".clusterRef"))]
#[x_kube(validation = Rule::new("has(self.taskDefinitionRef) != has(self.taskDefinition)")
    .message("set exactly one of taskDefinitionRef (a TaskDefinition object) and taskDefinition (family:revision or an ARN)")
    .field_path(".taskDefinitionRef"))]
#[x_kube(validation = Rule::new(
    "!has(self.launchType) || !has(self.capacityProviderStrategy) || size(self.capacityProviderStrategy) == 0"
).message("launchType and capacityProviderStrategy cannot both be set: RunTask takes one or the other")
    .field_path(".launchType"))]
#[serde(rename_all = "camelCase")]
pub struct TaskTemplate {
    /// A Cluster object in this namespace to run in (it must be Ready). Set this or `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ref: Option<LocalReference>,

    /// Name or ARN of an ECS cluster this operator does not manage. Set this or `clusterRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub cluster: Option<String>,

    /// A TaskDefinition object in this namespace. A Task runs the revision that is its
    /// latest when the first attempt starts, and every attempt runs that same revision; a
    /// ScheduledTask runs its latest revision. Set this or `taskDefinition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_ref: Option<LocalReference>,

    /// A task definition this operator does not manage, as family:revision or an ARN.
    /// Set this or `taskDefinitionRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub task_definition: Option<String>,

    /// Tasks each run starts, 1 (default) to 10 (RunTask's limit). A run succeeds when
    /// every essential container of every one of them exits 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub count: Option<i32>,

    /// FARGATE, EC2 or EXTERNAL. Leave it out to use capacityProviderStrategy or the
    /// cluster's default (ECS Managed Instances are reached only through
    /// capacityProviderStrategy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["FARGATE", "EC2", "EXTERNAL", "MANAGED_INSTANCES"], "x-kubernetes-validations" = [{
        "rule": "self != 'MANAGED_INSTANCES'",
        "message": "ECS Managed Instances take a capacityProviderStrategy naming a Managed Instances capacity provider, not a launch type (ECS takes capacityProviderStrategy without launchType for them)"
    }]))]
    pub launch_type: Option<String>,

    /// Capacity providers to spread the tasks over, for example FARGATE_SPOT.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,

    /// Fargate platform version, for example LATEST or 1.4.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 32))]
    pub platform_version: Option<String>,

    /// Subnets and security groups of the tasks' network interfaces (awsvpc task definitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,

    /// What to change of the task definition for this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<TaskOverride>,

    /// The task group, for spread placement and for finding the tasks in the console.
    /// ECS defaults it to `family:<family>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub group: Option<String>,

    /// TASK_DEFINITION copies the task definition's tags to the tasks; NONE (default) copies none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["TASK_DEFINITION", "NONE"]))]
    pub propagate_tags: Option<String>,

    /// Let ECS tag the tasks with the cluster name.
    #[serde(
        rename = "enableECSManagedTags",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ecs_managed_tags: Option<bool>,

    /// Allow ECS Exec (`aws ecs execute-command`) into the tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,

    /// Rules about where the tasks may run (EC2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub placement_constraints: Vec<PlacementConstraint>,

    /// How the tasks are spread or packed over instances (EC2), applied in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    pub placement_strategy: Vec<PlacementStrategy>,

    /// Tags for the tasks. The operator adds its own (ecs.operator.dev/*, so keys with that
    /// prefix are refused here). At most 45: ECS allows 50 per task, and the operator adds 5.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 45, "x-kubernetes-validations" = [{
        "rule": "self.all(k, !k.startsWith('ecs.operator.dev/'))",
        "message": "tags: keys starting with ecs.operator.dev/ are reserved for the operator's ownership tags; choose another key"
    }, {
        "rule": "self.all(k, size(k) <= 128 && size(self[k]) <= 256)",
        "message": "tags: ECS takes tag keys of at most 128 characters and values of at most 256; shorten the tag"
    }]))]
    pub tags: BTreeMap<String, String>,
}

/// What RunTask changes of the task definition for this run.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskOverride {
    /// Per-container changes, by container name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub container_overrides: Vec<ContainerOverride>,
    /// The role the task's containers act as, instead of the task definition's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 20, max = 2048),
        regex(pattern = r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    )]
    pub task_role_arn: Option<String>,
    /// The role ECS uses to pull images and write logs, instead of the task definition's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 20, max = 2048),
        regex(pattern = r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    )]
    pub execution_role_arn: Option<String>,
    /// Task CPU units, as a string (1024 = 1 vCPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+$"))]
    pub cpu: Option<String>,
    /// Task memory in MiB, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+$"))]
    pub memory: Option<String>,
}

/// What RunTask changes of one container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerOverride {
    /// The container's name in the task definition.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// Replaces the container's command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub command: Vec<String>,
    /// Added to the container's environment, replacing variables of the same name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub environment: Vec<KeyValuePair>,
    /// CPU units for the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub cpu: Option<i32>,
    /// Hard memory limit of the container, MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub memory: Option<i32>,
}
