//! Reconciler tests: the ScheduledTask reconcile against the in-memory fake (ECS and
//! EventBridge Scheduler), with status carried between rounds as the controller writes it.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::plan_tests::{scheduled, spec};
use super::status::LAST_RUN_FAILED;
use super::*;
use crate::aws::fake::FakeEcs;
use crate::aws::retry::Retrying;
use crate::aws::{EcsApi, RegisterTaskDefinition, SchedulerApi, Tags};
use crate::controller::TestIndex;
use crate::controller::status::next_status;
use crate::ownership::{NAMESPACE, UID};

const GROUP: &str = "ecs-operator-team-a";

struct Rig {
    ecs: Retrying<FakeEcs>,
    object: ScheduledTask,
    index: TestIndex,
}

impl Rig {
    /// A cluster `batch` and revision `resize:1` with one essential container `job`.
    async fn new(object: ScheduledTask) -> Self {
        let ecs = Retrying::new(FakeEcs::default(), 4, Duration::ZERO);
        ecs.inner().insert_cluster("batch", Tags::new());
        let fields = serde_json::from_value(serde_json::json!({
            "containerDefinitions": [{"name": "job", "image": "resize:1", "memory": 128}]
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

    async fn reconcile(&mut self) -> Outcome<ScheduledTaskStatus> {
        let outcome = reconcile(&self.object, &self.ecs, &self.index)
            .await
            .unwrap();
        let now = Time(Timestamp::UNIX_EPOCH);
        let status = next_status(
            &self.object,
            outcome.status.clone(),
            &outcome.health,
            "us-east-1",
            &now,
        );
        self.object.status = Some(status);
        outcome
    }

    fn status(&self) -> &ScheduledTaskStatus {
        self.object.status.as_ref().unwrap()
    }

    fn writes(&self) -> Vec<&'static str> {
        self.ecs
            .inner()
            .calls()
            .into_iter()
            .filter(|c| {
                ["Create", "Update", "Delete", "Run", "Stop"]
                    .iter()
                    .any(|verb| c.contains(&format!(":{verb}")))
            })
            .collect()
    }
}

#[tokio::test]
async fn a_schedule_is_made_in_the_namespaces_group_and_left_alone_when_it_matches() {
    let mut rig = Rig::new(scheduled("nightly", spec())).await;
    let first = rig.reconcile().await;
    assert!(
        matches!(first.health, Health::Ready { .. }),
        "{:?}",
        first.health
    );
    assert_eq!(
        rig.writes(),
        ["scheduler:CreateScheduleGroup", "scheduler:CreateSchedule"]
    );
    let made = rig.ecs.inner().schedule(GROUP, "nightly").unwrap();
    assert_eq!(
        made.target.cluster_arn,
        "arn:aws:ecs:us-east-1:123456789012:cluster/batch"
    );
    assert!(
        made.target
            .task_definition_arn
            .ends_with("task-definition/resize:1")
    );
    assert!(rig.status().next_run_time.is_some());
    assert_eq!(rig.status().state.as_deref(), Some("ENABLED"));
    // A nightly cron schedule has nothing due: the next look is before the resync only
    // if the run comes sooner.
    assert!(matches!(first.next, Next::ByThen(_)), "{:?}", first.next);

    let before = rig.writes().len();
    let again = rig.reconcile().await;
    assert!(matches!(again.health, Health::Ready { .. }));
    assert_eq!(
        rig.writes().len(),
        before,
        "a matching schedule is not written"
    );
    assert_eq!(rig.ecs.inner().count("ecs:ListTasks"), 0, "no run was due");
}

#[tokio::test]
async fn drift_on_the_schedule_is_corrected_and_a_suspend_disables_it() {
    let mut rig = Rig::new(scheduled("nightly", spec())).await;
    rig.reconcile().await;
    let mut changed = rig.ecs.inner().schedule(GROUP, "nightly").unwrap();
    changed.expression = "rate(5 minutes)".into();
    rig.ecs.update_schedule(&changed).await.unwrap();
    let corrected = rig.reconcile().await;
    assert_eq!(
        rig.ecs
            .inner()
            .schedule(GROUP, "nightly")
            .unwrap()
            .expression,
        "cron(0 2 * * ? *)"
    );
    assert!(
        corrected
            .notes
            .iter()
            .any(|n| n.message.contains("scheduleExpression")),
        "{:?}",
        corrected.notes
    );

    rig.object.spec.suspend = Some(true);
    rig.reconcile().await;
    assert!(!rig.ecs.inner().schedule(GROUP, "nightly").unwrap().enabled);
    assert_eq!(rig.status().state.as_deref(), Some("DISABLED"));
    assert_eq!(rig.status().next_run_time, None);
}

#[tokio::test]
async fn a_schedule_of_another_object_or_a_group_of_another_namespace_is_never_written() {
    let mut rig = Rig::new(scheduled("nightly", spec())).await;
    rig.reconcile().await;
    // The same name, another object (its uid): Stalled, and nothing is written.
    let mut other = scheduled("nightly", spec());
    other.metadata.uid = Some("uid-someone-else".into());
    let mut rig_other = Rig {
        ecs: rig.ecs,
        object: other,
        index: TestIndex::default(),
    };
    let before = rig_other.writes().len();
    let refused = rig_other.reconcile().await;
    assert!(
        matches!(
            refused.health,
            Health::Stalled {
                reason: "ScheduleNotOwned",
                ..
            }
        ),
        "{:?}",
        refused.health
    );
    assert_eq!(rig_other.writes().len(), before);

    let mut fresh = Rig::new(scheduled("nightly", spec())).await;
    fresh
        .ecs
        .inner()
        .insert_schedule_group(GROUP, BTreeMap::from([(NAMESPACE.into(), "team-b".into())]));
    let stalled = fresh.reconcile().await;
    assert!(
        matches!(
            stalled.health,
            Health::Stalled {
                reason: "ScheduleGroupNotOwned",
                ..
            }
        ),
        "{:?}",
        stalled.health
    );
    assert_eq!(fresh.ecs.inner().count("scheduler:CreateSchedule"), 0);
}

#[tokio::test]
async fn runs_are_found_by_the_objects_tag_and_a_failed_one_sets_last_run_failed() {
    let mut s = spec();
    s.schedule_expression = "rate(1 hour)".into();
    let mut rig = Rig::new(scheduled("hourly", s)).await;
    // A rate schedule runs at once: the first look finds nothing yet and looks again soon.
    let first = rig.reconcile().await;
    assert_eq!(first.next, Next::After(RUN_POLL));
    let arns = rig.ecs.inner().fire_schedule(GROUP, "hourly");
    let started = rig.ecs.inner().tasks();
    assert_eq!(
        started[0].tags.get(UID).map(String::as_str),
        Some("uid-hourly")
    );
    assert_eq!(started[0].started_by, None);
    // A task of the same family that is not this object's is not a run.
    rig.ecs.inner().insert_task(
        "batch",
        crate::aws::EcsTask {
            task_definition: started[0].task_definition.clone(),
            ..crate::aws::EcsTask::default()
        },
    );
    let running = rig.reconcile().await;
    assert_eq!(rig.status().runs.len(), 1);
    assert_eq!(rig.status().last_result.as_deref(), Some("Running"));
    assert_eq!(running.next, Next::After(RUN_POLL));
    assert!(running.notes.iter().any(|n| n.reason == "RunStarted"));

    rig.ecs.inner().exit_task(&arns[0], &[("job", 3)]);
    let failed = rig.reconcile().await;
    assert!(
        matches!(failed.health, Health::Ready { .. }),
        "{:?}",
        failed.health
    );
    assert_eq!(rig.status().exit_codes.as_deref(), Some("3"));
    let condition = rig
        .status()
        .conditions
        .iter()
        .find(|c| c.type_ == LAST_RUN_FAILED)
        .unwrap();
    assert_eq!(condition.status, "True");
    assert!(
        condition.message.contains("exited 3"),
        "{}",
        condition.message
    );
    assert!(failed.notes.iter().any(|n| n.reason == "RunFailed"));
    // Finished, and the next run an hour away: no more task calls until then.
    let calls = rig.ecs.inner().count("ecs:DescribeTasks");
    rig.reconcile().await;
    assert_eq!(rig.ecs.inner().count("ecs:DescribeTasks"), calls);
}

#[tokio::test]
async fn deleting_the_object_deletes_its_schedule_unless_retained() {
    let mut rig = Rig::new(scheduled("nightly", spec())).await;
    rig.reconcile().await;
    let done = cleanup(&rig.object, &rig.ecs).await.unwrap();
    assert!(matches!(done, Cleanup::Done(_)));
    assert!(rig.ecs.inner().schedule(GROUP, "nightly").is_none());

    let mut kept = spec();
    kept.deletion_policy = DeletionPolicy::Retain;
    let mut rig = Rig::new(scheduled("kept", kept)).await;
    rig.reconcile().await;
    cleanup(&rig.object, &rig.ecs).await.unwrap();
    assert!(rig.ecs.inner().schedule(GROUP, "kept").is_some());
}

#[tokio::test]
async fn an_expression_scheduler_would_refuse_stalls_naming_the_field() {
    let mut s = spec();
    s.schedule_expression = "cron(0 2 * * * *)".into();
    let mut rig = Rig::new(scheduled("nightly", s)).await;
    let stalled = rig.reconcile().await;
    match stalled.health {
        Health::Stalled { message, .. } => assert!(message.contains("spec.scheduleExpression")),
        other => panic!("{other:?}"),
    }
    assert!(rig.writes().is_empty());
}

#[tokio::test]
async fn a_suspended_schedule_never_looks_for_runs() {
    let mut s = spec();
    s.schedule_expression = "rate(1 hour)".into();
    s.suspend = Some(true);
    let mut rig = Rig::new(scheduled("hourly", s)).await;
    let outcome = rig.reconcile().await;
    assert_eq!(rig.ecs.inner().count("ecs:ListTasks"), 0);
    assert_eq!(outcome.next, Next::Resync);
}

#[tokio::test]
async fn following_a_running_run_leaves_the_checked_mark_alone() {
    let mut s = spec();
    s.schedule_expression = "rate(1 hour)".into();
    let mut rig = Rig::new(scheduled("hourly", s)).await;
    rig.reconcile().await;
    rig.ecs.inner().fire_schedule(GROUP, "hourly");
    rig.reconcile().await;
    let mark = rig.status().runs_checked_time.clone();
    assert!(mark.is_some());
    rig.reconcile().await;
    assert_eq!(rig.status().runs_checked_time, mark);
    assert_eq!(rig.status().last_result.as_deref(), Some("Running"));
}

#[tokio::test]
async fn a_strategy_naming_a_capacity_provider_object_is_scheduled_with_its_ecs_name() {
    use crate::api::cluster::CapacityProviderStrategyItem;
    use crate::api::{CapacityProvider, CapacityProviderSpec, CapacityProviderStatus};

    let mut with_strategy = spec();
    with_strategy.task.capacity_provider_strategy = vec![CapacityProviderStrategyItem {
        capacity_provider: "gpu".into(),
        weight: Some(1),
        base: None,
    }];
    let mut rig = Rig::new(scheduled("nightly", with_strategy)).await;
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
    let waiting = rig.reconcile().await;
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
    assert!(rig.ecs.inner().schedule(GROUP, "nightly").is_none());

    rig.index.capacity_providers = vec![provider("ACTIVE")];
    rig.reconcile().await;
    let made = rig.ecs.inner().schedule(GROUP, "nightly").unwrap();
    let names: Vec<&str> = made
        .target
        .capacity_provider_strategy
        .iter()
        .map(|i| i.capacity_provider.as_str())
        .collect();
    assert_eq!(names, ["gpu-fleet"]);
}
