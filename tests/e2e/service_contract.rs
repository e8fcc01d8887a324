//! Contract tests: the operator's service calls (`aws::sdk::SdkEcs`) against moto.

use std::collections::BTreeMap;

use anyhow::{Context, Result, ensure};
use ecs_operator::api::service::{
    AwsVpcConfiguration, NetworkConfiguration, PlacementStrategy, ServiceSettings,
};
use ecs_operator::api::task_definition::{ContainerDefinition, TaskDefinitionFields};
use ecs_operator::aws::sdk::SdkEcs;
use ecs_operator::aws::{
    CreateCluster, CreateService, EcsApi, RegisterTaskDefinition, UpdateService,
};
use ecs_operator::aws::{DeploymentState, ServiceState};

use crate::support::{TestContext, moto_network};

pub async fn cluster_and_revision(ecs: &SdkEcs) -> Result<String> {
    ecs.create_cluster(&CreateCluster {
        name: "svc-contract".into(),
        ..Default::default()
    })
    .await?;
    let registered = ecs
        .register_task_definition(&RegisterTaskDefinition {
            family: "svc-contract".into(),
            fields: TaskDefinitionFields {
                network_mode: Some("awsvpc".into()),
                requires_compatibilities: vec!["FARGATE".into()],
                cpu: Some("256".into()),
                memory: Some("512".into()),
                container_definitions: vec![ContainerDefinition {
                    name: "web".into(),
                    image: "nginx".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            tags: BTreeMap::new(),
        })
        .await?;
    Ok(registered.arn)
}

pub async fn service_create_update_delete_round_trip(ctx: TestContext) -> Result<()> {
    let ecs = ctx.sdk().await;
    let revision = cluster_and_revision(&ecs).await?;
    let (subnet, group) = moto_network(&ctx)?;
    ensure!(
        ecs.describe_service("svc-contract", "absent")
            .await?
            .is_none(),
        "a missing service must describe as None"
    );

    let settings = ServiceSettings {
        desired_count: Some(2),
        launch_type: Some("FARGATE".into()),
        platform_version: Some("LATEST".into()),
        network_configuration: Some(NetworkConfiguration {
            awsvpc_configuration: AwsVpcConfiguration {
                subnets: vec![subnet],
                security_groups: vec![group],
                assign_public_ip: Some("DISABLED".into()),
            },
        }),
        placement_strategy: vec![PlacementStrategy {
            type_: "spread".into(),
            field: Some("attribute:ecs.availability-zone".into()),
        }],
        scheduling_strategy: Some("REPLICA".into()),
        propagate_tags: Some("SERVICE".into()),
        ..Default::default()
    };
    let request = CreateService {
        cluster: "svc-contract".into(),
        name: "web".into(),
        task_definition: Some(revision.clone()),
        settings: settings.clone(),
        tags: BTreeMap::from([("team".into(), "payments".into())]),
        client_token: "token-1".into(),
    };
    let created = ecs.create_service(&request).await?;
    ensure!(
        created.status == ServiceState::Active && created.task_definition == revision,
        "{created:?}"
    );

    let described = ecs
        .describe_service("svc-contract", "web")
        .await?
        .context("describe by name")?;
    ensure!(described.arn == created.arn, "{described:?}");
    ensure!(described.tags == request.tags, "tags: {:?}", described.tags);
    ensure!(described.desired_count == 2, "{}", described.desired_count);
    // moto 5.2 drops capacityProviderStrategy, deploymentConfiguration, placement,
    // enableExecuteCommand and healthCheckGracePeriodSeconds on CreateService, so only
    // the fields it keeps are compared; the reconciler tests cover the rest on the fake.
    let got = &described.settings;
    ensure!(
        got.launch_type == settings.launch_type,
        "{:?}",
        got.launch_type
    );
    ensure!(
        got.network_configuration == settings.network_configuration,
        "{:?}",
        got.network_configuration
    );
    ensure!(
        got.propagate_tags == settings.propagate_tags,
        "{:?}",
        got.propagate_tags
    );
    ensure!(
        got.scheduling_strategy == settings.scheduling_strategy,
        "{:?}",
        got.scheduling_strategy
    );
    let primary = described
        .deployments
        .iter()
        .find(|d| d.status == DeploymentState::Primary)
        .context("a PRIMARY deployment")?;
    ensure!(primary.task_definition == revision, "{primary:?}");

    let scaled = ecs
        .update_service(&UpdateService {
            cluster: "svc-contract".into(),
            service: "web".into(),
            desired_count: Some(0),
            ..Default::default()
        })
        .await?;
    ensure!(scaled.desired_count == 0, "{}", scaled.desired_count);

    let deleted = ecs.delete_service("svc-contract", "web").await?;
    ensure!(
        matches!(
            deleted.status,
            ServiceState::Draining | ServiceState::Inactive
        ),
        "after DeleteService: {}",
        deleted.status
    );
    Ok(())
}
