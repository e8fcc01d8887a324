//! Carrying out a plan through `EcsApi`.

use super::plan::Action;
use crate::aws::{AwsError, EcsApi, EcsCluster};

/// Runs the actions in order against the cluster `arn` (None before it exists).
/// Returns the cluster CreateCluster returned, if the plan created one.
pub async fn apply(
    ecs: &dyn EcsApi,
    arn: Option<&str>,
    actions: &[Action],
) -> Result<Option<EcsCluster>, AwsError> {
    let mut created = None;
    for action in actions {
        let target = || arn.expect("only Create runs before the cluster exists");
        match action {
            Action::Create(request) => created = Some(ecs.create_cluster(request).await?),
            Action::Update(update) => ecs.update_cluster(target(), update).await?,
            Action::PutCapacityProviders {
                providers,
                strategy,
            } => {
                ecs.put_cluster_capacity_providers(target(), providers, strategy)
                    .await?
            }
            Action::Tag(tags) => ecs.tag_resource(target(), tags).await?,
            Action::Untag(keys) => ecs.untag_resource(target(), keys).await?,
        }
    }
    Ok(created)
}
