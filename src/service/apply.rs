//! Carrying out a plan through the AWS port.

use super::plan::Step;
use super::stages::Answer;
use crate::aws::{AwsApi, AwsError, EcsService, HookAction};
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

/// Answers a paused hook as a RolloutApproval asks. ECS refusing it (the hook stopped
/// waiting between the look and the call) is reported, not retried at once: the next
/// look shows where the deployment went.
pub async fn answer_hook(ecs: &dyn AwsApi, answer: &Answer) -> Result<Note, AwsError> {
    let arn = &answer.service_deployment_arn;
    let (reason, did) = match answer.action {
        HookAction::Rollback => ("RollbackApproved", "rolled back"),
        _ => ("Promoted", "continued"),
    };
    let said = format!(
        "{did} service deployment {arn} at {} past hook {}, approved by {} (RolloutApproval {})",
        answer.stage, answer.hook_id, answer.approved_by, answer.approval
    );
    match ecs
        .continue_service_deployment(arn, &answer.hook_id, &answer.action)
        .await
    {
        Ok(()) => Ok(Note::normal(reason, said)),
        Err(e) if !e.kind.is_retryable() => Ok(Note::warning(
            "ApprovalRefused",
            format!(
                "ECS refused RolloutApproval {} for hook {} of {arn}: {e}",
                answer.approval, answer.hook_id
            ),
        )),
        Err(e) => Err(e),
    }
}
