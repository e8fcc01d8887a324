//! Capacity providers between our API types and the AWS SDK's.

use aws_sdk_ecs::types as sdk;

use super::{
    aws_error, empty_response, instance_requirements, invalid_input, tags_from_sdk, tags_to_sdk,
    text,
};
use crate::api::capacity_provider::{
    AutoRepairConfiguration, AutoScalingGroupProvider, CapacityReservationRequest,
    InfrastructureOptimization, InstanceLaunchTemplate, ManagedInstancesLocalStorageConfiguration,
    ManagedInstancesNetworkConfiguration, ManagedInstancesProvider,
    ManagedInstancesStorageConfiguration, ManagedScaling,
};
use crate::aws::limiter::Prepaid;
use crate::aws::{AwsError, CapacityProviderConfig, CreateCapacityProvider, EcsCapacityProvider};

/// DescribeCapacityProviders takes up to 100 names (ECS API Reference).
pub const PROVIDERS_PER_DESCRIBE: usize = 100;

/// Describes up to 100 capacity providers by name, with their tags; unknown names are
/// left out.
pub async fn describe(
    client: &aws_sdk_ecs::Client,
    names: Vec<String>,
    receipt: Option<Prepaid>,
) -> Result<Vec<EcsCapacityProvider>, AwsError> {
    let out = client
        .describe_capacity_providers()
        .set_capacity_providers(Some(names))
        .include(sdk::CapacityProviderField::Tags)
        .customize()
        .mutate_request(move |request| receipt.iter().for_each(|r| r.attach(request)))
        .send()
        .await
        .map_err(|e| aws_error("ecs:DescribeCapacityProviders", e))?;
    Ok(out.capacity_providers().iter().map(from_sdk).collect())
}

pub async fn create(
    client: &aws_sdk_ecs::Client,
    request: &CreateCapacityProvider,
) -> Result<EcsCapacityProvider, AwsError> {
    const ACTION: &str = "ecs:CreateCapacityProvider";
    let call = client
        .create_capacity_provider()
        .name(&request.name)
        .set_cluster(request.cluster.clone())
        .set_tags(Some(tags_to_sdk(&request.tags)));
    let call = match &request.config {
        CapacityProviderConfig::AutoScalingGroup(asg) => call.auto_scaling_group_provider(
            sdk::AutoScalingGroupProvider::builder()
                .auto_scaling_group_arn(&asg.auto_scaling_group_arn)
                .set_managed_scaling(asg.managed_scaling.as_ref().map(scaling_to_sdk))
                .set_managed_termination_protection(
                    asg.managed_termination_protection
                        .as_deref()
                        .map(sdk::ManagedTerminationProtection::from),
                )
                .set_managed_draining(
                    asg.managed_draining
                        .as_deref()
                        .map(sdk::ManagedDraining::from),
                )
                .build()
                .map_err(invalid_input(ACTION))?,
        ),
        CapacityProviderConfig::ManagedInstances(mi) => call.managed_instances_provider(
            sdk::CreateManagedInstancesProviderConfiguration::builder()
                .infrastructure_role_arn(&mi.infrastructure_role_arn)
                .instance_launch_template(template_to_sdk(&mi.instance_launch_template)?)
                .set_propagate_tags(mi.propagate_tags.as_deref().map(sdk::PropagateMiTags::from))
                .set_infrastructure_optimization(optimization_to_sdk(mi))
                .set_auto_repair_configuration(repair_to_sdk(mi))
                .build()
                .map_err(invalid_input(ACTION))?,
        ),
    };
    let out = call.send().await.map_err(|e| aws_error(ACTION, e))?;
    let created = out
        .capacity_provider()
        .ok_or_else(|| empty_response(ACTION, "capacityProvider"))?;
    let mut provider = from_sdk(created);
    // moto leaves the tags out of its answer; they are exactly those sent.
    provider.tags = request.tags.clone();
    Ok(provider)
}

pub async fn update(
    client: &aws_sdk_ecs::Client,
    name: &str,
    cluster: Option<&str>,
    config: &CapacityProviderConfig,
) -> Result<(), AwsError> {
    const ACTION: &str = "ecs:UpdateCapacityProvider";
    let call = client
        .update_capacity_provider()
        .name(name)
        .set_cluster(cluster.map(str::to_string));
    let call = match config {
        CapacityProviderConfig::AutoScalingGroup(asg) => call.auto_scaling_group_provider(
            sdk::AutoScalingGroupProviderUpdate::builder()
                .set_managed_scaling(asg.managed_scaling.as_ref().map(scaling_to_sdk))
                .set_managed_termination_protection(
                    asg.managed_termination_protection
                        .as_deref()
                        .map(sdk::ManagedTerminationProtection::from),
                )
                .set_managed_draining(
                    asg.managed_draining
                        .as_deref()
                        .map(sdk::ManagedDraining::from),
                )
                .build(),
        ),
        CapacityProviderConfig::ManagedInstances(mi) => {
            let t = &mi.instance_launch_template;
            let template = sdk::InstanceLaunchTemplateUpdate::builder()
                .ec2_instance_profile_arn(&t.ec2_instance_profile_arn)
                .set_network_configuration(t.network_configuration.as_ref().map(network_to_sdk))
                .set_storage_configuration(t.storage_configuration.as_ref().map(storage_to_sdk))
                .set_local_storage_configuration(
                    t.local_storage_configuration
                        .as_ref()
                        .map(local_storage_to_sdk),
                )
                .set_monitoring(
                    t.monitoring
                        .as_deref()
                        .map(sdk::ManagedInstancesMonitoringOptions::from),
                )
                .set_instance_metadata_tags_propagation(t.instance_metadata_tags_propagation)
                .set_instance_requirements(
                    t.instance_requirements
                        .as_ref()
                        .map(instance_requirements::to_sdk)
                        .transpose()?,
                )
                .set_capacity_reservations(
                    t.capacity_reservations.as_ref().map(reservations_to_sdk),
                )
                .build();
            call.managed_instances_provider(
                sdk::UpdateManagedInstancesProviderConfiguration::builder()
                    .infrastructure_role_arn(&mi.infrastructure_role_arn)
                    .instance_launch_template(template)
                    .set_propagate_tags(
                        mi.propagate_tags.as_deref().map(sdk::PropagateMiTags::from),
                    )
                    .set_infrastructure_optimization(optimization_to_sdk(mi))
                    .set_auto_repair_configuration(repair_to_sdk(mi))
                    .build()
                    .map_err(invalid_input(ACTION))?,
            )
        }
    };
    call.send().await.map_err(|e| aws_error(ACTION, e))?;
    Ok(())
}

pub async fn delete(
    client: &aws_sdk_ecs::Client,
    name: &str,
    cluster: Option<&str>,
) -> Result<(), AwsError> {
    client
        .delete_capacity_provider()
        .capacity_provider(name)
        .set_cluster(cluster.map(str::to_string))
        .send()
        .await
        .map_err(|e| aws_error("ecs:DeleteCapacityProvider", e))?;
    Ok(())
}

fn scaling_to_sdk(s: &ManagedScaling) -> sdk::ManagedScaling {
    sdk::ManagedScaling::builder()
        .set_status(s.status.as_deref().map(sdk::ManagedScalingStatus::from))
        .set_target_capacity(s.target_capacity)
        .set_minimum_scaling_step_size(s.minimum_scaling_step_size)
        .set_maximum_scaling_step_size(s.maximum_scaling_step_size)
        .set_instance_warmup_period(s.instance_warmup_period)
        .build()
}

fn network_to_sdk(
    n: &ManagedInstancesNetworkConfiguration,
) -> sdk::ManagedInstancesNetworkConfiguration {
    sdk::ManagedInstancesNetworkConfiguration::builder()
        .set_subnets(Some(n.subnets.clone()))
        .set_security_groups(Some(n.security_groups.clone()))
        .build()
}

fn storage_to_sdk(
    s: &ManagedInstancesStorageConfiguration,
) -> sdk::ManagedInstancesStorageConfiguration {
    sdk::ManagedInstancesStorageConfiguration::builder()
        .set_storage_size_gib(s.storage_size_gib)
        .build()
}

fn local_storage_to_sdk(
    l: &ManagedInstancesLocalStorageConfiguration,
) -> sdk::ManagedInstancesLocalStorageConfiguration {
    sdk::ManagedInstancesLocalStorageConfiguration::builder()
        .use_local_storage(l.use_local_storage)
        .build()
}

fn reservations_to_sdk(r: &CapacityReservationRequest) -> sdk::CapacityReservationRequest {
    sdk::CapacityReservationRequest::builder()
        .set_reservation_group_arn(r.reservation_group_arn.clone())
        .set_reservation_preference(
            r.reservation_preference
                .as_deref()
                .map(sdk::CapacityReservationPreference::from),
        )
        .build()
}

fn optimization_to_sdk(mi: &ManagedInstancesProvider) -> Option<sdk::InfrastructureOptimization> {
    mi.infrastructure_optimization.as_ref().map(|o| {
        sdk::InfrastructureOptimization::builder()
            .set_scale_in_after(o.scale_in_after)
            .build()
    })
}

fn repair_to_sdk(mi: &ManagedInstancesProvider) -> Option<sdk::AutoRepairConfiguration> {
    mi.auto_repair_configuration.as_ref().map(|r| {
        sdk::AutoRepairConfiguration::builder()
            .set_actions_status(
                r.actions_status
                    .as_deref()
                    .map(sdk::AutoRepairActionsStatus::from),
            )
            .build()
    })
}

fn template_to_sdk(t: &InstanceLaunchTemplate) -> Result<sdk::InstanceLaunchTemplate, AwsError> {
    sdk::InstanceLaunchTemplate::builder()
        .ec2_instance_profile_arn(&t.ec2_instance_profile_arn)
        .set_network_configuration(t.network_configuration.as_ref().map(network_to_sdk))
        .set_storage_configuration(t.storage_configuration.as_ref().map(storage_to_sdk))
        .set_local_storage_configuration(
            t.local_storage_configuration
                .as_ref()
                .map(local_storage_to_sdk),
        )
        .set_monitoring(
            t.monitoring
                .as_deref()
                .map(sdk::ManagedInstancesMonitoringOptions::from),
        )
        .set_capacity_option_type(
            t.capacity_option_type
                .as_deref()
                .map(sdk::CapacityOptionType::from),
        )
        .set_instance_metadata_tags_propagation(t.instance_metadata_tags_propagation)
        .set_instance_requirements(
            t.instance_requirements
                .as_ref()
                .map(instance_requirements::to_sdk)
                .transpose()?,
        )
        .set_fips_enabled(t.fips_enabled)
        .set_capacity_reservations(t.capacity_reservations.as_ref().map(reservations_to_sdk))
        .build()
        .map_err(invalid_input("ecs:CreateCapacityProvider"))
}

fn word<T: AsRef<str>>(value: Option<&T>) -> Option<String> {
    value.map(|v| v.as_ref().to_string())
}

fn template_from_sdk(t: &sdk::InstanceLaunchTemplate) -> InstanceLaunchTemplate {
    InstanceLaunchTemplate {
        ec2_instance_profile_arn: t.ec2_instance_profile_arn().to_string(),
        network_configuration: t.network_configuration().map(|n| {
            ManagedInstancesNetworkConfiguration {
                subnets: n.subnets().to_vec(),
                security_groups: n.security_groups().to_vec(),
            }
        }),
        storage_configuration: t.storage_configuration().map(|s| {
            ManagedInstancesStorageConfiguration {
                storage_size_gib: s.storage_size_gib(),
            }
        }),
        local_storage_configuration: t.local_storage_configuration().map(|l| {
            ManagedInstancesLocalStorageConfiguration {
                use_local_storage: l.use_local_storage(),
            }
        }),
        monitoring: word(t.monitoring()),
        capacity_option_type: word(t.capacity_option_type()),
        instance_metadata_tags_propagation: t.instance_metadata_tags_propagation(),
        instance_requirements: t
            .instance_requirements()
            .map(instance_requirements::from_sdk),
        fips_enabled: t.fips_enabled(),
        capacity_reservations: t
            .capacity_reservations()
            .map(|r| CapacityReservationRequest {
                reservation_group_arn: text(r.reservation_group_arn()),
                reservation_preference: word(r.reservation_preference()),
            }),
    }
}

fn config_from_sdk(p: &sdk::CapacityProvider) -> Option<CapacityProviderConfig> {
    if let Some(asg) = p.auto_scaling_group_provider() {
        return Some(CapacityProviderConfig::AutoScalingGroup(
            AutoScalingGroupProvider {
                auto_scaling_group_arn: asg.auto_scaling_group_arn().to_string(),
                managed_scaling: asg.managed_scaling().map(|s| ManagedScaling {
                    status: word(s.status()),
                    target_capacity: s.target_capacity(),
                    minimum_scaling_step_size: s.minimum_scaling_step_size(),
                    maximum_scaling_step_size: s.maximum_scaling_step_size(),
                    instance_warmup_period: s.instance_warmup_period(),
                }),
                managed_termination_protection: word(asg.managed_termination_protection()),
                managed_draining: word(asg.managed_draining()),
            },
        ));
    }
    let mi = p.managed_instances_provider()?;
    Some(CapacityProviderConfig::ManagedInstances(Box::new(
        ManagedInstancesProvider {
            infrastructure_role_arn: mi.infrastructure_role_arn().unwrap_or_default().to_string(),
            instance_launch_template: mi
                .instance_launch_template()
                .map(template_from_sdk)
                .unwrap_or_default(),
            propagate_tags: word(mi.propagate_tags()),
            infrastructure_optimization: mi.infrastructure_optimization().map(|o| {
                InfrastructureOptimization {
                    scale_in_after: o.scale_in_after(),
                }
            }),
            auto_repair_configuration: mi.auto_repair_configuration().map(|r| {
                AutoRepairConfiguration {
                    actions_status: word(r.actions_status()),
                }
            }),
        },
    )))
}

fn from_sdk(p: &sdk::CapacityProvider) -> EcsCapacityProvider {
    EcsCapacityProvider {
        name: p.name().unwrap_or_default().to_string(),
        arn: p.capacity_provider_arn().unwrap_or_default().to_string(),
        status: p.status().map(|s| s.as_str().into()).unwrap_or_default(),
        provider_type: word(p.r#type()).unwrap_or_default(),
        // ECS may answer with the cluster's ARN; the operator compares names.
        cluster: p
            .cluster()
            .map(|c| c.rsplit('/').next().unwrap_or(c).to_string()),
        update_status: p.update_status().map(|u| u.as_str().into()),
        update_status_reason: text(p.update_status_reason()),
        config: config_from_sdk(p),
        tags: tags_from_sdk(p.tags()),
    }
}
