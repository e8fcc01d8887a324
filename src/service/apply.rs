//! Carrying out a plan through the AWS port.

use super::plan::Step;
use super::stages::{Answer, Reply};
use crate::aws::{AwsApi, AwsError, DeploymentStopType, EcsService, HookAction};
use crate::reconcile::Note;

/// Runs the steps in order. Returns the service as the last create or update answered
/// it, if the plan made one.
pub async fn apply(ecs: &dyn AwsApi, steps: &[Step]) -> Result<Option<EcsService>, AwsError> {
    let mut answered = None;
    for step in steps {
        match step {
            Step::Create(request) => answered = Some(ecs.create_service(request).await?),
            Step::Tag { arn, tags } => ecs.tag_resource(arn, tags).await?,
            Step::Untag { arn, keys } => ecs.untag_resource(arn, keys).await?,
            Step::Update { request, .. } => answered = Some(ecs.update_service(request).await?),
        }
    }
    Ok(answered)
}

/// Answers a deployment as a RolloutApproval asks. ECS refusing it (the hook stopped
/// waiting, or the deployment finished, between the look and the call) is reported, not
/// retried at once: the next look shows where the deployment went.
pub async fn answer(ecs: &dyn AwsApi, answer: &Answer) -> Result<Note, AwsError> {
    let arn = &answer.service_deployment_arn;
    let by = format!(
        "approved by {} (RolloutApproval {})",
        answer.approved_by, answer.approval
    );
    let (called, reason, said, what) = match &answer.reply {
        Reply::Hook { hook_id, action } => {
            let (reason, did) = match action {
                HookAction::Rollback => ("RollbackApproved", "rolled back"),
                _ => ("Promoted", "continued"),
            };
            let said = format!(
                "{did} service deployment {arn} at {} past hook {hook_id}, {by}",
                answer.stage
            );
            let called = ecs.continue_service_deployment(arn, hook_id, action).await;
            (called, reason, said, format!("hook {hook_id}"))
        }
        Reply::Abort => {
            let said = format!(
                "aborted service deployment {arn} at {}: ECS rolls back to the source \
                 revision, {by}",
                answer.stage
            );
            let called = ecs
                .stop_service_deployment(arn, &DeploymentStopType::Rollback)
                .await;
            (called, "RolloutAborted", said, "the abort".to_string())
        }
    };
    match called {
        Ok(()) => Ok(Note::normal(reason, said)),
        Err(e) if !e.kind.is_retryable() => Ok(Note::warning(
            "ApprovalRefused",
            format!(
                "ECS refused RolloutApproval {} ({what}) of {arn}: {e}",
                answer.approval
            ),
        )),
        Err(e) => Err(e),
    }
}
