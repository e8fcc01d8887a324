//! Retries of throttled and transient AWS calls, inside one reconcile.
//!
//! The SDK's own retries are turned off (see `clients`), so this is the one retry
//! policy, and the reconciler tests exercise it against the fake. Which failures are
//! retried comes from the operation table (`operations`); the wrapper's methods are
//! generated there too.

use std::future::Future;
use std::time::Duration;

use super::operations::{Operation, Repeat, RetryClass};
use super::{AwsError, ErrorKind};

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

    pub(super) async fn retry<T, F, Fut>(
        &self,
        operation: Operation,
        call: F,
    ) -> Result<T, AwsError>
    where
        F: Fn() -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, AwsError>> + Send,
    {
        let mut attempt = 1;
        loop {
            match call().await {
                Err(e) if attempt < self.attempts && retried(operation, e.kind) => {
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

/// Whether a failure of `kind` is worth another attempt of `operation`.
fn retried(operation: Operation, kind: ErrorKind) -> bool {
    let curable = match operation.retry_class() {
        RetryClass::Standard => matches!(kind, ErrorKind::Throttled | ErrorKind::Transient),
        RetryClass::ConcurrentUpdates => matches!(
            kind,
            ErrorKind::Throttled | ErrorKind::Transient | ErrorKind::InUse
        ),
    };
    match operation.repeat() {
        Repeat::Safe => curable,
        Repeat::OnlyWhenThrottled => kind == ErrorKind::Throttled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_register_is_retried_only_when_throttled() {
        let op = Operation::RegisterTaskDefinition;
        assert!(retried(op, ErrorKind::Throttled));
        assert!(
            !retried(op, ErrorKind::Transient),
            "a timeout may hide a registered revision"
        );
        assert!(retried(Operation::CreateService, ErrorKind::Transient));
    }

    #[test]
    fn concurrent_scaling_updates_are_retried_and_user_errors_never() {
        assert!(retried(Operation::PutScalingPolicy, ErrorKind::InUse));
        assert!(
            !retried(Operation::DeleteCluster, ErrorKind::InUse),
            "a cluster with services waits for the reconcile"
        );
        for op in Operation::ALL {
            for kind in [
                ErrorKind::InvalidInput,
                ErrorKind::AccessDenied,
                ErrorKind::NotFound,
            ] {
                assert!(!retried(*op, kind), "{op:?} {kind:?}");
            }
        }
    }
}
