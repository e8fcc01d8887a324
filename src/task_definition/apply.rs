//! Carrying out a plan through the AWS port.

use super::plan::Step;
use crate::aws::{AwsApi, AwsError, EcsTaskDefinition, ErrorKind};

/// Runs the steps in order. Returns the revision RegisterTaskDefinition answered, if
/// the plan registered one.
pub async fn apply(
    ecs: &dyn AwsApi,
    steps: &[Step],
) -> Result<Option<EcsTaskDefinition>, AwsError> {
    let mut registered = None;
    for step in steps {
        match step {
            Step::Register(request) => {
                registered = Some(ecs.register_task_definition(request).await?)
            }
            Step::Tag { arn, tags } => ecs.tag_resource(arn, tags).await?,
            Step::Untag { arn, keys } => ecs.untag_resource(arn, keys).await?,
            Step::Deregister(arns) => deregister(ecs, arns).await?,
        }
    }
    Ok(registered)
}

/// Deregisters each revision. One ECS no longer knows counts as done: ECS reports an
/// unknown revision as a ClientException, which is classified as invalid input.
pub async fn deregister(ecs: &dyn AwsApi, arns: &[String]) -> Result<(), AwsError> {
    for arn in arns {
        match ecs.deregister_task_definition(arn).await {
            Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::InvalidInput) => {
                tracing::debug!(revision = %arn, error = %e, "revision already gone");
            }
            other => other?,
        }
    }
    Ok(())
}
