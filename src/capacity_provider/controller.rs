//! How the runner drives `CapacityProvider` objects.

use std::future::Future;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::ResourceExt;

use crate::api::{CapacityProvider, CapacityProviderStatus};
use crate::aws::{AwsApi, AwsError};
use crate::controller::Index;
use crate::controller::Managed;
use crate::controller::runner::Reconciler;
use crate::reconcile::{Cleanup, Outcome};

impl Managed for CapacityProvider {
    type Status = CapacityProviderStatus;
    const LABEL: &'static str = "capacityprovider";

    fn current_status(&self) -> Option<&CapacityProviderStatus> {
        self.status.as_ref()
    }

    fn shared_fields(
        status: &mut CapacityProviderStatus,
    ) -> (&mut Vec<Condition>, &mut Option<i64>, &mut Option<String>) {
        (
            &mut status.conditions,
            &mut status.observed_generation,
            &mut status.region,
        )
    }
}

impl Reconciler for CapacityProvider {
    fn spec_region(&self) -> Option<&str> {
        self.spec.region.as_deref()
    }

    fn reconcile<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> impl Future<Output = Result<Outcome<CapacityProviderStatus>, AwsError>> + Send + 'a {
        super::reconcile(self, aws, index)
    }

    async fn cleanup<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> Result<Cleanup<CapacityProviderStatus>, AwsError> {
        // Clusters and Services of the namespace still naming the provider make deletion wait.
        let dependents = index.dependents_on_capacity_provider(
            &self.namespace().unwrap_or_default(),
            &self.name_any(),
            &self.provider_name(),
        );
        super::cleanup(self, aws, &dependents).await
    }
}
