//! Per-object exponential backoff with jitter for failed reconciles, and
//! jittered resyncs, so many objects never retry or resync in lockstep.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::sync::Lock;

const FIRST: Duration = Duration::from_secs(2);
const MAX: Duration = Duration::from_secs(300);

#[derive(Default)]
pub struct Backoff {
    failures: Mutex<HashMap<String, u32>>,
}

impl Backoff {
    /// The delay before retrying `key` after one more failure.
    pub fn next_delay(&self, key: &str) -> Duration {
        let mut failures = self.failures.locked();
        let count = failures.entry(key.to_string()).or_insert(0);
        *count = count.saturating_add(1);
        let exponential = FIRST.saturating_mul(1 << (*count - 1).min(16)).min(MAX);
        jitter(exponential)
    }

    /// Whether `key`'s last reconcile failed, so the next one is a retry.
    pub fn failing(&self, key: &str) -> bool {
        self.failures.locked().contains_key(key)
    }

    /// Forgets `key`'s failures after a success.
    pub fn reset(&self, key: &str) {
        self.failures.locked().remove(key);
    }
}

/// `base` scaled by a random factor in [0.8, 1.2).
pub fn jitter(base: Duration) -> Duration {
    base.mul_f64(rand::random_range(0.8..1.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_cap_and_reset_after_success() {
        let backoff = Backoff::default();
        let first = backoff.next_delay("ns/a");
        assert!(
            first >= Duration::from_millis(1600) && first < Duration::from_millis(2400),
            "{first:?}"
        );
        let third = {
            backoff.next_delay("ns/a");
            backoff.next_delay("ns/a")
        };
        assert!(third >= Duration::from_millis(6400), "{third:?}");
        for _ in 0..20 {
            assert!(backoff.next_delay("ns/a") < MAX.mul_f64(1.2));
        }
        backoff.reset("ns/a");
        assert!(backoff.next_delay("ns/a") < Duration::from_millis(2400));
    }

    #[test]
    fn objects_back_off_independently() {
        let backoff = Backoff::default();
        for _ in 0..5 {
            backoff.next_delay("ns/busy");
        }
        assert!(backoff.next_delay("ns/calm") < Duration::from_millis(2400));
    }
}
