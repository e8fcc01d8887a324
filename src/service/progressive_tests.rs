//! ECS-native progressive deployment settings reach ECS as written, and a Service that
//! leaves ECS's defaults out causes no update at resync.

use serde_json::json;

use super::tests::{Rig, reason};

#[tokio::test]
async fn canary_steps_and_a_pause_hook_reach_ecs_and_idle_resyncs_send_no_update() {
    let mut rig = Rig::new();
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
    assert_eq!(reason(&rig.until_ready(3).await), "Ready");

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

    let updates = rig.fake().count("ecs:UpdateService");
    for _ in 0..20 {
        assert_eq!(reason(&rig.reconcile().await), "Ready");
    }
    assert_eq!(rig.fake().count("ecs:UpdateService"), updates);
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
