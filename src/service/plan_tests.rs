//! The update plan and normalisation, without any ECS.

use kube::api::ObjectMeta;

use super::normalise;
use super::plan::{Desired, client_token, revision_key, update};
use crate::api::Service;
use crate::api::service::*;
use crate::aws::RolloutState;
use crate::aws::{EcsDeployment, EcsService};

pub(super) const TD1: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1";
pub(super) const TD2: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";

pub(super) fn object(spec: serde_json::Value) -> Service {
    let mut spec = spec;
    spec["cluster"] = "main".into();
    spec["taskDefinition"] = "web:1".into();
    Service {
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some("shop".into()),
            uid: Some("9d2e1f7a-1111-2222-3333-444455556666".into()),
            generation: Some(1),
            ..Default::default()
        },
        spec: serde_json::from_value(spec).expect("valid spec"),
        status: None,
    }
}

pub(super) fn desired(spec: serde_json::Value, task_definition: &str) -> Desired {
    Desired::new(&object(spec), "main".into(), task_definition.into())
}

/// The service as real ECS describes it after CreateService: every default spelled out.
pub(super) fn as_ecs_reports(d: &Desired) -> EcsService {
    let mut settings = d.settings.clone();
    let daemon = settings.scheduling_strategy.as_deref() == Some("DAEMON");
    settings.scheduling_strategy.get_or_insert("REPLICA".into());
    settings
        .deployment_controller
        .get_or_insert(DeploymentController {
            type_: "ECS".into(),
        });
    let deployment = settings.deployment_configuration.get_or_insert_default();
    deployment
        .minimum_healthy_percent
        .get_or_insert(if daemon { 0 } else { 100 });
    deployment
        .maximum_percent
        .get_or_insert(if daemon { 100 } else { 200 });
    deployment
        .deployment_circuit_breaker
        .get_or_insert(DeploymentCircuitBreaker {
            enable: false,
            rollback: false,
        });
    deployment.strategy.get_or_insert("ROLLING".into());
    settings.enable_execute_command.get_or_insert(false);
    settings.enable_ecs_managed_tags.get_or_insert(false);
    settings.propagate_tags.get_or_insert("NONE".into());
    if settings.launch_type.as_deref() == Some("FARGATE") {
        settings.platform_version.get_or_insert("LATEST".into());
    }
    settings.service_connect_configuration = settings
        .service_connect_configuration
        .take()
        .and_then(|c| service_connect_as_ecs_reports(&c));
    let count = d.desired_count.unwrap_or(3);
    EcsService {
        arn: "arn:aws:ecs:us-east-1:123456789012:service/main/web".into(),
        name: d.name.clone(),
        cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/main".into(),
        status: "ACTIVE".into(),
        task_definition: TD1.into(),
        desired_count: count,
        running_count: count,
        settings,
        deployments: vec![deployment_of(TD1, "PRIMARY", Some("COMPLETED"), count)],
        ..Default::default()
    }
}

/// Namespace the cluster's Service Connect default names.
const DEFAULT_NAMESPACE: &str =
    "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-default";

/// What ECS reports of a Service Connect configuration: nothing when it is off; the
/// cluster's namespace (as an ARN) when none was given; discoveryName and each alias's
/// dnsName filled in (discoveryName.namespace, with the namespace's name); endpoints in
/// another order.
fn service_connect_as_ecs_reports(
    c: &ServiceConnectConfiguration,
) -> Option<ServiceConnectConfiguration> {
    if !c.enabled {
        return None;
    }
    let mut c = c.clone();
    let namespace = c.namespace.get_or_insert(DEFAULT_NAMESPACE.into()).clone();
    let name = if namespace == DEFAULT_NAMESPACE {
        "default"
    } else {
        namespace.rsplit('/').next().unwrap_or(&namespace)
    };
    for service in &mut c.services {
        let discovery = service
            .discovery_name
            .get_or_insert_with(|| service.port_name.clone())
            .clone();
        for alias in &mut service.client_aliases {
            alias
                .dns_name
                .get_or_insert_with(|| format!("{discovery}.{name}"));
        }
    }
    c.services.reverse();
    Some(c)
}

pub(super) fn deployment_of(
    td: &str,
    status: &str,
    state: Option<&str>,
    count: i32,
) -> EcsDeployment {
    EcsDeployment {
        id: format!("ecs-svc/{status}-{}", revision_key(td)),
        status: status.into(),
        rollout_state: state.map(RolloutState::from),
        rollout_state_reason: state.map(|s| format!("ECS deployment {s}.")),
        task_definition: td.into(),
        desired_count: count,
        running_count: count,
        ..Default::default()
    }
}

fn rich_spec() -> serde_json::Value {
    serde_json::json!({
        "desiredCount": 2,
        "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": ["subnet-b", "subnet-a"], "securityGroups": ["sg-1"]}},
        "loadBalancers": [{"targetGroupArn": "arn:tg/web", "containerName": "web", "containerPort": 80}],
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}},
        "healthCheckGracePeriodSeconds": 30,
        "enableExecuteCommand": true,
        "propagateTags": "SERVICE",
    })
}

#[test]
fn a_service_as_ecs_reports_it_needs_no_update() {
    for spec in [serde_json::json!({}), rich_spec()] {
        let d = desired(spec.clone(), TD1);
        let planned = update(&d, &as_ecs_reports(&d), Some(&d.hash), None);
        assert!(planned.is_empty(), "{spec}: {planned:?}");
    }
}

#[test]
fn settings_ecs_does_not_report_are_sent_only_when_the_spec_changed() {
    let d = desired(rich_spec(), TD1);
    // moto keeps no deploymentConfiguration, grace period or exec flag.
    let mut reported = as_ecs_reports(&d);
    reported.settings.deployment_configuration = None;
    reported.settings.health_check_grace_period_seconds = None;
    reported.settings.enable_execute_command = Some(false);

    assert!(update(&d, &reported, Some(&d.hash), None).is_empty());

    let planned = update(&d, &reported, Some("an older intent"), None);
    assert_eq!(
        planned.changed,
        [
            "healthCheckGracePeriodSeconds",
            "enableExecuteCommand",
            "deploymentConfiguration"
        ]
    );
    assert_eq!(planned.changes.health_check_grace_period_seconds, Some(30));
    assert!(planned.desired_count.is_none() && planned.task_definition.is_none());
}

#[test]
fn scaling_sends_only_the_desired_count() {
    let d = desired(rich_spec(), TD1);
    let mut reported = as_ecs_reports(&d);
    reported.desired_count = 5;
    let planned = update(&d, &reported, Some(&d.hash), None);
    assert_eq!(planned.changed, ["desiredCount"]);
    assert_eq!(planned.desired_count, Some(2));
    assert!(planned.changes.is_empty() && !planned.force_new_deployment);
}

#[test]
fn a_new_revision_sends_only_the_task_definition() {
    let old = desired(rich_spec(), TD1);
    let new = desired(rich_spec(), TD2);
    let planned = update(&new, &as_ecs_reports(&old), Some(&old.hash), None);
    assert_eq!(planned.changed, ["taskDefinition"]);
    assert_eq!(planned.task_definition.as_deref(), Some(TD2));
}

#[test]
fn a_revision_ecs_rolled_back_from_is_not_sent_again_for_the_same_intent() {
    let new = desired(rich_spec(), TD2);
    // ECS runs revision 1 again after a circuit-breaker rollback of revision 2.
    let planned = update(&new, &as_ecs_reports(&new), Some(&new.hash), None);
    assert!(planned.is_empty(), "{planned:?}");
}

#[test]
fn a_short_task_definition_matches_its_arn() {
    let d = desired(serde_json::json!({}), "web:1");
    assert!(
        update(&d, &as_ecs_reports(&d), None, None)
            .task_definition
            .is_none()
    );
    assert_eq!(revision_key(TD2), "web:2");
    assert_eq!(revision_key("web:2"), "web:2");
}

#[test]
fn a_new_redeploy_token_forces_a_deployment_of_the_same_revision() {
    let d = desired(serde_json::json!({"redeployToken": "tuesday"}), TD1);
    let planned = update(&d, &as_ecs_reports(&d), Some("before"), Some("monday"));
    assert_eq!(planned.changed, ["redeployToken"]);
    assert!(planned.force_new_deployment && planned.task_definition.is_none());
    // The first apply records the token without a redeploy.
    assert!(update(&d, &as_ecs_reports(&d), None, None).is_empty());
}

#[test]
fn removing_load_balancers_from_the_spec_sends_an_empty_list() {
    let with = desired(rich_spec(), TD1);
    let mut spec = rich_spec();
    spec.as_object_mut().unwrap().remove("loadBalancers");
    let without = desired(spec, TD1);
    let planned = update(&without, &as_ecs_reports(&with), Some(&with.hash), None);
    assert_eq!(planned.changed, ["loadBalancers"]);
    assert_eq!(planned.changes.load_balancers, Some(Vec::new()));
}

#[test]
fn a_flag_turned_on_outside_the_spec_is_turned_back_off() {
    let d = desired(serde_json::json!({}), TD1);
    let mut reported = as_ecs_reports(&d);
    reported.settings.enable_execute_command = Some(true);
    let planned = update(&d, &reported, Some(&d.hash), None);
    assert_eq!(planned.changed, ["enableExecuteCommand"]);
    assert_eq!(planned.changes.enable_execute_command, Some(false));
}

#[test]
fn settings_left_out_of_the_spec_are_not_managed() {
    let d = desired(serde_json::json!({}), TD1);
    let mut reported = as_ecs_reports(&d);
    reported.settings.platform_version = Some("1.4.0".into());
    reported.settings.availability_zone_rebalancing = Some("ENABLED".into());
    assert!(update(&d, &reported, Some(&d.hash), None).is_empty());
}

#[test]
fn order_of_subnets_and_strategy_items_carries_no_meaning() {
    let d = desired(rich_spec(), TD1);
    let mut reported = as_ecs_reports(&d);
    let vpc = &mut reported
        .settings
        .network_configuration
        .as_mut()
        .unwrap()
        .awsvpc_configuration;
    vpc.subnets.reverse();
    vpc.assign_public_ip = Some("DISABLED".into());
    assert!(update(&d, &reported, Some(&d.hash), None).is_empty());
}

#[test]
fn daemon_services_leave_the_count_to_ecs_and_use_daemon_defaults() {
    let d = desired(serde_json::json!({"schedulingStrategy": "DAEMON"}), TD1);
    assert_eq!(d.desired_count, None);
    let deployment = d.normalised.deployment_configuration.clone().unwrap();
    assert_eq!(
        (
            deployment.minimum_healthy_percent,
            deployment.maximum_percent
        ),
        (Some(0), Some(100))
    );
    assert!(update(&d, &as_ecs_reports(&d), Some(&d.hash), None).is_empty());
}

#[test]
fn desired_count_defaults_to_one() {
    assert_eq!(desired(serde_json::json!({}), TD1).desired_count, Some(1));
}

/// The intent hash is kept in status (appliedHash) and the client token goes to ECS: an
/// upgrade that changed either would resend every Service's settings, or create a
/// second service for an object mid-create.
#[test]
fn the_stored_intent_hash_and_client_token_are_the_ones_earlier_releases_wrote() {
    assert_eq!(
        desired(serde_json::json!({}), TD1).hash,
        "5d0c09686a4842156908dd796ad82989"
    );
    assert_eq!(
        desired(rich_spec(), TD2).hash,
        "690b5d2589f7696dd89828d4fe504962"
    );
    let uid = "9d2e1f7a-1111-2222-3333-444455556666";
    assert_eq!(
        client_token(uid, 1, None),
        "ef7182a8827d7e05e4cb2f13f56e3b75"
    );
    assert_eq!(
        client_token(uid, 4, Some("arn:aws:ecs:us-east-1:1:service/main/web")),
        "79c372386e6b363d620461dc9f72d792"
    );
}

#[test]
fn client_tokens_fit_ecs_and_change_with_the_generation_and_the_last_seen_service() {
    let uid = "9d2e1f7a-1111-2222-3333-444455556666";
    let token = client_token(uid, 1, None);
    assert!(token.len() <= 36, "{token}");
    assert_eq!(token, client_token(uid, 1, None));
    assert_ne!(token, client_token(uid, 2, None));
    assert_ne!(
        token,
        client_token(uid, 1, Some("arn:aws:ecs:us-east-1:1:service/main/web"))
    );
}

#[test]
fn normalising_what_ecs_reports_is_stable() {
    let d = desired(rich_spec(), TD1);
    let once = normalise::observed(&as_ecs_reports(&d).settings);
    assert_eq!(normalise::observed(&once), once);
    assert_eq!(once, d.normalised);
}
