//! Normalisation and hashing of a task definition: the way a user writes a spec and
//! the way DescribeTaskDefinition returns it must give the same hash, and any real
//! change must give a different one. The hash decides whether to register a revision.

use serde::Serialize;

use crate::api::task_definition::{
    ContainerDefinition, EfsAuthorizationConfig, HealthCheck, LinuxParameters, PortMapping,
    TaskDefinitionFields, Volume,
};
use crate::digest::{json, sha256_hex};

/// Hex SHA-256 of the normalised family and fields.
pub fn spec_hash(family: &str, fields: &TaskDefinitionFields) -> String {
    #[derive(Serialize)]
    struct Hashed<'a> {
        family: &'a str,
        #[serde(flatten)]
        fields: TaskDefinitionFields,
    }
    let hashed = Hashed {
        family,
        fields: normalise(fields),
    };
    sha256_hex(&json(&hashed))
}

/// The canonical form: ECS's server-side defaults made explicit, false flags left out,
/// and lists whose order carries no meaning sorted.
pub fn normalise(fields: &TaskDefinitionFields) -> TaskDefinitionFields {
    let mut out = fields.clone();
    let awsvpc = out.network_mode.as_deref() == Some("awsvpc");
    out.requires_compatibilities.sort();
    out.requires_compatibilities.dedup();
    out.placement_constraints
        .sort_by(|a, b| (&a.type_, &a.expression).cmp(&(&b.type_, &b.expression)));
    if let Some(proxy) = &mut out.proxy_configuration {
        proxy.type_.get_or_insert_with(|| "APPMESH".to_string());
        proxy.properties.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if out
        .runtime_platform
        .as_ref()
        .is_some_and(|p| p.cpu_architecture.is_none() && p.operating_system_family.is_none())
    {
        out.runtime_platform = None;
    }
    // false is ECS's default (TaskDefinition.enableFaultInjection).
    if out.enable_fault_injection == Some(false) {
        out.enable_fault_injection = None;
    }
    out.volumes.iter_mut().for_each(normalise_volume);
    out.volumes.sort_by(|a, b| a.name.cmp(&b.name));
    for container in &mut out.container_definitions {
        normalise_container(container, awsvpc);
    }
    out
}

fn normalise_volume(volume: &mut Volume) {
    // A host volume without a source path is the same scratch volume as no host block.
    if volume
        .host
        .as_ref()
        .is_some_and(|h| h.source_path.is_none())
    {
        volume.host = None;
    }
    if let Some(efs) = &mut volume.efs_volume_configuration {
        efs.root_directory.get_or_insert_with(|| "/".to_string());
        efs.transit_encryption
            .get_or_insert_with(|| "DISABLED".to_string());
        let auth = efs.authorization_config.take().unwrap_or_default();
        let iam = auth.iam.unwrap_or_else(|| "DISABLED".to_string());
        efs.authorization_config = (auth.access_point_id.is_some() || iam != "DISABLED").then_some(
            EfsAuthorizationConfig {
                access_point_id: auth.access_point_id,
                iam: Some(iam),
            },
        );
    }
    if let Some(docker) = &mut volume.docker_volume_configuration {
        docker.scope.get_or_insert_with(|| "task".to_string());
        if docker.autoprovision == Some(false) {
            docker.autoprovision = None;
        }
    }
}

fn normalise_container(c: &mut ContainerDefinition, awsvpc: bool) {
    c.essential.get_or_insert(true);
    if c.cpu == Some(0) {
        c.cpu = None;
    }
    for port in &mut c.port_mappings {
        normalise_port(port, awsvpc);
    }
    c.port_mappings.sort_by(|a, b| {
        (a.container_port, &a.protocol, &a.name).cmp(&(b.container_port, &b.protocol, &b.name))
    });
    c.environment.sort_by(|a, b| a.name.cmp(&b.name));
    c.secrets.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(check) = &mut c.health_check {
        normalise_health_check(check);
    }
    if let Some(log) = &mut c.log_configuration {
        log.secret_options.sort_by(|a, b| a.name.cmp(&b.name));
    }
    for mount in &mut c.mount_points {
        clear_false(&mut mount.read_only);
    }
    c.mount_points
        .sort_by(|a, b| a.container_path.cmp(&b.container_path));
    for from in &mut c.volumes_from {
        clear_false(&mut from.read_only);
    }
    c.volumes_from
        .sort_by(|a, b| a.source_container.cmp(&b.source_container));
    c.depends_on
        .sort_by(|a, b| a.container_name.cmp(&b.container_name));
    c.ulimits.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(linux) = &mut c.linux_parameters {
        normalise_linux(linux);
    }
    if c.linux_parameters
        .as_ref()
        .is_some_and(|l| *l == LinuxParameters::default())
    {
        c.linux_parameters = None;
    }
    clear_false(&mut c.readonly_root_filesystem);
    clear_false(&mut c.privileged);
    clear_false(&mut c.interactive);
    clear_false(&mut c.pseudo_terminal);
    clear_false(&mut c.disable_networking);
    // Order-free: sysctls are set by name, hosts lines looked up by name. DNS servers
    // and search domains keep their order, which the resolver follows.
    c.system_controls
        .sort_by(|a, b| (&a.namespace, &a.value).cmp(&(&b.namespace, &b.value)));
    c.extra_hosts
        .sort_by(|a, b| (&a.hostname, &a.ip_address).cmp(&(&b.hostname, &b.ip_address)));
    // enabled is ECS's default (ContainerDefinition.versionConsistency).
    if c.version_consistency.as_deref() == Some("enabled") {
        c.version_consistency = None;
    }
    c.resource_requirements
        .sort_by(|a, b| (&a.type_, &a.value).cmp(&(&b.type_, &b.value)));
    if let Some(restart) = &mut c.restart_policy {
        restart.ignored_exit_codes.sort_unstable();
        if restart.enabled {
            restart.restart_attempt_period.get_or_insert(300);
        }
    }
}

fn normalise_port(port: &mut PortMapping, awsvpc: bool) {
    port.protocol.get_or_insert_with(|| "tcp".to_string());
    if awsvpc {
        // Under awsvpc the host port is the container port, whatever was written.
        port.host_port = Some(port.container_port);
    } else if port.host_port == Some(0) {
        port.host_port = None;
    }
}

/// Docker's HEALTHCHECK defaults, which ECS fills in (ECS API reference, HealthCheck).
fn normalise_health_check(check: &mut HealthCheck) {
    check.interval.get_or_insert(30);
    check.timeout.get_or_insert(5);
    check.retries.get_or_insert(3);
    check.start_period.get_or_insert(0);
}

fn normalise_linux(linux: &mut LinuxParameters) {
    clear_false(&mut linux.init_process_enabled);
    if let Some(caps) = &mut linux.capabilities {
        caps.add.sort();
        caps.drop.sort();
        if caps.add.is_empty() && caps.drop.is_empty() {
            linux.capabilities = None;
        }
    }
    // Order-free: a device is mapped by its path, its permissions are a set, and tmpfs
    // mounts are made by path.
    for device in &mut linux.devices {
        device.permissions.sort();
        device.permissions.dedup();
    }
    linux.devices.sort_by(|a, b| a.host_path.cmp(&b.host_path));
    linux
        .tmpfs
        .sort_by(|a, b| a.container_path.cmp(&b.container_path));
}

fn clear_false(flag: &mut Option<bool>) {
    if *flag == Some(false) {
        *flag = None;
    }
}
