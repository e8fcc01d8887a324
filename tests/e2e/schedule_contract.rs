//! Contract tests: the operator's EventBridge Scheduler calls (`aws::sdk::SdkEcs`)
//! against the emulator. What the operator writes must read back equal, or every
//! resync would rewrite the schedule.

use std::collections::BTreeMap;

use anyhow::{Result, ensure};
use ecs_operator::api::service::{AwsVpcConfiguration, NetworkConfiguration, PlacementStrategy};
use ecs_operator::api::task::{ContainerOverride, TaskOverride};
use ecs_operator::aws::{EcsSchedule, EcsTarget, ErrorKind, SchedulerApi};

use crate::support::TestContext;

pub async fn schedules_round_trip_through_the_sdk_layer(ctx: TestContext) -> Result<()> {
    let sdk = ctx.sdk().await;
    let group = "ecs-operator-contract";
    let tags = BTreeMap::from([(
        "ecs.operator.dev/namespace".to_string(),
        "contract".to_string(),
    )]);
    let arn = sdk.create_schedule_group(group, &tags).await?;
    ensure!(
        arn.ends_with(":schedule-group/ecs-operator-contract"),
        "{arn}"
    );
    let again = sdk.create_schedule_group(group, &tags).await;
    ensure!(
        again.as_ref().is_err_and(|e| e.kind == ErrorKind::InUse),
        "a second group of one name: {again:?}"
    );
    ensure!(sdk.list_tags_for_resource(&arn).await? == tags);

    let schedule = EcsSchedule {
        group: group.into(),
        name: "nightly".into(),
        expression: "cron(0 2 * * ? *)".into(),
        timezone: "Europe/Berlin".into(),
        flexible_window_minutes: Some(15),
        enabled: true,
        description: "managed by ecs-operator: ScheduledTask contract/nightly".into(),
        target: EcsTarget {
            cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/batch".into(),
            role_arn: "arn:aws:iam::123456789012:role/ecs-operator/scheduler".into(),
            task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/job:1".into(),
            task_count: 2,
            launch_type: Some("FARGATE".into()),
            platform_version: Some("LATEST".into()),
            network_configuration: Some(NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    subnets: vec!["subnet-1".into()],
                    security_groups: vec!["sg-1".into()],
                    assign_public_ip: Some("DISABLED".into()),
                },
            }),
            group: Some("batch:nightly".into()),
            propagate_tags: Some("TASK_DEFINITION".into()),
            enable_ecs_managed_tags: true,
            placement_strategy: vec![PlacementStrategy {
                type_: "spread".into(),
                field: Some("attribute:ecs.availability-zone".into()),
            }],
            tags: BTreeMap::from([
                ("ecs.operator.dev/uid".into(), "uid-1".into()),
                ("team".into(), "media".into()),
            ]),
            overrides: Some(TaskOverride {
                container_overrides: vec![ContainerOverride {
                    name: "web".into(),
                    command: vec!["exit".into(), "0".into()],
                    ..Default::default()
                }],
                ..Default::default()
            }),
            retry_max_age_seconds: 3600,
            retry_attempts: 3,
            dead_letter_arn: Some("arn:aws:sqs:us-east-1:123456789012:dead".into()),
            ..Default::default()
        },
        client_token: "contract-create".into(),
        ..Default::default()
    };
    let created = sdk.create_schedule(&schedule).await?;
    ensure!(
        created.ends_with(":schedule/ecs-operator-contract/nightly"),
        "{created}"
    );
    let read = sdk.get_schedule(group, "nightly").await?;
    let read = read.ok_or_else(|| anyhow::anyhow!("GetSchedule found nothing"))?;
    let differences = schedule.differences(&read);
    ensure!(
        differences.is_empty(),
        "read back with other {differences:?}: {read:#?}"
    );
    ensure!(read.created.is_some(), "no CreationDate");

    let suspended = EcsSchedule {
        enabled: false,
        expression: "rate(1 hour)".into(),
        client_token: "contract-update".into(),
        ..schedule.clone()
    };
    sdk.update_schedule(&suspended).await?;
    let read = sdk.get_schedule(group, "nightly").await?;
    let differences = read.map(|r| suspended.differences(&r));
    ensure!(
        differences == Some(Vec::new()),
        "after the update: {differences:?}"
    );

    sdk.delete_schedule(group, "nightly").await?;
    ensure!(sdk.get_schedule(group, "nightly").await?.is_none());
    let gone = sdk.delete_schedule(group, "nightly").await;
    ensure!(
        gone.as_ref().is_err_and(|e| e.kind == ErrorKind::NotFound),
        "deleting it again: {gone:?}"
    );
    Ok(())
}
