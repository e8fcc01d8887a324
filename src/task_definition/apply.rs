//! The ECS writes a plan calls for.

use crate::aws::{AwsApi, AwsError, ErrorKind};
use crate::ownership::TagChanges;

/// Brings the latest revision's tags in line (tags are the one thing a revision lets change).
pub async fn retag(ecs: &dyn AwsApi, arn: &str, changes: &TagChanges) -> Result<(), AwsError> {
    if !changes.set.is_empty() {
        ecs.tag_resource(arn, &changes.set).await?;
    }
    if !changes.remove.is_empty() {
        ecs.untag_resource(arn, &changes.remove).await?;
    }
    Ok(())
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
