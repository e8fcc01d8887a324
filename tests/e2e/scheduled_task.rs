//! ScheduledTasks against the emulator: EventBridge Scheduler schedules that run ECS
//! tasks, their runs in status, suspension, a new revision and deletion.

use anyhow::{Result, ensure};

use crate::kstatus::a_schedule_whose_last_run_failed_reads_as_current;
use crate::support::{TestContext, eventually, operator};
use crate::task::{BatchSetup, batch_setup, namespace_operator};
use crate::task_definition::seed_manifest;

/// The role every test schedule names: under the path the IAM policy lets the operator pass.
const ROLE: &str = "arn:aws:iam::123456789012:role/ecs-operator/scheduler";

/// A ScheduledTask running `td` in `cluster` on `expression`, the `web` container's
/// command replaced by `command` (the emulator's exit convention), and `extra` spec lines.
pub fn scheduled_task_manifest(
    name: &str,
    expression: &str,
    cluster: &str,
    td: &str,
    network: &(String, String),
    command: &str,
    extra: &str,
) -> String {
    let (subnet, group) = network;
    format!(
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: ScheduledTask
metadata:
  name: {name}
spec:
  scheduleExpression: "{expression}"
  roleArn: {ROLE}
  task:
    clusterRef: {{name: {cluster}}}
    taskDefinitionRef: {{name: {td}}}
    launchType: FARGATE
    networkConfiguration:
      awsvpcConfiguration: {{subnets: [{subnet}], securityGroups: [{group}]}}
    overrides:
      containerOverrides:
        - name: web
          command: {command}
{extra}"#
    )
}

fn jsonpath(ctx: &TestContext, name: &str, path: &str) -> Result<String> {
    ctx.kubectl_ns(&[
        "get",
        "scheduledtask",
        name,
        "-o",
        &format!("jsonpath={path}"),
    ])
}

async fn until(
    ctx: &TestContext,
    name: &str,
    path: &str,
    wanted: &str,
    seconds: u64,
) -> Result<()> {
    let what = format!("ScheduledTask {name} {path} = {wanted}");
    let waited = eventually(&what, seconds, || async {
        Ok((jsonpath(ctx, name, path)? == wanted).then_some(()))
    })
    .await;
    if waited.is_err() {
        let status = jsonpath(ctx, name, "{.status}")?;
        anyhow::bail!("ScheduledTask {name} never had {path} = {wanted}; status {status}");
    }
    Ok(())
}

pub async fn scheduled_tasks_run_report_their_runs_follow_their_revision_and_suspend(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let BatchSetup {
        cluster,
        td,
        network,
    } = batch_setup(&ctx)?;
    let every_minute = "rate(1 minute)";
    ctx.apply(&scheduled_task_manifest(
        "ok",
        every_minute,
        &cluster,
        &td,
        &network,
        r#"["sh", "-c", "exit 0"]"#,
        "",
    ))?;
    ctx.apply(&scheduled_task_manifest(
        "exits-3",
        every_minute,
        &cluster,
        &td,
        &network,
        r#"["exit", "3"]"#,
        "",
    ))?;
    ctx.wait_ready("scheduledtask", "ok")?;
    ctx.wait_ready("scheduledtask", "exits-3")?;

    // A rate schedule without startDate runs at once; the run's exit code lands in status.
    until(&ctx, "ok", "{.status.lastResult}", "Succeeded", 60).await?;
    ensure!(jsonpath(&ctx, "ok", "{.status.exitCodes}")? == "0");
    ensure!(jsonpath(&ctx, "ok", "{.status.nextRunTime}")?.ends_with('Z'));
    until(
        &ctx,
        "exits-3",
        "{.status.conditions[?(@.type=='LastRunFailed')].status}",
        "True",
        60,
    )
    .await?;
    ensure!(jsonpath(&ctx, "exits-3", "{.status.exitCodes}")? == "3");
    let message = jsonpath(
        &ctx,
        "exits-3",
        "{.status.conditions[?(@.type=='LastRunFailed')].message}",
    )?;
    ensure!(
        message.contains("web exited 3"),
        "LastRunFailed says {message:?}"
    );
    a_schedule_whose_last_run_failed_reads_as_current(&ctx, "exits-3")?;

    // A minute later the schedule runs again, and the operator looks when it is due.
    until(
        &ctx,
        "exits-3",
        "{.status.runs[*].result}",
        "Failed Failed",
        150,
    )
    .await?;

    // The schedule is EventBridge Scheduler's own, in the namespace's group.
    let group = format!("ecs-operator-{}", ctx.namespace);
    let scheduler = ctx.scheduler().await;
    let schedule = scheduler
        .get_schedule()
        .group_name(&group)
        .name("ok")
        .send()
        .await?;
    ensure!(schedule.state().map(|s| s.as_str()) == Some("ENABLED"));

    // A new revision of the TaskDefinition moves the schedule to it.
    ctx.apply(&seed_manifest(&td, "busybox:1.37"))?;
    let revision_2 = format!(":task-definition/{td}:2");
    eventually("the schedule runs revision 2", 60, || async {
        let schedule = scheduler
            .get_schedule()
            .group_name(&group)
            .name("ok")
            .send()
            .await?;
        let arn = schedule
            .target()
            .and_then(|t| t.ecs_parameters())
            .map(|e| e.task_definition_arn().to_string())
            .unwrap_or_default();
        Ok(arn.ends_with(&revision_2).then_some(()))
    })
    .await?;

    // suspend: true disables the schedule.
    ctx.kubectl_ns(&[
        "patch",
        "scheduledtask",
        "ok",
        "--type=merge",
        "-p",
        r#"{"spec":{"suspend":true}}"#,
    ])?;
    until(&ctx, "ok", "{.status.state}", "DISABLED", 60).await?;
    let schedule = scheduler
        .get_schedule()
        .group_name(&group)
        .name("ok")
        .send()
        .await?;
    ensure!(schedule.state().map(|s| s.as_str()) == Some("DISABLED"));
    ensure!(jsonpath(&ctx, "ok", "{.status.nextRunTime}")?.is_empty());

    // Deleting the object deletes its schedule.
    ctx.kubectl_ns(&["delete", "scheduledtask", "exits-3", "--timeout=60s"])?;
    let gone = scheduler
        .get_schedule()
        .group_name(&group)
        .name("exits-3")
        .send()
        .await;
    ensure!(gone.is_err(), "the schedule outlived its object: {gone:?}");
    ctx.kubectl_ns(&["delete", "scheduledtask", "ok", "--timeout=60s"])?;
    Ok(())
}

/// The schedule's target as Scheduler holds it: the task definition ARN it runs.
async fn schedule_target(ctx: &TestContext, name: &str) -> Result<String> {
    let schedule = ctx
        .scheduler()
        .await
        .get_schedule()
        .group_name(format!("ecs-operator-{}", ctx.namespace))
        .name(name)
        .send()
        .await?;
    Ok(schedule
        .target()
        .and_then(|t| t.ecs_parameters())
        .map(|e| e.task_definition_arn().to_string())
        .unwrap_or_default())
}

/// A new revision reaches a schedule that has nothing else to do within seconds: the
/// TaskDefinition's status change wakes its ScheduledTasks, it does not wait for the
/// resync (five minutes for this operator).
pub async fn a_schedule_follows_a_new_revision_within_seconds(ctx: TestContext) -> Result<()> {
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let _operator = namespace_operator(&ctx, "schedule-revision")?;
    let BatchSetup {
        cluster,
        td,
        network,
    } = batch_setup(&ctx)?;
    ctx.apply(&scheduled_task_manifest(
        "nightly",
        "at(2099-01-01T00:00:00)",
        &cluster,
        &td,
        &network,
        r#"["sh", "-c", "exit 0"]"#,
        "",
    ))?;
    ctx.wait_ready("scheduledtask", "nightly")?;
    let target = schedule_target(&ctx, "nightly").await?;
    ensure!(
        target.ends_with(&format!(":task-definition/{td}:1")),
        "{target}"
    );

    ctx.apply(&seed_manifest(&td, "busybox:1.37"))?;
    let revision_2 = format!(":task-definition/{td}:2");
    eventually("the schedule runs revision 2", 15, || async {
        Ok(schedule_target(&ctx, "nightly")
            .await?
            .ends_with(&revision_2)
            .then_some(()))
    })
    .await?;
    ctx.kubectl_ns(&["delete", "scheduledtask", "nightly", "--timeout=60s"])?;
    Ok(())
}
