//! A blue/green rollout held by a PAUSE hook, end to end against the emulator: the
//! Service says it is paused (kstatus InProgress), `kubectl ecs promote` moves it on
//! once, and it is Ready only when ECS reports the service deployment SUCCESSFUL. An
//! operator killed while a deployment is paused neither continues nor rolls it back
//! when it comes back; `kubectl ecs abort` rolls it back. Between deployments, idle
//! resyncs read no service deployment.

use std::time::Duration;

use anyhow::{Context, Result, ensure};

use crate::kstatus::kstatus;
use crate::service::{cluster_manifest, service_manifest};
use crate::support::operator::{self, Operator};
use crate::support::testenv::scratch_dir;
use crate::support::{TestContext, eventually, moto_network};
use crate::task_definition::seed_manifest;

pub(crate) const SERVICE: &str = "service.ecs.operator.dev";

/// The e2e Service, deployed BLUE_GREEN with a PAUSE hook after scale-up. Its
/// deploymentConfiguration is the manifest's last block, so the settings extend it.
fn blue_green(name: &str, cluster: &str, subnet: &str, group: &str) -> String {
    service_manifest(name, cluster, name, subnet, group)
        + "    strategy: BLUE_GREEN
    bakeTimeInMinutes: 0
    lifecycleHooks:
      - targetType: PAUSE
        lifecycleStages: [POST_SCALE_UP]
"
}

fn approval(name: &str, service: &str, arn: &str, hook: &str) -> String {
    format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: RolloutApproval\nmetadata:\n  name: {name}\n\
         spec:\n  service: {service}\n  serviceDeploymentArn: {arn}\n  hookId: {hook}\n  \
         approvedBy: release-manager\n"
    )
}

pub(crate) fn status(ctx: &TestContext, name: &str, path: &str) -> Result<String> {
    ctx.kubectl_ns(&["get", SERVICE, name, "-o", &format!("jsonpath={{{path}}}")])
}

pub(crate) const READY_REASON: &str = ".status.conditions[?(@.type=='Ready')].reason";

/// `kubectl ecs <args> -n <namespace>`, the operator binary found by kubectl as the
/// plugin `kubectl-ecs` on PATH, as a user installs it.
pub(crate) fn kubectl_ecs(ctx: &TestContext, args: &[&str]) -> Result<String> {
    kubectl_ecs_as(ctx, None, &ctx.namespace, args)
}

/// `kubectl ecs` in `namespace` with another kubeconfig (another identity) if given.
pub(crate) fn kubectl_ecs_as(
    ctx: &TestContext,
    kubeconfig: Option<&str>,
    namespace: &str,
    args: &[&str],
) -> Result<String> {
    let bin = scratch_dir().join("e2e-kubectl-plugin");
    std::fs::create_dir_all(&bin)?;
    let plugin = bin.join("kubectl-ecs");
    if !plugin.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ecs-operator"), &plugin)?;
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = std::process::Command::new(ctx.env.var("KUBECTL"));
    command
        .arg("ecs")
        .args(args)
        .args(["-n", namespace])
        .envs(ctx.env.vars())
        .env("PATH", path);
    if let Some(kubeconfig) = kubeconfig {
        command.env("KUBECONFIG", kubeconfig);
    }
    let out = command.output().context("running kubectl ecs")?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(
        out.status.success(),
        "kubectl ecs {args:?} failed: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(said)
}

pub(crate) async fn until_reason(
    ctx: &TestContext,
    name: &str,
    wanted: &str,
    seconds: u64,
) -> Result<()> {
    eventually(&format!("the Service is {wanted}"), seconds, || async {
        Ok((status(ctx, name, READY_REASON)? == wanted).then_some(()))
    })
    .await
}

/// The Service's current deployment ARN and the hook awaiting action.
fn paused_at(ctx: &TestContext, name: &str) -> Result<(String, String)> {
    let arn = status(ctx, name, ".status.rollout.serviceDeploymentArn")?;
    let hook = status(
        ctx,
        name,
        ".status.rollout.hooks[?(@.status=='AWAITING_ACTION')].hookId",
    )?;
    ensure!(!hook.is_empty(), "status.rollout names the hook");
    Ok((arn, hook))
}

/// The task definition ECS's service runs now.
pub(crate) async fn serving(ctx: &TestContext, cluster: &str, service: &str) -> Result<String> {
    let described = ctx
        .ecs()
        .await
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await?;
    Ok(described
        .services()
        .first()
        .and_then(|s| s.task_definition())
        .unwrap_or_default()
        .to_string())
}

/// The health Argo CD's script (deploy/argocd/health.lua, under Lua 5.1) gives the live
/// Service: `STATUS: message`.
pub(crate) fn argocd_health(ctx: &TestContext, name: &str) -> Result<String> {
    let object = ctx.kubectl_ns(&["get", SERVICE, name, "-o", "json"])?;
    let script = crate::support::testenv::repo_root().join("hack/argocd/argo_health.py");
    let mut child = std::process::Command::new(ctx.env.var("ARGOCD_HEALTH_PYTHON"))
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    std::io::Write::write_all(&mut child.stdin.take().context("stdin")?, object.as_bytes())?;
    let out = child.wait_with_output()?;
    ensure!(out.status.success(), "the Argo CD health script failed");
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

/// The message of the Service's Ready condition.
pub(crate) fn ready_message(ctx: &TestContext, name: &str) -> Result<String> {
    status(ctx, name, ".status.conditions[?(@.type=='Ready')].message")
}

pub(crate) fn event_messages(ctx: &TestContext, reason: &str) -> Result<String> {
    ctx.kubectl_ns(&[
        "get",
        "events",
        "--field-selector",
        &format!("reason={reason}"),
        "-o",
        "jsonpath={.items[*].message}",
    ])
}

/// A Cluster, a TaskDefinition and the blue/green Service, paused at its hook on create:
/// the cluster's and the Service's names.
async fn paused_on_create(ctx: &TestContext, prefix: &str) -> Result<(String, String)> {
    let cluster = ctx.unique_name(prefix);
    let name = ctx.unique_name("web");
    let (subnet, group) = moto_network(ctx)?;
    ctx.apply(&cluster_manifest(&cluster))?;
    ctx.apply(&seed_manifest(&name, "nginx:1.26"))?;
    ctx.apply(&blue_green(&name, &cluster, &subnet, &group))?;
    until_reason(ctx, &name, "RolloutPaused", 120).await?;
    Ok((cluster, name))
}

pub async fn a_paused_blue_green_rollout_waits_for_its_approval(ctx: TestContext) -> Result<()> {
    ctx.start_operator()?;
    let (_, name) = paused_on_create(&ctx, "bg").await?;
    ensure!(status(&ctx, &name, ".status.rollout.stage")? == "POST_SCALE_UP");
    let (kstatus_said, message) = kstatus(&ctx, SERVICE, &name)?;
    ensure!(
        kstatus_said == "InProgress",
        "a paused Service is {kstatus_said}: {message}"
    );
    let health = argocd_health(&ctx, &name)?;
    ensure!(
        health.starts_with("Suspended"),
        "Argo CD health of a paused Service: {health}"
    );
    let (arn, hook) = paused_at(&ctx, &name)?;
    let shown = kubectl_ecs(&ctx, &["status", &name])?;
    ensure!(
        shown.contains("POST_SCALE_UP") && shown.contains(&hook),
        "kubectl ecs status shows the stage and the hook:\n{shown}"
    );

    // An approval of another deployment moves nothing.
    let elsewhere = format!("{arn}-not-this-one");
    ctx.apply(&approval("stale", &name, &elsewhere, &hook))?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    ensure!(status(&ctx, &name, READY_REASON)? == "RolloutPaused");

    // The approval wakes the Service: it acts without waiting for the next poll.
    let said = kubectl_ecs(&ctx, &["promote", &name])?;
    ensure!(said.contains(&arn), "promote names the deployment: {said}");
    let approver = ctx.kubectl_ns(&[
        "get",
        "rolloutapprovals",
        "-o",
        &format!("jsonpath={{.items[?(@.spec.serviceDeploymentArn=='{arn}')].spec.approvedBy}}"),
    ])?;
    ensure!(!approver.is_empty(), "the plugin names the approver");
    // Well inside the minute between polls of a paused Service.
    eventually("the approval is acted on", 20, || async {
        Ok((!event_messages(&ctx, "Promoted")?.is_empty()).then_some(()))
    })
    .await?;
    let ready = ".status.conditions[?(@.type=='Ready')].status";
    eventually("the approved Service becomes Ready", 180, || async {
        Ok((status(&ctx, &name, ready)? == "True").then_some(()))
    })
    .await?;
    ensure!(status(&ctx, &name, ".status.rollout.status")? == "SUCCESSFUL");
    let promoted = event_messages(&ctx, "Promoted")?;
    ensure!(
        promoted.contains(approver.trim()) && promoted.contains(&hook),
        "the Promoted Event names the approver and the hook: {promoted:?}"
    );
    Ok(())
}

pub async fn a_paused_rollout_survives_an_operator_restart_until_aborted(
    ctx: TestContext,
) -> Result<()> {
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let args = [
        "--namespace",
        ctx.namespace.as_str(),
        "--resync-interval",
        "2s",
    ];
    let first = Operator::start(&ctx.env, "paused-first", &args, &[])?;
    let (cluster, name) = paused_on_create(&ctx, "bgr").await?;
    kubectl_ecs(&ctx, &["promote", &name])?;
    until_reason(&ctx, &name, "Ready", 60).await?;

    // Between deployments a staged Service costs what a rolling one does.
    let reads = |op: &Operator| {
        op.metric_sum(
            "ecs_operator_aws_api_calls_total",
            &["operation=\"DescribeServiceDeployments\""],
        )
    };
    let looks = |op: &Operator| {
        op.metric_sum(
            "controller_runtime_reconcile_total",
            &["controller=\"service\""],
        )
    };
    let (read, looked) = (reads(&first)?, looks(&first)?);
    eventually("20 idle resyncs of the Service", 120, || async {
        Ok((looks(&first)? >= looked + 20.0).then_some(()))
    })
    .await?;
    let idle_reads = reads(&first)? - read;
    eprintln!(
        "[e2e] {} idle resyncs of a BLUE_GREEN Service: {idle_reads} DescribeServiceDeployments calls",
        looks(&first)? - looked
    );
    ensure!(
        idle_reads == 0.0,
        "idle resyncs read the service deployment {idle_reads} times"
    );

    // A second revision pauses at the same hook; the operator dies meanwhile.
    ctx.apply(&seed_manifest(&name, "nginx:1.27"))?;
    until_reason(&ctx, &name, "RolloutPaused", 120).await?;
    let (arn, _) = paused_at(&ctx, &name)?;
    first.kill()?;
    let second = Operator::start(&ctx.env, "paused-second", &args, &[])?;
    eventually(
        "the restarted operator looks at the Service",
        60,
        || async {
            // Until its HTTP server listens, count nothing.
            let looked = second
                .metric_sum(
                    "controller_runtime_reconcile_total",
                    &["controller=\"service\""],
                )
                .unwrap_or_default();
            Ok((looked >= 1.0).then_some(()))
        },
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let deployment = ctx
        .ecs()
        .await
        .describe_service_deployments()
        .service_deployment_arns(&arn)
        .send()
        .await?;
    let held = deployment
        .service_deployments()
        .first()
        .context("the deployment")?;
    ensure!(
        held.status().map(|s| s.as_str()) == Some("IN_PROGRESS"),
        "after the restart the deployment is {:?}",
        held.status()
    );
    ensure!(status(&ctx, &name, READY_REASON)? == "RolloutPaused");
    for answered in ["ContinueServiceDeployment", "StopServiceDeployment"] {
        let calls = second.metric_sum(
            "ecs_operator_aws_api_calls_total",
            &[&format!("operation=\"{answered}\"")],
        )?;
        ensure!(
            calls == 0.0,
            "the restarted operator called {answered} {calls} times"
        );
    }
    let in_flight = second.metric_sum(
        "ecs_operator_rollouts_in_flight",
        &["strategy=\"BLUE_GREEN\"", "phase=\"RolloutPaused\""],
    )?;
    ensure!(in_flight == 1.0, "rollouts in flight, paused: {in_flight}");

    kubectl_ecs(&ctx, &["abort", &name])?;
    until_reason(&ctx, &name, "RolledBack", 60).await?;
    let aborted = event_messages(&ctx, "RolloutAborted")?;
    ensure!(
        aborted.contains(&arn),
        "the RolloutAborted Event names the deployment: {aborted:?}"
    );
    let serving = serving(&ctx, &cluster, &name).await?;
    ensure!(
        serving.ends_with(":1"),
        "after the abort ECS serves {serving}"
    );
    let stops = second.metric_sum(
        "ecs_operator_aws_api_calls_total",
        &["operation=\"StopServiceDeployment\""],
    )?;
    ensure!(stops == 1.0, "StopServiceDeployment sent {stops} times");
    second.terminate(Duration::from_secs(30))?;
    Ok(())
}
