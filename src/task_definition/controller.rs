//! How the runner drives `TaskDefinition` objects.

use std::future::Future;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use crate::api::{TaskDefinition, TaskDefinitionStatus};
use crate::aws::{AwsApi, AwsError};
use crate::controller::Index;
use crate::controller::Managed;
use crate::controller::runner::Reconciler;
use crate::reconcile::{Cleanup, Outcome};

impl Managed for TaskDefinition {
    type Status = TaskDefinitionStatus;
    const LABEL: &'static str = "taskdefinition";

    fn current_status(&self) -> Option<&TaskDefinitionStatus> {
        self.status.as_ref()
    }

    fn shared_fields(
        status: &mut TaskDefinitionStatus,
    ) -> (&mut Vec<Condition>, &mut Option<i64>, &mut Option<String>) {
        (
            &mut status.conditions,
            &mut status.observed_generation,
            &mut status.region,
        )
    }
}

impl Reconciler for TaskDefinition {
    fn spec_region(&self) -> Option<&str> {
        self.spec.region.as_deref()
    }

    fn reconcile<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> impl Future<Output = Result<Outcome<TaskDefinitionStatus>, AwsError>> + Send + 'a {
        super::reconcile(self, aws, index)
    }

    fn cleanup<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> impl Future<Output = Result<Cleanup<TaskDefinitionStatus>, AwsError>> + Send + 'a {
        super::cleanup(self, aws, index)
    }
}
