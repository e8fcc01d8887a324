//! How the runner drives `Task` objects.

use std::future::Future;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use crate::api::task::AttemptStatus;
use crate::api::{Task, TaskStatus};
use crate::aws::{AwsApi, AwsError};
use crate::controller::Index;
use crate::controller::Managed;
use crate::controller::runner::Reconciler;
use crate::reconcile::{Cleanup, Outcome};

impl Managed for Task {
    type Status = TaskStatus;
    const LABEL: &'static str = "task";

    fn current_status(&self) -> Option<&TaskStatus> {
        self.status.as_ref()
    }

    fn shared_fields(
        status: &mut TaskStatus,
    ) -> (&mut Vec<Condition>, &mut Option<i64>, &mut Option<String>) {
        (
            &mut status.conditions,
            &mut status.observed_generation,
            &mut status.region,
        )
    }

    fn task_runs(status: &TaskStatus) -> Vec<&AttemptStatus> {
        status.attempts.iter().collect()
    }
}

impl Reconciler for Task {
    fn spec_region(&self) -> Option<&str> {
        self.spec.region.as_deref()
    }

    fn reconcile<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> impl Future<Output = Result<Outcome<TaskStatus>, AwsError>> + Send + 'a {
        super::reconcile(self, aws, index)
    }

    async fn cleanup<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        _index: &'a dyn Index,
    ) -> Result<Cleanup<TaskStatus>, AwsError> {
        super::cleanup(self, aws).await
    }
}
