//! Service settings in one canonical form, so the spec and what ECS reports compare equal
//! when they mean the same thing (ECS API Reference, CreateService: documented defaults).

use super::connect;
use crate::api::service::{
    DeploymentAlarms, DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentController,
    ServiceSettings,
};

const DAEMON: &str = "DAEMON";

/// The spec's settings with every ECS default made explicit. desiredCount is compared
/// on its own, so it is left out.
pub fn desired(spec: &ServiceSettings) -> ServiceSettings {
    let mut settings = canonical(spec);
    let daemon = settings.scheduling_strategy.as_deref() == Some(DAEMON);
    settings.deployment_configuration = Some(deployment_defaults(
        settings.deployment_configuration.take().unwrap_or_default(),
        daemon,
    ));
    settings
}

/// What ECS reports, in the same form. A setting ECS leaves out stays out: it is
/// unreported, not defaulted (moto, for one, drops several).
pub fn observed(reported: &ServiceSettings) -> ServiceSettings {
    let mut settings = canonical(reported);
    let daemon = settings.scheduling_strategy.as_deref() == Some(DAEMON);
    settings.deployment_configuration = settings
        .deployment_configuration
        .take()
        .map(|d| deployment_defaults(d, daemon));
    settings
}

/// Defaults and orderings that hold on both sides.
fn canonical(s: &ServiceSettings) -> ServiceSettings {
    let mut s = s.clone();
    s.desired_count = None;
    s.scheduling_strategy
        .get_or_insert_with(|| "REPLICA".into());
    s.deployment_controller
        .get_or_insert_with(|| DeploymentController {
            type_: "ECS".into(),
        });
    if s.platform_version.as_deref() == Some("LATEST") {
        s.platform_version = None;
    }
    for item in &mut s.capacity_provider_strategy {
        item.weight.get_or_insert(0);
        item.base.get_or_insert(0);
    }
    s.capacity_provider_strategy
        .sort_by(|a, b| a.capacity_provider.cmp(&b.capacity_provider));
    if let Some(network) = &mut s.network_configuration {
        let vpc = &mut network.awsvpc_configuration;
        vpc.subnets.sort();
        vpc.security_groups.sort();
        vpc.assign_public_ip
            .get_or_insert_with(|| "DISABLED".into());
    }
    s.load_balancers.sort_by(|a, b| {
        (
            &a.target_group_arn,
            &a.load_balancer_name,
            &a.container_name,
            a.container_port,
        )
            .cmp(&(
                &b.target_group_arn,
                &b.load_balancer_name,
                &b.container_name,
                b.container_port,
            ))
    });
    s.service_registries
        .sort_by(|a, b| a.registry_arn.cmp(&b.registry_arn));
    s.placement_constraints
        .sort_by(|a, b| (&a.type_, &a.expression).cmp(&(&b.type_, &b.expression)));
    // The defaults ECS applies, written as "not set".
    if s.health_check_grace_period_seconds == Some(0) {
        s.health_check_grace_period_seconds = None;
    }
    if s.enable_execute_command == Some(false) {
        s.enable_execute_command = None;
    }
    if s.enable_ecs_managed_tags == Some(false) {
        s.enable_ecs_managed_tags = None;
    }
    if s.propagate_tags.as_deref() == Some("NONE") {
        s.propagate_tags = None;
    }
    s.service_connect_configuration = s
        .service_connect_configuration
        .as_ref()
        .map(connect::canonical);
    s
}

/// minimumHealthyPercent 100 and maximumPercent 200 for REPLICA, 0 and 100 for DAEMON;
/// circuit breaker and alarms off; ROLLING. Bake time means nothing for ROLLING. LINEAR
/// steps 10 % every 6 minutes, CANARY sends 5 % for 10 minutes; a hook is AWS_LAMBDA
/// and times out after 1440 minutes with ROLLBACK (ECS API Reference,
/// LinearConfiguration, CanaryConfiguration, DeploymentLifecycleHook).
fn deployment_defaults(mut d: DeploymentConfiguration, daemon: bool) -> DeploymentConfiguration {
    let (min, max) = if daemon { (0, 100) } else { (100, 200) };
    d.minimum_healthy_percent.get_or_insert(min);
    d.maximum_percent.get_or_insert(max);
    d.deployment_circuit_breaker
        .get_or_insert(DeploymentCircuitBreaker {
            enable: false,
            rollback: false,
        });
    if d.alarms.as_ref().is_some_and(alarms_off) {
        d.alarms = None;
    }
    let strategy = d.strategy.get_or_insert_with(|| "ROLLING".into()).clone();
    if strategy == "ROLLING" {
        d.bake_time_in_minutes = None;
    }
    d.linear_configuration = (strategy == "LINEAR").then(|| {
        let mut linear = d.linear_configuration.take().unwrap_or_default();
        linear.step_percent.get_or_insert(10.0);
        linear.step_bake_time_in_minutes.get_or_insert(6);
        linear
    });
    d.canary_configuration = (strategy == "CANARY").then(|| {
        let mut canary = d.canary_configuration.take().unwrap_or_default();
        canary.canary_percent.get_or_insert(5.0);
        canary.canary_bake_time_in_minutes.get_or_insert(10);
        canary
    });
    for hook in &mut d.lifecycle_hooks {
        hook.target_type.get_or_insert_with(|| "AWS_LAMBDA".into());
        let timeout = hook.timeout_configuration.get_or_insert_default();
        timeout.timeout_in_minutes.get_or_insert(1440);
        timeout.action.get_or_insert_with(|| "ROLLBACK".into());
    }
    d
}

fn alarms_off(a: &DeploymentAlarms) -> bool {
    a.alarm_names.is_empty() && !a.enable && !a.rollback
}
