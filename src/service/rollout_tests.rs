//! The rollout judgement, pure: Ready only once the desired revision rolled out, and a
//! failing rollout explained by its stopped tasks, read once per deployment.

use k8s_openapi::jiff::Timestamp;

use super::plan_tests::{TD1, TD2, deployment_of};
use super::rollout::*;
use crate::api::service::FailedRollout;
use crate::aws::{DeploymentState, EcsContainer, EcsDeployment, EcsService, EcsTask, TaskState};
use crate::reconcile::CONVERGE_POLL;

fn service_with(deployments: Vec<EcsDeployment>, running: i32, desired: i32) -> EcsService {
    EcsService {
        status: "ACTIVE".into(),
        task_definition: deployments
            .iter()
            .find(|d| d.status == DeploymentState::Primary)
            .map(|d| d.task_definition.clone())
            .unwrap_or_default(),
        desired_count: desired,
        running_count: running,
        deployments,
        ..Default::default()
    }
}

#[test]
fn ready_only_when_a_single_completed_primary_runs_the_desired_revision() {
    let complete = service_with(
        vec![deployment_of(TD2, "PRIMARY", Some("COMPLETED"), 2)],
        2,
        2,
    );
    assert!(matches!(
        rollout(&complete, TD2, None),
        Rollout::Complete(_)
    ));

    let short = service_with(
        vec![deployment_of(TD2, "PRIMARY", Some("COMPLETED"), 2)],
        1,
        2,
    );
    assert!(matches!(rollout(&short, TD2, None), Rollout::InProgress(_)));

    let rolling = service_with(
        vec![
            deployment_of(TD2, "PRIMARY", Some("IN_PROGRESS"), 2),
            deployment_of(TD1, "ACTIVE", Some("COMPLETED"), 2),
        ],
        2,
        2,
    );
    assert!(matches!(
        rollout(&rolling, TD2, None),
        Rollout::InProgress(_)
    ));

    let draining = service_with(
        vec![
            deployment_of(TD2, "PRIMARY", Some("COMPLETED"), 2),
            deployment_of(TD1, "ACTIVE", Some("COMPLETED"), 0),
        ],
        2,
        2,
    );
    assert!(matches!(
        rollout(&draining, TD2, None),
        Rollout::InProgress(_)
    ));

    let old = service_with(
        vec![deployment_of(TD1, "PRIMARY", Some("COMPLETED"), 2)],
        2,
        2,
    );
    let mut not_started = old.clone();
    not_started.task_definition = TD2.into();
    assert!(matches!(
        rollout(&not_started, TD2, None),
        Rollout::InProgress(_)
    ));
}

#[test]
fn failed_and_rolled_back_rollouts_are_failures() {
    let failed = service_with(vec![deployment_of(TD2, "PRIMARY", Some("FAILED"), 2)], 0, 2);
    let Rollout::Failed(message) = rollout(&failed, TD2, None) else {
        panic!("a FAILED primary is a failure");
    };
    assert!(message.contains("ECS deployment FAILED."), "{message}");

    let rolling_back = service_with(
        vec![
            deployment_of(TD1, "PRIMARY", Some("IN_PROGRESS"), 2),
            deployment_of(TD2, "ACTIVE", Some("FAILED"), 0),
        ],
        2,
        2,
    );
    assert!(matches!(
        rollout(&rolling_back, TD2, None),
        Rollout::Failed(_)
    ));

    let rolled_back = service_with(
        vec![deployment_of(TD1, "PRIMARY", Some("COMPLETED"), 2)],
        2,
        2,
    );
    assert!(matches!(
        rollout(&rolled_back, TD2, None),
        Rollout::Failed(_)
    ));
}

#[test]
fn deployments_without_a_rollout_state_are_judged_by_their_tasks() {
    let external = service_with(vec![deployment_of(TD1, "PRIMARY", None, 2)], 2, 2);
    assert!(matches!(
        rollout(&external, TD1, None),
        Rollout::Complete(_)
    ));
}

fn stopped(id: &str, started_by: &str, at: i64, code: &str, reason: &str) -> EcsTask {
    EcsTask {
        arn: format!("arn:aws:ecs:us-east-1:123456789012:task/main/{id}"),
        task_definition: TD2.into(),
        started_by: Some(started_by.into()),
        last_status: TaskState::Stopped,
        desired_status: TaskState::Stopped,
        stop_code: Some(code.into()),
        stopped_reason: Some(reason.into()),
        stopped_at: Some(Timestamp::from_second(at).unwrap()),
        ..Default::default()
    }
}

fn failed_deployment() -> EcsDeployment {
    EcsDeployment {
        rollout_state_reason: Some("ECS deployment circuit breaker: tasks failed to start.".into()),
        failed_tasks: 3,
        ..deployment_of(TD2, "PRIMARY", Some("FAILED"), 2)
    }
}

#[test]
fn a_failure_keeps_the_deployments_newest_stopped_tasks_with_exit_codes() {
    let deployment = failed_deployment();
    let mut exited = stopped(
        "new",
        &deployment.id,
        300,
        "EssentialContainerExited",
        "Essential container in task exited",
    );
    exited.containers = vec![
        EcsContainer {
            name: "web".into(),
            exit_code: Some(3),
            ..Default::default()
        },
        EcsContainer {
            name: "sidecar".into(),
            ..Default::default()
        },
    ];
    let tasks = [
        stopped(
            "old",
            &deployment.id,
            100,
            "TaskFailedToStart",
            "CannotPullContainerError: x",
        ),
        exited,
        stopped(
            "other",
            "ecs-svc/earlier",
            400,
            "ServiceSchedulerInitiated",
            "Scaling activity initiated by deployment",
        ),
        stopped(
            "mid",
            &deployment.id,
            200,
            "TaskFailedToStart",
            "CannotPullContainerError: y",
        ),
        stopped(
            "older",
            &deployment.id,
            50,
            "TaskFailedToStart",
            "CannotPullContainerError: z",
        ),
    ];
    let record = failed_rollout(&deployment, &tasks);
    assert_eq!(record.deployment_id, deployment.id);
    assert_eq!(record.reason, deployment.rollout_state_reason);
    let ids: Vec<_> = record
        .stopped_tasks
        .iter()
        .map(|t| t.arn.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["new", "mid", "old"],
        "its own tasks, newest first, at most three"
    );
    let containers = &record.stopped_tasks[0].containers;
    assert_eq!(
        containers.len(),
        1,
        "only containers that exited or say why: {containers:?}"
    );
    assert_eq!(
        (containers[0].name.as_str(), containers[0].exit_code),
        ("web", Some(3))
    );
}

#[test]
fn tasks_the_scheduler_scaled_in_explain_no_failure_but_failed_health_checks_do() {
    let scaled_in = stopped(
        "drained",
        "ecs-svc/PRIMARY-web:2",
        300,
        "ServiceSchedulerInitiated",
        "Scaling activity initiated by (deployment ecs-svc/PRIMARY-web:2)",
    );
    let unhealthy = stopped(
        "unhealthy",
        "ecs-svc/PRIMARY-web:2",
        200,
        "ServiceSchedulerInitiated",
        "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:...)",
    );
    let record = failed_rollout(&failed_deployment(), &[scaled_in, unhealthy]);
    let arns: Vec<&str> = record
        .stopped_tasks
        .iter()
        .map(|t| t.arn.as_str())
        .collect();
    assert_eq!(
        arns,
        ["arn:aws:ecs:us-east-1:123456789012:task/main/unhealthy"]
    );
}

#[test]
fn a_failed_rollout_names_the_stopped_task_reason_and_exit_code() {
    let deployment = failed_deployment();
    let mut task = stopped(
        "abc",
        &deployment.id,
        300,
        "EssentialContainerExited",
        "Essential container in task exited",
    );
    task.containers = vec![EcsContainer {
        name: "web".into(),
        exit_code: Some(3),
        ..Default::default()
    }];
    let record = failed_rollout(&deployment, &[task]);
    let service = service_with(vec![deployment.clone()], 0, 2);
    let Rollout::Failed(message) = rollout(&service, TD2, Some(&record)) else {
        panic!("a FAILED deployment is a failure");
    };
    assert!(
        message.contains("web:2 failed: ECS deployment circuit breaker: tasks failed to start."),
        "{message}"
    );
    assert!(
        message.contains("Stopped task abc: EssentialContainerExited: Essential container in task exited; container web exited with code 3."),
        "{message}"
    );
}

#[test]
fn after_the_rollback_the_recorded_reason_still_explains_the_failure() {
    let mut pull = stopped(
        "abc",
        "ecs-svc/PRIMARY-web:2",
        300,
        "TaskFailedToStart",
        "CannotPullContainerError: not found",
    );
    pull.containers = vec![EcsContainer {
        name: "web".into(),
        reason: Some("CannotPullContainerError: not found".into()),
        ..Default::default()
    }];
    let record = failed_rollout(&failed_deployment(), &[pull]);
    let rolled_back = service_with(
        vec![deployment_of(TD1, "PRIMARY", Some("COMPLETED"), 2)],
        2,
        2,
    );

    let FailureRecord::Keep(Some(kept)) = failure_record(&rolled_back, TD2, Some(&record)) else {
        panic!("the record survives the rollback");
    };
    let Rollout::Failed(message) = rollout(&rolled_back, TD2, Some(&kept)) else {
        panic!("a rolled-back rollout is a failure");
    };
    assert!(
        message.contains("web:2 failed and ECS rolled back to web:1"),
        "{message}"
    );
    assert!(
        message
            .contains("Stopped task abc: TaskFailedToStart: CannotPullContainerError: not found."),
        "the container's reason is not repeated: {message}"
    );
}

#[test]
fn stopped_tasks_are_read_once_per_failing_deployment() {
    let failing = failed_deployment();
    let service = service_with(vec![failing.clone()], 0, 2);
    assert_eq!(
        failure_record(&service, TD2, None),
        FailureRecord::Read(failing.clone())
    );

    let record = failed_rollout(&failing, &[]);
    assert!(
        matches!(
            failure_record(&service, TD2, Some(&record)),
            FailureRecord::Keep(Some(_))
        ),
        "a deployment already read is not read again"
    );

    let retried = EcsDeployment {
        id: "ecs-svc/retry".into(),
        ..failing.clone()
    };
    let again = service_with(vec![retried.clone()], 0, 2);
    assert_eq!(
        failure_record(&again, TD2, Some(&record)),
        FailureRecord::Read(retried),
        "a new deployment is read"
    );

    let healthy = service_with(
        vec![deployment_of(TD2, "PRIMARY", Some("IN_PROGRESS"), 2)],
        1,
        2,
    );
    assert_eq!(
        failure_record(&healthy, TD2, None),
        FailureRecord::Keep(None),
        "no failure, nothing to read"
    );
}

#[test]
fn tasks_that_keep_stopping_are_reported_while_the_rollout_is_in_progress() {
    let rolling = EcsDeployment {
        failed_tasks: 2,
        ..deployment_of(TD2, "PRIMARY", Some("IN_PROGRESS"), 2)
    };
    let service = service_with(vec![rolling.clone()], 0, 2);
    assert_eq!(
        failure_record(&service, TD2, None),
        FailureRecord::Read(rolling.clone())
    );
    let record = failed_rollout(
        &rolling,
        &[stopped(
            "abc",
            &rolling.id,
            10,
            "EssentialContainerExited",
            "Essential container in task exited",
        )],
    );
    let Rollout::InProgress(message) = rollout(&service, TD2, Some(&record)) else {
        panic!("still rolling out");
    };
    assert!(
        message.contains("2 task(s) failed. Stopped task abc: EssentialContainerExited"),
        "{message}"
    );
    assert_eq!(
        record.reason, None,
        "\"in progress\" is no reason for a failure"
    );

    let failed = EcsDeployment {
        rollout_state: Some(crate::aws::RolloutState::Failed),
        rollout_state_reason: Some("ECS deployment circuit breaker: tasks failed to start.".into()),
        ..rolling
    };
    let FailureRecord::Keep(Some(kept)) = failure_record(
        &service_with(vec![failed.clone()], 0, 2),
        TD2,
        Some(&record),
    ) else {
        panic!("the deployment was read while it rolled out");
    };
    assert_eq!(
        kept.reason, failed.rollout_state_reason,
        "the reason once it FAILED"
    );
    assert_eq!(kept.stopped_tasks, record.stopped_tasks);
}

#[test]
fn a_record_of_another_revision_is_dropped() {
    let record = FailedRollout {
        deployment_id: "ecs-svc/1".into(),
        task_definition: TD1.into(),
        ..Default::default()
    };
    let service = service_with(
        vec![deployment_of(TD2, "PRIMARY", Some("IN_PROGRESS"), 2)],
        0,
        2,
    );
    assert_eq!(
        failure_record(&service, TD2, Some(&record)),
        FailureRecord::Keep(None)
    );
}

#[test]
fn a_rollback_not_seen_while_it_ran_is_read_once_by_its_revision() {
    let rolled_back = service_with(
        vec![deployment_of(TD1, "PRIMARY", Some("COMPLETED"), 2)],
        2,
        2,
    );
    let FailureRecord::Read(unseen) = failure_record(&rolled_back, TD2, None) else {
        panic!("the stopped tasks of the revision are read");
    };
    assert_eq!(
        (unseen.id.as_str(), unseen.task_definition.as_str()),
        ("", TD2)
    );
    let tasks = [
        stopped(
            "abc",
            "ecs-svc/7",
            300,
            "TaskFailedToStart",
            "CannotPullContainerError: x",
        ),
        EcsTask {
            task_definition: TD1.into(),
            ..stopped(
                "old",
                "ecs-svc/6",
                400,
                "ServiceSchedulerInitiated",
                "Scaling activity",
            )
        },
    ];
    let record = failed_rollout(&unseen, &tasks);
    assert_eq!(record.deployment_id, "ecs-svc/7", "named after its tasks");
    assert_eq!(record.stopped_tasks.len(), 1, "only the revision's tasks");
    assert!(
        matches!(
            failure_record(&rolled_back, TD2, Some(&record)),
            FailureRecord::Keep(Some(_))
        ),
        "read once, not at every resync"
    );
    let Rollout::Failed(message) = rollout(&rolled_back, TD2, Some(&record)) else {
        panic!("still a failure");
    };
    assert!(
        message.contains("rolled back to web:1. Stopped task abc"),
        "{message}"
    );
}

#[test]
fn a_rollout_ecs_is_not_moving_is_polled_less_and_less_often() {
    let now = Timestamp::from_second(10_000).unwrap();
    let moved = |seconds_ago: i64| {
        let mut service = service_with(
            vec![deployment_of(TD2, "PRIMARY", Some("IN_PROGRESS"), 2)],
            1,
            2,
        );
        service.deployments[0].updated_at =
            Some(Timestamp::from_second(10_000 - seconds_ago).unwrap());
        poll_interval(&service, Pacing { now, typical: None })
    };
    let seconds = |s: u64| std::time::Duration::from_secs(s);
    assert_eq!(moved(0), seconds(10), "ECS just moved");
    assert_eq!(moved(15), seconds(10));
    assert_eq!(moved(40), seconds(20), "half the time ECS has been still");
    assert_eq!(moved(600), MAX_POLL);
    assert_eq!(
        moved(-30),
        seconds(10),
        "an AWS clock ahead of ours is no reason to wait"
    );
    let unknown = service_with(
        vec![deployment_of(TD2, "PRIMARY", Some("IN_PROGRESS"), 2)],
        1,
        2,
    );
    assert_eq!(
        poll_interval(&unknown, Pacing { now, typical: None }),
        seconds(10),
        "no updatedAt: poll as usual"
    );
}

fn created_seconds_ago(seconds: i64, now: Timestamp) -> EcsService {
    let mut service = service_with(
        vec![deployment_of(TD2, "PRIMARY", Some("IN_PROGRESS"), 2)],
        0,
        2,
    );
    let created = Timestamp::from_second(now.as_second() - seconds).unwrap();
    service.deployments[0].created_at = Some(created);
    service.deployments[0].updated_at = Some(created);
    service
}

#[test]
fn where_deployments_finish_fast_a_new_one_is_looked_at_when_it_should_have_ended() {
    let now = Timestamp::from_second(10_000).unwrap();
    let seconds = std::time::Duration::from_secs;
    let pacing = |typical| Pacing {
        now,
        typical: Some(seconds(typical)),
    };
    assert_eq!(
        poll_interval(&created_seconds_ago(0, now), pacing(4)),
        seconds(4),
        "deployments here take 4 s"
    );
    assert_eq!(
        poll_interval(&created_seconds_ago(3, now), pacing(4)),
        seconds(1)
    );
    assert_eq!(
        poll_interval(&created_seconds_ago(5, now), pacing(4)),
        CONVERGE_POLL,
        "slower than usual: poll as usual"
    );
    let instant = Pacing {
        now,
        typical: Some(std::time::Duration::from_millis(5)),
    };
    assert_eq!(
        poll_interval(&created_seconds_ago(0, now), instant),
        FIRST_LOOK_MIN,
        "never sooner than a second after the deployment began"
    );
    assert_eq!(
        poll_interval(&created_seconds_ago(0, now), pacing(120)),
        CONVERGE_POLL,
        "where deployments take minutes, the usual poll"
    );
    assert_eq!(
        poll_interval(&created_seconds_ago(0, now), Pacing { now, typical: None }),
        CONVERGE_POLL,
        "nothing learned yet"
    );
}

#[test]
fn a_completed_rollout_tells_how_long_its_deployment_took() {
    let now = Timestamp::from_second(10_000).unwrap();
    let mut service = created_seconds_ago(90, now);
    assert_eq!(completed_in(&service), None, "still in progress");
    service.deployments[0].rollout_state = Some(crate::aws::RolloutState::Completed);
    service.deployments[0].updated_at = Some(now);
    assert_eq!(
        completed_in(&service),
        Some(std::time::Duration::from_secs(90))
    );
    let mut draining = service.clone();
    draining
        .deployments
        .push(deployment_of(TD1, "ACTIVE", Some("COMPLETED"), 2));
    assert_eq!(
        completed_in(&draining),
        None,
        "the old deployment still drains"
    );
    service.deployments[0].created_at = None;
    assert_eq!(completed_in(&service), None, "no createdAt");
}
