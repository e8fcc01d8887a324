//! What the controller machinery needs to know about a kind.

use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::task::AttemptStatus;
use crate::telemetry::rollouts::RolloutPhase;

/// A kind the operator reconciles.
pub trait Managed:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + DeserializeOwned
    + Serialize
    + Send
    + Sync
    + 'static
{
    type Status: Serialize + Clone + Default + PartialEq + Send + Sync;

    /// Lower-case kind name for logs.
    const LABEL: &'static str;

    fn current_status(&self) -> Option<&Self::Status>;

    /// The fields every status shares: conditions, observedGeneration and region.
    fn shared_fields(
        status: &mut Self::Status,
    ) -> (&mut Vec<Condition>, &mut Option<i64>, &mut Option<String>);

    /// Where the object's staged rollout stands, for the metrics; most kinds have none.
    fn rollout_phase(_status: &Self::Status) -> Option<RolloutPhase> {
        None
    }

    /// The task runs status shows (attempts, scheduled runs, a pre-deploy task), for
    /// the metrics; most kinds run none.
    fn task_runs(_status: &Self::Status) -> Vec<&AttemptStatus> {
        Vec::new()
    }
}

/// The object's identity for logs: namespace/name.
pub fn key<K: Managed>(object: &K) -> String {
    format!(
        "{}/{}",
        object.namespace().unwrap_or_default(),
        object.name_any()
    )
}
