//! The Kubernetes side of reconciling: finalizers, status writes, Events,
//! retry timing, and running the controllers.

pub mod backoff;
mod error;
mod kube_io;
pub mod shell;
mod written;

use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use kube::runtime::events::{Recorder, Reporter};

use crate::aws::clients::AwsClients;
use crate::telemetry::Telemetry;
use written::Written;

pub use backoff::Backoff;
pub use error::ReconcileError;
pub use kube_io::KubeIo;

/// Shared by every reconcile.
pub struct Context {
    pub client: Client,
    pub aws: AwsClients,
    pub recorder: Recorder,
    /// Drift-detection interval; each requeue adds jitter.
    pub resync: Duration,
    pub backoff: Backoff,
    pub telemetry: Arc<Telemetry>,
    /// The operator's own writes, for reconciles the watch cache has not caught up with.
    pub written: Written,
}

impl Context {
    pub fn new(
        client: Client,
        aws: AwsClients,
        resync: Duration,
        telemetry: Arc<Telemetry>,
    ) -> Self {
        let reporter = Reporter {
            controller: crate::api::MANAGER.to_string(),
            instance: std::env::var("POD_NAME").ok(),
        };
        Self {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            aws,
            resync,
            backoff: Backoff::default(),
            telemetry,
            written: Written::default(),
        }
    }
}

impl AsRef<Context> for Context {
    fn as_ref(&self) -> &Context {
        self
    }
}
