//! Client-side rate limiting: every HTTP request to AWS first takes a token from its
//! action group's bucket, so the operator spends the account's quota at the rate AWS
//! refills it instead of being throttled. A ThrottlingException (someone else shares
//! the quota) halves the group's rate; successes and quiet time bring it back step by
//! step.
//!
//! It sits at the HTTP connector, below the describe batching, so one batched
//! DescribeServices costs one token, as it does at AWS. A batch takes its token before
//! it closes (so it fills while waiting) and attaches the receipt to the one request it
//! then sends: the connector lets exactly that request through unpaid.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::orchestrator::HttpRequest;

use super::operations::Operation;
use super::quota::{ActionGroup, Quotas, Ticket, TokenBucket};
use crate::sync::Lock;
use crate::telemetry::Metrics;

mod connector;
pub use connector::limited_https_client;

/// After a throttle the rate never drops below this share of the quota.
const FLOOR: f64 = 0.1;
/// Each success, and each second, gives back this share of the quota, up to the quota.
/// Time alone must restore it: a group throttled by its last calls sees no successes
/// until it is used again, and turns booked then would be spread at the lowered rate.
const RECOVERY: f64 = 0.05;

/// A token already taken from the limiter for one request of `operation`. Only
/// `Limiter::prepay` makes one; the request it is attached to (as an HTTP request
/// extension) is not charged again, and no other request can use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prepaid {
    operation: Operation,
}

impl Prepaid {
    /// Marks `request` as paid for.
    pub fn attach(self, request: &mut HttpRequest) {
        request.add_extension(self);
    }
}

/// The operation an HTTP request is for, attached by the call interceptor
/// (`CallMetrics`) from the SDK's own metadata, so the connector knows it whatever the
/// protocol: ECS names it in X-Amz-Target, Scheduler only in its REST path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Called(pub Operation);

/// The longest a write waits inside the limiter; a writer that would wait longer books
/// its token instead (`Limiter::book`).
pub const QUEUE_LIMIT: Duration = Duration::from_secs(1);

/// A booked writer whose token is this close sends now.
const EARLY_ENOUGH: Duration = Duration::from_secs(1);
/// A wait in the limiter shorter than this at the present rate is slept in one go.
const EXACT_BELOW: Duration = Duration::from_millis(100);
/// The shortest a booked writer is told to wait before it asks again.
const RECHECK_AFTER: Duration = Duration::from_millis(250);

/// A write's token, taken in queue order by `Limiter::book`. Its wait is worked out
/// again whenever its writer comes back (`Limiter::turn`), at the rate then.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Booking {
    operation: Operation,
    ticket: Ticket,
}

impl Booking {
    /// The receipt to send the booked write with.
    pub fn receipt(self) -> Prepaid {
        Prepaid {
            operation: self.operation,
        }
    }
}

/// When a booked writer owed `owed` tokens at `rate` should ask again: None when they
/// come within `EARLY_ENOUGH` (send now), else after the time they take at the full
/// `quota`. A rate held down by a throttle recovers meanwhile, and is not waited out
/// that way; a writer back too soon is told again.
fn come_back(owed: f64, rate: f64, quota: f64) -> Option<Duration> {
    (owed / rate > EARLY_ENOUGH.as_secs_f64())
        .then(|| Duration::from_secs_f64(owed / quota).max(RECHECK_AFTER))
}

/// One account and region's buckets.
pub struct Limiter {
    quotas: Quotas,
    buckets: Mutex<HashMap<ActionGroup, Paced>>,
    metrics: Arc<Metrics>,
}

/// A group's bucket, and when its rate last recovered with time.
struct Paced {
    bucket: TokenBucket,
    recovered: Instant,
}

impl Paced {
    /// Gives back `RECOVERY` of the quota for each whole second since the last time.
    fn recover(&mut self, quota: f64, now: Instant) {
        let seconds = now.saturating_duration_since(self.recovered).as_secs();
        if seconds == 0 {
            return;
        }
        self.recovered += Duration::from_secs(seconds);
        if self.bucket.rate() < quota {
            let given = quota * RECOVERY * seconds as f64;
            self.bucket
                .set_rate((self.bucket.rate() + given).min(quota), now);
        }
    }
}

impl Limiter {
    pub fn new(quotas: Quotas, metrics: Arc<Metrics>) -> Self {
        Self {
            quotas,
            buckets: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    fn with_bucket<T>(&self, group: ActionGroup, f: impl FnOnce(&mut TokenBucket, f64) -> T) -> T {
        let quota = self.quotas.get(group);
        let now = Instant::now();
        let mut buckets = self.buckets.locked();
        let paced = buckets.entry(group).or_insert_with(|| Paced {
            bucket: TokenBucket::full(quota, now),
            recovered: now,
        });
        paced.recover(quota.per_second, now);
        f(&mut paced.bucket, quota.per_second)
    }

    /// How long the next call of `operation` must wait at the present rate; the token
    /// is reserved.
    #[cfg(test)]
    fn reserve(&self, operation: Operation) -> Duration {
        self.with_bucket(operation.group(), |bucket, _| {
            bucket.reserve(Instant::now())
        })
    }

    /// Waits until `operation` may be sent: until its token is covered, worked out again
    /// after each sleep, so that a rate changing meanwhile (a throttle, a recovery)
    /// moves the wait with it.
    pub async fn acquire(&self, operation: Operation) {
        let group = operation.group();
        let now = Instant::now();
        let (ticket, wait) = self.with_bucket(group, |bucket, _| {
            let ticket = bucket.ticket(now);
            let wait = bucket.owed(ticket, now) / bucket.rate();
            (ticket, Duration::from_secs_f64(wait))
        });
        if wait.is_zero() {
            return;
        }
        self.metrics.observe_rate_limit_wait(group.name(), wait);
        while let Some(sleep) = self.still_to_wait(group, ticket) {
            tokio::time::sleep(sleep).await;
        }
    }

    /// None once `ticket` is covered. Else how long to sleep before asking again: the
    /// time the tokens still owed take at the full quota, or at the present rate when
    /// that is short, so the last sleep ends when the token comes.
    fn still_to_wait(&self, group: ActionGroup, ticket: Ticket) -> Option<Duration> {
        let now = Instant::now();
        self.with_bucket(group, |bucket, quota| {
            let owed = bucket.owed(ticket, now);
            let at_rate = (owed / bucket.rate()).min(EXACT_BELOW.as_secs_f64());
            (owed > 0.0).then(|| Duration::from_secs_f64((owed / quota).max(at_rate)))
        })
    }

    /// Waits for a token of `operation` and hands it over, for a request sent later.
    pub async fn prepay(&self, operation: Operation) -> Prepaid {
        self.acquire(operation).await;
        Prepaid { operation }
    }

    /// For a caller about to send `operation`: None when its token comes within
    /// `QUEUE_LIMIT` (it then waits in the limiter as usual). Else the token is taken now,
    /// in queue order, and the caller gets when to come back (`Limiter::turn`) and the
    /// booking to send with then: it does not hold a reconcile slot while it waits, and
    /// is not charged again.
    pub fn book(&self, operation: Operation) -> Option<(Duration, Booking)> {
        let now = Instant::now();
        let (wait, come_back, ticket) = self.with_bucket(operation.group(), |bucket, quota| {
            (bucket.backlog(now) > QUEUE_LIMIT).then(|| {
                let ticket = bucket.ticket(now);
                let owed = bucket.owed(ticket, now);
                let wait = Duration::from_secs_f64(owed / bucket.rate());
                let come_back = come_back(owed, bucket.rate(), quota).unwrap_or(RECHECK_AFTER);
                (wait, come_back, ticket)
            })
        })?;
        self.metrics
            .observe_rate_limit_wait(operation.group().name(), wait);
        Some((come_back, Booking { operation, ticket }))
    }

    /// None: `booking`'s token is due; send now with its receipt. Some(wait): come back
    /// after `wait`.
    pub fn turn(&self, booking: &Booking) -> Option<Duration> {
        let now = Instant::now();
        self.with_bucket(booking.operation.group(), |bucket, quota| {
            come_back(bucket.owed(booking.ticket, now), bucket.rate(), quota)
        })
    }

    /// AWS throttled `operation`: halve its group's rate.
    pub fn throttled(&self, operation: Operation) {
        let group = operation.group();
        self.with_bucket(group, |bucket, quota| {
            let rate = (bucket.rate() / 2.0).max(quota * FLOOR);
            bucket.set_rate(rate, Instant::now());
            tracing::info!(
                group = group.name(),
                rate,
                "AWS throttled a call; slowing down"
            );
        });
    }

    /// `operation` succeeded: recover part of its group's rate.
    pub fn succeeded(&self, operation: Operation) {
        self.with_bucket(operation.group(), |bucket, quota| {
            if bucket.rate() < quota {
                let rate = (bucket.rate() + quota * RECOVERY).min(quota);
                bucket.set_rate(rate, Instant::now());
            }
        });
    }

    #[cfg(test)]
    fn rate(&self, operation: Operation) -> f64 {
        self.with_bucket(operation.group(), |bucket, _| bucket.rate())
    }

    /// The rate of `operation`'s group as it will be at `later`, with no call between.
    #[cfg(test)]
    fn rate_at(&self, operation: Operation, later: Instant) -> f64 {
        let quota = self.quotas.get(operation.group()).per_second;
        let mut buckets = self.buckets.locked();
        buckets.get_mut(&operation.group()).map_or(quota, |paced| {
            paced.recover(quota, later);
            paced.bucket.rate()
        })
    }
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("quotas", &self.quotas)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::quota::QuotaOverride;
    use Operation::{CreateService, DescribeServices, TagResource, UpdateService};

    fn limiter(setting: &str) -> Limiter {
        let quotas = Quotas::default().with_overrides(&[setting.parse::<QuotaOverride>().unwrap()]);
        Limiter::new(quotas, Arc::new(Metrics::default()))
    }

    #[test]
    fn calls_beyond_the_burst_wait_for_the_refill() {
        let limiter = limiter("service-write=2:10");
        let waits: Vec<Duration> = (0..4).map(|_| limiter.reserve(CreateService)).collect();
        assert!(waits[0].is_zero() && waits[1].is_zero());
        assert!(waits[2] > Duration::from_millis(50) && waits[2] <= Duration::from_millis(100));
        assert!(waits[3] > Duration::from_millis(150) && waits[3] <= Duration::from_millis(200));
        // Another group has its own bucket.
        assert!(limiter.reserve(DescribeServices).is_zero());
    }

    #[test]
    fn writers_beyond_a_short_queue_book_their_tokens_in_order() {
        let limiter = limiter("service-write=1:2");
        let op = Operation::UpdateService;
        assert_eq!(limiter.book(op), None, "a full bucket: send now");
        for _ in 0..4 {
            limiter.reserve(op);
        }
        // Four calls reserved against a burst of one: the next would wait 2 s, over the limit.
        let (first, booking) = limiter.book(op).expect("too long a queue to wait in");
        let (second, _) = limiter.book(op).expect("still too long");
        assert_eq!(booking.receipt(), Prepaid { operation: op });
        let gap = second - first;
        assert!(first > QUEUE_LIMIT, "{first:?}");
        assert!(
            gap >= Duration::from_millis(450) && gap <= Duration::from_millis(550),
            "booked half a second apart at 2 per second: {gap:?}"
        );
        assert!(limiter.turn(&booking).is_some(), "not due yet");
        assert_eq!(
            limiter.book(Operation::DescribeServices),
            None,
            "other groups unaffected"
        );
    }

    #[test]
    fn a_booked_turn_comes_sooner_as_a_throttled_rate_recovers() {
        let limiter = limiter("service-write=1:10");
        let op = Operation::UpdateService;
        for _ in 0..10 {
            limiter.throttled(op);
        }
        assert_eq!(limiter.rate(op), 1.0);
        for _ in 0..20 {
            limiter.reserve(op);
        }
        let (come_back, booking) = limiter.book(op).expect("twenty queued at 1 a second");
        assert!(
            come_back <= Duration::from_millis(2100),
            "told to come back at the pace of the full quota, not in 20 s: {come_back:?}"
        );
        for _ in 0..100 {
            limiter.succeeded(op);
        }
        assert_eq!(limiter.rate(op), 10.0, "recovered");
        let left = limiter.turn(&booking).expect("twenty tokens still owed");
        assert!(
            left <= Duration::from_millis(2100),
            "the queue booked at 1 a second now goes at 10: {left:?}"
        );
    }

    #[tokio::test]
    async fn a_caller_waiting_in_the_limiter_goes_sooner_when_the_rate_recovers() {
        let limiter = Arc::new(limiter("service-write=1:10"));
        let op = Operation::UpdateService;
        for _ in 0..10 {
            limiter.throttled(op);
        }
        for _ in 0..5 {
            limiter.reserve(op);
        }
        // Five queued at 1 a second: about 5 s at the throttled rate.
        let waiting = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.acquire(op).await }
        });
        // Let it take its place in the queue before the rate recovers.
        tokio::time::sleep(Duration::from_millis(50)).await;
        for _ in 0..100 {
            limiter.succeeded(op);
        }
        let sent = tokio::time::timeout(Duration::from_millis(1500), waiting).await;
        assert!(sent.is_ok(), "at 10 a second the queue clears in 0.5 s");
    }

    #[test]
    fn a_throttle_halves_the_rate_and_successes_restore_it() {
        let limiter = limiter("service-read=10:20");
        limiter.throttled(DescribeServices);
        assert_eq!(limiter.rate(DescribeServices), 10.0);
        for _ in 0..10 {
            limiter.throttled(DescribeServices);
        }
        assert_eq!(limiter.rate(DescribeServices), 2.0, "never below 10 %");
        for _ in 0..100 {
            limiter.succeeded(DescribeServices);
        }
        assert_eq!(
            limiter.rate(DescribeServices),
            20.0,
            "never above the quota"
        );
        assert_eq!(limiter.rate(UpdateService), 5.0, "other groups untouched");
    }

    #[test]
    fn a_throttled_group_recovers_with_time_even_without_calls() {
        let limiter = limiter("service-read=10:20");
        for _ in 0..10 {
            limiter.throttled(DescribeServices);
        }
        let now = Instant::now();
        assert_eq!(limiter.rate_at(DescribeServices, now), 2.0);
        let rate = limiter.rate_at(DescribeServices, now + Duration::from_secs(4));
        assert!(
            (5.0..=7.0).contains(&rate),
            "a twentieth of the quota per second: {rate}"
        );
        assert_eq!(
            limiter.rate_at(DescribeServices, now + Duration::from_secs(60)),
            20.0,
            "back to the quota"
        );
    }

    #[tokio::test]
    async fn waits_are_counted_in_the_metrics() {
        let metrics = Arc::new(Metrics::default());
        let quotas =
            Quotas::default().with_overrides(&["tagging=1:100".parse::<QuotaOverride>().unwrap()]);
        let limiter = Limiter::new(quotas, metrics.clone());
        limiter.acquire(TagResource).await;
        limiter.acquire(TagResource).await;
        let text = metrics.encode();
        assert!(
            text.contains(r#"ecs_operator_aws_rate_limit_waits_total{group="tagging"} 1"#),
            "{text}"
        );
    }
}
