//! Locks that survive a panic elsewhere.
//!
//! A reconcile that panics is caught (see `controller::shell`) and the process keeps
//! serving every other object, so a lock it held must stay usable. Every critical
//! section in the operator is a single insert, remove or read of a map or counter,
//! which leaves the data consistent at every step: taking the poisoned guard is sound.

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
