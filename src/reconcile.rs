//! What every kind's reconcile step returns, independent of Kubernetes I/O, so
//! reconcilers can be tested against the ECS fake without an API server.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

use crate::aws::{AwsError, ErrorKind};
pub use crate::conditions::Health;
use crate::conditions::{REASON_INVALID_SPEC, stalled_on_current_spec};
use crate::telemetry::Metrics;

/// A Kubernetes Event to publish on the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub warning: bool,
    pub reason: &'static str,
    pub message: String,
}

impl Note {
    pub fn normal(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            warning: false,
            reason,
            message: message.into(),
        }
    }

    pub fn warning(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            warning: true,
            reason,
            message: message.into(),
        }
    }
}

/// When to look again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// At the next drift-detection resync.
    Resync,
    /// Soon: AWS is converging.
    After(Duration),
    /// After the delay or at the next resync, whichever comes first: something is due
    /// then (a schedule's next run), and drift is still checked meanwhile.
    ByThen(Duration),
    /// At the object's turn under a client-side rate limit: then, to the second, without
    /// the jitter of `After` (the turns are spread already).
    Turn(Duration),
    /// Only when the spec changes: retrying the same input would fail the same way.
    AwaitChange,
    /// After the object's failure backoff, which grows with each failure in a row: the
    /// operator itself failed, and retrying at once would fail the same way.
    Backoff,
    /// The object's time is up (a finished Task's ttlSecondsAfterFinished): delete the
    /// Kubernetes object once its status is written.
    Expire,
}

/// The result of reconciling one object.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome<S> {
    /// The kind's observed status fields (the driver adds conditions and observedGeneration).
    pub status: S,
    pub health: Health,
    pub notes: Vec<Note>,
    pub next: Next,
}

/// The result of cleaning up before the finalizer goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Cleanup<S> {
    /// Nothing left in AWS to wait for: remove the finalizer.
    Done(Vec<Note>),
    /// Still going: keep the finalizer and report this.
    Waiting(Outcome<S>),
}

/// How long to wait while AWS converges (provisioning, draining, deleting).
pub const CONVERGE_POLL: Duration = Duration::from_secs(10);

/// When a run that waits for its Cluster or TaskDefinition looks again: no watch wakes
/// it, and the look reads only the caches, so a quarter of the object's age, from a
/// second (objects applied together with their references) to `CONVERGE_POLL`.
pub fn reference_poll(created: Option<&Time>, now: Timestamp) -> Duration {
    let age = created
        .and_then(|t| Duration::try_from(now.duration_since(t.0)).ok())
        .unwrap_or(CONVERGE_POLL);
    (age / 4).clamp(Duration::from_secs(1), CONVERGE_POLL)
}

impl<S> Outcome<S> {
    /// Progressing while an object this one names is missing or not usable yet. No
    /// watch wakes the waiting object, so it looks again after `reference_poll`.
    pub fn waiting_for_reference(
        status: S,
        reason: &'static str,
        message: String,
        created: Option<&Time>,
    ) -> Self {
        Self {
            status,
            health: Health::Progressing { reason, message },
            notes: Vec::new(),
            next: Next::After(reference_poll(created, Timestamp::now())),
        }
    }

    /// Stalled with a Warning Event carrying the same message.
    pub fn stalled(status: S, reason: &'static str, message: String, next: Next) -> Self {
        Self {
            status,
            notes: vec![Note::warning(reason, message.clone())],
            health: Health::Stalled { reason, message },
            next,
        }
    }
}

/// Runs `converge` unless the current spec already stalled on input AWS rejected, and turns
/// failures a retry cannot fix into `Stalled`; the rest are returned for backoff.
pub async fn guarded<S: Clone>(
    previous: S,
    previous_conditions: &[Condition],
    generation: Option<i64>,
    converge: impl Future<Output = Result<Outcome<S>, AwsError>>,
) -> Result<Outcome<S>, AwsError> {
    if let Some(message) = stalled_on_current_spec(previous_conditions, generation) {
        // Same spec, same answer from AWS: wait for the user instead of calling again.
        return Ok(Outcome::stalled(
            previous,
            REASON_INVALID_SPEC,
            message.to_string(),
            Next::AwaitChange,
        ));
    }
    match converge.await {
        Err(e) if e.kind == ErrorKind::InvalidInput => Ok(Outcome::stalled(
            previous,
            REASON_INVALID_SPEC,
            format!("AWS rejected the spec; fix it and re-apply: {e}"),
            Next::AwaitChange,
        )),
        // Permissions are fixed outside the spec, so look again at the next resync.
        Err(e) if e.kind == ErrorKind::AccessDenied => Ok(Outcome::stalled(
            previous,
            "AccessDenied",
            e.to_string(),
            Next::Resync,
        )),
        other => other,
    }
}

/// Reason on Stalled when the operator failed on an object (a bug, not the user's input).
pub const REASON_INTERNAL_ERROR: &str = "InternalError";

/// What a contained reconcile or cleanup came to.
pub enum Contained<T> {
    /// The work returned, successfully or with an error.
    Returned(Result<T, AwsError>),
    /// The work panicked; this stalls the object with reason `InternalError`.
    Panicked(T),
}

impl<T> Contained<T> {
    /// The result to act on, and whether the work panicked (the reconcile metrics count
    /// a panic as an error, though the object's Stalled status is written as usual).
    pub fn into_parts(self) -> (Result<T, AwsError>, bool) {
        match self {
            Self::Returned(result) => (result, false),
            Self::Panicked(stalled) => (Ok(stalled), true),
        }
    }
}

/// Runs a kind's reconcile or cleanup with a panic contained: the object gets
/// `Stalled InternalError` (through `on_panic`, which fits it to what the work returns)
/// and a metric counts it, so one object the code cannot handle never takes the
/// process, and every other object, down with it.
pub async fn contained<S, T>(
    kind: &'static str,
    metrics: &Metrics,
    previous: S,
    work: impl Future<Output = Result<T, AwsError>>,
    on_panic: fn(Outcome<S>) -> T,
) -> Contained<T> {
    // What the work borrows is either read-only or behind `sync::Lock`, whose guards
    // survive a panic, so nothing is observed half-written afterwards.
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => Contained::Returned(result),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            metrics.observe_panic(kind);
            tracing::error!(kind, panic = %what, "reconcile panicked; the object is Stalled and retried with backoff");
            let message = format!(
                "ecs-operator failed on this object ({what}); this is a bug: please report it \
                 with this message and the operator's log. Retrying with backoff"
            );
            Contained::Panicked(on_panic(Outcome::stalled(
                previous,
                REASON_INTERNAL_ERROR,
                message,
                Next::Backoff,
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(panics: bool) -> Result<Outcome<u8>, AwsError> {
        assert!(!panics, "told to panic");
        Ok(Outcome {
            status: 1,
            health: Health::Ready {
                message: String::new(),
            },
            notes: Vec::new(),
            next: Next::Resync,
        })
    }

    #[test]
    fn a_run_applied_with_its_references_looks_again_within_a_second() {
        let now = Timestamp::now();
        let ago = |seconds: i64| Time(now - k8s_openapi::jiff::SignedDuration::from_secs(seconds));
        assert_eq!(reference_poll(Some(&ago(0)), now), Duration::from_secs(1));
        assert_eq!(reference_poll(Some(&ago(20)), now), Duration::from_secs(5));
        assert_eq!(reference_poll(Some(&ago(3600)), now), CONVERGE_POLL);
        assert_eq!(
            reference_poll(None, now),
            Duration::from_secs(2) + Duration::from_millis(500)
        );
    }

    #[tokio::test]
    async fn a_panic_is_reported_as_one_and_stalls_with_the_previous_status() {
        let metrics = Metrics::default();
        let (result, panicked) = contained("service", &metrics, 7, answer(true), |o| o)
            .await
            .into_parts();
        let outcome = result.expect("a panic becomes an outcome");
        assert!(panicked);
        assert_eq!(outcome.status, 7, "the status before the panic is kept");
        assert!(
            matches!(outcome.health, Health::Stalled { reason, .. } if reason == REASON_INTERNAL_ERROR)
        );
        assert_eq!(outcome.next, Next::Backoff);

        let (result, panicked) = contained("service", &metrics, 7, answer(false), |o| o)
            .await
            .into_parts();
        assert!(!panicked);
        assert_eq!(result.expect("returned").status, 1);
    }
}
