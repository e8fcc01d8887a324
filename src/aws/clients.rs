//! One AWS client per region the operator serves, built at start-up: an object cannot
//! make the operator build (and hold memory for) a client of a region of its choosing.
//!
//! Endpoints and credentials come only from the standard AWS environment and
//! default credential chain (environment, profile, IRSA, EKS Pod Identity, IMDS).

use std::collections::BTreeMap;
use std::sync::Arc;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::telemetry::Metrics;

use super::AwsApi;
use super::call_metrics::CallMetrics;
use super::limiter::{Limiter, limited_https_client};
use super::quota::Quotas;
use super::retry::Retrying;
use super::sdk::SdkEcs;

/// Attempts per AWS call, and the first backoff ceiling, for throttled or transient failures.
const ATTEMPTS: u32 = 4;
const BASE_DELAY: Duration = Duration::from_millis(200);

/// How the operator talks to AWS, beyond what the standard AWS environment says.
#[derive(Clone, Debug)]
pub struct AwsSettings {
    /// Serves objects whose spec names no region; else the SDK's region.
    pub default_region: Option<String>,
    /// Regions served besides the default one.
    pub allowed_regions: Vec<String>,
    /// Client-side token buckets, per region.
    pub quotas: Quotas,
    /// How long to wait for AWS to start answering before the attempt counts as failed.
    pub read_timeout: Duration,
}

pub struct AwsClients {
    default_region: String,
    ecs: BTreeMap<String, Arc<dyn AwsApi>>,
}

impl AwsClients {
    /// Loads the shared AWS configuration. Every call attempt is counted in `metrics`.
    pub async fn from_env(settings: AwsSettings, metrics: Arc<Metrics>) -> Self {
        // Retries are ours (aws::retry), so the SDK makes one attempt per call. A describe
        // batch's rate-limit receipt is attached to every attempt the SDK makes, so SDK
        // retries would also go unpaid: keep them off.
        // A request waits for its rate-limit token inside the HTTP connector, where the
        // SDK's upload stall protection counts the wait as a stalled upload: with a queue
        // longer than its grace period every attempt failed before it was sent (found by
        // the generated manifests: 56 Clusters deleting at once on cluster-write's 1 per
        // second). Request bodies are small and in memory; downloads stay protected.
        let base = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::disabled())
            .stalled_stream_protection(
                StalledStreamProtectionConfig::enabled()
                    .upload_enabled(false)
                    .build(),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .read_timeout(settings.read_timeout)
                    .build(),
            )
            .load()
            .await;
        let default_region = settings.default_region;
        let default_region = default_region
            .or_else(|| base.region().map(|r| r.to_string()))
            .unwrap_or_else(|| "us-east-1".to_string());
        let ecs: BTreeMap<_, _> = settings
            .allowed_regions
            .iter()
            .chain([&default_region])
            .map(|region| {
                let client = region_client(&base, region, &settings.quotas, &metrics);
                (region.clone(), client)
            })
            .collect();
        metrics.set_aws_regions(ecs.len());
        Self {
            default_region,
            ecs,
        }
    }

    /// The region an object's spec names, else the default.
    pub fn region_for(&self, spec_region: Option<&str>) -> String {
        spec_region.unwrap_or(&self.default_region).to_string()
    }

    /// The region's client, or None for a region the operator does not serve.
    pub fn ecs(&self, region: &str) -> Option<Arc<dyn AwsApi>> {
        self.ecs.get(region).cloned()
    }

    /// The regions served, in order.
    pub fn regions(&self) -> Vec<&str> {
        self.ecs.keys().map(String::as_str).collect()
    }
}

fn region_client(
    base: &SdkConfig,
    region: &str,
    quotas: &Quotas,
    metrics: &Arc<Metrics>,
) -> Arc<dyn AwsApi> {
    // ECS, Application Auto Scaling and Scheduler quotas are per account and region: one
    // limiter serves the region's clients.
    let limiter = Arc::new(Limiter::new(quotas.clone(), metrics.clone()));
    let http = limited_https_client(limiter.clone());
    let config = aws_sdk_ecs::config::Builder::from(base)
        .region(Region::new(region.to_string()))
        .http_client(http.clone())
        .interceptor(CallMetrics::new(metrics.clone(), limiter.clone()))
        .build();
    let scaling = aws_sdk_applicationautoscaling::config::Builder::from(base)
        .region(Region::new(region.to_string()))
        .http_client(http.clone())
        .interceptor(CallMetrics::new(metrics.clone(), limiter.clone()))
        .build();
    let scheduler = aws_sdk_scheduler::config::Builder::from(base)
        .region(Region::new(region.to_string()))
        .http_client(http)
        .interceptor(CallMetrics::new(metrics.clone(), limiter.clone()))
        .build();
    let sdk = SdkEcs::new(
        aws_sdk_ecs::Client::from_conf(config),
        aws_sdk_applicationautoscaling::Client::from_conf(scaling),
        aws_sdk_scheduler::Client::from_conf(scheduler),
    )
    .admitted_by(limiter);
    Arc::new(Retrying::new(sdk, ATTEMPTS, BASE_DELAY))
}
