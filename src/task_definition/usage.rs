//! Which task definition revisions Services use: the revision history and deletion
//! must never take away a revision a Service still wants or runs.

use std::collections::BTreeSet;

use kube::ResourceExt;
use kube::runtime::reflector::Store;

use crate::api::{Service, ServiceStatus};

/// Reads Service objects (from the controller's cache, never from AWS).
pub trait RevisionUsers: Send + Sync {
    /// ARNs of revisions that any Service in the cluster wants (its desired revision)
    /// or still runs (in any of its live deployments).
    fn arns_in_use(&self) -> BTreeSet<String>;

    /// Services, as namespace/name, whose spec references the TaskDefinition object
    /// `name` in `namespace`.
    fn referencing(&self, namespace: &str, name: &str) -> Vec<String>;
}

/// Service objects, read from the Service controller's watch cache.
pub struct ServiceObjects {
    store: Store<Service>,
}

impl ServiceObjects {
    pub fn new(store: Store<Service>) -> Self {
        Self { store }
    }

    /// Waits for the first complete list of Services, so no user is missed.
    pub async fn wait_until_ready(&self) {
        if self.store.wait_until_ready().await.is_err() {
            tracing::warn!("the Service cache closed before its first list");
        }
    }

    /// Services, as namespace/name, whose spec.clusterRef names the Cluster object.
    pub fn referencing_cluster(&self, namespace: &str, name: &str) -> Vec<String> {
        self.matching(namespace, |s| s.cluster_ref_name() == Some(name))
    }

    fn matching(&self, namespace: &str, wanted: impl Fn(&Service) -> bool) -> Vec<String> {
        self.store
            .state()
            .iter()
            .filter(|s| s.namespace().as_deref() == Some(namespace) && wanted(s))
            .map(|s| format!("Service {namespace}/{}", s.name_any()))
            .collect()
    }
}

impl RevisionUsers for ServiceObjects {
    fn arns_in_use(&self) -> BTreeSet<String> {
        self.store
            .state()
            .iter()
            .flat_map(|service| revisions_of(service.status.as_ref()))
            .collect()
    }

    fn referencing(&self, namespace: &str, name: &str) -> Vec<String> {
        self.matching(namespace, |s| s.task_definition_ref_name() == Some(name))
    }
}

/// The desired revision and the revisions of every live deployment, as a Service's status reports them.
fn revisions_of(status: Option<&ServiceStatus>) -> Vec<String> {
    let Some(status) = status else {
        return Vec::new();
    };
    status
        .task_definition_arn
        .iter()
        .cloned()
        .chain(status.deployments.iter().map(|d| d.task_definition.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::revisions_of;
    use crate::api::ServiceStatus;
    use crate::api::service::DeploymentStatus;

    #[test]
    fn a_service_uses_its_desired_revision_and_every_deployed_one() {
        let deployment = |status: &str, arn: &str| DeploymentStatus {
            status: status.into(),
            task_definition: arn.into(),
            ..Default::default()
        };
        let status = ServiceStatus {
            task_definition_arn: Some("arn:td/web:3".into()),
            deployments: vec![
                deployment("PRIMARY", "arn:td/web:3"),
                deployment("ACTIVE", "arn:td/web:2"),
            ],
            ..Default::default()
        };
        assert_eq!(
            revisions_of(Some(&status)),
            ["arn:td/web:3", "arn:td/web:3", "arn:td/web:2"]
        );
    }

    #[test]
    fn a_service_without_status_uses_nothing_yet() {
        assert!(revisions_of(None).is_empty());
    }
}
