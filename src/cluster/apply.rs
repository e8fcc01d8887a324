//! Carrying out a plan through `EcsApi`.

use super::plan::Action;
use crate::aws::{AwsApi, AwsError, EcsCluster};

/// Runs the actions in order against the cluster `arn` (None before it exists; the
/// actions after a Create apply to the cluster it made). Returns the cluster
/// CreateCluster returned, if the plan created one.
pub async fn apply(
    ecs: &dyn AwsApi,
    arn: Option<&str>,
    actions: &[Action],
) -> Result<Option<EcsCluster>, AwsError> {
    let mut created: Option<EcsCluster> = None;
    for action in actions {
        if let Action::Create(request) = action {
            created = Some(ecs.create_cluster(request).await?);
            continue;
        }
        let Some(target) = created.as_ref().map(|c| c.arn.as_str()).or(arn) else {
            // The plan creates before it changes: without a cluster there is nothing to change.
            continue;
        };
        match action {
            Action::Create(_) => {}
            Action::Update(update) => ecs.update_cluster(target, update).await?,
            Action::PutCapacityProviders {
                providers,
                strategy,
            } => {
                ecs.put_cluster_capacity_providers(target, providers, strategy)
                    .await?
            }
            Action::Tag(tags) => ecs.tag_resource(target, tags).await?,
            Action::Untag(keys) => ecs.untag_resource(target, keys).await?,
        }
    }
    Ok(created)
}
