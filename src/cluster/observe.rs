//! Finding the ECS cluster that belongs to a Cluster object.

use crate::api::Cluster;
use crate::aws::{AwsApi, AwsError, ClusterState, EcsCluster};
use crate::ownership::{Owner, owner_of};

/// What ECS holds under the object's cluster name.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    /// No cluster, or only an INACTIVE (deleted) one.
    Absent,
    /// A live cluster tagged as this object's.
    Owned(EcsCluster),
    /// A live cluster this object did not create, and whose its tags say it is.
    Foreign(EcsCluster, Owner),
}

/// Looks the cluster up by the ARN in status, else by name, and judges ownership by tags.
/// One DescribeClusters call when the ARN is known and still live.
pub async fn observe(cluster: &Cluster, ecs: &dyn AwsApi) -> Result<Observed, AwsError> {
    let by_arn = match cluster.status.as_ref().and_then(|s| s.arn.as_deref()) {
        Some(arn) => ecs
            .describe_cluster(arn)
            .await?
            .filter(|c| c.status != ClusterState::Inactive),
        None => None,
    };
    let found = match by_arn {
        Some(found) => Some(found),
        None => ecs
            .describe_cluster(&cluster.cluster_name())
            .await?
            .filter(|c| c.status != ClusterState::Inactive),
    };
    Ok(match found {
        None => Observed::Absent,
        Some(c) => match owner_of(&c.tags, cluster) {
            Owner::ThisObject => Observed::Owned(c),
            other => Observed::Foreign(c, other),
        },
    })
}
