//! Spec and status pieces every kind shares.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A time as the API server stores it: whole seconds. Comparing a finer AWS time with
/// the stored one would see a change at every resync and write status for nothing.
pub fn whole_seconds(time: Timestamp) -> Time {
    Time(Timestamp::from_second(time.as_second()).unwrap_or(time))
}

/// What happens in AWS when the Kubernetes object is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    /// Delete the AWS resource, then let the object go.
    #[default]
    Delete,
    /// Leave the AWS resource as it is; only the Kubernetes object goes.
    Retain,
}

/// What to do when an AWS resource with the same name exists but this object did not create it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum AdoptionPolicy {
    /// Refuse: the object is Stalled with reason NameConflict and nothing in AWS changes.
    #[default]
    Never,
    /// Take the resource over: tag it as owned by this object and manage it from now on.
    /// Only where a TenantPolicy allows adoption for the namespace (else Stalled
    /// AdoptionNotAllowed), and never a resource
    /// tagged for an object of another namespace or for one that still exists (Stalled
    /// OwnedElsewhere).
    Adopt,
}

/// Condition types, following kstatus.
pub mod condition {
    /// The AWS resource matches the spec.
    pub const READY: &str = "Ready";
    /// The operator is still working towards the spec.
    pub const RECONCILING: &str = "Reconciling";
    /// Progress needs a person: the message says what to fix.
    pub const STALLED: &str = "Stalled";

    /// The conditions a kind sets itself (Complete, LastRunFailed, ...): all but
    /// kstatus's three, which the driver writes.
    pub fn own(
        conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
    ) -> Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
        conditions
            .iter()
            .filter(|c| ![READY, RECONCILING, STALLED].contains(&c.type_.as_str()))
            .cloned()
            .collect()
    }
}

/// Schema of a conditions list: a map keyed by `type`, so server-side apply merges per condition.
pub fn conditions_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut schema = generator.subschema_for::<Vec<Condition>>();
    schema.insert("x-kubernetes-list-type".into(), "map".into());
    // The operator sets a handful of condition types; the bound keeps CEL costs known.
    schema.insert("maxItems".into(), 16.into());
    schema.insert(
        "x-kubernetes-list-map-keys".into(),
        serde_json::json!(["type"]),
    );
    schema
}
