//! Contract tests: the operator's own SDK conversion (`aws::sdk::SdkEcs`)
//! against moto, proving each cluster call's fields survive the wire both ways.

use std::collections::BTreeMap;

use anyhow::{Context, Result, ensure};
use ecs_operator::api::cluster::{
    CapacityProviderStrategyItem, ClusterConfiguration, ClusterSetting, ClusterSettingName,
    ContainerInsights, ExecuteCommandConfiguration, ExecuteCommandLogConfiguration,
    ExecuteCommandLogging, ManagedStorageConfiguration,
};
use ecs_operator::aws::ClusterState;
use ecs_operator::aws::sdk::SdkEcs;
use ecs_operator::aws::{CreateCluster, EcsApi, UpdateCluster};

use crate::support::TestContext;

async fn sdk(ctx: &TestContext) -> SdkEcs {
    ctx.sdk().await
}

fn insights(value: ContainerInsights) -> ClusterSetting {
    ClusterSetting {
        name: ClusterSettingName::ContainerInsights,
        value,
    }
}

fn exec_configuration() -> ClusterConfiguration {
    ClusterConfiguration {
        execute_command_configuration: Some(ExecuteCommandConfiguration {
            kms_key_id: Some("alias/exec".into()),
            logging: Some(ExecuteCommandLogging::Override),
            log_configuration: Some(ExecuteCommandLogConfiguration {
                cloud_watch_log_group_name: Some("/ecs/exec".into()),
                cloud_watch_encryption_enabled: Some(true),
                s3_bucket_name: Some("exec-logs".into()),
                s3_encryption_enabled: Some(false),
                s3_key_prefix: Some("sessions".into()),
            }),
        }),
        managed_storage_configuration: Some(ManagedStorageConfiguration {
            kms_key_id: Some("alias/managed-storage".into()),
            fargate_ephemeral_storage_kms_key_id: Some(
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .into(),
            ),
        }),
    }
}

pub async fn cluster_create_and_describe_round_trip(ctx: TestContext) -> Result<()> {
    let ecs = sdk(&ctx).await;
    ensure!(
        ecs.describe_cluster("absent").await?.is_none(),
        "a missing cluster must describe as None"
    );

    let strategy = vec![CapacityProviderStrategyItem {
        capacity_provider: "FARGATE".into(),
        weight: Some(2),
        base: Some(1),
    }];
    let request = CreateCluster {
        name: "contract".into(),
        tags: BTreeMap::from([
            ("team".into(), "payments".into()),
            ("ecs.operator.dev/uid".into(), "u-1".into()),
        ]),
        settings: vec![insights(ContainerInsights::Enhanced)],
        configuration: Some(exec_configuration()),
        capacity_providers: Some(vec!["FARGATE".into(), "FARGATE_SPOT".into()]),
        default_capacity_provider_strategy: Some(strategy.clone()),
        service_connect_defaults: None,
    };
    let created = ecs.create_cluster(&request).await?;
    ensure!(
        created.arn.ends_with(":cluster/contract") && created.status == ClusterState::Active,
        "{created:?}"
    );

    let described = ecs
        .describe_cluster(&created.arn)
        .await?
        .context("describe by ARN")?;
    ensure!(described.name == "contract", "{described:?}");
    ensure!(described.tags == request.tags, "tags: {:?}", described.tags);
    ensure!(
        described.settings == request.settings,
        "settings: {:?}",
        described.settings
    );
    ensure!(
        described.configuration == request.configuration,
        "configuration: {:?}",
        described.configuration
    );
    ensure!(
        described.capacity_providers == ["FARGATE", "FARGATE_SPOT"],
        "{:?}",
        described.capacity_providers
    );
    ensure!(
        described.default_capacity_provider_strategy == strategy,
        "{:?}",
        described.default_capacity_provider_strategy
    );
    ensure!(
        ecs.describe_cluster("contract").await?.is_some(),
        "describe by name"
    );
    Ok(())
}

pub async fn cluster_updates_tags_and_delete_round_trip(ctx: TestContext) -> Result<()> {
    let ecs = sdk(&ctx).await;
    let created = ecs
        .create_cluster(&CreateCluster {
            name: "contract-up".into(),
            ..Default::default()
        })
        .await?;
    let arn = created.arn.as_str();

    // moto answers UpdateClusterSettings with a 500, so settings go through UpdateCluster, as the operator does.
    let update = UpdateCluster {
        settings: Some(vec![insights(ContainerInsights::Disabled)]),
        configuration: Some(exec_configuration()),
        service_connect_defaults: None,
    };
    ecs.update_cluster(arn, &update).await?;
    let providers = vec!["FARGATE_SPOT".to_string()];
    let strategy = vec![CapacityProviderStrategyItem {
        capacity_provider: "FARGATE_SPOT".into(),
        weight: Some(1),
        base: Some(0),
    }];
    ecs.put_cluster_capacity_providers(arn, &providers, &strategy)
        .await?;
    ecs.tag_resource(
        arn,
        &BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]),
    )
    .await?;
    ecs.untag_resource(arn, &["a".to_string()]).await?;

    let c = ecs
        .describe_cluster(arn)
        .await?
        .context("describe after updates")?;
    ensure!(
        c.settings == update.settings.clone().unwrap(),
        "settings: {:?}",
        c.settings
    );
    ensure!(
        c.configuration == update.configuration,
        "configuration: {:?}",
        c.configuration
    );
    ensure!(
        c.capacity_providers == providers,
        "providers: {:?}",
        c.capacity_providers
    );
    ensure!(
        c.default_capacity_provider_strategy == strategy,
        "strategy: {:?}",
        c.default_capacity_provider_strategy
    );
    ensure!(
        c.tags == BTreeMap::from([("b".into(), "2".into())]),
        "tags: {:?}",
        c.tags
    );

    let status = ecs.delete_cluster(arn).await?;
    ensure!(
        status == ClusterState::Inactive,
        "DeleteCluster left {status}"
    );
    let after = ecs.describe_cluster(arn).await?;
    ensure!(
        after
            .as_ref()
            .is_none_or(|c| c.status == ClusterState::Inactive),
        "after delete: {after:?}"
    );
    // moto still accepts UpdateCluster on an INACTIVE cluster, where ECS answers
    // ClusterNotFoundException; the in-memory fake models the ECS behaviour.
    Ok(())
}
