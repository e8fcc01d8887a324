//! The `Task` kind: one run of a task definition to completion, like a Kubernetes Job.

use std::collections::BTreeMap;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, ValidationRule,
};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod status;

pub use status::*;

use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::common::DeletionPolicy;
use crate::api::service::{
    LocalReference, NetworkConfiguration, PlacementConstraint, PlacementStrategy,
};
use crate::api::task_definition::KeyValuePair;

/// The most further attempts `backoffLimit` may ask for, and so (with the first) the
/// attempts status keeps.
pub const BACKOFF_LIMIT_MAX: i32 = 20;
/// Attempts status.attempts keeps: every attempt a Task may make.
pub const ATTEMPTS_KEPT: usize = BACKOFF_LIMIT_MAX as usize + 1;
/// Kubernetes Jobs default to 6 further attempts; Tasks do the same.
pub const BACKOFF_LIMIT_DEFAULT: i32 = 6;

/// Desired state of one run of an ECS task definition. The fields of the run follow the
/// ECS RunTask API; `backoffLimit`, `activeDeadlineSeconds` and `ttlSecondsAfterFinished`
/// follow a Kubernetes Job. Every field is immutable once the Task is created, except the
/// TTL (`immutable_spec` adds the rules).
// clippy reads each printcolumn's arguments as attributes of the struct, and two columns
// of one type as a duplicate.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "Task",
    namespaced,
    status = "TaskStatus",
    shortname = "ecstask",
    category = "ecs",
    doc = "One run of an Amazon ECS task definition to completion, managed by ecs-operator.",
    printcolumn(name = "Status", type_ = "string", json_path = ".status.phase"),
    printcolumn(
        name = "Attempts",
        type_ = "integer",
        json_path = ".status.attemptCount"
    ),
    printcolumn(name = "Exit Codes", type_ = "string", json_path = ".status.exitCodes"),
    printcolumn(name = "Duration", type_ = "string", json_path = ".status.duration"),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("has(self.clusterRef) != has(self.cluster)")
    .message("set exactly one of spec.clusterRef (a Cluster object) and spec.cluster (an ECS cluster name or ARN)")
    .field_path(".clusterRef"))]
#[x_kube(validation = Rule::new("has(self.taskDefinitionRef) != has(self.taskDefinition)")
    .message("set exactly one of spec.taskDefinitionRef (a TaskDefinition object) and spec.taskDefinition (family:revision or an ARN)")
    .field_path(".taskDefinitionRef"))]
#[x_kube(validation = Rule::new(
    "!has(self.launchType) || !has(self.capacityProviderStrategy) || size(self.capacityProviderStrategy) == 0"
).message("spec.launchType and spec.capacityProviderStrategy cannot both be set: RunTask takes one or the other")
    .field_path(".launchType"))]
#[serde(rename_all = "camelCase")]
pub struct TaskSpec {
    /// AWS region to run in, for example eu-west-1. Defaults to the operator's
    /// --default-region; another must be one the operator serves (--allowed-regions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 32),
        regex(pattern = r"^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$")
    )]
    pub region: Option<String>,

    /// A Cluster object in this namespace to run in (it must be Ready). Set this or `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ref: Option<LocalReference>,

    /// Name or ARN of an ECS cluster this operator does not manage. Set this or `clusterRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub cluster: Option<String>,

    /// A TaskDefinition object in this namespace: the Task runs the revision that is its
    /// latest when the first attempt starts, and every attempt runs that same revision.
    /// Set this or `taskDefinition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_ref: Option<LocalReference>,

    /// A task definition this operator does not manage, as family:revision or an ARN.
    /// Set this or `taskDefinitionRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub task_definition: Option<String>,

    /// Tasks each attempt starts, 1 (default) to 10 (RunTask's limit). An attempt
    /// succeeds when every essential container of every one of them exits 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub count: Option<i32>,

    /// FARGATE, EC2 or EXTERNAL. Leave it out to use capacityProviderStrategy or the
    /// cluster's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["FARGATE", "EC2", "EXTERNAL"]))]
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

    /// Further attempts after a failed one (0 to 20, default 6, as a Job's), each after
    /// a pause that doubles from 10 s up to 6 minutes. When they are used up the Task is Failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 20))]
    pub backoff_limit: Option<i32>,

    /// Seconds from the first attempt's start after which running tasks are stopped
    /// (StopTask) and the Task is Failed with reason DeadlineExceeded, whatever attempts
    /// are left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 31536000))]
    pub active_deadline_seconds: Option<i64>,

    /// Tags for the tasks. The operator adds its own (ecs.operator.dev/*, so keys with that
    /// prefix are refused here). At most 45: ECS allows 50 per task, and the operator adds 5.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 45, "x-kubernetes-validations" = [{
        "rule": "self.all(k, !k.startsWith('ecs.operator.dev/'))",
        "message": "spec.tags: keys starting with ecs.operator.dev/ are reserved for the operator's ownership tags; choose another key"
    }, {
        "rule": "self.all(k, size(k) <= 128 && size(self[k]) <= 256)",
        "message": "spec.tags: ECS takes tag keys of at most 128 characters and values of at most 256; shorten the tag"
    }]))]
    pub tags: BTreeMap<String, String>,

    /// Delete (default) stops the tasks still running when this object is deleted;
    /// Retain leaves them running.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// Seconds after the Task completes or fails before the object deletes itself (its
    /// tasks have stopped by then, so nothing in AWS changes). Left out: kept until
    /// deleted. Under Argo CD or Flux a deleted Task is applied again and runs again,
    /// as a Job would. The one field that may change after create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 31536000))]
    pub ttl_seconds_after_finished: Option<i32>,
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

impl Task {
    /// The TaskDefinition object this Task references, if it names one.
    pub fn task_definition_ref_name(&self) -> Option<&str> {
        self.spec
            .task_definition_ref
            .as_ref()
            .map(|r| r.name.as_str())
    }

    /// The revision an unfinished Task runs or will run again, as its status reports it.
    pub fn revision_in_use(&self) -> Option<&str> {
        let status = self.status.as_ref()?;
        if status.completion_time.is_some() {
            return None;
        }
        status.task_definition_arn.as_deref()
    }
}

/// The one spec field that may change after create.
const MUTABLE: &str = "ttlSecondsAfterFinished";

/// Makes every field of the Task's spec but the TTL immutable, as a Job's template is:
/// a transition rule on each field (its value may not change) and one on the spec (no
/// field may be added or removed). Generated from the schema, so a field added later is
/// covered without another line.
pub(crate) fn immutable_spec(crd: &mut CustomResourceDefinition) {
    for version in &mut crd.spec.versions {
        let Some(spec) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
            .and_then(|root| root.properties.as_mut())
            .and_then(|properties| properties.get_mut("spec"))
        else {
            continue;
        };
        let Some(fields) = spec.properties.as_mut() else {
            continue;
        };
        let mut optional = Vec::new();
        for (name, field) in fields.iter_mut().filter(|(name, _)| *name != MUTABLE) {
            field
                .x_kubernetes_validations
                .get_or_insert_with(Vec::new)
                .push(ValidationRule {
                    rule: "self == oldSelf".into(),
                    message: Some(immutable_message(name)),
                    ..ValidationRule::default()
                });
            optional.push(name.clone());
        }
        let required = spec.required.clone().unwrap_or_default();
        optional.retain(|name| !required.contains(name));
        let presence = optional
            .iter()
            .map(|f| format!("has(self.{f}) == has(oldSelf.{f})"))
            .collect::<Vec<_>>()
            .join(" && ");
        if !presence.is_empty() {
            spec.x_kubernetes_validations
                .get_or_insert_with(Vec::new)
                .push(ValidationRule {
                    rule: presence,
                    message: Some(
                        "spec fields cannot be added or removed once a Task is created, except \
                         ttlSecondsAfterFinished (as for a Kubernetes Job); delete the Task and \
                         create a new one to run again"
                            .into(),
                    ),
                    ..ValidationRule::default()
                });
        }
    }
}

fn immutable_message(field: &str) -> String {
    format!(
        "spec.{field} is immutable once a Task is created (as a Kubernetes Job's template is); \
         delete the Task and create a new one to run again"
    )
}
