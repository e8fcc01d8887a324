//! How long service deployments take to complete in one region, learned from those the
//! operator saw complete. On ECS a deployment takes minutes (tasks are placed, their
//! images pulled, their health checks passed); on an emulator whose clock runs fast, a
//! fraction of a second. The first look at a new deployment comes when deployments here
//! usually end, so neither waits on a fixed interval meant for the other.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use crate::sync::Lock;

/// How many recent deployments the estimate is taken from.
const KEPT: usize = 32;

#[derive(Debug, Default)]
pub struct RolloutPace {
    recent: Mutex<VecDeque<Duration>>,
}

impl RolloutPace {
    /// A deployment took `took` from its creation to COMPLETED.
    pub fn record(&self, took: Duration) {
        let mut recent = self.recent.locked();
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(took);
    }

    /// The median of the recent deployments (the upper one of an even count): one
    /// service with nothing to start, or one stuck on a health check, does not move it.
    /// None until a deployment completed.
    pub fn typical(&self) -> Option<Duration> {
        let mut sorted: Vec<Duration> = self.recent.locked().iter().copied().collect();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn nothing_is_typical_before_a_deployment_completed() {
        assert_eq!(RolloutPace::default().typical(), None);
    }

    #[test]
    fn the_typical_deployment_is_the_median_so_outliers_do_not_move_it() {
        let pace = RolloutPace::default();
        for took in [90, 1, 120, 100, 3600] {
            pace.record(seconds(took));
        }
        assert_eq!(pace.typical(), Some(seconds(100)));
    }

    #[test]
    fn only_recent_deployments_count() {
        let pace = RolloutPace::default();
        for _ in 0..KEPT {
            pace.record(seconds(300));
        }
        for _ in 0..=KEPT / 2 {
            pace.record(seconds(2));
        }
        assert_eq!(
            pace.typical(),
            Some(seconds(2)),
            "most of the kept ones are fast now"
        );
        assert_eq!(pace.recent.locked().len(), KEPT);
    }
}
