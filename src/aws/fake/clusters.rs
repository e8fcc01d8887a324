//! Clusters in the fake ECS.

use super::{ACCOUNT, FakeEcs, REGION, State};
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::aws::{
    AwsError, ClusterState, CreateCluster, EcsCapacityProvider, EcsCluster, ErrorKind, Tags,
};
use crate::sync::Lock;

impl FakeEcs {
    pub fn cluster(&self, name: &str) -> Option<EcsCluster> {
        self.state.locked().clusters.get(name).cloned()
    }

    /// Clusters in any state, including INACTIVE ones.
    pub fn cluster_count(&self) -> usize {
        self.state.locked().clusters.len()
    }

    /// Puts a cluster in place as if someone else (the console, another tool) made it.
    pub fn insert_cluster(&self, name: &str, tags: Tags) -> EcsCluster {
        let cluster = new_cluster(name, tags);
        self.state
            .locked()
            .clusters
            .insert(name.to_string(), cluster.clone());
        cluster
    }

    /// An ACTIVE ECS Managed Instances capacity provider created in `cluster` by someone
    /// else: it joins the cluster's capacity providers, as CreateCapacityProvider with a
    /// cluster does (ECS API Reference, CreateCapacityProvider).
    pub fn insert_managed_instances_provider(&self, cluster: &str, name: &str) {
        let mut state = self.state.locked();
        let provider = EcsCapacityProvider {
            name: name.to_string(),
            arn: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:capacity-provider/{name}"),
            status: crate::aws::CapacityProviderState::Active,
            provider_type: "MANAGED_INSTANCES".into(),
            cluster: Some(cluster.to_string()),
            update_status: Some(crate::aws::CapacityProviderUpdate::CreateComplete),
            ..Default::default()
        };
        state.capacity_providers.insert(name.to_string(), provider);
        if let Some(found) = state.clusters.get_mut(cluster) {
            found.capacity_providers.push(name.to_string());
        }
    }

    /// Changes a cluster behind the operator's back (drift, services appearing or going).
    pub fn edit_cluster(&self, name: &str, edit: impl FnOnce(&mut EcsCluster)) {
        edit(
            self.state
                .locked()
                .clusters
                .get_mut(name)
                .expect("cluster exists"),
        );
    }
}

/// CreateCluster.
pub fn create(state: &mut State, request: &CreateCluster) -> Result<EcsCluster, AwsError> {
    let providers = request.capacity_providers.clone().unwrap_or_default();
    let strategy = request
        .default_capacity_provider_strategy
        .clone()
        .unwrap_or_default();
    check_providers(state, "ecs:CreateCluster", &providers, &strategy)?;
    // CreateCluster on the name of an ACTIVE cluster returns that cluster unchanged
    // rather than failing (ECS API Reference, CreateCluster).
    if let Some(existing) = state
        .clusters
        .get(&request.name)
        .filter(|c| c.status != ClusterState::Inactive)
    {
        return Ok(existing.clone());
    }
    let mut cluster = new_cluster(&request.name, request.tags.clone());
    cluster.settings = request.settings.clone();
    cluster.configuration = request.configuration.clone();
    cluster.capacity_providers = providers;
    cluster.default_capacity_provider_strategy = strategy;
    cluster.service_connect_namespace = request
        .service_connect_defaults
        .as_ref()
        .map(|d| d.namespace.clone());
    state.clusters.insert(request.name.clone(), cluster.clone());
    Ok(cluster)
}

/// DeleteCluster.
pub fn delete(state: &mut State, arn: &str) -> Result<ClusterState, AwsError> {
    let name = live(state, arn, "ecs:DeleteCluster")?.name.clone();
    let managed_instances_left = state.capacity_providers.values().any(|p| {
        p.is_managed_instances() && p.cluster.as_deref() == Some(name.as_str()) && !p.is_inactive()
    });
    let cluster = live(state, arn, "ecs:DeleteCluster")?;
    // A cluster with services, tasks or container instances cannot be deleted
    // (ECS API Reference, DeleteCluster, "Errors").
    let blocker = if cluster.active_services_count > 0 {
        Some((
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        ))
    } else if cluster.running_tasks_count + cluster.pending_tasks_count > 0 {
        Some((
            "ClusterContainsTasksException",
            "The Cluster cannot be deleted while Tasks are active.",
        ))
    } else if cluster.registered_container_instances_count > 0 {
        Some((
            "ClusterContainsContainerInstancesException",
            "The Cluster cannot be deleted while Container Instances are active or draining.",
        ))
    } else if managed_instances_left {
        // "You must first delete all capacity providers from the cluster" (ECS API
        // Reference, ClusterContainsCapacityProviderException), as in the emulator.
        Some((
            "ClusterContainsCapacityProviderException",
            "The cluster contains one or more capacity providers that prevent the requested operation.",
        ))
    } else {
        None
    };
    if let Some((code, message)) = blocker {
        return Err(AwsError::new(
            ErrorKind::InUse,
            "ecs:DeleteCluster",
            code,
            message,
        ));
    }
    // Deleted clusters stay describable as INACTIVE for a while (ECS API Reference, DeleteCluster).
    cluster.status = ClusterState::Inactive;
    Ok(cluster.status.clone())
}

pub fn new_cluster(name: &str, tags: Tags) -> EcsCluster {
    EcsCluster {
        arn: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{name}"),
        name: name.to_string(),
        status: ClusterState::Active,
        tags,
        ..Default::default()
    }
}

pub fn by_name_or_arn<'a>(state: &'a mut State, name_or_arn: &str) -> Option<&'a mut EcsCluster> {
    let name = name_or_arn.rsplit('/').next().unwrap_or(name_or_arn);
    state.clusters.get_mut(name)
}

fn check_providers(
    state: &State,
    action: &'static str,
    providers: &[String],
    strategy: &[CapacityProviderStrategyItem],
) -> Result<(), AwsError> {
    // Unknown capacity providers are rejected with InvalidParameterException
    // (ECS API Reference, CreateCluster and PutClusterCapacityProviders, "Errors").
    let known = |p: &str| {
        matches!(p, "FARGATE" | "FARGATE_SPOT")
            || state
                .capacity_providers
                .get(p)
                .is_some_and(|known| known.status == crate::aws::CapacityProviderState::Active)
    };
    let unknown = providers
        .iter()
        .map(String::as_str)
        .chain(strategy.iter().map(|s| s.capacity_provider.as_str()))
        .find(|p| !known(p));
    match unknown {
        Some(p) => Err(AwsError::new(
            ErrorKind::InvalidInput,
            action,
            "InvalidParameterException",
            format!(
                "The specified capacity provider {p} is not in an ACTIVE state. Specify a valid capacity provider and try again."
            ),
        )),
        None => Ok(()),
    }
}

pub fn live<'a>(
    state: &'a mut State,
    arn: &str,
    action: &'static str,
) -> Result<&'a mut EcsCluster, AwsError> {
    by_name_or_arn(state, arn)
        .filter(|c| c.status != ClusterState::Inactive)
        .ok_or_else(|| {
            AwsError::new(
                ErrorKind::NotFound,
                action,
                "ClusterNotFoundException",
                "Cluster not found.",
            )
        })
}

/// PutClusterCapacityProviders: the cluster's Managed Instances providers stay whatever
/// the call lists ("Amazon ECS Managed Instances doesn't support this", ECS API
/// Reference, PutClusterCapacityProviders), as in the emulator.
pub fn put_providers(
    state: &mut State,
    arn: &str,
    providers: &[String],
    strategy: &[CapacityProviderStrategyItem],
) -> Result<(), AwsError> {
    const ACTION: &str = "ecs:PutClusterCapacityProviders";
    check_providers(state, ACTION, providers, strategy)?;
    let name = live(state, arn, ACTION)?.name.clone();
    let mut kept = providers.to_vec();
    kept.extend(
        state
            .capacity_providers
            .values()
            .filter(|p| p.is_managed_instances() && p.cluster.as_deref() == Some(name.as_str()))
            .map(|p| p.name.clone())
            .filter(|p| !providers.contains(p)),
    );
    let cluster = live(state, arn, ACTION)?;
    cluster.capacity_providers = kept;
    cluster.default_capacity_provider_strategy = strategy.to_vec();
    Ok(())
}

/// "The capacity provider must be associated with the cluster to be used in a capacity
/// provider strategy" (ECS API Reference, CapacityProviderStrategyItem): CreateService,
/// UpdateService and RunTask refuse a strategy naming one that is not, as the emulator does.
pub fn check_strategy(
    state: &mut State,
    action: &'static str,
    cluster: &str,
    strategy: &[CapacityProviderStrategyItem],
) -> Result<(), AwsError> {
    let Some(found) = by_name_or_arn(state, cluster) else {
        return Ok(());
    };
    if strategy
        .iter()
        .all(|item| found.capacity_providers.contains(&item.capacity_provider))
    {
        return Ok(());
    }
    Err(AwsError::new(
        ErrorKind::InvalidInput,
        action,
        "InvalidParameterException",
        "The specified capacity provider strategy cannot contain a capacity provider that is not \
         associated with the cluster. Associate the capacity provider with the cluster or specify a \
         valid capacity provider and try again.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(provider: &str) -> CapacityProviderStrategyItem {
        CapacityProviderStrategyItem {
            capacity_provider: provider.into(),
            weight: Some(1),
            base: None,
        }
    }

    #[test]
    fn a_strategy_names_only_providers_of_the_cluster() {
        let mut state = State::default();
        let mut cluster = new_cluster("apps", Tags::new());
        cluster.capacity_providers = vec!["FARGATE".into()];
        state.clusters.insert("apps".into(), cluster);
        assert!(check_strategy(&mut state, "ecs:RunTask", "apps", &[item("FARGATE")]).is_ok());
        let refused = check_strategy(&mut state, "ecs:RunTask", "apps", &[item("FARGATE_SPOT")])
            .expect_err("FARGATE_SPOT is not associated");
        assert_eq!(refused.code, "InvalidParameterException");
        assert!(refused.message.contains("not associated with the cluster"));
    }
}
