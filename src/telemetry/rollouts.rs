//! What the operator's rollouts and Events look like from outside: staged rollouts in
//! flight by strategy, stage and phase, and Events by reason (Promoted, RollbackApproved,
//! RolloutAborted and ApprovalRefused count the approvals). Label values come from fixed
//! vocabularies: anything else ECS reports is counted as "other".

use std::collections::HashMap;
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use crate::aws::LIFECYCLE_STAGES;
use crate::sync::Lock;

/// Where one staged rollout stands, in label values from fixed sets.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RolloutPhase {
    /// BLUE_GREEN, LINEAR, CANARY or other.
    pub strategy: &'static str,
    /// ECS's lifecycle stage, or other.
    pub stage: &'static str,
    /// The Ready condition's reason: RolloutPaused, RolloutBaking, ShiftingTraffic,
    /// RolloutInProgress, or other.
    pub phase: &'static str,
}

impl RolloutPhase {
    const STRATEGIES: [&'static str; 3] = ["BLUE_GREEN", "LINEAR", "CANARY"];
    const PHASES: [&'static str; 4] = [
        "RolloutPaused",
        "RolloutBaking",
        "ShiftingTraffic",
        "RolloutInProgress",
    ];

    /// The labels for what status shows, each mapped onto its fixed set.
    pub fn new(strategy: Option<&str>, stage: Option<&str>, phase: &str) -> Self {
        Self {
            strategy: fixed(strategy, &Self::STRATEGIES),
            stage: fixed(stage, &LIFECYCLE_STAGES),
            phase: fixed(Some(phase), &Self::PHASES),
        }
    }
}

fn fixed(value: Option<&str>, known: &[&'static str]) -> &'static str {
    value
        .and_then(|v| known.iter().find(|k| **k == v).copied())
        .unwrap_or("other")
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct EventLabels {
    controller: &'static str,
    reason: &'static str,
    r#type: &'static str,
}

#[derive(Default)]
pub(super) struct RolloutMetrics {
    pub(super) in_flight: Family<RolloutPhase, Gauge>,
    pub(super) events: Family<EventLabels, Counter>,
    /// The phase last counted for each object, so a change moves it between series.
    phases: Mutex<HashMap<(&'static str, String), RolloutPhase>>,
}

impl RolloutMetrics {
    pub(super) fn set(&self, kind: &'static str, key: &str, phase: Option<RolloutPhase>) {
        let mut phases = self.phases.locked();
        let previous = match phase {
            Some(phase) => phases.insert((kind, key.to_string()), phase),
            None => phases.remove(&(kind, key.to_string())),
        };
        if previous == phase {
            return;
        }
        if let Some(previous) = previous {
            self.in_flight.get_or_create(&previous).dec();
        }
        if let Some(phase) = phase {
            self.in_flight.get_or_create(&phase).inc();
        }
    }

    pub(super) fn event(&self, controller: &'static str, reason: &'static str, warning: bool) {
        let r#type = if warning { "Warning" } else { "Normal" };
        self.events
            .get_or_create(&EventLabels {
                controller,
                reason,
                r#type,
            })
            .inc();
    }
}
