//! The `Service` kind: an ECS service that keeps tasks of one task definition running.

mod autoscaling;
mod deployer;
mod progressive;
mod rollout;
mod settings;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AdoptionPolicy, DeletionPolicy, conditions_schema};
pub use autoscaling::*;
pub use deployer::*;
pub use progressive::*;
pub use rollout::*;
pub use settings::*;

/// The ECS service events status.events keeps.
pub const EVENTS_KEPT: usize = 10;
/// The deployments status.deployments keeps: ECS reports the PRIMARY one and the few
/// ACTIVE ones still draining.
pub const DEPLOYMENTS_KEPT: usize = 10;

/// Desired state of an ECS service. The fields outside the references, `region`, `tags`,
/// `redeployToken` and the policies follow the ECS CreateService and UpdateService APIs.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "Service",
    namespaced,
    status = "ServiceStatus",
    shortname = "ecssvc",
    category = "ecs",
    doc = "An Amazon ECS service managed by ecs-operator.",
    scale(
        spec_replicas_path = ".spec.desiredCount",
        status_replicas_path = ".status.runningCount",
        label_selector_path = ".status.selector"
    ),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Desired", type_ = "integer", json_path = ".status.desiredCount"),
    printcolumn(name = "Running", type_ = "integer", json_path = ".status.runningCount"),
    printcolumn(name = "Reason", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].reason"),
    printcolumn(name = "Stage", type_ = "string", json_path = ".status.rollout.stage"),
    printcolumn(name = "Task Definition", type_ = "string", json_path = ".status.taskDefinitionArn", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    validation = Rule::new(
        "(has(self.spec.serviceName) ? self.spec.serviceName : self.metadata.name) == \
         (has(oldSelf.spec.serviceName) ? oldSelf.spec.serviceName : oldSelf.metadata.name)"
    )
    .message("spec.serviceName is immutable: ECS cannot rename a service; create a new Service object instead")
    .field_path(".spec.serviceName"),
)]
#[x_kube(validation = Rule::new("has(self.clusterRef) != has(self.cluster)")
    .message("set exactly one of spec.clusterRef (a Cluster object) and spec.cluster (an ECS cluster name or ARN)")
    .field_path(".clusterRef"))]
#[x_kube(validation = Rule::new("has(self.taskDefinitionRef) != has(self.taskDefinition)")
    .message("set exactly one of spec.taskDefinitionRef (a TaskDefinition object) and spec.taskDefinition (family:revision or an ARN)")
    .field_path(".taskDefinitionRef"))]
#[x_kube(validation = Rule::new(
    "!has(self.launchType) || !has(self.capacityProviderStrategy) || size(self.capacityProviderStrategy) == 0"
).message("spec.launchType and spec.capacityProviderStrategy cannot both be set: ECS takes one or the other")
    .field_path(".launchType"))]
#[x_kube(validation = Rule::new(
    "!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || !has(self.desiredCount)"
).message("spec.desiredCount must be left out when spec.schedulingStrategy is DAEMON: ECS runs one task per container instance")
    .field_path(".desiredCount"))]
#[x_kube(validation = Rule::new(
    "!has(self.autoscaling) || !has(oldSelf.autoscaling) || \
     (has(self.desiredCount) ? self.desiredCount : -1) == (has(oldSelf.desiredCount) ? oldSelf.desiredCount : -1)"
).message("spec.desiredCount cannot change while spec.autoscaling is set: Application Auto Scaling owns the task count; \
     change spec.autoscaling.minCapacity and maxCapacity instead (kubectl scale is refused for the same reason)")
    .field_path(".desiredCount"))]
#[x_kube(validation = Rule::new(
    "!has(self.autoscaling) || !has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON'"
).message("spec.autoscaling cannot be used with schedulingStrategy DAEMON: ECS runs one task per container instance")
    .field_path(".autoscaling"))]
#[x_kube(validation = Rule::new(
    "(has(self.schedulingStrategy) ? self.schedulingStrategy : 'REPLICA') == \
     (has(oldSelf.schedulingStrategy) ? oldSelf.schedulingStrategy : 'REPLICA')"
).message("spec.schedulingStrategy is immutable: ECS cannot change it; create a new Service object instead")
    .field_path(".schedulingStrategy"))]
#[x_kube(validation = Rule::new(
    "(has(self.deploymentController) ? self.deploymentController.type : 'ECS') == \
     (has(oldSelf.deploymentController) ? oldSelf.deploymentController.type : 'ECS') || \
     (has(self.deploymentController) ? self.deploymentController.type : 'ECS') == 'ECS'"
).message("spec.deploymentController can only move from CODE_DEPLOY or EXTERNAL to ECS in place \
     (ECS's documented migration); for another change create a new Service object")
    .field_path(".deploymentController"))]
#[x_kube(validation = Rule::new(
    "(has(self.clusterRef) ? 'ref:' + self.clusterRef.name : has(self.cluster) ? 'ecs:' + self.cluster : '') == \
     (has(oldSelf.clusterRef) ? 'ref:' + oldSelf.clusterRef.name : has(oldSelf.cluster) ? 'ecs:' + oldSelf.cluster : '')"
).message("spec.clusterRef and spec.cluster are immutable: a service cannot move to another cluster; create a new Service object instead")
    .field_path(".clusterRef"))]
#[x_kube(validation = Rule::new(
    "(has(self.region) ? self.region : '') == (has(oldSelf.region) ? oldSelf.region : '')"
).message("spec.region is immutable: a service cannot move to another region; create a new Service object instead")
    .field_path(".region"))]
#[x_kube(validation = Rule::new(
    "!has(self.loadBalancers) || !self.loadBalancers.exists(l, has(l.advancedConfiguration)) || \
     (has(self.deploymentConfiguration) && has(self.deploymentConfiguration.strategy) && \
      self.deploymentConfiguration.strategy != 'ROLLING')"
).message("spec.loadBalancers[].advancedConfiguration is for BLUE_GREEN, LINEAR and CANARY deployments: \
     set spec.deploymentConfiguration.strategy to one of them, or leave it out")
    .field_path(".loadBalancers"))]
#[x_kube(validation = Rule::new(
    "!has(self.serviceConnectConfiguration) || !has(self.serviceConnectConfiguration.services) || \
     !self.serviceConnectConfiguration.services.exists(s, has(s.clientAliases) && \
       s.clientAliases.exists(a, has(a.testTrafficRules))) || \
     (has(self.deploymentConfiguration) && has(self.deploymentConfiguration.strategy) && \
      self.deploymentConfiguration.strategy != 'ROLLING')"
).message("spec.serviceConnectConfiguration.services[].clientAliases[].testTrafficRules is for BLUE_GREEN, \
     LINEAR and CANARY deployments: set spec.deploymentConfiguration.strategy to one of them, or leave it out")
    .field_path(".serviceConnectConfiguration"))]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// ECS service name. Defaults to metadata.name. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[a-zA-Z0-9_-]+$"))]
    pub service_name: Option<String>,

    /// AWS region of the service, for example eu-west-1. Defaults to the operator's
    /// --default-region; another must be one the operator serves (--allowed-regions). Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 32),
        regex(pattern = r"^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$")
    )]
    pub region: Option<String>,

    /// A Cluster object in this namespace to run in. Set this or `cluster`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ref: Option<LocalReference>,

    /// Name or ARN of an ECS cluster this operator does not manage. Set this or `clusterRef`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub cluster: Option<String>,

    /// A TaskDefinition object in this namespace; the service runs its latest revision, and a
    /// new revision rolls the service out. Set this or `taskDefinition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_ref: Option<LocalReference>,

    /// A task definition this operator does not manage, as family:revision or an ARN.
    /// Set this or `taskDefinitionRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub task_definition: Option<String>,

    /// What CreateService and UpdateService send.
    #[serde(flatten)]
    pub settings: ServiceSettings,

    /// Application Auto Scaling of desiredCount. While set, the operator sends desiredCount
    /// only when it creates the service (clamped to min and max) and never again, so the
    /// scaler's choice stands; change minCapacity and maxCapacity instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,

    /// Any string. Changing it starts a new deployment of the same revision (forceNewDeployment),
    /// for example to pull a moved image tag again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub redeploy_token: Option<String>,

    /// Tags for the service. The operator adds its own (ecs.operator.dev/*, so keys with that
    /// prefix are refused here); tags set elsewhere are left alone, and a tag removed from
    /// here is removed from AWS. At most 46: ECS allows 50 per resource, and the operator
    /// adds 4.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 46, "x-kubernetes-validations" = [{
        "rule": "self.all(k, !k.startsWith('ecs.operator.dev/'))",
        "message": "spec.tags: keys starting with ecs.operator.dev/ are reserved for the operator's ownership tags; choose another key"
    }, {
        "rule": "self.all(k, size(k) <= 128 && size(self[k]) <= 256)",
        "message": "spec.tags: ECS takes tag keys of at most 128 characters and values of at most 256; shorten the tag"
    }]))]
    pub tags: BTreeMap<String, String>,

    /// Delete (default) scales the ECS service to 0 and deletes it when this object is
    /// deleted; Retain leaves it running.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// Never (default) refuses to manage an ECS service of the same name that this object
    /// did not create; Adopt takes it over.
    #[serde(default)]
    pub adoption_policy: AdoptionPolicy,
}

/// A reference to an object of this operator in the same namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct LocalReference {
    /// metadata.name of the object.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

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

impl Service {
    /// The ECS service name: spec.serviceName, else metadata.name.
    pub fn service_name(&self) -> String {
        self.spec
            .service_name
            .clone()
            .or_else(|| self.metadata.name.clone())
            .unwrap_or_default()
    }

    /// The Cluster object this Service references, if it names one.
    pub fn cluster_ref_name(&self) -> Option<&str> {
        self.spec.cluster_ref.as_ref().map(|r| r.name.as_str())
    }

    /// The TaskDefinition object this Service references, if it names one.
    pub fn task_definition_ref_name(&self) -> Option<&str> {
        self.spec
            .task_definition_ref
            .as_ref()
            .map(|r| r.name.as_str())
    }

    /// The revisions this Service wants (its desired revision) or still runs (in any of
    /// its live deployments), as its status reports them.
    pub fn revisions_in_use(&self) -> Vec<String> {
        let Some(status) = &self.status else {
            return Vec::new();
        };
        status
            .task_definition_arn
            .iter()
            .cloned()
            .chain(status.deployments.iter().map(|d| d.task_definition.clone()))
            .collect()
    }
}
