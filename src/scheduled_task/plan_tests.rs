//! The pure parts of a ScheduledTask: the schedule it asks for, its names, and how the
//! tasks found in ECS become runs.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::plan::{desired, group_name, schedule_name, tenant_uses};
use super::runs::{merge_runs, to_describe};
use crate::api::scheduled_task::{FlexibleTimeWindow, ScheduledTaskSpec};
use crate::api::task::{TaskOverride, TaskTemplate};
use crate::api::{DeletionPolicy, ScheduledTask};
use crate::aws::{EcsContainer, EcsTask, TaskState};
use crate::ownership::{NAMESPACE, UID};
use crate::task::plan::{FAILED, RUNNING, SUCCEEDED};

pub fn spec() -> ScheduledTaskSpec {
    ScheduledTaskSpec {
        region: None,
        schedule_expression: "cron(0 2 * * ? *)".into(),
        schedule_expression_timezone: None,
        flexible_time_window: None,
        start_date: None,
        end_date: None,
        suspend: None,
        role_arn: "arn:aws:iam::123456789012:role/scheduler".into(),
        retry_policy: None,
        dead_letter_config: None,
        task: TaskTemplate {
            cluster: Some("batch".into()),
            task_definition: Some("resize:1".into()),
            ..TaskTemplate::default()
        },
        run_history_limit: None,
        deletion_policy: DeletionPolicy::Delete,
    }
}

pub fn scheduled(name: &str, spec: ScheduledTaskSpec) -> ScheduledTask {
    let mut s = ScheduledTask::new(name, spec);
    s.metadata.namespace = Some("team-a".into());
    s.metadata.uid = Some(format!("uid-{name}"));
    s.metadata.generation = Some(1);
    s
}

const CLUSTER: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/batch";
const REVISION: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/resize:1";

#[test]
fn the_schedule_writes_out_schedulers_defaults_and_carries_the_owner() {
    let wanted = desired(&scheduled("nightly", spec()), CLUSTER, REVISION);
    assert_eq!(
        (wanted.group.as_str(), wanted.name.as_str()),
        ("ecs-operator-team-a", "nightly")
    );
    assert_eq!(wanted.timezone, "UTC");
    assert_eq!(wanted.flexible_window_minutes, None);
    assert!(wanted.enabled);
    let target = &wanted.target;
    assert_eq!(
        (target.retry_max_age_seconds, target.retry_attempts),
        (86_400, 185)
    );
    assert_eq!(target.task_count, 1);
    assert_eq!(
        target.tags.get(UID).map(String::as_str),
        Some("uid-nightly")
    );
    assert_eq!(
        target.tags.get(NAMESPACE).map(String::as_str),
        Some("team-a")
    );
    assert_eq!(wanted.client_token.len(), 64);
}

#[test]
fn suspend_disables_and_a_flexible_window_is_kept() {
    let mut s = spec();
    s.suspend = Some(true);
    s.flexible_time_window = Some(FlexibleTimeWindow {
        mode: "FLEXIBLE".into(),
        maximum_window_in_minutes: Some(15),
    });
    let wanted = desired(&scheduled("nightly", s), CLUSTER, REVISION);
    assert!(!wanted.enabled);
    assert_eq!(wanted.flexible_window_minutes, Some(15));
}

#[test]
fn a_changed_field_changes_the_client_token_and_is_named() {
    let before = desired(&scheduled("nightly", spec()), CLUSTER, REVISION);
    let mut s = spec();
    s.task.overrides = Some(TaskOverride {
        cpu: Some("512".into()),
        ..TaskOverride::default()
    });
    let after = desired(&scheduled("nightly", s), CLUSTER, REVISION);
    assert_ne!(before.client_token, after.client_token);
    assert_eq!(after.differences(&before), ["overrides"]);
    assert!(before.differences(&before).is_empty());
}

#[test]
fn long_names_stay_within_schedulers_limit_and_apart() {
    let a = group_name(&"a".repeat(63));
    let b = group_name(&format!("{}b", "a".repeat(62)));
    assert!(a.len() <= 64 && b.len() <= 64, "{a} {b}");
    assert_ne!(a, b);
    assert_eq!(schedule_name("nightly"), "nightly");
    assert!(schedule_name(&"x".repeat(200)).len() <= 64);
}

#[test]
fn tenant_policy_fields_are_named_under_spec_task() {
    let mut s = spec();
    s.task.overrides = Some(TaskOverride {
        task_role_arn: Some("arn:aws:iam::123456789012:role/job".into()),
        ..TaskOverride::default()
    });
    let fields: Vec<String> = tenant_uses(&scheduled("nightly", s))
        .into_iter()
        .map(|u| u.field)
        .collect();
    assert_eq!(
        fields,
        [
            "spec.task.cluster",
            "spec.task.taskDefinition",
            "spec.task.overrides.taskRoleArn",
            "spec.roleArn"
        ]
    );
}

fn ecs_task(arn: &str, created_s: i64, status: TaskState, exit: Option<i32>) -> EcsTask {
    EcsTask {
        arn: arn.into(),
        last_status: status.clone(),
        created_at: Some(Timestamp::from_second(created_s).unwrap()),
        containers: vec![EcsContainer {
            name: "job".into(),
            last_status: status,
            exit_code: exit,
            reason: None,
        }],
        ..EcsTask::default()
    }
}

#[test]
fn tasks_started_together_are_one_run_and_each_run_is_judged() {
    let essentials = vec!["job".to_string()];
    let found = [
        ecs_task("t1", 1_000, TaskState::Stopped, Some(0)),
        ecs_task("t2", 1_001, TaskState::Stopped, Some(0)),
        ecs_task("t3", 4_600, TaskState::Stopped, Some(3)),
        ecs_task("t4", 4_601, TaskState::Running, None),
    ];
    let runs = merge_runs(&[], &found, &essentials, 2, 5);
    let summary: Vec<(i32, &str, usize)> = runs
        .iter()
        .map(|r| (r.attempt, r.result.as_str(), r.tasks.len()))
        .collect();
    assert_eq!(summary, [(1, SUCCEEDED, 2), (2, RUNNING, 2)]);

    // The running task stops: the run fails on the exit code 3, and no new run appears.
    let later = [
        ecs_task("t3", 4_600, TaskState::Stopped, Some(3)),
        ecs_task("t4", 4_601, TaskState::Stopped, Some(0)),
    ];
    let runs = merge_runs(&runs, &later, &essentials, 2, 5);
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].result, FAILED);
}

#[test]
fn only_unfinished_runs_are_described_again_and_the_newest_are_kept() {
    let essentials = vec!["job".to_string()];
    let found: Vec<EcsTask> = (0..7)
        .map(|i| {
            ecs_task(
                &format!("t{i}"),
                1_000 + i * 3_600,
                TaskState::Stopped,
                Some(0),
            )
        })
        .collect();
    let runs = merge_runs(&[], &found, &essentials, 1, 3);
    let numbers: Vec<i32> = runs.iter().map(|r| r.attempt).collect();
    assert_eq!(numbers, [5, 6, 7]);
    let listed: Vec<String> = ["t6", "t7", "t8"].map(String::from).to_vec();
    assert_eq!(to_describe(&listed, &runs), ["t7", "t8"]);
}

#[test]
fn a_run_whose_tasks_ecs_forgot_while_running_fails_saying_so() {
    let essentials = vec!["job".to_string()];
    let running = merge_runs(
        &[],
        &[ecs_task("t1", 1_000, TaskState::Running, None)],
        &essentials,
        1,
        5,
    );
    let lost = merge_runs(&running, &[], &essentials, 1, 5);
    assert_eq!(lost[0].result, FAILED);
    assert!(
        lost[0]
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("no longer reports")
    );
}

#[test]
fn times_in_status_are_whole_seconds() {
    let t = Time(Timestamp::from_second(1_000).unwrap() + Duration::from_millis(1));
    assert_eq!(super::status::time(t.0).0.as_second(), 1_000);
}

#[test]
fn tasks_of_runs_past_the_history_limit_do_not_come_back_as_new_runs() {
    let essentials = vec!["job".to_string()];
    let found: Vec<EcsTask> = (0..4)
        .map(|i| {
            ecs_task(
                &format!("t{i}"),
                1_000 + i * 600,
                TaskState::Stopped,
                Some(0),
            )
        })
        .collect();
    let kept = merge_runs(&[], &found, &essentials, 1, 2);
    assert_eq!(kept.iter().map(|r| r.attempt).collect::<Vec<_>>(), [3, 4]);
    // ECS still lists t0 and t1 (stopped within the hour): the next look ignores them.
    let again = merge_runs(&kept, &found, &essentials, 1, 2);
    assert_eq!(again, kept);
}

#[test]
fn a_task_seen_after_the_rest_of_its_run_joins_that_run() {
    let essentials = vec!["job".to_string()];
    let first = merge_runs(
        &[],
        &[ecs_task("t1", 1_000, TaskState::Stopped, Some(0))],
        &essentials,
        2,
        5,
    );
    assert_eq!(first[0].result, FAILED, "one of two tasks: not all started");
    let both = [
        ecs_task("t1", 1_000, TaskState::Stopped, Some(0)),
        ecs_task("t2", 1_002, TaskState::Stopped, Some(0)),
    ];
    let joined = merge_runs(&first, &both, &essentials, 2, 5);
    assert_eq!(joined.len(), 1);
    assert_eq!(
        (joined[0].tasks.len(), joined[0].result.as_str()),
        (2, SUCCEEDED)
    );
}

#[test]
fn a_running_runs_tasks_are_described_even_when_not_listed() {
    let essentials = vec!["job".to_string()];
    let running = merge_runs(
        &[],
        &[ecs_task("t1", 1_000, TaskState::Running, None)],
        &essentials,
        1,
        5,
    );
    assert_eq!(to_describe(&[], &running), ["t1"]);
}
