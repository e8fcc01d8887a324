//! Container definitions of a task definition, as in the ECS RegisterTaskDefinition API.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::LinuxParameters;

/// One container of the task. Field names follow the ECS ContainerDefinition.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDefinition {
    /// Container name, unique in the task; other containers refer to it in dependsOn and volumesFrom.
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[a-zA-Z0-9_-]+$"))]
    pub name: String,
    /// Image to run, for example public.ecr.aws/nginx/nginx:1.27 or an ECR image URI.
    #[schemars(length(min = 1, max = 2048))]
    pub image: String,
    /// Credentials for a private registry outside ECR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<RepositoryCredentials>,
    /// CPU units reserved for the container (1024 = 1 vCPU). Left out: 0, a share of what is free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub cpu: Option<i32>,
    /// Hard memory limit in MiB: the container is killed above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 6))]
    pub memory: Option<i32>,
    /// Soft memory limit in MiB, reserved for the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 6))]
    pub memory_reservation: Option<i32>,
    /// Whether the task stops when this container stops. Defaults to true; at least one container must be essential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    /// Ports the container listens on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub port_mappings: Vec<PortMapping>,
    /// Plain environment variables. Use secrets for passwords, tokens and keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1000))]
    pub environment: Vec<KeyValuePair>,
    /// S3 objects (.env files) to load environment variables from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub environment_files: Vec<EnvironmentFile>,
    /// Environment variables whose values ECS reads from Secrets Manager or SSM Parameter
    /// Store when the task starts; the task's executionRoleArn must be allowed to read them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1000))]
    pub secrets: Vec<Secret>,
    /// Command passed to the container, overriding the image's CMD.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256))]
    pub command: Vec<String>,
    /// Entry point, overriding the image's ENTRYPOINT.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256))]
    pub entry_point: Vec<String>,
    /// Working directory for the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    /// User (and optionally group) to run as: user, user:group, uid or uid:gid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Container health check, as in a Dockerfile HEALTHCHECK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Where the container's output goes, for example awslogs to CloudWatch Logs or awsfirelens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    /// Task volumes mounted into the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub mount_points: Vec<MountPoint>,
    /// Containers whose volumes are mounted into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub volumes_from: Vec<VolumeFrom>,
    /// Containers that must reach a condition before this one starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub depends_on: Vec<ContainerDependency>,
    /// Resource limits (ulimits) for the container. At most one per ulimit name (ECS knows 15).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 15))]
    pub ulimits: Vec<Ulimit>,
    /// Linux-specific settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,
    /// Mount the root filesystem read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,
    /// Seconds to wait after SIGTERM before the container is killed (Fargate: at most 120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub stop_timeout: Option<i32>,
    /// Seconds to wait for dependsOn conditions before giving up on starting this container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub start_timeout: Option<i32>,
    /// Docker labels for the container.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 256))]
    pub docker_labels: BTreeMap<String, String>,
    /// FireLens log router settings, for the container that routes the others' logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firelens_configuration: Option<FirelensConfiguration>,
    /// Restart the container in place when it exits, instead of replacing the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// GPUs (EC2 capacity with GPU instances) or an inference accelerator the container needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 2))]
    pub resource_requirements: Vec<ResourceRequirement>,
    /// Give the container elevated privileges on the host (root on the instance). Not on
    /// Fargate, and outside the restricted profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// Keep stdin open (`docker run -i`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,
    /// Allocate a TTY (`docker run -t`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudo_terminal: Option<bool>,
    /// enabled (ECS's default) resolves the image tag to a digest when a task starts, so
    /// every task of a deployment runs the same image; disabled pulls the tag each time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["enabled", "disabled"]))]
    pub version_consistency: Option<String>,
    /// Kernel parameters (sysctls) set in the container's namespaces, for example
    /// net.ipv4.tcp_keepalive_time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub system_controls: Vec<SystemControl>,
    /// Lines added to the container's /etc/hosts. Not with awsvpc (so not on Fargate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub extra_hosts: Vec<HostEntry>,
    /// DNS servers the container resolves with, in order. Not with awsvpc.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub dns_servers: Vec<String>,
    /// DNS search domains, in order. Not with awsvpc.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub dns_search_domains: Vec<String>,
    /// The container's hostname. Not with awsvpc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub hostname: Option<String>,
    /// Run the container without networking. Not with awsvpc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_networking: Option<bool>,
    /// Other containers of the task this one reaches by name, as name or name:alias.
    /// Only with networkMode bridge (Service Connect or service discovery replace it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64), extend("items" = {"type": "string", "maxLength": 511,
        "pattern": "^[a-zA-Z0-9_-]{1,255}(:[a-zA-Z0-9_-]{1,255})?$"}))]
    pub links: Vec<String>,
    /// Docker security options: no-new-privileges, apparmor:PROFILE, label:VALUE (SELinux)
    /// or credentialspec:PATH. Not on Fargate; the restricted profile allows only
    /// no-new-privileges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16), extend("items" = {"type": "string", "minLength": 1, "maxLength": 1024}))]
    pub docker_security_options: Vec<String>,
    /// The credential spec for Active Directory (gMSA) authentication, as
    /// credentialspec:ARN or credentialspecdomainless:ARN of a file in SSM or S3. At most one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1), extend("items" = {"type": "string", "maxLength": 2048,
        "pattern": "^credentialspec(domainless)?:.+$"}))]
    pub credential_specs: Vec<String>,
}

/// One kernel parameter of the container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct SystemControl {
    /// The parameter, for example net.core.somaxconn.
    #[schemars(length(min = 1, max = 255))]
    pub namespace: String,
    /// Its value.
    #[schemars(length(max = 255))]
    pub value: String,
}

/// A line of /etc/hosts.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostEntry {
    /// The name.
    #[schemars(length(min = 1, max = 255))]
    pub hostname: String,
    /// The address it resolves to.
    #[schemars(length(min = 1, max = 64))]
    pub ip_address: String,
}

/// A resource a container reserves beyond CPU and memory.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "self.type != 'GPU' || self.value.matches('^[1-9][0-9]*$')",
    "message": "spec.containerDefinitions[].resourceRequirements[].value: a GPU count is a whole number of at least 1"
}]))]
pub struct ResourceRequirement {
    /// GPU, or InferenceAccelerator (the deviceName of one of the task's inference accelerators).
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["GPU", "InferenceAccelerator"]))]
    pub type_: String,
    /// For GPU, how many GPUs (a whole number); for InferenceAccelerator, the device name.
    #[schemars(length(min = 1, max = 255))]
    pub value: String,
}

/// Private registry credentials.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryCredentials {
    /// ARN of the Secrets Manager secret holding the registry username and password.
    pub credentials_parameter: String,
}

/// A port the container listens on.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    /// Port inside the container.
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: i32,
    /// Port on the host. Under awsvpc it equals containerPort; under bridge, 0 or left out picks a dynamic port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 65535))]
    pub host_port: Option<i32>,
    /// tcp (default) or udp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["tcp", "udp"]))]
    pub protocol: Option<String>,
    /// Port name, used by Service Connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub name: Option<String>,
    /// Application protocol for Service Connect: http, http2 or grpc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["http", "http2", "grpc"]))]
    pub app_protocol: Option<String>,
}

/// A name and a value.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct KeyValuePair {
    /// Name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Value.
    #[serde(default)]
    pub value: String,
}

/// An S3 .env file to load environment variables from.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct EnvironmentFile {
    /// ARN of the S3 object.
    pub value: String,
    /// File type; ECS supports s3.
    #[serde(rename = "type", default = "s3")]
    #[schemars(extend("enum" = ["s3"]))]
    pub type_: String,
}

fn s3() -> String {
    "s3".to_string()
}

/// An environment variable (or log option) whose value ECS fetches from a secret store.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// Name of the environment variable or log option.
    #[schemars(length(min = 1))]
    pub name: String,
    /// ARN of a Secrets Manager secret (optionally with :json-key::), or an SSM parameter ARN or name.
    #[schemars(length(min = 1))]
    pub value_from: String,
}

/// A container health check.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    /// The check, for example ["CMD-SHELL", "curl -f http://localhost/ || exit 1"].
    #[schemars(length(min = 1, max = 256))]
    pub command: Vec<String>,
    /// Seconds between checks (5-300). Defaults to 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 300))]
    pub interval: Option<i32>,
    /// Seconds before a check counts as failed (2-120). Defaults to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 120))]
    pub timeout: Option<i32>,
    /// Failed checks in a row before the container is unhealthy (1-10). Defaults to 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub retries: Option<i32>,
    /// Grace period in seconds after start during which failures do not count (0-300). Defaults to 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 300))]
    pub start_period: Option<i32>,
}

/// Log routing for a container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    /// Log driver. Fargate supports awslogs, splunk and awsfirelens.
    #[schemars(extend("enum" = ["awslogs", "awsfirelens", "splunk", "json-file", "syslog", "journald", "gelf", "fluentd"]))]
    pub log_driver: String,
    /// Driver options, for example awslogs-group, awslogs-region and awslogs-stream-prefix.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 64))]
    pub options: BTreeMap<String, String>,
    /// Driver options whose values come from Secrets Manager or SSM Parameter Store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub secret_options: Vec<Secret>,
}

/// A task volume mounted into the container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MountPoint {
    /// Name of a volume in spec.volumes.
    #[schemars(length(min = 1, max = 255))]
    pub source_volume: String,
    /// Path in the container.
    #[schemars(length(min = 1))]
    pub container_path: String,
    /// Mount read-only. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// Volumes taken from another container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeFrom {
    /// Name of the container to take volumes from.
    #[schemars(length(min = 1, max = 255))]
    pub source_container: String,
    /// Mount read-only. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// A startup dependency on another container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDependency {
    /// Name of a container in spec.containerDefinitions.
    #[schemars(length(min = 1, max = 255))]
    pub container_name: String,
    /// START (started), COMPLETE (exited), SUCCESS (exited with 0) or HEALTHY (health check passes).
    #[schemars(extend("enum" = ["START", "COMPLETE", "SUCCESS", "HEALTHY"]))]
    pub condition: String,
}

/// A resource limit.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ulimit {
    /// Limit name, for example nofile.
    #[schemars(extend("enum" = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"]))]
    pub name: String,
    /// Soft limit.
    pub soft_limit: i32,
    /// Hard limit.
    pub hard_limit: i32,
}

/// FireLens log router settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct FirelensConfiguration {
    /// fluentbit or fluentd.
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["fluentbit", "fluentd"]))]
    pub type_: String,
    /// Router options, for example enable-ecs-log-metadata or config-file-value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 64))]
    pub options: BTreeMap<String, String>,
}

/// In-place container restarts.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestartPolicy {
    /// Whether the container is restarted when it exits.
    pub enabled: bool,
    /// Exit codes that do not trigger a restart (at most 50).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub ignored_exit_codes: Vec<i32>,
    /// Seconds (60-1800) the container must run before a restart is allowed. Defaults to 300.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 1800))]
    pub restart_attempt_period: Option<i32>,
}
