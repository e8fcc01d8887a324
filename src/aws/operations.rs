//! Every AWS operation the operator calls, declared once: its AWS service (and so its
//! IAM action), the quota group AWS throttles it in, which failures a retry can cure,
//! and whether repeating it after an unanswered attempt is safe. The port traits (one
//! per AWS service) and their retrying wrapper are generated from the same lines, so
//! the IAM policy test, the rate limiter, the retries and the call metrics cannot miss
//! an operation: each reads `Operation`, and every match on it is exhaustive.
//!
//! Adding an operation: one entry here, its SDK mapping (`sdk/`), the fake (`fake/`),
//! and the IAM policy (`docs/iam-policy.json`, which a test holds to this table).

use async_trait::async_trait;

use super::quota::ActionGroup;
use super::retry::{Repeat, RetryClass, Retrying};
use super::{
    AwsError, CapacityProviderConfig, ClusterState, CreateCapacityProvider, CreateCluster,
    CreateService, DeploymentStopType, EcsCapacityProvider, EcsCluster, EcsSchedule, EcsService,
    EcsServiceDeployment, EcsTask, EcsTaskDefinition, Freshness, HookAction, ObservedPolicy,
    ObservedScheduledAction, PutPolicyResult, RegisterScalableTarget, RegisterTaskDefinition,
    RunTask, ScalableTarget, ScalingPolicy, ScheduledScaling, StartedTasks, Tags,
    TaskDefinitionPage, TaskFilter, TaskPage, UpdateCluster, UpdateService,
};
use crate::api::cluster::CapacityProviderStrategyItem;

/// The AWS service an operation belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AwsService {
    Ecs,
    ApplicationAutoScaling,
    Scheduler,
}

impl AwsService {
    /// The service as the AWS SDK names it, which the call metrics use as their label.
    pub fn sdk_name(self) -> &'static str {
        match self {
            Self::Ecs => "ECS",
            Self::ApplicationAutoScaling => "Application Auto Scaling",
            Self::Scheduler => "Scheduler",
        }
    }
}

macro_rules! operations {
    ($(
        $(#[doc = $api_doc:literal])*
        $api:ident for $service:ident, $prefix:literal {
            $(
                $(#[doc = $doc:literal])*
                $op:ident: $group:ident, $class:ident, $repeat:ident;
                fn $method:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;
            )*
        }
    )*) => {
        /// One AWS API operation the operator calls.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Operation {
            $($($op,)*)*
        }

        impl Operation {
            pub const ALL: &[Operation] = &[$($(Self::$op,)*)*];

            /// The operation's name in the AWS API.
            pub fn name(self) -> &'static str {
                match self { $($(Self::$op => stringify!($op),)*)* }
            }

            /// The IAM action that permits the operation, such as `ecs:CreateService`.
            pub fn iam_action(self) -> &'static str {
                match self { $($(Self::$op => concat!($prefix, ":", stringify!($op)),)*)* }
            }

            pub fn service(self) -> AwsService {
                match self { $($(Self::$op => AwsService::$service,)*)* }
            }

            /// The token bucket AWS throttles the operation in.
            pub fn group(self) -> ActionGroup {
                match self { $($(Self::$op => ActionGroup::$group,)*)* }
            }

            pub fn retry_class(self) -> RetryClass {
                match self { $($(Self::$op => RetryClass::$class,)*)* }
            }

            pub fn repeat(self) -> Repeat {
                match self { $($(Self::$op => Repeat::$repeat,)*)* }
            }
        }

        impl AwsService {
            /// The prefix of the service's IAM actions.
            pub fn iam_prefix(self) -> &'static str {
                match self { $(Self::$service => $prefix,)* }
            }
        }

        $(
            $(#[doc = $api_doc])*
            #[async_trait]
            pub trait $api: Send + Sync {
                $(
                    $(#[doc = $doc])*
                    async fn $method(&self $(, $arg: $ty)*) -> Result<$ret, AwsError>;
                )*
            }

            #[async_trait]
            impl<E: $api> $api for Retrying<E> {
                $(
                    async fn $method(&self $(, $arg: $ty)*) -> Result<$ret, AwsError> {
                        let op = Operation::$op;
                        self.retry(op.retry_class(), op.repeat(), || self.inner().$method($($arg),*)).await
                    }
                )*
            }
        )*
    };
}

operations! {
    /// The ECS operations, one method per API call.
    EcsApi for Ecs, "ecs" {
        /// One cluster by name or ARN. None when ECS does not know it (ECS reports a
        /// failure with reason MISSING rather than an error).
        DescribeClusters: ClusterRead, Standard, Safe;
        fn describe_cluster(&self, name_or_arn: &str) -> Option<EcsCluster>;
        /// Returns the existing cluster when the name is taken, so a repeat is harmless.
        CreateCluster: ClusterWrite, Standard, Safe;
        fn create_cluster(&self, request: &CreateCluster) -> EcsCluster;
        UpdateCluster: ClusterWrite, Standard, Safe;
        fn update_cluster(&self, arn: &str, update: &UpdateCluster) -> ();
        PutClusterCapacityProviders: ClusterWrite, Standard, Safe;
        fn put_cluster_capacity_providers(
            &self,
            arn: &str,
            providers: &[String],
            strategy: &[CapacityProviderStrategyItem],
        ) -> ();
        /// The capacity providers with these names (up to 100 per call); names ECS does
        /// not know are left out (it reports them as failures with reason MISSING).
        DescribeCapacityProviders: ClusterRead, Standard, Safe;
        fn describe_capacity_providers(&self, names: &[String]) -> Vec<EcsCapacityProvider>;
        /// A repeat after a lost answer is refused as a name already taken; the next
        /// reconcile finds the provider by name, tagged as its own.
        CreateCapacityProvider: ClusterWrite, Standard, Safe;
        fn create_capacity_provider(&self, request: &CreateCapacityProvider) -> EcsCapacityProvider;
        /// Replaces the updatable settings (`cluster` names a Managed Instances
        /// provider's cluster); the Auto Scaling group and a launch template's
        /// capacityOptionType and fipsEnabled stay as created.
        UpdateCapacityProvider: ClusterWrite, Standard, Safe;
        fn update_capacity_provider(
            &self,
            name: &str,
            cluster: Option<&str>,
            config: &CapacityProviderConfig,
        ) -> ();
        /// Starts the deletion; the provider turns INACTIVE once ECS has finished. In use by
        /// a cluster or a service's strategy, it is `ErrorKind::InUse`.
        DeleteCapacityProvider: ClusterWrite, Standard, Safe;
        fn delete_capacity_provider(&self, name: &str, cluster: Option<&str>) -> ();
        /// Tags a cluster, service or task definition revision.
        TagResource: Tagging, Standard, Safe;
        fn tag_resource(&self, arn: &str, tags: &Tags) -> ();
        UntagResource: Tagging, Standard, Safe;
        fn untag_resource(&self, arn: &str, keys: &[String]) -> ();
        /// Returns the cluster's status afterwards (INACTIVE, or DEPROVISIONING).
        DeleteCluster: ClusterWrite, Standard, Safe;
        fn delete_cluster(&self, arn: &str) -> ClusterState;

        /// Not idempotent: repeating it after a lost answer would add a second revision.
        RegisterTaskDefinition: TaskDefinitionWrite, Standard, OnlyWhenThrottled;
        fn register_task_definition(&self, request: &RegisterTaskDefinition) -> EcsTaskDefinition;
        /// One revision with its tags. None when ECS does not know it. `Kept` lets the
        /// SDK adapter answer from the revisions it already described.
        DescribeTaskDefinition: TaskDefinitionRead, Standard, Safe;
        fn describe_task_definition(&self, arn: &str, freshness: Freshness) -> Option<EcsTaskDefinition>;
        /// One page of the ACTIVE revisions whose family starts with `family_prefix`
        /// (ECS matches prefixes: callers filter for the exact family).
        ListTaskDefinitions: TaskDefinitionRead, Standard, Safe;
        fn list_task_definitions(
            &self,
            family_prefix: &str,
            next_token: Option<&str>,
        ) -> TaskDefinitionPage;
        DeregisterTaskDefinition: TaskDefinitionWrite, Standard, Safe;
        fn deregister_task_definition(&self, arn: &str) -> ();

        /// One service of `cluster`. None when ECS reports it MISSING.
        DescribeServices: ServiceRead, Standard, Safe;
        fn describe_service(&self, cluster: &str, service: &str) -> Option<EcsService>;
        /// Its client token makes ECS answer a repeat with the service the first call made.
        CreateService: ServiceWrite, Standard, Safe;
        fn create_service(&self, request: &CreateService) -> EcsService;
        UpdateService: ServiceWrite, Standard, Safe;
        fn update_service(&self, request: &UpdateService) -> EcsService;
        /// The service passes through DRAINING before INACTIVE.
        DeleteService: ServiceWrite, Standard, Safe;
        fn delete_service(&self, cluster: &str, service: &str) -> EcsService;
        /// One service deployment by ARN (described 20 at a time with others asked for
        /// together). None when ECS reports it MISSING.
        DescribeServiceDeployments: ServiceRead, Standard, Safe;
        fn describe_service_deployment(&self, arn: &str) -> Option<EcsServiceDeployment>;
        /// Moves a deployment on past the lifecycle hook `hook_id` that holds it, or rolls
        /// it back. A repeat after a lost answer is refused (the hook no longer waits) and
        /// changes nothing.
        ContinueServiceDeployment: ServiceWrite, Standard, Safe;
        fn continue_service_deployment(&self, arn: &str, hook_id: &str, action: &HookAction) -> ();
        /// Stops a deployment in flight: ROLLBACK returns to the source revision.
        StopServiceDeployment: ServiceWrite, Standard, Safe;
        fn stop_service_deployment(&self, arn: &str, stop_type: &DeploymentStopType) -> ();

        /// One page of the ARNs of the tasks `filter` selects.
        ListTasks: ClusterResourceRead, Standard, Safe;
        fn list_tasks(&self, filter: &TaskFilter, next_token: Option<&str>) -> TaskPage;
        /// The tasks of `cluster` with these ARNs, with tags (described 100 at a time);
        /// tasks ECS no longer knows are left out (ECS reports them as failures).
        DescribeTasks: ClusterResourceRead, Standard, Safe;
        fn describe_tasks(&self, cluster: &str, arns: &[String]) -> Vec<EcsTask>;
        /// Starts `count` tasks. Its client token makes ECS answer a repeat with the tasks
        /// the first call started, so a repeat after a lost answer starts nothing new.
        RunTask: ClusterResourceWrite, Standard, Safe;
        fn run_task(&self, request: &RunTask) -> StartedTasks;
        /// Asks ECS to stop a task of `cluster`, saying why; a stopped task stays stopped.
        StopTask: ClusterResourceWrite, Standard, Safe;
        fn stop_task(&self, cluster: &str, task: &str, reason: &str) -> ();
    }

    /// The Application Auto Scaling operations for a service's desiredCount. Each takes
    /// the scalable target's resource ID (`scaling::resource_id`); "not found" is
    /// `ErrorKind::NotFound` whichever code AWS used. Every call is idempotent by name.
    ScalingApi for ApplicationAutoScaling, "application-autoscaling" {
        DescribeScalableTargets: ScalingRead, ConcurrentUpdates, Safe;
        fn describe_scalable_target(&self, resource_id: &str) -> Option<ScalableTarget>;
        /// Creates or updates; returns the target's ARN.
        RegisterScalableTarget: ScalingWrite, ConcurrentUpdates, Safe;
        fn register_scalable_target(&self, request: &RegisterScalableTarget) -> Option<String>;
        /// AWS deletes the target's policies and scheduled actions with it.
        DeregisterScalableTarget: ScalingWrite, ConcurrentUpdates, Safe;
        fn deregister_scalable_target(&self, resource_id: &str) -> ();
        /// Every policy of the target.
        DescribeScalingPolicies: ScalingRead, ConcurrentUpdates, Safe;
        fn describe_scaling_policies(&self, resource_id: &str) -> Vec<ObservedPolicy>;
        /// Creates or replaces by name.
        PutScalingPolicy: ScalingWrite, ConcurrentUpdates, Safe;
        fn put_scaling_policy(&self, resource_id: &str, policy: &ScalingPolicy) -> PutPolicyResult;
        DeleteScalingPolicy: ScalingWrite, ConcurrentUpdates, Safe;
        fn delete_scaling_policy(&self, resource_id: &str, name: &str) -> ();
        /// Every scheduled action of the target.
        DescribeScheduledActions: ScalingRead, ConcurrentUpdates, Safe;
        fn describe_scheduled_actions(&self, resource_id: &str) -> Vec<ObservedScheduledAction>;
        /// Creates or replaces by name.
        PutScheduledAction: ScalingWrite, ConcurrentUpdates, Safe;
        fn put_scheduled_action(&self, resource_id: &str, action: &ScheduledScaling) -> ();
        DeleteScheduledAction: ScalingWrite, ConcurrentUpdates, Safe;
        fn delete_scheduled_action(&self, resource_id: &str, name: &str) -> ();
    }

    /// The EventBridge Scheduler operations for schedules that run ECS tasks.
    SchedulerApi for Scheduler, "scheduler" {
        /// One schedule of `group`. None when Scheduler knows neither it nor its group.
        GetSchedule: SchedulerSchedule, Standard, Safe;
        fn get_schedule(&self, group: &str, name: &str) -> Option<EcsSchedule>;
        /// Returns the schedule's ARN. Its client token makes a repeat after a lost answer
        /// harmless.
        CreateSchedule: SchedulerSchedule, Standard, Safe;
        fn create_schedule(&self, schedule: &EcsSchedule) -> String;
        /// Replaces every field of the schedule.
        UpdateSchedule: SchedulerSchedule, Standard, Safe;
        fn update_schedule(&self, schedule: &EcsSchedule) -> String;
        /// A schedule already gone is `ErrorKind::NotFound`.
        DeleteSchedule: SchedulerSchedule, Standard, Safe;
        fn delete_schedule(&self, group: &str, name: &str) -> ();
        /// Returns the group's ARN; a group of that name already there is
        /// `ErrorKind::InUse` (Scheduler's ConflictException).
        CreateScheduleGroup: SchedulerGroup, Standard, Safe;
        fn create_schedule_group(&self, name: &str, tags: &Tags) -> String;
        /// The tags of a schedule group, by ARN.
        ListTagsForResource: SchedulerGroup, Standard, Safe;
        fn list_tags_for_resource(&self, arn: &str) -> Tags;
    }
}

/// Every service's operations: what the reconcilers are handed for one region.
pub trait AwsApi: EcsApi + ScalingApi + SchedulerApi {
    /// For a caller about to send `operation` (CreateService or UpdateService for the
    /// service `service` of `cluster`, or RunTask with the client token `service`): None
    /// when it may send now, else how long until its turn under the client-side rate
    /// limit, so it comes back then instead of waiting inside a reconcile; the call it
    /// then makes is already paid (see `Limiter::book`).
    fn write_turn(
        &self,
        operation: Operation,
        cluster: &str,
        service: &str,
    ) -> Option<std::time::Duration>;

    /// How long service deployments take to complete in this region.
    fn rollout_pace(&self) -> &super::RolloutPace;
}

impl<E: AwsApi> AwsApi for Retrying<E> {
    fn write_turn(
        &self,
        operation: Operation,
        cluster: &str,
        service: &str,
    ) -> Option<std::time::Duration> {
        self.inner().write_turn(operation, cluster, service)
    }

    fn rollout_pace(&self) -> &super::RolloutPace {
        self.inner().rollout_pace()
    }
}

impl Operation {
    /// The operation AWS calls `name` (as the SDK and the X-Amz-Target header name it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|op| op.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::retry::Repeat;

    #[test]
    fn names_round_trip_and_are_unique() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(*op));
        }
        assert_eq!(Operation::from_name("StartTask"), None);
        assert_eq!(Operation::CreateService.iam_action(), "ecs:CreateService");
        assert_eq!(
            Operation::PutScalingPolicy.iam_action(),
            "application-autoscaling:PutScalingPolicy"
        );
    }

    #[test]
    fn only_a_register_is_unsafe_to_repeat() {
        let unsafe_to_repeat: Vec<_> = Operation::ALL
            .iter()
            .filter(|op| op.repeat() == Repeat::OnlyWhenThrottled)
            .collect();
        assert_eq!(unsafe_to_repeat, [&Operation::RegisterTaskDefinition]);
    }
}
