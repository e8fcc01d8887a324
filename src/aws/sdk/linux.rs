//! LinuxParameters to and from the SDK.

use aws_sdk_ecs::types as sdk;
use aws_smithy_types::error::operation::BuildError;

use super::non_empty;
use crate::api::task_definition::{Capabilities, Device, LinuxParameters, Tmpfs};

pub(super) fn linux_to_sdk(l: &LinuxParameters) -> Result<sdk::LinuxParameters, BuildError> {
    let devices = l
        .devices
        .iter()
        .map(device_to_sdk)
        .collect::<Result<Vec<_>, _>>()?;
    let tmpfs = l
        .tmpfs
        .iter()
        .map(tmpfs_to_sdk)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sdk::LinuxParameters::builder()
        .set_init_process_enabled(l.init_process_enabled)
        .set_capabilities(l.capabilities.as_ref().map(|caps| {
            sdk::KernelCapabilities::builder()
                .set_add(non_empty(caps.add.clone()))
                .set_drop(non_empty(caps.drop.clone()))
                .build()
        }))
        .set_shared_memory_size(l.shared_memory_size)
        .set_max_swap(l.max_swap)
        .set_swappiness(l.swappiness)
        .set_devices(non_empty(devices))
        .set_tmpfs(non_empty(tmpfs))
        .build())
}

fn device_to_sdk(d: &Device) -> Result<sdk::Device, BuildError> {
    sdk::Device::builder()
        .host_path(&d.host_path)
        .set_container_path(d.container_path.clone())
        .set_permissions((!d.permissions.is_empty()).then(|| {
            d.permissions
                .iter()
                .map(|p| sdk::DeviceCgroupPermission::from(p.as_str()))
                .collect()
        }))
        .build()
}

fn tmpfs_to_sdk(t: &Tmpfs) -> Result<sdk::Tmpfs, BuildError> {
    sdk::Tmpfs::builder()
        .container_path(&t.container_path)
        .size(t.size)
        .set_mount_options(non_empty(t.mount_options.clone()))
        .build()
}

pub(super) fn linux_from_sdk(l: &sdk::LinuxParameters) -> LinuxParameters {
    LinuxParameters {
        init_process_enabled: l.init_process_enabled(),
        capabilities: l.capabilities().map(|caps| Capabilities {
            add: caps.add().to_vec(),
            drop: caps.drop().to_vec(),
        }),
        shared_memory_size: l.shared_memory_size(),
        max_swap: l.max_swap(),
        swappiness: l.swappiness(),
        devices: l
            .devices()
            .iter()
            .map(|d| Device {
                host_path: d.host_path().to_string(),
                container_path: d.container_path().map(str::to_string),
                permissions: d
                    .permissions()
                    .iter()
                    .map(|p| p.as_str().to_string())
                    .collect(),
            })
            .collect(),
        tmpfs: l
            .tmpfs()
            .iter()
            .map(|t| Tmpfs {
                container_path: t.container_path().to_string(),
                size: t.size(),
                mount_options: t.mount_options().to_vec(),
            })
            .collect(),
    }
}
