//! Client-side rate limiting: every HTTP request to AWS first takes a token from its
//! action group's bucket, so the operator spends the account's quota at the rate AWS
//! refills it instead of being throttled. A ThrottlingException (someone else shares
//! the quota) halves the group's rate; successes bring it back step by step.
//!
//! It sits at the HTTP connector, below the describe batching, so one batched
//! DescribeServices costs one token, as it does at AWS.

use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{Builder, Connector, tls};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

use super::quota::{ActionGroup, Quotas, TokenBucket};
use crate::sync::Lock;
use crate::telemetry::Metrics;

/// After a throttle the rate never drops below this share of the quota.
const FLOOR: f64 = 0.1;
/// Each success gives back this share of the quota, up to the quota.
const RECOVERY: f64 = 0.05;

tokio::task_local! {
    /// Set while a call whose token was already taken (by a describe batch) is sent.
    static PREPAID: Cell<bool>;
}

/// Runs `call` with its first AWS request exempt from the connector's token when
/// `paid` (the caller took it); retries pay as usual.
pub async fn prepaid<F: Future>(paid: bool, call: F) -> F::Output {
    PREPAID.scope(Cell::new(paid), call).await
}

/// Whether the request being sent was paid for; uses the credit up.
pub(super) fn take_prepaid() -> bool {
    PREPAID
        .try_with(|paid| paid.replace(false))
        .unwrap_or(false)
}

/// One account and region's buckets.
pub struct Limiter {
    quotas: Quotas,
    buckets: Mutex<HashMap<ActionGroup, TokenBucket>>,
    metrics: Arc<Metrics>,
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
        let mut buckets = self.buckets.locked();
        let bucket = buckets
            .entry(group)
            .or_insert_with(|| TokenBucket::full(quota, Instant::now()));
        f(bucket, quota.per_second)
    }

    /// How long the next call of `operation` must wait; the token is reserved.
    fn reserve(&self, operation: &str) -> Option<(ActionGroup, Duration)> {
        let group = ActionGroup::of(operation)?;
        let wait = self.with_bucket(group, |bucket, _| bucket.reserve(Instant::now()));
        Some((group, wait))
    }

    /// Waits until `operation` may be sent.
    pub async fn acquire(&self, operation: &str) {
        if let Some((group, wait)) = self.reserve(operation)
            && !wait.is_zero()
        {
            self.metrics.observe_rate_limit_wait(group.name(), wait);
            tokio::time::sleep(wait).await;
        }
    }

    /// AWS throttled `operation`: halve its group's rate.
    pub fn throttled(&self, operation: &str) {
        let Some(group) = ActionGroup::of(operation) else {
            return;
        };
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
    pub fn succeeded(&self, operation: &str) {
        let Some(group) = ActionGroup::of(operation) else {
            return;
        };
        self.with_bucket(group, |bucket, quota| {
            if bucket.rate() < quota {
                let rate = (bucket.rate() + quota * RECOVERY).min(quota);
                bucket.set_rate(rate, Instant::now());
            }
        });
    }

    #[cfg(test)]
    fn rate(&self, operation: &str) -> f64 {
        let group = ActionGroup::of(operation).expect("known operation");
        self.with_bucket(group, |bucket, _| bucket.rate())
    }
}

/// The SDK's HTTPS client (rustls, proxy settings from the environment) with every
/// request passing through `limiter` first.
pub fn limited_https_client(limiter: Arc<Limiter>) -> SharedHttpClient {
    let inner = Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = Connector::builder().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    SharedHttpClient::new(LimitedClient { inner, limiter })
}

#[derive(Debug)]
struct LimitedClient {
    inner: SharedHttpClient,
    limiter: Arc<Limiter>,
}

impl HttpClient for LimitedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LimitedConnector {
            inner: self.inner.http_connector(settings, components),
            limiter: self.limiter.clone(),
        })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    limiter: Arc<Limiter>,
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        // Both ECS and Application Auto Scaling name the operation in X-Amz-Target
        // ("AmazonEC2ContainerServiceV20141113.DescribeServices").
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .map(str::to_string);
        let inner = self.inner.clone();
        let limiter = self.limiter.clone();
        // Read now: the SDK calls the connector from within the caller's task. Only an
        // ECS or Application Auto Scaling request uses the credit (a credentials
        // request made on the way must not).
        let paid = operation.is_some() && take_prepaid();
        HttpConnectorFuture::new(async move {
            if let Some(operation) = operation.filter(|_| !paid) {
                limiter.acquire(&operation).await;
            }
            inner.call(request).await
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

    fn limiter(setting: &str) -> Limiter {
        let quotas = Quotas::default().with_overrides(&[setting.parse::<QuotaOverride>().unwrap()]);
        Limiter::new(quotas, Arc::new(Metrics::default()))
    }

    #[test]
    fn calls_beyond_the_burst_wait_for_the_refill() {
        let limiter = limiter("service-write=2:10");
        let waits: Vec<Duration> = (0..4)
            .map(|_| limiter.reserve("CreateService").unwrap().1)
            .collect();
        assert!(waits[0].is_zero() && waits[1].is_zero());
        assert!(waits[2] > Duration::from_millis(50) && waits[2] <= Duration::from_millis(100));
        assert!(waits[3] > Duration::from_millis(150) && waits[3] <= Duration::from_millis(200));
        // Another group has its own bucket.
        assert!(limiter.reserve("DescribeServices").unwrap().1.is_zero());
    }

    #[test]
    fn a_throttle_halves_the_rate_and_successes_restore_it() {
        let limiter = limiter("service-read=10:20");
        limiter.throttled("DescribeServices");
        assert_eq!(limiter.rate("DescribeServices"), 10.0);
        for _ in 0..10 {
            limiter.throttled("DescribeServices");
        }
        assert_eq!(limiter.rate("DescribeServices"), 2.0, "never below 10 %");
        for _ in 0..100 {
            limiter.succeeded("DescribeServices");
        }
        assert_eq!(
            limiter.rate("DescribeServices"),
            20.0,
            "never above the quota"
        );
        assert_eq!(limiter.rate("UpdateService"), 5.0, "other groups untouched");
    }

    #[test]
    fn operations_outside_the_table_are_not_limited() {
        let limiter = limiter("all=1:1");
        assert!(limiter.reserve("RunTask").is_none());
    }

    #[tokio::test]
    async fn a_prepaid_call_is_exempt_once() {
        assert!(!take_prepaid(), "outside a prepaid call nothing is exempt");
        let exempt = prepaid(true, async { (take_prepaid(), take_prepaid()) }).await;
        assert_eq!(
            exempt,
            (true, false),
            "the first request only; a retry pays"
        );
        assert!(!prepaid(false, async { take_prepaid() }).await);
    }

    #[tokio::test]
    async fn waits_are_counted_in_the_metrics() {
        let metrics = Arc::new(Metrics::default());
        let quotas =
            Quotas::default().with_overrides(&["tagging=1:100".parse::<QuotaOverride>().unwrap()]);
        let limiter = Limiter::new(quotas, metrics.clone());
        limiter.acquire("TagResource").await;
        limiter.acquire("TagResource").await;
        let text = metrics.encode();
        assert!(
            text.contains(r#"ecs_operator_aws_rate_limit_waits_total{group="tagging"} 1"#),
            "{text}"
        );
    }
}
