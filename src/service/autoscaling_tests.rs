//! Reconciler tests of `spec.autoscaling` against the fake, which models Application
//! Auto Scaling as AWS documents it (cascading deregistration, ObjectNotFoundException).

use std::collections::BTreeMap;

use super::tests::{Rig, reason};
use crate::api::service::{AUTOSCALING_READY, Autoscaling};
use crate::aws::{AwsError, EcsApi, ErrorKind, ScalingApi, ScalingPolicy, scaling};
use crate::reconcile::{Cleanup, Health};

const ID: &str = "service/main/web";

/// min 2, max 10, CPU at 60 %, memory at 70 %, and a nightly scale-down.
fn autoscaling() -> Autoscaling {
    serde_json::from_value(serde_json::json!({
        "minCapacity": 2,
        "maxCapacity": 10,
        "targetTracking": [
            {"name": "cpu", "predefinedMetric": {"type": "ECSServiceAverageCPUUtilization"}, "targetValue": 60.0},
            {"name": "memory", "predefinedMetric": {"type": "ECSServiceAverageMemoryUtilization"}, "targetValue": 70.0}
        ],
        "scheduledActions": [
            {"name": "nightly", "schedule": "cron(0 22 * * ? *)", "minCapacity": 1, "maxCapacity": 2}
        ]
    }))
    .unwrap()
}

async fn autoscaled_ready_service() -> Rig {
    let mut rig = Rig::new();
    rig.object.spec.autoscaling = Some(autoscaling());
    let outcome = rig.until_ready(5).await;
    assert_eq!(reason(&outcome), "Ready", "{outcome:?}");
    rig
}

/// Spec names of the policies in the fake, without the operator's prefix.
fn policy_names(rig: &Rig) -> Vec<String> {
    let policies = rig.fake().scaling_policies(ID);
    policies
        .keys()
        .map(|n| n.rsplit('-').next().unwrap_or(n).to_string())
        .collect()
}

fn autoscaling_condition(rig: &Rig) -> Option<(String, String)> {
    let status = rig.object.status.as_ref()?;
    status
        .conditions
        .iter()
        .find(|c| c.type_ == AUTOSCALING_READY)
        .map(|c| (c.status.clone(), c.reason.clone()))
}

#[tokio::test]
async fn autoscaling_registers_the_target_policies_and_actions_and_reports_them() {
    let rig = autoscaled_ready_service().await;
    let target = rig.fake().scalable_target(ID).expect("target registered");
    assert_eq!((target.min_capacity, target.max_capacity), (2, 10));
    assert_eq!(policy_names(&rig), ["cpu", "memory"]);
    assert_eq!(rig.fake().scheduled_actions(ID).len(), 1);

    let status = rig.object.status.as_ref().unwrap();
    let scaling = status.autoscaling.as_ref().expect("status.autoscaling");
    assert_eq!(scaling.resource_id, ID);
    assert!(scaling.scalable_target_arn.is_some());
    assert_eq!(scaling.policies.len(), 2);
    let cpu = scaling.policies.iter().find(|p| p.name == "cpu").unwrap();
    assert!(cpu.arn.contains("policyName/"), "{cpu:?}");
    assert_eq!(cpu.alarm_names.len(), 2, "target tracking owns two alarms");
    assert_eq!(scaling.scheduled_actions[0].name, "nightly");
    assert_eq!(
        autoscaling_condition(&rig),
        Some(("True".into(), "Ready".into()))
    );
}

#[tokio::test]
async fn the_service_is_created_with_its_count_clamped_to_min_and_max() {
    let mut rig = Rig::new();
    rig.object.spec.settings.desired_count = None;
    rig.object.spec.autoscaling = Some(Autoscaling {
        min_capacity: 3,
        ..autoscaling()
    });
    rig.reconcile().await;
    assert_eq!(rig.ecs_service().desired_count, 3);
}

#[tokio::test]
async fn the_scalers_count_stands_when_an_unrelated_field_changes() {
    let mut rig = autoscaled_ready_service().await;
    rig.fake().scale_service("main", "web", 10);
    rig.edit_spec(|spec| {
        spec.settings.health_check_grace_period_seconds = Some(30);
        spec.tags.insert("owner".into(), "payments".into());
    });
    rig.until_ready(5).await;
    assert_eq!(rig.ecs_service().desired_count, 10);
    let status = rig.object.status.as_ref().unwrap();
    assert_eq!(status.desired_count, Some(10), "status shows ECS's count");
    assert_eq!(
        rig.ecs_service().settings.health_check_grace_period_seconds,
        Some(30)
    );
}

#[tokio::test]
async fn a_recreated_service_gets_its_target_registered_again() {
    let mut rig = autoscaled_ready_service().await;
    // Someone deletes the ECS service; AWS drops its scalable target with it.
    rig.fake().scale_service("main", "web", 0);
    rig.fake().delete_service("main", "web").await.unwrap();
    rig.fake().advance();
    assert!(rig.fake().scalable_target(ID).is_none());

    let outcome = rig.until_ready(5).await;
    assert_eq!(reason(&outcome), "Ready");
    assert_eq!(rig.fake().service_count("web"), 2, "one old, one new");
    assert!(rig.fake().scalable_target(ID).is_some());
    assert_eq!(policy_names(&rig), ["cpu", "memory"]);
    assert_eq!(rig.fake().scheduled_actions(ID).len(), 1);
}

#[tokio::test]
async fn removing_one_policy_deletes_exactly_that_one() {
    let mut rig = autoscaled_ready_service().await;
    let foreign = ScalingPolicy {
        name: "added-in-the-console".into(),
        ..rig
            .fake()
            .scaling_policies(ID)
            .values()
            .next()
            .map(|p| ScalingPolicy {
                name: String::new(),
                configuration: p.configuration.clone().unwrap(),
            })
            .unwrap()
    };
    rig.fake().insert_scaling_policy(ID, foreign);
    rig.edit_spec(|spec| {
        spec.autoscaling.as_mut().unwrap().target_tracking.remove(1);
    });
    rig.reconcile().await;
    let left: Vec<String> = rig.fake().scaling_policies(ID).into_keys().collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().any(|n| n.ends_with("-cpu")));
    assert!(left.contains(&"added-in-the-console".to_string()));
    assert_eq!(
        rig.fake()
            .count("application-autoscaling:DeleteScalingPolicy"),
        1
    );
}

#[tokio::test]
async fn editing_a_target_value_updates_the_policy_and_nothing_else() {
    let mut rig = autoscaled_ready_service().await;
    let before = rig.fake().calls().len();
    rig.edit_spec(|spec| {
        spec.autoscaling.as_mut().unwrap().target_tracking[0].target_value = 45.0;
    });
    rig.reconcile().await;
    let writes: Vec<_> = rig.fake().calls()[before..]
        .iter()
        .filter(|c| !c.contains(":Describe"))
        .copied()
        .collect();
    assert_eq!(writes, ["application-autoscaling:PutScalingPolicy"]);
    let cpu = rig
        .fake()
        .scaling_policies(ID)
        .into_iter()
        .find(|(n, _)| n.ends_with("-cpu"))
        .unwrap()
        .1;
    match cpu.configuration {
        Some(scaling::PolicyConfiguration::TargetTracking(t)) => assert_eq!(t.target_value, 45.0),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn removing_the_block_deregisters_the_target_and_everything_on_it() {
    let mut rig = autoscaled_ready_service().await;
    rig.edit_spec(|spec| spec.autoscaling = None);
    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "Ready");
    assert!(rig.fake().scalable_target(ID).is_none());
    assert!(rig.fake().scaling_policies(ID).is_empty());
    assert!(rig.fake().scheduled_actions(ID).is_empty());
    let status = rig.object.status.as_ref().unwrap();
    assert!(status.autoscaling.is_none());
    assert_eq!(autoscaling_condition(&rig), None);
    // The scaler is gone, so the spec's count applies again.
    rig.fake().scale_service("main", "web", 7);
    rig.reconcile().await;
    assert_eq!(rig.ecs_service().desired_count, 2);
}

#[tokio::test]
async fn a_target_that_is_already_gone_counts_as_deregistered() {
    let mut rig = autoscaled_ready_service().await;
    rig.fake().deregister_scalable_target(ID).await.unwrap();
    rig.edit_spec(|spec| spec.autoscaling = None);
    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "Ready", "{outcome:?}");
    assert!(rig.object.status.as_ref().unwrap().autoscaling.is_none());
}

#[tokio::test]
async fn deleting_the_service_deregisters_the_target_first() {
    let mut rig = autoscaled_ready_service().await;
    let before = rig.fake().calls().len();
    let mut result = rig.cleanup().await;
    for _ in 0..3 {
        if matches!(result, Cleanup::Done(_)) {
            break;
        }
        rig.fake().advance();
        result = rig.cleanup().await;
    }
    assert!(matches!(result, Cleanup::Done(_)));
    let calls = rig.fake().calls()[before..].to_vec();
    let at = |action: &str| {
        calls
            .iter()
            .position(|c| *c == action)
            .unwrap_or_else(|| panic!("{action} in {calls:?}"))
    };
    assert!(at("application-autoscaling:DeregisterScalableTarget") < at("ecs:UpdateService"));
    assert!(at("ecs:UpdateService") < at("ecs:DeleteService"));
    assert!(rig.fake().scalable_target(ID).is_none());
    assert!(rig.fake().scaling_policies(ID).is_empty());
}

#[tokio::test]
async fn concurrent_updates_of_the_target_are_retried() {
    let mut rig = Rig::new();
    rig.object.spec.autoscaling = Some(autoscaling());
    rig.fake().fail_next(AwsError::new(
        ErrorKind::InUse,
        "application-autoscaling:RegisterScalableTarget",
        "ConcurrentUpdateException",
        "Concurrent update on the scalable target",
    ));
    rig.reconcile().await;
    assert_eq!(
        rig.fake()
            .count("application-autoscaling:RegisterScalableTarget"),
        2
    );
    assert!(rig.fake().scalable_target(ID).is_some());
}

#[tokio::test]
async fn a_rejected_policy_stalls_the_service_until_the_spec_is_fixed() {
    let mut rig = autoscaled_ready_service().await;
    rig.edit_spec(|spec| {
        spec.autoscaling.as_mut().unwrap().target_tracking[0].target_value = 1.0e12;
    });
    rig.fake().fail_next(AwsError::new(
        ErrorKind::InvalidInput,
        "application-autoscaling:PutScalingPolicy",
        "ValidationException",
        "TargetValue out of range",
    ));
    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "AutoscalingRejected", "{outcome:?}");
    match &outcome.health {
        Health::Stalled { message, .. } => {
            assert!(message.contains("spec.autoscaling"), "{message}");
            assert!(message.contains("TargetValue out of range"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        autoscaling_condition(&rig),
        Some(("False".into(), "AutoscalingRejected".into()))
    );
    rig.edit_spec(|spec| {
        spec.autoscaling.as_mut().unwrap().target_tracking[0].target_value = 50.0;
    });
    assert_eq!(reason(&rig.reconcile().await), "Ready");
    assert_eq!(
        autoscaling_condition(&rig),
        Some(("True".into(), "Ready".into()))
    );
}

#[tokio::test]
async fn idle_resyncs_of_an_autoscaled_service_write_nothing() {
    let mut rig = autoscaled_ready_service().await;
    let before = rig.fake().calls().len();
    for _ in 0..5 {
        assert_eq!(reason(&rig.reconcile().await), "Ready");
    }
    let calls = rig.fake().calls()[before..].to_vec();
    let writes: Vec<_> = calls.iter().filter(|c| !c.contains(":Describe")).collect();
    assert!(writes.is_empty(), "{writes:?}");
    let per_pass: BTreeMap<&str, usize> = calls.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(*c).or_default() += 1;
        m
    });
    assert_eq!(per_pass.values().sum::<usize>(), 5 * 4, "{per_pass:?}");
}

#[tokio::test]
async fn the_target_carries_the_services_ownership_tags() {
    let rig = autoscaled_ready_service().await;
    let tags = rig.fake().scalable_target_tags(ID);
    assert_eq!(
        tags.get(crate::ownership::UID),
        rig.object.metadata.uid.as_ref()
    );
    assert_eq!(
        tags.get(crate::ownership::MANAGED_BY).map(String::as_str),
        Some("ecs-operator")
    );
}

#[tokio::test]
async fn a_target_an_earlier_build_registered_untagged_is_tagged_once() {
    let mut rig = autoscaled_ready_service().await;
    // As an earlier build left it: the target without tags, the status without the mark.
    rig.fake().clear_target_tags(ID);
    let status = rig.object.status.as_mut().unwrap();
    status.autoscaling.as_mut().unwrap().target_tagged = false;
    let registers = "application-autoscaling:RegisterScalableTarget";
    let before = rig.fake().count(registers);

    rig.reconcile().await;
    assert_eq!(rig.fake().count(registers), before + 1);
    assert!(
        rig.fake()
            .scalable_target_tags(ID)
            .contains_key(crate::ownership::UID)
    );
    rig.reconcile().await;
    assert_eq!(rig.fake().count(registers), before + 1, "once only");
}
