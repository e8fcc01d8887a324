//! The `TaskDefinition` kind: a family of ECS task definition revisions.

mod container;
mod linux;
mod task;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AdoptionPolicy, DeletionPolicy, conditions_schema};

/// The revisions status.revisions records: revisionHistoryLimit (at most 100) plus
/// older ones still in use. Past it the oldest go unrecorded, never deregistered by
/// mistake: deregistering needs AWS's tags, not status.
pub const REVISIONS_RECORDED: usize = 1000;
pub use container::*;
pub use linux::*;
pub use task::*;

/// Desired state of an ECS task definition family. The fields outside `region`, `tags`,
/// the policies and `revisionHistoryLimit` follow the ECS RegisterTaskDefinition API;
/// each real change registers one new revision.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "TaskDefinition",
    namespaced,
    status = "TaskDefinitionStatus",
    shortname = "ecstaskdef",
    shortname = "ecstd",
    category = "ecs",
    doc = "An Amazon ECS task definition family managed by ecs-operator.",
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Family", type_ = "string", json_path = ".status.family"),
    printcolumn(name = "Revision", type_ = "integer", json_path = ".status.revision"),
    printcolumn(name = "Reason", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].reason", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    validation = Rule::new(
        "(has(self.spec.family) ? self.spec.family : self.metadata.name) == \
         (has(oldSelf.spec.family) ? oldSelf.spec.family : oldSelf.metadata.name)"
    )
    .message("spec.family is immutable: create a new TaskDefinition object for another family")
    .field_path(".spec.family"),
)]
#[x_kube(validation = Rule::new(
    "self.containerDefinitions.all(c, self.containerDefinitions.filter(d, d.name == c.name).size() == 1)"
).message("spec.containerDefinitions: container names must be unique").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(
    "self.containerDefinitions.exists(c, !has(c.essential) || c.essential)"
).message("spec.containerDefinitions: at least one container must be essential (essential defaults to true)").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(
    "self.containerDefinitions.all(c, !has(c.dependsOn) || \
     c.dependsOn.all(d, self.containerDefinitions.exists(o, o.name == d.containerName)))"
).message("spec.containerDefinitions[].dependsOn[].containerName must name a container in spec.containerDefinitions").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(
    "self.containerDefinitions.all(c, !has(c.mountPoints) || \
     c.mountPoints.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.sourceVolume)))"
).message("spec.containerDefinitions[].mountPoints[].sourceVolume must name a volume in spec.volumes").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(
    "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || \
     (has(self.networkMode) && self.networkMode == 'awsvpc')"
).message("spec.networkMode must be awsvpc when spec.requiresCompatibilities includes FARGATE").field_path(".networkMode"))]
#[x_kube(validation = Rule::new(
    "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || \
     self.containerDefinitions.all(c, (!has(c.privileged) || !c.privileged) && !has(c.resourceRequirements))"
).message("spec.containerDefinitions[]: privileged and resourceRequirements (GPUs) are not supported when spec.requiresCompatibilities includes FARGATE").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(
    "!has(self.networkMode) || self.networkMode != 'awsvpc' || \
     self.containerDefinitions.all(c, !has(c.extraHosts) && !has(c.dnsServers) && \
       !has(c.dnsSearchDomains) && !has(c.hostname) && !has(c.disableNetworking))"
).message("spec.containerDefinitions[]: extraHosts, dnsServers, dnsSearchDomains, hostname and disableNetworking \
     are not supported with networkMode awsvpc (ECS sets the task's own)").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(
    "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || \
     self.containerDefinitions.all(c, !has(c.linuxParameters) || (!has(c.linuxParameters.sharedMemorySize) && \
       !has(c.linuxParameters.maxSwap) && !has(c.linuxParameters.swappiness) && \
       (!has(c.linuxParameters.devices) || size(c.linuxParameters.devices) == 0) && \
       (!has(c.linuxParameters.tmpfs) || size(c.linuxParameters.tmpfs) == 0)))"
).message("spec.containerDefinitions[].linuxParameters: sharedMemorySize, maxSwap, swappiness, devices and tmpfs \
     are not supported when spec.requiresCompatibilities includes FARGATE").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(
    "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || \
     self.containerDefinitions.all(c, !has(c.dockerSecurityOptions) || size(c.dockerSecurityOptions) == 0)"
).message("spec.containerDefinitions[].dockerSecurityOptions are not supported when spec.requiresCompatibilities \
     includes FARGATE").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(
    "(has(self.networkMode) && self.networkMode != 'bridge') ? \
     self.containerDefinitions.all(c, !has(c.links) || size(c.links) == 0) : true"
).message("spec.containerDefinitions[].links need networkMode bridge (the EC2 default); under awsvpc or host, \
     containers of a task reach each other on localhost").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(
    "self.containerDefinitions.all(c, !has(c.resourceRequirements) || \
     c.resourceRequirements.all(r, c.resourceRequirements.exists_one(o, o.type == r.type)))"
).message("spec.containerDefinitions[].resourceRequirements: one entry per type").field_path(".containerDefinitions"))]
// ECS Developer Guide, "Amazon ECS task definition parameters for Amazon ECS Managed Instances".
#[x_kube(validation = Rule::new(
    "!has(self.requiresCompatibilities) || !('MANAGED_INSTANCES' in self.requiresCompatibilities) || \
     (has(self.networkMode) && self.networkMode in ['awsvpc', 'host'])"
).message("spec.networkMode must be awsvpc or host when spec.requiresCompatibilities includes MANAGED_INSTANCES \
     (the only modes ECS Managed Instances support; set it, as tasks of a definition without one do not run there)")
    .field_path(".networkMode"))]
#[x_kube(validation = Rule::new(
    "!has(self.requiresCompatibilities) || !('MANAGED_INSTANCES' in self.requiresCompatibilities) || \
     (!has(self.ephemeralStorage) && !has(self.ipcMode) && !has(self.proxyConfiguration) && \
      (!has(self.volumes) || self.volumes.all(v, !has(v.dockerVolumeConfiguration))) && \
      (!has(self.runtimePlatform) || !has(self.runtimePlatform.operatingSystemFamily) || \
       self.runtimePlatform.operatingSystemFamily == 'LINUX') && \
      (!has(self.cpu) || (int(self.cpu) >= 128 && int(self.cpu) <= 10240)))"
).message("spec: ephemeralStorage, ipcMode, proxyConfiguration and volumes[].dockerVolumeConfiguration are not \
     supported when spec.requiresCompatibilities includes MANAGED_INSTANCES, runtimePlatform.operatingSystemFamily \
     must be LINUX, and cpu 128 to 10240 (0.125 to 10 vCPU)"))]
#[x_kube(validation = Rule::new(
    "!has(self.requiresCompatibilities) || !('MANAGED_INSTANCES' in self.requiresCompatibilities) || \
     self.containerDefinitions.all(c, \
       (!has(c.dockerSecurityOptions) || size(c.dockerSecurityOptions) == 0) && \
       (!has(c.dockerLabels) || size(c.dockerLabels) == 0) && !has(c.disableNetworking) && \
       (!has(c.links) || size(c.links) == 0) && !has(c.hostname) && \
       (!has(c.dnsServers) || size(c.dnsServers) == 0) && \
       (!has(c.resourceRequirements) || c.resourceRequirements.all(r, r.type == 'GPU')) && \
       (!has(c.linuxParameters) || (!has(c.linuxParameters.sharedMemorySize) && \
         !has(c.linuxParameters.maxSwap) && !has(c.linuxParameters.swappiness) && \
         (!has(c.linuxParameters.tmpfs) || size(c.linuxParameters.tmpfs) == 0))))"
).message("spec.containerDefinitions[]: dockerSecurityOptions, dockerLabels, disableNetworking, links, hostname, \
     dnsServers, InferenceAccelerator resources and linuxParameters sharedMemorySize, maxSwap, swappiness and tmpfs \
     are not supported when spec.requiresCompatibilities includes MANAGED_INSTANCES").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(
    "!has(self.requiresCompatibilities) || !('MANAGED_INSTANCES' in self.requiresCompatibilities) || \
     has(self.memory) || self.containerDefinitions.all(c, has(c.memory) || has(c.memoryReservation))"
).message("spec.containerDefinitions[]: without spec.memory, each container needs memory or memoryReservation \
     when spec.requiresCompatibilities includes MANAGED_INSTANCES").field_path(".containerDefinitions"))]
#[x_kube(validation = Rule::new(FARGATE_SIZES).message(
    "spec.cpu and spec.memory must be a valid Fargate pair when spec.requiresCompatibilities includes FARGATE: \
     cpu 256 with memory 512, 1024 or 2048; 512 with 1024-4096; 1024 with 2048-8192; 2048 with 4096-16384; \
     4096 with 8192-30720 (memory in steps of 1024); 8192 with 16384-61440 (steps of 4096); \
     16384 with 32768-122880 (steps of 8192)"
).field_path(".memory"))]
#[x_kube(validation = Rule::new(
    "(has(self.region) ? self.region : '') == (has(oldSelf.region) ? oldSelf.region : '')"
).message("spec.region is immutable: a family cannot move to another region; create a new TaskDefinition object instead")
    .field_path(".region"))]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionSpec {
    /// ECS task definition family. Defaults to metadata.name. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[a-zA-Z0-9_-]+$"))]
    pub family: Option<String>,

    /// AWS region of the task definition, for example eu-west-1. Defaults to the operator's
    /// --default-region; another must be one the operator serves (--allowed-regions). Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 32),
        regex(pattern = r"^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$")
    )]
    pub region: Option<String>,

    /// What is registered with ECS.
    #[serde(flatten)]
    pub definition: TaskDefinitionFields,

    /// Tags for every revision this object registers. The operator adds its own
    /// (ecs.operator.dev/*, so keys with that prefix are refused here); changing tags updates
    /// the latest revision without registering a new one.
    /// At most 45: ECS allows 50 per resource, and the operator adds 5 (with the spec hash).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 45, "x-kubernetes-validations" = [{
        "rule": "self.all(k, !k.startsWith('ecs.operator.dev/'))",
        "message": "spec.tags: keys starting with ecs.operator.dev/ are reserved for the operator's ownership tags; choose another key"
    }, {
        "rule": "self.all(k, size(k) <= 128 && size(self[k]) <= 256)",
        "message": "spec.tags: ECS takes tag keys of at most 128 characters and values of at most 256; shorten the tag"
    }]))]
    pub tags: BTreeMap<String, String>,

    /// Delete (default) deregisters every revision this object registered when it is deleted;
    /// Retain leaves them.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// Never (default) refuses to register into a family that already has active revisions
    /// this object did not register; Adopt registers into it anyway. Revisions this object
    /// did not register are never deregistered.
    #[serde(default)]
    pub adoption_policy: AdoptionPolicy,

    /// How many revisions registered by this object stay ACTIVE. Older ones are deregistered,
    /// unless a Service still uses them. Defaults to 10.
    #[serde(default = "default_revision_history_limit")]
    #[schemars(range(min = 1, max = 100))]
    pub revision_history_limit: i32,
}

fn default_revision_history_limit() -> i32 {
    10
}

/// CEL for the Fargate CPU and memory pairs (ECS Developer Guide, "Task CPU and memory").
const FARGATE_SIZES: &str = "!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || \
    (has(self.cpu) && has(self.memory) && \
     [int(self.cpu)].all(c, [int(self.memory)].all(m, \
       (c == 256 && (m == 512 || m == 1024 || m == 2048)) || \
       (c == 512 && m >= 1024 && m <= 4096 && m % 1024 == 0) || \
       (c == 1024 && m >= 2048 && m <= 8192 && m % 1024 == 0) || \
       (c == 2048 && m >= 4096 && m <= 16384 && m % 1024 == 0) || \
       (c == 4096 && m >= 8192 && m <= 30720 && m % 1024 == 0) || \
       (c == 8192 && m >= 16384 && m <= 61440 && m % 4096 == 0) || \
       (c == 16384 && m >= 32768 && m <= 122880 && m % 8192 == 0))))";

/// What the operator observed of the family.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionStatus {
    /// The metadata.generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling and Stalled, as kstatus defines them. Ready: the current spec is registered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_schema")]
    pub conditions: Vec<Condition>,
    /// AWS region of the family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ECS task definition family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Number of the latest revision, the one that matches the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i32>,
    /// ARN of the latest revision; Services that reference this object run it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The ACTIVE revisions this object registered, newest first (at most 1000).
    #[schemars(length(max = REVISIONS_RECORDED))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<RevisionRecord>,
    /// Keys of the spec tags last applied, so one removed from the spec is removed from AWS.
    #[schemars(length(max = 50))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_tag_keys: Vec<String>,
}

/// One revision this object registered.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionRecord {
    /// Revision number.
    pub revision: i32,
    /// Revision ARN.
    pub arn: String,
    /// Hash of the normalised spec it was registered from.
    pub spec_hash: String,
    /// When ECS registered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<Time>,
}

impl TaskDefinition {
    /// The ECS family: spec.family, else metadata.name.
    pub fn family(&self) -> String {
        self.spec
            .family
            .clone()
            .or_else(|| self.metadata.name.clone())
            .unwrap_or_default()
    }
}
