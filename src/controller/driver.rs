//! One reconcile, the same for every kind: finalizer first, then the kind's reconcile
//! or cleanup (a panic in it contained), then Events and a status write when anything
//! changed, and the requeue.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use tracing::Instrument;

use super::backoff::jitter;
use super::kind::{Managed, key};
use super::status::next_status;
use super::watches::slimmed;
use super::{Backoff, Context, KubeIo, ReconcileError};
use crate::api::common::condition::READY;
use crate::aws::AwsError;
use crate::reconcile::{Cleanup, Health, Next, Note, Outcome, contained};
use crate::telemetry::task_runs::newly_finished;

/// Runs `reconcile` (or, once the object is being deleted, `cleanup`) and records the result.
/// Both are futures, so only the one that applies ever runs. Every log line inside,
/// the AWS calls' included, carries the object's controller, namespace, name and generation.
pub async fn drive<K, R, C>(
    object: &K,
    ctx: &Context,
    region: &str,
    reconcile: R,
    cleanup: C,
) -> Result<Action, ReconcileError>
where
    K: Managed,
    R: Future<Output = Result<Outcome<K::Status>, AwsError>>,
    C: Future<Output = Result<Cleanup<K::Status>, AwsError>>,
{
    let span = tracing::info_span!(
        "reconcile",
        controller = K::LABEL,
        namespace = object.namespace().unwrap_or_default(),
        name = object.name_any(),
        generation = object.meta().generation.unwrap_or_default(),
    );
    let started = Instant::now();
    let mut panicked = false;
    let result = async {
        let io = KubeIo::new(ctx.client.clone(), &ctx.recorder, object);
        if object.meta().deletion_timestamp.is_some() {
            if !KubeIo::has_finalizer(object) {
                return Ok(Action::await_change());
            }
            let previous = object.current_status().cloned().unwrap_or_default();
            let cleanup = contained(K::LABEL, &ctx.telemetry.metrics, previous, cleanup, Cleanup::Waiting);
            let (cleanup, cleanup_panicked) = cleanup.await.into_parts();
            panicked = cleanup_panicked;
            return match cleanup {
                Ok(Cleanup::Done(notes)) => {
                    publish(ctx, &io, &notes).await;
                    io.remove_finalizer(object).await?;
                    ctx.written.forget(object);
                    ctx.backoff.reset(&key(object));
                    ctx.telemetry.metrics.forget_object(K::LABEL, &key(object));
                    tracing::info!(kind = K::LABEL, object = %key(object), "cleanup finished; finalizer removed");
                    Ok(Action::await_change())
                }
                Ok(Cleanup::Waiting(outcome)) => finish(object, ctx, &io, region, outcome).await,
                Err(e) => Err(report_retryable(object, ctx, &io, region, e).await),
            };
        }
        if !KubeIo::has_finalizer(object) {
            // Before any AWS create, so a deleted object can never leak an AWS resource.
            let written = io.add_finalizer(object).await?;
            ctx.written.record(object, slimmed(written));
        }
        let previous = object.current_status().cloned().unwrap_or_default();
        let reconcile = contained(K::LABEL, &ctx.telemetry.metrics, previous, reconcile, |o| o);
        let (reconcile, reconcile_panicked) = reconcile.await.into_parts();
        panicked = reconcile_panicked;
        match reconcile {
            Ok(outcome) => finish(object, ctx, &io, region, outcome).await,
            Err(e) => Err(report_retryable(object, ctx, &io, region, e).await),
        }
    }
    .instrument(span)
    .await;
    ctx.telemetry.metrics.observe_reconcile(
        K::LABEL,
        result.is_ok() && !panicked,
        started.elapsed(),
    );
    result
}

async fn finish<K: Managed>(
    object: &K,
    ctx: &Context,
    io: &KubeIo<'_, K>,
    region: &str,
    outcome: Outcome<K::Status>,
) -> Result<Action, ReconcileError> {
    publish(ctx, io, &outcome.notes).await;
    write_status(object, ctx, io, region, outcome.status, &outcome.health).await?;
    if outcome.next == Next::Expire {
        io.delete(object).await?;
        tracing::info!(kind = K::LABEL, object = %key(object), "expired; deleted");
        return Ok(Action::await_change());
    }
    Ok(
        match requeue_delay(outcome.next, &ctx.backoff, ctx.resync, &key(object)) {
            Some(delay) => Action::requeue(delay),
            None => Action::await_change(),
        },
    )
}

/// How long until the object `key` is reconciled again; None waits for a change. Any
/// outcome but `Backoff` ends a run of failures, so the next one backs off from the start.
pub(crate) fn requeue_delay(
    next: Next,
    backoff: &Backoff,
    resync: Duration,
    key: &str,
) -> Option<Duration> {
    if next != Next::Backoff {
        backoff.reset(key);
    }
    match next {
        Next::Resync => Some(resync_delay(resync, SystemTime::now())),
        Next::After(delay) => Some(poll_delay(delay, SystemTime::now())),
        Next::ByThen(delay) => {
            let now = SystemTime::now();
            Some(resync_delay(resync, now).min(poll_delay(delay, now)))
        }
        Next::Turn(delay) => Some(aligned(delay, Duration::from_secs(1), SystemTime::now())),
        Next::AwaitChange | Next::Expire => None,
        Next::Backoff => Some(backoff.next_delay(key)),
    }
}

/// The delay to an object's next drift check: the jittered interval, rounded up to a
/// shared slot boundary (a twentieth of the interval, 1 to 15 s). Objects that come due
/// in the same slot are checked together, so their describes share batched calls.
fn resync_delay(interval: Duration, now: SystemTime) -> Duration {
    aligned(jitter(interval), interval / 20, now)
}

/// The delay to the next look at an object AWS is still converging: the jittered
/// delay, rounded up to a slot of a fifth of it (1 to 15 s). Rollouts in flight are
/// polled together, so their describes share batched calls as resyncs do.
fn poll_delay(delay: Duration, now: SystemTime) -> Duration {
    aligned(jitter(delay), delay / 5, now)
}

/// `delay` from `now`, rounded up to the next multiple of `slot` (1 to 15 s) since the
/// epoch, which every object shares.
fn aligned(delay: Duration, slot: Duration, now: SystemTime) -> Duration {
    let slot = slot.clamp(Duration::from_secs(1), Duration::from_secs(15));
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let due = since_epoch + delay;
    let slot_ms = slot.as_millis();
    let aligned_ms = due.as_millis().div_ceil(slot_ms) * slot_ms;
    Duration::from_millis(u64::try_from(aligned_ms).unwrap_or(u64::MAX)).saturating_sub(since_epoch)
}

/// A retryable AWS failure: say so on the object, then let the error policy back off.
async fn report_retryable<K: Managed>(
    object: &K,
    ctx: &Context,
    io: &KubeIo<'_, K>,
    region: &str,
    error: AwsError,
) -> ReconcileError {
    publish(ctx, io, &[Note::warning("AwsError", error.to_string())]).await;
    let previous = object.current_status().cloned().unwrap_or_default();
    let health = Health::Progressing {
        reason: "Retrying",
        message: error.to_string(),
    };
    if let Err(e) = write_status(object, ctx, io, region, previous, &health).await {
        tracing::warn!(kind = K::LABEL, object = %key(object), error = %e, "could not record the AWS error in status");
    }
    ReconcileError::Aws(error)
}

/// Writes status only when it differs from what the object already shows, so an idle
/// resync makes no Kubernetes write.
async fn write_status<K: Managed>(
    object: &K,
    ctx: &Context,
    io: &KubeIo<'_, K>,
    region: &str,
    status: K::Status,
    health: &Health,
) -> Result<(), kube::Error> {
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let mut status = next_status(object, status, health, region, &now);
    let (conditions, _, _) = K::shared_fields(&mut status);
    let ready = match conditions.iter().find(|c| c.type_ == READY) {
        Some(c) if c.status == "True" => "True",
        Some(c) if c.status == "False" => "False",
        _ => "Unknown",
    };
    ctx.telemetry
        .metrics
        .set_object_ready(K::LABEL, &key(object), ready);
    ctx.telemetry
        .metrics
        .set_rollout(K::LABEL, &key(object), K::rollout_phase(&status));
    if object.current_status() != Some(&status) {
        let written = io.apply_status(&status).await?;
        let before = object
            .current_status()
            .map(K::task_runs)
            .unwrap_or_default();
        let finished = newly_finished(&before, &K::task_runs(&status));
        ctx.telemetry.metrics.observe_task_runs(K::LABEL, &finished);
        ctx.written.record(object, slimmed(written));
    }
    Ok(())
}

/// Records the notes as Events on the object, and counts them.
async fn publish<K: Managed>(ctx: &Context, io: &KubeIo<'_, K>, notes: &[Note]) {
    for note in notes {
        ctx.telemetry
            .metrics
            .observe_event(K::LABEL, note.reason, note.warning);
    }
    io.publish(notes).await;
}

/// Backs off per object; logs the failure with its fixed category.
pub fn error_policy<K: Managed>(object: &K, error: &ReconcileError, ctx: &Context) -> Action {
    let key = key(object);
    let delay = ctx.backoff.next_delay(&key);
    tracing::warn!(kind = K::LABEL, object = %key, category = error.category(), error = %error, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resyncs_land_on_shared_slot_boundaries_within_the_jitter() {
        let interval = Duration::from_secs(60);
        let slot = Duration::from_secs(3);
        for offset_ms in [0, 1, 1499, 2999, 12_345] {
            let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_800_000_000_000 + offset_ms);
            let delay = resync_delay(interval, now);
            let due = now.duration_since(SystemTime::UNIX_EPOCH).unwrap() + delay;
            assert_eq!(due.as_millis() % slot.as_millis(), 0, "{due:?}");
            assert!(delay >= interval.mul_f64(0.8), "{delay:?}");
            assert!(delay <= interval.mul_f64(1.2) + slot, "{delay:?}");
        }
    }

    #[test]
    fn a_turn_under_the_rate_limit_is_kept_to_the_second_without_jitter() {
        let backoff = Backoff::default();
        for _ in 0..20 {
            let delay = requeue_delay(
                Next::Turn(Duration::from_secs(90)),
                &backoff,
                Duration::from_secs(300),
                "ns/a",
            )
            .expect("a turn is a requeue");
            assert!(
                delay >= Duration::from_secs(90) && delay <= Duration::from_secs(91),
                "{delay:?}"
            );
        }
    }

    #[test]
    fn a_look_due_before_the_resync_comes_first_and_a_later_one_waits_for_it() {
        let backoff = Backoff::default();
        let resync = Duration::from_secs(300);
        let soon = requeue_delay(
            Next::ByThen(Duration::from_secs(30)),
            &backoff,
            resync,
            "ns/a",
        );
        assert!(
            soon.is_some_and(|d| d <= Duration::from_secs(45)),
            "{soon:?}"
        );
        let late = requeue_delay(
            Next::ByThen(Duration::from_secs(86_400)),
            &backoff,
            resync,
            "ns/a",
        );
        assert!(
            late.is_some_and(|d| d <= resync.mul_f64(1.2) + Duration::from_secs(15)),
            "{late:?}"
        );
    }

    #[test]
    fn polls_of_rollouts_in_flight_land_on_shared_two_second_slots() {
        let poll = Duration::from_secs(10);
        for offset_ms in [0, 1, 999, 1999, 7_777] {
            let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_800_000_000_000 + offset_ms);
            let delay = poll_delay(poll, now);
            let due = now.duration_since(SystemTime::UNIX_EPOCH).unwrap() + delay;
            assert_eq!(due.as_millis() % 2000, 0, "{due:?}");
            assert!(delay >= poll.mul_f64(0.8), "{delay:?}");
            assert!(
                delay <= poll.mul_f64(1.2) + Duration::from_secs(2),
                "{delay:?}"
            );
        }
    }
}
