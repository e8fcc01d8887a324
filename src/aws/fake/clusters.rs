//! Clusters in the fake ECS.

use super::{ACCOUNT, FakeEcs, REGION, State};
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::aws::{AwsError, ClusterState, CreateCluster, EcsCluster, ErrorKind, Tags};
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
    check_providers("ecs:CreateCluster", &providers, &strategy)?;
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

pub fn check_providers(
    action: &'static str,
    providers: &[String],
    strategy: &[CapacityProviderStrategyItem],
) -> Result<(), AwsError> {
    // Unknown capacity providers are rejected with InvalidParameterException
    // (ECS API Reference, CreateCluster and PutClusterCapacityProviders, "Errors").
    let known = |p: &str| matches!(p, "FARGATE" | "FARGATE_SPOT");
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
