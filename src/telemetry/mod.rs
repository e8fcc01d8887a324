//! What the operator tells the outside world about itself: logs, Prometheus
//! metrics, and the health endpoints Kubernetes probes.

pub mod health;
pub mod http;
pub mod logs;
pub mod metrics;
pub mod rollouts;
pub mod task_runs;

pub use health::Health;
pub use logs::init as init_logs;
pub use metrics::Metrics;

use std::sync::Arc;

/// Metrics and health, shared by the controllers, the AWS clients and the HTTP server.
#[derive(Default)]
pub struct Telemetry {
    pub metrics: Arc<Metrics>,
    pub health: Health,
}
