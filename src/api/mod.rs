//! The custom resource types and what they share.

pub mod cluster;
pub mod common;
pub mod service;
pub mod task_definition;
pub mod tenant_policy;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

pub use cluster::{Cluster, ClusterSpec, ClusterStatus};
pub use common::{AdoptionPolicy, DeletionPolicy};
pub use service::{Service, ServiceSpec, ServiceStatus};
pub use task_definition::{TaskDefinition, TaskDefinitionSpec, TaskDefinitionStatus};
pub use tenant_policy::{TenantPolicy, TenantPolicySpec};

/// API group of every kind this operator serves.
pub const GROUP: &str = "ecs.operator.dev";
/// Finalizer that holds an object until its AWS resource is cleaned up.
pub const FINALIZER: &str = "ecs.operator.dev/finalizer";
/// Field manager for server-side apply, and the Event reporter.
pub const MANAGER: &str = "ecs-operator";

/// Every CRD, in the order `ecs-operator crds` prints them.
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![
        Cluster::crd(),
        TaskDefinition::crd(),
        Service::crd(),
        TenantPolicy::crd(),
    ]
}

/// The CRDs as one multi-document YAML stream, as committed in `crds/`.
pub fn crds_yaml() -> Result<String, serde_saphyr::SerializeError> {
    let mut out = String::new();
    for crd in crds() {
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(&crd)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    /// `crds/` is generated from these types; this fails when someone changes one without the other.
    #[test]
    fn committed_crds_match_the_rust_types() {
        let committed = include_str!("../../crds/ecs.operator.dev_crds.yaml");
        let generated = super::crds_yaml().expect("CRDs serialise");
        assert!(
            committed == generated,
            "crds/ecs.operator.dev_crds.yaml is stale: run `make crds` and commit the result"
        );
    }

    /// Helm cannot read files outside the chart, so the chart carries a copy of `crds/`.
    #[test]
    fn the_charts_crds_are_the_generated_crds() {
        let in_chart = include_str!("../../charts/ecs-operator/files/crds.yaml");
        let generated = super::crds_yaml().expect("CRDs serialise");
        assert!(
            in_chart == generated,
            "charts/ecs-operator/files/crds.yaml differs from the Rust types: run `make crds` and commit the result"
        );
    }
}
