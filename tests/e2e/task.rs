//! Tasks against the emulator: one-off runs with Job semantics, end to end.

use anyhow::{Result, ensure};

use crate::kstatus::finished_tasks_read_as_current_and_failed;
use crate::service::cluster_manifest;
use crate::support::{TestContext, eventually, moto_network};
use crate::task_definition::seed_manifest;

/// A Fargate Task running `td` in `cluster` with the `web` container's command
/// replaced by `command` (the emulator's exit convention), and `extra` spec lines.
pub fn task_manifest(
    name: &str,
    cluster: &str,
    td: &str,
    network: &(String, String),
    command: &str,
    extra: &str,
) -> String {
    let (subnet, group) = network;
    format!(
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: Task
metadata:
  name: {name}
spec:
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
    ctx.kubectl_ns(&["get", "task", name, "-o", &format!("jsonpath={path}")])
}

async fn until_condition(ctx: &TestContext, name: &str, condition: &str) -> Result<()> {
    let what = format!("Task {name} {condition}");
    let waited = eventually(&what, 90, || async {
        let status = jsonpath(
            ctx,
            name,
            &format!("{{.status.conditions[?(@.type=='{condition}')].status}}"),
        )?;
        Ok((status == "True").then_some(()))
    })
    .await;
    if waited.is_err() {
        let conditions = jsonpath(ctx, name, "{.status.conditions}")?;
        anyhow::bail!("Task {name} never reached {condition}; conditions {conditions}");
    }
    Ok(())
}

pub async fn tasks_complete_fail_after_their_retries_and_stop_at_their_deadline(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let cluster = ctx.unique_name("batch");
    let td = ctx.unique_name("job");
    let network = moto_network(&ctx)?;
    ctx.apply(&cluster_manifest(&cluster))?;
    ctx.apply(&seed_manifest(&td, "busybox:1.36"))?;
    ctx.wait_ready("taskdefinition", &td)?;
    ctx.apply(&task_manifest(
        "ok",
        &cluster,
        &td,
        &network,
        r#"["sh", "-c", "exit 0"]"#,
        "",
    ))?;
    ctx.apply(&task_manifest(
        "exits-3",
        &cluster,
        &td,
        &network,
        r#"["exit", "3"]"#,
        "  backoffLimit: 1\n",
    ))?;
    ctx.apply(&task_manifest(
        "too-slow",
        &cluster,
        &td,
        &network,
        r#"["sleep", "3600"]"#,
        "  activeDeadlineSeconds: 5\n",
    ))?;

    // Exit 0: Complete, as `kubectl wait` sees it, and Ready, which kstatus reads.
    ctx.kubectl_ns(&[
        "wait",
        "task/ok",
        "--for=condition=Complete",
        "--timeout=90s",
    ])?;
    ensure!(jsonpath(&ctx, "ok", "{.status.exitCodes}")? == "0");
    ensure!(jsonpath(&ctx, "ok", "{.status.succeeded}")? == "1");

    // Exit 3 with backoffLimit 1: two attempts, then Failed with the exit code.
    until_condition(&ctx, "exits-3", "Failed").await?;
    ensure!(jsonpath(&ctx, "exits-3", "{.status.attemptCount}")? == "2");
    ensure!(jsonpath(&ctx, "exits-3", "{.status.exitCodes}")? == "3");
    let reason = jsonpath(
        &ctx,
        "exits-3",
        "{.status.conditions[?(@.type=='Stalled')].reason}",
    )?;
    ensure!(reason == "BackoffLimitExceeded", "stalled for {reason:?}");
    finished_tasks_read_as_current_and_failed(&ctx, "ok", "exits-3")?;
    let message = jsonpath(
        &ctx,
        "exits-3",
        "{.status.conditions[?(@.type=='Failed')].message}",
    )?;
    ensure!(
        message.contains("web exited 3"),
        "the failure does not name the exit code: {message}"
    );

    // Past the deadline: stopped by the operator, Failed DeadlineExceeded.
    until_condition(&ctx, "too-slow", "Failed").await?;
    let reason = jsonpath(
        &ctx,
        "too-slow",
        "{.status.conditions[?(@.type=='Failed')].reason}",
    )?;
    ensure!(reason == "DeadlineExceeded", "failed for {reason:?}");
    let arn = jsonpath(&ctx, "too-slow", "{.status.attempts[0].tasks[0].arn}")?;
    let stopped = eventually("the slow task STOPPED in ECS", 30, || async {
        let described = ctx
            .ecs()
            .await
            .describe_tasks()
            .cluster(&cluster)
            .tasks(&arn)
            .send()
            .await?;
        let task = described.tasks().first().cloned();
        Ok(task.filter(|t| t.last_status() == Some("STOPPED")))
    })
    .await?;
    ensure!(
        stopped.stop_code().map(|c| c.as_str()) == Some("UserInitiated"),
        "stopped with {:?}",
        stopped.stop_code()
    );

    // The spec is a Job's: immutable but for the TTL, which makes a finished Task go.
    ctx.refused_naming(
        &task_manifest("ok", &cluster, &td, &network, r#"["exit", "1"]"#, ""),
        "spec.overrides is immutable",
    )?;
    ctx.apply(&task_manifest(
        "ok",
        &cluster,
        &td,
        &network,
        r#"["sh", "-c", "exit 0"]"#,
        "  ttlSecondsAfterFinished: 0\n",
    ))?;
    eventually("the expired Task deleted", 30, || async {
        let left = ctx.kubectl_ns(&["get", "tasks", "-o", "name"])?;
        Ok((!left.contains("task.ecs.operator.dev/ok")).then_some(()))
    })
    .await?;
    for name in ["exits-3", "too-slow"] {
        ctx.kubectl_ns(&["delete", "task", name, "--timeout=60s"])?;
    }
    Ok(())
}
