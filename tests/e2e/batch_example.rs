//! examples/batch/ applied as a user would, in the emulator: the worker Service rolls
//! out after its migration, the one-off backfill completes, the nightly schedule waits
//! for 02:00. Only what the emulator cannot know is changed: the namespace (each test
//! has its own), the placeholder subnet and security group (moto's), and the
//! migration's and backfill's commands, which the emulator would otherwise run until
//! stopped, get `ECS_EMULATOR_RUN_SECONDS` so they exit 0 (docs/emulator.md).

use anyhow::{Context, Result, ensure};

use crate::support::{TestContext, moto_network};

const FILES: [&str; 5] = [
    "cluster.yaml",
    "task-definition.yaml",
    "worker.yaml",
    "backfill.yaml",
    "nightly.yaml",
];

/// Adds `environment` to the container override whose command is `command`.
fn finishes(text: &str, command: &str) -> Result<String> {
    let line = text
        .lines()
        .find(|l| l.trim() == format!("command: {command}"))
        .with_context(|| format!("no container override runs {command}"))?;
    let indent = &line[..line.len() - line.trim_start().len()];
    let environment =
        format!("{line}\n{indent}environment: [{{name: ECS_EMULATOR_RUN_SECONDS, value: \"5\"}}]");
    Ok(text.replacen(line, &environment, 1))
}

fn example(ctx: &TestContext, file: &str, network: &(String, String)) -> Result<String> {
    let text = std::fs::read_to_string(format!("examples/batch/{file}"))?;
    let text = text
        .replace(
            "namespace: media\n",
            &format!("namespace: {}\n", ctx.namespace),
        )
        .replace("subnet-0123456789abcdef0", &network.0)
        .replace("sg-0123456789abcdef0", &network.1);
    match file {
        "worker.yaml" => finishes(&text, "[./migrate, --database, media-jobs]"),
        "backfill.yaml" => finishes(
            &text,
            r#"[./process, --backfill, "s3://media-uploads-input/2026/12/05/", --shards, "4"]"#,
        ),
        _ => Ok(text),
    }
}

fn get(ctx: &TestContext, kind: &str, name: &str, path: &str) -> Result<String> {
    ctx.kubectl_ns(&["get", kind, name, "-o", &format!("jsonpath={path}")])
}

pub async fn the_batch_example_runs_in_the_emulator(ctx: TestContext) -> Result<()> {
    ctx.start_operator()?;
    let network = moto_network(&ctx)?;
    for file in FILES {
        ctx.apply(&example(&ctx, file, &network)?)?;
    }
    ctx.wait_ready("cluster", "media-batch")?;
    ctx.wait_ready("taskdefinition", "image-processor")?;
    ctx.kubectl_ns(&[
        "wait",
        "task/backfill-2026-12-05",
        "--for=condition=Complete",
        "--timeout=120s",
    ])?;
    ctx.kubectl_ns(&[
        "wait",
        "service.ecs.operator.dev/image-worker",
        "--for=condition=Ready",
        "--timeout=180s",
    ])?;
    ctx.wait_ready("scheduledtask", "nightly-sweep")?;

    // The backfill ran its four tasks once, each exiting 0.
    let backfill = |path| get(&ctx, "task", "backfill-2026-12-05", path);
    ensure!(
        backfill("{.status.succeeded}")? == "1",
        "{}",
        backfill("{.status}")?
    );
    ensure!(backfill("{.status.attemptCount}")? == "1");
    let exit_codes = backfill("{.status.attempts[0].tasks[*].containers[*].exitCode}")?;
    ensure!(
        exit_codes == "0 0 0 0",
        "backfill exit codes {exit_codes:?}"
    );
    // The worker rolled out after one migration of its revision.
    let worker = |path| get(&ctx, "service.ecs.operator.dev", "image-worker", path);
    ensure!(
        worker("{.status.preDeploy.run.result}")? == "Succeeded",
        "{}",
        worker("{.status.preDeploy}")?
    );
    ensure!(worker("{.status.taskDefinitionArn}")?.ends_with(":task-definition/image-processor:1"));
    // Scaled on the backlog per task, from one task.
    let scaling = ctx.scaling().await;
    let policies = scaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id("service/media-batch/image-worker")
        .send()
        .await?;
    let metrics = policies
        .scaling_policies()
        .iter()
        .filter_map(|p| p.target_tracking_scaling_policy_configuration())
        .filter_map(|c| c.customized_metric_specification())
        .map(|m| m.metrics().len())
        .collect::<Vec<_>>();
    ensure!(
        metrics == [3],
        "the backlog-per-task policy's metrics: {metrics:?}"
    );
    // The nightly sweep waits for 02:00 Berlin time.
    let next = get(
        &ctx,
        "scheduledtask",
        "nightly-sweep",
        "{.status.nextRunTime}",
    )?;
    ensure!(next.ends_with(":00:00Z"), "next run {next:?}");

    eprintln!(
        "{}",
        ctx.kubectl_ns(&["get", "ecs", "-o", "wide"])
            .unwrap_or_default()
    );
    for object in [
        "task/backfill-2026-12-05",
        "service.ecs.operator.dev/image-worker",
        "scheduledtask/nightly-sweep",
    ] {
        ctx.kubectl_ns(&["delete", object, "--timeout=120s"])?;
    }
    Ok(())
}
