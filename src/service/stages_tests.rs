//! Which service deployments are read, and how a staged rollout's stage becomes health.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::stages::*;
use crate::api::rollout_approval::{ApprovalAction, RolloutApproval};
use crate::api::service::{
    DeploymentConfiguration, LifecycleHookStatus, RevisionStatus, RollbackStatus, RolloutStatus,
};
use crate::aws::EcsService;
use crate::aws::HookAction;

const CURRENT: &str = "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/web/sd2";
const TD2: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";

fn live(strategy: Option<&str>, current: Option<&str>) -> EcsService {
    let mut service = EcsService {
        current_service_deployment: current.map(str::to_string),
        ..Default::default()
    };
    service.settings.deployment_configuration = Some(DeploymentConfiguration {
        strategy: strategy.map(str::to_string),
        ..Default::default()
    });
    service
}

fn recorded(arn: &str, status: &str) -> RolloutStatus {
    RolloutStatus {
        service_deployment_arn: arn.to_string(),
        strategy: Some("BLUE_GREEN".to_string()),
        status: status.to_string(),
        stage: Some("SCALE_UP".to_string()),
        ..Default::default()
    }
}

#[test]
fn rolling_services_and_services_without_a_current_deployment_read_nothing() {
    assert_eq!(look(&live(None, Some(CURRENT)), None), Look::None);
    assert_eq!(
        look(&live(Some("ROLLING"), Some(CURRENT)), None),
        Look::None
    );
    assert_eq!(look(&live(Some("BLUE_GREEN"), None), None), Look::None);
}

#[test]
fn a_deployment_is_read_until_status_holds_it_finished() {
    let service = live(Some("CANARY"), Some(CURRENT));
    assert_eq!(look(&service, None), Look::Read(CURRENT));
    for in_flight in [
        "PENDING",
        "IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
        "STOP_REQUESTED",
    ] {
        let r = recorded(CURRENT, in_flight);
        assert_eq!(look(&service, Some(&r)), Look::Read(CURRENT), "{in_flight}");
    }
    for finished in [
        "SUCCESSFUL",
        "STOPPED",
        "ROLLBACK_SUCCESSFUL",
        "ROLLBACK_FAILED",
    ] {
        let r = recorded(CURRENT, finished);
        assert_eq!(look(&service, Some(&r)), Look::Keep, "{finished}");
    }
}

#[test]
fn a_new_deployment_is_read_even_when_the_last_one_finished() {
    let service = live(Some("LINEAR"), Some(CURRENT));
    let earlier = recorded(&CURRENT.replace("sd2", "sd1"), "SUCCESSFUL");
    assert_eq!(look(&service, Some(&earlier)), Look::Read(CURRENT));
}

#[test]
fn only_a_successful_deployment_leaves_readiness_to_the_deployments() {
    assert_eq!(
        judge(&recorded(CURRENT, "SUCCESSFUL"), TD2),
        Stage::Succeeded
    );
    for status in [
        "PENDING",
        "IN_PROGRESS",
        "ROLLBACK_REQUESTED",
        "ROLLBACK_IN_PROGRESS",
    ] {
        assert!(
            matches!(
                judge(&recorded(CURRENT, status), TD2),
                Stage::InFlight { .. }
            ),
            "{status}"
        );
    }
}

#[test]
fn a_hook_awaiting_action_pauses_and_the_message_names_it_without_a_clock() {
    let mut rollout = recorded(CURRENT, "IN_PROGRESS");
    rollout.stage = Some("POST_TEST_TRAFFIC_SHIFT".to_string());
    rollout.updated_at = Some(Time("2026-12-04T10:00:00Z".parse().unwrap()));
    rollout.hooks = vec![LifecycleHookStatus {
        hook_id: "hook-approve".to_string(),
        target_type: Some("PAUSE".to_string()),
        status: "AWAITING_ACTION".to_string(),
        ..Default::default()
    }];
    let Stage::InFlight {
        reason,
        message,
        paused,
    } = judge(&rollout, TD2)
    else {
        panic!("paused is in flight");
    };
    assert_eq!((reason, paused), (ROLLOUT_PAUSED, true));
    for said in [
        "web:2",
        "sd2",
        "POST_TEST_TRAFFIC_SHIFT",
        "hook-approve",
        "2026-12-04T10:00:00Z",
    ] {
        assert!(message.contains(said), "{said} in {message}");
    }
    assert_eq!(judge(&rollout, TD2), judge(&rollout, TD2));

    rollout.hooks[0].status = "SUCCEEDED".to_string();
    assert!(matches!(
        judge(&rollout, TD2),
        Stage::InFlight { paused: false, .. }
    ));
}

#[test]
fn baking_and_shifting_traffic_have_their_own_reasons() {
    let mut rollout = recorded(CURRENT, "IN_PROGRESS");
    rollout.stage = Some("BAKE_TIME".to_string());
    assert!(matches!(
        judge(&rollout, TD2),
        Stage::InFlight {
            reason: ROLLOUT_BAKING,
            ..
        }
    ));
    rollout.stage = Some("PRODUCTION_TRAFFIC_SHIFT".to_string());
    rollout.target_revision = Some(RevisionStatus {
        production_traffic_weight: Some(10.0),
        ..Default::default()
    });
    let Stage::InFlight {
        reason, message, ..
    } = judge(&rollout, TD2)
    else {
        panic!("shifting is in flight");
    };
    assert_eq!(reason, SHIFTING_TRAFFIC);
    assert!(message.contains("10% of production traffic"), "{message}");
}

#[test]
fn a_rollback_or_a_stop_ends_the_rollout_with_ecs_reason() {
    let mut rollout = recorded(CURRENT, "ROLLBACK_SUCCESSFUL");
    rollout.rollback = Some(RollbackStatus {
        reason: Some("Alarm latency-high went into ALARM".to_string()),
        ..Default::default()
    });
    let Stage::Ended { reason, message } = judge(&rollout, TD2) else {
        panic!("a rollback ends the rollout");
    };
    assert_eq!(reason, ROLLED_BACK);
    assert!(message.contains("Alarm latency-high"), "{message}");

    for (status, reason) in [
        ("STOPPED", DEPLOYMENT_FAILED),
        ("ROLLBACK_FAILED", DEPLOYMENT_FAILED),
    ] {
        assert!(
            matches!(judge(&recorded(CURRENT, status), TD2), Stage::Ended { reason: r, .. } if r == reason),
            "{status}"
        );
    }
}

#[test]
fn a_status_newer_than_the_operator_keeps_it_looking() {
    assert!(matches!(
        judge(&recorded(CURRENT, "SOMETHING_NEW"), TD2),
        Stage::InFlight {
            reason: ROLLOUT_IN_PROGRESS,
            paused: false,
            ..
        }
    ));
}

fn paused_at(hook: &str) -> RolloutStatus {
    let mut rollout = recorded(CURRENT, "IN_PROGRESS");
    rollout.stage = Some("POST_TEST_TRAFFIC_SHIFT".to_string());
    rollout.hooks = vec![LifecycleHookStatus {
        hook_id: hook.to_string(),
        target_type: Some("PAUSE".to_string()),
        status: "AWAITING_ACTION".to_string(),
        ..Default::default()
    }];
    rollout
}

fn approval(name: &str, arn: &str, hook: &str, created: i64) -> Arc<RolloutApproval> {
    let mut approval = super::approval_tests::approval(name, arn, hook, ApprovalAction::Continue);
    Arc::make_mut(&mut approval).metadata.creation_timestamp = Some(Time(
        k8s_openapi::jiff::Timestamp::from_second(created).unwrap(),
    ));
    approval
}

#[test]
fn an_approval_answers_only_the_deployment_and_hook_it_names() {
    let rollout = paused_at("h1");
    let earlier = CURRENT.replace("sd2", "sd1");
    assert_eq!(answer(&rollout, &[approval("a", &earlier, "h1", 1)]), None);
    assert_eq!(answer(&rollout, &[approval("a", CURRENT, "h2", 1)]), None);
    let answered = answer(&rollout, &[approval("a", CURRENT, "h1", 1)]).expect("an answer");
    assert_eq!(answered.service_deployment_arn, CURRENT);
    assert_eq!(
        answered.reply,
        Reply::Hook {
            hook_id: "h1".to_string(),
            action: HookAction::Continue
        }
    );
    assert_eq!(answered.approved_by, "a@example.com");
    assert_eq!(answered.stage, "POST_TEST_TRAFFIC_SHIFT");
}

#[test]
fn a_hook_no_longer_awaiting_action_is_answered_by_nothing() {
    let mut rollout = paused_at("h1");
    rollout.hooks[0].status = "SUCCEEDED".to_string();
    assert_eq!(answer(&rollout, &[approval("a", CURRENT, "h1", 1)]), None);
}

#[test]
fn the_oldest_of_several_approvals_of_one_hook_wins() {
    let rollout = paused_at("h1");
    let approvals = [
        approval("late", CURRENT, "h1", 20),
        approval("early", CURRENT, "h1", 10),
    ];
    assert_eq!(
        answer(&rollout, &approvals).map(|a| a.approval),
        Some("early".to_string())
    );
}

#[test]
fn an_abort_acts_only_on_a_deployment_still_moving_forward() {
    let abort = |created| {
        let mut a = approval("stop", CURRENT, "h1", created);
        let spec = &mut Arc::make_mut(&mut a).spec;
        spec.action = ApprovalAction::Abort;
        spec.hook_id = None;
        a
    };
    let mut rollout = recorded(CURRENT, "IN_PROGRESS");
    let answered = answer(&rollout, &[abort(1)]).expect("an abort");
    assert_eq!(answered.reply, Reply::Abort);
    for status in ["ROLLBACK_IN_PROGRESS", "STOP_REQUESTED", "SUCCESSFUL"] {
        rollout.status = status.to_string();
        assert_eq!(answer(&rollout, &[abort(1)]), None, "{status}");
    }
    let mut paused = paused_at("h1");
    let both = [approval("go", CURRENT, "h1", 1), abort(2)];
    assert_eq!(answer(&paused, &both).map(|a| a.reply), Some(Reply::Abort));
    // Rolling back, the hook may still read AWAITING_ACTION: nothing answers it.
    paused.status = "ROLLBACK_REQUESTED".to_string();
    assert_eq!(answer(&paused, &both), None);
}

#[test]
fn the_bake_names_its_length_and_a_rollback_names_the_alarms_that_fired() {
    let mut rollout = recorded(CURRENT, "IN_PROGRESS");
    rollout.stage = Some("BAKE_TIME".to_string());
    rollout.bake_time_in_minutes = Some(15);
    rollout.updated_at = Some(Time(
        k8s_openapi::jiff::Timestamp::from_second(1_800_000_000).unwrap(),
    ));
    let Stage::InFlight { message, .. } = judge(&rollout, TD2) else {
        panic!("baking is in flight");
    };
    assert!(
        message.contains("15 minute(s) after production moved (stage since 2027-01-15T08:00:00Z)"),
        "{message}"
    );

    rollout.status = "ROLLBACK_SUCCESSFUL".to_string();
    rollout.triggered_alarms = vec!["web-5xx".to_string(), "web-latency".to_string()];
    let Stage::Ended { message, .. } = judge(&rollout, TD2) else {
        panic!("a rollback ends the rollout");
    };
    assert!(
        message.contains("(alarms in ALARM: web-5xx, web-latency)"),
        "{message}"
    );
}
