//! An in-memory ECS, with Application Auto Scaling and EventBridge Scheduler, for
//! reconciler tests. It models
//! what moto does not, each behaviour following the AWS documentation cited beside it.

use std::collections::BTreeMap;
use std::sync::Mutex;

mod capacity_providers;
mod clusters;
mod controllers;
mod failures;
mod scaling;
mod schedules;
mod service_deployments;
mod services;
mod task_definitions;
mod tasks;

use clusters::{by_name_or_arn, live};

use async_trait::async_trait;

use super::{
    AwsApi, AwsError, CapacityProviderConfig, CreateCapacityProvider, CreateCluster, CreateService,
    DeploymentStopType, EcsApi, EcsCapacityProvider, EcsCluster, EcsSchedule, EcsService,
    EcsServiceDeployment, EcsTask, EcsTaskDefinition, ErrorKind, Freshness, HookAction,
    ObservedPolicy, ObservedScheduledAction, PutPolicyResult, RegisterScalableTarget,
    RegisterTaskDefinition, RunTask, ScalableTarget, ScalingApi, ScalingPolicy, ScheduledScaling,
    SchedulerApi, StartedTasks, Tags, TaskDefinitionPage, TaskFilter, TaskPage, UpdateCluster,
    UpdateService,
};
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::aws::ClusterState;
use crate::sync::Lock;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

#[derive(Default)]
struct State {
    clusters: BTreeMap<String, EcsCluster>,
    /// Capacity providers other than FARGATE and FARGATE_SPOT, by name.
    capacity_providers: BTreeMap<String, EcsCapacityProvider>,
    /// Every revision ever registered, in registration order.
    task_definitions: Vec<EcsTaskDefinition>,
    /// Every service ever created, oldest first (INACTIVE ones stay describable).
    services: Vec<EcsService>,
    /// The service deployment of every deployment started, oldest first.
    service_deployments: Vec<service_deployments::Tracked>,
    /// Tasks the tests put in place, in the order they did.
    tasks: Vec<EcsTask>,
    /// CreateService client tokens, to the ARN each created.
    client_tokens: BTreeMap<String, String>,
    /// RunTask client tokens, to the ARNs of the tasks each started.
    run_tokens: BTreeMap<String, Vec<String>>,
    /// Largest ListTaskDefinitions page; small in tests so paging is exercised.
    page_size: Option<usize>,
    calls: Vec<&'static str>,
    throttle_every: Option<usize>,
    faults: BTreeMap<usize, AwsError>,
    /// Errors for the next call of an action, by IAM action name.
    action_faults: Vec<AwsError>,
    /// Calls that take effect but whose response is lost (a timeout after the work was done).
    lost_responses: std::collections::BTreeSet<usize>,
    scaling: scaling::ScalingState,
    scheduler: schedules::SchedulerState,
    /// Services whose describe panics, standing in for a bug in the operator.
    panicking_services: std::collections::BTreeSet<String>,
    /// The turn writes are told to wait for, standing in for a long rate-limit queue.
    write_queue: Option<std::time::Duration>,
}

#[derive(Default)]
pub struct FakeEcs {
    state: Mutex<State>,
    pace: super::RolloutPace,
}

impl FakeEcs {
    /// Every n-th call fails with ThrottlingException, as ECS does when an account's
    /// token bucket is empty ("Request throttling for the Amazon ECS API", ECS Developer Guide).
    pub fn throttle_every(&self, n: usize) {
        self.state.locked().throttle_every = Some(n);
    }

    /// The `n`-th call from now (1-based) fails with `error`.
    pub fn fail_call(&self, n: usize, error: AwsError) {
        let mut state = self.state.locked();
        let at = state.calls.len() + n;
        state.faults.insert(at, error);
    }

    /// The next call of `error.action` fails with `error`.
    pub fn fail_next(&self, error: AwsError) {
        self.state.locked().action_faults.push(error);
    }

    /// The `n`-th call from now takes effect, then fails as if its response timed out.
    /// RegisterTaskDefinition, CreateService and RunTask, the calls whose repeats matter,
    /// honour it.
    pub fn lose_response(&self, n: usize) {
        let mut state = self.state.locked();
        let at = state.calls.len() + n;
        state.lost_responses.insert(at);
    }

    /// Every describe of service `name` panics while holding the fake's lock, as a bug
    /// in the operator might (this is no AWS behaviour).
    pub fn panic_on_describe(&self, name: &str) {
        self.state
            .locked()
            .panicking_services
            .insert(name.to_string());
    }

    /// Calls made so far, by IAM action name.
    /// Writes are told to come back after `wait` (None: they may go at once), as the
    /// operator's rate limiter answers when its queue is long.
    pub fn queue_writes(&self, wait: Option<std::time::Duration>) {
        self.state.locked().write_queue = wait;
    }

    pub fn calls(&self) -> Vec<&'static str> {
        self.state.locked().calls.clone()
    }

    pub fn count(&self, action: &str) -> usize {
        self.calls().iter().filter(|c| **c == action).count()
    }

    fn call(&self, action: &'static str) -> Result<std::sync::MutexGuard<'_, State>, AwsError> {
        let mut state = self.state.locked();
        state.calls.push(action);
        let n = state.calls.len();
        if let Some(error) = state.faults.remove(&n) {
            return Err(error);
        }
        if let Some(at) = state.action_faults.iter().position(|e| e.action == action) {
            return Err(state.action_faults.remove(at));
        }
        if state
            .throttle_every
            .is_some_and(|every| n.is_multiple_of(every))
        {
            return Err(AwsError::new(
                ErrorKind::Throttled,
                action,
                "ThrottlingException",
                "Rate exceeded",
            ));
        }
        Ok(state)
    }
}

#[async_trait]
impl EcsApi for FakeEcs {
    async fn describe_cluster(&self, name_or_arn: &str) -> Result<Option<EcsCluster>, AwsError> {
        let mut state = self.call("ecs:DescribeClusters")?;
        // A missing cluster is a "failures" entry with reason MISSING, not an error (ECS API Reference, DescribeClusters).
        Ok(by_name_or_arn(&mut state, name_or_arn).map(|c| c.clone()))
    }

    async fn create_cluster(&self, request: &CreateCluster) -> Result<EcsCluster, AwsError> {
        let mut state = self.call("ecs:CreateCluster")?;
        clusters::create(&mut state, request)
    }

    async fn update_cluster(&self, arn: &str, update: &UpdateCluster) -> Result<(), AwsError> {
        let mut state = self.call("ecs:UpdateCluster")?;
        let cluster = live(&mut state, arn, "ecs:UpdateCluster")?;
        if let Some(settings) = &update.settings {
            cluster.settings = settings.clone();
        }
        if let Some(configuration) = &update.configuration {
            cluster.configuration = Some(configuration.clone());
        }
        if let Some(defaults) = &update.service_connect_defaults {
            cluster.service_connect_namespace = Some(defaults.namespace.clone());
        }
        Ok(())
    }

    async fn put_cluster_capacity_providers(
        &self,
        arn: &str,
        providers: &[String],
        strategy: &[CapacityProviderStrategyItem],
    ) -> Result<(), AwsError> {
        let mut state = self.call("ecs:PutClusterCapacityProviders")?;
        clusters::put_providers(&mut state, arn, providers, strategy)
    }

    async fn describe_capacity_providers(
        &self,
        names: &[String],
    ) -> Result<Vec<EcsCapacityProvider>, AwsError> {
        let mut state = self.call("ecs:DescribeCapacityProviders")?;
        capacity_providers::advance(&mut state);
        Ok(names
            .iter()
            .filter_map(|n| state.capacity_providers.get(n).cloned())
            .collect())
    }

    async fn create_capacity_provider(
        &self,
        request: &CreateCapacityProvider,
    ) -> Result<EcsCapacityProvider, AwsError> {
        let mut state = self.call("ecs:CreateCapacityProvider")?;
        capacity_providers::create(&mut state, request)
    }

    async fn update_capacity_provider(
        &self,
        name: &str,
        cluster: Option<&str>,
        config: &CapacityProviderConfig,
    ) -> Result<(), AwsError> {
        let mut state = self.call("ecs:UpdateCapacityProvider")?;
        capacity_providers::update(&mut state, name, cluster, config)
    }

    async fn delete_capacity_provider(
        &self,
        name: &str,
        cluster: Option<&str>,
    ) -> Result<(), AwsError> {
        let mut state = self.call("ecs:DeleteCapacityProvider")?;
        capacity_providers::delete(&mut state, name, cluster)
    }

    async fn tag_resource(&self, arn: &str, tags: &Tags) -> Result<(), AwsError> {
        let mut state = self.call("ecs:TagResource")?;
        tags_of(&mut state, arn, "ecs:TagResource")?.extend(tags.clone());
        Ok(())
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        let mut state = self.call("ecs:UntagResource")?;
        let tags = tags_of(&mut state, arn, "ecs:UntagResource")?;
        keys.iter().for_each(|k| {
            tags.remove(k);
        });
        Ok(())
    }

    async fn delete_cluster(&self, arn: &str) -> Result<ClusterState, AwsError> {
        let mut state = self.call("ecs:DeleteCluster")?;
        clusters::delete(&mut state, arn)
    }

    async fn register_task_definition(
        &self,
        request: &RegisterTaskDefinition,
    ) -> Result<EcsTaskDefinition, AwsError> {
        let mut state = self.call("ecs:RegisterTaskDefinition")?;
        let registered = task_definitions::register(&mut state, request)?;
        response_lost(&mut state, "ecs:RegisterTaskDefinition")?;
        Ok(registered)
    }

    /// The fake keeps no copies, so `Kept` and `Live` both read its state.
    async fn describe_task_definition(
        &self,
        arn: &str,
        _freshness: Freshness,
    ) -> Result<Option<EcsTaskDefinition>, AwsError> {
        let state = self.call("ecs:DescribeTaskDefinition")?;
        Ok(task_definitions::find(&state, arn).cloned())
    }

    async fn list_task_definitions(
        &self,
        family_prefix: &str,
        next_token: Option<&str>,
    ) -> Result<TaskDefinitionPage, AwsError> {
        let state = self.call("ecs:ListTaskDefinitions")?;
        task_definitions::list(&state, family_prefix, next_token)
    }

    async fn deregister_task_definition(&self, arn: &str) -> Result<(), AwsError> {
        let mut state = self.call("ecs:DeregisterTaskDefinition")?;
        task_definitions::deregister(&mut state, arn)
    }

    async fn describe_service(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<EcsService>, AwsError> {
        let mut state = self.call("ecs:DescribeServices")?;
        if state.panicking_services.contains(service) {
            panic!("the fake was told to panic describing {service}");
        }
        // An unknown cluster is an error here, unlike an unknown service (ECS API Reference, DescribeServices).
        by_name_or_arn(&mut state, cluster).ok_or_else(|| {
            AwsError::new(
                ErrorKind::NotFound,
                "ecs:DescribeServices",
                "ClusterNotFoundException",
                "Cluster not found.",
            )
        })?;
        Ok(services::find(&state, cluster, service).cloned())
    }

    async fn create_service(&self, request: &CreateService) -> Result<EcsService, AwsError> {
        let mut state = self.call("ecs:CreateService")?;
        let created = services::create(&mut state, request)?;
        response_lost(&mut state, "ecs:CreateService")?;
        Ok(created)
    }

    async fn update_service(&self, request: &UpdateService) -> Result<EcsService, AwsError> {
        let mut state = self.call("ecs:UpdateService")?;
        services::update(&mut state, request)
    }

    async fn delete_service(&self, cluster: &str, service: &str) -> Result<EcsService, AwsError> {
        let mut state = self.call("ecs:DeleteService")?;
        services::delete(&mut state, cluster, service)
    }

    async fn describe_service_deployment(
        &self,
        arn: &str,
    ) -> Result<Option<EcsServiceDeployment>, AwsError> {
        let state = self.call("ecs:DescribeServiceDeployments")?;
        Ok(service_deployments::describe(&state, arn))
    }

    async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: &HookAction,
    ) -> Result<(), AwsError> {
        let mut state = self.call("ecs:ContinueServiceDeployment")?;
        service_deployments::continue_at(&mut state, arn, hook_id, action)
    }

    async fn stop_service_deployment(
        &self,
        arn: &str,
        stop_type: &DeploymentStopType,
    ) -> Result<(), AwsError> {
        let mut state = self.call("ecs:StopServiceDeployment")?;
        service_deployments::stop(&mut state, arn, stop_type)
    }

    async fn list_tasks(
        &self,
        filter: &TaskFilter,
        next_token: Option<&str>,
    ) -> Result<TaskPage, AwsError> {
        let mut state = self.call("ecs:ListTasks")?;
        tasks::list(&mut state, filter, next_token)
    }

    async fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> Result<Vec<EcsTask>, AwsError> {
        let mut state = self.call("ecs:DescribeTasks")?;
        tasks::describe(&mut state, cluster, arns)
    }

    async fn run_task(&self, request: &RunTask) -> Result<StartedTasks, AwsError> {
        let mut state = self.call("ecs:RunTask")?;
        let started = tasks::run(&mut state, request)?;
        response_lost(&mut state, "ecs:RunTask")?;
        Ok(started)
    }

    async fn stop_task(&self, cluster: &str, task: &str, reason: &str) -> Result<(), AwsError> {
        let mut state = self.call("ecs:StopTask")?;
        tasks::stop(&mut state, cluster, task, reason)
    }
}

impl AwsApi for FakeEcs {
    fn write_turn(&self, _: super::Operation, _: &str, _: &str) -> Option<std::time::Duration> {
        self.state.locked().write_queue
    }

    fn rollout_pace(&self) -> &super::RolloutPace {
        &self.pace
    }
}

#[async_trait]
impl ScalingApi for FakeEcs {
    async fn describe_scalable_target(
        &self,
        resource_id: &str,
    ) -> Result<Option<ScalableTarget>, AwsError> {
        let state = self.call("application-autoscaling:DescribeScalableTargets")?;
        Ok(scaling::describe_target(&state, resource_id))
    }

    async fn register_scalable_target(
        &self,
        request: &RegisterScalableTarget,
    ) -> Result<Option<String>, AwsError> {
        let mut state = self.call("application-autoscaling:RegisterScalableTarget")?;
        scaling::register_target(&mut state, request)
    }

    async fn deregister_scalable_target(&self, resource_id: &str) -> Result<(), AwsError> {
        let mut state = self.call("application-autoscaling:DeregisterScalableTarget")?;
        scaling::deregister_target(&mut state, resource_id)
    }

    async fn describe_scaling_policies(
        &self,
        resource_id: &str,
    ) -> Result<Vec<ObservedPolicy>, AwsError> {
        let state = self.call("application-autoscaling:DescribeScalingPolicies")?;
        Ok(scaling::describe_policies(&state, resource_id))
    }

    async fn put_scaling_policy(
        &self,
        resource_id: &str,
        policy: &ScalingPolicy,
    ) -> Result<PutPolicyResult, AwsError> {
        let mut state = self.call("application-autoscaling:PutScalingPolicy")?;
        scaling::put_scaling_policy(&mut state, resource_id, policy)
    }

    async fn delete_scaling_policy(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        let mut state = self.call("application-autoscaling:DeleteScalingPolicy")?;
        scaling::delete_policy(&mut state, resource_id, name)
    }

    async fn describe_scheduled_actions(
        &self,
        resource_id: &str,
    ) -> Result<Vec<ObservedScheduledAction>, AwsError> {
        let state = self.call("application-autoscaling:DescribeScheduledActions")?;
        Ok(scaling::describe_actions(&state, resource_id))
    }

    async fn put_scheduled_action(
        &self,
        resource_id: &str,
        action: &ScheduledScaling,
    ) -> Result<(), AwsError> {
        let mut state = self.call("application-autoscaling:PutScheduledAction")?;
        scaling::put_action(&mut state, resource_id, action)
    }

    async fn delete_scheduled_action(&self, resource_id: &str, name: &str) -> Result<(), AwsError> {
        let mut state = self.call("application-autoscaling:DeleteScheduledAction")?;
        scaling::delete_action(&mut state, resource_id, name)
    }
}

#[async_trait]
impl SchedulerApi for FakeEcs {
    async fn get_schedule(&self, group: &str, name: &str) -> Result<Option<EcsSchedule>, AwsError> {
        let state = self.call("scheduler:GetSchedule")?;
        Ok(schedules::get(&state, group, name))
    }

    async fn create_schedule(&self, schedule: &EcsSchedule) -> Result<String, AwsError> {
        let mut state = self.call("scheduler:CreateSchedule")?;
        let arn = schedules::create(&mut state, schedule)?;
        response_lost(&mut state, "scheduler:CreateSchedule")?;
        Ok(arn)
    }

    async fn update_schedule(&self, schedule: &EcsSchedule) -> Result<String, AwsError> {
        let mut state = self.call("scheduler:UpdateSchedule")?;
        schedules::update(&mut state, schedule)
    }

    async fn delete_schedule(&self, group: &str, name: &str) -> Result<(), AwsError> {
        let mut state = self.call("scheduler:DeleteSchedule")?;
        schedules::delete(&mut state, group, name)
    }

    async fn create_schedule_group(&self, name: &str, tags: &Tags) -> Result<String, AwsError> {
        let mut state = self.call("scheduler:CreateScheduleGroup")?;
        schedules::create_group(&mut state, name, tags)
    }

    async fn list_tags_for_resource(&self, arn: &str) -> Result<Tags, AwsError> {
        let state = self.call("scheduler:ListTagsForResource")?;
        schedules::group_tags(&state, arn)
    }
}

/// After the work is done: fails as a timeout if `lose_response` marked the current call.
fn response_lost(state: &mut State, action: &'static str) -> Result<(), AwsError> {
    let n = state.calls.len();
    if state.lost_responses.remove(&n) {
        return Err(AwsError::new(
            ErrorKind::Transient,
            action,
            "RequestTimeout",
            "request timed out",
        ));
    }
    Ok(())
}

/// The tags of a cluster or task definition revision, by ARN.
fn tags_of<'a>(
    state: &'a mut State,
    arn: &str,
    action: &'static str,
) -> Result<&'a mut Tags, AwsError> {
    if arn.contains(":task-definition/") {
        return task_definitions::find_mut(state, arn)
            .map(|t| &mut t.tags)
            .ok_or_else(|| task_definitions::not_found(action));
    }
    if arn.contains(":capacity-provider/") {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        return state
            .capacity_providers
            .get_mut(name)
            .filter(|p| !p.is_inactive())
            .map(|p| &mut p.tags)
            .ok_or_else(|| {
                AwsError::new(
                    ErrorKind::InvalidInput,
                    action,
                    "ClientException",
                    "The specified capacity provider does not exist.",
                )
            });
    }
    if arn.contains(":service/") {
        return services::live_by_arn(state, arn, action).map(|s| &mut s.tags);
    }
    live(state, arn, action).map(|c| &mut c.tags)
}
