//! Finding the ECS cluster that belongs to a Cluster object.

use crate::api::Cluster;
use crate::aws::{AwsApi, AwsError, ClusterState, EcsCapacityProvider, EcsCluster};
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
/// `named` are the providers the Cluster manages (its capacityProviders and resolved
/// capacityProviderRefs), None when it manages none.
pub async fn observe(
    cluster: &Cluster,
    named: Option<&[String]>,
    ecs: &dyn AwsApi,
) -> Result<Observed, AwsError> {
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
        Some(mut c) => match owner_of(&c.tags, cluster) {
            Owner::ThisObject => {
                c.managed_instances_providers = managed_instances(named, &c, ecs).await?;
                Observed::Owned(c)
            }
            other => Observed::Foreign(c, other),
        },
    })
}

/// The cluster's ECS Managed Instances providers among those its spec does not name.
/// Such a provider is created inside its cluster and stays with it until deleted, so the
/// Cluster object leaves it be. One DescribeCapacityProviders call, made only when the
/// spec names the providers and ECS reports others.
async fn managed_instances(
    named: Option<&[String]>,
    found: &EcsCluster,
    ecs: &dyn AwsApi,
) -> Result<Vec<String>, AwsError> {
    let Some(named) = named else {
        return Ok(Vec::new());
    };
    let unnamed: Vec<String> = found
        .capacity_providers
        .iter()
        .filter(|p| !named.contains(p))
        .cloned()
        .collect();
    if unnamed.is_empty() {
        return Ok(Vec::new());
    }
    Ok(ecs
        .describe_capacity_providers(&unnamed)
        .await?
        .into_iter()
        .filter(EcsCapacityProvider::is_managed_instances)
        .map(|p| p.name)
        .collect())
}
