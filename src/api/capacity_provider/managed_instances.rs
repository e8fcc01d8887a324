//! An ECS Managed Instances capacity provider's configuration, as CreateCapacityProvider
//! takes it. UpdateCapacityProvider takes all of it again except the launch template's
//! capacityOptionType and fipsEnabled, which the CEL rules hold immutable.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Managed Instances capacity provider, as in the ECS API.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstancesProvider {
    /// ARN of the infrastructure role ECS assumes to launch and manage the instances
    /// (the operator needs iam:PassRole on it).
    #[schemars(
        length(min = 1, max = 2048),
        regex(pattern = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$")
    )]
    pub infrastructure_role_arn: String,

    /// How ECS launches the instances.
    pub instance_launch_template: InstanceLaunchTemplate,

    /// CAPACITY_PROVIDER copies the provider's tags to the instances; NONE (ECS's default) does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["CAPACITY_PROVIDER", "NONE"]))]
    pub propagate_tags: Option<String>,

    /// When ECS replaces idle or underused instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infrastructure_optimization: Option<InfrastructureOptimization>,

    /// Whether ECS replaces instances it finds unhealthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_repair_configuration: Option<AutoRepairConfiguration>,
}

/// The launch template of ECS Managed Instances, as in the ECS API.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "(has(self.capacityOptionType) ? self.capacityOptionType : 'ON_DEMAND') == \
             (has(oldSelf.capacityOptionType) ? oldSelf.capacityOptionType : 'ON_DEMAND')",
    "message": "spec.managedInstancesProvider.instanceLaunchTemplate.capacityOptionType is immutable: \
                UpdateCapacityProvider cannot change it; create a new CapacityProvider object instead"
}, {
    "rule": "has(self.fipsEnabled) == has(oldSelf.fipsEnabled) && (!has(self.fipsEnabled) || self.fipsEnabled == oldSelf.fipsEnabled)",
    "message": "spec.managedInstancesProvider.instanceLaunchTemplate.fipsEnabled is immutable: \
                UpdateCapacityProvider cannot change it; create a new CapacityProvider object instead"
}, {
    "rule": "!has(self.capacityReservations) || (has(self.capacityOptionType) && self.capacityOptionType == 'RESERVED')",
    "message": "spec.managedInstancesProvider.instanceLaunchTemplate.capacityReservations needs capacityOptionType RESERVED"
}]))]
pub struct InstanceLaunchTemplate {
    /// ARN of the EC2 instance profile the instances run with.
    #[schemars(
        length(min = 1, max = 2048),
        regex(pattern = r"^arn:aws[a-z-]*:iam::[0-9]{12}:instance-profile/.+$")
    )]
    pub ec2_instance_profile_arn: String,

    /// Subnets and security groups of the instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<ManagedInstancesNetworkConfiguration>,

    /// The instances' data volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_configuration: Option<ManagedInstancesStorageConfiguration>,

    /// Whether tasks use the instances' instance store volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_storage_configuration: Option<ManagedInstancesLocalStorageConfiguration>,

    /// CloudWatch monitoring of the instances: BASIC (ECS's default) or DETAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["BASIC", "DETAILED"]))]
    pub monitoring: Option<String>,

    /// ON_DEMAND (ECS's default), SPOT or RESERVED (Capacity Reservations). Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ON_DEMAND", "SPOT", "RESERVED"]))]
    pub capacity_option_type: Option<String>,

    /// Whether the instances' tags are readable from instance metadata (ECS's default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_metadata_tags_propagation: Option<bool>,

    /// Which instance types ECS may launch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_requirements: Option<InstanceRequirements>,

    /// FIPS 140-2 validated cryptography on the instances (ECS's default: on in GovCloud
    /// regions only). Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fips_enabled: Option<bool>,

    /// Which Capacity Reservations RESERVED capacity uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_reservations: Option<CapacityReservationRequest>,
}

/// Subnets and security groups of Managed Instances.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstancesNetworkConfiguration {
    /// Subnet IDs the instances launch in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub subnets: Vec<String>,
    /// Security group IDs of the instances.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    pub security_groups: Vec<String>,
}

/// The data volume of Managed Instances.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstancesStorageConfiguration {
    /// Size of the data volume in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 16384))]
    #[serde(rename = "storageSizeGiB")]
    pub storage_size_gib: Option<i32>,
}

/// Instance store use of Managed Instances.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedInstancesLocalStorageConfiguration {
    /// Whether tasks use the instance store volumes.
    pub use_local_storage: bool,
}

/// Infrastructure optimisation of Managed Instances.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureOptimization {
    /// Seconds an idle or underused instance waits before ECS optimises it away (0-3600),
    /// or -1 to never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1, max = 3600))]
    pub scale_in_after: Option<i32>,
}

/// Auto repair of Managed Instances.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoRepairConfiguration {
    /// ENABLED or DISABLED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ENABLED", "DISABLED"]))]
    pub actions_status: Option<String>,
}

/// Capacity Reservations for RESERVED capacity.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityReservationRequest {
    /// ARN of the resource group of the reservations to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub reservation_group_arn: Option<String>,
    /// RESERVATIONS_ONLY, RESERVATIONS_FIRST or RESERVATIONS_EXCLUDED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["RESERVATIONS_ONLY", "RESERVATIONS_FIRST", "RESERVATIONS_EXCLUDED"]))]
    pub reservation_preference: Option<String>,
}

/// A range of whole numbers; a bound left out is open.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct IntRange {
    /// Lowest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min: Option<i32>,
    /// Highest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max: Option<i32>,
}

/// A range of numbers; a bound left out is open.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct FloatRange {
    /// Lowest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min: Option<f64>,
    /// Highest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max: Option<f64>,
}

/// Attribute-based instance type selection, as EC2 and ECS name the attributes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "has(self.vCpuCount.min) && has(self.memoryMiB.min)",
    "message": "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements: vCpuCount.min and memoryMiB.min are required"
}, {
    "rule": "!has(self.allowedInstanceTypes) || !has(self.excludedInstanceTypes)",
    "message": "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements: set allowedInstanceTypes or excludedInstanceTypes, not both"
}]))]
pub struct InstanceRequirements {
    /// vCPUs per instance (min required).
    pub v_cpu_count: IntRange,
    /// Memory per instance in MiB (min required).
    #[serde(rename = "memoryMiB")]
    pub memory_mib: IntRange,
    /// intel, amd or amazon-web-services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 3))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.all(m, m in ['intel', 'amd', 'amazon-web-services'])",
        "message": "cpuManufacturers takes intel, amd and amazon-web-services"
    }]))]
    pub cpu_manufacturers: Option<Vec<String>>,
    /// Memory per vCPU in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "memoryGiBPerVCpu")]
    pub memory_gib_per_v_cpu: Option<FloatRange>,
    /// Instance types (wildcards allowed, such as m5.*) ECS must not launch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 400))]
    pub excluded_instance_types: Option<Vec<String>>,
    /// current, previous, or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.all(g, g in ['current', 'previous'])",
        "message": "instanceGenerations takes current and previous"
    }]))]
    pub instance_generations: Option<Vec<String>>,
    /// Highest Spot price, as a percentage over the cheapest matching instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub spot_max_price_percentage_over_lowest_price: Option<i32>,
    /// Highest On-Demand price, as a percentage over the cheapest matching instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub on_demand_max_price_percentage_over_lowest_price: Option<i32>,
    /// Bare metal instance types: included, required or excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["included", "required", "excluded"]))]
    pub bare_metal: Option<String>,
    /// Burstable (T) instance types: included, required or excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["included", "required", "excluded"]))]
    pub burstable_performance: Option<String>,
    /// Only instance types that support hibernation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_hibernate_support: Option<bool>,
    /// Network interfaces per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_interface_count: Option<IntRange>,
    /// Instance types with instance store: included, required or excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["included", "required", "excluded"]))]
    pub local_storage: Option<String>,
    /// hdd, ssd, or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.all(t, t in ['hdd', 'ssd'])",
        "message": "localStorageTypes takes hdd and ssd"
    }]))]
    pub local_storage_types: Option<Vec<String>>,
    /// Instance store per instance in GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "totalLocalStorageGB")]
    pub total_local_storage_gb: Option<FloatRange>,
    /// Baseline EBS bandwidth in Mbps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_ebs_bandwidth_mbps: Option<IntRange>,
    /// gpu, fpga or inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 3))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.all(t, t in ['gpu', 'fpga', 'inference'])",
        "message": "acceleratorTypes takes gpu, fpga and inference"
    }]))]
    pub accelerator_types: Option<Vec<String>>,
    /// Accelerators per instance (max 0 excludes instance types with accelerators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_count: Option<IntRange>,
    /// amazon-web-services, amd, habana, nvidia or xilinx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.all(m, m in ['amazon-web-services', 'amd', 'habana', 'nvidia', 'xilinx'])",
        "message": "acceleratorManufacturers takes amazon-web-services, amd, habana, nvidia and xilinx"
    }]))]
    pub accelerator_manufacturers: Option<Vec<String>>,
    /// Accelerator names, such as a100, t4, h100 or inferentia (as EC2 names them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    pub accelerator_names: Option<Vec<String>>,
    /// Accelerator memory per instance in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "acceleratorTotalMemoryMiB")]
    pub accelerator_total_memory_mib: Option<IntRange>,
    /// Network bandwidth per instance in Gbps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_bandwidth_gbps: Option<FloatRange>,
    /// The only instance types (wildcards allowed, such as c6i.*) ECS may launch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 400))]
    pub allowed_instance_types: Option<Vec<String>>,
    /// Highest Spot price, as a percentage of the optimal On-Demand price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_spot_price_as_percentage_of_optimal_on_demand_price: Option<i32>,
}
