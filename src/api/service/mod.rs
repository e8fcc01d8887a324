//! The `Service` kind: an ECS service that keeps tasks of one task definition running.

mod autoscaling;
mod deployer;
mod pre_deploy;
mod progressive;
mod rollout;
mod settings;
mod status;

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AdoptionPolicy, DeletionPolicy};
pub use autoscaling::*;
pub use deployer::*;
pub use pre_deploy::*;
pub use progressive::*;
pub use rollout::*;
pub use settings::*;
pub use status::*;

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
#[x_kube(validation = Rule::new(
    "!has(self.preDeploy) || !has(self.deploymentController) || self.deploymentController.type == 'ECS'"
).message("spec.preDeploy needs the ECS deployment controller: with CODE_DEPLOY or EXTERNAL that deployer \
     rolls out revisions, so run the migration from it")
    .field_path(".preDeploy"))]
#[x_kube(validation = Rule::new(
    "!has(self.preDeploy) || !has(self.taskDefinition) || self.taskDefinition.matches(':[0-9]+$')"
).message("spec.taskDefinition must name a revision (family:revision or its ARN) when spec.preDeploy is set: \
     the pre-deploy task runs on exactly the revision the Service then rolls out")
    .field_path(".taskDefinition"))]
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

    /// A task to run on each new revision before the Service rolls out to it, such as a
    /// database migration. The rollout waits for it to succeed; when it fails the Service
    /// stays on the revision it runs, Stalled with reason PreDeployFailed, until a new
    /// revision or a new redeployToken runs it again. A revision whose task succeeded does
    /// not run it again (going back to an older revision later does); the first revision
    /// runs it before the service is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_deploy: Option<PreDeploy>,

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

    /// Whether the spec's capacityProviderStrategy names the ECS capacity provider `name`.
    pub fn names_capacity_provider(&self, name: &str) -> bool {
        self.spec
            .settings
            .capacity_provider_strategy
            .iter()
            .any(|i| i.capacity_provider == name)
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
