//! Runs `Service` reconciles. Besides Service objects it watches Clusters and
//! TaskDefinitions, so a Service reacts within seconds when what it references becomes
//! Ready or registers a new revision.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::runtime::controller::{Action, Config};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{Controller, predicates, watcher};
use kube::{Api, Client, ResourceExt};

use super::references::Stores;
use crate::api::common::condition::READY;
use crate::api::{Cluster, Service, ServiceStatus, TaskDefinition};
use crate::controller::shell::{self, Managed, SyncMarker};
use crate::controller::{Context, ReconcileError};
use crate::digest::fingerprint;

impl Managed for Service {
    type Status = ServiceStatus;
    const LABEL: &'static str = "service";

    fn current_status(&self) -> Option<&ServiceStatus> {
        self.status.as_ref()
    }

    fn shared_fields(
        status: &mut ServiceStatus,
    ) -> (&mut Vec<Condition>, &mut Option<i64>, &mut Option<String>) {
        (
            &mut status.conditions,
            &mut status.observed_generation,
            &mut status.region,
        )
    }
}

/// The shared context plus the caches references are resolved from.
pub struct ServiceContext {
    pub base: Arc<Context>,
    pub objects: Stores,
}

impl AsRef<Context> for ServiceContext {
    fn as_ref(&self) -> &Context {
        &self.base
    }
}

fn api<K>(client: Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
{
    match namespace {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    }
}

/// A cache of Service objects. The Service controller fills it; the TaskDefinition and
/// Cluster controllers read it to learn what is still in use.
pub struct ServiceCache {
    pub store: Store<Service>,
    writer: reflector::store::Writer<Service>,
}

impl ServiceCache {
    pub fn new() -> Self {
        let (store, writer) = reflector::store();
        Self { store, writer }
    }
}

impl Default for ServiceCache {
    fn default() -> Self {
        Self::new()
    }
}

/// Watches Services, and the Clusters and TaskDefinitions they reference, until `shutdown`.
pub async fn run(
    base: Arc<Context>,
    cache: ServiceCache,
    namespace: Option<&str>,
    concurrency: u16,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let client = base.client.clone();
    let synced = SyncMarker::new(base.telemetry.clone(), Service::LABEL, 3);
    let services = shell::watched(
        api::<Service>(client.clone(), namespace),
        cache.writer,
        &synced,
        predicates::generation,
    );
    let (clusters, cluster_events) = cached(
        api::<Cluster>(client.clone(), namespace),
        synced.clone(),
        |c| readiness_key(c, c.status.as_ref().map(|s| (&s.conditions, &s.arn))),
    );
    let (task_definitions, td_events) = cached(
        api::<TaskDefinition>(client, namespace),
        synced.clone(),
        |td| readiness_key(td, td.status.as_ref().map(|s| (&s.conditions, &s.arn))),
    );
    let ctx = Arc::new(ServiceContext {
        base,
        objects: Stores {
            clusters,
            task_definitions,
        },
    });
    let by_cluster = cache.store.clone();
    let by_task_definition = cache.store.clone();
    Controller::for_stream(services, cache.store)
        .watches_stream(cluster_events, move |cluster: Cluster| {
            referencing(&by_cluster, &cluster, Service::cluster_ref_name)
        })
        .watches_stream(td_events, move |td: TaskDefinition| {
            referencing(&by_task_definition, &td, Service::task_definition_ref_name)
        })
        .with_config(Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(
            |service: Arc<Service>, ctx: Arc<ServiceContext>| {
                reconcile(ctx.base.written.freshest(service), ctx)
            },
            |service: Arc<Service>, error: &ReconcileError, ctx: Arc<ServiceContext>| {
                shell::error_policy(service.as_ref(), error, &ctx.base)
            },
            ctx,
        )
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(kind = "service", error = %e, "controller event");
            }
        })
        .await;
}

/// A watch cache of K, and a stream of the objects whose `key` changed.
fn cached<K>(
    api: Api<K>,
    synced: SyncMarker,
    key: fn(&K) -> Option<u64>,
) -> (
    Store<K>,
    impl Stream<Item = Result<K, watcher::Error>> + Send,
)
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let (store, writer) = reflector::store();
    (store, shell::watched(api, writer, &synced, key))
}

/// What a Service cares about in an object it references: whether it is Ready for its
/// generation, and its ARN. Status writes that change neither wake no Service.
fn readiness_key<K: ResourceExt>(
    object: &K,
    status: Option<(&Vec<Condition>, &Option<String>)>,
) -> Option<u64> {
    let (arn, ready) = match status {
        Some((conditions, arn)) => (
            arn.as_deref(),
            conditions
                .iter()
                .find(|c| c.type_ == READY)
                .map(|c| (c.status.as_str(), c.observed_generation)),
        ),
        None => (None, None),
    };
    Some(fingerprint(&(object.meta().generation, arn, ready)))
}

/// The Services in the object's namespace whose reference (`reference_of`) names it.
fn referencing<K: ResourceExt>(
    services: &Store<Service>,
    object: &K,
    reference_of: fn(&Service) -> Option<&str>,
) -> Vec<ObjectRef<Service>> {
    let namespace = object.namespace();
    let name = object.name_any();
    services
        .state()
        .iter()
        .filter(|s| s.namespace() == namespace && reference_of(s) == Some(name.as_str()))
        .map(|s| ObjectRef::from_obj(s.as_ref()))
        .collect()
}

async fn reconcile(
    service: Arc<Service>,
    ctx: Arc<ServiceContext>,
) -> Result<Action, ReconcileError> {
    let region = ctx.base.aws.region_for(service.spec.region.as_deref());
    let ecs = ctx.base.aws.ecs(&region);
    shell::drive(
        service.as_ref(),
        &ctx.base,
        &region,
        super::reconcile(&service, ecs.as_ref(), &ctx.objects),
        super::cleanup(&service, ecs.as_ref(), &ctx.objects),
    )
    .await
}
