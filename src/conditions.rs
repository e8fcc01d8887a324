//! kstatus conditions (Ready, Reconciling, Stalled) from a reconcile's `Health`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use crate::api::common::condition::{READY, RECONCILING, STALLED};

/// How the object stands after a reconcile, as the conditions will say it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// AWS matches the spec.
    Ready { message: String },
    /// Work is under way; AWS will converge without help.
    Progressing {
        reason: &'static str,
        message: String,
    },
    /// A person must act; the message says what to do.
    Stalled {
        reason: &'static str,
        message: String,
    },
}

/// Reason on Ready=True.
pub const REASON_READY: &str = "Ready";
/// Reason for a spec AWS rejected: retried only when the spec changes.
pub const REASON_INVALID_SPEC: &str = "InvalidSpec";

/// The conditions for `health`. Ready is always present; Reconciling and
/// Stalled only while true, as kstatus expects. A condition whose status did
/// not change keeps its lastTransitionTime.
pub fn conditions(
    health: &Health,
    previous: &[Condition],
    generation: Option<i64>,
    now: &Time,
) -> Vec<Condition> {
    let make = |type_: &str, status: bool, reason: &str, message: &str| {
        let condition = Condition {
            type_: type_.to_string(),
            status: if status { "True" } else { "False" }.to_string(),
            reason: reason.to_string(),
            message: message.to_string(),
            observed_generation: None,
            last_transition_time: now.clone(),
        };
        stamped(condition, previous, generation, now)
    };
    match health {
        Health::Ready { message } => vec![make(READY, true, REASON_READY, message)],
        Health::Progressing { reason, message } => {
            vec![
                make(READY, false, reason, message),
                make(RECONCILING, true, reason, message),
            ]
        }
        Health::Stalled { reason, message } => {
            vec![
                make(READY, false, reason, message),
                make(STALLED, true, reason, message),
            ]
        }
    }
}

/// A condition with the generation it describes and a transition time kept while its
/// status holds: kstatus's, and a kind's own (such as AutoscalingReady).
pub fn stamped(
    mut condition: Condition,
    previous: &[Condition],
    generation: Option<i64>,
    now: &Time,
) -> Condition {
    condition.observed_generation = generation;
    condition.last_transition_time = previous
        .iter()
        .find(|c| c.type_ == condition.type_ && c.status == condition.status)
        .map(|c| c.last_transition_time.clone())
        .unwrap_or_else(|| now.clone());
    condition
}

/// Whether the condition is one of kstatus's, which `conditions` computes.
pub fn is_kstatus(condition: &Condition) -> bool {
    [READY, RECONCILING, STALLED].contains(&condition.type_.as_str())
}

/// The Stalled condition's message when the object is stalled on an invalid
/// spec of its current generation: the reconciler must not call AWS again.
pub fn stalled_on_current_spec(conditions: &[Condition], generation: Option<i64>) -> Option<&str> {
    conditions
        .iter()
        .find(|c| c.type_ == STALLED && c.status == "True" && c.reason == REASON_INVALID_SPEC)
        .filter(|c| c.observed_generation.is_some() && c.observed_generation == generation)
        .map(|c| c.message.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Time {
        Time(k8s_openapi::jiff::Timestamp::from_second(seconds).unwrap())
    }

    #[test]
    fn ready_object_has_only_a_true_ready_condition() {
        let c = conditions(
            &Health::Ready {
                message: "ok".into(),
            },
            &[],
            Some(3),
            &at(10),
        );
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].type_.as_str(), c[0].status.as_str()), (READY, "True"));
        assert_eq!(c[0].observed_generation, Some(3));
    }

    #[test]
    fn stalled_object_is_not_ready_and_says_why() {
        let health = Health::Stalled {
            reason: "NameConflict",
            message: "taken".into(),
        };
        let c = conditions(&health, &[], Some(1), &at(10));
        let types: Vec<_> = c
            .iter()
            .map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_str()))
            .collect();
        assert_eq!(
            types,
            [
                (READY, "False", "NameConflict"),
                (STALLED, "True", "NameConflict")
            ]
        );
    }

    #[test]
    fn unchanged_status_keeps_its_transition_time() {
        let first = conditions(
            &Health::Ready {
                message: "ok".into(),
            },
            &[],
            Some(1),
            &at(10),
        );
        let again = conditions(
            &Health::Ready {
                message: "ok".into(),
            },
            &first,
            Some(2),
            &at(99),
        );
        assert_eq!(again[0].last_transition_time, at(10));
        let progressing = Health::Progressing {
            reason: "Updating",
            message: "m".into(),
        };
        let changed = conditions(&progressing, &again, Some(3), &at(120));
        assert_eq!(changed[0].last_transition_time, at(120));
    }

    #[test]
    fn invalid_spec_blocks_retries_only_for_its_generation() {
        let health = Health::Stalled {
            reason: REASON_INVALID_SPEC,
            message: "bad".into(),
        };
        let c = conditions(&health, &[], Some(4), &at(1));
        assert_eq!(stalled_on_current_spec(&c, Some(4)), Some("bad"));
        assert_eq!(stalled_on_current_spec(&c, Some(5)), None);
    }
}
