//! The Kubernetes side of reconciling: finalizers, status writes, Events, retry
//! timing, the watches, and the one runner every kind's controller uses.

mod backoff;
mod driver;
mod error;
mod events;
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

use crate::aws::clients::AwsClients;
use crate::telemetry::Telemetry;
use events::Recorder;
use written::Written;

pub use backoff::Backoff;
#[cfg(test)]
pub(crate) use driver::requeue_delay;
pub use error::ReconcileError;
pub(crate) use events::truncated;
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
        Self {
            recorder: Recorder::new(
                client.clone(),
                crate::api::MANAGER.to_string(),
                std::env::var("POD_NAME").ok(),
            ),
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
