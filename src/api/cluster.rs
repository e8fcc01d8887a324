//! The `Cluster` kind: an ECS cluster.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AdoptionPolicy, DeletionPolicy, conditions_schema};
use super::service::LocalReference;

/// The capacity providers one cluster takes (ECS service quotas: 20 per cluster).
pub const CAPACITY_PROVIDERS_MAX: usize = 20;

/// Desired state of an Amazon ECS cluster. Field names follow the ECS CreateCluster API.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "Cluster",
    namespaced,
    status = "ClusterStatus",
    shortname = "ecscluster",
    category = "ecs",
    doc = "An Amazon ECS cluster managed by ecs-operator.",
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Reason", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].reason"),
    printcolumn(name = "ARN", type_ = "string", json_path = ".status.arn"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    validation = Rule::new(
        "(has(self.spec.clusterName) ? self.spec.clusterName : self.metadata.name) == \
         (has(oldSelf.spec.clusterName) ? oldSelf.spec.clusterName : oldSelf.metadata.name)"
    )
    .message("spec.clusterName is immutable: the ECS cluster cannot be renamed; create a new Cluster object instead")
    .field_path(".spec.clusterName"),
)]
#[x_kube(validation = Rule::new(
    "!has(self.defaultCapacityProviderStrategy) || \
     self.defaultCapacityProviderStrategy.filter(s, has(s.base) && s.base > 0).size() <= 1"
).message("spec.defaultCapacityProviderStrategy: only one capacity provider may set a base greater than 0"))]
#[x_kube(validation = Rule::new(
    "!has(self.defaultCapacityProviderStrategy) || (!has(self.capacityProviders) && !has(self.capacityProviderRefs)) || \
     self.defaultCapacityProviderStrategy.all(s, (has(self.capacityProviders) && s.capacityProvider in self.capacityProviders) || \
       (has(self.capacityProviderRefs) && self.capacityProviderRefs.exists(r, r.name == s.capacityProvider)))"
).message("spec.defaultCapacityProviderStrategy: every capacityProvider must also be listed in spec.capacityProviders or name an entry of spec.capacityProviderRefs"))]
#[x_kube(validation = Rule::new(
    "(has(self.capacityProviders) ? size(self.capacityProviders) : 0) + \
     (has(self.capacityProviderRefs) ? size(self.capacityProviderRefs) : 0) <= 20"
).message("spec.capacityProviders and spec.capacityProviderRefs: a cluster takes at most 20 capacity providers (ECS service quotas)"))]
#[x_kube(validation = Rule::new(
    "(has(self.region) ? self.region : '') == (has(oldSelf.region) ? oldSelf.region : '')"
).message("spec.region is immutable: a cluster cannot move to another region; create a new Cluster object instead")
    .field_path(".region"))]
#[serde(rename_all = "camelCase")]
pub struct ClusterSpec {
    /// Name of the ECS cluster. Defaults to metadata.name. Immutable: a different name is a different cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[a-zA-Z0-9_-]+$"))]
    pub cluster_name: Option<String>,

    /// AWS region of the cluster, for example eu-west-1. Defaults to the operator's
    /// --default-region; another must be one the operator serves (--allowed-regions). Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 32),
        regex(pattern = r"^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$")
    )]
    pub region: Option<String>,

    /// Cluster settings. ECS knows one: containerInsights. Settings left out are not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub settings: Option<Vec<ClusterSetting>>,

    /// Cluster configuration: how ECS Exec sessions are encrypted and logged, and the
    /// KMS keys of managed storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<ClusterConfiguration>,

    /// Capacity providers the cluster may use: FARGATE, FARGATE_SPOT, or the names of
    /// Auto Scaling group capacity providers. Left out: not managed. Can change after create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = CAPACITY_PROVIDERS_MAX))]
    pub capacity_providers: Option<Vec<String>>,

    /// CapacityProvider objects in this namespace the cluster uses too, each by the ECS
    /// name its status reports; until ECS has one ACTIVE the Cluster waits (reason
    /// WaitingForCapacityProvider). Deleting a referenced CapacityProvider waits for
    /// this Cluster. A defaultCapacityProviderStrategy entry may name one by its
    /// metadata.name. A Managed Instances provider joins the cluster it is created in:
    /// naming one of this cluster here stalls the Cluster (each would wait for the other).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = CAPACITY_PROVIDERS_MAX))]
    pub capacity_provider_refs: Vec<LocalReference>,

    /// Strategy for services and tasks that name no launch type or strategy of their own.
    /// Left out: not managed. Can change after create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub default_capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,

    /// Default Service Connect namespace for services in this cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect_defaults: Option<ServiceConnectDefaults>,

    /// Tags for the cluster. The operator also adds its ownership tags (ecs.operator.dev/*),
    /// so keys with that prefix are refused here.
    /// Tags set outside this field are left alone; a tag removed from here is removed from AWS.
    /// At most 46: ECS allows 50 per resource, and the operator adds 4.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 46, "x-kubernetes-validations" = [{
        "rule": "self.all(k, !k.startsWith('ecs.operator.dev/'))",
        "message": "spec.tags: keys starting with ecs.operator.dev/ are reserved for the operator's ownership tags; choose another key"
    }, {
        "rule": "self.all(k, size(k) <= 128 && size(self[k]) <= 256)",
        "message": "spec.tags: ECS takes tag keys of at most 128 characters and values of at most 256; shorten the tag"
    }]))]
    pub tags: BTreeMap<String, String>,

    /// Delete (default) removes the ECS cluster when this object is deleted; Retain leaves it.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// Never (default) refuses to manage a same-named cluster this object did not create;
    /// Adopt takes it over and tags it as owned.
    #[serde(default)]
    pub adoption_policy: AdoptionPolicy,
}

/// One cluster setting, as in the ECS API.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
pub struct ClusterSetting {
    /// Setting name. ECS supports containerInsights.
    pub name: ClusterSettingName,
    /// For containerInsights: enabled, disabled or enhanced.
    pub value: ContainerInsights,
}

/// Names of cluster settings.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum ClusterSettingName {
    /// CloudWatch Container Insights.
    ContainerInsights,
}

/// Container Insights levels.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ContainerInsights {
    /// Container Insights on.
    Enabled,
    /// Container Insights off.
    Disabled,
    /// Container Insights with enhanced observability.
    Enhanced,
}

/// Cluster configuration, as in the ECS API.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterConfiguration {
    /// How ECS Exec sessions in this cluster are encrypted and logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execute_command_configuration: Option<ExecuteCommandConfiguration>,
    /// Customer managed KMS keys for the storage ECS manages for the cluster's tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_storage_configuration: Option<ManagedStorageConfiguration>,
}

/// KMS keys for ECS managed storage. The key policies must let ECS (and, for Fargate
/// ephemeral storage, Fargate) use the keys.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedStorageConfiguration {
    /// KMS key ID or ARN that encrypts the managed storage (EBS volumes) of the cluster's tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub kms_key_id: Option<String>,
    /// KMS key ID or ARN that encrypts the Fargate ephemeral storage of the cluster's tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub fargate_ephemeral_storage_kms_key_id: Option<String>,
}

/// ECS Exec settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteCommandConfiguration {
    /// KMS key ID or ARN that encrypts the data between the local client and the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// NONE, DEFAULT (the task definition's awslogs settings) or OVERRIDE (logConfiguration below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<ExecuteCommandLogging>,
    /// Where session output goes when logging is OVERRIDE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<ExecuteCommandLogConfiguration>,
}

/// ECS Exec logging modes.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ExecuteCommandLogging {
    /// No session logging.
    None,
    /// Log as the task definition's awslogs configuration says.
    Default,
    /// Log to the destinations in logConfiguration.
    Override,
}

/// Destinations for ECS Exec session logs.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteCommandLogConfiguration {
    /// CloudWatch Logs log group to send session output to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_log_group_name: Option<String>,
    /// Whether the CloudWatch log group is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch_encryption_enabled: Option<bool>,
    /// S3 bucket to send session output to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_bucket_name: Option<String>,
    /// Whether the S3 bucket is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_encryption_enabled: Option<bool>,
    /// Key prefix for session output in the S3 bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
}

/// One entry of a capacity provider strategy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStrategyItem {
    /// Capacity provider name, for example FARGATE or FARGATE_SPOT. In the strategy of a
    /// Service, Task or ScheduledTask, or a Cluster's default strategy naming one of its
    /// capacityProviderRefs,
    /// the metadata.name of a CapacityProvider object of the namespace: it is sent as its
    /// provider's ECS name once ECS has that provider ACTIVE.
    pub capacity_provider: String,
    /// Relative share of tasks placed on this provider (0-1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000))]
    pub weight: Option<i32>,
    /// Tasks placed on this provider before weights apply (0-100000). Only one entry may set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100000))]
    pub base: Option<i32>,
}

/// Service Connect defaults of a cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectDefaults {
    /// Cloud Map namespace name or ARN used by services that enable Service Connect without naming one.
    pub namespace: String,
}

/// What the operator observed of the ECS cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStatus {
    /// The metadata.generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling and Stalled, as kstatus defines them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_schema")]
    pub conditions: Vec<Condition>,
    /// ARN of the ECS cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// AWS region of the ECS cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ECS status of the cluster: ACTIVE, PROVISIONING, DEPROVISIONING, FAILED or INACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Services in the ACTIVE state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_services_count: Option<i32>,
    /// Tasks in the RUNNING state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_tasks_count: Option<i32>,
    /// Tasks in the PENDING state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_tasks_count: Option<i32>,
    /// Container instances registered with the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_container_instances_count: Option<i32>,
    /// Capacity providers attached to the cluster.
    #[schemars(length(max = CAPACITY_PROVIDERS_MAX))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_providers: Vec<String>,
    /// Keys of the spec tags the operator last applied, so one removed from the spec is removed from AWS.
    #[schemars(length(max = 50))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_tag_keys: Vec<String>,
}

impl Cluster {
    /// The ECS cluster name: spec.clusterName, else metadata.name.
    pub fn cluster_name(&self) -> String {
        self.spec
            .cluster_name
            .clone()
            .or_else(|| self.metadata.name.clone())
            .unwrap_or_default()
    }

    /// Whether capacityProviderRefs names the CapacityProvider object `name`.
    pub fn references_capacity_provider(&self, name: &str) -> bool {
        self.spec
            .capacity_provider_refs
            .iter()
            .any(|r| r.name == name)
    }

    /// Whether the spec names the ECS capacity provider `name` (in capacityProviders or
    /// the default strategy).
    pub fn names_capacity_provider(&self, name: &str) -> bool {
        let spec = &self.spec;
        spec.capacity_providers.iter().flatten().any(|p| p == name)
            || spec
                .default_capacity_provider_strategy
                .iter()
                .flatten()
                .any(|i| i.capacity_provider == name)
    }
}
