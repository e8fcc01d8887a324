//! Resolving a Service's cluster and task definition, from its spec and the Cluster and
//! TaskDefinition objects it names.

use kube::ResourceExt;

use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::common::condition::READY;
use crate::api::service::LocalReference;
use crate::api::{CapacityProvider, Service};
use crate::aws::CapacityProviderState;
use crate::controller::Index;

/// Where the service runs and what it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Targets {
    /// Cluster name or ARN.
    pub cluster: String,
    /// Task definition ARN or family:revision.
    pub task_definition: String,
}

/// Why the references cannot be resolved yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub reason: &'static str,
    pub message: String,
}

/// Why the references cannot be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// A referenced object is missing or not Ready yet; its watch wakes the Service.
    Waiting(Waiting),
    /// The spec names neither form of a reference. The CRD refuses that on write, but an
    /// object stored before its rules held (an older CRD, or one installed without them)
    /// still reaches the operator. The message says what to fix.
    Invalid(String),
}

impl From<Waiting> for Unresolved {
    fn from(waiting: Waiting) -> Self {
        Self::Waiting(waiting)
    }
}

fn neither(reference: &str, name: &str, what: &str) -> Unresolved {
    Unresolved::Invalid(format!(
        "spec sets neither {reference} nor {name}: set exactly one ({what})"
    ))
}

pub const WAITING_FOR_CLUSTER: &str = "WaitingForCluster";
pub const WAITING_FOR_CAPACITY_PROVIDER: &str = "WaitingForCapacityProvider";
pub const WAITING_FOR_TASK_DEFINITION: &str = "WaitingForTaskDefinition";

pub fn resolve(service: &Service, objects: &dyn Index) -> Result<Targets, Unresolved> {
    Ok(Targets {
        cluster: cluster(service, objects)?,
        task_definition: task_definition(service, objects)?,
    })
}

/// The cluster alone, for deleting a service whose task definition is gone.
pub fn cluster(service: &Service, objects: &dyn Index) -> Result<String, Unresolved> {
    let spec = &service.spec;
    cluster_of(
        &service.namespace().unwrap_or_default(),
        spec.cluster_ref.as_ref(),
        spec.cluster.as_ref(),
        objects,
    )
}

fn task_definition(service: &Service, objects: &dyn Index) -> Result<String, Unresolved> {
    let spec = &service.spec;
    task_definition_of(
        &service.namespace().unwrap_or_default(),
        spec.task_definition_ref.as_ref(),
        spec.task_definition.as_ref(),
        objects,
    )
}

/// The cluster ARN of the Ready Cluster object `reference` names in `namespace`, else the
/// ECS cluster `name` as given.
pub fn cluster_of(
    namespace: &str,
    reference: Option<&LocalReference>,
    name: Option<&String>,
    objects: &dyn Index,
) -> Result<String, Unresolved> {
    match (reference, name) {
        (Some(reference), _) => {
            let waiting = |why: String| Waiting {
                reason: WAITING_FOR_CLUSTER,
                message: format!("waiting for Cluster {namespace}/{}: {why}", reference.name),
            };
            let cluster = objects
                .cluster(namespace, &reference.name)
                .ok_or_else(|| waiting("it does not exist".into()))?;
            let status = cluster.status.as_ref();
            if !is_ready(cluster.as_ref(), status.map(|s| s.conditions.as_slice())) {
                return Err(waiting("it is not Ready".into()).into());
            }
            Ok(status
                .and_then(|s| s.arn.clone())
                .ok_or_else(|| waiting("its status has no ARN yet".into()))?)
        }
        (None, Some(name)) => Ok(name.clone()),
        (None, None) => Err(neither(
            "spec.clusterRef",
            "spec.cluster",
            "a Cluster object, or an ECS cluster name or ARN",
        )),
    }
}

/// The latest revision ARN of the Ready TaskDefinition object `reference` names in
/// `namespace`, else the task definition `name` as given.
pub fn task_definition_of(
    namespace: &str,
    reference: Option<&LocalReference>,
    name: Option<&String>,
    objects: &dyn Index,
) -> Result<String, Unresolved> {
    match (reference, name) {
        (Some(reference), _) => {
            let waiting = |why: String| Waiting {
                reason: WAITING_FOR_TASK_DEFINITION,
                message: format!(
                    "waiting for TaskDefinition {namespace}/{}: {why}",
                    reference.name
                ),
            };
            let td = objects
                .task_definition(namespace, &reference.name)
                .ok_or_else(|| waiting("it does not exist".into()))?;
            let status = td.status.as_ref();
            if !is_ready(td.as_ref(), status.map(|s| s.conditions.as_slice())) {
                return Err(waiting(
                    "it is not Ready (its latest spec is not registered yet)".into(),
                )
                .into());
            }
            Ok(status
                .and_then(|s| s.arn.clone())
                .ok_or_else(|| waiting("its status has no revision ARN yet".into()))?)
        }
        (None, Some(name)) => Ok(name.clone()),
        (None, None) => Err(neither(
            "spec.taskDefinitionRef",
            "spec.taskDefinition",
            "a TaskDefinition object, or family:revision or an ARN",
        )),
    }
}

/// Ready for the object's current generation: an older Ready describes an older spec.
pub(crate) fn is_ready<K: ResourceExt>(
    object: &K,
    conditions: Option<&[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition]>,
) -> bool {
    conditions.unwrap_or_default().iter().any(|c| {
        c.type_ == READY && c.status == "True" && c.observed_generation == object.meta().generation
    })
}

/// The strategy with each entry that names a CapacityProvider object of `namespace`
/// replaced by the ECS name that object's status reports; waiting while ECS does not
/// have one ACTIVE. Other entries (FARGATE, providers made elsewhere) stay as written.
pub fn strategy_of(
    namespace: &str,
    items: &[CapacityProviderStrategyItem],
    objects: &dyn Index,
) -> Result<Vec<CapacityProviderStrategyItem>, Waiting> {
    items
        .iter()
        .map(|item| {
            let Some(provider) = objects.capacity_provider(namespace, &item.capacity_provider)
            else {
                return Ok(item.clone());
            };
            let name = active_name(&provider).ok_or_else(|| Waiting {
                    reason: WAITING_FOR_CAPACITY_PROVIDER,
                    message: format!(
                        "waiting for CapacityProvider {namespace}/{}: ECS does not report it ACTIVE yet",
                        item.capacity_provider
                    ),
                })?;
            Ok(CapacityProviderStrategyItem {
                capacity_provider: name,
                ..item.clone()
            })
        })
        .collect()
}

/// The ECS name of the object's provider, once its status says ECS has it ACTIVE: what
/// a Cluster or Service naming the object may then use.
pub fn active_name(provider: &CapacityProvider) -> Option<String> {
    let status = provider.status.as_ref()?;
    let state = CapacityProviderState::from(status.status.as_deref()?);
    (state == CapacityProviderState::Active)
        .then(|| status.name.clone())
        .flatten()
}
