//! Clusters between our API types and the AWS SDK's.

use aws_sdk_ecs::types as sdk;

use aws_smithy_types::error::operation::BuildError;

use super::{
    aws_error, empty_response, invalid_input, non_empty, strategy_to_sdk, tags_from_sdk,
    tags_to_sdk, text,
};
use crate::api::cluster::{
    CapacityProviderStrategyItem, ClusterConfiguration, ClusterSetting, ClusterSettingName,
    ContainerInsights, ExecuteCommandConfiguration, ExecuteCommandLogConfiguration,
    ExecuteCommandLogging, ManagedStorageConfiguration, ServiceConnectDefaults,
};
use crate::aws::limiter::Prepaid;
use crate::aws::{AwsError, ClusterState, CreateCluster, EcsCluster, UpdateCluster};

/// Describes up to 100 clusters, with their tags, settings and configuration.
pub async fn describe(
    client: &aws_sdk_ecs::Client,
    names: Vec<String>,
    receipt: Option<Prepaid>,
) -> Result<Vec<EcsCluster>, AwsError> {
    let out = client
        .describe_clusters()
        .set_clusters(Some(names))
        .include(sdk::ClusterField::Tags)
        .include(sdk::ClusterField::Settings)
        .include(sdk::ClusterField::Configurations)
        .customize()
        .mutate_request(move |request| receipt.iter().for_each(|r| r.attach(request)))
        .send()
        .await
        .map_err(|e| aws_error("ecs:DescribeClusters", e))?;
    Ok(out.clusters().iter().map(cluster_from_sdk).collect())
}

pub async fn create(
    client: &aws_sdk_ecs::Client,
    request: &CreateCluster,
) -> Result<EcsCluster, AwsError> {
    let out = client
        .create_cluster()
        .cluster_name(&request.name)
        .set_tags(Some(tags_to_sdk(&request.tags)))
        .set_settings(non_empty(
            request.settings.iter().map(setting_to_sdk).collect(),
        ))
        .set_configuration(request.configuration.as_ref().map(configuration_to_sdk))
        .set_capacity_providers(request.capacity_providers.clone())
        .set_default_capacity_provider_strategy(
            request
                .default_capacity_provider_strategy
                .as_deref()
                .map(strategy_to_sdk),
        )
        .set_service_connect_defaults(
            request
                .service_connect_defaults
                .as_ref()
                .map(connect_defaults_to_sdk)
                .transpose()
                .map_err(invalid_input("ecs:CreateCluster"))?,
        )
        .send()
        .await
        .map_err(|e| aws_error("ecs:CreateCluster", e))?;
    out.cluster()
        .map(cluster_from_sdk)
        .ok_or_else(|| empty_response("ecs:CreateCluster", "cluster"))
}

pub async fn update(
    client: &aws_sdk_ecs::Client,
    arn: &str,
    update: &UpdateCluster,
) -> Result<(), AwsError> {
    client
        .update_cluster()
        .cluster(arn)
        .set_settings(
            update
                .settings
                .as_ref()
                .map(|s| s.iter().map(setting_to_sdk).collect()),
        )
        .set_configuration(update.configuration.as_ref().map(configuration_to_sdk))
        .set_service_connect_defaults(
            update
                .service_connect_defaults
                .as_ref()
                .map(connect_defaults_to_sdk)
                .transpose()
                .map_err(invalid_input("ecs:UpdateCluster"))?,
        )
        .send()
        .await
        .map_err(|e| aws_error("ecs:UpdateCluster", e))?;
    Ok(())
}

pub async fn put_capacity_providers(
    client: &aws_sdk_ecs::Client,
    arn: &str,
    providers: &[String],
    strategy: &[CapacityProviderStrategyItem],
) -> Result<(), AwsError> {
    client
        .put_cluster_capacity_providers()
        .cluster(arn)
        .set_capacity_providers(Some(providers.to_vec()))
        .set_default_capacity_provider_strategy(Some(strategy_to_sdk(strategy)))
        .send()
        .await
        .map_err(|e| aws_error("ecs:PutClusterCapacityProviders", e))?;
    Ok(())
}

/// Deletes the cluster; returns the status ECS reports for it afterwards.
pub async fn delete(client: &aws_sdk_ecs::Client, arn: &str) -> Result<ClusterState, AwsError> {
    let out = client
        .delete_cluster()
        .cluster(arn)
        .send()
        .await
        .map_err(|e| aws_error("ecs:DeleteCluster", e))?;
    Ok(out
        .cluster()
        .and_then(|c| c.status())
        .map_or(ClusterState::Inactive, ClusterState::from))
}

pub fn cluster_from_sdk(c: &sdk::Cluster) -> EcsCluster {
    EcsCluster {
        arn: c.cluster_arn().unwrap_or_default().to_string(),
        name: c.cluster_name().unwrap_or_default().to_string(),
        status: c.status().unwrap_or_default().into(),
        tags: tags_from_sdk(c.tags()),
        settings: c.settings().iter().filter_map(setting_from_sdk).collect(),
        configuration: c.configuration().map(configuration_from_sdk),
        capacity_providers: c.capacity_providers().to_vec(),
        managed_instances_providers: Vec::new(),
        default_capacity_provider_strategy: c
            .default_capacity_provider_strategy()
            .iter()
            .map(|s| CapacityProviderStrategyItem {
                capacity_provider: s.capacity_provider().to_string(),
                weight: Some(s.weight()),
                base: Some(s.base()),
            })
            .collect(),
        service_connect_namespace: c
            .service_connect_defaults()
            .and_then(|d| d.namespace())
            .map(str::to_string),
        active_services_count: c.active_services_count(),
        running_tasks_count: c.running_tasks_count(),
        pending_tasks_count: c.pending_tasks_count(),
        registered_container_instances_count: c.registered_container_instances_count(),
    }
}

fn setting_to_sdk(s: &ClusterSetting) -> sdk::ClusterSetting {
    let name = match s.name {
        ClusterSettingName::ContainerInsights => sdk::ClusterSettingName::ContainerInsights,
    };
    let value = match s.value {
        ContainerInsights::Enabled => "enabled",
        ContainerInsights::Disabled => "disabled",
        ContainerInsights::Enhanced => "enhanced",
    };
    sdk::ClusterSetting::builder()
        .name(name)
        .value(value)
        .build()
}

/// Settings ECS may report that this operator does not model are skipped, not failed on.
fn setting_from_sdk(s: &sdk::ClusterSetting) -> Option<ClusterSetting> {
    let name = match s.name()? {
        sdk::ClusterSettingName::ContainerInsights => ClusterSettingName::ContainerInsights,
        _ => return None,
    };
    let value = match s.value()? {
        "enabled" => ContainerInsights::Enabled,
        "disabled" => ContainerInsights::Disabled,
        "enhanced" => ContainerInsights::Enhanced,
        _ => return None,
    };
    Some(ClusterSetting { name, value })
}

fn configuration_to_sdk(c: &ClusterConfiguration) -> sdk::ClusterConfiguration {
    let exec = c.execute_command_configuration.as_ref().map(|e| {
        sdk::ExecuteCommandConfiguration::builder()
            .set_kms_key_id(e.kms_key_id.clone())
            .set_logging(e.logging.map(|l| match l {
                ExecuteCommandLogging::None => sdk::ExecuteCommandLogging::None,
                ExecuteCommandLogging::Default => sdk::ExecuteCommandLogging::Default,
                ExecuteCommandLogging::Override => sdk::ExecuteCommandLogging::Override,
            }))
            .set_log_configuration(e.log_configuration.as_ref().map(|l| {
                sdk::ExecuteCommandLogConfiguration::builder()
                    .set_cloud_watch_log_group_name(l.cloud_watch_log_group_name.clone())
                    .set_cloud_watch_encryption_enabled(l.cloud_watch_encryption_enabled)
                    .set_s3_bucket_name(l.s3_bucket_name.clone())
                    .set_s3_encryption_enabled(l.s3_encryption_enabled)
                    .set_s3_key_prefix(l.s3_key_prefix.clone())
                    .build()
            }))
            .build()
    });
    let storage = c.managed_storage_configuration.as_ref().map(|m| {
        sdk::ManagedStorageConfiguration::builder()
            .set_kms_key_id(m.kms_key_id.clone())
            .set_fargate_ephemeral_storage_kms_key_id(
                m.fargate_ephemeral_storage_kms_key_id.clone(),
            )
            .build()
    });
    sdk::ClusterConfiguration::builder()
        .set_execute_command_configuration(exec)
        .set_managed_storage_configuration(storage)
        .build()
}

fn configuration_from_sdk(c: &sdk::ClusterConfiguration) -> ClusterConfiguration {
    ClusterConfiguration {
        execute_command_configuration: c.execute_command_configuration().map(|e| {
            ExecuteCommandConfiguration {
                kms_key_id: e.kms_key_id().map(str::to_string),
                logging: e.logging().and_then(|l| match l {
                    sdk::ExecuteCommandLogging::None => Some(ExecuteCommandLogging::None),
                    sdk::ExecuteCommandLogging::Default => Some(ExecuteCommandLogging::Default),
                    sdk::ExecuteCommandLogging::Override => Some(ExecuteCommandLogging::Override),
                    _ => None,
                }),
                log_configuration: e
                    .log_configuration()
                    .map(|l| ExecuteCommandLogConfiguration {
                        cloud_watch_log_group_name: l
                            .cloud_watch_log_group_name()
                            .map(str::to_string),
                        cloud_watch_encryption_enabled: Some(l.cloud_watch_encryption_enabled()),
                        s3_bucket_name: l.s3_bucket_name().map(str::to_string),
                        s3_encryption_enabled: Some(l.s3_encryption_enabled()),
                        s3_key_prefix: l.s3_key_prefix().map(str::to_string),
                    }),
            }
        }),
        managed_storage_configuration: c.managed_storage_configuration().map(|m| {
            ManagedStorageConfiguration {
                kms_key_id: text(m.kms_key_id()),
                fargate_ephemeral_storage_kms_key_id: text(
                    m.fargate_ephemeral_storage_kms_key_id(),
                ),
            }
        }),
    }
}

fn connect_defaults_to_sdk(
    d: &ServiceConnectDefaults,
) -> Result<sdk::ClusterServiceConnectDefaultsRequest, BuildError> {
    sdk::ClusterServiceConnectDefaultsRequest::builder()
        .namespace(&d.namespace)
        .build()
}
