//! Task definitions between our API types and the AWS SDK's.
//!
//! Enumerated values travel as the strings the ECS API uses, which the schema
//! restricts; SDK enums convert from and to those strings.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ecs::types as sdk;
use aws_smithy_types::error::operation::BuildError;

use super::{
    aws_error, empty_response, invalid_input, non_empty, tags_from_sdk, tags_to_sdk, text,
    timestamp,
};
use crate::api::task_definition::*;
use crate::aws::{AwsError, EcsTaskDefinition, RegisterTaskDefinition, TaskDefinitionPage};

pub async fn register(
    client: &aws_sdk_ecs::Client,
    request: &RegisterTaskDefinition,
) -> Result<EcsTaskDefinition, AwsError> {
    const ACTION: &str = "ecs:RegisterTaskDefinition";
    let f = &request.fields;
    let invalid = invalid_input(ACTION);
    let containers = f
        .container_definitions
        .iter()
        .map(container_to_sdk)
        .collect::<Result<Vec<_>, _>>()
        .map_err(&invalid)?;
    let proxy = f
        .proxy_configuration
        .as_ref()
        .map(proxy_to_sdk)
        .transpose()
        .map_err(&invalid)?;
    let volumes = f
        .volumes
        .iter()
        .map(volume_to_sdk)
        .collect::<Result<Vec<_>, _>>()
        .map_err(&invalid)?;
    let out = client
        .register_task_definition()
        .family(&request.family)
        .set_cpu(f.cpu.clone())
        .set_memory(f.memory.clone())
        .set_network_mode(f.network_mode.as_deref().map(sdk::NetworkMode::from))
        .set_requires_compatibilities(non_empty(
            f.requires_compatibilities
                .iter()
                .map(|c| sdk::Compatibility::from(c.as_str()))
                .collect(),
        ))
        .set_task_role_arn(f.task_role_arn.clone())
        .set_execution_role_arn(f.execution_role_arn.clone())
        .set_runtime_platform(f.runtime_platform.as_ref().map(|p| {
            sdk::RuntimePlatform::builder()
                .set_cpu_architecture(
                    p.cpu_architecture
                        .as_deref()
                        .map(sdk::CpuArchitecture::from),
                )
                .set_operating_system_family(
                    p.operating_system_family
                        .as_deref()
                        .map(sdk::OsFamily::from),
                )
                .build()
        }))
        .set_ephemeral_storage(f.ephemeral_storage.as_ref().map(|e| {
            sdk::EphemeralStorage::builder()
                .size_in_gib(e.size_in_gib)
                .build()
        }))
        .set_pid_mode(f.pid_mode.as_deref().map(sdk::PidMode::from))
        .set_ipc_mode(f.ipc_mode.as_deref().map(sdk::IpcMode::from))
        .set_placement_constraints(non_empty(
            f.placement_constraints
                .iter()
                .map(|p| {
                    sdk::TaskDefinitionPlacementConstraint::builder()
                        .r#type(sdk::TaskDefinitionPlacementConstraintType::from(
                            p.type_.as_str(),
                        ))
                        .expression(&p.expression)
                        .build()
                })
                .collect(),
        ))
        .set_proxy_configuration(proxy)
        .set_volumes(non_empty(volumes))
        .set_container_definitions(Some(containers))
        .set_tags(non_empty(tags_to_sdk(&request.tags)))
        .send()
        .await
        .map_err(|e| aws_error(ACTION, e))?;
    let registered = out
        .task_definition()
        .ok_or_else(|| empty_response(ACTION, "task definition"))?;
    Ok(from_sdk(registered, tags_from_sdk(out.tags())))
}

pub async fn describe(
    client: &aws_sdk_ecs::Client,
    arn: &str,
) -> Result<Option<EcsTaskDefinition>, AwsError> {
    let result = client
        .describe_task_definition()
        .task_definition(arn)
        .include(sdk::TaskDefinitionField::Tags)
        .send()
        .await;
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            let error = aws_error("ecs:DescribeTaskDefinition", e);
            // ECS answers an unknown revision with a ClientException, not a not-found code.
            if error.code == "ClientException" && error.message.contains("Unable to describe") {
                return Ok(None);
            }
            return Err(error);
        }
    };
    Ok(out
        .task_definition()
        .map(|t| from_sdk(t, tags_from_sdk(out.tags()))))
}

pub async fn list(
    client: &aws_sdk_ecs::Client,
    family_prefix: &str,
    next_token: Option<&str>,
) -> Result<TaskDefinitionPage, AwsError> {
    let out = client
        .list_task_definitions()
        .family_prefix(family_prefix)
        .status(sdk::TaskDefinitionStatus::Active)
        .sort(sdk::SortOrder::Asc)
        .set_next_token(next_token.map(str::to_string))
        .send()
        .await
        .map_err(|e| aws_error("ecs:ListTaskDefinitions", e))?;
    Ok(TaskDefinitionPage {
        arns: out.task_definition_arns().to_vec(),
        next_token: out.next_token().map(str::to_string),
    })
}

pub async fn deregister(client: &aws_sdk_ecs::Client, arn: &str) -> Result<(), AwsError> {
    client
        .deregister_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|e| aws_error("ecs:DeregisterTaskDefinition", e))?;
    Ok(())
}

fn map_to_sdk(map: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!map.is_empty()).then(|| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn map_from_sdk(map: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn pairs_to_sdk(pairs: &[KeyValuePair]) -> Option<Vec<sdk::KeyValuePair>> {
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

fn pairs_from_sdk(pairs: &[sdk::KeyValuePair]) -> Vec<KeyValuePair> {
    pairs
        .iter()
        .map(|p| KeyValuePair {
            name: p.name().unwrap_or_default().to_string(),
            value: p.value().unwrap_or_default().to_string(),
        })
        .collect()
}

fn secrets_to_sdk(secrets: &[Secret]) -> Result<Option<Vec<sdk::Secret>>, BuildError> {
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

fn secrets_from_sdk(secrets: &[sdk::Secret]) -> Vec<Secret> {
    secrets
        .iter()
        .map(|s| Secret {
            name: s.name().to_string(),
            value_from: s.value_from().to_string(),
        })
        .collect()
}

fn strings(items: &[String]) -> Option<Vec<String>> {
    non_empty(items.to_vec())
}

fn container_to_sdk(c: &ContainerDefinition) -> Result<sdk::ContainerDefinition, BuildError> {
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
    Ok(sdk::ContainerDefinition::builder()
        .name(&c.name)
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
        .set_linux_parameters(c.linux_parameters.as_ref().map(|l| {
            sdk::LinuxParameters::builder()
                .set_init_process_enabled(l.init_process_enabled)
                .set_capabilities(l.capabilities.as_ref().map(|caps| {
                    sdk::KernelCapabilities::builder()
                        .set_add(strings(&caps.add))
                        .set_drop(strings(&caps.drop))
                        .build()
                }))
                .build()
        }))
        .set_readonly_root_filesystem(c.readonly_root_filesystem)
        .set_stop_timeout(c.stop_timeout)
        .set_start_timeout(c.start_timeout)
        .set_docker_labels(map_to_sdk(&c.docker_labels))
        .set_firelens_configuration(firelens)
        .set_restart_policy(restart_policy)
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

fn proxy_to_sdk(p: &ProxyConfiguration) -> Result<sdk::ProxyConfiguration, BuildError> {
    sdk::ProxyConfiguration::builder()
        .set_type(p.type_.as_deref().map(sdk::ProxyConfigurationType::from))
        .container_name(&p.container_name)
        .set_properties(pairs_to_sdk(&p.properties))
        .build()
}

fn volume_to_sdk(v: &Volume) -> Result<sdk::Volume, BuildError> {
    let efs = v
        .efs_volume_configuration
        .as_ref()
        .map(|e| {
            sdk::EfsVolumeConfiguration::builder()
                .file_system_id(&e.file_system_id)
                .set_root_directory(e.root_directory.clone())
                .set_transit_encryption(
                    e.transit_encryption
                        .as_deref()
                        .map(sdk::EfsTransitEncryption::from),
                )
                .set_transit_encryption_port(e.transit_encryption_port)
                .set_authorization_config(e.authorization_config.as_ref().map(|a| {
                    sdk::EfsAuthorizationConfig::builder()
                        .set_access_point_id(a.access_point_id.clone())
                        .set_iam(a.iam.as_deref().map(sdk::EfsAuthorizationConfigIam::from))
                        .build()
                }))
                .build()
        })
        .transpose()?;
    Ok(sdk::Volume::builder()
        .name(&v.name)
        .set_host(v.host.as_ref().map(|h| {
            sdk::HostVolumeProperties::builder()
                .set_source_path(h.source_path.clone())
                .build()
        }))
        .set_efs_volume_configuration(efs)
        .set_docker_volume_configuration(v.docker_volume_configuration.as_ref().map(|d| {
            sdk::DockerVolumeConfiguration::builder()
                .set_scope(d.scope.as_deref().map(sdk::Scope::from))
                .set_autoprovision(d.autoprovision)
                .set_driver(d.driver.clone())
                .set_driver_opts(map_to_sdk(&d.driver_opts))
                .set_labels(map_to_sdk(&d.labels))
                .build()
        }))
        .build())
}

fn from_sdk(t: &sdk::TaskDefinition, tags: crate::aws::Tags) -> EcsTaskDefinition {
    let fields = TaskDefinitionFields {
        cpu: text(t.cpu()),
        memory: text(t.memory()),
        network_mode: t.network_mode().map(|m| m.as_str().to_string()),
        requires_compatibilities: t
            .requires_compatibilities()
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        task_role_arn: text(t.task_role_arn()),
        execution_role_arn: text(t.execution_role_arn()),
        runtime_platform: t.runtime_platform().map(|p| RuntimePlatform {
            cpu_architecture: p.cpu_architecture().map(|a| a.as_str().to_string()),
            operating_system_family: p.operating_system_family().map(|o| o.as_str().to_string()),
        }),
        ephemeral_storage: t.ephemeral_storage().map(|e| EphemeralStorage {
            size_in_gib: e.size_in_gib(),
        }),
        pid_mode: t.pid_mode().map(|m| m.as_str().to_string()),
        ipc_mode: t.ipc_mode().map(|m| m.as_str().to_string()),
        placement_constraints: t
            .placement_constraints()
            .iter()
            .map(|p| TaskPlacementConstraint {
                type_: p
                    .r#type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                expression: p.expression().unwrap_or_default().to_string(),
            })
            .collect(),
        proxy_configuration: t.proxy_configuration().map(|p| ProxyConfiguration {
            type_: p.r#type().map(|t| t.as_str().to_string()),
            container_name: p.container_name().to_string(),
            properties: pairs_from_sdk(p.properties()),
        }),
        volumes: t.volumes().iter().map(volume_from_sdk).collect(),
        container_definitions: t
            .container_definitions()
            .iter()
            .map(container_from_sdk)
            .collect(),
    };
    EcsTaskDefinition {
        arn: t.task_definition_arn().unwrap_or_default().to_string(),
        family: t.family().unwrap_or_default().to_string(),
        revision: t.revision(),
        status: t.status().map(|s| s.as_str().into()).unwrap_or_default(),
        registered_at: timestamp(t.registered_at()),
        tags,
        fields,
    }
}

fn volume_from_sdk(v: &sdk::Volume) -> Volume {
    Volume {
        name: v.name().unwrap_or_default().to_string(),
        host: v.host().map(|h| HostVolume {
            source_path: h.source_path().map(str::to_string),
        }),
        efs_volume_configuration: v
            .efs_volume_configuration()
            .map(|e| EfsVolumeConfiguration {
                file_system_id: e.file_system_id().to_string(),
                root_directory: e.root_directory().map(str::to_string),
                transit_encryption: e.transit_encryption().map(|t| t.as_str().to_string()),
                transit_encryption_port: e.transit_encryption_port(),
                authorization_config: e.authorization_config().map(|a| EfsAuthorizationConfig {
                    access_point_id: a.access_point_id().map(str::to_string),
                    iam: a.iam().map(|i| i.as_str().to_string()),
                }),
            }),
        docker_volume_configuration: v.docker_volume_configuration().map(|d| {
            DockerVolumeConfiguration {
                scope: d.scope().map(|s| s.as_str().to_string()),
                autoprovision: d.autoprovision(),
                driver: d.driver().map(str::to_string),
                driver_opts: map_from_sdk(d.driver_opts()),
                labels: map_from_sdk(d.labels()),
            }
        }),
    }
}

fn container_from_sdk(c: &sdk::ContainerDefinition) -> ContainerDefinition {
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
        linux_parameters: c.linux_parameters().map(|l| LinuxParameters {
            init_process_enabled: l.init_process_enabled(),
            capabilities: l.capabilities().map(|caps| Capabilities {
                add: caps.add().to_vec(),
                drop: caps.drop().to_vec(),
            }),
        }),
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
    }
}
