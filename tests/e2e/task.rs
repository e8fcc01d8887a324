//! Tasks against the emulator: one-off runs with Job semantics, end to end.

use std::collections::BTreeMap;

use anyhow::{Context, Result, ensure};
use aws_sdk_ecs::types::{DesiredStatus, TaskField};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::kstatus::finished_tasks_read_as_current_and_failed;
use crate::service::cluster_manifest;
use crate::support::operator::{self, Operator};
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
    let BatchSetup {
        cluster,
        td,
        network,
    } = batch_setup(&ctx)?;
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

    let table = ctx.kubectl_ns(&["get", "ecstask"])?;
    ensure!(
        table.contains("Succeeded") && table.contains("Failed"),
        "{table}"
    );
    eprintln!("[e2e] kubectl get ecstask:\n{table}");

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

/// Starts an operator for this test's namespace alone, its log labelled `label`.
/// What a batch test runs in: a Cluster, a Ready TaskDefinition with a `web` container,
/// and the emulator's subnet and security group.
pub struct BatchSetup {
    pub cluster: String,
    pub td: String,
    pub network: (String, String),
}

pub fn batch_setup(ctx: &TestContext) -> Result<BatchSetup> {
    let cluster = ctx.unique_name("batch");
    let td = ctx.unique_name("job");
    let network = moto_network(ctx)?;
    ctx.apply(&cluster_manifest(&cluster))?;
    ctx.apply(&seed_manifest(&td, "busybox:1.36"))?;
    ctx.wait_ready("taskdefinition", &td)?;
    Ok(BatchSetup {
        cluster,
        td,
        network,
    })
}

pub fn namespace_operator(ctx: &TestContext, label: &str) -> Result<Operator> {
    Operator::start(
        &ctx.env,
        label,
        &[
            "--namespace",
            &ctx.namespace,
            "--log-format",
            "text",
            "--log-level",
            "info,ecs_operator=debug",
        ],
        &[],
    )
}

/// Every task of `cluster` in ECS, running or stopped, with its tags.
pub async fn ecs_tasks(ctx: &TestContext, cluster: &str) -> Result<Vec<aws_sdk_ecs::types::Task>> {
    let ecs = ctx.ecs().await;
    let mut arns = Vec::new();
    for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
        let mut pages = ecs
            .list_tasks()
            .cluster(cluster)
            .desired_status(status)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            arns.extend(page?.task_arns().iter().cloned());
        }
    }
    let mut tasks = Vec::new();
    for chunk in arns.chunks(100) {
        let described = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .include(TaskField::Tags)
            .send()
            .await?;
        tasks.extend(described.tasks().iter().cloned());
    }
    Ok(tasks)
}

/// 50 Tasks while the operator is SIGKILLed at seeded random moments: each attempt
/// ran exactly once (one ECS task per object and attempt, counted by their tags),
/// however many times its RunTask was sent again after a kill.
pub async fn an_attempt_runs_exactly_once_however_often_the_operator_is_killed(
    ctx: TestContext,
) -> Result<()> {
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let mut rng = StdRng::seed_from_u64(22);
    let cluster = ctx.unique_name("kills");
    let td = ctx.unique_name("job");
    let network = moto_network(&ctx)?;
    ctx.apply(&cluster_manifest(&cluster))?;
    ctx.apply(&seed_manifest(&td, "busybox:1.36"))?;
    // Every fifth fails once and is retried: two attempts, both to be counted.
    let tasks: Vec<(String, usize)> = (0..50)
        .map(|i| (format!("run-{i}"), if i % 5 == 0 { 2 } else { 1 }))
        .collect();
    let manifests: Vec<String> = tasks
        .iter()
        .map(|(name, attempts)| {
            let command = if *attempts == 2 {
                r#"["sh", "-c", "sleep 2; exit 1"]"#
            } else {
                r#"["sh", "-c", "sleep 2; exit 0"]"#
            };
            task_manifest(
                name,
                &cluster,
                &td,
                &network,
                command,
                "  backoffLimit: 1\n",
            )
        })
        .collect();
    let mut run = 0;
    let mut current = namespace_operator(&ctx, &format!("task-kills-{run}"))?;
    let mut logs = vec![current.log.clone()];
    ctx.apply(&manifests.join("---\n"))?;
    let mut kills = 0;
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(25) {
        tokio::time::sleep(std::time::Duration::from_millis(
            rng.random_range(300..2500),
        ))
        .await;
        current.kill()?;
        kills += 1;
        run += 1;
        current = namespace_operator(&ctx, &format!("task-kills-{run}"))?;
        logs.push(current.log.clone());
    }
    let finished = eventually("all 50 Tasks finished", 120, || async {
        let done = ctx.kubectl_ns(&[
            "get",
            "tasks.ecs.operator.dev",
            "-o",
            "jsonpath={range .items[*]}{.status.completionTime}{\"\\n\"}{end}",
        ])?;
        Ok((done.lines().filter(|l| !l.trim().is_empty()).count() == tasks.len()).then_some(()))
    })
    .await;
    let log = current.log.clone();
    current.terminate(std::time::Duration::from_secs(30))?;
    finished.with_context(|| format!("last operator log: {}", log.display()))?;

    let mut per_attempt: BTreeMap<(String, String), usize> = BTreeMap::new();
    for task in ecs_tasks(&ctx, &cluster).await? {
        let tag = |key: &str| {
            task.tags()
                .iter()
                .find(|t| t.key() == Some(key))
                .and_then(|t| t.value())
                .unwrap_or_default()
                .to_string()
        };
        *per_attempt
            .entry((
                tag("ecs.operator.dev/name"),
                tag("ecs.operator.dev/attempt"),
            ))
            .or_default() += 1;
    }
    let duplicated: Vec<_> = per_attempt.iter().filter(|(_, n)| **n != 1).collect();
    ensure!(
        duplicated.is_empty(),
        "attempts that ran more than once: {duplicated:?}"
    );
    for (name, attempts) in &tasks {
        let recorded = jsonpath(&ctx, name, "{.status.attemptCount}")?;
        ensure!(
            recorded == attempts.to_string(),
            "Task {name} made {recorded} attempts, expected {attempts}"
        );
        for attempt in 1..=*attempts {
            ensure!(
                per_attempt.contains_key(&(name.clone(), attempt.to_string())),
                "no ECS task for attempt {attempt} of {name}"
            );
        }
    }
    ensure!(
        per_attempt.len() == tasks.iter().map(|(_, a)| a).sum::<usize>(),
        "ECS holds tasks of attempts no Task made: {per_attempt:?}"
    );
    // The operators' debug logs name each AWS call; repeats after a kill are the point.
    let mut run_task_calls = 0;
    for log in &logs {
        let text = std::fs::read_to_string(log)?;
        run_task_calls += text
            .lines()
            .filter(|l| l.contains("RunTask") && l.contains("AWS call"))
            .count();
    }
    eprintln!(
        "[e2e] task kills: {} Tasks, {kills} SIGKILLs, {} attempts, each run exactly once \
         ({run_task_calls} RunTask calls)",
        tasks.len(),
        per_attempt.len()
    );
    Ok(())
}
