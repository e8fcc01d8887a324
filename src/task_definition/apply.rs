//! Carrying out a plan through the AWS port.

use super::plan::{Step, parse_arn};
use crate::api::TaskDefinition;
use crate::aws::{AwsApi, AwsError, EcsTaskDefinition, ErrorKind, Freshness, RevisionState};
use crate::ownership::owner_of;

/// What the calls did.
#[derive(Debug, Default)]
pub struct Applied {
    /// The revision RegisterTaskDefinition answered, if the plan registered one.
    pub registered: Option<EcsTaskDefinition>,
    pub deregistered: Deregistered,
}

/// Revisions deregistered, and revisions refused because ECS does not show them as
/// this object's.
#[derive(Debug, Default, PartialEq)]
pub struct Deregistered {
    pub done: Vec<String>,
    pub refused: Vec<String>,
}

/// Runs the steps in order.
pub async fn apply(
    ecs: &dyn AwsApi,
    td: &TaskDefinition,
    steps: &[Step],
) -> Result<Applied, AwsError> {
    let mut applied = Applied::default();
    for step in steps {
        match step {
            Step::Register(request) => {
                applied.registered = Some(ecs.register_task_definition(request).await?)
            }
            Step::Tag { arn, tags } => ecs.tag_resource(arn, tags).await?,
            Step::Untag { arn, keys } => ecs.untag_resource(arn, keys).await?,
            Step::Deregister(arns) => applied.deregistered = deregister(ecs, td, arns).await?,
        }
    }
    Ok(applied)
}

/// Deregisters each revision that a fresh describe shows ACTIVE, in this object's family
/// and tagged with its uid: status only says where to look, never what is ours (a
/// tenant can write status). One already gone, or no longer ACTIVE, counts as done
/// (ECS reports an unknown revision as a ClientException, classified as invalid input).
pub async fn deregister(
    ecs: &dyn AwsApi,
    td: &TaskDefinition,
    arns: &[String],
) -> Result<Deregistered, AwsError> {
    let family = td.family();
    let mut result = Deregistered::default();
    for arn in arns {
        let revision = match ecs.describe_task_definition(arn, Freshness::Live).await {
            Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::InvalidInput) => None,
            other => other?,
        };
        let Some(revision) = revision.filter(|r| r.status == RevisionState::Active) else {
            continue;
        };
        let ours = owner_of(&revision.tags, td).is_this_object()
            && parse_arn(&revision.arn).is_some_and(|(f, _)| f == family);
        if !ours {
            result.refused.push(arn.clone());
            continue;
        }
        match ecs.deregister_task_definition(arn).await {
            Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::InvalidInput) => {
                tracing::debug!(revision = %arn, error = %e, "revision already gone");
            }
            other => other?,
        }
        result.done.push(arn.clone());
    }
    Ok(result)
}
