//! Container definitions between our API types and the AWS SDK's.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ecs::types as sdk;
use aws_smithy_types::error::operation::BuildError;

use super::linux::{linux_from_sdk, linux_to_sdk};
use super::{non_empty, text};
use crate::api::task_definition::*;

pub(super) fn map_to_sdk(map: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!map.is_empty()).then(|| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

pub(super) fn map_from_sdk(map: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

pub(super) fn pairs_to_sdk(pairs: &[KeyValuePair]) -> Option<Vec<sdk::KeyValuePair>> {
    non_empty(
        pairs
            .iter()
            .map(|p| {
                sdk::KeyValuePair::builder()
                    .name(&p.name)
                    .value(&p.value)
                    .build()
            })
            .collect(),
    )
}

pub(super) fn pairs_from_sdk(pairs: &[sdk::KeyValuePair]) -> Vec<KeyValuePair> {
    pairs
        .iter()
        .map(|p| KeyValuePair {
            name: p.name().unwrap_or_default().to_string(),
            value: p.value().unwrap_or_default().to_string(),
        })
        .collect()
}

pub(super) fn secrets_to_sdk(secrets: &[Secret]) -> Result<Option<Vec<sdk::Secret>>, BuildError> {
    let built = secrets
        .iter()
        .map(|s| {
            sdk::Secret::builder()
                .name(&s.name)
                .value_from(&s.value_from)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(non_empty(built))
}

pub(super) fn secrets_from_sdk(secrets: &[sdk::Secret]) -> Vec<Secret> {
    secrets
        .iter()
        .map(|s| Secret {
            name: s.name().to_string(),
            value_from: s.value_from().to_string(),
        })
        .collect()
}

pub(super) fn strings(items: &[String]) -> Option<Vec<String>> {
    non_empty(items.to_vec())
}

pub(super) fn container_to_sdk(
    c: &ContainerDefinition,
) -> Result<sdk::ContainerDefinition, BuildError> {
    let repository_credentials = c
        .repository_credentials
        .as_ref()
        .map(|r| {
            sdk::RepositoryCredentials::builder()
                .credentials_parameter(&r.credentials_parameter)
                .build()
        })
        .transpose()?;
    let environment_files = c
        .environment_files
        .iter()
        .map(|e| {
            sdk::EnvironmentFile::builder()
                .value(&e.value)
                .r#type(sdk::EnvironmentFileType::from(e.type_.as_str()))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let health_check = c
        .health_check
        .as_ref()
        .map(|h| {
            sdk::HealthCheck::builder()
                .set_command(Some(h.command.clone()))
                .set_interval(h.interval)
                .set_timeout(h.timeout)
                .set_retries(h.retries)
                .set_start_period(h.start_period)
                .build()
        })
        .transpose()?;
    let log_configuration = c
        .log_configuration
        .as_ref()
        .map(|l| -> Result<_, BuildError> {
            sdk::LogConfiguration::builder()
                .log_driver(sdk::LogDriver::from(l.log_driver.as_str()))
                .set_options(map_to_sdk(&l.options))
                .set_secret_options(secrets_to_sdk(&l.secret_options)?)
                .build()
        })
        .transpose()?;
    let depends_on = c
        .depends_on
        .iter()
        .map(|d| {
            sdk::ContainerDependency::builder()
                .container_name(&d.container_name)
                .condition(sdk::ContainerCondition::from(d.condition.as_str()))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ulimits = c
        .ulimits
        .iter()
        .map(|u| {
            sdk::Ulimit::builder()
                .name(sdk::UlimitName::from(u.name.as_str()))
                .soft_limit(u.soft_limit)
                .hard_limit(u.hard_limit)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let firelens = c
        .firelens_configuration
        .as_ref()
        .map(|f| {
            sdk::FirelensConfiguration::builder()
                .r#type(sdk::FirelensConfigurationType::from(f.type_.as_str()))
                .set_options(map_to_sdk(&f.options))
                .build()
        })
        .transpose()?;
    let restart_policy = c
        .restart_policy
        .as_ref()
        .map(|r| {
            sdk::ContainerRestartPolicy::builder()
                .enabled(r.enabled)
                .set_ignored_exit_codes(non_empty(r.ignored_exit_codes.clone()))
                .set_restart_attempt_period(r.restart_attempt_period)
                .build()
        })
        .transpose()?;
    let resources = c
        .resource_requirements
        .iter()
        .map(|r| {
            sdk::ResourceRequirement::builder()
                .r#type(sdk::ResourceType::from(r.type_.as_str()))
                .value(&r.value)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let extra_hosts = c
        .extra_hosts
        .iter()
        .map(|h| {
            sdk::HostEntry::builder()
                .hostname(&h.hostname)
                .ip_address(&h.ip_address)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sdk::ContainerDefinition::builder()
        .name(&c.name)
        .set_resource_requirements(non_empty(resources))
        .set_privileged(c.privileged)
        .set_interactive(c.interactive)
        .set_pseudo_terminal(c.pseudo_terminal)
        .set_version_consistency(
            c.version_consistency
                .as_deref()
                .map(sdk::VersionConsistency::from),
        )
        .image(&c.image)
        .set_repository_credentials(repository_credentials)
        .set_cpu(c.cpu)
        .set_memory(c.memory)
        .set_memory_reservation(c.memory_reservation)
        .set_essential(c.essential)
        .set_port_mappings(non_empty(c.port_mappings.iter().map(port_to_sdk).collect()))
        .set_environment(pairs_to_sdk(&c.environment))
        .set_environment_files(non_empty(environment_files))
        .set_secrets(secrets_to_sdk(&c.secrets)?)
        .set_command(strings(&c.command))
        .set_entry_point(strings(&c.entry_point))
        .set_working_directory(c.working_directory.clone())
        .set_user(c.user.clone())
        .set_health_check(health_check)
        .set_log_configuration(log_configuration)
        .set_mount_points(non_empty(
            c.mount_points
                .iter()
                .map(|m| {
                    sdk::MountPoint::builder()
                        .source_volume(&m.source_volume)
                        .container_path(&m.container_path)
                        .set_read_only(m.read_only)
                        .build()
                })
                .collect(),
        ))
        .set_volumes_from(non_empty(
            c.volumes_from
                .iter()
                .map(|v| {
                    sdk::VolumeFrom::builder()
                        .source_container(&v.source_container)
                        .set_read_only(v.read_only)
                        .build()
                })
                .collect(),
        ))
        .set_depends_on(non_empty(depends_on))
        .set_ulimits(non_empty(ulimits))
        .set_linux_parameters(c.linux_parameters.as_ref().map(linux_to_sdk).transpose()?)
        .set_readonly_root_filesystem(c.readonly_root_filesystem)
        .set_stop_timeout(c.stop_timeout)
        .set_start_timeout(c.start_timeout)
        .set_docker_labels(map_to_sdk(&c.docker_labels))
        .set_firelens_configuration(firelens)
        .set_restart_policy(restart_policy)
        .set_system_controls(non_empty(
            c.system_controls
                .iter()
                .map(|s| {
                    sdk::SystemControl::builder()
                        .namespace(&s.namespace)
                        .value(&s.value)
                        .build()
                })
                .collect(),
        ))
        .set_extra_hosts(non_empty(extra_hosts))
        .set_dns_servers(strings(&c.dns_servers))
        .set_dns_search_domains(strings(&c.dns_search_domains))
        .set_hostname(c.hostname.clone())
        .set_disable_networking(c.disable_networking)
        .set_links(strings(&c.links))
        .set_docker_security_options(strings(&c.docker_security_options))
        .set_credential_specs(strings(&c.credential_specs))
        .build())
}

fn port_to_sdk(p: &PortMapping) -> sdk::PortMapping {
    sdk::PortMapping::builder()
        .container_port(p.container_port)
        .set_host_port(p.host_port)
        .set_protocol(p.protocol.as_deref().map(sdk::TransportProtocol::from))
        .set_name(p.name.clone())
        .set_app_protocol(
            p.app_protocol
                .as_deref()
                .map(sdk::ApplicationProtocol::from),
        )
        .build()
}

pub(super) fn container_from_sdk(c: &sdk::ContainerDefinition) -> ContainerDefinition {
    ContainerDefinition {
        name: c.name().unwrap_or_default().to_string(),
        image: c.image().unwrap_or_default().to_string(),
        repository_credentials: c.repository_credentials().map(|r| RepositoryCredentials {
            credentials_parameter: r.credentials_parameter().to_string(),
        }),
        // ECS reports an unset container cpu as 0, which means the same: no reservation.
        cpu: (c.cpu() != 0).then_some(c.cpu()),
        memory: c.memory(),
        memory_reservation: c.memory_reservation(),
        essential: c.essential(),
        port_mappings: c
            .port_mappings()
            .iter()
            .map(|p| PortMapping {
                container_port: p.container_port().unwrap_or_default(),
                host_port: p.host_port(),
                protocol: p.protocol().map(|p| p.as_str().to_string()),
                name: text(p.name()),
                app_protocol: p.app_protocol().map(|a| a.as_str().to_string()),
            })
            .collect(),
        environment: pairs_from_sdk(c.environment()),
        environment_files: c
            .environment_files()
            .iter()
            .map(|e| EnvironmentFile {
                value: e.value().to_string(),
                type_: e.r#type().as_str().to_string(),
            })
            .collect(),
        secrets: secrets_from_sdk(c.secrets()),
        command: c.command().to_vec(),
        entry_point: c.entry_point().to_vec(),
        working_directory: text(c.working_directory()),
        user: text(c.user()),
        health_check: c.health_check().map(|h| HealthCheck {
            command: h.command().to_vec(),
            interval: h.interval(),
            timeout: h.timeout(),
            retries: h.retries(),
            start_period: h.start_period(),
        }),
        log_configuration: c.log_configuration().map(|l| LogConfiguration {
            log_driver: l.log_driver().as_str().to_string(),
            options: map_from_sdk(l.options()),
            secret_options: secrets_from_sdk(l.secret_options()),
        }),
        mount_points: c
            .mount_points()
            .iter()
            .map(|m| MountPoint {
                source_volume: m.source_volume().unwrap_or_default().to_string(),
                container_path: m.container_path().unwrap_or_default().to_string(),
                read_only: m.read_only(),
            })
            .collect(),
        volumes_from: c
            .volumes_from()
            .iter()
            .map(|v| VolumeFrom {
                source_container: v.source_container().unwrap_or_default().to_string(),
                read_only: v.read_only(),
            })
            .collect(),
        depends_on: c
            .depends_on()
            .iter()
            .map(|d| ContainerDependency {
                container_name: d.container_name().to_string(),
                condition: d.condition().as_str().to_string(),
            })
            .collect(),
        ulimits: c
            .ulimits()
            .iter()
            .map(|u| Ulimit {
                name: u.name().as_str().to_string(),
                soft_limit: u.soft_limit(),
                hard_limit: u.hard_limit(),
            })
            .collect(),
        linux_parameters: c.linux_parameters().map(linux_from_sdk),
        readonly_root_filesystem: c.readonly_root_filesystem(),
        stop_timeout: c.stop_timeout(),
        start_timeout: c.start_timeout(),
        docker_labels: map_from_sdk(c.docker_labels()),
        firelens_configuration: c.firelens_configuration().map(|f| FirelensConfiguration {
            type_: f.r#type().as_str().to_string(),
            options: map_from_sdk(f.options()),
        }),
        restart_policy: c.restart_policy().map(|r| RestartPolicy {
            enabled: r.enabled(),
            ignored_exit_codes: r.ignored_exit_codes().to_vec(),
            restart_attempt_period: r.restart_attempt_period(),
        }),
        resource_requirements: c
            .resource_requirements()
            .iter()
            .map(|r| ResourceRequirement {
                type_: r.r#type().as_str().to_string(),
                value: r.value().to_string(),
            })
            .collect(),
        privileged: c.privileged(),
        interactive: c.interactive(),
        pseudo_terminal: c.pseudo_terminal(),
        version_consistency: c.version_consistency().map(|v| v.as_str().to_string()),
        system_controls: c
            .system_controls()
            .iter()
            .map(|s| SystemControl {
                namespace: s.namespace().unwrap_or_default().to_string(),
                value: s.value().unwrap_or_default().to_string(),
            })
            .collect(),
        extra_hosts: c
            .extra_hosts()
            .iter()
            .map(|h| HostEntry {
                hostname: h.hostname().to_string(),
                ip_address: h.ip_address().to_string(),
            })
            .collect(),
        dns_servers: c.dns_servers().to_vec(),
        dns_search_domains: c.dns_search_domains().to_vec(),
        hostname: c.hostname().map(str::to_string),
        disable_networking: c.disable_networking(),
        links: c.links().to_vec(),
        docker_security_options: c.docker_security_options().to_vec(),
        credential_specs: c.credential_specs().to_vec(),
    }
}
