//! The Kubernetes side of one reconcile, the same for every kind: finalizer first,
//! then the kind's reconcile or cleanup, then Events and a status write when
//! anything changed, and the requeue.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use futures::{Stream, StreamExt};

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::runtime::controller::{Action, Config};
use kube::runtime::{Controller, WatchStreamExt, predicates, reflector, watcher};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::backoff::jitter;
use super::{Backoff, Context, KubeIo, ReconcileError};
use crate::api::common::condition::READY;
use crate::aws::AwsError;
use crate::conditions::{conditions, is_kstatus, stamped};
use crate::reconcile::{Cleanup, Health, Next, Note, Outcome, contained};
use crate::telemetry::Telemetry;

/// What the shell needs to know about a kind.
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
}

/// The object's identity for logs: namespace/name.
pub fn key<K: Managed>(object: &K) -> String {
    format!(
        "{}/{}",
        object.namespace().unwrap_or_default(),
        object.name_any()
    )
}

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
    let result = async {
        let io = KubeIo::new(ctx.client.clone(), &ctx.recorder, object);
        if object.meta().deletion_timestamp.is_some() {
            if !KubeIo::has_finalizer(object) {
                return Ok(Action::await_change());
            }
            let previous = object.current_status().cloned().unwrap_or_default();
            let cleanup = contained(K::LABEL, &ctx.telemetry.metrics, previous, cleanup, Cleanup::Waiting);
            return match cleanup.await {
                Ok(Cleanup::Done(notes)) => {
                    io.publish(&notes).await;
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
        match reconcile.await {
            Ok(outcome) => finish(object, ctx, &io, region, outcome).await,
            Err(e) => Err(report_retryable(object, ctx, &io, region, e).await),
        }
    }
    .instrument(span)
    .await;
    ctx.telemetry
        .metrics
        .observe_reconcile(K::LABEL, result.is_ok(), started.elapsed());
    result
}

async fn finish<K: Managed>(
    object: &K,
    ctx: &Context,
    io: &KubeIo<'_, K>,
    region: &str,
    outcome: Outcome<K::Status>,
) -> Result<Action, ReconcileError> {
    io.publish(&outcome.notes).await;
    write_status(object, ctx, io, region, outcome.status, &outcome.health).await?;
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
        Next::After(delay) => Some(jitter(delay)),
        Next::AwaitChange => None,
        Next::Backoff => Some(backoff.next_delay(key)),
    }
}

/// The delay to an object's next drift check: the jittered interval, rounded up to a
/// shared slot boundary (a twentieth of the interval, 1 to 15 s). Objects that come due
/// in the same slot are checked together, so their describes share batched calls.
fn resync_delay(interval: Duration, now: SystemTime) -> Duration {
    let slot = (interval / 20).clamp(Duration::from_secs(1), Duration::from_secs(15));
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let due = since_epoch + jitter(interval);
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
    io.publish(&[Note::warning("AwsError", error.to_string())])
        .await;
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
    if object.current_status() != Some(&status) {
        let written = io.apply_status(&status).await?;
        ctx.written.record(object, slimmed(written));
    }
    Ok(())
}

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

/// Backs off per object; logs the failure with its fixed category.
pub fn error_policy<K: Managed>(object: &K, error: &ReconcileError, ctx: &Context) -> Action {
    let key = key(object);
    let delay = ctx.backoff.next_delay(&key);
    tracing::warn!(kind = K::LABEL, object = %key, category = error.category(), error = %error, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

/// Watches objects of kind K through `api` and reconciles them until `shutdown` resolves.
/// Only spec changes (and deletion, which bumps the generation) start a reconcile:
/// the operator's own status writes must not. Drift is caught by the jittered resync.
pub async fn run<K, T, F, Fut>(
    api: Api<K>,
    ctx: Arc<T>,
    concurrency: u16,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
    reconcile: F,
) where
    K: Managed,
    T: AsRef<Context> + Send + Sync + 'static,
    F: FnMut(Arc<K>, Arc<T>) -> Fut,
    Fut: Future<Output = Result<Action, ReconcileError>> + Send + 'static,
{
    let (reader, writer) = reflector::store();
    let synced = SyncMarker::new(ctx.as_ref().as_ref().telemetry.clone(), K::LABEL, 1);
    let triggers = watched(api, writer, &synced, predicates::generation);
    let mut reconcile = reconcile;
    Controller::for_stream(triggers, reader)
        .with_config(Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(
            move |object: Arc<K>, ctx: Arc<T>| {
                let object = ctx.as_ref().as_ref().written.freshest(object);
                reconcile(object, ctx)
            },
            |object: Arc<K>, error: &ReconcileError, ctx: Arc<T>| {
                error_policy(object.as_ref(), error, ctx.as_ref().as_ref())
            },
            ctx,
        )
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(kind = K::LABEL, error = %e, "controller event");
            }
        })
        .await;
}

/// Watches K into `writer`'s cache (slimmed, and counted towards `synced`), yielding
/// the objects whose `key` changed.
pub fn watched<K>(
    api: Api<K>,
    writer: reflector::store::Writer<K>,
    synced: &SyncMarker,
    key: fn(&K) -> Option<u64>,
) -> impl Stream<Item = Result<K, watcher::Error>> + Send + use<K>
where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
{
    watcher(api, watcher::Config::default())
        .default_backoff()
        .modify(slim)
        .inspect(synced.stream())
        .reflect(writer)
        .touched_objects()
        .predicate_filter(key, Default::default())
}

/// Drops what the operator never reads before an object enters a watch cache:
/// managedFields and kubectl's last-applied copy of the spec are often larger than the
/// object itself.
fn slim<K: Resource>(object: &mut K) {
    let meta = object.meta_mut();
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

fn slimmed<K: Resource>(mut object: K) -> K {
    slim(&mut object);
    object
}

/// Marks a controller's caches synced for /readyz once each of its watch streams has
/// delivered its first complete list. (Waiting on the store instead is not reliable:
/// the store wakes only the most recent of several waiters.)
#[derive(Clone)]
pub struct SyncMarker {
    telemetry: Arc<Telemetry>,
    name: &'static str,
    remaining: Arc<AtomicUsize>,
}

impl SyncMarker {
    pub fn new(telemetry: Arc<Telemetry>, name: &'static str, streams: usize) -> Self {
        Self {
            telemetry,
            name,
            remaining: Arc::new(AtomicUsize::new(streams)),
        }
    }

    /// An `inspect` callback for one of the watch streams.
    pub fn stream<K>(&self) -> impl FnMut(&Result<watcher::Event<K>, watcher::Error>) + use<K> {
        let marker = self.clone();
        let mut listed = false;
        move |event| {
            if listed || !matches!(event, Ok(watcher::Event::InitDone)) {
                return;
            }
            listed = true;
            if marker.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                tracing::info!(controller = marker.name, "watch caches synced");
                marker.telemetry.health.cache_synced(marker.name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;

    use super::*;
    use crate::api::Service;

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
    fn cached_objects_drop_managed_fields_and_the_last_applied_copy() {
        let mut service = Service::new("web", Default::default());
        service.metadata.managed_fields = Some(vec![ManagedFieldsEntry::default()]);
        service.metadata.annotations = Some(BTreeMap::from([
            (
                "kubectl.kubernetes.io/last-applied-configuration".to_string(),
                "{}".to_string(),
            ),
            ("team".to_string(), "payments".to_string()),
        ]));
        slim(&mut service);
        assert_eq!(service.metadata.managed_fields, None);
        assert_eq!(
            service.metadata.annotations,
            Some(BTreeMap::from([(
                "team".to_string(),
                "payments".to_string()
            )]))
        );
    }
}
