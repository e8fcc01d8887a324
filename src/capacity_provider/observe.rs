//! Finding the ECS capacity provider that belongs to a CapacityProvider object.

use crate::api::CapacityProvider;
use crate::aws::{AwsApi, AwsError, EcsCapacityProvider};
use crate::ownership::{Owner, owner_of};

/// What ECS holds under the object's provider name.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    /// No provider, or only an INACTIVE (deleted) one.
    Absent,
    /// A live provider tagged as this object's.
    Owned(EcsCapacityProvider),
    /// A live provider this object did not create, and whose tags say whose it is.
    Foreign(EcsCapacityProvider, Owner),
}

/// Looks the provider up by name (one DescribeCapacityProviders call) and judges
/// ownership by its tags.
pub async fn observe(provider: &CapacityProvider, ecs: &dyn AwsApi) -> Result<Observed, AwsError> {
    let name = provider.provider_name();
    let found = ecs
        .describe_capacity_providers(std::slice::from_ref(&name))
        .await?
        .into_iter()
        .find(|p| p.name == name && !p.is_inactive());
    Ok(match found {
        None => Observed::Absent,
        Some(p) => match owner_of(&p.tags, provider) {
            Owner::ThisObject => Observed::Owned(p),
            other => Observed::Foreign(p, other),
        },
    })
}
