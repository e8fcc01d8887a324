//! Leader election over a coordination.k8s.io Lease (kube-lease-manager). Only the
//! holder reconciles; a standby waits and takes over once the leader's lease expires.

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cli::LeaderElectionArgs;

#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    #[error(
        "could not use the Lease {namespace}/{name}: {source}; check the operator may get, create and update leases in that namespace"
    )]
    Lease {
        namespace: String,
        name: String,
        source: kube_lease_manager::LeaseManagerError,
    },
}

/// The held lease. Dropping it without `release` leaves the lease to expire.
pub struct Leadership {
    state: watch::Receiver<bool>,
    task: JoinHandle<kube_lease_manager::Result<LeaseManager>>,
}

/// This process's identity in the Lease: the pod name in a cluster, else host and PID.
pub fn identity() -> String {
    std::env::var("POD_NAME").unwrap_or_else(|_| {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_string());
        format!("{host}-{}", std::process::id())
    })
}

/// Waits until this process holds the lease. None when `stop` resolves first.
pub async fn acquire(
    client: Client,
    args: &LeaderElectionArgs,
    stop: impl Future<Output = ()>,
) -> Result<Option<Leadership>, LeaderError> {
    let namespace = args
        .lease_namespace
        .clone()
        .or_else(|| std::env::var("POD_NAMESPACE").ok())
        .unwrap_or_else(|| "default".to_string());
    let duration = args.lease_duration.as_secs().max(2);
    // Renew a third of the duration before expiry, so one slow renewal does not lose the lease.
    let grace = (duration / 3).max(1);
    let lease_error = |source| LeaderError::Lease {
        namespace: namespace.clone(),
        name: args.lease_name.clone(),
        source,
    };
    let identity = identity();
    let manager = LeaseManagerBuilder::new(client, &args.lease_name)
        .with_namespace(&namespace)
        .with_identity(&identity)
        .with_duration(duration)
        .with_grace(grace)
        .build()
        .await
        .map_err(lease_error)?;
    let (mut state, task) = manager.watch().await;
    tracing::info!(lease = %args.lease_name, namespace = %namespace, identity = %identity, "waiting for the leader lease");
    tokio::pin!(stop);
    loop {
        if *state.borrow_and_update() {
            return Ok(Some(Leadership { state, task }));
        }
        tokio::select! {
            changed = state.changed() => {
                if changed.is_err() {
                    // The manager task ended: report why.
                    return match task.await {
                        Ok(Err(e)) => Err(lease_error(e)),
                        _ => Ok(None),
                    };
                }
            }
            () = &mut stop => {
                drop(state);
                let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
                return Ok(None);
            }
        }
    }
}

impl Leadership {
    /// Resolves when this process no longer holds the lease.
    pub fn lost(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut state = self.state.clone();
        async move {
            while *state.borrow_and_update() {
                if state.changed().await.is_err() {
                    return;
                }
            }
        }
    }

    /// Gives the lease up, so a standby takes over at once instead of after expiry.
    pub async fn release(self, within: Duration) {
        drop(self.state);
        match tokio::time::timeout(within, self.task).await {
            Ok(Ok(Ok(_))) => tracing::info!("leader lease released"),
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "could not release the leader lease; it will expire")
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the lease task failed; the lease will expire")
            }
            Err(_) => tracing::warn!("releasing the leader lease timed out; it will expire"),
        }
    }
}
