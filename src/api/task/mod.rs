//! The `Task` kind: one run of a task definition to completion, like a Kubernetes Job.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, ValidationRule,
};
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

mod status;
mod template;

pub use status::*;
pub use template::*;

use crate::api::common::DeletionPolicy;

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

    /// What each attempt runs: the RunTask request.
    #[serde(flatten)]
    pub template: TaskTemplate,

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

impl Task {
    /// The TaskDefinition object this Task references, if it names one.
    pub fn task_definition_ref_name(&self) -> Option<&str> {
        self.spec
            .template
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
