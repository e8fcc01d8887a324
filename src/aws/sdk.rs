//! The AWS SDK behind `EcsApi`: the only module that sees SDK types.

use async_trait::async_trait;
use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ecs::types as sdk;
use aws_smithy_types::error::operation::BuildError;
use k8s_openapi::jiff::Timestamp;

mod bookings;
mod capacity_provider;
mod cluster;
mod container;
mod customized_metric;
mod instance_requirements;
mod linux;
mod progressive;
mod revisions;
mod scaling;
mod schedule;
mod service;
mod service_deployment;
mod task;
mod task_definition;

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::batch::Coalescer;
use super::limiter::{Booking, Limiter, Prepaid};
use bookings::Bookings;
use revisions::RevisionCache;

use super::{
    AwsApi, AwsError, CapacityProviderConfig, ClusterState, CreateCapacityProvider, CreateCluster,
    CreateService, DeploymentStopType, EcsApi, EcsCapacityProvider, EcsCluster, EcsSchedule,
    EcsService, EcsServiceDeployment, EcsTask, EcsTaskDefinition, Freshness, HookAction,
    ObservedPolicy, ObservedScheduledAction, Operation, PutPolicyResult, RegisterScalableTarget,
    RegisterTaskDefinition, RolloutPace, RunTask, ScalableTarget, ScalingApi, ScalingPolicy,
    ScheduledScaling, SchedulerApi, StartedTasks, Tags, TaskDefinitionPage, TaskFilter, TaskPage,
    UpdateCluster, UpdateService,
};
use crate::api::cluster::CapacityProviderStrategyItem;

/// How long the first describe of a batch waits for others to join it.
const BATCH_WINDOW: Duration = Duration::from_millis(5);
/// DescribeServices takes at most 10 services, DescribeClusters at most 100 clusters
/// (and DescribeServiceDeployments 20 deployments: `service_deployment`).
const SERVICES_PER_DESCRIBE: usize = 10;
const CLUSTERS_PER_DESCRIBE: usize = 100;
/// Revisions kept: more than a large account's live revisions, a few MiB at most.
const REVISIONS_KEPT: usize = 2048;

/// `AwsApi` over one region's ECS, Application Auto Scaling and Scheduler clients. Concurrent
/// describes of services and tasks (per cluster) and clusters share calls; revisions are
/// described once.
pub struct SdkEcs {
    client: aws_sdk_ecs::Client,
    scaling: aws_sdk_applicationautoscaling::Client,
    scheduler: aws_sdk_scheduler::Client,
    services: Coalescer<EcsService>,
    clusters: Coalescer<EcsCluster>,
    capacity_providers: Coalescer<EcsCapacityProvider>,
    service_deployments: Coalescer<EcsServiceDeployment>,
    tasks: Coalescer<EcsTask>,
    revisions: RevisionCache,
    /// The clients' limiter, once `admitted_by` set it.
    limiter: Option<Arc<Limiter>>,
    /// Service writes booked for later (`write_turn`).
    bookings: Bookings<Booking>,
    pace: RolloutPace,
}

/// A write's booking key: cluster and service by name (either may be an ARN), or cluster
/// and RunTask client token.
fn booking_key(cluster: &str, service: &str) -> String {
    let last = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    format!("{}/{}", last(cluster), last(service))
}

impl SdkEcs {
    pub fn new(
        client: aws_sdk_ecs::Client,
        scaling: aws_sdk_applicationautoscaling::Client,
        scheduler: aws_sdk_scheduler::Client,
    ) -> Self {
        Self {
            client,
            scaling,
            scheduler,
            services: Coalescer::new(
                Operation::DescribeServices,
                SERVICES_PER_DESCRIBE,
                BATCH_WINDOW,
            ),
            clusters: Coalescer::new(
                Operation::DescribeClusters,
                CLUSTERS_PER_DESCRIBE,
                BATCH_WINDOW,
            ),
            capacity_providers: Coalescer::new(
                Operation::DescribeCapacityProviders,
                capacity_provider::PROVIDERS_PER_DESCRIBE,
                BATCH_WINDOW,
            ),
            service_deployments: Coalescer::new(
                Operation::DescribeServiceDeployments,
                service_deployment::DEPLOYMENTS_PER_DESCRIBE,
                BATCH_WINDOW,
            ),
            tasks: Coalescer::new(
                Operation::DescribeTasks,
                task::TASKS_PER_DESCRIBE,
                BATCH_WINDOW,
            ),
            revisions: RevisionCache::new(REVISIONS_KEPT),
            limiter: None,
            bookings: Bookings::new(),
            pace: RolloutPace::default(),
        }
    }

    /// The receipt booked for this service's write, if any: its token was taken then.
    fn booked(&self, cluster: &str, service: &str) -> Option<Prepaid> {
        self.bookings
            .take(&booking_key(cluster, service))
            .map(Booking::receipt)
    }

    /// `limiter` is the one the clients' connector uses: describe batches take their
    /// tokens from it directly, so they fill while waiting.
    pub(crate) fn admitted_by(mut self, limiter: Arc<Limiter>) -> Self {
        self.services = self.services.admitted_by(limiter.clone());
        self.clusters = self.clusters.admitted_by(limiter.clone());
        self.capacity_providers = self.capacity_providers.admitted_by(limiter.clone());
        self.service_deployments = self.service_deployments.admitted_by(limiter.clone());
        self.tasks = self.tasks.admitted_by(limiter.clone());
        self.limiter = Some(limiter);
        self
    }
}

impl AwsApi for SdkEcs {
    fn write_turn(&self, operation: Operation, cluster: &str, service: &str) -> Option<Duration> {
        let limiter = self.limiter.as_ref()?;
        self.bookings.turn(
            booking_key(cluster, service),
            Instant::now(),
            || limiter.book(operation),
            |booking| limiter.turn(booking),
        )
    }

    fn rollout_pace(&self) -> &RolloutPace {
        &self.pace
    }
}

fn aws_error<E: ProvideErrorMetadata>(action: &'static str, err: SdkError<E>) -> AwsError {
    let status = err.raw_response().map(|r| r.status().as_u16());
    let message = match (&err, err.message()) {
        (_, Some(message)) => message.to_string(),
        // Timeouts and connection failures carry no service message: say what happened.
        (SdkError::TimeoutError(_), None) => "request timed out".to_string(),
        (SdkError::DispatchFailure(failure), None) => format!("request not sent: {failure:?}"),
        (other, None) => other.to_string(),
    };
    AwsError::classify(action, err.code(), Some(&message), status)
}

#[async_trait]
impl EcsApi for SdkEcs {
    async fn describe_cluster(&self, name_or_arn: &str) -> Result<Option<EcsCluster>, AwsError> {
        // A cluster missing from the answer is a "failures" entry with reason MISSING.
        let all = self
            .clusters
            .describe("", name_or_arn, |names, receipt| {
                cluster::describe(&self.client, names, receipt)
            })
            .await?;
        Ok(all
            .iter()
            .find(|c| c.name == name_or_arn || c.arn == name_or_arn)
            .cloned())
    }

    async fn create_cluster(&self, request: &CreateCluster) -> Result<EcsCluster, AwsError> {
        cluster::create(&self.client, request).await
    }

    async fn update_cluster(&self, arn: &str, update: &UpdateCluster) -> Result<(), AwsError> {
        cluster::update(&self.client, arn, update).await
    }

    async fn put_cluster_capacity_providers(
        &self,
        arn: &str,
        providers: &[String],
        strategy: &[CapacityProviderStrategyItem],
    ) -> Result<(), AwsError> {
        cluster::put_capacity_providers(&self.client, arn, providers, strategy).await
    }

    async fn describe_capacity_providers(
        &self,
        names: &[String],
    ) -> Result<Vec<EcsCapacityProvider>, AwsError> {
        // Each name joins the batch of names asked for together (by this call or by
        // other reconciles), described 100 at a time.
        let batches = futures::future::try_join_all(names.iter().map(|name| {
            self.capacity_providers
                .describe("", name, |names, receipt| {
                    capacity_provider::describe(&self.client, names, receipt)
                })
        }))
        .await?;
        let mut found: Vec<EcsCapacityProvider> = Vec::new();
        for (name, batch) in names.iter().zip(&batches) {
            let described = batch.iter().find(|p| &p.name == name || &p.arn == name);
            if let Some(p) = described.filter(|p| !found.iter().any(|f| f.arn == p.arn)) {
                found.push(p.clone());
            }
        }
        Ok(found)
    }

    async fn create_capacity_provider(
        &self,
        request: &CreateCapacityProvider,
    ) -> Result<EcsCapacityProvider, AwsError> {
        capacity_provider::create(&self.client, request).await
    }

    async fn update_capacity_provider(
        &self,
        name: &str,
        cluster: Option<&str>,
        config: &CapacityProviderConfig,
    ) -> Result<(), AwsError> {
        capacity_provider::update(&self.client, name, cluster, config).await
    }

    async fn delete_capacity_provider(
        &self,
        name: &str,
        cluster: Option<&str>,
    ) -> Result<(), AwsError> {
        capacity_provider::delete(&self.client, name, cluster).await
    }

    async fn tag_resource(&self, arn: &str, tags: &Tags) -> Result<(), AwsError> {
        let result = self
            .client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags_to_sdk(tags)))
            .send()
            .await;
        // After the call, so a describe racing it cannot keep the old tags.
        self.revisions.forget(arn);
        result.map_err(|e| aws_error("ecs:TagResource", e))?;
        Ok(())
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        let result = self
            .client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await;
        // After the call, so a describe racing it cannot keep the old tags.
        self.revisions.forget(arn);
        result.map_err(|e| aws_error("ecs:UntagResource", e))?;
        Ok(())
    }

    async fn delete_cluster(&self, arn: &str) -> Result<ClusterState, AwsError> {
        cluster::delete(&self.client, arn).await
    }

    async fn register_task_definition(
        &self,
        request: &RegisterTaskDefinition,
    ) -> Result<EcsTaskDefinition, AwsError> {
        let mut registered = task_definition::register(&self.client, request).await?;
        // A new revision carries exactly the tags sent (moto leaves them out of its
        // answer), so it is kept as a describe would show it.
        registered.tags = request.tags.clone();
        self.revisions.keep(&registered.arn, &registered);
        Ok(registered)
    }

    async fn describe_task_definition(
        &self,
        arn: &str,
        freshness: Freshness,
    ) -> Result<Option<EcsTaskDefinition>, AwsError> {
        if freshness == Freshness::Kept
            && let Some(kept) = self.revisions.get(arn)
        {
            return Ok(Some(kept));
        }
        let described = task_definition::describe(&self.client, arn).await?;
        match &described {
            Some(revision) => self.revisions.keep(arn, revision),
            None => self.revisions.forget(arn),
        }
        Ok(described)
    }

    async fn list_task_definitions(
        &self,
        family_prefix: &str,
        next_token: Option<&str>,
    ) -> Result<TaskDefinitionPage, AwsError> {
        task_definition::list(&self.client, family_prefix, next_token).await
    }

    async fn deregister_task_definition(&self, arn: &str) -> Result<(), AwsError> {
        let result = task_definition::deregister(&self.client, arn).await;
        self.revisions.forget(arn);
        result
    }

    async fn describe_service(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<EcsService>, AwsError> {
        let all = self
            .services
            .describe(cluster, service, |names, receipt| {
                service::describe_many(&self.client, cluster, names, receipt)
            })
            .await?;
        Ok(all
            .iter()
            .find(|s| s.name == service || s.arn == service)
            .cloned())
    }

    async fn create_service(&self, request: &CreateService) -> Result<EcsService, AwsError> {
        let receipt = self.booked(&request.cluster, &request.name);
        service::create(&self.client, request, receipt).await
    }

    async fn update_service(&self, request: &UpdateService) -> Result<EcsService, AwsError> {
        let receipt = self.booked(&request.cluster, &request.service);
        service::update(&self.client, request, receipt).await
    }

    async fn delete_service(&self, cluster: &str, service: &str) -> Result<EcsService, AwsError> {
        service::delete(&self.client, cluster, service).await
    }

    async fn describe_service_deployment(
        &self,
        arn: &str,
    ) -> Result<Option<EcsServiceDeployment>, AwsError> {
        // A deployment of any cluster of the region may share a call.
        let all = self
            .service_deployments
            .describe("", arn, |arns, receipt| {
                service_deployment::describe_many(&self.client, arns, receipt)
            })
            .await?;
        Ok(all.iter().find(|d| d.arn == arn).cloned())
    }

    async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: &HookAction,
    ) -> Result<(), AwsError> {
        service_deployment::continue_deployment(&self.client, arn, hook_id, action).await
    }

    async fn stop_service_deployment(
        &self,
        arn: &str,
        stop_type: &DeploymentStopType,
    ) -> Result<(), AwsError> {
        service_deployment::stop(&self.client, arn, stop_type).await
    }

    async fn list_tasks(
        &self,
        filter: &TaskFilter,
        next_token: Option<&str>,
    ) -> Result<TaskPage, AwsError> {
        task::list(&self.client, filter, next_token).await
    }

    async fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<EcsTask>, AwsError> {
        // Each task joins its cluster's batch, so the polls of many Tasks coming due
        // together share calls of up to 100 tasks.
        let asked = arns.iter().map(|arn| {
            self.tasks.describe(cluster, arn, |ids, receipt| {
                task::describe(&self.client, cluster, ids, receipt)
            })
        });
        let answers = futures::future::try_join_all(asked).await?;
        let mut found: Vec<EcsTask> = Vec::new();
        for answer in &answers {
            for described in answer.iter() {
                if arns.contains(&described.arn) && !found.iter().any(|t| t.arn == described.arn) {
                    found.push(described.clone());
                }
            }
        }
        Ok(found)
    }

    async fn run_task(&self, request: &RunTask) -> Result<StartedTasks, AwsError> {
        let receipt = self.booked(&request.cluster, &request.client_token);
        task::run(&self.client, request, receipt).await
    }

    async fn stop_task(&self, cluster: &str, task: &str, reason: &str) -> Result<(), AwsError> {
        task::stop(&self.client, cluster, task, reason).await
    }
}

#[async_trait]
impl ScalingApi for SdkEcs {
    async fn describe_scalable_target(
        &self,
        resource_id: &str,
    ) -> Result<Option<ScalableTarget>, AwsError> {
        scaling::describe_target(&self.scaling, resource_id).await
    }

    async fn register_scalable_target(
        &self,
        request: &RegisterScalableTarget,
    ) -> Result<Option<String>, AwsError> {
        scaling::register_target(&self.scaling, request).await
    }

    async fn deregister_scalable_target(&self, resource_id: &str) -> Result<(), AwsError> {
        scaling::deregister_target(&self.scaling, resource_id).await
    }

    async fn describe_scaling_policies(
        &self,
        resource_id: &str,
    ) -> Result<Vec<ObservedPolicy>, AwsError> {
        scaling::describe_policies(&self.scaling, resource_id).await
    }

    async fn put_scaling_policy(
        &self,
        resource_id: &str,
        policy: &ScalingPolicy,
    ) -> Result<PutPolicyResult, AwsError> {
        scaling::put_policy(&self.scaling, resource_id, policy).await
    }

    async fn delete_scaling_policy(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        scaling::delete_policy(&self.scaling, resource_id, name).await
    }

    async fn describe_scheduled_actions(
        &self,
        resource_id: &str,
    ) -> Result<Vec<ObservedScheduledAction>, AwsError> {
        scaling::describe_actions(&self.scaling, resource_id).await
    }

    async fn put_scheduled_action(
        &self,
        resource_id: &str,
        action: &ScheduledScaling,
    ) -> Result<(), AwsError> {
        scaling::put_action(&self.scaling, resource_id, action).await
    }

    async fn delete_scheduled_action(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        scaling::delete_action(&self.scaling, resource_id, name).await
    }
}

#[async_trait]
impl SchedulerApi for SdkEcs {
    async fn get_schedule(&self, group: &str, name: &str) -> Result<Option<EcsSchedule>, AwsError> {
        schedule::get(&self.scheduler, group, name).await
    }

    async fn create_schedule(&self, schedule: &EcsSchedule) -> Result<String, AwsError> {
        schedule::create(&self.scheduler, schedule).await
    }

    async fn update_schedule(&self, schedule: &EcsSchedule) -> Result<String, AwsError> {
        schedule::update(&self.scheduler, schedule).await
    }

    async fn delete_schedule(&self, group: &str, name: &str) -> Result<(), AwsError> {
        schedule::delete(&self.scheduler, group, name).await
    }

    async fn create_schedule_group(&self, name: &str, tags: &Tags) -> Result<String, AwsError> {
        schedule::create_group(&self.scheduler, name, tags).await
    }

    async fn list_tags_for_resource(&self, arn: &str) -> Result<Tags, AwsError> {
        schedule::group_tags(&self.scheduler, arn).await
    }
}

/// A response that lacks the object the call exists to return.
fn empty_response(action: &'static str, what: &str) -> AwsError {
    AwsError::classify(
        action,
        Some("EmptyResponse"),
        Some(&format!("no {what} in the response")),
        None,
    )
}

/// A request the SDK could not build (a required field missing): the spec's fault.
fn invalid_input(action: &'static str) -> impl Fn(BuildError) -> AwsError {
    move |e| {
        AwsError::classify(
            action,
            Some("InvalidParameterException"),
            Some(&e.to_string()),
            None,
        )
    }
}

fn timestamp(t: Option<&aws_smithy_types::DateTime>) -> Option<Timestamp> {
    t.and_then(|d| Timestamp::new(d.secs(), d.subsec_nanos() as i32).ok())
}

fn text(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

fn tags_to_sdk(tags: &Tags) -> Vec<sdk::Tag> {
    tags.iter()
        .map(|(k, v)| sdk::Tag::builder().key(k).value(v).build())
        .collect()
}

fn tags_from_sdk(tags: &[sdk::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

fn strategy_to_sdk(
    items: &[CapacityProviderStrategyItem],
) -> Vec<sdk::CapacityProviderStrategyItem> {
    items
        .iter()
        .filter_map(|i| {
            sdk::CapacityProviderStrategyItem::builder()
                .capacity_provider(&i.capacity_provider)
                .set_weight(i.weight)
                .set_base(i.base)
                .build()
                .ok()
        })
        .collect()
}
