//! Locks that survive a panic elsewhere.
//!
//! A reconcile that panics is caught (see `reconcile::contained`) and the process keeps
//! serving every other object, so a lock it held must stay usable. The operator's
//! critical sections only read, insert into or remove from maps and counters, and none
//! calls out while holding a lock, so a panic can at worst lose one entry's update
//! (a cache entry, a backoff count): taking the poisoned guard is sound.

use std::sync::{Mutex, MutexGuard, PoisonError};

pub trait Lock<T> {
    /// The guard, whether or not an earlier holder panicked.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T> Lock<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_lock_poisoned_by_a_panic_still_serves_the_others() {
        let counts = Arc::new(Mutex::new(vec![1]));
        let held = counts.clone();
        let panicked = std::thread::spawn(move || {
            let _guard = held.lock();
            panic!("a reconcile panicked while holding the lock");
        })
        .join();
        assert!(panicked.is_err() && counts.is_poisoned());
        counts.locked().push(2);
        assert_eq!(*counts.locked(), [1, 2]);
    }
}
