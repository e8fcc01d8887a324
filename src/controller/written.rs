//! The operator's own writes that the watch cache has not shown yet.
//!
//! Status writes do not start a reconcile (only spec changes do), but a requeue or a
//! referenced object's change can, and the cache may still hold the version from
//! before the operator's last write. Reconciling that version would act on a stale
//! status: a Service would take its last applied intent as unknown and send its
//! settings to ECS again. So the object each write returned is kept, and a reconcile
//! handed a version that write replaced gets the written one instead. The entry goes
//! as soon as the cache shows any other version.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::sync::Lock;
use kube::{Resource, ResourceExt};

struct Entry {
    /// Versions older than `object`: the cache showing one of these is behind.
    replaced: Vec<String>,
    object: Arc<dyn Any + Send + Sync>,
}

/// The latest object each of the operator's writes returned, by uid.
#[derive(Default)]
pub struct Written {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Written {
    /// `written` is what the API server returned for a write made on `replaced`.
    pub fn record<K: Resource + Send + Sync + 'static>(&self, replaced: &K, written: K) {
        let (Some(uid), Some(old)) = (written.uid(), replaced.resource_version()) else {
            return;
        };
        let mut entries = self.entries.locked();
        let mut stale = vec![old];
        if let Some(previous) = entries.remove(&uid) {
            stale.extend(previous.replaced);
            if let Some(kept) = previous.object.downcast_ref::<K>() {
                stale.extend(kept.resource_version());
            }
        }
        entries.insert(
            uid,
            Entry {
                replaced: stale,
                object: Arc::new(written),
            },
        );
    }

    /// The freshest known version of `cached`: the operator's own last write when the
    /// cache is behind it, else `cached` itself.
    pub fn freshest<K: Resource + Send + Sync + 'static>(&self, cached: Arc<K>) -> Arc<K> {
        let (Some(uid), Some(version)) = (cached.uid(), cached.resource_version()) else {
            return cached;
        };
        let mut entries = self.entries.locked();
        let Some(entry) = entries.get(&uid) else {
            return cached;
        };
        if entry.replaced.contains(&version) {
            return entry.object.clone().downcast::<K>().unwrap_or(cached);
        }
        entries.remove(&uid);
        cached
    }

    /// The object is gone; nothing to remember.
    pub fn forget<K: Resource>(&self, object: &K) {
        if let Some(uid) = object.uid() {
            self.entries.locked().remove(&uid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Service;

    fn version(rv: &str, desired_count: i32) -> Service {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.operator.dev/v1alpha1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "apps", "uid": "u-1", "resourceVersion": rv},
            "spec": {"clusterRef": {"name": "c"}, "taskDefinitionRef": {"name": "t"}, "desiredCount": desired_count},
        }))
        .unwrap()
    }

    fn rv(object: &Service) -> String {
        object.resource_version().unwrap()
    }

    #[test]
    fn a_reconcile_handed_the_version_a_write_replaced_gets_the_written_one() {
        let written = Written::default();
        written.record(&version("1", 1), version("2", 1));
        assert_eq!(rv(&written.freshest(Arc::new(version("1", 1)))), "2");
    }

    #[test]
    fn successive_writes_all_count_as_replaced() {
        // A finalizer, then a status: the cache may still show either older version.
        let written = Written::default();
        written.record(&version("1", 1), version("2", 1));
        written.record(&version("1", 1), version("3", 1));
        assert_eq!(rv(&written.freshest(Arc::new(version("1", 1)))), "3");
        assert_eq!(rv(&written.freshest(Arc::new(version("2", 1)))), "3");
    }

    #[test]
    fn once_the_cache_shows_another_version_it_wins_and_the_entry_goes() {
        let written = Written::default();
        written.record(&version("1", 1), version("2", 1));
        // The user's edit after the operator's write.
        let edited = written.freshest(Arc::new(version("4", 3)));
        assert_eq!(
            (rv(&edited), edited.spec.settings.desired_count),
            ("4".into(), Some(3))
        );
        // The entry is gone, so memory does not grow with objects written once.
        assert_eq!(rv(&written.freshest(Arc::new(version("1", 1)))), "1");
    }

    #[test]
    fn a_forgotten_object_is_taken_as_cached() {
        let written = Written::default();
        written.record(&version("1", 1), version("2", 1));
        written.forget(&version("2", 1));
        assert_eq!(rv(&written.freshest(Arc::new(version("1", 1)))), "1");
    }
}
