//! Retries of throttled and transient AWS calls, inside one reconcile.
//!
//! The SDK's own retries are turned off (see `clients`), so this is the one
//! retry policy, and the reconciler tests exercise it against the fake.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;

use super::{
    AwsError, CreateCluster, CreateService, EcsApi, EcsCluster, EcsService, EcsTaskDefinition,
    ErrorKind, ObservedPolicy, ObservedScheduledAction, PutPolicyResult, RegisterScalableTarget,
    RegisterTaskDefinition, ScalableTarget, ScalingPolicy, ScheduledScaling, Tags,
    TaskDefinitionPage, UpdateCluster, UpdateService,
};
use crate::api::cluster::CapacityProviderStrategyItem;

/// Wraps an `EcsApi`, retrying Throttled and Transient failures with
/// exponential backoff and full jitter. Anything else is returned at once.
pub struct Retrying<E> {
    inner: E,
    attempts: u32,
    base_delay: Duration,
}

impl<E: EcsApi> Retrying<E> {
    pub fn new(inner: E, attempts: u32, base_delay: Duration) -> Self {
        Self {
            inner,
            attempts: attempts.max(1),
            base_delay,
        }
    }

    pub fn inner(&self) -> &E {
        &self.inner
    }

    async fn retry<T, F, Fut>(&self, call: F) -> Result<T, AwsError>
    where
        F: Fn() -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, AwsError>> + Send,
    {
        self.retry_on(&[ErrorKind::Throttled, ErrorKind::Transient], call)
            .await
    }

    /// Scaling calls are idempotent by name, and ConcurrentUpdateException (another
    /// change to the same target in flight) clears by itself, so it is retried too.
    async fn retry_scaling<T, F, Fut>(&self, call: F) -> Result<T, AwsError>
    where
        F: Fn() -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, AwsError>> + Send,
    {
        self.retry_on(
            &[ErrorKind::Throttled, ErrorKind::Transient, ErrorKind::InUse],
            call,
        )
        .await
    }

    async fn retry_on<T, F, Fut>(&self, kinds: &[ErrorKind], call: F) -> Result<T, AwsError>
    where
        F: Fn() -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, AwsError>> + Send,
    {
        let mut attempt = 1;
        loop {
            match call().await {
                Err(e) if attempt < self.attempts && kinds.contains(&e.kind) => {
                    let ceiling = self.base_delay.saturating_mul(1 << attempt.min(10));
                    let delay = ceiling.mul_f64(rand::rng().random_range(0.0..1.0));
                    tracing::debug!(action = e.action, code = %e.code, attempt, ?delay, "retrying AWS call");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[async_trait]
impl<E: EcsApi> EcsApi for Retrying<E> {
    async fn describe_cluster(&self, name_or_arn: &str) -> Result<Option<EcsCluster>, AwsError> {
        self.retry(|| self.inner.describe_cluster(name_or_arn))
            .await
    }

    async fn create_cluster(&self, request: &CreateCluster) -> Result<EcsCluster, AwsError> {
        // Safe to repeat: CreateCluster returns the existing cluster for a name already taken.
        self.retry(|| self.inner.create_cluster(request)).await
    }

    async fn update_cluster(&self, arn: &str, update: &UpdateCluster) -> Result<(), AwsError> {
        self.retry(|| self.inner.update_cluster(arn, update)).await
    }

    async fn put_cluster_capacity_providers(
        &self,
        arn: &str,
        providers: &[String],
        strategy: &[CapacityProviderStrategyItem],
    ) -> Result<(), AwsError> {
        self.retry(|| {
            self.inner
                .put_cluster_capacity_providers(arn, providers, strategy)
        })
        .await
    }

    async fn tag_resource(&self, arn: &str, tags: &Tags) -> Result<(), AwsError> {
        self.retry(|| self.inner.tag_resource(arn, tags)).await
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        self.retry(|| self.inner.untag_resource(arn, keys)).await
    }

    async fn delete_cluster(&self, arn: &str) -> Result<String, AwsError> {
        self.retry(|| self.inner.delete_cluster(arn)).await
    }

    async fn register_task_definition(
        &self,
        request: &RegisterTaskDefinition,
    ) -> Result<EcsTaskDefinition, AwsError> {
        // Not idempotent: a timeout may hide a registered revision, and repeating the call
        // would add a second one. Only throttling (refused before any work) is retried here;
        // anything else fails the reconcile, whose next pass finds the revision by its hash tag.
        self.retry_on(&[ErrorKind::Throttled], || {
            self.inner.register_task_definition(request)
        })
        .await
    }

    async fn describe_task_definition(
        &self,
        arn: &str,
    ) -> Result<Option<EcsTaskDefinition>, AwsError> {
        self.retry(|| self.inner.describe_task_definition(arn))
            .await
    }

    async fn list_task_definitions(
        &self,
        family_prefix: &str,
        next_token: Option<&str>,
    ) -> Result<TaskDefinitionPage, AwsError> {
        self.retry(|| self.inner.list_task_definitions(family_prefix, next_token))
            .await
    }

    async fn deregister_task_definition(&self, arn: &str) -> Result<(), AwsError> {
        self.retry(|| self.inner.deregister_task_definition(arn))
            .await
    }

    async fn describe_service(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<EcsService>, AwsError> {
        self.retry(|| self.inner.describe_service(cluster, service))
            .await
    }

    async fn create_service(&self, request: &CreateService) -> Result<EcsService, AwsError> {
        // Safe to repeat: the client token makes ECS return the service the first call made.
        self.retry(|| self.inner.create_service(request)).await
    }

    async fn update_service(&self, request: &UpdateService) -> Result<EcsService, AwsError> {
        self.retry(|| self.inner.update_service(request)).await
    }

    async fn delete_service(&self, cluster: &str, service: &str) -> Result<EcsService, AwsError> {
        self.retry(|| self.inner.delete_service(cluster, service))
            .await
    }

    async fn describe_scalable_target(
        &self,
        resource_id: &str,
    ) -> Result<Option<ScalableTarget>, AwsError> {
        self.retry_scaling(|| self.inner.describe_scalable_target(resource_id))
            .await
    }

    async fn register_scalable_target(
        &self,
        request: &RegisterScalableTarget,
    ) -> Result<Option<String>, AwsError> {
        self.retry_scaling(|| self.inner.register_scalable_target(request))
            .await
    }

    async fn deregister_scalable_target(&self, resource_id: &str) -> Result<(), AwsError> {
        self.retry_scaling(|| self.inner.deregister_scalable_target(resource_id))
            .await
    }

    async fn describe_scaling_policies(
        &self,
        resource_id: &str,
    ) -> Result<Vec<ObservedPolicy>, AwsError> {
        self.retry_scaling(|| self.inner.describe_scaling_policies(resource_id))
            .await
    }

    async fn put_scaling_policy(
        &self,
        resource_id: &str,
        policy: &ScalingPolicy,
    ) -> Result<PutPolicyResult, AwsError> {
        self.retry_scaling(|| self.inner.put_scaling_policy(resource_id, policy))
            .await
    }

    async fn delete_scaling_policy(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        self.retry_scaling(|| self.inner.delete_scaling_policy(resource_id, name))
            .await
    }

    async fn describe_scheduled_actions(
        &self,
        resource_id: &str,
    ) -> Result<Vec<ObservedScheduledAction>, AwsError> {
        self.retry_scaling(|| self.inner.describe_scheduled_actions(resource_id))
            .await
    }

    async fn put_scheduled_action(
        &self,
        resource_id: &str,
        action: &ScheduledScaling,
    ) -> Result<(), AwsError> {
        self.retry_scaling(|| self.inner.put_scheduled_action(resource_id, action))
            .await
    }

    async fn delete_scheduled_action(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        self.retry_scaling(|| self.inner.delete_scheduled_action(resource_id, name))
            .await
    }
}
