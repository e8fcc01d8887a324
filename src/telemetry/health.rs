//! What `/readyz` answers. A leader (or a process without leader election) is ready
//! once every controller's watch cache has synced. A standby is ready as soon as it
//! is waiting for the lease: it is a healthy spare, and marking it unready would
//! stall a rolling update of a two-replica Deployment.

use crate::sync::Lock;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Starting,
    Standby,
    Leading,
}

pub struct Health {
    role: Mutex<Role>,
    /// Each controller's cache: synced or not.
    caches: Mutex<HashMap<&'static str, bool>>,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            role: Mutex::new(Role::Starting),
            caches: Mutex::new(HashMap::new()),
        }
    }
}

impl Health {
    /// Names the caches that must sync before a leader is ready.
    pub fn expect_caches(&self, names: &[&'static str]) {
        let mut caches = self.caches.locked();
        for name in names {
            caches.entry(name).or_insert(false);
        }
    }

    pub fn cache_synced(&self, name: &'static str) {
        self.caches.locked().insert(name, true);
    }

    pub fn set_role(&self, role: Role) {
        *self.role.locked() = role;
    }

    pub fn is_ready(&self) -> bool {
        self.not_ready_because().is_none()
    }

    /// Why the process is not ready yet, for the /readyz body; None when it is.
    pub fn not_ready_because(&self) -> Option<String> {
        match *self.role.locked() {
            Role::Starting => Some("starting".to_string()),
            Role::Standby => None,
            Role::Leading => {
                let caches = self.caches.locked();
                let mut waiting: Vec<_> = caches
                    .iter()
                    .filter(|(_, synced)| !**synced)
                    .map(|(name, _)| *name)
                    .collect();
                waiting.sort_unstable();
                match (caches.is_empty(), waiting.is_empty()) {
                    (true, _) => Some("no controller started".to_string()),
                    (false, true) => None,
                    (false, false) => Some(format!("caches not synced: {}", waiting.join(", "))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leader_is_ready_only_once_every_cache_has_synced() {
        let health = Health::default();
        health.expect_caches(&["cluster", "service"]);
        assert!(!health.is_ready(), "not ready while starting");
        health.set_role(Role::Leading);
        health.cache_synced("cluster");
        assert!(!health.is_ready(), "the service cache has not synced");
        health.cache_synced("service");
        assert!(health.is_ready());
    }

    #[test]
    fn a_standby_is_ready_without_caches() {
        let health = Health::default();
        health.expect_caches(&["cluster"]);
        health.set_role(Role::Standby);
        assert!(health.is_ready());
    }
}
