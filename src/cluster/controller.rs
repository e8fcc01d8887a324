//! How the runner drives `Cluster` objects.

use std::future::Future;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::ResourceExt;

use crate::api::{Cluster, ClusterStatus};
use crate::aws::{AwsApi, AwsError};
use crate::controller::Index;
use crate::controller::Managed;
use crate::controller::runner::Reconciler;
use crate::reconcile::{Cleanup, Outcome};

impl Managed for Cluster {
    type Status = ClusterStatus;
    const LABEL: &'static str = "cluster";

    fn current_status(&self) -> Option<&ClusterStatus> {
        self.status.as_ref()
    }

    fn shared_fields(
        status: &mut ClusterStatus,
    ) -> (&mut Vec<Condition>, &mut Option<i64>, &mut Option<String>) {
        (
            &mut status.conditions,
            &mut status.observed_generation,
            &mut status.region,
        )
    }
}

impl Reconciler for Cluster {
    fn spec_region(&self) -> Option<&str> {
        self.spec.region.as_deref()
    }

    fn reconcile<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> impl Future<Output = Result<Outcome<ClusterStatus>, AwsError>> + Send + 'a {
        super::reconcile(self, aws, index)
    }

    async fn cleanup<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> Result<Cleanup<ClusterStatus>, AwsError> {
        // Services and ScheduledTasks still referencing the cluster make deletion wait.
        let dependents =
            index.dependents_on_cluster(&self.namespace().unwrap_or_default(), &self.name_any());
        super::cleanup(self, aws, &dependents).await
    }
}
