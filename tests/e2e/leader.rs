//! Leader election, health, metrics and logs with two operator processes against the
//! real API server: only the leader calls AWS, a standby takes over after SIGKILL, and
//! SIGTERM releases the lease.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use crate::service::{apply_ready_service, in_moto};
use crate::support::operator::{self, Operator};
use crate::support::{TestContext, eventually};
use crate::task_definition::{revisions_in_moto, seed_manifest};

const LEASE: &str = "ecs-operator-e2e";
const LEASE_SECONDS: u64 = 6;

fn start(ctx: &TestContext, label: &str) -> Result<Operator> {
    let duration = format!("{LEASE_SECONDS}s");
    Operator::start(
        &ctx.env,
        label,
        &[
            "--namespace",
            &ctx.namespace,
            "--leader-election",
            "--leader-election-namespace",
            &ctx.namespace,
            "--leader-election-lease-name",
            LEASE,
            "--leader-election-lease-duration",
            &duration,
            "--log-format",
            "json",
            "--log-level",
            "info,ecs_operator=debug",
        ],
        &[],
    )
}

async fn until_leading(operator: &Operator, seconds: u64) -> Result<()> {
    eventually("the process to lead", seconds, || async {
        Ok((operator
            .metric_sum("ecs_operator_leader", &[])
            .unwrap_or(0.0)
            == 1.0)
            .then_some(()))
    })
    .await
}

fn aws_calls(operator: &Operator) -> Result<f64> {
    operator.metric_sum("ecs_operator_aws_api_calls_total", &[])
}

pub async fn only_the_leader_reconciles_and_a_standby_takes_over(ctx: TestContext) -> Result<()> {
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let first = start(&ctx, "leader-a")?;
    until_leading(&first, 30).await?;
    let second = start(&ctx, "leader-b")?;
    eventually("the standby to be ready", 30, || async {
        Ok((second.get("/readyz").map(|(code, _)| code).unwrap_or(0) == 200).then_some(()))
    })
    .await?;
    ensure!(first.get("/healthz")?.0 == 200, "/healthz of the leader");

    let cluster = ctx.unique_name("lead");
    let name = ctx.unique_name("web");
    apply_ready_service(&ctx, &ctx.namespace, &cluster, &name)?;
    let readyz = first.get("/readyz")?;
    ensure!(readyz.0 == 200, "/readyz of the leader: {readyz:?}");
    let (leader_calls, standby_calls) = (aws_calls(&first)?, aws_calls(&second)?);
    eprintln!("[e2e] AWS calls: leader {leader_calls}, standby {standby_calls}");
    ensure!(leader_calls > 0.0, "the leader made no AWS call");
    ensure!(
        standby_calls == 0.0,
        "the standby made {standby_calls} AWS calls"
    );
    ensure!(second.metric_sum("ecs_operator_leader", &[])? == 0.0);
    ensure!(
        first.metric_sum(
            "ecs_operator_objects",
            &["kind=\"service\"", "ready=\"True\""]
        )? == 1.0,
        "the leader counts one Ready service"
    );
    ensure!(
        first.metric_sum(
            "controller_runtime_reconcile_total",
            &["controller=\"service\""]
        )? > 0.0
    );

    let killed = Instant::now();
    first.kill()?;
    until_leading(&second, LEASE_SECONDS + 10).await?;
    let takeover = killed.elapsed();
    eprintln!(
        "[e2e] standby took over {} ms after SIGKILL (lease {LEASE_SECONDS} s)",
        takeover.as_millis()
    );
    // The lease may have been renewed just before the kill; the standby then polls.
    ensure!(
        takeover <= Duration::from_secs(LEASE_SECONDS + 2),
        "takeover took {takeover:?}"
    );

    ctx.apply(&seed_manifest(&name, "nginx:1.27"))?;
    eventually("the new leader to roll out revision 2", 40, || async {
        let (_, revision, _) = in_moto(&ctx, &cluster, &name).await?;
        Ok(revision.ends_with(&format!("/{name}:2")).then_some(()))
    })
    .await?;
    let services = ctx
        .ecs()
        .await
        .list_services()
        .cluster(&cluster)
        .send()
        .await?;
    ensure!(
        services.service_arns().len() == 1,
        "ECS holds {:?}",
        services.service_arns()
    );
    let revisions = revisions_in_moto(&ctx, &name).await?;
    ensure!(
        revisions.len() == 2,
        "revisions {revisions:?}: one per spec change"
    );

    json_logs_name_the_object_and_the_aws_request(&second, &name)?;

    ctx.kubectl_ns(&["delete", "ecssvc", &name, "--timeout=60s"])?;
    ctx.kubectl_ns(&["delete", "taskdefinition", &name, "--timeout=60s"])?;
    ctx.kubectl_ns(&["delete", "cluster", &cluster, "--timeout=60s"])?;

    let (status, took) = second.terminate(Duration::from_secs(30))?;
    eprintln!("[e2e] SIGTERM to exit: {} ms", took.as_millis());
    ensure!(status.success(), "the leader exited with {status}");
    ensure!(took < Duration::from_secs(10), "shutdown took {took:?}");
    let holder = ctx.kubectl_ns(&[
        "get",
        "lease",
        LEASE,
        "-o",
        "jsonpath={.spec.holderIdentity}",
    ])?;
    ensure!(holder.is_empty(), "the lease is still held by {holder:?}");
    Ok(())
}

/// A JSON log line from inside a reconcile carries the object's identity and the AWS request id.
fn json_logs_name_the_object_and_the_aws_request(operator: &Operator, name: &str) -> Result<()> {
    let log = std::fs::read_to_string(&operator.log)?;
    let line = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["name"] == name && line.get("request_id").is_some())
        .with_context(|| format!("no JSON log line about {name} with a request_id"))?;
    for field in ["controller", "namespace", "generation", "operation"] {
        ensure!(line.get(field).is_some(), "{field} missing from {line}");
    }
    Ok(())
}
