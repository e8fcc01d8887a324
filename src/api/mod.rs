//! The custom resource types and what they share.

mod bounds;
pub mod capacity_provider;
pub mod cluster;
pub mod common;
pub mod rollout_approval;
pub mod scheduled_task;
pub mod service;
pub mod task;
pub mod task_definition;
pub mod tenant_policy;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

pub use capacity_provider::{CapacityProvider, CapacityProviderSpec, CapacityProviderStatus};
pub use cluster::{Cluster, ClusterSpec, ClusterStatus};
pub use common::{AdoptionPolicy, DeletionPolicy};
pub use rollout_approval::{RolloutApproval, RolloutApprovalSpec};
pub use scheduled_task::{ScheduledTask, ScheduledTaskSpec, ScheduledTaskStatus};
pub use service::{Service, ServiceSpec, ServiceStatus};
pub use task::{Task, TaskSpec, TaskStatus};
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
    let mut crds = vec![
        Cluster::crd(),
        CapacityProvider::crd(),
        TaskDefinition::crd(),
        Service::crd(),
        {
            let mut task = Task::crd();
            task::immutable_spec(&mut task);
            task
        },
        ScheduledTask::crd(),
        TenantPolicy::crd(),
        RolloutApproval::crd(),
    ];
    crds.iter_mut().for_each(bounds::bound_integers);
    crds
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
mod coverage_tests;

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

    /// `kubectl explain` and CEL messages send users to operator flags: each one named
    /// there must be a flag of `ecs-operator run`.
    #[test]
    fn every_flag_named_in_the_crds_exists() {
        use clap::CommandFactory;

        let cli = crate::cli::Cli::command();
        let run = cli.find_subcommand("run").expect("the run subcommand");
        let flags: Vec<&str> = run.get_arguments().filter_map(|a| a.get_long()).collect();
        let schemas: Vec<serde_json::Value> = super::crds()
            .iter()
            .map(|crd| serde_json::to_value(crd).expect("a CRD serialises"))
            .collect();
        let mut named = Vec::new();
        schemas.iter().for_each(|json| prose_in(json, &mut named));
        let flags_named: Vec<String> = named.iter().flat_map(|text| flags_in(text)).collect();
        assert!(
            flags_named.iter().any(|f| f == "default-region"),
            "the scan found no flag at all: {flags_named:?}"
        );
        let unknown: Vec<&String> = flags_named
            .iter()
            .filter(|f| !flags.contains(&f.as_str()))
            .collect();
        assert!(
            unknown.is_empty(),
            "CRD documentation names flags `ecs-operator run` does not have: {unknown:?} (it has {flags:?})"
        );
    }

    /// Every description and validation message in a schema.
    fn prose_in<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, member) in map {
                    match (key.as_str(), member) {
                        ("description" | "message", serde_json::Value::String(text)) => {
                            out.push(text)
                        }
                        _ => prose_in(member, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| prose_in(i, out)),
            _ => {}
        }
    }

    /// The `--flag` words of a text, without the dashes.
    fn flags_in(text: &str) -> Vec<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter_map(|word| word.strip_prefix("--"))
            .map(|flag| flag.trim_end_matches('-').to_string())
            .filter(|flag| flag.starts_with(|c: char| c.is_ascii_lowercase()))
            .collect()
    }

    #[test]
    fn flag_words_are_found_in_prose() {
        assert_eq!(
            flags_in("the operator's --default-region; (--allowed-regions). a--b -- x"),
            ["default-region", "allowed-regions"]
        );
    }
}
