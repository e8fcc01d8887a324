//! The Kubernetes side of reconciling: finalizers, status writes, Events, retry
//! timing, the watches, and the one runner every kind's controller uses.

mod backoff;
mod driver;
mod error;
mod fair;
mod index;
mod kind;
mod kube_io;
pub mod runner;
pub(crate) mod status;
mod unreadable;
mod watches;
mod written;

use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use kube::runtime::events::{Recorder, Reporter};

use crate::aws::clients::AwsClients;
use crate::telemetry::Telemetry;
use written::Written;

pub use backoff::Backoff;
#[cfg(test)]
pub(crate) use driver::requeue_delay;
pub use error::ReconcileError;
#[cfg(test)]
pub use index::TestIndex;
pub use index::{Caches, Index};
pub use kind::Managed;
pub use kube_io::KubeIo;
pub use watches::{OnUnreadable, Source, SyncMarker, watched};

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
    /// The watch caches reconciles read other objects from.
    pub caches: Caches,
}

impl Context {
    pub fn new(
        client: Client,
        aws: AwsClients,
        resync: Duration,
        telemetry: Arc<Telemetry>,
        caches: Caches,
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
            caches,
        }
    }
}
