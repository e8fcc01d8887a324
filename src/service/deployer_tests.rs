//! Services whose rollouts CODE_DEPLOY or an external deployer runs, against the fake,
//! which refuses what ECS refuses for those controllers.

use super::tests::{Objects, Rig, TD1, TD2, reason};
use crate::api::service::{DeploymentController, NetworkConfiguration};
use crate::aws::EcsApi;

fn controlled_by(rig: &mut Rig, controller: &str) {
    rig.edit_spec(|spec| {
        let settings = &mut spec.settings;
        settings.deployment_controller = Some(DeploymentController {
            type_: controller.into(),
        });
        // What ECS reports for a service without a circuit breaker (which only the ECS
        // controller takes), so the fake reports it too.
        settings.deployment_configuration = serde_json::from_value(
            serde_json::json!({"minimumHealthyPercent": 100, "maximumPercent": 200}),
        )
        .unwrap();
    });
}

fn deployer_status(rig: &Rig) -> crate::api::service::DeployerStatus {
    rig.object
        .status
        .as_ref()
        .and_then(|s| s.deployer.clone())
        .expect("status.deployer")
}

#[tokio::test]
async fn a_code_deploy_service_is_ready_from_its_primary_task_set() {
    let mut rig = Rig::new();
    controlled_by(&mut rig, "CODE_DEPLOY");
    let created = rig.reconcile().await;
    assert_eq!(reason(&created), "Ready", "{:?}", created.health);
    let deployer = deployer_status(&rig);
    assert_eq!(deployer.controller, "CODE_DEPLOY");
    assert_eq!(deployer.task_sets.len(), 1);
    assert_eq!(deployer.task_sets[0].task_definition, TD1);
}

#[tokio::test]
async fn a_new_revision_waits_for_code_deploy_and_is_never_sent() {
    let mut rig = Rig::new();
    controlled_by(&mut rig, "CODE_DEPLOY");
    rig.reconcile().await;
    rig.objects.task_definition_at(TD2, 2);
    let waiting = rig.reconcile().await;
    assert_eq!(reason(&waiting), "AwaitingDeployer", "{:?}", waiting.health);
    assert_eq!(rig.fake().count("ecs:UpdateService"), 0);
    assert_eq!(deployer_status(&rig).task_definition, TD2);
    let again = rig.reconcile().await;
    assert_eq!(reason(&again), "AwaitingDeployer");

    rig.fake().deploy_task_set("main", "web", TD2);
    let deployed = rig.reconcile().await;
    assert_eq!(reason(&deployed), "Ready", "{:?}", deployed.health);
    assert_eq!(rig.fake().count("ecs:UpdateService"), 0);
}

#[tokio::test]
async fn settings_code_deploy_refuses_are_withheld_and_named_while_the_count_is_sent() {
    let mut rig = Rig::new();
    controlled_by(&mut rig, "CODE_DEPLOY");
    rig.reconcile().await;
    rig.edit_spec(|spec| {
        spec.settings.desired_count = Some(3);
        spec.settings.network_configuration = Some(NetworkConfiguration {
            awsvpc_configuration: serde_json::from_value(
                serde_json::json!({"subnets": ["subnet-1"]}),
            )
            .unwrap(),
        });
    });
    let outcome = rig.reconcile().await;
    assert_eq!(rig.fake().count("ecs:UpdateService"), 1, "the count only");
    assert_eq!(rig.ecs_service().desired_count, 3);
    assert_eq!(deployer_status(&rig).withheld, ["networkConfiguration"]);
    let crate::reconcile::Health::Progressing { message, .. } = &outcome.health else {
        panic!("{:?}", outcome.health);
    };
    assert!(message.contains("spec.networkConfiguration"), "{message}");
}

#[tokio::test]
async fn an_external_service_is_created_without_task_set_fields() {
    let mut rig = Rig::new();
    controlled_by(&mut rig, "EXTERNAL");
    let created = rig.reconcile().await;
    assert_eq!(reason(&created), "AwaitingDeployer", "{:?}", created.health);
    let service = rig.ecs_service();
    assert!(service.task_definition.is_empty() && service.task_sets.is_empty());
    assert!(service.settings.launch_type.is_none());
    assert_eq!(deployer_status(&rig).task_definition, TD1);
}

#[tokio::test]
async fn moving_to_the_ecs_controller_rolls_out_the_spec_in_one_call() {
    let mut rig = Rig::new();
    controlled_by(&mut rig, "CODE_DEPLOY");
    rig.reconcile().await;
    rig.objects.task_definition_at(TD2, 2);
    rig.reconcile().await;
    controlled_by(&mut rig, "ECS");
    let moving = rig.reconcile().await;
    assert_eq!(reason(&moving), "RolloutInProgress", "{:?}", moving.health);
    assert_eq!(rig.fake().count("ecs:UpdateService"), 1);
    let service = rig.ecs_service();
    assert_eq!(service.task_definition, TD2);
    assert!(service.task_sets.is_empty());
    assert!(rig.object.status.as_ref().unwrap().deployer.is_none());
    let done = rig.until_ready(3).await;
    assert_eq!(reason(&done), "Ready");
}

#[tokio::test]
async fn the_move_to_ecs_waits_while_code_deploy_runs_two_task_sets() {
    let mut rig = Rig::new();
    controlled_by(&mut rig, "CODE_DEPLOY");
    rig.reconcile().await;
    let mut service = rig.ecs_service();
    let mut replacement = service.task_sets[0].clone();
    replacement.status = crate::aws::TaskSetState::Active;
    replacement.task_definition = TD2.into();
    service.task_sets.push(replacement);
    rig.fake().put_service(service);
    controlled_by(&mut rig, "ECS");
    let waiting = rig.reconcile().await;
    assert_eq!(reason(&waiting), "AwaitingDeployer", "{:?}", waiting.health);
    assert_eq!(rig.fake().count("ecs:UpdateService"), 0);
    assert_eq!(deployer_status(&rig).withheld, ["deploymentController"]);
}

#[tokio::test]
async fn the_fake_refuses_a_task_definition_for_a_code_deploy_service() {
    let mut rig = Rig::new();
    controlled_by(&mut rig, "CODE_DEPLOY");
    rig.reconcile().await;
    let refused = rig
        .fake()
        .update_service(&crate::aws::UpdateService {
            cluster: "main".into(),
            service: "web".into(),
            task_definition: Some(TD2.into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("Unable to update task definition on services with a CODE_DEPLOY"),
        "{refused}"
    );
}

#[tokio::test]
async fn an_adopted_code_deploy_service_is_not_moved_to_ecs_unless_the_spec_asks() {
    let mut rig = Rig::new();
    controlled_by(&mut rig, "CODE_DEPLOY");
    rig.reconcile().await;
    rig.edit_spec(|spec| spec.settings.deployment_controller = None);
    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "Ready", "{:?}", outcome.health);
    assert_eq!(rig.fake().count("ecs:UpdateService"), 0);
    assert!(super::deployer::runs_rollouts(&rig.ecs_service()));
}
