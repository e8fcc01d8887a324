//! Services between our API types and the AWS SDK's.

use aws_sdk_ecs::types as sdk;
use aws_smithy_types::error::operation::BuildError;

use super::progressive::{
    advanced_from_sdk, advanced_to_sdk, canary_from_sdk, canary_to_sdk, hooks_from_sdk,
    hooks_to_sdk, linear_from_sdk, linear_to_sdk, test_traffic_from_sdk, test_traffic_to_sdk,
};
use super::{
    aws_error, empty_response, invalid_input, non_empty, strategy_to_sdk, tags_from_sdk,
    tags_to_sdk, text, timestamp,
};
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::service::*;
use crate::aws::limiter::Prepaid;
use crate::aws::{
    AwsError, CreateService, DeploymentState, EcsDeployment, EcsService, EcsServiceEvent,
    EcsTaskSet, UpdateService,
};

pub(super) fn network_to_sdk(
    n: &NetworkConfiguration,
) -> Result<sdk::NetworkConfiguration, BuildError> {
    let vpc = &n.awsvpc_configuration;
    Ok(sdk::NetworkConfiguration::builder()
        .awsvpc_configuration(
            sdk::AwsVpcConfiguration::builder()
                .set_subnets(Some(vpc.subnets.clone()))
                .set_security_groups(non_empty(vpc.security_groups.clone()))
                .set_assign_public_ip(
                    vpc.assign_public_ip
                        .as_deref()
                        .map(sdk::AssignPublicIp::from),
                )
                .build()?,
        )
        .build())
}

fn connect_to_sdk(
    c: &ServiceConnectConfiguration,
) -> Result<sdk::ServiceConnectConfiguration, BuildError> {
    let services = c
        .services
        .iter()
        .map(|svc| -> Result<_, BuildError> {
            let aliases = svc
                .client_aliases
                .iter()
                .map(|a| {
                    sdk::ServiceConnectClientAlias::builder()
                        .port(a.port)
                        .set_dns_name(a.dns_name.clone())
                        .set_test_traffic_rules(
                            a.test_traffic_rules
                                .as_ref()
                                .map(test_traffic_to_sdk)
                                .transpose()?,
                        )
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()?;
            sdk::ServiceConnectService::builder()
                .port_name(&svc.port_name)
                .set_discovery_name(svc.discovery_name.clone())
                .set_client_aliases(non_empty(aliases))
                .set_ingress_port_override(svc.ingress_port_override)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sdk::ServiceConnectConfiguration::builder()
        .enabled(c.enabled)
        .set_namespace(c.namespace.clone())
        .set_services(non_empty(services))
        .build())
}

fn deployment_to_sdk(
    d: &DeploymentConfiguration,
) -> Result<sdk::DeploymentConfiguration, BuildError> {
    let alarms = d
        .alarms
        .as_ref()
        .map(|a| {
            sdk::DeploymentAlarms::builder()
                .set_alarm_names(Some(a.alarm_names.clone()))
                .enable(a.enable)
                .rollback(a.rollback)
                .build()
        })
        .transpose()?;
    Ok(sdk::DeploymentConfiguration::builder()
        .set_minimum_healthy_percent(d.minimum_healthy_percent)
        .set_maximum_percent(d.maximum_percent)
        .set_deployment_circuit_breaker(d.deployment_circuit_breaker.as_ref().map(|b| {
            sdk::DeploymentCircuitBreaker::builder()
                .enable(b.enable)
                .rollback(b.rollback)
                .build()
        }))
        .set_alarms(alarms)
        .set_strategy(d.strategy.as_deref().map(sdk::DeploymentStrategy::from))
        .set_bake_time_in_minutes(d.bake_time_in_minutes)
        .set_linear_configuration(d.linear_configuration.as_ref().map(linear_to_sdk))
        .set_canary_configuration(d.canary_configuration.as_ref().map(canary_to_sdk))
        .set_lifecycle_hooks(hooks_to_sdk(&d.lifecycle_hooks))
        .build())
}

fn controller_to_sdk(c: &DeploymentController) -> Result<sdk::DeploymentController, BuildError> {
    sdk::DeploymentController::builder()
        .r#type(sdk::DeploymentControllerType::from(c.type_.as_str()))
        .build()
}

fn load_balancers_to_sdk(load_balancers: &[LoadBalancer]) -> Vec<sdk::LoadBalancer> {
    load_balancers
        .iter()
        .map(|l| {
            sdk::LoadBalancer::builder()
                .set_target_group_arn(l.target_group_arn.clone())
                .set_load_balancer_name(l.load_balancer_name.clone())
                .container_name(&l.container_name)
                .container_port(l.container_port)
                .set_advanced_configuration(l.advanced_configuration.as_ref().map(advanced_to_sdk))
                .build()
        })
        .collect()
}

fn registries_to_sdk(registries: &[ServiceRegistry]) -> Vec<sdk::ServiceRegistry> {
    registries
        .iter()
        .map(|r| {
            sdk::ServiceRegistry::builder()
                .registry_arn(&r.registry_arn)
                .set_port(r.port)
                .set_container_name(r.container_name.clone())
                .set_container_port(r.container_port)
                .build()
        })
        .collect()
}

pub(super) fn constraints_to_sdk(
    constraints: &[PlacementConstraint],
) -> Vec<sdk::PlacementConstraint> {
    constraints
        .iter()
        .map(|p| {
            sdk::PlacementConstraint::builder()
                .r#type(sdk::PlacementConstraintType::from(p.type_.as_str()))
                .set_expression(p.expression.clone())
                .build()
        })
        .collect()
}

pub(super) fn placement_strategy_to_sdk(
    strategy: &[PlacementStrategy],
) -> Vec<sdk::PlacementStrategy> {
    strategy
        .iter()
        .map(|p| {
            sdk::PlacementStrategy::builder()
                .r#type(sdk::PlacementStrategyType::from(p.type_.as_str()))
                .set_field(p.field.clone())
                .build()
        })
        .collect()
}

/// `receipt`: the token was taken at the Service's turn (see `Limiter::book`).
pub async fn create(
    client: &aws_sdk_ecs::Client,
    request: &CreateService,
    receipt: Option<Prepaid>,
) -> Result<EcsService, AwsError> {
    const ACTION: &str = "ecs:CreateService";
    let s = &request.settings;
    let built = invalid_input(ACTION);
    let network = s
        .network_configuration
        .as_ref()
        .map(network_to_sdk)
        .transpose()
        .map_err(&built)?;
    let connect = s
        .service_connect_configuration
        .as_ref()
        .map(connect_to_sdk)
        .transpose()
        .map_err(&built)?;
    let deployment = s
        .deployment_configuration
        .as_ref()
        .map(deployment_to_sdk)
        .transpose()
        .map_err(&built)?;
    let controller = s
        .deployment_controller
        .as_ref()
        .map(controller_to_sdk)
        .transpose()
        .map_err(&built)?;
    let out = client
        .create_service()
        .cluster(&request.cluster)
        .service_name(&request.name)
        .set_task_definition(request.task_definition.clone())
        .client_token(&request.client_token)
        .set_desired_count(s.desired_count)
        .set_launch_type(s.launch_type.as_deref().map(sdk::LaunchType::from))
        .set_capacity_provider_strategy(non_empty(strategy_to_sdk(&s.capacity_provider_strategy)))
        .set_platform_version(s.platform_version.clone())
        .set_network_configuration(network)
        .set_load_balancers(non_empty(load_balancers_to_sdk(&s.load_balancers)))
        .set_service_registries(non_empty(registries_to_sdk(&s.service_registries)))
        .set_service_connect_configuration(connect)
        .set_placement_constraints(non_empty(constraints_to_sdk(&s.placement_constraints)))
        .set_placement_strategy(non_empty(placement_strategy_to_sdk(&s.placement_strategy)))
        .set_scheduling_strategy(
            s.scheduling_strategy
                .as_deref()
                .map(sdk::SchedulingStrategy::from),
        )
        .set_deployment_configuration(deployment)
        .set_deployment_controller(controller)
        .set_health_check_grace_period_seconds(s.health_check_grace_period_seconds)
        .set_enable_execute_command(s.enable_execute_command)
        .set_enable_ecs_managed_tags(s.enable_ecs_managed_tags)
        .set_propagate_tags(s.propagate_tags.as_deref().map(sdk::PropagateTags::from))
        .set_availability_zone_rebalancing(
            s.availability_zone_rebalancing
                .as_deref()
                .map(sdk::AvailabilityZoneRebalancing::from),
        )
        .set_tags(non_empty(tags_to_sdk(&request.tags)))
        .customize()
        .mutate_request(move |r| receipt.iter().for_each(|paid| paid.attach(r)))
        .send()
        .await
        .map_err(|e| aws_error(ACTION, e))?;
    out.service()
        .map(from_sdk)
        .ok_or_else(|| empty_response(ACTION, "service"))
}

/// `receipt`: the token was taken at the Service's turn (see `Limiter::book`).
pub async fn update(
    client: &aws_sdk_ecs::Client,
    request: &UpdateService,
    receipt: Option<Prepaid>,
) -> Result<EcsService, AwsError> {
    const ACTION: &str = "ecs:UpdateService";
    let mut call = client
        .update_service()
        .cluster(&request.cluster)
        .service(&request.service)
        .set_desired_count(request.desired_count)
        .set_task_definition(request.task_definition.clone())
        .force_new_deployment(request.force_new_deployment);
    let c = &request.changes;
    call = call
        .set_capacity_provider_strategy(
            c.capacity_provider_strategy.as_deref().map(strategy_to_sdk),
        )
        .set_platform_version(c.platform_version.clone())
        .set_network_configuration(
            c.network_configuration
                .as_ref()
                .map(network_to_sdk)
                .transpose()
                .map_err(invalid_input(ACTION))?,
        )
        .set_load_balancers(c.load_balancers.as_deref().map(load_balancers_to_sdk))
        .set_service_registries(c.service_registries.as_deref().map(registries_to_sdk))
        .set_service_connect_configuration(
            c.service_connect_configuration
                .as_ref()
                .map(connect_to_sdk)
                .transpose()
                .map_err(invalid_input(ACTION))?,
        )
        .set_placement_constraints(c.placement_constraints.as_deref().map(constraints_to_sdk))
        .set_placement_strategy(
            c.placement_strategy
                .as_deref()
                .map(placement_strategy_to_sdk),
        )
        .set_deployment_configuration(
            c.deployment_configuration
                .as_ref()
                .map(deployment_to_sdk)
                .transpose()
                .map_err(invalid_input(ACTION))?,
        )
        .set_health_check_grace_period_seconds(c.health_check_grace_period_seconds)
        .set_enable_execute_command(c.enable_execute_command)
        .set_enable_ecs_managed_tags(c.enable_ecs_managed_tags)
        .set_propagate_tags(c.propagate_tags.as_deref().map(sdk::PropagateTags::from))
        .set_availability_zone_rebalancing(
            c.availability_zone_rebalancing
                .as_deref()
                .map(sdk::AvailabilityZoneRebalancing::from),
        )
        .set_deployment_controller(
            c.deployment_controller
                .as_ref()
                .map(controller_to_sdk)
                .transpose()
                .map_err(invalid_input(ACTION))?,
        );
    let out = call
        .customize()
        .mutate_request(move |r| receipt.iter().for_each(|paid| paid.attach(r)))
        .send()
        .await
        .map_err(|e| aws_error(ACTION, e))?;
    out.service()
        .map(from_sdk)
        .ok_or_else(|| empty_response(ACTION, "service"))
}

/// DescribeServices for up to 10 services of one cluster. A missing service is a
/// "failures" entry with reason MISSING, not an error, so it is simply absent here.
pub async fn describe_many(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    services: Vec<String>,
    receipt: Option<Prepaid>,
) -> Result<Vec<EcsService>, AwsError> {
    let out = client
        .describe_services()
        .cluster(cluster)
        .set_services(Some(services))
        .include(sdk::ServiceField::Tags)
        .customize()
        .mutate_request(move |request| receipt.iter().for_each(|r| r.attach(request)))
        .send()
        .await
        .map_err(|e| aws_error("ecs:DescribeServices", e))?;
    Ok(out.services().iter().map(from_sdk).collect())
}

pub async fn delete(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> Result<EcsService, AwsError> {
    const ACTION: &str = "ecs:DeleteService";
    let out = client
        .delete_service()
        .cluster(cluster)
        .service(service)
        .send()
        .await
        .map_err(|e| aws_error(ACTION, e))?;
    out.service()
        .map(from_sdk)
        .ok_or_else(|| empty_response(ACTION, "service"))
}

fn from_sdk(s: &sdk::Service) -> EcsService {
    EcsService {
        arn: s.service_arn().unwrap_or_default().to_string(),
        name: s.service_name().unwrap_or_default().to_string(),
        cluster_arn: s.cluster_arn().unwrap_or_default().to_string(),
        status: s.status().unwrap_or_default().into(),
        task_definition: s.task_definition().unwrap_or_default().to_string(),
        desired_count: s.desired_count(),
        running_count: s.running_count(),
        pending_count: s.pending_count(),
        settings: settings_from_sdk(s),
        deployments: s
            .deployments()
            .iter()
            .map(|d| EcsDeployment {
                id: d.id().unwrap_or_default().to_string(),
                status: d.status().unwrap_or_default().into(),
                rollout_state: d.rollout_state().map(|r| r.as_str().into()),
                rollout_state_reason: text(d.rollout_state_reason()),
                task_definition: d.task_definition().unwrap_or_default().to_string(),
                desired_count: d.desired_count(),
                running_count: d.running_count(),
                pending_count: d.pending_count(),
                failed_tasks: d.failed_tasks(),
                created_at: timestamp(d.created_at()),
                updated_at: timestamp(d.updated_at()),
            })
            .collect(),
        task_sets: s
            .task_sets()
            .iter()
            .map(|t| EcsTaskSet {
                id: t.id().unwrap_or_default().to_string(),
                status: t.status().unwrap_or_default().into(),
                task_definition: t.task_definition().unwrap_or_default().to_string(),
                computed_desired_count: t.computed_desired_count(),
                running_count: t.running_count(),
                pending_count: t.pending_count(),
                stability_status: t
                    .stability_status()
                    .map(|s| s.as_str().into())
                    .unwrap_or_default(),
            })
            .collect(),
        events: s
            .events()
            .iter()
            .map(|e| EcsServiceEvent {
                id: e.id().unwrap_or_default().to_string(),
                created_at: timestamp(e.created_at()),
                message: e.message().unwrap_or_default().to_string(),
            })
            .collect(),
        tags: tags_from_sdk(s.tags()),
        current_service_deployment: text(s.current_service_deployment()),
    }
}

fn settings_from_sdk(s: &sdk::Service) -> ServiceSettings {
    ServiceSettings {
        desired_count: Some(s.desired_count()),
        launch_type: s.launch_type().map(|l| l.as_str().to_string()),
        capacity_provider_strategy: s
            .capacity_provider_strategy()
            .iter()
            .map(|i| CapacityProviderStrategyItem {
                capacity_provider: i.capacity_provider().to_string(),
                weight: Some(i.weight()),
                base: Some(i.base()),
            })
            .collect(),
        platform_version: text(s.platform_version()),
        network_configuration: s
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration())
            .map(|v| NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    subnets: v.subnets().to_vec(),
                    security_groups: v.security_groups().to_vec(),
                    assign_public_ip: v.assign_public_ip().map(|a| a.as_str().to_string()),
                },
            }),
        load_balancers: s
            .load_balancers()
            .iter()
            .map(|l| LoadBalancer {
                target_group_arn: text(l.target_group_arn()),
                load_balancer_name: text(l.load_balancer_name()),
                container_name: l.container_name().unwrap_or_default().to_string(),
                container_port: l.container_port().unwrap_or_default(),
                advanced_configuration: l.advanced_configuration().map(advanced_from_sdk),
            })
            .collect(),
        service_registries: s
            .service_registries()
            .iter()
            .map(|r| ServiceRegistry {
                registry_arn: r.registry_arn().unwrap_or_default().to_string(),
                port: r.port(),
                container_name: text(r.container_name()),
                container_port: r.container_port(),
            })
            .collect(),
        // ECS reports Service Connect per deployment, not on the service.
        service_connect_configuration: s
            .deployments()
            .iter()
            .find(|d| d.status().map(DeploymentState::from) == Some(DeploymentState::Primary))
            .and_then(|d| d.service_connect_configuration())
            .map(connect_from_sdk),
        placement_constraints: s
            .placement_constraints()
            .iter()
            .map(|p| PlacementConstraint {
                type_: p
                    .r#type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                expression: text(p.expression()),
            })
            .collect(),
        placement_strategy: s
            .placement_strategy()
            .iter()
            .map(|p| PlacementStrategy {
                type_: p
                    .r#type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                field: text(p.field()),
            })
            .collect(),
        scheduling_strategy: s.scheduling_strategy().map(|x| x.as_str().to_string()),
        deployment_configuration: s
            .deployment_configuration()
            .map(|d| DeploymentConfiguration {
                minimum_healthy_percent: d.minimum_healthy_percent(),
                maximum_percent: d.maximum_percent(),
                deployment_circuit_breaker: d.deployment_circuit_breaker().map(|b| {
                    DeploymentCircuitBreaker {
                        enable: b.enable(),
                        rollback: b.rollback(),
                    }
                }),
                alarms: d.alarms().map(|a| DeploymentAlarms {
                    alarm_names: a.alarm_names().to_vec(),
                    enable: a.enable(),
                    rollback: a.rollback(),
                }),
                strategy: d.strategy().map(|x| x.as_str().to_string()),
                bake_time_in_minutes: d.bake_time_in_minutes(),
                linear_configuration: d.linear_configuration().map(linear_from_sdk),
                canary_configuration: d.canary_configuration().map(canary_from_sdk),
                lifecycle_hooks: hooks_from_sdk(d.lifecycle_hooks()),
            }),
        deployment_controller: s.deployment_controller().map(|c| DeploymentController {
            type_: c.r#type().as_str().to_string(),
        }),
        health_check_grace_period_seconds: s.health_check_grace_period_seconds(),
        enable_execute_command: Some(s.enable_execute_command()),
        enable_ecs_managed_tags: Some(s.enable_ecs_managed_tags()),
        propagate_tags: s.propagate_tags().map(|p| p.as_str().to_string()),
        availability_zone_rebalancing: s
            .availability_zone_rebalancing()
            .map(|a| a.as_str().to_string()),
    }
}

fn connect_from_sdk(c: &sdk::ServiceConnectConfiguration) -> ServiceConnectConfiguration {
    ServiceConnectConfiguration {
        enabled: c.enabled(),
        namespace: text(c.namespace()),
        services: c
            .services()
            .iter()
            .map(|svc| ServiceConnectService {
                port_name: svc.port_name().to_string(),
                discovery_name: text(svc.discovery_name()),
                client_aliases: svc
                    .client_aliases()
                    .iter()
                    .map(|a| ServiceConnectClientAlias {
                        port: a.port(),
                        dns_name: text(a.dns_name()),
                        test_traffic_rules: a.test_traffic_rules().and_then(test_traffic_from_sdk),
                    })
                    .collect(),
                ingress_port_override: svc.ingress_port_override(),
            })
            .collect(),
    }
}
