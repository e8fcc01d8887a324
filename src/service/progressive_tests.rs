//! ECS-native progressive deployment settings reach ECS as written, and a Service that
//! leaves ECS's defaults out causes no update at resync.

use serde_json::json;

use super::plan::revision_key;
use super::rollout::MAX_POLL;
use super::stages::{ROLLED_BACK, ROLLOUT_PAUSED};
use super::tests::{Objects, Rig, reason};
use crate::api::ServiceStatus;
use crate::aws::{EcsApi, HookAction, HookStatus};
use crate::reconcile::{Health, Next, Outcome};

pub(super) fn canary_with_a_pause_hook(rig: &mut Rig) {
    rig.edit_spec(|spec| {
        spec.settings.deployment_configuration = Some(
            serde_json::from_value(json!({
                "strategy": "CANARY",
                "canaryConfiguration": {"canaryPercent": 10.0},
                "lifecycleHooks": [{
                    "targetType": "PAUSE",
                    "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                }],
            }))
            .expect("a valid deployment configuration"),
        );
    });
}

/// Reconciles, advancing simulated time, until the Service's reason is `wanted`.
pub(super) async fn until_reason(
    rig: &mut Rig,
    wanted: &str,
    rounds: usize,
) -> Outcome<ServiceStatus> {
    let mut last = rig.reconcile().await;
    for _ in 0..rounds {
        if reason(&last) == wanted {
            break;
        }
        rig.fake().advance();
        last = rig.reconcile().await;
    }
    assert_eq!(reason(&last), wanted, "{:?}", last.health);
    last
}

pub(super) fn awaiting_hook(outcome: &Outcome<ServiceStatus>) -> (String, String) {
    let rollout = outcome.status.rollout.clone().expect("status.rollout");
    let hook = rollout
        .hooks
        .iter()
        .find(|h| HookStatus::from(h.status.as_str()) == HookStatus::AwaitingAction)
        .expect("a hook awaiting action");
    (rollout.service_deployment_arn, hook.hook_id.clone())
}

#[tokio::test]
async fn canary_steps_and_a_pause_hook_reach_ecs_as_written() {
    let mut rig = Rig::new();
    canary_with_a_pause_hook(&mut rig);
    rig.reconcile().await;
    let sent = rig
        .ecs_service()
        .settings
        .deployment_configuration
        .expect("sent with CreateService");
    assert_eq!(sent.strategy.as_deref(), Some("CANARY"));
    let canary = sent.canary_configuration.expect("canary settings sent");
    assert_eq!(canary.canary_percent, Some(10.0));
    assert_eq!(
        canary.canary_bake_time_in_minutes, None,
        "ECS's default is left to ECS"
    );
    assert_eq!(sent.lifecycle_hooks.len(), 1);
    assert_eq!(
        sent.lifecycle_hooks[0].target_type.as_deref(),
        Some("PAUSE")
    );
}

#[tokio::test]
async fn a_pause_hook_holds_the_service_until_continued_then_idle_resyncs_cost_nothing() {
    let mut rig = Rig::new();
    canary_with_a_pause_hook(&mut rig);
    let paused = until_reason(&mut rig, ROLLOUT_PAUSED, 8).await;
    let rollout = paused.status.rollout.clone().expect("status.rollout");
    assert_eq!(rollout.strategy.as_deref(), Some("CANARY"));
    assert_eq!(rollout.stage.as_deref(), Some("POST_TEST_TRAFFIC_SHIFT"));
    assert_eq!(rollout.status, "IN_PROGRESS");
    let (arn, hook) = awaiting_hook(&paused);
    let Health::Progressing { message, .. } = &paused.health else {
        panic!("paused is progressing");
    };
    assert!(
        message.contains(&hook),
        "the message names the hook: {message}"
    );
    assert!(matches!(paused.next, Next::After(d) if d == MAX_POLL));

    // Nobody acts: time passes and the deployment stays where it is.
    for _ in 0..5 {
        rig.fake().advance();
        assert_eq!(reason(&rig.reconcile().await), ROLLOUT_PAUSED);
    }
    rig.fake()
        .continue_service_deployment(&arn, &hook, &HookAction::Continue)
        .await
        .expect("the hook awaits action");
    let ready = rig.until_ready(8).await;
    assert_eq!(reason(&ready), "Ready");
    let rollout = ready.status.rollout.expect("kept once finished");
    assert_eq!(rollout.status, "SUCCESSFUL");

    let reads = rig.fake().count("ecs:DescribeServiceDeployments");
    let updates = rig.fake().count("ecs:UpdateService");
    for _ in 0..20 {
        assert_eq!(reason(&rig.reconcile().await), "Ready");
    }
    assert_eq!(rig.fake().count("ecs:DescribeServiceDeployments"), reads);
    assert_eq!(rig.fake().count("ecs:UpdateService"), updates);
}

#[tokio::test]
async fn a_rollback_at_the_pause_stalls_the_service_on_the_old_revision() {
    let mut rig = Rig::new();
    canary_with_a_pause_hook(&mut rig);
    let paused = until_reason(&mut rig, ROLLOUT_PAUSED, 8).await;
    let (arn, hook) = awaiting_hook(&paused);
    rig.fake()
        .continue_service_deployment(&arn, &hook, &HookAction::Continue)
        .await
        .expect("the hook awaits action");
    rig.until_ready(8).await;

    rig.register_revision("nginx:1");
    let second = rig.register_revision("nginx:2");
    rig.objects.task_definition_at(&second, 2);
    let paused = until_reason(&mut rig, ROLLOUT_PAUSED, 8).await;
    let (arn, hook) = awaiting_hook(&paused);
    rig.fake()
        .continue_service_deployment(&arn, &hook, &HookAction::Rollback)
        .await
        .expect("the hook awaits action");
    let rolled_back = until_reason(&mut rig, ROLLED_BACK, 4).await;
    let rollout = rolled_back.status.rollout.expect("status.rollout");
    assert_eq!(rollout.status, "ROLLBACK_SUCCESSFUL");
    assert!(rollout.rollback.is_some(), "{rollout:?}");
    assert_eq!(revision_key(&rig.ecs_service().task_definition), "web:1");
}

#[tokio::test]
async fn a_rolling_service_never_reads_service_deployments() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    rig.register_revision("nginx:1");
    let second = rig.register_revision("nginx:2");
    rig.objects.task_definition_at(&second, 2);
    assert_eq!(reason(&rig.until_ready(3).await), "Ready");
    assert_eq!(rig.fake().count("ecs:DescribeServiceDeployments"), 0);
}

#[tokio::test]
async fn a_changed_hook_timeout_reaches_ecs_in_one_update() {
    let mut rig = Rig::new();
    let hook = |minutes: i32| {
        json!({
            "strategy": "BLUE_GREEN",
            "bakeTimeInMinutes": 5,
            "lifecycleHooks": [{
                "targetType": "PAUSE",
                "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                "timeoutConfiguration": {"timeoutInMinutes": minutes, "action": "CONTINUE"},
            }],
        })
    };
    rig.edit_spec(|spec| {
        spec.settings.deployment_configuration = serde_json::from_value(hook(60)).ok();
    });
    rig.until_ready(3).await;
    rig.edit_spec(|spec| {
        spec.settings.deployment_configuration = serde_json::from_value(hook(120)).ok();
    });
    rig.until_ready(3).await;
    let sent = rig.ecs_service().settings.deployment_configuration.unwrap();
    let timeout = sent.lifecycle_hooks[0]
        .timeout_configuration
        .clone()
        .unwrap();
    assert_eq!(timeout.timeout_in_minutes, Some(120));
    assert_eq!(rig.fake().count("ecs:UpdateService"), 1);
}
