//! Pre-deploy tasks against the fake: the migration runs on each new revision before
//! ECS is sent it, a failed one holds the Service where it is, and no revision's task
//! runs twice.

use super::plan::revision_key;
use super::pre_deploy::{PRE_DEPLOY_FAILED, PRE_DEPLOY_RUNNING, PRE_DEPLOY_SUCCEEDED};
use super::tests::{Objects, Rig, TD1, TD2, reason};
use super::*;
use crate::api::service::PreDeploy;
use crate::api::task::{ContainerOverride, TaskOverride};
use crate::aws::EcsTask;
use crate::ownership::UID;

fn migrate() -> PreDeploy {
    PreDeploy {
        overrides: TaskOverride {
            container_overrides: vec![ContainerOverride {
                name: "web".into(),
                command: vec!["./migrate".into()],
                ..Default::default()
            }],
            ..Default::default()
        },
        active_deadline_seconds: None,
    }
}

/// A Rig whose Service migrates, with revision 1 registered in ECS.
fn migrating_rig() -> Rig {
    let mut rig = Rig::new();
    assert_eq!(rig.register_revision("web:1"), TD1);
    rig.object.spec.pre_deploy = Some(migrate());
    rig
}

/// The tasks the Service's pre-deploy runs started, oldest first.
fn migrations(rig: &Rig) -> Vec<EcsTask> {
    rig.fake()
        .tasks()
        .into_iter()
        .filter(|t| t.tags.get(UID).map(String::as_str) == Some("uid-web"))
        .collect()
}

fn migrations_of(rig: &Rig, revision: &str) -> usize {
    migrations(rig)
        .iter()
        .filter(|t| t.task_definition == revision)
        .count()
}

/// The latest migration exits with `code`.
fn latest_exits(rig: &Rig, code: i32) {
    let arn = migrations(rig).last().expect("a migration ran").arn.clone();
    rig.fake().exit_task(&arn, &[("web", code)]);
}

/// The next revision, registered in ECS and now the TaskDefinition object's latest.
fn new_revision(rig: &mut Rig, image: &str) -> String {
    let arn = rig.register_revision(image);
    let generation = revision_key(&arn)
        .rsplit(':')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a revision number");
    rig.objects.task_definition_at(&arn, generation);
    arn
}

#[tokio::test]
async fn the_first_revision_migrates_before_the_service_is_created() {
    let mut rig = migrating_rig();
    let first = rig.reconcile().await;
    assert_eq!(reason(&first), PRE_DEPLOY_RUNNING, "{:?}", first.health);
    assert!(
        rig.fake().service("main", "web").is_none(),
        "nothing is created yet"
    );
    let tasks = migrations(&rig);
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].task_definition, TD1);
    assert!(
        tasks[0]
            .started_by
            .as_deref()
            .is_some_and(|s| s.starts_with("ecs-operator/"))
    );
    assert_eq!(tasks[0].tags.get("team").map(String::as_str), Some("shop"));

    assert_eq!(
        reason(&rig.reconcile().await),
        PRE_DEPLOY_RUNNING,
        "still running"
    );
    latest_exits(&rig, 0);
    let succeeded = rig.reconcile().await;
    assert_eq!(reason(&succeeded), PRE_DEPLOY_SUCCEEDED);
    assert!(
        succeeded
            .notes
            .iter()
            .any(|n| n.reason == PRE_DEPLOY_SUCCEEDED)
    );
    assert!(
        rig.fake().service("main", "web").is_none(),
        "the task's end is in status before anything is sent"
    );
    let created = rig.reconcile().await;
    assert!(created.notes.iter().any(|n| n.reason == "Created"));
    assert_eq!(rig.ecs_service().task_definition, TD1);
    assert_eq!(reason(&rig.until_ready(5).await), "Ready");
    let record = rig.object.status.clone().unwrap().pre_deploy.unwrap();
    assert_eq!(record.run.result, "Succeeded");
    assert_eq!(record.exit_codes.as_deref(), Some("0"));
    assert_eq!(
        migrations(&rig).len(),
        1,
        "Ready and idle: no second migration"
    );
}

#[tokio::test]
async fn a_failed_migration_keeps_the_service_on_its_revision_until_a_fixed_one_succeeds() {
    let mut rig = migrating_rig();
    rig.reconcile().await;
    latest_exits(&rig, 0);
    assert_eq!(reason(&rig.until_ready(5).await), "Ready");

    new_revision(&mut rig, "web:broken");
    assert_eq!(reason(&rig.reconcile().await), PRE_DEPLOY_RUNNING);
    latest_exits(&rig, 3);
    let failed = rig.reconcile().await;
    let Health::Stalled { reason, message } = &failed.health else {
        panic!("expected Stalled, got {:?}", failed.health);
    };
    assert_eq!(*reason, PRE_DEPLOY_FAILED);
    assert!(message.contains("web exited 3"), "{message}");
    assert!(message.contains("stays on web:1"), "{message}");
    assert_eq!(rig.ecs_service().task_definition, TD1, "not rolled out");
    let record = rig.object.status.clone().unwrap().pre_deploy.unwrap();
    assert_eq!(record.exit_codes.as_deref(), Some("3"));
    assert_eq!(
        record.run.tasks[0].stop_code.as_deref(),
        Some("EssentialContainerExited")
    );

    let again = rig.reconcile().await;
    assert_eq!(super::tests::reason(&again), PRE_DEPLOY_FAILED);
    assert_eq!(again.next, Next::AwaitChange);
    assert_eq!(
        migrations_of(&rig, TD2),
        1,
        "a failed migration is not run again by itself"
    );

    let fixed = new_revision(&mut rig, "web:fixed");
    assert_eq!(
        super::tests::reason(&rig.reconcile().await),
        PRE_DEPLOY_RUNNING
    );
    latest_exits(&rig, 0);
    assert_eq!(super::tests::reason(&rig.until_ready(5).await), "Ready");
    assert_eq!(rig.ecs_service().task_definition, fixed);
    assert_eq!(migrations_of(&rig, &fixed), 1);
    assert_eq!(migrations(&rig).len(), 3, "one migration per revision");
}

#[tokio::test]
async fn a_revision_that_comes_while_a_migration_runs_waits_for_it_to_end() {
    let mut rig = migrating_rig();
    rig.reconcile().await;
    latest_exits(&rig, 0);
    assert_eq!(reason(&rig.until_ready(5).await), "Ready");
    new_revision(&mut rig, "web:2");
    assert_eq!(reason(&rig.reconcile().await), PRE_DEPLOY_RUNNING);
    let third = new_revision(&mut rig, "web:3");
    assert_eq!(reason(&rig.reconcile().await), PRE_DEPLOY_RUNNING);
    assert_eq!(
        migrations_of(&rig, &third),
        0,
        "never two migrations at once"
    );

    latest_exits(&rig, 0);
    let ended = rig.reconcile().await;
    let Health::Progressing { message, .. } = &ended.health else {
        panic!("expected Progressing, got {:?}", ended.health);
    };
    assert!(message.contains("moved on to web:3"), "{message}");
    assert_eq!(
        rig.ecs_service().task_definition,
        TD1,
        "revision 2 is not rolled out"
    );
    assert_eq!(reason(&rig.reconcile().await), PRE_DEPLOY_RUNNING);
    assert_eq!(migrations_of(&rig, &third), 1);
    latest_exits(&rig, 0);
    assert_eq!(reason(&rig.until_ready(5).await), "Ready");
    assert_eq!(rig.ecs_service().task_definition, third);
}

#[tokio::test]
async fn going_back_to_an_older_revision_migrates_it_again() {
    let mut rig = migrating_rig();
    rig.reconcile().await;
    latest_exits(&rig, 0);
    assert_eq!(reason(&rig.until_ready(5).await), "Ready");
    new_revision(&mut rig, "web:2");
    rig.reconcile().await;
    latest_exits(&rig, 0);
    assert_eq!(reason(&rig.until_ready(5).await), "Ready");
    rig.edit_spec(|spec| {
        spec.task_definition_ref = None;
        spec.task_definition = Some("web:1".into());
    });
    assert_eq!(reason(&rig.reconcile().await), PRE_DEPLOY_RUNNING);
    assert_eq!(
        migrations_of(&rig, TD1),
        2,
        "the move from 2 back to 1 is a new one"
    );
}

#[tokio::test]
async fn a_status_write_lost_after_run_task_starts_no_second_migration() {
    let mut rig = migrating_rig();
    let before = rig.object.status.clone();
    rig.reconcile().await;
    // The operator dies before status is written: the next reconcile sees the old status.
    rig.object.status = before;
    assert_eq!(reason(&rig.reconcile().await), PRE_DEPLOY_RUNNING);
    assert_eq!(
        migrations(&rig).len(),
        1,
        "RunTask's client token answered with the first task"
    );
}

#[tokio::test]
async fn a_redeploy_of_the_same_revision_runs_no_migration_but_retries_a_failed_one() {
    let mut rig = migrating_rig();
    rig.reconcile().await;
    latest_exits(&rig, 0);
    assert_eq!(reason(&rig.until_ready(5).await), "Ready");
    rig.edit_spec(|spec| spec.redeploy_token = Some("pull-again".into()));
    rig.until_ready(5).await;
    assert_eq!(
        migrations(&rig).len(),
        1,
        "the live revision migrated already"
    );

    new_revision(&mut rig, "web:2");
    rig.reconcile().await;
    latest_exits(&rig, 1);
    assert_eq!(reason(&rig.reconcile().await), PRE_DEPLOY_FAILED);
    rig.edit_spec(|spec| spec.redeploy_token = Some("database-is-back".into()));
    assert_eq!(reason(&rig.reconcile().await), PRE_DEPLOY_RUNNING);
    assert_eq!(
        migrations_of(&rig, TD2),
        2,
        "a new token runs a failed migration again"
    );
    latest_exits(&rig, 0);
    assert_eq!(reason(&rig.until_ready(5).await), "Ready");
    assert_eq!(rig.ecs_service().task_definition, TD2);
}

#[tokio::test]
async fn a_migration_past_its_deadline_is_stopped_and_the_rollout_given_up() {
    let mut rig = migrating_rig();
    if let Some(pre) = rig.object.spec.pre_deploy.as_mut() {
        pre.active_deadline_seconds = Some(60);
    }
    rig.reconcile().await;
    // As if it had started an hour ago.
    let status = rig.object.status.as_mut().unwrap();
    let record = status.pre_deploy.as_mut().unwrap();
    record.run.started_at = Some(crate::task::status::time(
        k8s_openapi::jiff::Timestamp::now() - k8s_openapi::jiff::SignedDuration::from_hours(1),
    ));
    let stopped = rig.reconcile().await;
    let Health::Stalled { reason, message } = &stopped.health else {
        panic!("expected Stalled, got {:?}", stopped.health);
    };
    assert_eq!(*reason, PRE_DEPLOY_FAILED);
    assert!(message.contains("activeDeadlineSeconds 60"), "{message}");
    assert!(message.contains("not created"), "{message}");
    assert_eq!(
        migrations(&rig)[0].desired_status,
        crate::aws::TaskState::Stopped
    );
    assert!(rig.fake().service("main", "web").is_none());
}

#[tokio::test]
async fn a_change_that_sends_no_new_revision_needs_no_migration() {
    let mut rig = migrating_rig();
    rig.reconcile().await;
    latest_exits(&rig, 0);
    assert_eq!(reason(&rig.until_ready(5).await), "Ready");
    rig.edit_spec(|spec| spec.settings.desired_count = Some(5));
    rig.until_ready(5).await;
    assert_eq!(rig.ecs_service().desired_count, 5);
    assert_eq!(migrations(&rig).len(), 1);
}

#[test]
fn roles_the_migration_passes_go_through_the_tenant_policy() {
    let mut service = super::tests::service_object("uid-web");
    let mut pre = migrate();
    pre.overrides.task_role_arn = Some("arn:aws:iam::123456789012:role/migrator".into());
    service.spec.pre_deploy = Some(pre);
    let uses = super::uses::tenant_uses(&service);
    assert!(
        uses.iter().any(|u| u.field == "spec.preDeploy.taskRoleArn"
            && u.value == "arn:aws:iam::123456789012:role/migrator"),
        "{uses:?}"
    );
}

mod stages {
    use super::super::plan::Step;
    use super::super::pre_deploy::{Stage, stage};
    use super::*;
    use crate::api::ServiceSpec;
    use crate::api::service::PreDeployStatus;
    use crate::api::task::AttemptStatus;
    use crate::aws::UpdateService;

    fn spec(token: Option<&str>) -> ServiceSpec {
        ServiceSpec {
            pre_deploy: Some(migrate()),
            redeploy_token: token.map(String::from),
            ..Default::default()
        }
    }

    fn update_to(revision: Option<&str>) -> Vec<Step> {
        vec![Step::Update {
            request: UpdateService {
                task_definition: revision.map(String::from),
                force_new_deployment: revision.is_none(),
                ..Default::default()
            },
            changed: vec!["taskDefinition"],
        }]
    }

    fn record(revision: &str, result: &str, token: Option<&str>) -> PreDeployStatus {
        PreDeployStatus {
            task_definition: revision.into(),
            redeploy_token: token.map(String::from),
            run: AttemptStatus {
                attempt: 1,
                result: result.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn a_new_revision_with_no_record_of_it_starts_its_task() {
        let steps = update_to(Some("web:2"));
        let old = record(TD1, "Succeeded", None);
        assert_eq!(
            stage(&spec(None), &steps, Some(&old)),
            Stage::Start { revision: "web:2" }
        );
        assert_eq!(
            stage(&spec(None), &steps, None),
            Stage::Start { revision: "web:2" }
        );
    }

    #[test]
    fn a_revision_is_known_by_its_family_and_number_in_either_form() {
        let steps = update_to(Some("web:2"));
        let done = record(TD2, "Succeeded", None);
        assert_eq!(stage(&spec(None), &steps, Some(&done)), Stage::Clear);
    }

    #[test]
    fn a_running_task_is_followed_whatever_the_token() {
        let steps = update_to(Some(TD2));
        let running = record(TD2, "Running", Some("a"));
        assert_eq!(
            stage(&spec(Some("b")), &steps, Some(&running)),
            Stage::Running(&running)
        );
    }

    #[test]
    fn a_running_task_of_a_revision_the_spec_left_is_followed_first() {
        let steps = update_to(Some("web:3"));
        let running = record(TD2, "Running", None);
        assert_eq!(
            stage(&spec(None), &steps, Some(&running)),
            Stage::Running(&running)
        );
    }

    #[test]
    fn a_failed_task_waits_for_a_new_token() {
        let steps = update_to(Some(TD2));
        let failed = record(TD2, "Failed", Some("a"));
        assert_eq!(
            stage(&spec(Some("a")), &steps, Some(&failed)),
            Stage::Failed(&failed)
        );
        assert_eq!(
            stage(&spec(Some("b")), &steps, Some(&failed)),
            Stage::Start { revision: TD2 }
        );
    }

    #[test]
    fn steps_that_send_no_revision_or_a_spec_without_pre_deploy_need_nothing() {
        assert_eq!(stage(&spec(None), &update_to(None), None), Stage::Clear);
        let tags = vec![Step::Tag {
            arn: "arn".into(),
            tags: Default::default(),
        }];
        assert_eq!(stage(&spec(None), &tags, None), Stage::Clear);
        let plain = ServiceSpec::default();
        assert_eq!(stage(&plain, &update_to(Some(TD2)), None), Stage::Clear);
    }
}
