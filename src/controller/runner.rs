//! One runner for every kind: the kind's own watch, any others that wake its objects,
//! and the driver around the kind's reconcile. A new kind implements `Reconciler` and
//! is started with `run`.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use kube::ResourceExt;
use kube::runtime::controller::{Action, Config};
use kube::runtime::reflector::Store;
use kube::runtime::reflector::store::Writer;
use kube::runtime::{Controller, predicates};

use super::driver::{drive, error_policy};
use super::fair::{Attempt, FairSlots};
use super::index::Index;
use super::kind::{Managed, key};
use super::watches::{OnUnreadable, Source, SyncMarker, watched};
use super::{Context, ReconcileError};
use crate::aws::{AwsApi, AwsError};
use crate::reconcile::{Cleanup, Next, Note, Outcome};

/// A kind's own part of a reconcile: make AWS match the object, or clean up after it.
/// Both are handed the region's AWS port and the index over the watch caches.
pub trait Reconciler: Managed {
    /// The region the object's spec names; None means the operator's default.
    fn spec_region(&self) -> Option<&str>;

    fn reconcile<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> impl Future<Output = Result<Outcome<Self::Status>, AwsError>> + Send + 'a;

    fn cleanup<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> impl Future<Output = Result<Cleanup<Self::Status>, AwsError>> + Send + 'a;
}

/// Adds watches to a kind's controller; each stream counts towards `SyncMarker`.
pub type Wiring<K> = Box<dyn FnOnce(Controller<K>, &SyncMarker) -> Controller<K> + Send>;

/// Watches besides the kind's own that wake its objects, and how many streams they
/// run (each must list once before /readyz reports the kind synced).
pub struct Extra<K: Reconciler> {
    pub streams: usize,
    pub wire: Wiring<K>,
}

impl<K: Reconciler> Extra<K> {
    pub fn none() -> Self {
        Self {
            streams: 0,
            wire: Box::new(|controller, _| controller),
        }
    }
}

/// Watches objects of kind K from `source` into `cache`, and reconciles them until
/// `shutdown` resolves. Only spec changes (and deletion, which bumps the generation)
/// start a reconcile: the operator's own status writes must not. Drift is caught by
/// the jittered resync.
pub async fn run<K: Reconciler>(
    ctx: Arc<Context>,
    source: Source,
    cache: (Store<K>, Writer<K>),
    extra: Extra<K>,
    concurrency: u16,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let (reader, writer) = cache;
    let synced = SyncMarker::new(ctx.telemetry.clone(), K::LABEL, 1 + extra.streams);
    let triggers = watched(
        source,
        writer,
        &synced,
        predicates::generation,
        OnUnreadable::Report,
    );
    let controller = (extra.wire)(Controller::for_stream(triggers, reader), &synced);
    // The slots bound concurrency, shared fairly between namespaces, with retries held
    // to half of them; the controller itself hands every object that comes due to them.
    let slots = FairSlots::new(concurrency.into());
    controller
        .with_config(Config::default().concurrency(0))
        .graceful_shutdown_on(shutdown)
        .run(
            move |object: Arc<K>, ctx: Arc<Context>| {
                let slots = slots.clone();
                async move {
                    let attempt = if ctx.backoff.failing(&key(object.as_ref())) {
                        Attempt::Retry
                    } else {
                        Attempt::Fresh
                    };
                    let namespace = object.namespace().unwrap_or_default();
                    let _slot = slots.acquire(&namespace, attempt).await;
                    let object = ctx.written.freshest(object);
                    // Boxed so an object waiting for its slot holds only this small future.
                    Box::pin(reconcile_one(object, ctx)).await
                }
            },
            |object: Arc<K>, error: &ReconcileError, ctx: Arc<Context>| {
                error_policy(object.as_ref(), error, &ctx)
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

async fn reconcile_one<K: Reconciler>(
    object: Arc<K>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let region = ctx.aws.region_for(object.spec_region());
    let index: &dyn Index = &ctx.caches;
    let Some(aws) = ctx.aws.ecs(&region) else {
        let served = ctx.aws.regions().join(", ");
        let previous = object.current_status().cloned().unwrap_or_default();
        let message = format!(
            "spec.region {region} is not a region this operator serves ({served}); use one of \
             those, or ask the operator's admin to add it (--allowed-regions)"
        );
        // Nothing of this object can be reached in AWS: deleting it leaves AWS as it is.
        let left = format!(
            "deleted without touching AWS: region {region} is not served (--allowed-regions: {served})"
        );
        return drive(
            object.as_ref(),
            &ctx,
            &region,
            async {
                Ok(Outcome::stalled(
                    previous,
                    "RegionNotAllowed",
                    message,
                    Next::AwaitChange,
                ))
            },
            async { Ok(Cleanup::Done(vec![Note::warning("RegionNotServed", left)])) },
        )
        .await;
    };
    drive(
        object.as_ref(),
        &ctx,
        &region,
        object.reconcile(aws.as_ref(), index),
        object.cleanup(aws.as_ref(), index),
    )
    .await
}
