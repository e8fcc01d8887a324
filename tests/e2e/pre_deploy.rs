//! Pre-deploy tasks against the emulator: a Service's migration runs on each new
//! revision before the rollout, a failed one holds the Service on its revision, and an
//! operator killed while a migration runs starts no second one.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result, ensure};

use crate::service::{cluster_manifest, in_moto, service_manifest_with_breaker};
use crate::support::{TestContext, eventually, moto_network, operator};
use crate::task::{ecs_tasks, namespace_operator};
use crate::task_definition::seed_manifest;

/// The migration: 60 emulated seconds (6 s at the test clock's speed), then exit 0.
const MIGRATE: &str = r#"["sh", "-c", "sleep 60; exit 0"]"#;

fn migrating_service(name: &str, cluster: &str, td: &str, network: &(String, String)) -> String {
    let (subnet, group) = network;
    let service = service_manifest_with_breaker(name, cluster, td, subnet, group, (true, true));
    format!(
        "{service}  preDeploy:\n    containerOverrides:\n      - name: web\n        command: {MIGRATE}\n    activeDeadlineSeconds: 600\n"
    )
}

fn field(ctx: &TestContext, name: &str, path: &str) -> Result<String> {
    ctx.kubectl_ns(&[
        "get",
        "service.ecs.operator.dev",
        name,
        "-o",
        &format!("jsonpath={{{path}}}"),
    ])
}

/// Migration tasks of the Service `name` in `cluster`, counted per revision
/// (family:revision), found by the operator's tags.
async fn migrations(
    ctx: &TestContext,
    cluster: &str,
    name: &str,
) -> Result<BTreeMap<String, usize>> {
    let mut counts = BTreeMap::new();
    for task in ecs_tasks(ctx, cluster).await? {
        let named = task
            .tags()
            .iter()
            .any(|t| t.key() == Some("ecs.operator.dev/name") && t.value() == Some(name));
        let started_by_operator = task
            .started_by()
            .is_some_and(|s| s.starts_with("ecs-operator/"));
        if named && started_by_operator {
            let revision = task
                .task_definition_arn()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            *counts.entry(revision).or_default() += 1;
        }
    }
    Ok(counts)
}

async fn until_reason(ctx: &TestContext, name: &str, wanted: &str) -> Result<()> {
    let what = format!("Service {name} Ready reason {wanted}");
    let waited = eventually(&what, 120, || async {
        let reason = field(ctx, name, ".status.conditions[?(@.type=='Ready')].reason")?;
        Ok((reason == wanted).then_some(()))
    })
    .await;
    if waited.is_err() {
        let conditions = field(ctx, name, ".status.conditions")?;
        anyhow::bail!("Service {name} never reached {wanted}; conditions {conditions}");
    }
    Ok(())
}

pub async fn a_migration_runs_once_per_revision_before_its_rollout_and_a_failed_one_holds_the_service(
    ctx: TestContext,
) -> Result<()> {
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let cluster = ctx.unique_name("shop");
    let td = ctx.unique_name("web");
    let name = "web";
    let family = td.clone();
    let network = moto_network(&ctx)?;
    let mut current = namespace_operator(&ctx, "pre-deploy-0")?;
    ctx.apply(&cluster_manifest(&cluster))?;
    ctx.apply(&seed_manifest(&td, "busybox:1.36"))?;
    ctx.wait_ready("taskdefinition", &td)?;
    ctx.apply(&migrating_service(name, &cluster, &td, &network))?;

    // Killed twice while the first migration runs: still one migration task.
    until_reason(&ctx, name, "PreDeployRunning").await?;
    for run in 1..=2 {
        current.kill()?;
        current = namespace_operator(&ctx, &format!("pre-deploy-{run}"))?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let created = eventually(
        "the Service Ready after its first migration",
        120,
        || async {
            let ready = field(&ctx, name, ".status.conditions[?(@.type=='Ready')].status")?;
            Ok((ready == "True").then_some(()))
        },
    )
    .await;
    let log = current.log.clone();
    created.with_context(|| format!("operator log: {}", log.display()))?;
    let first = migrations(&ctx, &cluster, name).await?;
    let revision = |n: u32| format!("{family}:{n}");
    ensure!(
        first == BTreeMap::from([(revision(1), 1)]),
        "one migration of revision 1, however often the operator was killed: {first:?}"
    );
    ensure!(field(&ctx, name, ".status.preDeploy.exitCodes")? == "0");

    // Revision 2's image cannot be pulled: its migration fails, the rollout does not happen.
    ctx.apply(&seed_manifest(&td, "busybox:does-not-exist"))?;
    until_reason(&ctx, name, "PreDeployFailed").await?;
    let message = field(
        &ctx,
        name,
        ".status.conditions[?(@.type=='Stalled')].message",
    )?;
    // For docs/service.md, which shows this output.
    eprintln!(
        "[e2e] {}\n[e2e] Stalled: {message}",
        ctx.kubectl_ns(&["get", "ecssvc", name])?
    );
    ensure!(message.contains("CannotPullContainerError"), "{message}");
    ensure!(
        message.contains(&format!("stays on {}", revision(1))),
        "{message}"
    );
    let (_, live, _) = in_moto(&ctx, &cluster, name).await?;
    ensure!(
        live.ends_with(&revision(1)),
        "ECS still runs revision 1, not {live}"
    );

    // Fixing the image makes revision 3: one migration, then the rollout.
    ctx.apply(&seed_manifest(&td, "busybox:1.37"))?;
    eventually("the Service Ready on revision 3", 120, || async {
        let ready = field(&ctx, name, ".status.conditions[?(@.type=='Ready')].status")?;
        let (_, live, _) = in_moto(&ctx, &cluster, name).await?;
        Ok((ready == "True" && live.ends_with(&revision(3))).then_some(()))
    })
    .await?;
    let all = migrations(&ctx, &cluster, name).await?;
    ensure!(
        all == BTreeMap::from([(revision(1), 1), (revision(2), 1), (revision(3), 1)]),
        "one migration per revision: {all:?}"
    );
    // This operator saw revision 2's task fail to start and revision 3's succeed.
    let runs = |result: &str, code: &str| {
        current.metric_sum(
            "ecs_operator_task_runs_total",
            &[
                "controller=\"service\"",
                &format!("result=\"{result}\""),
                &format!("stop_code=\"{code}\""),
            ],
        )
    };
    ensure!(
        runs("failed", "TaskFailedToStart")? == 1.0,
        "one failed run counted"
    );
    ensure!(
        runs("succeeded", "EssentialContainerExited")? >= 1.0,
        "the succeeded run counted"
    );
    ctx.kubectl_ns(&["delete", "service.ecs.operator.dev", name, "--timeout=90s"])?;
    current.terminate(Duration::from_secs(30))?;
    Ok(())
}
