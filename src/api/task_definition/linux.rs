//! Linux settings of a container, as in the ECS LinuxParameters shape.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Linux-specific container settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinuxParameters {
    /// Run an init process (tini) as PID 1 that reaps zombies and forwards signals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_process_enabled: Option<bool>,
    /// Linux capabilities added to or dropped from Docker's default set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    /// Size of /dev/shm in MiB. Not on Fargate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub shared_memory_size: Option<i32>,
    /// Swap the container may use, in MiB (0: none). Not on Fargate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_swap: Option<i32>,
    /// How readily the container's memory is swapped, 0 to 100 (needs maxSwap). Not on Fargate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub swappiness: Option<i32>,
    /// Host devices exposed to the container, for example /dev/fuse. Not on Fargate, and
    /// outside the restricted profile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub devices: Vec<Device>,
    /// tmpfs mounts: memory-backed file systems inside the container. Not on Fargate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub tmpfs: Vec<Tmpfs>,
}

/// A host device mapped into the container.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// The device on the host, for example /dev/fuse.
    #[schemars(length(min = 1, max = 4096))]
    pub host_path: String,
    /// Where the device appears in the container. Left out: the same path as on the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 4096))]
    pub container_path: Option<String>,
    /// What the container may do with the device: read, write, mknod. Left out: all three.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 3), extend("items" = {"type": "string", "enum": ["read", "write", "mknod"]}))]
    pub permissions: Vec<String>,
}

/// A tmpfs mount.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tmpfs {
    /// Where the tmpfs is mounted in the container.
    #[schemars(length(min = 1, max = 4096))]
    pub container_path: String,
    /// Its largest size, in MiB.
    #[schemars(range(min = 1))]
    pub size: i32,
    /// Mount options, for example noexec or ro.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32), extend("items" = {"type": "string", "enum": [
        "defaults", "ro", "rw", "suid", "nosuid", "dev", "nodev", "exec", "noexec", "sync", "async",
        "dirsync", "remount", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime", "bind",
        "rbind", "unbindable", "runbindable", "private", "rprivate", "shared", "rshared", "slave",
        "rslave", "relatime", "norelatime", "strictatime", "nostrictatime", "mode", "uid", "gid",
        "nr_inodes", "nr_blocks", "mpol"]}))]
    pub mount_options: Vec<String>,
}

/// Linux capabilities, for example NET_ADMIN or SYS_PTRACE (Fargate can add only SYS_PTRACE).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Capabilities {
    /// Capabilities to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub add: Vec<String>,
    /// Capabilities to drop, for example ALL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub drop: Vec<String>,
}
