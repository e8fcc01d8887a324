//! Task definition revisions never change once registered, so each revision ARN is
//! described once and kept. Only its tags and status can change: the operator's own
//! TagResource, UntagResource and DeregisterTaskDefinition calls forget the entry, and
//! a `Freshness::Live` describe (the TaskDefinition's resync, checking for changes made
//! elsewhere) replaces it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::aws::EcsTaskDefinition;
use crate::sync::Lock;

/// The oldest entries go first once `capacity` revisions are kept.
pub struct RevisionCache {
    capacity: usize,
    entries: Mutex<(HashMap<String, EcsTaskDefinition>, VecDeque<String>)>,
}

impl RevisionCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    pub fn get(&self, arn: &str) -> Option<EcsTaskDefinition> {
        self.entries.locked().0.get(arn).cloned()
    }

    /// Keeps a described revision under the ARN it was asked for, when that ARN names
    /// one revision (a family alone means "latest", which moves).
    pub fn keep(&self, asked: &str, revision: &EcsTaskDefinition) {
        if !names_a_revision(asked) {
            return;
        }
        let mut guard = self.entries.locked();
        let (entries, order) = &mut *guard;
        if entries
            .insert(asked.to_string(), revision.clone())
            .is_none()
        {
            order.push_back(asked.to_string());
        }
        while order.len() > self.capacity {
            if let Some(oldest) = order.pop_front() {
                entries.remove(&oldest);
            }
        }
    }

    pub fn forget(&self, arn: &str) {
        let mut guard = self.entries.locked();
        let (entries, order) = &mut *guard;
        if entries.remove(arn).is_some() {
            order.retain(|kept| kept != arn);
        }
    }
}

/// `family:3` or `arn:...:task-definition/family:3`, as opposed to a bare family.
fn names_a_revision(arn: &str) -> bool {
    let last = arn.rsplit('/').next().unwrap_or(arn);
    last.rsplit_once(':').is_some_and(|(_, revision)| {
        !revision.is_empty() && revision.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";

    fn revision(n: i32) -> EcsTaskDefinition {
        EcsTaskDefinition {
            arn: format!("arn:aws:ecs:us-east-1:123456789012:task-definition/web:{n}"),
            revision: n,
            ..Default::default()
        }
    }

    #[test]
    fn a_revision_is_kept_until_forgotten() {
        let cache = RevisionCache::new(10);
        cache.keep(ARN, &revision(3));
        assert_eq!(cache.get(ARN), Some(revision(3)));
        cache.forget(ARN);
        assert_eq!(cache.get(ARN), None);
    }

    #[test]
    fn a_bare_family_is_never_kept() {
        let cache = RevisionCache::new(10);
        cache.keep("web", &revision(3));
        cache.keep(
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web",
            &revision(3),
        );
        assert_eq!(cache.get("web"), None);
        cache.keep("web:3", &revision(3));
        assert_eq!(cache.get("web:3"), Some(revision(3)));
    }

    #[test]
    fn the_oldest_entries_make_room() {
        let cache = RevisionCache::new(2);
        for n in 1..=3 {
            cache.keep(&format!("web:{n}"), &revision(n));
        }
        assert_eq!(cache.get("web:1"), None);
        assert!(cache.get("web:2").is_some() && cache.get("web:3").is_some());
    }
}
