//! The `CapacityProvider` kind: one ECS capacity provider, over an EC2 Auto Scaling
//! group or ECS Managed Instances.

mod managed_instances;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AdoptionPolicy, DeletionPolicy, conditions_schema};
use super::service::LocalReference;
pub use managed_instances::*;

/// Desired state of an ECS capacity provider. Field names follow the ECS
/// CreateCapacityProvider and UpdateCapacityProvider APIs.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "CapacityProvider",
    namespaced,
    status = "CapacityProviderStatus",
    shortname = "ecscp",
    category = "ecs",
    doc = "An Amazon ECS capacity provider (EC2 Auto Scaling group or ECS Managed Instances) managed by ecs-operator.",
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Type", type_ = "string", json_path = ".status.type"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Reason", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].reason"),
    printcolumn(name = "ARN", type_ = "string", json_path = ".status.arn", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    validation = Rule::new(
        "(has(self.spec.capacityProviderName) ? self.spec.capacityProviderName : self.metadata.name) == \
         (has(oldSelf.spec.capacityProviderName) ? oldSelf.spec.capacityProviderName : oldSelf.metadata.name)"
    )
    .message("spec.capacityProviderName is immutable: ECS cannot rename a capacity provider; create a new CapacityProvider object instead")
    .field_path(".spec.capacityProviderName"),
    validation = Rule::new(
        "!(has(self.spec.capacityProviderName) ? self.spec.capacityProviderName : self.metadata.name).lowerAscii().matches('^(aws|ecs|fargate)')"
    )
    .message("spec.capacityProviderName (metadata.name when it is left out) cannot start with aws, ecs or fargate: ECS reserves those prefixes; choose another name")
    .field_path(".spec.capacityProviderName"),
    validation = Rule::new(
        "has(self.spec.capacityProviderName) || self.metadata.name.matches('^[a-zA-Z0-9_-]{1,255}$')"
    )
    .message("metadata.name contains a dot, which ECS refuses in a capacity provider name: set spec.capacityProviderName (letters, digits, _ and -)")
    .field_path(".spec.capacityProviderName"),
)]
#[x_kube(validation = Rule::new("has(self.autoScalingGroupProvider) != has(self.managedInstancesProvider)")
    .message("set exactly one of spec.autoScalingGroupProvider and spec.managedInstancesProvider")
    .field_path(".autoScalingGroupProvider"))]
#[x_kube(validation = Rule::new(
    "has(self.autoScalingGroupProvider) == has(oldSelf.autoScalingGroupProvider)"
).message("a capacity provider cannot change between autoScalingGroupProvider and managedInstancesProvider; create a new CapacityProvider object instead")
    .field_path(".autoScalingGroupProvider"))]
#[x_kube(validation = Rule::new(
    "has(self.managedInstancesProvider) == (has(self.clusterRef) || has(self.cluster))"
).message("a Managed Instances capacity provider belongs to one cluster: set spec.clusterRef or spec.cluster with \
     spec.managedInstancesProvider, and neither with spec.autoScalingGroupProvider (PutClusterCapacityProviders \
     associates those)")
    .field_path(".clusterRef"))]
#[x_kube(validation = Rule::new("!(has(self.clusterRef) && has(self.cluster))")
    .message("set at most one of spec.clusterRef (a Cluster object) and spec.cluster (an ECS cluster name)")
    .field_path(".clusterRef"))]
#[x_kube(validation = Rule::new(
    "(has(self.clusterRef) ? 'ref:' + self.clusterRef.name : has(self.cluster) ? 'ecs:' + self.cluster : '') == \
     (has(oldSelf.clusterRef) ? 'ref:' + oldSelf.clusterRef.name : has(oldSelf.cluster) ? 'ecs:' + oldSelf.cluster : '')"
).message("spec.clusterRef and spec.cluster are immutable: a Managed Instances capacity provider stays in the cluster it was created in")
    .field_path(".clusterRef"))]
#[x_kube(validation = Rule::new(
    "(has(self.region) ? self.region : '') == (has(oldSelf.region) ? oldSelf.region : '')"
).message("spec.region is immutable: a capacity provider cannot move to another region; create a new CapacityProvider object instead")
    .field_path(".region"))]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderSpec {
    /// Name of the ECS capacity provider, unique in the account and region. Defaults to
    /// metadata.name. Cannot start with aws, ecs or fargate. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[a-zA-Z0-9_-]+$"))]
    pub capacity_provider_name: Option<String>,

    /// AWS region of the capacity provider, for example eu-west-1. Defaults to the
    /// operator's --default-region; another must be one the operator serves
    /// (--allowed-regions). Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 32),
        regex(pattern = r"^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$")
    )]
    pub region: Option<String>,

    /// For a Managed Instances provider: the Cluster object in this namespace it is
    /// created in (it waits until that Cluster is Ready). Set this or `cluster`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ref: Option<LocalReference>,

    /// For a Managed Instances provider: the name of an ECS cluster this operator does not
    /// manage. Set this or `clusterRef`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255), regex(pattern = r"^[a-zA-Z0-9_-]+$"))]
    pub cluster: Option<String>,

    /// Capacity from an EC2 Auto Scaling group. A Cluster lists the provider (by name in
    /// capacityProviders) to use it. Set this or `managedInstancesProvider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling_group_provider: Option<AutoScalingGroupProvider>,

    /// Capacity from EC2 instances ECS launches and manages (ECS Managed Instances).
    /// Set this or `autoScalingGroupProvider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_instances_provider: Option<ManagedInstancesProvider>,

    /// Tags for the capacity provider. The operator also adds its ownership tags
    /// (ecs.operator.dev/*), so keys with that prefix are refused here. Tags set outside
    /// this field are left alone; a tag removed from here is removed from AWS. At most
    /// 46: ECS allows 50 per resource, and the operator adds 4.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 46, "x-kubernetes-validations" = [{
        "rule": "self.all(k, !k.startsWith('ecs.operator.dev/'))",
        "message": "spec.tags: keys starting with ecs.operator.dev/ are reserved for the operator's ownership tags; choose another key"
    }, {
        "rule": "self.all(k, size(k) <= 128 && size(self[k]) <= 256)",
        "message": "spec.tags: ECS takes tag keys of at most 128 characters and values of at most 256; shorten the tag"
    }]))]
    pub tags: BTreeMap<String, String>,

    /// Delete (default) deletes the ECS capacity provider when this object is deleted,
    /// once no cluster or service uses it; Retain leaves it.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// Never (default) refuses to manage a same-named capacity provider this object did
    /// not create; Adopt takes it over and tags it as owned.
    #[serde(default)]
    pub adoption_policy: AdoptionPolicy,
}

/// An Auto Scaling group capacity provider, as in the ECS API.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!has(self.managedTerminationProtection) || self.managedTerminationProtection != 'ENABLED' || \
             (has(self.managedScaling) && has(self.managedScaling.status) && self.managedScaling.status == 'ENABLED')",
    "message": "spec.autoScalingGroupProvider.managedTerminationProtection ENABLED needs managedScaling.status ENABLED: \
                ECS documents that termination protection does not work without managed scaling"
}]))]
pub struct AutoScalingGroupProvider {
    /// ARN (or name) of the Auto Scaling group. Immutable: UpdateCapacityProvider cannot
    /// change it.
    #[schemars(length(min = 1, max = 1600))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self == oldSelf",
        "message": "spec.autoScalingGroupProvider.autoScalingGroupArn is immutable: ECS cannot move a capacity provider to another Auto Scaling group; create a new CapacityProvider object instead"
    }]))]
    pub auto_scaling_group_arn: String,

    /// How ECS scales the group to the tasks' needs. Left out: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_scaling: Option<ManagedScaling>,

    /// ENABLED keeps instances that run tasks from being terminated by a scale-in (the
    /// group must have instance scale-in protection on). Left out: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ENABLED", "DISABLED"]))]
    pub managed_termination_protection: Option<String>,

    /// ENABLED lets ECS drain an instance's tasks before the group terminates it. Left
    /// out: not managed (ECS enables it by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ENABLED", "DISABLED"]))]
    pub managed_draining: Option<String>,
}

/// Managed scaling of an Auto Scaling group capacity provider, as in the ECS API. A
/// setting left out is not managed (ECS applies its default on create).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedScaling {
    /// ENABLED or DISABLED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ENABLED", "DISABLED"]))]
    pub status: Option<String>,
    /// Target utilisation of the group's capacity, in percent (1-100; ECS's default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub target_capacity: Option<i32>,
    /// Fewest instances one scale-out adds (1-10000; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10000))]
    pub minimum_scaling_step_size: Option<i32>,
    /// Most instances one scale-out adds (1-10000; default 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10000))]
    pub maximum_scaling_step_size: Option<i32>,
    /// Seconds before a new instance counts in the group's CloudWatch metrics (0-10000;
    /// default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10000))]
    pub instance_warmup_period: Option<i32>,
}

/// What the operator observed of the ECS capacity provider.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStatus {
    /// The metadata.generation this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Ready, Reconciling and Stalled, as kstatus defines them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "conditions_schema")]
    pub conditions: Vec<Condition>,
    /// ARN of the ECS capacity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// AWS region of the capacity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The ECS name of the capacity provider, for a Cluster's capacityProviders and a
    /// Service's capacityProviderStrategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// EC2_AUTOSCALING or MANAGED_INSTANCES.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "type")]
    pub provider_type: Option<String>,
    /// ECS status: PROVISIONING, ACTIVE, DEPROVISIONING or INACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// ECS update status, such as CREATE_COMPLETE, UPDATE_IN_PROGRESS or UPDATE_FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_status: Option<String>,
    /// Why ECS reports that update status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub update_status_reason: Option<String>,
    /// The cluster a Managed Instances provider belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Keys of the spec tags the operator last applied, so one removed from the spec is removed from AWS.
    #[schemars(length(max = 50))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_tag_keys: Vec<String>,
}

impl CapacityProvider {
    /// The ECS capacity provider name: spec.capacityProviderName, else metadata.name.
    pub fn provider_name(&self) -> String {
        self.spec
            .capacity_provider_name
            .clone()
            .or_else(|| self.metadata.name.clone())
            .unwrap_or_default()
    }

    /// The Cluster object a Managed Instances provider is created in, if it names one.
    pub fn cluster_ref_name(&self) -> Option<&str> {
        self.spec.cluster_ref.as_ref().map(|r| r.name.as_str())
    }
}
