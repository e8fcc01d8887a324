//! Watch wiring: every watch stream the controllers run, read leniently, slimmed
//! before it enters a cache and counted towards /readyz.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::{Stream, StreamExt, future};
use k8s_openapi::NamespaceResourceScope;
use kube::api::{ApiResource, DynamicObject};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

use super::unreadable::{Unreadable, UnreadableReporter};
use crate::telemetry::Telemetry;

/// Where a kind's objects are watched: one namespace, or every namespace.
#[derive(Clone)]
pub struct Source {
    pub client: Client,
    pub namespace: Option<String>,
}

impl Source {
    fn api(&self, resource: &ApiResource) -> Api<DynamicObject> {
        match &self.namespace {
            Some(namespace) => Api::namespaced_with(self.client.clone(), namespace, resource),
            None => Api::all_with(self.client.clone(), resource),
        }
    }
}

/// What a watch does with an object its kind's types cannot read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnUnreadable {
    /// Say so in the object's status (the kind's own controller does this).
    Report,
    /// Leave it out of the cache without a word (a watch of another controller's kind).
    Skip,
}

/// Watches K from `source` into `writer`'s cache (slimmed, and counted towards
/// `synced`), yielding the objects whose `key` changed.
///
/// Objects are listed untyped and converted one by one: the API server stores values
/// the types cannot hold (objects written before a CRD bound existed stay in etcd), and
/// one such object in a typed list would fail every list of the kind, stopping it for
/// every namespace. An unreadable object is kept out of the cache instead.
pub fn watched<K>(
    source: Source,
    writer: reflector::store::Writer<K>,
    synced: &SyncMarker,
    key: fn(&K) -> Option<u64>,
    on_unreadable: OnUnreadable,
) -> impl Stream<Item = Result<K, watcher::Error>> + Send + use<K>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + Debug
        + DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let resource = ApiResource::erase::<K>(&());
    let api = source.api(&resource);
    let cache = writer.as_reader();
    let reporter = (on_unreadable == OnUnreadable::Report)
        .then(|| UnreadableReporter::new(source.client, resource));
    watcher(api, watcher::Config::default())
        .default_backoff()
        .modify(slim)
        .filter_map(move |event| future::ready(typed(event, &cache, reporter.as_ref())))
        .inspect(synced.stream())
        .reflect(writer)
        .touched_objects()
        .predicate_filter(key, Default::default())
}

/// The watch event with its object converted to K. An object that cannot be converted
/// is reported and left out; if the cache holds an earlier, readable version, the
/// event becomes its deletion, so no reconcile acts on a spec the user has replaced.
fn typed<K>(
    event: Result<watcher::Event<DynamicObject>, watcher::Error>,
    cache: &Store<K>,
    reporter: Option<&UnreadableReporter>,
) -> Option<Result<watcher::Event<K>, watcher::Error>>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned,
{
    let report = |unreadable: &Unreadable| {
        if let Some(reporter) = reporter {
            reporter.report(unreadable);
        }
    };
    let earlier = |unreadable: &Unreadable| {
        let name = unreadable.metadata.name.as_deref().unwrap_or_default();
        let mut reference = ObjectRef::<K>::new(name);
        reference.namespace = unreadable.metadata.namespace.clone();
        cache.get(&reference).map(|object| (*object).clone())
    };
    let event = match event {
        Ok(event) => event,
        Err(error) => return Some(Err(error)),
    };
    let event = match event {
        watcher::Event::Init => watcher::Event::Init,
        watcher::Event::InitDone => watcher::Event::InitDone,
        watcher::Event::InitApply(object) => match Unreadable::convert(object) {
            Ok(object) => watcher::Event::InitApply(object),
            Err(unreadable) => {
                report(&unreadable);
                return None;
            }
        },
        watcher::Event::Apply(object) => match Unreadable::convert(object) {
            Ok(object) => watcher::Event::Apply(object),
            Err(unreadable) => {
                report(&unreadable);
                watcher::Event::Delete(earlier(&unreadable)?)
            }
        },
        watcher::Event::Delete(object) => match Unreadable::convert(object) {
            Ok(object) => watcher::Event::Delete(object),
            Err(unreadable) => watcher::Event::Delete(earlier(&unreadable)?),
        },
    };
    Some(Ok(event))
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

pub(super) fn slimmed<K: Resource>(mut object: K) -> K {
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
