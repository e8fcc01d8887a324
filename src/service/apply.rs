//! Carrying out a plan through the AWS port.

use super::plan::Step;
use crate::aws::{AwsApi, AwsError, EcsService};

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
