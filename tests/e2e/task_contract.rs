//! Contract tests: the operator's task calls (`aws::sdk::SdkEcs`) against moto. The
//! tasks are started with the plain SDK, as a service or a RunTask would start them.

use anyhow::{Context, Result, ensure};
use aws_sdk_ecs::types::{LaunchType, Tag};
use ecs_operator::api::task_definition::{ContainerDefinition, TaskDefinitionFields};
use ecs_operator::aws::{CreateCluster, EcsApi, RegisterTaskDefinition, TaskFilter, TaskState};

use crate::support::TestContext;

pub async fn tasks_list_and_describe_round_trip(ctx: TestContext) -> Result<()> {
    let sdk = ctx.sdk().await;
    let cluster = "task-contract";
    sdk.create_cluster(&CreateCluster {
        name: cluster.into(),
        ..Default::default()
    })
    .await?;
    // moto 5.2.5's RunTask fails with a 500 on a container without its own memory, and
    // on an awsvpc task (its network interfaces lack private_dns_name): the task runs
    // in bridge mode, which real Fargate would refuse. What is tested is the wire.
    let container = ContainerDefinition {
        name: "web".into(),
        image: "nginx".into(),
        memory: Some(512),
        ..Default::default()
    };
    let revision = sdk
        .register_task_definition(&RegisterTaskDefinition {
            family: "task-contract".into(),
            fields: TaskDefinitionFields {
                container_definitions: vec![container],
                ..Default::default()
            },
            tags: Default::default(),
        })
        .await?
        .arn;
    let run = ctx
        .ecs()
        .await
        .run_task()
        .cluster(cluster)
        .task_definition(&revision)
        .launch_type(LaunchType::Fargate)
        .count(2)
        .started_by("contract")
        .tags(Tag::builder().key("team").value("shop").build())
        .send()
        .await
        .context("RunTask on moto")?;
    let mut started: Vec<String> = run
        .tasks()
        .iter()
        .filter_map(|t| t.task_arn().map(str::to_string))
        .collect();
    started.sort();
    ensure!(started.len() == 2, "RunTask started {started:?}");

    let running = TaskFilter {
        cluster: cluster.into(),
        started_by: Some("contract".into()),
        desired_status: Some(TaskState::Running),
        ..Default::default()
    };
    let mut listed = sdk.list_tasks(&running, None).await?.arns;
    listed.sort();
    ensure!(
        listed == started,
        "ListTasks gave {listed:?}, RunTask {started:?}"
    );

    let described = sdk.describe_tasks(cluster, &started).await?;
    ensure!(described.len() == 2, "DescribeTasks gave {described:?}");
    for task in &described {
        ensure!(
            task.task_definition == revision
                && task.cluster_arn.ends_with(":cluster/task-contract")
                && task.started_by.as_deref() == Some("contract")
                && task.desired_status == TaskState::Running
                && task.tags.get("team").map(String::as_str) == Some("shop")
                && task.containers.iter().any(|c| c.name == "web"),
            "described {task:?}"
        );
    }

    ctx.ecs()
        .await
        .stop_task()
        .cluster(cluster)
        .task(&started[0])
        .reason("stopped by the contract test")
        .send()
        .await?;
    let stopped_filter = TaskFilter {
        desired_status: Some(TaskState::Stopped),
        ..running
    };
    let stopped = sdk.list_tasks(&stopped_filter, None).await?.arns;
    ensure!(stopped == started[..1], "STOPPED tasks: {stopped:?}");
    let gone = sdk.describe_tasks(cluster, &started[..1]).await?;
    ensure!(
        gone.first()
            .is_some_and(|t| t.last_status == TaskState::Stopped
                && t.stopped_reason.as_deref() == Some("stopped by the contract test")),
        "the stopped task: {gone:?}"
    );
    ensure!(
        sdk.describe_tasks(cluster, &[]).await?.is_empty(),
        "describing no tasks asks ECS nothing and finds nothing"
    );
    Ok(())
}
