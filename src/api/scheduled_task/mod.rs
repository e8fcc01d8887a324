//! The `ScheduledTask` kind: an EventBridge Scheduler schedule that runs an ECS task, like
//! a Kubernetes CronJob.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod status;

pub use status::*;

use crate::api::common::DeletionPolicy;
use crate::api::task::TaskTemplate;

/// Runs status keeps when `runHistoryLimit` is left out, and at most.
pub const RUNS_KEPT_DEFAULT: i32 = 5;
pub const RUNS_KEPT_MAX: i32 = 20;

/// Desired state of an EventBridge Scheduler schedule whose target runs an ECS task. The
/// schedule's fields follow the Scheduler CreateSchedule API; `task` is the RunTask
/// request each run makes, as a Task's.
// clippy reads each printcolumn's arguments as attributes of the struct, and two columns
// of one type as a duplicate.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "ScheduledTask",
    namespaced,
    status = "ScheduledTaskStatus",
    shortname = "ecsschedule",
    category = "ecs",
    doc = "An EventBridge Scheduler schedule that runs an Amazon ECS task, managed by ecs-operator.",
    printcolumn(
        name = "Schedule",
        type_ = "string",
        json_path = ".spec.scheduleExpression"
    ),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    // A string, not a date: kubectl shows a date column as an age, and a future one
    // as `<invalid>`.
    printcolumn(name = "Next Run", type_ = "string", json_path = ".status.nextRunTime"),
    printcolumn(name = "Last Run", type_ = "date", json_path = ".status.lastRunTime"),
    printcolumn(
        name = "Last Result",
        type_ = "string",
        json_path = ".status.lastResult"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new(
    "!has(self.startDate) || !has(self.endDate) || timestamp(self.endDate) > timestamp(self.startDate)"
).message("spec.endDate must be later than spec.startDate")
    .field_path(".endDate"))]
#[serde(rename_all = "camelCase")]
pub struct ScheduledTaskSpec {
    /// AWS region of the schedule and its tasks, for example eu-west-1. Defaults to the
    /// operator's --default-region; another must be one the operator serves
    /// (--allowed-regions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 32),
        regex(pattern = r"^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$")
    )]
    pub region: Option<String>,

    /// When the task runs, as EventBridge Scheduler reads it: `rate(15 minutes)` (minute,
    /// hour or day units; the first run is at startDate, or at once), `cron(0 2 * * ? *)`
    /// (minutes hours day-of-month month day-of-week year; one day field is `?`), or
    /// `at(2027-01-01T09:00:00)` for one run.
    #[schemars(length(min = 1, max = 256), regex(pattern = r"^(rate|cron|at)\(.+\)$"))]
    pub schedule_expression: String,

    /// The IANA time zone cron and at expressions are read in, for example
    /// Europe/Berlin. Defaults to UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 50))]
    pub schedule_expression_timezone: Option<String>,

    /// A window after each scheduled time within which Scheduler may start the run,
    /// spreading runs out. Left out: the run starts at the scheduled time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flexible_time_window: Option<FlexibleTimeWindow>,

    /// No run before this time (rate and cron expressions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Time>,

    /// No run after this time (rate and cron expressions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Time>,

    /// True disables the schedule (State DISABLED): nothing runs until it is false again,
    /// and the times it missed meanwhile are not made up. Runs already started go on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,

    /// The IAM role EventBridge Scheduler assumes to call RunTask: it needs ecs:RunTask
    /// on the task definition, iam:PassRole for the task's roles, and ecs:TagResource.
    #[schemars(
        length(min = 20, max = 1600),
        regex(pattern = r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    )]
    pub role_arn: String,

    /// How long and how often Scheduler retries a run RunTask refused. Defaults to
    /// Scheduler's: 185 attempts within 24 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,

    /// An SQS queue that receives the runs Scheduler gave up on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<DeadLetterConfig>,

    /// What each run starts: the RunTask request, as a Task's (without the Job controls,
    /// which a schedule's runs do not have).
    pub task: TaskTemplate,

    /// Runs status keeps, newest last: 1 to 20, default 5 (a CronJob's history limits
    /// work the same way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 20))]
    pub run_history_limit: Option<i32>,

    /// Delete (default) deletes the schedule when this object is deleted (runs already
    /// started go on); Retain leaves it in EventBridge Scheduler.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// Scheduler's FlexibleTimeWindow.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[x_kube(validation = Rule::new(
    "(self.mode == 'FLEXIBLE') == has(self.maximumWindowInMinutes)"
).message("flexibleTimeWindow.maximumWindowInMinutes is set with mode FLEXIBLE, and only then")
    .field_path(".maximumWindowInMinutes"))]
#[serde(rename_all = "camelCase")]
pub struct FlexibleTimeWindow {
    /// OFF or FLEXIBLE.
    #[schemars(extend("enum" = ["OFF", "FLEXIBLE"]))]
    pub mode: String,
    /// With FLEXIBLE: the window's length, 1 to 1440 minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1440))]
    pub maximum_window_in_minutes: Option<i32>,
}

/// Scheduler's RetryPolicy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// Seconds after the scheduled time within which a run may still be retried, 60 to
    /// 86400 (default 86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 86400))]
    pub maximum_event_age_in_seconds: Option<i32>,
    /// Retries of a run RunTask refused, 0 to 185 (default 185).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 185))]
    pub maximum_retry_attempts: Option<i32>,
}

/// Scheduler's DeadLetterConfig.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterConfig {
    /// ARN of an SQS queue.
    #[schemars(
        length(min = 1, max = 1600),
        regex(pattern = r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:.+$")
    )]
    pub arn: String,
}

impl ScheduledTask {
    /// The Cluster object this schedule's task runs on, if it names one.
    pub fn cluster_ref_name(&self) -> Option<&str> {
        self.spec.task.cluster_ref.as_ref().map(|r| r.name.as_str())
    }

    /// The TaskDefinition object this schedule runs, if it names one.
    pub fn task_definition_ref_name(&self) -> Option<&str> {
        self.spec
            .task
            .task_definition_ref
            .as_ref()
            .map(|r| r.name.as_str())
    }

    /// The revision the schedule runs, as its status reports it.
    pub fn revision_in_use(&self) -> Option<&str> {
        self.status.as_ref()?.task_definition_arn.as_deref()
    }
}
