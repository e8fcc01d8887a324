//! Retries of throttled and transient AWS calls, inside one reconcile.
//!
//! The SDK's own retries are turned off (see `clients`), so this is the one retry
//! policy, and the reconciler tests exercise it against the fake. Which failures are
//! retried comes from the operation table (`operations`); the wrapper's methods are
//! generated there too.

use std::future::Future;
use std::time::Duration;

use super::{AwsError, ErrorKind};

/// Which failures of an operation a retry can cure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryClass {
    /// Throttling, 5xx answers, timeouts and connection failures.
    Standard,
    /// Those, and ConcurrentUpdateException (`ErrorKind::InUse`): another change to the
    /// same scalable target is in flight and clears by itself.
    ConcurrentUpdates,
}

/// Whether an operation may be sent again after an attempt whose answer was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Idempotent, or made so (a client token, create-or-return-existing, put by name).
    Safe,
    /// A lost answer may hide work done: only throttling, which AWS refuses before any
    /// work, is retried; the next reconcile finds what the lost attempt did.
    OnlyWhenThrottled,
}

/// Wraps an AWS port, retrying what the operation table says a retry can cure with
/// exponential backoff and full jitter. Anything else is returned at once.
pub struct Retrying<E> {
    inner: E,
    attempts: u32,
    base_delay: Duration,
}

impl<E> Retrying<E> {
    pub fn new(inner: E, attempts: u32, base_delay: Duration) -> Self {
        Self {
            inner,
            attempts: attempts.max(1),
            base_delay,
        }
    }

    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// Calls `call` until it succeeds, fails in a way `class` cannot cure or `repeat`
    /// forbids repeating, or runs out of attempts.
    pub(super) async fn retry<T, F, Fut>(
        &self,
        class: RetryClass,
        repeat: Repeat,
        call: F,
    ) -> Result<T, AwsError>
    where
        F: Fn() -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, AwsError>> + Send,
    {
        let mut attempt = 1;
        loop {
            match call().await {
                Err(e) if attempt < self.attempts && retried(class, repeat, e.kind) => {
                    let ceiling = self.base_delay.saturating_mul(1 << attempt.min(10));
                    let delay = ceiling.mul_f64(rand::random_range(0.0..1.0));
                    tracing::debug!(action = e.action, code = %e.code, attempt, ?delay, "retrying AWS call");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// Whether a failure of `kind` is worth another attempt.
fn retried(class: RetryClass, repeat: Repeat, kind: ErrorKind) -> bool {
    let curable = match class {
        RetryClass::Standard => matches!(kind, ErrorKind::Throttled | ErrorKind::Transient),
        RetryClass::ConcurrentUpdates => matches!(
            kind,
            ErrorKind::Throttled | ErrorKind::Transient | ErrorKind::InUse
        ),
    };
    match repeat {
        Repeat::Safe => curable,
        Repeat::OnlyWhenThrottled => kind == ErrorKind::Throttled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Operation;

    fn retried_op(op: Operation, kind: ErrorKind) -> bool {
        retried(op.retry_class(), op.repeat(), kind)
    }

    #[test]
    fn a_register_is_retried_only_when_throttled() {
        let op = Operation::RegisterTaskDefinition;
        assert!(retried_op(op, ErrorKind::Throttled));
        assert!(
            !retried_op(op, ErrorKind::Transient),
            "a timeout may hide a registered revision"
        );
        assert!(retried_op(Operation::CreateService, ErrorKind::Transient));
    }

    #[test]
    fn concurrent_scaling_updates_are_retried_and_user_errors_never() {
        assert!(retried_op(Operation::PutScalingPolicy, ErrorKind::InUse));
        assert!(
            !retried_op(Operation::DeleteCluster, ErrorKind::InUse),
            "a cluster with services waits for the reconcile"
        );
        for op in Operation::ALL {
            for kind in [
                ErrorKind::InvalidInput,
                ErrorKind::AccessDenied,
                ErrorKind::NotFound,
            ] {
                assert!(!retried_op(*op, kind), "{op:?} {kind:?}");
            }
        }
    }
}
