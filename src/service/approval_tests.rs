//! A RolloutApproval moves a paused deployment on exactly once, only the deployment and
//! hook it names, and the Event says who approved.

use std::sync::Arc;

use kube::api::ObjectMeta;

use super::progressive_tests::{awaiting_hook, canary_with_a_pause_hook, until_reason};
use super::stages::{ROLLED_BACK, ROLLOUT_PAUSED};
use super::tests::{Objects, Rig, reason};
use crate::api::rollout_approval::{ApprovalAction, RolloutApproval, RolloutApprovalSpec};

pub(super) fn approval(
    name: &str,
    arn: &str,
    hook: &str,
    action: ApprovalAction,
) -> Arc<RolloutApproval> {
    let mut approval = RolloutApproval::new(
        name,
        RolloutApprovalSpec {
            service: "web".to_string(),
            service_deployment_arn: arn.to_string(),
            hook_id: (action != ApprovalAction::Abort).then(|| hook.to_string()),
            action,
            approved_by: format!("{name}@example.com"),
        },
    );
    approval.metadata = ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some("shop".to_string()),
        ..Default::default()
    };
    Arc::new(approval)
}

/// A canary promoted to Ready on revision 1, then paused at its hook rolling out
/// revision 2, so a rollback has a revision to return to: the deployment and the hook.
async fn paused_on_a_second_revision(rig: &mut Rig) -> (String, String) {
    canary_with_a_pause_hook(rig);
    let paused = until_reason(rig, ROLLOUT_PAUSED, 8).await;
    let (arn, hook) = awaiting_hook(&paused);
    rig.objects.rollout_approvals = vec![approval("go", &arn, &hook, ApprovalAction::Continue)];
    rig.until_ready(10).await;

    rig.register_revision("nginx:1");
    let second = rig.register_revision("nginx:2");
    rig.objects.task_definition_at(&second, 2);
    awaiting_hook(&until_reason(rig, ROLLOUT_PAUSED, 8).await)
}

#[tokio::test]
async fn an_approval_continues_the_paused_deployment_once_and_names_the_approver() {
    let mut rig = Rig::new();
    canary_with_a_pause_hook(&mut rig);
    let paused = until_reason(&mut rig, ROLLOUT_PAUSED, 8).await;
    let (arn, hook) = awaiting_hook(&paused);
    rig.objects.rollout_approvals = vec![approval("go", &arn, &hook, ApprovalAction::Continue)];

    let answered = rig.reconcile().await;
    let promoted = answered
        .notes
        .iter()
        .find(|n| n.reason == "Promoted")
        .expect("a Promoted Event");
    assert!(
        promoted.message.contains("go@example.com"),
        "{}",
        promoted.message
    );
    assert!(promoted.message.contains(&hook), "{}", promoted.message);
    assert_ne!(
        reason(&answered),
        ROLLOUT_PAUSED,
        "status shows ECS moved on"
    );

    assert_eq!(reason(&rig.until_ready(8).await), "Ready");
    for _ in 0..5 {
        rig.reconcile().await;
    }
    assert_eq!(rig.fake().count("ecs:ContinueServiceDeployment"), 1);
}

#[tokio::test]
async fn an_approval_of_an_earlier_deployment_never_promotes_a_later_one() {
    let mut rig = Rig::new();
    canary_with_a_pause_hook(&mut rig);
    let paused = until_reason(&mut rig, ROLLOUT_PAUSED, 8).await;
    let (first, hook) = awaiting_hook(&paused);
    rig.objects.rollout_approvals =
        vec![approval("first", &first, &hook, ApprovalAction::Continue)];
    assert_eq!(reason(&rig.until_ready(10).await), "Ready");

    // The same revision deployed again (a redeploy token): a new service deployment.
    rig.edit_spec(|spec| spec.redeploy_token = Some("again".to_string()));
    let paused = until_reason(&mut rig, ROLLOUT_PAUSED, 8).await;
    let (second, _) = awaiting_hook(&paused);
    assert_ne!(first, second);
    for _ in 0..5 {
        rig.fake().advance();
        assert_eq!(reason(&rig.reconcile().await), ROLLOUT_PAUSED);
    }
    assert_eq!(rig.fake().count("ecs:ContinueServiceDeployment"), 1);
}

#[tokio::test]
async fn an_approval_to_roll_back_returns_to_the_old_revision() {
    let mut rig = Rig::new();
    let (arn, hook) = paused_on_a_second_revision(&mut rig).await;
    rig.objects.rollout_approvals = vec![approval("no", &arn, &hook, ApprovalAction::Rollback)];
    let rolled_back = until_reason(&mut rig, ROLLED_BACK, 4).await;
    let Some(rollout) = rolled_back.status.rollout else {
        panic!("status.rollout");
    };
    assert_eq!(rollout.status, "ROLLBACK_SUCCESSFUL");
}

#[tokio::test]
async fn an_approval_naming_another_hook_does_nothing() {
    let mut rig = Rig::new();
    canary_with_a_pause_hook(&mut rig);
    let paused = until_reason(&mut rig, ROLLOUT_PAUSED, 8).await;
    let (arn, _) = awaiting_hook(&paused);
    rig.objects.rollout_approvals = vec![approval(
        "typo",
        &arn,
        "hook-9-PRE_SCALE_UP",
        ApprovalAction::Continue,
    )];
    for _ in 0..3 {
        rig.fake().advance();
        assert_eq!(reason(&rig.reconcile().await), ROLLOUT_PAUSED);
    }
    assert_eq!(rig.fake().count("ecs:ContinueServiceDeployment"), 0);
}

#[tokio::test]
async fn an_abort_stops_the_deployment_at_any_stage_and_wins_over_a_continue() {
    let mut rig = Rig::new();
    let (arn, hook) = paused_on_a_second_revision(&mut rig).await;
    let continues = rig.fake().count("ecs:ContinueServiceDeployment");
    rig.objects.rollout_approvals = vec![
        approval("go", &arn, &hook, ApprovalAction::Continue),
        approval("stop", &arn, "", ApprovalAction::Abort),
    ];

    let answered = rig.reconcile().await;
    let aborted = answered
        .notes
        .iter()
        .find(|n| n.reason == "RolloutAborted")
        .expect("a RolloutAborted Event");
    assert!(
        aborted.message.contains("stop@example.com"),
        "{}",
        aborted.message
    );
    let rolled_back = until_reason(&mut rig, ROLLED_BACK, 6).await;
    let Some(rollout) = rolled_back.status.rollout else {
        panic!("status.rollout");
    };
    assert_eq!(rollout.status, "ROLLBACK_SUCCESSFUL");
    for _ in 0..3 {
        rig.reconcile().await;
    }
    assert_eq!(rig.fake().count("ecs:StopServiceDeployment"), 1);
    assert_eq!(rig.fake().count("ecs:ContinueServiceDeployment"), continues);
}

#[tokio::test]
async fn an_abort_of_a_finished_deployment_does_nothing() {
    let mut rig = Rig::new();
    canary_with_a_pause_hook(&mut rig);
    let paused = until_reason(&mut rig, ROLLOUT_PAUSED, 8).await;
    let (arn, hook) = awaiting_hook(&paused);
    rig.objects.rollout_approvals = vec![approval("go", &arn, &hook, ApprovalAction::Continue)];
    assert_eq!(reason(&rig.until_ready(10).await), "Ready");

    rig.objects
        .rollout_approvals
        .push(approval("late", &arn, "", ApprovalAction::Abort));
    for _ in 0..3 {
        assert_eq!(reason(&rig.reconcile().await), "Ready");
    }
    assert_eq!(rig.fake().count("ecs:StopServiceDeployment"), 0);
}
