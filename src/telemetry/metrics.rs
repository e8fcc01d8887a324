//! Prometheus metrics in OpenMetrics text. The reconcile metrics keep
//! controller-runtime's names so existing dashboards work. Every label value comes
//! from a fixed set (kinds, results, SDK operation names, error categories): never
//! error text or object names.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use super::rollouts::{RolloutMetrics, RolloutPhase};
use super::task_runs::{self, TaskRunLabels};
use crate::api::task::AttemptStatus;
use crate::sync::Lock;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReconcileLabels {
    controller: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ControllerLabels {
    controller: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AwsCallLabels {
    service: &'static str,
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AwsOperationLabels {
    service: &'static str,
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionGroupLabels {
    group: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ObjectLabels {
    kind: &'static str,
    ready: &'static str,
}

/// Every metric: its registered name (counters gain `_total` on /metrics), type and help.
const DESCRIBED: [(&str, &str, &str); 14] = [
    (
        "controller_runtime_reconcile",
        "counter",
        "Reconciles by controller and result (success or error)",
    ),
    (
        "controller_runtime_reconcile_errors",
        "counter",
        "Reconciles that returned an error, by controller",
    ),
    (
        "controller_runtime_reconcile_time_seconds",
        "histogram",
        "Time one reconcile took, by controller",
    ),
    (
        "ecs_operator_reconcile_panics",
        "counter",
        "Reconciles that panicked (a bug: the object is Stalled InternalError), by controller",
    ),
    (
        "ecs_operator_aws_api_calls",
        "counter",
        "AWS API calls (each attempt) by service, operation and outcome (success, throttled, transient, access_denied, invalid_input, not_found, in_use)",
    ),
    (
        "ecs_operator_aws_api_throttled",
        "counter",
        "AWS API calls AWS answered with a throttling error",
    ),
    (
        "ecs_operator_aws_rate_limit_waits",
        "counter",
        "AWS calls the client-side rate limiter held back, by action group",
    ),
    (
        "ecs_operator_aws_rate_limit_wait_seconds",
        "counter",
        "Time AWS calls spent waiting for the client-side rate limiter, by action group (a write booked for a later turn counts the time until its turn)",
    ),
    (
        "ecs_operator_leader",
        "gauge",
        "1 while this process holds the leader lease (or runs without leader election)",
    ),
    (
        "ecs_operator_aws_regions",
        "gauge",
        "Regions the operator serves, each with its AWS clients (set at start-up: objects naming other regions never add one)",
    ),
    (
        "ecs_operator_objects",
        "gauge",
        "Objects this process reconciles, by kind and Ready condition status (True, False, Unknown)",
    ),
    (
        "ecs_operator_rollouts_in_flight",
        "gauge",
        "Services whose BLUE_GREEN, LINEAR or CANARY deployment is in flight, by strategy, lifecycle stage and phase (RolloutPaused, RolloutBaking, ShiftingTraffic, RolloutInProgress)",
    ),
    (
        "ecs_operator_task_runs",
        "counter",
        "Finished runs of Tasks (each attempt), ScheduledTasks and Service pre-deploy tasks, by controller, result (succeeded, failed) and ECS stop code (of the first failed task; none, or other for a code ECS did not document)",
    ),
    (
        "ecs_operator_events",
        "counter",
        "Kubernetes Events the operator recorded, by controller, reason and type (Promoted, RollbackApproved, RolloutAborted and ApprovalRefused count RolloutApprovals acted on)",
    ),
];

/// The help text of a metric `DESCRIBED` lists.
fn about(name: &str) -> &'static str {
    DESCRIBED
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or("", |(_, _, help)| *help)
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn reconcile_time_histogram() -> Histogram {
    // 5 ms to about 80 s: an idle describe is milliseconds, a throttled create can take a minute.
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    reconciles: Family<ReconcileLabels, Counter>,
    reconcile_errors: Family<ControllerLabels, Counter>,
    reconcile_time: HistogramFamily<ControllerLabels>,
    reconcile_panics: Family<ControllerLabels, Counter>,
    aws_calls: Family<AwsCallLabels, Counter>,
    aws_throttled: Family<AwsOperationLabels, Counter>,
    rate_limit_waits: Family<ActionGroupLabels, Counter>,
    rate_limit_wait_seconds: Family<ActionGroupLabels, Counter<f64, AtomicU64>>,
    leader: Gauge,
    aws_regions: Gauge,
    objects: Family<ObjectLabels, Gauge>,
    /// The Ready state last counted for each object, so a change moves it between series.
    object_states: Mutex<HashMap<(&'static str, String), &'static str>>,
    rollouts: RolloutMetrics,
    task_runs: Family<TaskRunLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let reconciles = Family::<ReconcileLabels, Counter>::default();
        let reconcile_errors = Family::<ControllerLabels, Counter>::default();
        let reconcile_time: HistogramFamily<ControllerLabels> =
            Family::new_with_constructor(reconcile_time_histogram);
        let reconcile_panics = Family::<ControllerLabels, Counter>::default();
        let aws_calls = Family::<AwsCallLabels, Counter>::default();
        let aws_throttled = Family::<AwsOperationLabels, Counter>::default();
        let rate_limit_waits = Family::<ActionGroupLabels, Counter>::default();
        let rate_limit_wait_seconds =
            Family::<ActionGroupLabels, Counter<f64, AtomicU64>>::default();
        let leader = Gauge::default();
        let aws_regions = Gauge::default();
        let objects = Family::<ObjectLabels, Gauge>::default();
        // Counter names get their _total suffix when encoded.
        registry.register(
            "controller_runtime_reconcile",
            about("controller_runtime_reconcile"),
            reconciles.clone(),
        );
        registry.register(
            "controller_runtime_reconcile_errors",
            about("controller_runtime_reconcile_errors"),
            reconcile_errors.clone(),
        );
        registry.register(
            "controller_runtime_reconcile_time_seconds",
            about("controller_runtime_reconcile_time_seconds"),
            reconcile_time.clone(),
        );
        registry.register(
            "ecs_operator_reconcile_panics",
            about("ecs_operator_reconcile_panics"),
            reconcile_panics.clone(),
        );
        registry.register(
            "ecs_operator_aws_api_calls",
            about("ecs_operator_aws_api_calls"),
            aws_calls.clone(),
        );
        registry.register(
            "ecs_operator_aws_api_throttled",
            about("ecs_operator_aws_api_throttled"),
            aws_throttled.clone(),
        );
        registry.register(
            "ecs_operator_aws_rate_limit_waits",
            about("ecs_operator_aws_rate_limit_waits"),
            rate_limit_waits.clone(),
        );
        registry.register(
            "ecs_operator_aws_rate_limit_wait_seconds",
            about("ecs_operator_aws_rate_limit_wait_seconds"),
            rate_limit_wait_seconds.clone(),
        );
        registry.register(
            "ecs_operator_leader",
            about("ecs_operator_leader"),
            leader.clone(),
        );
        registry.register(
            "ecs_operator_aws_regions",
            about("ecs_operator_aws_regions"),
            aws_regions.clone(),
        );
        registry.register(
            "ecs_operator_objects",
            about("ecs_operator_objects"),
            objects.clone(),
        );
        let rollouts = RolloutMetrics::default();
        registry.register(
            "ecs_operator_rollouts_in_flight",
            about("ecs_operator_rollouts_in_flight"),
            rollouts.in_flight.clone(),
        );
        registry.register(
            "ecs_operator_events",
            about("ecs_operator_events"),
            rollouts.events.clone(),
        );
        let task_runs = Family::<TaskRunLabels, Counter>::default();
        registry.register(
            "ecs_operator_task_runs",
            about("ecs_operator_task_runs"),
            task_runs.clone(),
        );
        Self {
            registry,
            task_runs,
            reconciles,
            reconcile_errors,
            reconcile_time,
            reconcile_panics,
            aws_calls,
            aws_throttled,
            rate_limit_waits,
            rate_limit_wait_seconds,
            leader,
            aws_regions,
            objects,
            object_states: Mutex::new(HashMap::new()),
            rollouts,
        }
    }
}

impl Metrics {
    pub fn observe_reconcile(&self, controller: &'static str, succeeded: bool, took: Duration) {
        let result = if succeeded { "success" } else { "error" };
        self.reconciles
            .get_or_create(&ReconcileLabels { controller, result })
            .inc();
        if !succeeded {
            self.reconcile_errors
                .get_or_create(&ControllerLabels { controller })
                .inc();
        }
        self.reconcile_time
            .get_or_create(&ControllerLabels { controller })
            .observe(took.as_secs_f64());
    }

    /// A reconcile of `controller` panicked and was contained.
    pub fn observe_panic(&self, controller: &'static str) {
        self.reconcile_panics
            .get_or_create(&ControllerLabels { controller })
            .inc();
    }

    /// One AWS call attempt. `outcome` is "success" or an error category.
    pub fn observe_aws_call(
        &self,
        service: &'static str,
        operation: &'static str,
        outcome: &'static str,
    ) {
        self.aws_calls
            .get_or_create(&AwsCallLabels {
                service,
                operation,
                outcome,
            })
            .inc();
        if outcome == "throttled" {
            self.aws_throttled
                .get_or_create(&AwsOperationLabels { service, operation })
                .inc();
        }
    }

    /// One AWS call the rate limiter delayed by `waited`.
    pub fn observe_rate_limit_wait(&self, group: &'static str, waited: Duration) {
        let labels = ActionGroupLabels { group };
        self.rate_limit_waits.get_or_create(&labels).inc();
        self.rate_limit_wait_seconds
            .get_or_create(&labels)
            .inc_by(waited.as_secs_f64());
    }

    pub fn set_aws_regions(&self, regions: usize) {
        self.aws_regions
            .set(i64::try_from(regions).unwrap_or(i64::MAX));
    }

    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// Records an object's Ready status ("True", "False" or "Unknown") after a reconcile.
    pub fn set_object_ready(&self, kind: &'static str, key: &str, ready: &'static str) {
        let mut states = self.object_states.locked();
        let previous = states.insert((kind, key.to_string()), ready);
        if previous == Some(ready) {
            return;
        }
        if let Some(previous) = previous {
            self.objects
                .get_or_create(&ObjectLabels {
                    kind,
                    ready: previous,
                })
                .dec();
        }
        self.objects
            .get_or_create(&ObjectLabels { kind, ready })
            .inc();
    }

    /// Records where an object's staged rollout stands after a reconcile (None: none in
    /// flight).
    pub fn set_rollout(&self, kind: &'static str, key: &str, phase: Option<RolloutPhase>) {
        self.rollouts.set(kind, key, phase);
    }

    /// One Event the operator recorded on an object.
    pub fn observe_event(&self, controller: &'static str, reason: &'static str, warning: bool) {
        self.rollouts.event(controller, reason, warning);
    }

    /// Counts runs that finished (see `task_runs::newly_finished`).
    pub fn observe_task_runs(&self, controller: &'static str, runs: &[&AttemptStatus]) {
        for run in runs {
            self.task_runs
                .get_or_create(&task_runs::labels(controller, run))
                .inc();
        }
    }

    /// Stops counting an object once its cleanup has finished.
    pub fn forget_object(&self, kind: &'static str, key: &str) {
        self.rollouts.set(kind, key, None);
        let mut states = self.object_states.locked();
        if let Some(ready) = states.remove(&(kind, key.to_string())) {
            self.objects
                .get_or_create(&ObjectLabels { kind, ready })
                .dec();
        }
    }

    /// Every metric as a Markdown table (docs/operating.md carries it).
    pub fn reference_table() -> String {
        let mut rows = vec![
            "| metric | type | meaning |".to_string(),
            "| --- | --- | --- |".to_string(),
        ];
        for (name, kind, help) in DESCRIBED {
            let sample = if kind == "counter" {
                format!("{name}_total")
            } else {
                name.to_string()
            };
            rows.push(format!("| `{sample}` | {kind} | {help} |"));
        }
        rows.join("\n")
    }

    /// Every metric in OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        match prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            Ok(()) => text,
            Err(_) => String::new(),
        }
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
