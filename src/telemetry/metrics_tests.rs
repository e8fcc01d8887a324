//! The metrics as /metrics shows them: names, labels, and what each event counts.

use super::*;

#[test]
fn every_registered_metric_is_described_with_its_type() {
    let metrics = Metrics::default();
    // One sample of each family, so all of them are encoded.
    metrics.observe_reconcile("service", false, Duration::from_millis(5));
    metrics.observe_panic("service");
    metrics.observe_aws_call("ECS", "DescribeServices", "throttled");
    metrics.observe_rate_limit_wait("service-read", Duration::from_millis(5));
    metrics.set_object_ready("service", "shop/web", "True");
    metrics.set_rollout(
        "service",
        "shop/web",
        Some(RolloutPhase::new(
            Some("LINEAR"),
            Some("SCALE_UP"),
            "RolloutInProgress",
        )),
    );
    metrics.observe_event("service", "Promoted", false);
    let finished = crate::api::task::AttemptStatus {
        attempt: 1,
        result: "Succeeded".into(),
        ..Default::default()
    };
    metrics.observe_task_runs("task", &[&finished]);
    let text = metrics.encode();
    let encoded: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.split_once(' '))
        .collect();
    let described: Vec<(&str, &str)> = DESCRIBED.iter().map(|(n, k, _)| (*n, *k)).collect();
    assert_eq!(encoded.len(), described.len(), "{text}");
    for entry in &encoded {
        assert!(described.contains(entry), "{entry:?} is not in DESCRIBED");
    }
}

#[test]
fn reconcile_metrics_use_controller_runtime_names() {
    let metrics = Metrics::default();
    metrics.observe_reconcile("service", true, Duration::from_millis(20));
    metrics.observe_reconcile("service", false, Duration::from_millis(20));
    let text = metrics.encode();
    assert!(text.contains(
        r#"controller_runtime_reconcile_total{controller="service",result="success"} 1"#
    ));
    assert!(text.contains(r#"controller_runtime_reconcile_errors_total{controller="service"} 1"#));
    assert!(
        text.contains(r#"controller_runtime_reconcile_time_seconds_count{controller="service"} 2"#)
    );
    assert!(
        text.ends_with("# EOF\n"),
        "OpenMetrics text ends with # EOF"
    );
}

#[test]
fn an_object_moves_between_ready_series_and_leaves_when_forgotten() {
    let metrics = Metrics::default();
    metrics.set_object_ready("cluster", "ns/a", "False");
    metrics.set_object_ready("cluster", "ns/b", "True");
    metrics.set_object_ready("cluster", "ns/a", "True");
    metrics.set_object_ready("cluster", "ns/a", "True");
    let text = metrics.encode();
    assert!(
        text.contains(r#"ecs_operator_objects{kind="cluster",ready="True"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"ecs_operator_objects{kind="cluster",ready="False"} 0"#),
        "{text}"
    );
    metrics.forget_object("cluster", "ns/a");
    assert!(
        metrics
            .encode()
            .contains(r#"ecs_operator_objects{kind="cluster",ready="True"} 1"#)
    );
}

#[test]
fn throttled_calls_are_counted_twice_by_outcome_and_as_throttles() {
    let metrics = Metrics::default();
    metrics.observe_aws_call("ECS", "DescribeServices", "success");
    metrics.observe_aws_call("ECS", "DescribeServices", "throttled");
    let text = metrics.encode();
    assert!(text.contains(
        r#"ecs_operator_aws_api_calls_total{service="ECS",operation="DescribeServices",outcome="throttled"} 1"#
    ));
    assert!(text.contains(
        r#"ecs_operator_aws_api_throttled_total{service="ECS",operation="DescribeServices"} 1"#
    ));
}

#[test]
fn a_rollout_moves_between_phases_and_leaves_the_gauge_when_it_ends() {
    let metrics = Metrics::default();
    let paused = RolloutPhase::new(Some("CANARY"), Some("POST_SCALE_UP"), "RolloutPaused");
    let baking = RolloutPhase::new(Some("CANARY"), Some("BAKE_TIME"), "RolloutBaking");
    metrics.set_rollout("service", "shop/web", Some(paused));
    metrics.set_rollout("service", "shop/api", Some(paused));
    metrics.set_rollout("service", "shop/web", Some(baking));
    let text = metrics.encode();
    assert!(text.contains(r#"ecs_operator_rollouts_in_flight{strategy="CANARY",stage="POST_SCALE_UP",phase="RolloutPaused"} 1"#), "{text}");
    assert!(text.contains(r#"ecs_operator_rollouts_in_flight{strategy="CANARY",stage="BAKE_TIME",phase="RolloutBaking"} 1"#), "{text}");
    metrics.set_rollout("service", "shop/web", None);
    metrics.forget_object("service", "shop/api");
    let text = metrics.encode();
    assert!(text.contains(r#"phase="RolloutPaused"} 0"#), "{text}");
    assert!(text.contains(r#"phase="RolloutBaking"} 0"#), "{text}");
}

#[test]
fn label_values_outside_the_fixed_sets_are_counted_as_other() {
    let phase = RolloutPhase::new(Some("SHADOW"), Some("NEW_STAGE"), "no such reason");
    assert_eq!(phase.strategy, "other");
    assert_eq!(phase.stage, "other");
    assert_eq!(phase.phase, "other");
    assert_eq!(
        RolloutPhase::new(None, None, "RolloutPaused").phase,
        "RolloutPaused"
    );
}

#[test]
fn events_are_counted_by_controller_reason_and_type() {
    let metrics = Metrics::default();
    metrics.observe_event("service", "Promoted", false);
    metrics.observe_event("service", "Promoted", false);
    metrics.observe_event("service", "ApprovalRefused", true);
    let text = metrics.encode();
    assert!(
        text.contains(
            r#"ecs_operator_events_total{controller="service",reason="Promoted",type="Normal"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"ecs_operator_events_total{controller="service",reason="ApprovalRefused",type="Warning"} 1"#), "{text}");
}
