//! Contract tests: the operator's Application Auto Scaling calls (`aws::sdk::SdkEcs`)
//! against moto, each configuration read back as it was sent.
//!
//! Where moto differs from AWS the test pins moto's behaviour the operator relies on:
//! it answers a missing target or policy with ValidationException (AWS:
//! ObjectNotFoundException), which must still classify as NotFound.

use std::collections::BTreeMap;

use anyhow::{Context, Result, ensure};
use ecs_operator::api::service::{
    AwsVpcConfiguration, CustomizedMetric, Metric, MetricDataQuery, MetricDimension, MetricStat,
    NetworkConfiguration, PredefinedMetric, ServiceSettings, StepAdjustment, SuspendedState,
};
use ecs_operator::aws::scaling::{PolicyConfiguration, StepScaling, TargetTracking, resource_id};
use ecs_operator::aws::sdk::SdkEcs;
use ecs_operator::aws::{
    CreateService, EcsApi, ErrorKind, RegisterScalableTarget, ScalingApi, ScalingPolicy,
    ScheduledScaling,
};
use k8s_openapi::jiff::Timestamp;

use crate::service_contract::cluster_and_revision;
use crate::support::{TestContext, moto_network};

/// A service in moto to scale: svc-contract/web (Fargate, so on a subnet, as ECS
/// requires for an awsvpc task definition).
async fn service(ctx: &TestContext, ecs: &SdkEcs) -> Result<String> {
    let revision = cluster_and_revision(ecs).await?;
    let (subnet, group) = moto_network(ctx)?;
    ecs.create_service(&CreateService {
        cluster: "svc-contract".into(),
        name: "web".into(),
        task_definition: Some(revision),
        settings: ServiceSettings {
            desired_count: Some(1),
            launch_type: Some("FARGATE".into()),
            network_configuration: Some(NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    subnets: vec![subnet],
                    security_groups: vec![group],
                    assign_public_ip: None,
                },
            }),
            ..Default::default()
        },
        tags: BTreeMap::new(),
        client_token: "scaling".into(),
    })
    .await?;
    Ok(resource_id("svc-contract", "web"))
}

/// The service of `service`, registered as a target for 1 to 5 tasks.
async fn registered_service(ctx: &TestContext, ecs: &SdkEcs) -> Result<String> {
    let id = service(ctx, ecs).await?;
    ecs.register_scalable_target(&RegisterScalableTarget {
        resource_id: id.clone(),
        min_capacity: 1,
        max_capacity: 5,
        suspended_state: SuspendedState::default(),
        ..Default::default()
    })
    .await?;
    Ok(id)
}

pub async fn scalable_target_register_describe_deregister(ctx: TestContext) -> Result<()> {
    let ecs = ctx.sdk().await;
    let missing = ecs
        .register_scalable_target(&RegisterScalableTarget {
            resource_id: resource_id("svc-contract", "absent"),
            min_capacity: 1,
            max_capacity: 2,
            suspended_state: SuspendedState::default(),
            ..Default::default()
        })
        .await;
    ensure!(missing.is_err(), "moto checks that the ECS service exists");

    let id = service(&ctx, &ecs).await?;
    ensure!(ecs.describe_scalable_target(&id).await?.is_none());
    let suspended = SuspendedState {
        scheduled_scaling_suspended: true,
        ..Default::default()
    };
    let arn = ecs
        .register_scalable_target(&RegisterScalableTarget {
            resource_id: id.clone(),
            min_capacity: 2,
            max_capacity: 10,
            suspended_state: suspended,
            tags: BTreeMap::from([("ecs.operator.dev/managed-by".into(), "ecs-operator".into())]),
        })
        .await?
        .context("RegisterScalableTarget returns the ARN")?;
    // The tags sent at registration are the target's: the IAM policy's conditions read them.
    let tags = ctx
        .scaling()
        .await
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await?;
    ensure!(
        tags.tags()
            .and_then(|t| t.get("ecs.operator.dev/managed-by"))
            .map(String::as_str)
            == Some("ecs-operator"),
        "{tags:?}"
    );
    let target = ecs
        .describe_scalable_target(&id)
        .await?
        .context("registered")?;
    ensure!(target.arn.as_deref() == Some(arn.as_str()), "{target:?}");
    ensure!(
        (target.min_capacity, target.max_capacity) == (2, 10),
        "{target:?}"
    );
    ensure!(target.suspended_state == Some(suspended), "{target:?}");

    ecs.register_scalable_target(&RegisterScalableTarget {
        resource_id: id.clone(),
        min_capacity: 3,
        max_capacity: 20,
        suspended_state: SuspendedState::default(),
        ..Default::default()
    })
    .await?;
    let changed = ecs
        .describe_scalable_target(&id)
        .await?
        .context("still registered")?;
    ensure!(
        (changed.min_capacity, changed.max_capacity) == (3, 20),
        "{changed:?}"
    );
    ensure!(
        changed.arn == target.arn,
        "registering again keeps the target"
    );

    ecs.deregister_scalable_target(&id).await?;
    ensure!(ecs.describe_scalable_target(&id).await?.is_none());
    let again = ecs
        .deregister_scalable_target(&id)
        .await
        .expect_err("nothing left to deregister");
    ensure!(again.kind == ErrorKind::NotFound, "{again:?}");
    Ok(())
}

fn policies() -> Vec<ScalingPolicy> {
    vec![
        ScalingPolicy {
            name: "cpu".into(),
            configuration: PolicyConfiguration::TargetTracking(TargetTracking {
                predefined_metric: Some(PredefinedMetric {
                    type_: "ECSServiceAverageCPUUtilization".into(),
                    resource_label: None,
                }),
                target_value: 60.0,
                scale_in_cooldown: Some(120),
                scale_out_cooldown: Some(30),
                disable_scale_in: Some(true),
                ..Default::default()
            }),
        },
        ScalingPolicy {
            name: "queue".into(),
            configuration: PolicyConfiguration::TargetTracking(TargetTracking {
                customized_metric: Some(CustomizedMetric {
                    metric_name: Some("ApproximateNumberOfMessagesVisible".into()),
                    namespace: Some("AWS/SQS".into()),
                    dimensions: vec![MetricDimension {
                        name: "QueueName".into(),
                        value: "jobs".into(),
                    }],
                    statistic: Some("Average".into()),
                    unit: Some("Count".into()),
                    metrics: Vec::new(),
                }),
                target_value: 100.0,
                ..Default::default()
            }),
        },
        ScalingPolicy {
            name: "backlog".into(),
            configuration: PolicyConfiguration::TargetTracking(TargetTracking {
                customized_metric: Some(backlog_per_task()),
                target_value: 10.0,
                ..Default::default()
            }),
        },
        ScalingPolicy {
            name: "burst".into(),
            configuration: PolicyConfiguration::StepScaling(StepScaling {
                adjustment_type: Some("ChangeInCapacity".into()),
                step_adjustments: vec![
                    StepAdjustment {
                        metric_interval_lower_bound: Some(0.0),
                        metric_interval_upper_bound: Some(10.0),
                        scaling_adjustment: 1,
                    },
                    StepAdjustment {
                        metric_interval_lower_bound: Some(10.0),
                        metric_interval_upper_bound: None,
                        scaling_adjustment: 3,
                    },
                ],
                cooldown: Some(60),
                metric_aggregation_type: Some("Maximum".into()),
                min_adjustment_magnitude: None,
            }),
        },
    ]
}

/// Metric math: the queue's visible messages per running task of the service.
fn backlog_per_task() -> CustomizedMetric {
    let stat =
        |id: &str, namespace: &str, name: &str, dimensions: Vec<(&str, &str)>| MetricDataQuery {
            id: id.into(),
            metric_stat: Some(MetricStat {
                metric: Metric {
                    metric_name: name.into(),
                    namespace: namespace.into(),
                    dimensions: dimensions
                        .into_iter()
                        .map(|(name, value)| MetricDimension {
                            name: name.into(),
                            value: value.into(),
                        })
                        .collect(),
                },
                stat: "Sum".into(),
                unit: None,
            }),
            return_data: Some(false),
            ..Default::default()
        };
    CustomizedMetric {
        metrics: vec![
            stat(
                "m1",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                vec![("QueueName", "jobs")],
            ),
            stat(
                "m2",
                "ECS/ContainerInsights",
                "RunningTaskCount",
                vec![("ClusterName", "svc-contract"), ("ServiceName", "web")],
            ),
            MetricDataQuery {
                id: "e1".into(),
                expression: Some("m1 / m2".into()),
                label: Some("Backlog per task".into()),
                return_data: Some(true),
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

pub async fn scaling_policies_put_describe_delete(ctx: TestContext) -> Result<()> {
    let ecs = ctx.sdk().await;
    let id = registered_service(&ctx, &ecs).await?;
    let mut arns = BTreeMap::new();
    for policy in policies() {
        let put = ecs.put_scaling_policy(&id, &policy).await?;
        ensure!(put.arn.contains("scalingPolicy"), "{put:?}");
        arns.insert(policy.name.clone(), put.arn);
    }
    let described = ecs.describe_scaling_policies(&id).await?;
    ensure!(described.len() == 4, "{described:?}");
    for policy in policies() {
        let found = described
            .iter()
            .find(|p| p.name == policy.name)
            .with_context(|| format!("policy {} described", policy.name))?;
        ensure!(
            found.configuration.as_ref() == Some(&policy.configuration),
            "{} sent {:?}, read back {:?}",
            policy.name,
            policy.configuration,
            found.configuration
        );
        ensure!(Some(&found.arn) == arns.get(&policy.name), "{found:?}");
    }
    let cpu = described.iter().find(|p| p.name == "cpu").unwrap();
    ensure!(
        !cpu.alarm_names.is_empty(),
        "target tracking alarms are reported: {cpu:?}"
    );

    // Replacing by name changes the configuration in place.
    let mut edited = policies().remove(0);
    if let PolicyConfiguration::TargetTracking(t) = &mut edited.configuration {
        t.target_value = 45.0;
    }
    ecs.put_scaling_policy(&id, &edited).await?;
    let after = ecs.describe_scaling_policies(&id).await?;
    let cpu = after.iter().find(|p| p.name == "cpu").unwrap();
    ensure!(
        cpu.configuration.as_ref() == Some(&edited.configuration),
        "{cpu:?}"
    );

    ecs.delete_scaling_policy(&id, "burst").await?;
    let left: Vec<_> = ecs
        .describe_scaling_policies(&id)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    ensure!(
        left.len() == 3 && !left.contains(&"burst".to_string()),
        "{left:?}"
    );
    let again = ecs
        .delete_scaling_policy(&id, "burst")
        .await
        .expect_err("already deleted");
    ensure!(again.kind == ErrorKind::NotFound, "{again:?}");
    Ok(())
}

pub async fn scheduled_actions_put_describe_delete(ctx: TestContext) -> Result<()> {
    let ecs = ctx.sdk().await;
    let id = registered_service(&ctx, &ecs).await?;
    let nightly = ScheduledScaling {
        name: "nightly".into(),
        schedule: "cron(0 22 * * ? *)".into(),
        timezone: Some("Europe/Paris".into()),
        start_time: Some(Timestamp::from_second(1_900_000_000)?),
        end_time: Some(Timestamp::from_second(1_990_000_000)?),
        min_capacity: Some(1),
        max_capacity: Some(2),
    };
    let launch = ScheduledScaling {
        name: "launch".into(),
        schedule: "at(2027-01-01T09:00:00)".into(),
        min_capacity: Some(4),
        ..Default::default()
    };
    ecs.put_scheduled_action(&id, &nightly).await?;
    ecs.put_scheduled_action(&id, &launch).await?;
    let described = ecs.describe_scheduled_actions(&id).await?;
    ensure!(described.len() == 2, "{described:?}");
    for sent in [&nightly, &launch] {
        let found = described
            .iter()
            .find(|a| a.action.name == sent.name)
            .with_context(|| format!("action {} described", sent.name))?;
        ensure!(
            &found.action == sent,
            "sent {sent:?}, read back {:?}",
            found.action
        );
        ensure!(found.arn.contains("scheduledAction"), "{found:?}");
    }

    let moved = ScheduledScaling {
        schedule: "cron(0 23 * * ? *)".into(),
        ..nightly.clone()
    };
    ecs.put_scheduled_action(&id, &moved).await?;
    let after = ecs.describe_scheduled_actions(&id).await?;
    ensure!(
        after.iter().any(|a| a.action == moved) && after.len() == 2,
        "{after:?}"
    );

    ecs.delete_scheduled_action(&id, "launch").await?;
    let left = ecs.describe_scheduled_actions(&id).await?;
    ensure!(
        left.len() == 1 && left[0].action.name == "nightly",
        "{left:?}"
    );
    Ok(())
}
