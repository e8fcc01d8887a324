//! Capacity providers in the fake ECS, following the ECS API Reference as the emulator
//! does (hack/testenv/emulator/ecs_emulator/capacity_providers.py). Where ECS takes
//! time (a Managed Instances provider PROVISIONING, an update or a delete in progress),
//! the fake finishes the change at the next DescribeCapacityProviders.

use super::{ACCOUNT, FakeEcs, REGION, State};
use crate::aws::CapacityProviderState as ProviderState;
use crate::aws::CapacityProviderUpdate as Update;
use crate::aws::{
    AwsError, CapacityProviderConfig, CreateCapacityProvider, EcsCapacityProvider, ErrorKind,
};
use crate::sync::Lock;

const RESERVED_PREFIXES: [&str; 3] = ["aws", "ecs", "fargate"];

impl FakeEcs {
    pub fn capacity_provider(&self, name: &str) -> Option<EcsCapacityProvider> {
        self.state.locked().capacity_providers.get(name).cloned()
    }

    /// Changes a capacity provider behind the operator's back (drift, a failed update).
    pub fn edit_capacity_provider(&self, name: &str, edit: impl FnOnce(&mut EcsCapacityProvider)) {
        edit(
            self.state
                .locked()
                .capacity_providers
                .get_mut(name)
                .expect("capacity provider exists"),
        );
    }
}

fn client_error(action: &'static str, message: String) -> AwsError {
    AwsError::new(ErrorKind::InvalidInput, action, "ClientException", message)
}

/// Finishes what ECS would have finished by now.
pub fn advance(state: &mut State) {
    let mut deleted = Vec::new();
    for provider in state.capacity_providers.values_mut() {
        match provider.update_status {
            Some(Update::CreateInProgress) => {
                provider.status = ProviderState::Active;
                provider.update_status = Some(Update::CreateComplete);
            }
            Some(Update::UpdateInProgress) => provider.update_status = Some(Update::UpdateComplete),
            Some(Update::DeleteInProgress) => {
                provider.status = ProviderState::Inactive;
                provider.update_status = Some(Update::DeleteComplete);
                deleted.push(provider.name.clone());
            }
            _ => {}
        }
    }
    for cluster in state.clusters.values_mut() {
        cluster.capacity_providers.retain(|p| !deleted.contains(p));
    }
}

/// CreateCapacityProvider: the name "can't be prefixed with aws, ecs, or fargate" and is
/// unique among live providers; a Managed Instances provider needs its cluster, joins it
/// at once and is PROVISIONING until ECS has set it up (ECS API Reference,
/// CreateCapacityProvider and CapacityProvider).
pub fn create(
    state: &mut State,
    request: &CreateCapacityProvider,
) -> Result<EcsCapacityProvider, AwsError> {
    const ACTION: &str = "ecs:CreateCapacityProvider";
    let lower = request.name.to_lowercase();
    if RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return Err(client_error(
            ACTION,
            "The capacity provider name can't be prefixed with \"aws\", \"ecs\", or \"fargate\"."
                .into(),
        ));
    }
    if state
        .capacity_providers
        .get(&request.name)
        .is_some_and(|p| !p.is_inactive())
    {
        return Err(client_error(
            ACTION,
            format!(
                "The specified capacity provider {} already exists.",
                request.name
            ),
        ));
    }
    let mut provider = EcsCapacityProvider {
        name: request.name.clone(),
        arn: format!(
            "arn:aws:ecs:{REGION}:{ACCOUNT}:capacity-provider/{}",
            request.name
        ),
        config: Some(request.config.clone()),
        tags: request.tags.clone(),
        ..Default::default()
    };
    match &request.config {
        CapacityProviderConfig::AutoScalingGroup(_) => {
            provider.status = ProviderState::Active;
            provider.provider_type = "EC2_AUTOSCALING".into();
        }
        CapacityProviderConfig::ManagedInstances(_) => {
            let cluster = request.cluster.as_deref().ok_or_else(|| {
                AwsError::new(
                    ErrorKind::InvalidInput,
                    ACTION,
                    "InvalidParameterException",
                    "A cluster is required for a Managed Instances capacity provider.",
                )
            })?;
            let found = super::live(state, cluster, ACTION)?;
            found.capacity_providers.push(request.name.clone());
            provider.status = ProviderState::Provisioning;
            provider.update_status = Some(Update::CreateInProgress);
            provider.provider_type = "MANAGED_INSTANCES".into();
            provider.cluster = Some(found.name.clone());
        }
    }
    state
        .capacity_providers
        .insert(request.name.clone(), provider.clone());
    Ok(provider)
}

fn live_provider<'a>(
    state: &'a mut State,
    name: &str,
    action: &'static str,
) -> Result<&'a mut EcsCapacityProvider, AwsError> {
    state
        .capacity_providers
        .get_mut(name)
        .filter(|p| !p.is_inactive())
        .ok_or_else(|| {
            client_error(
                action,
                "The specified capacity provider does not exist.".into(),
            )
        })
}

/// Managed Instances providers "can only be updated within their associated cluster"
/// (and deleted from it): `cluster` must name it.
fn in_its_cluster(
    provider: &EcsCapacityProvider,
    cluster: Option<&str>,
    action: &'static str,
) -> Result<(), AwsError> {
    let named = cluster.map(|c| c.rsplit('/').next().unwrap_or(c));
    if provider.is_managed_instances() && named != provider.cluster.as_deref() {
        return Err(client_error(
            action,
            format!(
                "The Managed Instances capacity provider {} can only be changed within its cluster.",
                provider.name
            ),
        ));
    }
    Ok(())
}

/// UpdateCapacityProvider: the Auto Scaling group and a launch template's
/// capacityOptionType and fipsEnabled stay as created (they are not in the update
/// shapes); a Managed Instances update is UPDATE_IN_PROGRESS for a while.
pub fn update(
    state: &mut State,
    name: &str,
    cluster: Option<&str>,
    config: &CapacityProviderConfig,
) -> Result<(), AwsError> {
    const ACTION: &str = "ecs:UpdateCapacityProvider";
    let provider = live_provider(state, name, ACTION)?;
    in_its_cluster(provider, cluster, ACTION)?;
    let updated = match (provider.config.as_ref(), config) {
        (
            Some(CapacityProviderConfig::AutoScalingGroup(current)),
            CapacityProviderConfig::AutoScalingGroup(asg),
        ) => CapacityProviderConfig::AutoScalingGroup(
            crate::api::capacity_provider::AutoScalingGroupProvider {
                auto_scaling_group_arn: current.auto_scaling_group_arn.clone(),
                ..asg.clone()
            },
        ),
        (
            Some(CapacityProviderConfig::ManagedInstances(current)),
            CapacityProviderConfig::ManagedInstances(mi),
        ) => {
            let mut mi = mi.clone();
            let created = &current.instance_launch_template;
            mi.instance_launch_template.capacity_option_type = created.capacity_option_type.clone();
            mi.instance_launch_template.fips_enabled = created.fips_enabled;
            provider.update_status = Some(Update::UpdateInProgress);
            CapacityProviderConfig::ManagedInstances(mi)
        }
        _ => {
            return Err(AwsError::new(
                ErrorKind::InvalidInput,
                ACTION,
                "InvalidParameterException",
                "A capacity provider is updated with the configuration of its own type.",
            ));
        }
    };
    provider.config = Some(updated);
    Ok(())
}

/// DeleteCapacityProvider: refused while a service's strategy names the provider or
/// (an Auto Scaling group provider) a cluster lists it; else DELETE_IN_PROGRESS until
/// ECS is done (ECS API Reference, DeleteCapacityProvider).
pub fn delete(state: &mut State, name: &str, cluster: Option<&str>) -> Result<(), AwsError> {
    const ACTION: &str = "ecs:DeleteCapacityProvider";
    let users: Vec<String> = state
        .services
        .iter()
        .filter(|s| s.status != crate::aws::ServiceState::Inactive)
        .filter(|s| {
            s.settings
                .capacity_provider_strategy
                .iter()
                .any(|i| i.capacity_provider == name)
        })
        .map(|s| s.name.clone())
        .collect();
    let clusters: Vec<String> = state
        .clusters
        .values()
        .filter(|c| c.status != crate::aws::ClusterState::Inactive)
        .filter(|c| c.capacity_providers.iter().any(|p| p == name))
        .map(|c| c.name.clone())
        .collect();
    let provider = live_provider(state, name, ACTION)?;
    in_its_cluster(provider, cluster, ACTION)?;
    if !users.is_empty() {
        return Err(client_error(
            ACTION,
            format!(
                "The capacity provider {name} is in the capacity provider strategy of services {}; remove it from them first.",
                users.join(", ")
            ),
        ));
    }
    if !provider.is_managed_instances() && !clusters.is_empty() {
        return Err(client_error(
            ACTION,
            format!(
                "The capacity provider {name} is associated with clusters {}; remove it with PutClusterCapacityProviders first.",
                clusters.join(", ")
            ),
        ));
    }
    if provider.is_managed_instances() {
        provider.status = ProviderState::Deprovisioning;
    }
    provider.update_status = Some(Update::DeleteInProgress);
    Ok(())
}
