//! A Cluster's capacityProviderRefs: CapacityProvider objects of its namespace, used by
//! the ECS names their status reports once ECS has them ACTIVE.

use std::collections::BTreeMap;

use kube::ResourceExt;

use crate::api::Cluster;
use crate::controller::Index;
use crate::service::references::active_name;

/// The reason a Cluster reports while a referenced CapacityProvider is not usable yet.
pub const WAITING_FOR_CAPACITY_PROVIDER: &str = "WaitingForCapacityProvider";

/// The ECS name of each referenced provider, by object name; a message saying which
/// one the Cluster waits for while one is missing or not ACTIVE yet. A provider being
/// updated stays usable: only one ECS does not have ACTIVE is waited for.
pub fn resolve(cluster: &Cluster, index: &dyn Index) -> Result<BTreeMap<String, String>, String> {
    let namespace = cluster.namespace().unwrap_or_default();
    let mut names = BTreeMap::new();
    for reference in &cluster.spec.capacity_provider_refs {
        let waiting = |why: &str| {
            format!(
                "waiting for CapacityProvider {namespace}/{}: {why}",
                reference.name
            )
        };
        let provider = index
            .capacity_provider(&namespace, &reference.name)
            .ok_or_else(|| waiting("it does not exist"))?;
        let name =
            active_name(&provider).ok_or_else(|| waiting("ECS does not report it ACTIVE yet"))?;
        names.insert(reference.name.clone(), name);
    }
    Ok(names)
}
