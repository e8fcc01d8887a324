//! Which task definition revisions Services use: the revision history and deletion
//! must never take away a revision a Service still wants or runs.

use std::collections::BTreeSet;

use futures::StreamExt;
use kube::api::{DynamicObject, GroupVersionKind};
use kube::error::DiscoveryError;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use serde_json::Value;

use crate::api::GROUP;

const VERSION: &str = "v1alpha1";
const SERVICE_KIND: &str = "Service";

/// Reads Service objects (from the controller's cache, never from AWS).
pub trait RevisionUsers: Send + Sync {
    /// ARNs of revisions that any Service in the cluster wants (its desired revision)
    /// or still runs (in any of its live deployments).
    fn arns_in_use(&self) -> BTreeSet<String>;

    /// Services, as namespace/name, whose spec references the TaskDefinition object
    /// `name` in `namespace`.
    fn referencing(&self, namespace: &str, name: &str) -> Vec<String>;
}

/// Service objects of this operator's API group, read from a watch cache. Until the
/// Service kind is installed in the cluster, nothing can use a revision.
pub struct ServiceObjects {
    store: Option<Store<DynamicObject>>,
}

impl ServiceObjects {
    /// Starts watching Service objects (in `namespace`, or everywhere) if the kind is
    /// served, and waits for the first complete list so no user is missed.
    pub async fn watch(client: Client, namespace: Option<&str>) -> Result<Self, kube::Error> {
        let gvk = GroupVersionKind::gvk(GROUP, VERSION, SERVICE_KIND);
        let resource = match kube::discovery::pinned_kind(&client, &gvk).await {
            Ok((resource, _)) => resource,
            Err(kube::Error::Api(e)) if e.code == 404 => return Ok(Self::absent()),
            Err(kube::Error::Discovery(
                DiscoveryError::MissingKind(_)
                | DiscoveryError::MissingApiGroup(_)
                | DiscoveryError::MissingResource(_),
            )) => return Ok(Self::absent()),
            Err(e) => return Err(e),
        };
        let api: Api<DynamicObject> = match namespace {
            Some(ns) => Api::namespaced_with(client, ns, &resource),
            None => Api::all_with(client, &resource),
        };
        let writer = reflector::store::Writer::new(resource);
        let reader = writer.as_reader();
        let stream = watcher(api, watcher::Config::default())
            .default_backoff()
            .reflect(writer)
            .applied_objects();
        tokio::spawn(stream.for_each(|_| async {}));
        reader
            .wait_until_ready()
            .await
            .map_err(|e| kube::Error::Service(Box::new(e)))?;
        Ok(Self {
            store: Some(reader),
        })
    }

    fn absent() -> Self {
        tracing::info!(
            "the Service kind is not installed: no Service can use a task definition revision"
        );
        Self { store: None }
    }

    fn services(&self) -> Vec<std::sync::Arc<DynamicObject>> {
        self.store.as_ref().map(Store::state).unwrap_or_default()
    }
}

impl RevisionUsers for ServiceObjects {
    fn arns_in_use(&self) -> BTreeSet<String> {
        self.services()
            .iter()
            .flat_map(|service| revisions_of(&service.data))
            .collect()
    }

    fn referencing(&self, namespace: &str, name: &str) -> Vec<String> {
        self.services()
            .iter()
            .filter(|s| s.namespace().as_deref() == Some(namespace))
            .filter(|s| {
                s.data
                    .pointer("/spec/taskDefinitionRef/name")
                    .and_then(Value::as_str)
                    == Some(name)
            })
            .map(|s| format!("Service {namespace}/{}", s.name_any()))
            .collect()
    }
}

/// The desired revision and the revisions of every live deployment, as a Service's status reports them.
fn revisions_of(service: &Value) -> Vec<String> {
    let desired = service
        .pointer("/status/taskDefinitionArn")
        .and_then(Value::as_str)
        .map(str::to_string);
    let deployed = service
        .pointer("/status/deployments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            d.get("taskDefinition")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    desired.into_iter().chain(deployed).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::revisions_of;

    #[test]
    fn a_service_uses_its_desired_revision_and_every_deployed_one() {
        let service = json!({
            "spec": {"taskDefinitionRef": {"name": "web"}},
            "status": {
                "taskDefinitionArn": "arn:td/web:3",
                "deployments": [
                    {"status": "PRIMARY", "taskDefinition": "arn:td/web:3"},
                    {"status": "ACTIVE", "taskDefinition": "arn:td/web:2"}
                ]
            }
        });
        assert_eq!(
            revisions_of(&service),
            ["arn:td/web:3", "arn:td/web:3", "arn:td/web:2"]
        );
    }

    #[test]
    fn a_service_without_status_uses_nothing_yet() {
        assert!(revisions_of(&json!({"spec": {}})).is_empty());
    }
}
