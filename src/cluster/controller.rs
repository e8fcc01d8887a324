//! Runs `Cluster` reconciles against Kubernetes: finalizer first, then the
//! reconcile or cleanup, then Events and a status write when anything changed.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Api;
use kube::runtime::controller::{Action, Config};
use kube::runtime::{Controller, WatchStreamExt, predicates, reflector, watcher};

use crate::api::{Cluster, ClusterStatus};
use crate::controller::backoff::jitter;
use crate::controller::{Context, KubeIo, ReconcileError};
use crate::reconcile::{Cleanup, Health, Next, Note, Outcome};

/// Watches Cluster objects (in `namespace`, or everywhere) until `shutdown` resolves.
pub async fn run(
    ctx: Arc<Context>,
    namespace: Option<&str>,
    concurrency: u16,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let api: Api<Cluster> = match namespace {
        Some(ns) => Api::namespaced(ctx.client.clone(), ns),
        None => Api::all(ctx.client.clone()),
    };
    let (reader, writer) = reflector::store();
    // Only spec changes (and deletion, which bumps the generation) start a reconcile:
    // our own status writes must not. Drift is caught by the jittered resync.
    let triggers = watcher(api, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .touched_objects()
        .predicate_filter(predicates::generation, Default::default());
    Controller::for_stream(triggers, reader)
        .with_config(Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "cluster controller event");
            }
        })
        .await;
}

async fn reconcile(cluster: Arc<Cluster>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let key = super::key(&cluster);
    let io = KubeIo::new(ctx.client.clone(), &ctx.recorder, cluster.as_ref());
    let region = ctx.aws.region_for(cluster.spec.region.as_deref());
    let ecs = ctx.aws.ecs(&region);

    if cluster.metadata.deletion_timestamp.is_some() {
        if !KubeIo::has_finalizer(cluster.as_ref()) {
            return Ok(Action::await_change());
        }
        return match super::cleanup(&cluster, ecs.as_ref()).await {
            Ok(Cleanup::Done(notes)) => {
                io.publish(&notes).await;
                io.remove_finalizer(&cluster).await?;
                ctx.backoff.reset(&key);
                tracing::info!(cluster = %key, "cleanup finished; finalizer removed");
                Ok(Action::await_change())
            }
            Ok(Cleanup::Waiting(outcome)) => finish(&cluster, &ctx, &io, &region, outcome).await,
            Err(e) => Err(report_retryable(&cluster, &io, &region, e).await),
        };
    }

    if !KubeIo::has_finalizer(cluster.as_ref()) {
        // Before any AWS create, so a deleted object can never leak a cluster.
        io.add_finalizer(&cluster).await?;
    }
    match super::reconcile(&cluster, ecs.as_ref()).await {
        Ok(outcome) => finish(&cluster, &ctx, &io, &region, outcome).await,
        Err(e) => Err(report_retryable(&cluster, &io, &region, e).await),
    }
}

async fn finish(
    cluster: &Cluster,
    ctx: &Context,
    io: &KubeIo<'_, Cluster>,
    region: &str,
    outcome: Outcome<ClusterStatus>,
) -> Result<Action, ReconcileError> {
    io.publish(&outcome.notes).await;
    write_status(cluster, io, region, outcome.status, &outcome.health).await?;
    ctx.backoff.reset(&super::key(cluster));
    Ok(match outcome.next {
        Next::Resync => Action::requeue(jitter(ctx.resync)),
        Next::After(delay) => Action::requeue(jitter(delay)),
        Next::AwaitChange => Action::await_change(),
    })
}

/// A retryable AWS failure: say so on the object, then let the error policy back off.
async fn report_retryable(
    cluster: &Cluster,
    io: &KubeIo<'_, Cluster>,
    region: &str,
    error: crate::aws::AwsError,
) -> ReconcileError {
    io.publish(&[Note::warning("AwsError", error.to_string())])
        .await;
    let previous = cluster.status.clone().unwrap_or_default();
    let health = Health::Progressing {
        reason: "Retrying",
        message: error.to_string(),
    };
    if let Err(e) = write_status(cluster, io, region, previous, &health).await {
        tracing::warn!(cluster = %super::key(cluster), error = %e, "could not record the AWS error in status");
    }
    ReconcileError::Aws(error)
}

/// Writes status only when it differs from what the object already shows, so an idle
/// resync makes no Kubernetes write.
async fn write_status(
    cluster: &Cluster,
    io: &KubeIo<'_, Cluster>,
    region: &str,
    status: ClusterStatus,
    health: &Health,
) -> Result<(), kube::Error> {
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let status = super::next_status(cluster, status, health, region, &now);
    if cluster.status.as_ref() != Some(&status) {
        io.apply_status(&status).await?;
    }
    Ok(())
}

fn error_policy(cluster: Arc<Cluster>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
    let key = super::key(&cluster);
    let delay = ctx.backoff.next_delay(&key);
    tracing::warn!(cluster = %key, category = error.category(), error = %error, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}
