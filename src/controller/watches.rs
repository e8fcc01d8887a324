//! Watch wiring: every watch stream the controllers run, slimmed before it enters a
//! cache and counted towards /readyz.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::{Stream, StreamExt};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;

use crate::telemetry::Telemetry;

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
