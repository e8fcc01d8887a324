//! Carrying out a plan through `EcsApi`.

use super::plan::{Desired, Step};
use crate::aws::{AwsApi, AwsError, EcsCapacityProvider};

/// Runs the steps in order against the provider of `arn` (None before it exists; the
/// steps after a Create apply to the provider it made). Returns the provider
/// CreateCapacityProvider returned, if the plan created one.
pub async fn apply(
    ecs: &dyn AwsApi,
    desired: &Desired,
    arn: Option<&str>,
    steps: &[Step],
) -> Result<Option<EcsCapacityProvider>, AwsError> {
    let mut created: Option<EcsCapacityProvider> = None;
    for step in steps {
        if let Step::Create(request) = step {
            created = Some(ecs.create_capacity_provider(request).await?);
            continue;
        }
        let Some(target) = created.as_ref().map(|p| p.arn.as_str()).or(arn) else {
            // The plan creates before it changes: without a provider there is nothing to change.
            continue;
        };
        match step {
            Step::Create(_) => {}
            Step::Update(config) => {
                ecs.update_capacity_provider(&desired.name, desired.cluster.as_deref(), config)
                    .await?
            }
            Step::Tag(tags) => ecs.tag_resource(target, tags).await?,
            Step::Untag(keys) => ecs.untag_resource(target, keys).await?,
        }
    }
    Ok(created)
}
