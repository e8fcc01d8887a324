//! Coalescing of concurrent describes: reconcilers still ask for one object each, and
//! requests that arrive together for the same key (a cluster, a region) go to AWS as
//! one call of up to `max` ids. The first caller leads: it waits until nobody has
//! joined for `window` (at most `HOLD_LIMIT` windows in all) or the batch fills, makes
//! the call and hands every joiner the answer. Each join extending the wait keeps a
//! batch whose requests trickle in (reconciles finishing one by one after a restart)
//! from going out half empty.
//!
//! Under a rate limit the batch stays open while its leader waits for the token, so
//! the calls that do go out are full: a few large describes instead of many small
//! ones queueing for the same bucket.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};

use super::limiter::{Limiter, Prepaid};
use super::operations::Operation;
use super::{AwsError, ErrorKind};
use crate::sync::Lock;

type Answer<T> = Result<Arc<Vec<T>>, AwsError>;

struct Pending<T> {
    ids: Vec<String>,
    waiters: Vec<oneshot::Sender<Answer<T>>>,
}

struct Batch<T> {
    pending: Mutex<Pending<T>>,
    full: Notify,
    joined: Notify,
}

/// The longest a batch waits for joiners, in windows.
const HOLD_LIMIT: u32 = 4;

pub struct Coalescer<T> {
    operation: Operation,
    max: usize,
    window: Duration,
    open: Mutex<HashMap<String, Arc<Batch<T>>>>,
    admission: Option<Arc<Limiter>>,
}

impl<T: Send + Sync + 'static> Coalescer<T> {
    pub fn new(operation: Operation, max: usize, window: Duration) -> Self {
        Self {
            operation,
            max: max.max(1),
            window,
            open: Mutex::new(HashMap::new()),
            admission: None,
        }
    }

    /// Each batch takes its token from `limiter` before it closes; the call it then
    /// makes carries the receipt and is not charged again at the connector.
    pub fn admitted_by(mut self, limiter: Arc<Limiter>) -> Self {
        self.admission = Some(limiter);
        self
    }

    /// Everything the batch that carried `id` returned; the caller picks its own entry.
    /// `fetch` is called with the batch's ids, and the receipt for its token when there
    /// is one, when this caller leads the batch. When AWS rejects a batch's content,
    /// each id is described alone (paying as usual), so one bad id cannot fail the
    /// others; the bad one is left out of the answer.
    pub async fn describe<F, Fut>(&self, key: &str, id: &str, fetch: F) -> Answer<T>
    where
        F: Fn(Vec<String>, Option<Prepaid>) -> Fut,
        Fut: Future<Output = Result<Vec<T>, AwsError>>,
    {
        let (answer, receiver) = oneshot::channel();
        let led = {
            let mut open = self.open.locked();
            match open.get(key).cloned() {
                Some(batch) => {
                    let mut pending = batch.pending.locked();
                    if !pending.ids.iter().any(|known| known == id) {
                        pending.ids.push(id.to_string());
                    }
                    pending.waiters.push(answer);
                    if pending.ids.len() >= self.max {
                        // Full: nobody else may join; the leader sends it as soon as it may.
                        open.remove(key);
                        batch.full.notify_one();
                    } else {
                        batch.joined.notify_one();
                    }
                    None
                }
                None => {
                    let batch = Arc::new(Batch {
                        pending: Mutex::new(Pending {
                            ids: vec![id.to_string()],
                            waiters: vec![answer],
                        }),
                        full: Notify::new(),
                        joined: Notify::new(),
                    });
                    if self.max > 1 {
                        open.insert(key.to_string(), batch.clone());
                    }
                    Some(batch)
                }
            }
        };
        if let Some(batch) = led {
            let lead = Lead {
                open: &self.open,
                key,
                batch: batch.clone(),
            };
            if self.max > 1 {
                self.hold(&batch).await;
            }
            let receipt = match &self.admission {
                // Still open: requests keep joining while the token is awaited.
                Some(limiter) => Some(limiter.prepay(self.operation).await),
                None => None,
            };
            let Pending { ids, waiters } = lead.close();
            let first = fetch(ids.clone(), receipt).await;
            let result = match first {
                Err(e) if e.kind == ErrorKind::InvalidInput && ids.len() > 1 => {
                    let mut found = Vec::new();
                    for id in ids {
                        found.extend(fetch(vec![id], None).await.unwrap_or_default());
                    }
                    Ok(Arc::new(found))
                }
                other => other.map(Arc::new),
            };
            for waiter in waiters {
                // A joiner that gave up no longer listens; that is fine.
                let _ = waiter.send(result.clone());
            }
        }
        receiver.await.unwrap_or_else(|_| {
            // The leader's reconcile was cancelled before it answered.
            Err(AwsError::new(
                ErrorKind::Transient,
                self.operation.iam_action(),
                "BatchCancelled",
                "the batched call this request joined was cancelled; it will be retried",
            ))
        })
    }
}

impl<T> Coalescer<T> {
    /// Until the batch fills, nobody has joined for a window, or the hold limit passes.
    async fn hold(&self, batch: &Batch<T>) {
        let limit = tokio::time::Instant::now() + self.window * HOLD_LIMIT;
        loop {
            let quiet =
                tokio::time::sleep_until(limit.min(tokio::time::Instant::now() + self.window));
            tokio::select! {
                () = quiet => return,
                () = batch.full.notified() => return,
                () = batch.joined.notified() => {
                    if tokio::time::Instant::now() >= limit {
                        return;
                    }
                }
            }
        }
    }
}

/// The leader's hold on its batch. Closing it (or dropping it, when the leader's
/// reconcile is cancelled while waiting) stops anyone joining; on drop the joiners'
/// channels close, so they fail and retry instead of waiting forever.
struct Lead<'a, T> {
    open: &'a Mutex<HashMap<String, Arc<Batch<T>>>>,
    key: &'a str,
    batch: Arc<Batch<T>>,
}

impl<T> Lead<'_, T> {
    fn close(&self) -> Pending<T> {
        let mut open = self.open.locked();
        if open
            .get(self.key)
            .is_some_and(|b| Arc::ptr_eq(b, &self.batch))
        {
            open.remove(self.key);
        }
        let mut pending = self.batch.pending.locked();
        Pending {
            ids: std::mem::take(&mut pending.ids),
            waiters: std::mem::take(&mut pending.waiters),
        }
    }
}

impl<T> Drop for Lead<'_, T> {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use Operation::DescribeServices;

    fn echo(calls: &AtomicUsize, ids: Vec<String>) -> Result<Vec<String>, AwsError> {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok(ids)
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_call() {
        let coalescer = Coalescer::new(DescribeServices, 10, Duration::from_millis(20));
        let calls = AtomicUsize::new(0);
        let requests = (0..7).map(|i| {
            let id = format!("svc-{i}");
            let (coalescer, calls) = (&coalescer, &calls);
            async move {
                let all = coalescer
                    .describe("cluster", &id, |ids, _| async move { echo(calls, ids) })
                    .await
                    .unwrap();
                assert!(all.contains(&id));
                all.len()
            }
        });
        let sizes = futures::future::join_all(requests).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(sizes.iter().all(|&n| n == 7));
    }

    #[tokio::test]
    async fn a_full_batch_goes_at_once_and_the_rest_start_another() {
        // A long window: the test finishing quickly shows full batches do not wait for it.
        let coalescer = Coalescer::new(DescribeServices, 10, Duration::from_secs(30));
        let calls = AtomicUsize::new(0);
        let started = std::time::Instant::now();
        let requests = (0..20).map(|i| {
            let id = format!("svc-{i}");
            let (coalescer, calls) = (&coalescer, &calls);
            async move {
                coalescer
                    .describe("cluster", &id, |ids, _| async move { echo(calls, ids) })
                    .await
                    .unwrap()
                    .len()
            }
        });
        let sizes = futures::future::join_all(requests).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(sizes.iter().all(|&n| n == 10));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    /// `count` requests `gap` apart, each for its own id; how many calls they took.
    async fn trickle(coalescer: &Coalescer<String>, count: u64, gap: Duration) -> usize {
        let calls = AtomicUsize::new(0);
        let requests = (0..count).map(|i| {
            let id = format!("svc-{i}");
            let calls = &calls;
            async move {
                tokio::time::sleep(gap * u32::try_from(i).unwrap()).await;
                coalescer
                    .describe("cluster", &id, |ids, _| async move { echo(calls, ids) })
                    .await
                    .unwrap()
                    .contains(&id)
            }
        });
        let answered = futures::future::join_all(requests).await;
        assert!(answered.iter().all(|&found| found));
        calls.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn requests_trickling_in_still_fill_one_batch() {
        // Each arrives within a window of the one before, though the last comes 70 ms
        // after the first: a fixed 50 ms window would have split them.
        let coalescer = Coalescer::new(DescribeServices, 10, Duration::from_millis(50));
        assert_eq!(trickle(&coalescer, 8, Duration::from_millis(10)).await, 1);
    }

    #[tokio::test]
    async fn a_steady_trickle_does_not_hold_a_batch_for_ever() {
        // 15 requests over 280 ms: the first batch goes after at most 4 windows (200 ms).
        let coalescer = Coalescer::new(DescribeServices, 100, Duration::from_millis(50));
        assert!(trickle(&coalescer, 15, Duration::from_millis(20)).await >= 2);
    }

    #[tokio::test]
    async fn under_a_rate_limit_batches_fill_while_waiting_for_their_token() {
        use crate::aws::quota::{QuotaOverride, Quotas};
        use crate::telemetry::Metrics;
        // One token every 50 ms, and the burst already spent.
        let quotas = Quotas::default()
            .with_overrides(&["service-read=1:20".parse::<QuotaOverride>().unwrap()]);
        let limiter = Arc::new(Limiter::new(quotas, Arc::new(Metrics::default())));
        limiter.acquire(DescribeServices).await;
        let coalescer =
            Coalescer::new(DescribeServices, 10, Duration::from_millis(5)).admitted_by(limiter);
        let calls = AtomicUsize::new(0);
        let charged_again = AtomicUsize::new(0);
        // Requests 10 ms apart: without the hold, each window would close on one id.
        let requests = (0..20).map(|i| {
            let id = format!("svc-{i}");
            let (coalescer, calls, charged_again) = (&coalescer, &calls, &charged_again);
            async move {
                tokio::time::sleep(Duration::from_millis(10 * i)).await;
                coalescer
                    .describe("cluster", &id, |ids, receipt| async move {
                        if receipt.is_none() {
                            charged_again.fetch_add(1, Ordering::SeqCst);
                        }
                        echo(calls, ids)
                    })
                    .await
                    .unwrap()
                    .contains(&id)
            }
        });
        let answered = futures::future::join_all(requests).await;
        assert!(answered.iter().all(|&found| found));
        let calls = calls.load(Ordering::SeqCst);
        assert!(calls <= 8, "20 requests took {calls} calls");
        assert_eq!(charged_again.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn keys_are_batched_apart() {
        let coalescer = Coalescer::new(DescribeServices, 10, Duration::from_millis(10));
        let calls = AtomicUsize::new(0);
        let (a, b) = tokio::join!(
            coalescer.describe("one", "svc", |ids, _| async { echo(&calls, ids) }),
            coalescer.describe("two", "svc", |ids, _| async { echo(&calls, ids) }),
        );
        assert_eq!((a.unwrap().len(), b.unwrap().len()), (1, 1));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn every_joiner_gets_the_error() {
        let coalescer: Coalescer<String> =
            Coalescer::new(DescribeServices, 10, Duration::from_millis(10));
        let fail = |_ids: Vec<String>, _: Option<Prepaid>| async {
            Err(AwsError::new(
                ErrorKind::Throttled,
                "ecs:DescribeServices",
                "ThrottlingException",
                "Rate exceeded",
            ))
        };
        let (a, b) = tokio::join!(
            coalescer.describe("c", "one", fail),
            coalescer.describe("c", "two", fail),
        );
        assert_eq!(a.unwrap_err().kind, ErrorKind::Throttled);
        assert_eq!(b.unwrap_err().kind, ErrorKind::Throttled);
    }

    #[tokio::test]
    async fn one_rejected_id_does_not_fail_the_others() {
        let coalescer = Coalescer::new(Operation::DescribeClusters, 100, Duration::from_millis(10));
        let fetch = |ids: Vec<String>, _: Option<Prepaid>| async move {
            if ids.iter().any(|id| id == "bad name") {
                return Err(AwsError::new(
                    ErrorKind::InvalidInput,
                    "ecs:DescribeClusters",
                    "InvalidParameterException",
                    "bad name",
                ));
            }
            Ok(ids)
        };
        let (good, bad) = tokio::join!(
            coalescer.describe("", "good", fetch),
            coalescer.describe("", "bad name", fetch),
        );
        assert_eq!(*good.unwrap(), vec!["good".to_string()]);
        assert_eq!(*bad.unwrap(), vec!["good".to_string()]);
    }

    #[tokio::test]
    async fn a_joiner_whose_leader_is_cancelled_gets_a_retryable_error() {
        let coalescer: Coalescer<String> =
            Coalescer::new(DescribeServices, 10, Duration::from_millis(50));
        let leader = coalescer.describe("c", "one", |ids, _| async { Ok(ids) });
        let joiner = async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            coalescer
                .describe("c", "two", |ids, _| async { Ok(ids) })
                .await
        };
        let cancelled_leader = async {
            tokio::time::timeout(Duration::from_millis(10), leader)
                .await
                .ok()
        };
        let (lead, join) = tokio::join!(cancelled_leader, joiner);
        assert!(lead.is_none());
        assert_eq!(join.unwrap_err().kind, ErrorKind::Transient);
    }
}
