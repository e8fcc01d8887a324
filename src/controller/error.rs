//! Why a reconcile failed, with a fixed category for logs and metrics.

use crate::aws::AwsError;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// An AWS call failed in a way a retry can fix (throttling, 5xx, resource busy).
    #[error("{0}; retrying with backoff")]
    Aws(#[from] AwsError),
    /// The Kubernetes API refused or failed a write.
    #[error("Kubernetes API call failed: {0}; retrying with backoff")]
    Kube(#[from] kube::Error),
}

impl ReconcileError {
    /// A fixed label, never the error text.
    pub fn category(&self) -> &'static str {
        match self {
            Self::Aws(e) => e.kind.as_str(),
            Self::Kube(_) => "KubernetesApi",
        }
    }
}
