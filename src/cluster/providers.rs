//! A Cluster's capacityProviderRefs: CapacityProvider objects of its namespace, used by
//! the ECS names their status reports once ECS has them ACTIVE.

use std::collections::BTreeMap;

use kube::ResourceExt;

use crate::api::Cluster;
use crate::controller::Index;
use crate::service::references::active_name;

/// The reason a Cluster reports while a referenced CapacityProvider is not usable yet.
pub const WAITING_FOR_CAPACITY_PROVIDER: &str = "WaitingForCapacityProvider";

/// Why the referenced providers cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// One is missing or not ACTIVE yet; the message says which.
    Waiting(String),
    /// One is a Managed Instances provider created in this very Cluster: it would wait
    /// for the Cluster while the Cluster waits for it. The message says what to fix.
    Circular(String),
}

/// The ECS name of each referenced provider, by object name. A provider being updated
/// stays usable: only one ECS does not have ACTIVE is waited for.
pub fn resolve(cluster: &Cluster, index: &dyn Index) -> Result<BTreeMap<String, String>, Unusable> {
    let namespace = cluster.namespace().unwrap_or_default();
    let mut names = BTreeMap::new();
    for reference in &cluster.spec.capacity_provider_refs {
        let waiting = |why: &str| {
            Unusable::Waiting(format!(
                "waiting for CapacityProvider {namespace}/{}: {why}",
                reference.name
            ))
        };
        let provider = index
            .capacity_provider(&namespace, &reference.name)
            .ok_or_else(|| waiting("it does not exist"))?;
        if provider.cluster_ref_name() == Some(cluster.name_any().as_str()) {
            return Err(Unusable::Circular(format!(
                "spec.capacityProviderRefs names CapacityProvider {namespace}/{}, a Managed Instances \
                 provider created in this cluster: it joins the cluster by itself and waits for it to be \
                 Ready; remove it from capacityProviderRefs",
                reference.name
            )));
        }
        let name =
            active_name(&provider).ok_or_else(|| waiting("ECS does not report it ACTIVE yet"))?;
        names.insert(reference.name.clone(), name);
    }
    Ok(names)
}
