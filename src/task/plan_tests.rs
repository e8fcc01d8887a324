//! The Task's decisions, from attempts and the clock alone.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::apply::{client_token, started_by};
use super::plan::*;
use crate::api::TaskSpec;
use crate::api::service::StoppedContainer;
use crate::api::task::{AttemptStatus, TaskRunStatus};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + seconds).unwrap()
}

fn task(status: &str, stopped_at: Option<i64>, codes: &[(&str, Option<i32>)]) -> TaskRunStatus {
    TaskRunStatus {
        arn: format!("arn:aws:ecs:us-east-1:123456789012:task/main/{status}"),
        last_status: status.into(),
        stop_code: stopped_at.map(|_| "EssentialContainerExited".into()),
        stopped_at: stopped_at.map(|s| Time(at(s))),
        containers: codes
            .iter()
            .map(|(name, code)| StoppedContainer {
                name: (*name).into(),
                exit_code: *code,
                reason: None,
            })
            .collect(),
        ..Default::default()
    }
}

fn attempt(n: i32, result: &str, started: i64, tasks: Vec<TaskRunStatus>) -> AttemptStatus {
    AttemptStatus {
        attempt: n,
        result: result.into(),
        started_at: Some(Time(at(started))),
        tasks,
        ..Default::default()
    }
}

fn failed(n: i32, stopped: i64, code: i32) -> AttemptStatus {
    attempt(
        n,
        FAILED,
        stopped - 5,
        vec![task("STOPPED", Some(stopped), &[("job", Some(code))])],
    )
}

fn spec(backoff_limit: i32) -> TaskSpec {
    TaskSpec {
        backoff_limit: Some(backoff_limit),
        ..TaskSpec::default()
    }
}

#[test]
fn a_new_task_starts_its_first_attempt() {
    assert_eq!(
        decide(&spec(0), &[], None, at(0)),
        Decision::Start { attempt: 1 }
    );
}

#[test]
fn a_running_attempt_is_polled_sooner_while_young_and_at_most_every_30_seconds() {
    let running = [attempt(1, RUNNING, 0, vec![task("RUNNING", None, &[])])];
    let young = decide(&spec(0), &running, Some(at(0)), at(4));
    assert_eq!(
        young,
        Decision::Wait {
            backing_off: false,
            recheck: Duration::from_secs(2)
        }
    );
    let old = decide(&spec(0), &running, Some(at(0)), at(3600));
    assert_eq!(
        old,
        Decision::Wait {
            backing_off: false,
            recheck: Duration::from_secs(30)
        }
    );
}

#[test]
fn a_failed_attempt_is_retried_after_a_pause_that_doubles() {
    let once = [failed(1, 100, 3)];
    assert_eq!(
        decide(&spec(2), &once, Some(at(0)), at(104)),
        Decision::Wait {
            backing_off: true,
            recheck: Duration::from_secs(6)
        }
    );
    assert_eq!(
        decide(&spec(2), &once, Some(at(0)), at(110)),
        Decision::Start { attempt: 2 }
    );
    let twice = [failed(1, 100, 3), failed(2, 200, 3)];
    assert_eq!(
        decide(&spec(2), &twice, Some(at(0)), at(215)),
        Decision::Wait {
            backing_off: true,
            recheck: Duration::from_secs(5)
        },
        "20 s after the second failure"
    );
    assert_eq!(retry_delay(1), Duration::from_secs(10));
    assert_eq!(retry_delay(3), Duration::from_secs(40));
    assert_eq!(
        retry_delay(20),
        Duration::from_secs(360),
        "capped at 6 minutes"
    );
}

#[test]
fn failures_beyond_the_backoff_limit_fail_the_task_naming_the_exit_code() {
    let Decision::Failed { reason, message } = decide(
        &spec(1),
        &[failed(1, 100, 3), failed(2, 200, 3)],
        Some(at(0)),
        at(500),
    ) else {
        panic!("expected Failed")
    };
    assert_eq!(reason, BACKOFF_LIMIT_EXCEEDED);
    assert!(message.contains("2 attempts failed"), "{message}");
    assert!(message.contains("job exited 3"), "{message}");
}

#[test]
fn no_retry_with_a_backoff_limit_of_zero() {
    let decision = decide(&spec(0), &[failed(1, 100, 1)], Some(at(0)), at(1000));
    assert!(matches!(
        decision,
        Decision::Failed {
            reason: BACKOFF_LIMIT_EXCEEDED,
            ..
        }
    ));
}

#[test]
fn an_attempt_that_succeeded_completes_the_task() {
    let done = attempt(
        1,
        SUCCEEDED,
        0,
        vec![task("STOPPED", Some(10), &[("job", Some(0))])],
    );
    assert_eq!(
        decide(&spec(0), &[done], Some(at(0)), at(20)),
        Decision::Succeeded
    );
}

#[test]
fn past_the_deadline_running_tasks_are_stopped_and_otherwise_the_task_fails() {
    let deadline = TaskSpec {
        active_deadline_seconds: Some(60),
        ..spec(3)
    };
    let running = [attempt(1, RUNNING, 0, vec![task("RUNNING", None, &[])])];
    let Decision::StopForDeadline { arns } = decide(&deadline, &running, Some(at(0)), at(61))
    else {
        panic!("expected a stop")
    };
    assert_eq!(arns, [running[0].tasks[0].arn.clone()]);
    let backing_off = [failed(1, 50, 2)];
    assert!(matches!(
        decide(&deadline, &backing_off, Some(at(0)), at(61)),
        Decision::Failed {
            reason: DEADLINE_EXCEEDED,
            ..
        }
    ));
    assert_eq!(
        decide(&deadline, &backing_off, Some(at(0)), at(55)),
        Decision::Wait {
            backing_off: true,
            recheck: Duration::from_secs(5)
        },
        "the deadline comes before the pause ends"
    );
}

#[test]
fn a_deadline_beyond_the_representable_is_no_deadline() {
    let endless = TaskSpec {
        active_deadline_seconds: Some(i64::MAX),
        ..spec(0)
    };
    let running = [attempt(1, RUNNING, 0, vec![task("RUNNING", None, &[])])];
    assert_eq!(
        decide(&endless, &running, Some(at(0)), at(4)),
        decide(&spec(0), &running, Some(at(0)), at(4))
    );
}

#[test]
fn an_attempt_succeeds_only_when_every_task_ran_and_each_essential_container_exited_0() {
    let essentials = ["job".to_string()];
    let judged = |tasks: Vec<TaskRunStatus>, count: i32| {
        judge(&attempt(1, RUNNING, 0, tasks), &essentials, count)
    };
    let clean = || {
        task(
            "STOPPED",
            Some(5),
            &[("job", Some(0)), ("sidecar", Some(137))],
        )
    };
    assert_eq!(
        judged(vec![clean()], 1),
        SUCCEEDED,
        "a non-essential exit code is ignored"
    );
    assert_eq!(
        judged(vec![clean()], 2),
        FAILED,
        "RunTask started fewer than count"
    );
    assert_eq!(
        judged(vec![clean(), task("RUNNING", None, &[])], 2),
        RUNNING
    );
    assert_eq!(
        judged(vec![task("STOPPED", Some(5), &[("job", None)])], 1),
        FAILED,
        "a container that never started (TaskFailedToStart) has no exit code"
    );
    assert_eq!(judged(vec![], 1), FAILED, "RunTask started nothing");
    assert_eq!(
        judge(
            &attempt(
                1,
                RUNNING,
                0,
                vec![task("STOPPED", Some(5), &[("a", Some(0)), ("b", Some(1))])]
            ),
            &[],
            1
        ),
        FAILED,
        "without the essential list, every container counts"
    );
}

#[test]
fn exit_codes_read_task_by_task() {
    let two = attempt(
        1,
        FAILED,
        0,
        vec![
            task("STOPPED", Some(5), &[("job", Some(3)), ("log", Some(0))]),
            task("STOPPED", Some(5), &[("job", None)]),
        ],
    );
    assert_eq!(exit_codes(&two, &["job".into()]), "3,-");
    assert_eq!(human(Duration::from_secs(95)), "1m35s");
    assert_eq!(human(Duration::from_secs(3725)), "1h2m5s");
}

#[test]
fn client_tokens_and_started_by_fit_ecs_and_never_change() {
    let uid = "9d2e1f7a-1111-2222-3333-444455556666";
    let token = client_token(uid, 1);
    assert_eq!(token.len(), 64, "RunTask clientToken: at most 64");
    assert_ne!(token, client_token(uid, 2), "one per attempt");
    assert!(started_by(uid).len() <= 36, "RunTask startedBy: at most 36");
    // A changed token would start a second copy of an attempt after an upgrade.
    assert_eq!(
        token,
        "f1435b8c35f7c90a01e543ec9cc42770b3595488ba2840565753fe9834db8bad"
    );
    assert_eq!(started_by(uid), "ecs-operator/10478ffd6952ce47d52b");
}

#[test]
fn the_tenant_policy_sees_what_a_task_names_in_aws() {
    let spec: TaskSpec = serde_json::from_value(serde_json::json!({
        "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/batch",
        "taskDefinition": "resize:3",
        "overrides": {"taskRoleArn": "arn:aws:iam::123456789012:role/ecs-operator/resize"},
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a"], "securityGroups": ["sg-a"]}}
    }))
    .unwrap();
    let uses: Vec<(String, String)> = tenant_uses(&crate::api::Task::new("resize", spec))
        .into_iter()
        .map(|u| (u.field, u.value))
        .collect();
    let expected = [
        ("spec.cluster", "batch"),
        ("spec.taskDefinition", "resize"),
        (
            "spec.overrides.taskRoleArn",
            "arn:aws:iam::123456789012:role/ecs-operator/resize",
        ),
        (
            "spec.networkConfiguration.awsvpcConfiguration.subnets",
            "subnet-a",
        ),
        (
            "spec.networkConfiguration.awsvpcConfiguration.securityGroups",
            "sg-a",
        ),
    ];
    assert_eq!(
        uses,
        expected.map(|(f, v)| (f.to_string(), v.to_string())),
        "a clusterRef or taskDefinitionRef is checked on its object instead"
    );
}
