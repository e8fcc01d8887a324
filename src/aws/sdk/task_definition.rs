//! Task definitions between our API types and the AWS SDK's.
//!
//! Enumerated values travel as the strings the ECS API uses, which the schema
//! restricts; SDK enums convert from and to those strings.

use aws_sdk_ecs::types as sdk;
use aws_smithy_types::error::operation::BuildError;

use super::container::{
    container_from_sdk, container_to_sdk, map_from_sdk, map_to_sdk, pairs_from_sdk, pairs_to_sdk,
};
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
        .set_enable_fault_injection(f.enable_fault_injection)
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
        // ECS reports false when it was left out, which means the same.
        enable_fault_injection: t.enable_fault_injection().filter(|on| *on),
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
