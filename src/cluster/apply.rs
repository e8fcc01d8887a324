//! Carrying out a plan through `EcsApi`.

use super::plan::Step;
use crate::aws::{AwsApi, AwsError, EcsCluster};

/// Runs the steps in order against the cluster `arn` (None before it exists; the
/// steps after a Create apply to the cluster it made). Returns the cluster
/// CreateCluster returned, if the plan created one.
pub async fn apply(
    ecs: &dyn AwsApi,
    arn: Option<&str>,
    steps: &[Step],
) -> Result<Option<EcsCluster>, AwsError> {
    let mut created: Option<EcsCluster> = None;
    for step in steps {
        if let Step::Create(request) = step {
            created = Some(ecs.create_cluster(request).await?);
            continue;
        }
        let Some(target) = created.as_ref().map(|c| c.arn.as_str()).or(arn) else {
            // The plan creates before it changes: without a cluster there is nothing to change.
            continue;
        };
        match step {
            Step::Create(_) => {}
            Step::Update(update) => ecs.update_cluster(target, update).await?,
            Step::PutCapacityProviders {
                providers,
                strategy,
            } => {
                ecs.put_cluster_capacity_providers(target, providers, strategy)
                    .await?
            }
            Step::Tag(tags) => ecs.tag_resource(target, tags).await?,
            Step::Untag(keys) => ecs.untag_resource(target, keys).await?,
        }
    }
    Ok(created)
}
