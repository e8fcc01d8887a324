//! Status composition: the kind's own fields plus the conditions, observedGeneration
//! and region every kind shares. Pure, so tests apply it exactly as the driver does.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::kind::Managed;
use crate::conditions::{conditions, is_kstatus, stamped};
use crate::reconcile::Health;

/// The status to write after a reconcile: the kind's fields plus conditions,
/// observedGeneration and region. Pure, so tests apply it exactly as the controller does.
pub fn next_status<K: Managed>(
    object: &K,
    mut status: K::Status,
    health: &Health,
    region: &str,
    now: &Time,
) -> K::Status {
    let mut previous = object.current_status().cloned().unwrap_or_default();
    let (previous_conditions, _, _) = K::shared_fields(&mut previous);
    let generation = object.meta().generation;
    let next = conditions(health, previous_conditions, generation, now);
    let (conditions, observed_generation, status_region) = K::shared_fields(&mut status);
    let own: Vec<Condition> = conditions.drain(..).filter(|c| !is_kstatus(c)).collect();
    *conditions = next;
    conditions.extend(
        own.into_iter()
            .map(|c| stamped(c, previous_conditions, generation, now)),
    );
    *observed_generation = generation;
    *status_region = Some(region.to_string());
    status
}
