//! Task-level settings of a task definition, as in the ECS RegisterTaskDefinition API.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::container::{ContainerDefinition, KeyValuePair};

/// The part of a task definition that is registered with ECS (all but family and tags).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionFields {
    /// Task CPU in CPU units, for example "256" (0.25 vCPU) or "1024" (1 vCPU).
    /// Required for FARGATE, together with memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[1-9][0-9]{0,5}$"))]
    pub cpu: Option<String>,
    /// Task memory in MiB, for example "512" or "2048".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[1-9][0-9]{0,6}$"))]
    pub memory: Option<String>,
    /// Docker networking mode: awsvpc (required on Fargate; awsvpc or host on Managed
    /// Instances), bridge, host or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["awsvpc", "bridge", "host", "none"]))]
    pub network_mode: Option<String>,
    /// Capacity the task definition is validated against: FARGATE, EC2, EXTERNAL or
    /// MANAGED_INSTANCES (ECS Managed Instances; it may be combined with FARGATE).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 4), extend("items" = {"type": "string", "enum": ["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"]}))]
    pub requires_compatibilities: Vec<String>,
    /// IAM role the containers' own AWS calls use (the application's permissions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    /// IAM role ECS uses to start the task: pull images from ECR, write awslogs, read secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    /// CPU architecture and operating system. Fargate: set it to run on ARM64 or Windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    /// Ephemeral storage for Fargate tasks beyond the default 20 GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<EphemeralStorage>,
    /// Process namespace: host or task. Fargate supports task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["host", "task"]))]
    pub pid_mode: Option<String>,
    /// IPC namespace: host, task or none. Not supported on Fargate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["host", "task", "none"]))]
    pub ipc_mode: Option<String>,
    /// Placement constraints for tasks on EC2 (memberOf expressions). Not supported on Fargate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub placement_constraints: Vec<TaskPlacementConstraint>,
    /// App Mesh proxy settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_configuration: Option<ProxyConfiguration>,
    /// Volumes the containers can mount: bind mounts (host), EFS, or Docker volumes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub volumes: Vec<Volume>,
    /// The containers of the task, 1 to 10.
    #[schemars(length(min = 1, max = 10))]
    pub container_definitions: Vec<ContainerDefinition>,
    /// Let AWS Fault Injection Service experiments inject faults (network latency,
    /// packet loss, CPU and I/O stress) into the task's containers. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_fault_injection: Option<bool>,
}

/// Where the task runs.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePlatform {
    /// X86_64 or ARM64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["X86_64", "ARM64"]))]
    pub cpu_architecture: Option<String>,
    /// LINUX, or a Windows family such as WINDOWS_SERVER_2022_CORE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_system_family: Option<String>,
}

/// Fargate ephemeral storage.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct EphemeralStorage {
    /// Size in GiB, 21 to 200.
    #[serde(rename = "sizeInGiB")]
    #[schemars(range(min = 21, max = 200))]
    pub size_in_gib: i32,
}

/// A task placement constraint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct TaskPlacementConstraint {
    /// memberOf, the only type task definitions accept.
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["memberOf"]))]
    pub type_: String,
    /// Cluster query language expression, for example attribute:ecs.instance-type =~ t3.*.
    #[schemars(length(min = 1, max = 2000))]
    pub expression: String,
}

/// App Mesh proxy settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProxyConfiguration {
    /// APPMESH, the only type ECS supports.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["APPMESH"]))]
    pub type_: Option<String>,
    /// Name of the container that is the proxy.
    pub container_name: String,
    /// Proxy settings, for example IgnoredUID, AppPorts and ProxyIngressPort.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub properties: Vec<KeyValuePair>,
}

/// A volume of the task. Set at most one of host, efsVolumeConfiguration and
/// dockerVolumeConfiguration; none of them gives a task-scoped scratch volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "[has(self.host), has(self.efsVolumeConfiguration), has(self.dockerVolumeConfiguration)].filter(x, x).size() <= 1",
    "message": "spec.volumes[]: set at most one of host, efsVolumeConfiguration and dockerVolumeConfiguration"
}]))]
pub struct Volume {
    /// Volume name, used by mountPoints[].sourceVolume.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// Bind mount of a path on the host (EC2), or a scratch volume when sourcePath is left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostVolume>,
    /// Amazon EFS file system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
    /// Docker volume (EC2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_volume_configuration: Option<DockerVolumeConfiguration>,
}

/// A bind mount.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostVolume {
    /// Path on the host. Left out: the Docker daemon picks a path that lives as long as the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
}

/// An Amazon EFS volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EfsVolumeConfiguration {
    /// EFS file system ID, for example fs-0123456789abcdef0.
    #[schemars(length(min = 1))]
    pub file_system_id: String,
    /// Directory of the file system to mount. Defaults to /. Leave it out when using an access point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<String>,
    /// ENABLED encrypts traffic to EFS (required with IAM authorization). Defaults to DISABLED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ENABLED", "DISABLED"]))]
    pub transit_encryption: Option<String>,
    /// Port for encrypted traffic to EFS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub transit_encryption_port: Option<i32>,
    /// Access point and IAM authorization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_config: Option<EfsAuthorizationConfig>,
}

/// EFS access point and IAM settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EfsAuthorizationConfig {
    /// EFS access point ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_point_id: Option<String>,
    /// ENABLED mounts with the task role's IAM identity. Defaults to DISABLED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ENABLED", "DISABLED"]))]
    pub iam: Option<String>,
}

/// A Docker volume.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DockerVolumeConfiguration {
    /// task (removed with the task) or shared (outlives it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["task", "shared"]))]
    pub scope: Option<String>,
    /// For shared scope: create the volume if it does not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoprovision: Option<bool>,
    /// Volume driver, for example local.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Driver options.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 64))]
    pub driver_opts: BTreeMap<String, String>,
    /// Docker labels for the volume.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 64))]
    pub labels: BTreeMap<String, String>,
}
