//! What `kubectl ecs` asks for, and says, given what a Service reports.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::ObjectMeta;

use super::approve::{Decision, PluginError, Request, approval, created};
use super::report::status;
use crate::api::rollout_approval::ApprovalAction;
use crate::api::service::{LifecycleHookStatus, RevisionStatus, RolloutStatus};
use crate::api::{RolloutApproval, Service, ServiceStatus};

const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/web/sd2";

fn paused(hooks: &[&str]) -> Service {
    let spec = serde_json::from_value(serde_json::json!({
        "cluster": "main", "taskDefinition": "web:2"
    }))
    .expect("a Service spec");
    let mut service = Service::new("web", spec);
    service.metadata = ObjectMeta {
        name: Some("web".to_string()),
        namespace: Some("shop".to_string()),
        ..Default::default()
    };
    service.status = Some(ServiceStatus {
        conditions: vec![Condition {
            type_: "Ready".to_string(),
            status: "False".to_string(),
            reason: "RolloutPaused".to_string(),
            message: "paused at POST_TEST_TRAFFIC_SHIFT".to_string(),
            last_transition_time: Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
            observed_generation: None,
        }],
        rollout: Some(RolloutStatus {
            service_deployment_arn: ARN.to_string(),
            strategy: Some("BLUE_GREEN".to_string()),
            status: "IN_PROGRESS".to_string(),
            stage: Some("POST_TEST_TRAFFIC_SHIFT".to_string()),
            target_revision: Some(RevisionStatus {
                arn: "arn:aws:ecs:us-east-1:123456789012:service-revision/main/web/2".to_string(),
                requested_task_count: 2,
                running_task_count: 2,
                test_traffic_weight: Some(100.0),
                production_traffic_weight: Some(0.0),
                ..Default::default()
            }),
            hooks: hooks
                .iter()
                .map(|id| LifecycleHookStatus {
                    hook_id: (*id).to_string(),
                    target_type: Some("PAUSE".to_string()),
                    status: "AWAITING_ACTION".to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        ..Default::default()
    });
    service
}

fn created_approval(decision: Decision) -> RolloutApproval {
    match decision {
        Decision::Create(approval) => *approval,
        other => panic!("expected an approval to create, got {other:?}"),
    }
}

#[test]
fn promote_names_the_deployment_and_the_hook_awaiting_action_and_the_user() {
    let service = paused(&["h1"]);
    let request = Request::Hook {
        rollback: false,
        hook: None,
    };
    let approval = created_approval(approval(&service, &[], &request, "alice").unwrap());
    assert_eq!(approval.spec.service, "web");
    assert_eq!(approval.spec.service_deployment_arn, ARN);
    assert_eq!(approval.spec.hook_id.as_deref(), Some("h1"));
    assert_eq!(approval.spec.action, ApprovalAction::Continue);
    assert_eq!(approval.spec.approved_by, "alice");
    assert_eq!(
        approval.metadata.generate_name.as_deref(),
        Some("web-promote-")
    );
    assert_eq!(approval.metadata.namespace.as_deref(), Some("shop"));
}

#[test]
fn promote_with_rollback_and_abort_ask_for_their_actions() {
    let service = paused(&["h1"]);
    let rollback = Request::Hook {
        rollback: true,
        hook: None,
    };
    let approval_ = created_approval(approval(&service, &[], &rollback, "alice").unwrap());
    assert_eq!(approval_.spec.action, ApprovalAction::Rollback);
    let abort = created_approval(approval(&service, &[], &Request::Abort, "bob").unwrap());
    assert_eq!(abort.spec.action, ApprovalAction::Abort);
    assert_eq!(abort.spec.hook_id, None);
    assert!(
        created(&abort, "shop").contains("abort of"),
        "{}",
        created(&abort, "shop")
    );
}

#[test]
fn promote_refuses_when_nothing_or_more_than_one_hook_waits() {
    let request = Request::Hook {
        rollback: false,
        hook: None,
    };
    let err = approval(&paused(&[]), &[], &request, "alice").unwrap_err();
    assert!(matches!(err, PluginError::NotPaused { .. }), "{err}");
    let err = approval(&paused(&["h1", "h2"]), &[], &request, "alice").unwrap_err();
    assert_eq!(
        err,
        PluginError::WhichHook {
            hooks: "h1, h2".to_string()
        }
    );
    let chosen = Request::Hook {
        rollback: false,
        hook: Some("h2".to_string()),
    };
    let approval_ = created_approval(approval(&paused(&["h1", "h2"]), &[], &chosen, "a").unwrap());
    assert_eq!(approval_.spec.hook_id.as_deref(), Some("h2"));
    let wrong = Request::Hook {
        rollback: false,
        hook: Some("h9".to_string()),
    };
    let err = approval(&paused(&["h1"]), &[], &wrong, "alice").unwrap_err();
    assert_eq!(err, PluginError::NoSuchHook("h9".to_string()));
}

#[test]
fn a_finished_or_absent_rollout_has_nothing_to_promote_or_abort() {
    let mut service = paused(&["h1"]);
    if let Some(r) = service.status.as_mut().and_then(|s| s.rollout.as_mut()) {
        r.status = "SUCCESSFUL".to_string();
    }
    let err = approval(&service, &[], &Request::Abort, "alice").unwrap_err();
    assert!(
        err.to_string().contains("SUCCESSFUL, not in flight"),
        "{err}"
    );
    if let Some(s) = service.status.as_mut() {
        s.rollout = None;
    }
    let err = approval(&service, &[], &Request::Abort, "alice").unwrap_err();
    assert_eq!(err, PluginError::NoRollout("web".to_string()));
}

#[test]
fn a_second_promote_of_the_same_hook_creates_nothing() {
    let service = paused(&["h1"]);
    let request = Request::Hook {
        rollback: false,
        hook: None,
    };
    let mut first = created_approval(approval(&service, &[], &request, "alice").unwrap());
    first.metadata.name = Some("web-promote-x1y2z".to_string());
    let again = approval(&service, &[first], &request, "bob").unwrap();
    let Decision::AlreadyGiven(said) = again else {
        panic!("expected AlreadyGiven, got {again:?}");
    };
    assert!(
        said.contains("web-promote-x1y2z") && said.contains("alice"),
        "{said}"
    );
}

#[test]
fn status_shows_the_stage_the_traffic_the_hook_and_what_to_run_next() {
    let text = status(&paused(&["h1"]), &[]);
    for expected in [
        "Service shop/web: Ready=False RolloutPaused",
        "Stage            POST_TEST_TRAFFIC_SHIFT",
        "2/2 tasks running, test traffic 100%, production traffic 0%",
        "Hook             h1 PAUSE AWAITING_ACTION",
        "Next             kubectl ecs promote web -n shop",
        "kubectl ecs abort web -n shop",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn status_of_an_answered_hook_lists_the_approval_and_offers_only_abort() {
    let service = paused(&["h1"]);
    let request = Request::Hook {
        rollback: false,
        hook: None,
    };
    let mut given = created_approval(approval(&service, &[], &request, "alice").unwrap());
    given.metadata.name = Some("web-promote-abcde".to_string());
    let text = status(&service, &[given]);
    assert!(
        text.contains("Approvals        web-promote-abcde Continue hook h1 by alice"),
        "{text}"
    );
    assert!(!text.contains("kubectl ecs promote"), "{text}");
    assert!(
        text.contains("Next             kubectl ecs abort web -n shop"),
        "{text}"
    );
}
