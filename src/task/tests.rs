//! Reconciler tests: the Task reconcile against the in-memory ECS fake, with the
//! object's status carried between rounds as the controller writes it.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::*;
use crate::api::service::LocalReference;
use crate::api::task::TaskTemplate;
use crate::api::{DeletionPolicy, TaskSpec};
use crate::aws::fake::FakeEcs;
use crate::aws::retry::Retrying;
use crate::aws::{EcsApi, RegisterTaskDefinition, Tags, TaskState};
use crate::controller::TestIndex;
use crate::controller::status::next_status;
use crate::ownership::UID;
use crate::reconcile::Cleanup;

fn task(name: &str, spec: TaskSpec) -> Task {
    let mut t = Task::new(name, spec);
    t.metadata.namespace = Some("team-a".into());
    t.metadata.uid = Some(format!("uid-{name}"));
    t.metadata.generation = Some(1);
    t
}

fn job_spec() -> TaskSpec {
    TaskSpec {
        template: TaskTemplate {
            cluster: Some("batch".into()),
            task_definition: Some("resize:1".into()),
            ..TaskTemplate::default()
        },
        backoff_limit: Some(0),
        ..TaskSpec::default()
    }
}

struct Rig {
    ecs: Retrying<FakeEcs>,
    object: Task,
    index: TestIndex,
}

impl Rig {
    /// A cluster `batch` and revision `resize:1`: an essential `job` container and a
    /// non-essential `log` one.
    async fn new(object: Task) -> Self {
        let ecs = Retrying::new(FakeEcs::default(), 4, Duration::ZERO);
        ecs.inner().insert_cluster("batch", Tags::new());
        let fields = serde_json::from_value(serde_json::json!({
            "containerDefinitions": [
                {"name": "job", "image": "resize:1", "memory": 128},
                {"name": "log", "image": "fluent-bit", "memory": 64, "essential": false}
            ]
        }))
        .unwrap();
        ecs.register_task_definition(&RegisterTaskDefinition {
            family: "resize".into(),
            fields,
            tags: Tags::new(),
        })
        .await
        .unwrap();
        Self {
            ecs,
            object,
            index: TestIndex::default(),
        }
    }

    async fn reconcile(&mut self) -> Result<Outcome<TaskStatus>, AwsError> {
        let outcome = reconcile(&self.object, &self.ecs, &self.index).await?;
        let now = Time(Timestamp::UNIX_EPOCH);
        let status = next_status(
            &self.object,
            outcome.status.clone(),
            &outcome.health,
            "us-east-1",
            &now,
        );
        self.object.status = Some(status);
        Ok(outcome)
    }

    fn status(&self) -> &TaskStatus {
        self.object.status.as_ref().unwrap()
    }

    fn task_arns(&self) -> Vec<String> {
        self.ecs
            .inner()
            .tasks()
            .iter()
            .map(|t| t.arn.clone())
            .collect()
    }

    /// As if the attempt's tasks had stopped long ago: its pause before a retry is over.
    fn age_attempts(&mut self) {
        let status = self.object.status.as_mut().unwrap();
        let long_ago = Time(Timestamp::now() - Duration::from_secs(3600));
        for attempt in &mut status.attempts {
            attempt.started_at = Some(long_ago.clone());
            for t in &mut attempt.tasks {
                t.stopped_at = Some(long_ago.clone());
            }
        }
    }

    fn own_condition(&self, type_: &str) -> Option<&Condition> {
        self.status().conditions.iter().find(|c| c.type_ == type_)
    }
}

#[tokio::test]
async fn task_runs_to_completion_and_costs_no_call_once_complete() {
    let mut rig = Rig::new(task("resize", job_spec())).await;
    let started = rig.reconcile().await.unwrap();
    assert_eq!(rig.ecs.inner().count("ecs:RunTask"), 1);
    assert!(matches!(
        started.health,
        Health::Progressing {
            reason: "Running",
            ..
        }
    ));
    let arns = rig.task_arns();
    let ecs_task = &rig.ecs.inner().tasks()[0];
    assert_eq!(
        ecs_task.tags.get(UID).map(String::as_str),
        Some("uid-resize")
    );
    assert_eq!(
        ecs_task.tags.get(apply::ATTEMPT_TAG).map(String::as_str),
        Some("1")
    );
    assert_eq!(rig.status().essential_containers, ["job"]);

    rig.ecs
        .inner()
        .exit_task(&arns[0], &[("job", 0), ("log", 1)]);
    let done = rig.reconcile().await.unwrap();
    assert!(
        matches!(done.health, Health::Ready { .. }),
        "{:?}",
        done.health
    );
    assert_eq!(
        rig.own_condition(COMPLETE).map(|c| c.status.as_str()),
        Some("True")
    );
    let status = rig.status();
    assert_eq!((status.succeeded, status.failed), (Some(1), Some(0)));
    assert_eq!(status.exit_codes.as_deref(), Some("0"));
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    assert!(status.completion_time.is_some() && status.duration.is_some());

    let calls = rig.ecs.inner().calls().len();
    let idle = rig.reconcile().await.unwrap();
    assert_eq!(
        rig.ecs.inner().calls().len(),
        calls,
        "a finished Task calls nothing"
    );
    assert_eq!(idle.next, Next::AwaitChange);
}

#[tokio::test]
async fn a_failing_task_is_retried_up_to_its_backoff_limit_then_fails_with_the_exit_code() {
    let spec = TaskSpec {
        backoff_limit: Some(1),
        ..job_spec()
    };
    let mut rig = Rig::new(task("resize", spec)).await;
    rig.reconcile().await.unwrap();
    rig.ecs
        .inner()
        .exit_task(&rig.task_arns()[0], &[("job", 3)]);
    let backing_off = rig.reconcile().await.unwrap();
    assert!(matches!(
        backing_off.health,
        Health::Progressing {
            reason: "BackingOff",
            ..
        }
    ));
    assert_eq!(
        rig.ecs.inner().count("ecs:RunTask"),
        1,
        "not before the pause ends"
    );

    rig.age_attempts();
    rig.reconcile().await.unwrap();
    assert_eq!(rig.ecs.inner().count("ecs:RunTask"), 2);
    let second = rig.task_arns()[1].clone();
    assert_eq!(
        rig.ecs.inner().tasks()[1]
            .tags
            .get(apply::ATTEMPT_TAG)
            .map(String::as_str),
        Some("2")
    );
    rig.ecs.inner().exit_task(&second, &[("job", 3)]);
    let failed = rig.reconcile().await.unwrap();
    let Health::Stalled { reason, message } = &failed.health else {
        panic!("{:?}", failed.health)
    };
    assert_eq!(*reason, plan::BACKOFF_LIMIT_EXCEEDED);
    assert!(message.contains("job exited 3"), "{message}");
    assert_eq!(
        rig.own_condition(FAILED).map(|c| c.status.as_str()),
        Some("True")
    );
    assert_eq!(
        (rig.status().attempt_count, rig.status().failed),
        (Some(2), Some(2))
    );
    assert_eq!(rig.status().exit_codes.as_deref(), Some("3"));
}

#[tokio::test]
async fn a_lost_run_task_answer_is_repeated_with_the_same_token_and_starts_nothing_new() {
    let mut rig = Rig::new(task("resize", job_spec())).await;
    // RunTask is the second call (after DescribeTaskDefinition): its answer is lost.
    rig.ecs.inner().lose_response(2);
    let first = reconcile(&rig.object, rig.ecs.inner(), &rig.index).await;
    assert!(first.is_err(), "the timeout reaches the reconcile");
    rig.reconcile().await.unwrap();
    assert_eq!(rig.ecs.inner().count("ecs:RunTask"), 2);
    assert_eq!(
        rig.ecs.inner().tasks().len(),
        1,
        "the token made the repeat start nothing"
    );
    assert_eq!(rig.status().attempts[0].tasks.len(), 1);
}

#[tokio::test]
async fn past_its_deadline_a_task_is_stopped_and_fails() {
    let spec = TaskSpec {
        active_deadline_seconds: Some(60),
        backoff_limit: Some(3),
        ..job_spec()
    };
    let mut rig = Rig::new(task("resize", spec)).await;
    rig.reconcile().await.unwrap();
    rig.object.status.as_mut().unwrap().start_time =
        Some(Time(Timestamp::now() - Duration::from_secs(120)));
    let outcome = rig.reconcile().await.unwrap();
    assert!(matches!(
        outcome.health,
        Health::Stalled {
            reason: plan::DEADLINE_EXCEEDED,
            ..
        }
    ));
    let stopped = &rig.ecs.inner().tasks()[0];
    assert_eq!(stopped.last_status, TaskState::Stopped);
    assert_eq!(stopped.stop_code.as_deref(), Some("UserInitiated"));
    assert_eq!(
        rig.ecs.inner().count("ecs:RunTask"),
        1,
        "no attempt after the deadline"
    );
    let recorded = &rig.status().attempts[0].tasks[0];
    assert_eq!(
        recorded.stop_code.as_deref(),
        Some("UserInitiated"),
        "status shows the stop as ECS reported it"
    );
}

#[tokio::test]
async fn a_task_named_in_a_forged_status_is_neither_read_as_ours_nor_stopped() {
    let mut rig = Rig::new(task("resize", job_spec())).await;
    rig.reconcile().await.unwrap();
    let victim = rig.ecs.inner().insert_task(
        "batch",
        crate::aws::EcsTask {
            last_status: TaskState::Running,
            desired_status: TaskState::Running,
            tags: Tags::from([(UID.to_string(), "uid-of-team-b".to_string())]),
            ..Default::default()
        },
    );
    rig.object.status.as_mut().unwrap().attempts[0].tasks[0].arn = victim.arn.clone();
    let outcome = rig.reconcile().await.unwrap();
    assert!(matches!(
        outcome.health,
        Health::Stalled {
            reason: "TaskNotOwned",
            ..
        }
    ));
    rig.object.metadata.deletion_timestamp = Some(Time(Timestamp::now()));
    cleanup(&rig.object, &rig.ecs).await.unwrap();
    assert_eq!(
        rig.ecs.inner().count("ecs:StopTask"),
        0,
        "team-b's task runs on"
    );
}

#[tokio::test]
async fn deleting_a_running_task_stops_its_tasks_unless_retained() {
    for (policy, stops) in [(DeletionPolicy::Delete, 1), (DeletionPolicy::Retain, 0)] {
        let spec = TaskSpec {
            deletion_policy: policy,
            ..job_spec()
        };
        let mut rig = Rig::new(task("resize", spec)).await;
        rig.reconcile().await.unwrap();
        let done = cleanup(&rig.object, &rig.ecs).await.unwrap();
        assert!(matches!(done, Cleanup::Done(_)));
        assert_eq!(rig.ecs.inner().count("ecs:StopTask"), stops, "{policy:?}");
    }
}

#[tokio::test]
async fn a_finished_task_expires_after_its_ttl() {
    let spec = TaskSpec {
        ttl_seconds_after_finished: Some(0),
        ..job_spec()
    };
    let mut rig = Rig::new(task("resize", spec)).await;
    rig.reconcile().await.unwrap();
    rig.ecs
        .inner()
        .exit_task(&rig.task_arns()[0], &[("job", 0)]);
    let done = rig.reconcile().await.unwrap();
    assert_eq!(done.next, Next::Expire);
    rig.object.spec.ttl_seconds_after_finished = Some(3600);
    let kept = rig.reconcile().await.unwrap();
    assert!(matches!(kept.next, Next::After(left) if left > Duration::from_secs(3500)));
}

#[tokio::test]
async fn a_task_waits_for_its_cluster_object_and_runs_the_revision_of_its_task_definition() {
    let mut spec = job_spec();
    spec.template.cluster = None;
    spec.template.cluster_ref = Some(LocalReference {
        name: "batch".into(),
    });
    let mut rig = Rig::new(task("resize", spec)).await;
    let waiting = rig.reconcile().await.unwrap();
    assert!(matches!(
        waiting.health,
        Health::Progressing {
            reason: "WaitingForCluster",
            ..
        }
    ));
    assert_eq!(rig.ecs.inner().count("ecs:RunTask"), 0);
    assert_eq!(rig.status().phase.as_deref(), Some("Pending"));
}

#[tokio::test]
async fn an_attempt_whose_run_task_must_queue_comes_back_at_its_turn_without_the_call() {
    let mut rig = Rig::new(task("resize", job_spec())).await;
    rig.ecs.inner().queue_writes(Some(Duration::from_secs(40)));
    let waiting = rig.reconcile().await.unwrap();
    assert!(
        matches!(
            waiting.health,
            Health::Progressing {
                reason: "WaitingForQuota",
                ..
            }
        ),
        "{:?}",
        waiting.health
    );
    assert_eq!(waiting.next, Next::Turn(Duration::from_secs(40)));
    assert_eq!(rig.ecs.inner().count("ecs:RunTask"), 0);
    assert_eq!(rig.status().phase.as_deref(), Some("Pending"));

    rig.ecs.inner().queue_writes(None);
    rig.reconcile().await.unwrap();
    assert_eq!(rig.ecs.inner().count("ecs:RunTask"), 1, "sent at its turn");
}

#[tokio::test]
async fn a_strategy_naming_a_capacity_provider_object_waits_for_it_then_runs_on_its_ecs_name() {
    use crate::api::cluster::CapacityProviderStrategyItem;
    use crate::api::{CapacityProvider, CapacityProviderSpec, CapacityProviderStatus};

    let mut spec = job_spec();
    spec.template.capacity_provider_strategy = vec![CapacityProviderStrategyItem {
        capacity_provider: "gpu".into(),
        weight: Some(1),
        base: None,
    }];
    let mut rig = Rig::new(task("resize", spec)).await;
    // The cluster uses the provider by its ECS name; the fake refuses a strategy naming
    // anything the cluster does not list, so a RunTask with the object's name would fail.
    rig.ecs
        .inner()
        .edit_cluster("batch", |c| c.capacity_providers = vec!["gpu-fleet".into()]);
    let provider = |status: &str| {
        let mut p = CapacityProvider::new("gpu", CapacityProviderSpec::default());
        p.metadata.namespace = Some("team-a".into());
        p.status = Some(CapacityProviderStatus {
            name: Some("gpu-fleet".into()),
            status: Some(status.into()),
            ..Default::default()
        });
        std::sync::Arc::new(p)
    };
    rig.index.capacity_providers = vec![provider("PROVISIONING")];
    let waiting = rig.reconcile().await.unwrap();
    assert!(
        matches!(
            waiting.health,
            Health::Progressing {
                reason: "WaitingForCapacityProvider",
                ..
            }
        ),
        "{:?}",
        waiting.health
    );
    assert_eq!(rig.ecs.inner().count("ecs:RunTask"), 0);

    rig.index.capacity_providers = vec![provider("ACTIVE")];
    let running = rig.reconcile().await.unwrap();
    assert_eq!(rig.ecs.inner().count("ecs:RunTask"), 1);
    assert_eq!(rig.task_arns().len(), 1, "{running:?}");
}
