//! Attribute-based instance requirements of Managed Instances, between our API type and
//! the AWS SDK's.

use aws_sdk_ecs::types as sdk;

use super::invalid_input;
use crate::api::capacity_provider::{FloatRange, InstanceRequirements, IntRange};
use crate::aws::AwsError;

const ACTION: &str = "ecs:CreateCapacityProvider";

/// SDK enum values from the strings the CRD's schema allows.
fn enums<T: for<'a> From<&'a str>>(values: &Option<Vec<String>>) -> Option<Vec<T>> {
    values
        .as_ref()
        .map(|v| v.iter().map(|s| T::from(s.as_str())).collect())
}

fn strings<T: AsRef<str>>(values: &[T]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.iter().map(|v| v.as_ref().to_string()).collect())
}

pub fn to_sdk(r: &InstanceRequirements) -> Result<sdk::InstanceRequirementsRequest, AwsError> {
    let v_cpu = sdk::VCpuCountRangeRequest::builder()
        .set_min(r.v_cpu_count.min)
        .set_max(r.v_cpu_count.max)
        .build()
        .map_err(invalid_input(ACTION))?;
    let memory = sdk::MemoryMiBRequest::builder()
        .set_min(r.memory_mib.min)
        .set_max(r.memory_mib.max)
        .build()
        .map_err(invalid_input(ACTION))?;
    Ok(sdk::InstanceRequirementsRequest::builder()
        .v_cpu_count(v_cpu)
        .memory_mib(memory)
        .set_cpu_manufacturers(enums(&r.cpu_manufacturers))
        .set_memory_gib_per_v_cpu(r.memory_gib_per_v_cpu.as_ref().map(|f| {
            sdk::MemoryGiBPerVCpuRequest::builder()
                .set_min(f.min)
                .set_max(f.max)
                .build()
        }))
        .set_excluded_instance_types(r.excluded_instance_types.clone())
        .set_instance_generations(enums(&r.instance_generations))
        .set_spot_max_price_percentage_over_lowest_price(
            r.spot_max_price_percentage_over_lowest_price,
        )
        .set_on_demand_max_price_percentage_over_lowest_price(
            r.on_demand_max_price_percentage_over_lowest_price,
        )
        .set_bare_metal(r.bare_metal.as_deref().map(sdk::BareMetal::from))
        .set_burstable_performance(
            r.burstable_performance
                .as_deref()
                .map(sdk::BurstablePerformance::from),
        )
        .set_require_hibernate_support(r.require_hibernate_support)
        .set_network_interface_count(r.network_interface_count.as_ref().map(|i| {
            sdk::NetworkInterfaceCountRequest::builder()
                .set_min(i.min)
                .set_max(i.max)
                .build()
        }))
        .set_local_storage(r.local_storage.as_deref().map(sdk::LocalStorage::from))
        .set_local_storage_types(enums(&r.local_storage_types))
        .set_total_local_storage_gb(r.total_local_storage_gb.as_ref().map(|f| {
            sdk::TotalLocalStorageGbRequest::builder()
                .set_min(f.min)
                .set_max(f.max)
                .build()
        }))
        .set_baseline_ebs_bandwidth_mbps(r.baseline_ebs_bandwidth_mbps.as_ref().map(|i| {
            sdk::BaselineEbsBandwidthMbpsRequest::builder()
                .set_min(i.min)
                .set_max(i.max)
                .build()
        }))
        .set_accelerator_types(enums(&r.accelerator_types))
        .set_accelerator_count(r.accelerator_count.as_ref().map(|i| {
            sdk::AcceleratorCountRequest::builder()
                .set_min(i.min)
                .set_max(i.max)
                .build()
        }))
        .set_accelerator_manufacturers(enums(&r.accelerator_manufacturers))
        .set_accelerator_names(enums(&r.accelerator_names))
        .set_accelerator_total_memory_mib(r.accelerator_total_memory_mib.as_ref().map(|i| {
            sdk::AcceleratorTotalMemoryMiBRequest::builder()
                .set_min(i.min)
                .set_max(i.max)
                .build()
        }))
        .set_network_bandwidth_gbps(r.network_bandwidth_gbps.as_ref().map(|f| {
            sdk::NetworkBandwidthGbpsRequest::builder()
                .set_min(f.min)
                .set_max(f.max)
                .build()
        }))
        .set_allowed_instance_types(r.allowed_instance_types.clone())
        .set_max_spot_price_as_percentage_of_optimal_on_demand_price(
            r.max_spot_price_as_percentage_of_optimal_on_demand_price,
        )
        .build())
}

fn int(min: Option<i32>, max: Option<i32>) -> IntRange {
    IntRange { min, max }
}

fn float(min: Option<f64>, max: Option<f64>) -> FloatRange {
    FloatRange { min, max }
}

pub fn from_sdk(r: &sdk::InstanceRequirementsRequest) -> InstanceRequirements {
    InstanceRequirements {
        v_cpu_count: r
            .v_cpu_count()
            .map_or_else(IntRange::default, |v| int(Some(v.min()), v.max())),
        memory_mib: r
            .memory_mib()
            .map_or_else(IntRange::default, |m| int(Some(m.min()), m.max())),
        cpu_manufacturers: strings(r.cpu_manufacturers()),
        memory_gib_per_v_cpu: r.memory_gib_per_v_cpu().map(|f| float(f.min(), f.max())),
        excluded_instance_types: strings(r.excluded_instance_types()),
        instance_generations: strings(r.instance_generations()),
        spot_max_price_percentage_over_lowest_price: r
            .spot_max_price_percentage_over_lowest_price(),
        on_demand_max_price_percentage_over_lowest_price: r
            .on_demand_max_price_percentage_over_lowest_price(),
        bare_metal: r.bare_metal().map(|b| b.as_str().to_string()),
        burstable_performance: r.burstable_performance().map(|b| b.as_str().to_string()),
        require_hibernate_support: r.require_hibernate_support(),
        network_interface_count: r.network_interface_count().map(|i| int(i.min(), i.max())),
        local_storage: r.local_storage().map(|l| l.as_str().to_string()),
        local_storage_types: strings(r.local_storage_types()),
        total_local_storage_gb: r.total_local_storage_gb().map(|f| float(f.min(), f.max())),
        baseline_ebs_bandwidth_mbps: r
            .baseline_ebs_bandwidth_mbps()
            .map(|i| int(i.min(), i.max())),
        accelerator_types: strings(r.accelerator_types()),
        accelerator_count: r.accelerator_count().map(|i| int(i.min(), i.max())),
        accelerator_manufacturers: strings(r.accelerator_manufacturers()),
        accelerator_names: strings(r.accelerator_names()),
        accelerator_total_memory_mib: r
            .accelerator_total_memory_mib()
            .map(|i| int(i.min(), i.max())),
        network_bandwidth_gbps: r.network_bandwidth_gbps().map(|f| float(f.min(), f.max())),
        allowed_instance_types: strings(r.allowed_instance_types()),
        max_spot_price_as_percentage_of_optimal_on_demand_price: r
            .max_spot_price_as_percentage_of_optimal_on_demand_price(),
    }
}
