//! EventBridge Scheduler schedules at the AWS seam, in the operator's own types: what
//! CreateSchedule and UpdateSchedule are sent and what GetSchedule reports, normalised
//! so that one compares with the other (Scheduler's defaults written out).

use k8s_openapi::jiff::Timestamp;

use super::Tags;
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::service::{NetworkConfiguration, PlacementConstraint, PlacementStrategy};
use crate::api::task::TaskOverride;

/// Scheduler's RetryPolicy defaults (API Reference, RetryPolicy).
pub const RETRY_MAX_AGE_DEFAULT: i32 = 86_400;
pub const RETRY_ATTEMPTS_DEFAULT: i32 = 185;

/// One schedule whose target runs ECS tasks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsSchedule {
    pub group: String,
    pub name: String,
    /// ARN as Scheduler reports it (empty in a request).
    pub arn: String,
    pub expression: String,
    /// IANA name; Scheduler's default is UTC.
    pub timezone: String,
    /// The flexible window in minutes; None is mode OFF.
    pub flexible_window_minutes: Option<i32>,
    pub start_date: Option<Timestamp>,
    pub end_date: Option<Timestamp>,
    pub enabled: bool,
    /// Scheduler's description field: who manages the schedule.
    pub description: String,
    /// When Scheduler created it (a rate schedule without startDate counts from then).
    pub created: Option<Timestamp>,
    pub target: EcsTarget,
    /// Makes a repeated CreateSchedule or UpdateSchedule harmless (at most 64 characters).
    pub client_token: String,
}

/// The schedule's target: RunTask on a cluster, and how Scheduler retries it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsTarget {
    pub cluster_arn: String,
    /// The role Scheduler assumes to call RunTask.
    pub role_arn: String,
    pub task_definition_arn: String,
    pub task_count: i32,
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    pub platform_version: Option<String>,
    pub network_configuration: Option<NetworkConfiguration>,
    pub group: Option<String>,
    pub propagate_tags: Option<String>,
    pub enable_ecs_managed_tags: bool,
    pub enable_execute_command: bool,
    pub placement_constraints: Vec<PlacementConstraint>,
    pub placement_strategy: Vec<PlacementStrategy>,
    /// Tags each run's tasks get, the operator's ownership tags among them.
    pub tags: Tags,
    /// RunTask's overrides, which Scheduler takes as the target's Input (JSON).
    pub overrides: Option<TaskOverride>,
    pub retry_max_age_seconds: i32,
    pub retry_attempts: i32,
    pub dead_letter_arn: Option<String>,
}

impl EcsSchedule {
    /// What differs between this (desired) schedule and `observed`, as field names, for
    /// the event that reports the update. Empty when they agree.
    pub fn differences(&self, observed: &EcsSchedule) -> Vec<&'static str> {
        let (d, o) = (&self.target, &observed.target);
        let fields = [
            ("scheduleExpression", self.expression == observed.expression),
            (
                "scheduleExpressionTimezone",
                self.timezone == observed.timezone,
            ),
            (
                "flexibleTimeWindow",
                self.flexible_window_minutes == observed.flexible_window_minutes,
            ),
            ("startDate", self.start_date == observed.start_date),
            ("endDate", self.end_date == observed.end_date),
            ("suspend", self.enabled == observed.enabled),
            ("description", self.description == observed.description),
            ("cluster", d.cluster_arn == o.cluster_arn),
            ("roleArn", d.role_arn == o.role_arn),
            (
                "taskDefinition",
                d.task_definition_arn == o.task_definition_arn,
            ),
            ("count", d.task_count == o.task_count),
            ("launchType", d.launch_type == o.launch_type),
            (
                "capacityProviderStrategy",
                d.capacity_provider_strategy == o.capacity_provider_strategy,
            ),
            ("platformVersion", d.platform_version == o.platform_version),
            (
                "networkConfiguration",
                d.network_configuration == o.network_configuration,
            ),
            ("group", d.group == o.group),
            ("propagateTags", d.propagate_tags == o.propagate_tags),
            (
                "enableECSManagedTags",
                d.enable_ecs_managed_tags == o.enable_ecs_managed_tags,
            ),
            (
                "enableExecuteCommand",
                d.enable_execute_command == o.enable_execute_command,
            ),
            (
                "placementConstraints",
                d.placement_constraints == o.placement_constraints,
            ),
            (
                "placementStrategy",
                d.placement_strategy == o.placement_strategy,
            ),
            ("tags", d.tags == o.tags),
            ("overrides", d.overrides == o.overrides),
            (
                "retryPolicy",
                (d.retry_max_age_seconds, d.retry_attempts)
                    == (o.retry_max_age_seconds, o.retry_attempts),
            ),
            ("deadLetterConfig", d.dead_letter_arn == o.dead_letter_arn),
        ];
        fields
            .into_iter()
            .filter(|(_, same)| !same)
            .map(|(name, _)| name)
            .collect()
    }
}
