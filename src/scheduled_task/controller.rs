//! How the runner drives `ScheduledTask` objects.

use std::future::Future;

use futures::Stream;
use kube::runtime::reflector::ObjectRef;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use crate::api::task::AttemptStatus;
use crate::api::{ScheduledTask, ScheduledTaskStatus};
use crate::aws::{AwsApi, AwsError};
use crate::controller::Index;
use crate::controller::Managed;
use crate::controller::runner::{Extra, Reconciler};
use crate::reconcile::{Cleanup, Outcome};

impl Managed for ScheduledTask {
    type Status = ScheduledTaskStatus;
    const LABEL: &'static str = "scheduledtask";

    fn current_status(&self) -> Option<&ScheduledTaskStatus> {
        self.status.as_ref()
    }

    fn shared_fields(
        status: &mut ScheduledTaskStatus,
    ) -> (&mut Vec<Condition>, &mut Option<i64>, &mut Option<String>) {
        (
            &mut status.conditions,
            &mut status.observed_generation,
            &mut status.region,
        )
    }

    fn task_runs(status: &ScheduledTaskStatus) -> Vec<&AttemptStatus> {
        status.runs.iter().collect()
    }
}

impl Reconciler for ScheduledTask {
    fn spec_region(&self) -> Option<&str> {
        self.spec.region.as_deref()
    }

    fn reconcile<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> impl Future<Output = Result<Outcome<ScheduledTaskStatus>, AwsError>> + Send + 'a {
        super::reconcile(self, aws, index)
    }

    async fn cleanup<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        _index: &'a dyn Index,
    ) -> Result<Cleanup<ScheduledTaskStatus>, AwsError> {
        super::cleanup(self, aws).await
    }
}

/// Wakes the ScheduledTasks whose Cluster or TaskDefinition changed (the Service
/// controller's watches of both kinds send them), so a new revision reaches the
/// schedule within seconds instead of at the next resync.
pub fn references_changed(
    woken: impl Stream<Item = ObjectRef<ScheduledTask>> + Send + 'static,
) -> Extra<ScheduledTask> {
    Extra {
        streams: 0,
        wire: Box::new(move |controller, _| controller.reconcile_on(woken)),
    }
}
