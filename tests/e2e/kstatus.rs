//! Our status read by kstatus (sigs.k8s.io/cli-utils), the library Flux's health
//! checks use, through the Go helper in hack/kstatus, on live objects.

use std::process::Command;

use anyhow::{Context, Result, ensure};

use crate::service::{apply_ready_service, cluster_manifest};
use crate::support::operator;
use crate::support::{TestContext, eventually};
use crate::task_definition::seed_manifest;

/// kstatus's verdict on one live object: (status, message).
pub fn kstatus(ctx: &TestContext, kind: &str, name: &str) -> Result<(String, String)> {
    let json = ctx.kubectl_ns(&["get", kind, name, "-o", "json"])?;
    let mut child = Command::new(ctx.env.var("KSTATUS"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("running the kstatus helper (make testenv builds it)")?;
    std::io::Write::write_all(&mut child.stdin.take().context("stdin")?, json.as_bytes())?;
    let out = child.wait_with_output()?;
    ensure!(out.status.success(), "kstatus failed on {kind}/{name}");
    let line = String::from_utf8(out.stdout)?;
    let mut words = line.trim().splitn(3, ' ');
    let _object = words.next();
    let status = words.next().context("no status printed")?.to_string();
    Ok((status, words.next().unwrap_or_default().to_string()))
}

async fn until_kstatus(ctx: &TestContext, kind: &str, name: &str, wanted: &str) -> Result<()> {
    let what = format!("kstatus {wanted} for {kind}/{name}");
    let waited = eventually(&what, 60, || async {
        let (status, _) = kstatus(ctx, kind, name)?;
        Ok((status == wanted).then_some(()))
    })
    .await;
    if waited.is_err() {
        let (status, message) = kstatus(ctx, kind, name)?;
        let path = "jsonpath={.status.conditions}";
        let conditions = ctx.kubectl_ns(&["get", kind, name, "-o", path])?;
        anyhow::bail!("{kind}/{name} stayed {status} ({message}); conditions {conditions}");
    }
    Ok(())
}

pub async fn kstatus_agrees_with_every_state_we_report(ctx: TestContext) -> Result<()> {
    ctx.start_operator()?;
    let cluster = ctx.unique_name("ks");
    let name = ctx.unique_name("web");
    apply_ready_service(&ctx, &ctx.namespace, &cluster, &name)?;
    let service = "service.ecs.operator.dev";
    // Ready → Current.
    for (kind, object) in [
        ("cluster", &cluster),
        ("taskdefinition", &name),
        (service, &name),
    ] {
        let (status, message) = kstatus(&ctx, kind, object)?;
        ensure!(status == "Current", "Ready {kind} is {status}: {message}");
    }

    // Stalled → Failed: an ECS cluster of that name already exists and is not ours.
    let taken = ctx.unique_name("taken");
    ctx.ecs()
        .await
        .create_cluster()
        .cluster_name(&taken)
        .send()
        .await?;
    ctx.apply(&cluster_manifest(&taken))?;
    until_kstatus(&ctx, "cluster", &taken, "Failed").await?;

    // Spec just changed → InProgress until the operator observes the new generation.
    ensure!(operator::stop(), "the operator did not stop cleanly");
    ctx.apply(&seed_manifest(&name, "nginx:1.27"))?;
    let (status, message) = kstatus(&ctx, "taskdefinition", &name)?;
    ensure!(
        status == "InProgress",
        "edited TaskDefinition is {status}: {message}"
    );
    ctx.start_operator()?;
    until_kstatus(&ctx, "taskdefinition", &name, "Current").await?;

    // Rolling out → InProgress: the Service rolls out revision 2, which moto never
    // reports as finished.
    until_kstatus(&ctx, service, &name, "InProgress").await?;
    let ready = ctx.kubectl_ns(&[
        "get",
        service,
        &name,
        "-o",
        "jsonpath={.status.conditions[?(@.type=='Ready')].reason}",
    ])?;
    ensure!(
        ready == "RolloutInProgress",
        "rolling Service's Ready reason is {ready:?}"
    );
    ctx.kubectl_ns(&["delete", "cluster", &taken, "--timeout=60s"])?;
    Ok(())
}

/// A ScheduledTask whose newest run failed is Current: the schedule is in place and
/// the next run may succeed, so it sets LastRunFailed, not Stalled.
pub fn a_schedule_whose_last_run_failed_reads_as_current(
    ctx: &TestContext,
    name: &str,
) -> Result<()> {
    let (status, message) = kstatus(ctx, "scheduledtask.ecs.operator.dev", name)?;
    ensure!(
        status == "Current",
        "ScheduledTask {name} is {status} to kstatus: {message}"
    );
    Ok(())
}

/// A completed Task is Current and a failed one Failed: kstatus reads Ready and Stalled,
/// not the Job-style Complete and Failed conditions, so the Task sets both.
pub fn finished_tasks_read_as_current_and_failed(
    ctx: &TestContext,
    completed: &str,
    failed: &str,
) -> Result<()> {
    for (name, wanted) in [(completed, "Current"), (failed, "Failed")] {
        let (status, message) = kstatus(ctx, "task.ecs.operator.dev", name)?;
        ensure!(
            status == wanted,
            "Task {name} is {status} to kstatus: {message}"
        );
    }
    Ok(())
}

/// A Ready CapacityProvider is Current.
pub fn a_ready_capacity_provider_reads_as_current(ctx: &TestContext, name: &str) -> Result<()> {
    let (status, message) = kstatus(ctx, "capacityprovider.ecs.operator.dev", name)?;
    ensure!(
        status == "Current",
        "CapacityProvider {name} is {status} to kstatus: {message}"
    );
    Ok(())
}
