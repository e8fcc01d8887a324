//! Upgrading the operator: objects a previous release converged (its binary built from
//! `UPGRADE_FROM` in hack/testenv/versions.env) are taken over by this build, which must
//! find AWS already matching them: no AWS call but Describe and List. A changed stored
//! hash (a task definition's spec-hash tag, a Service's applied hash, an autoscaling
//! name) would show here as writes: a new revision, a redeployment, recreated policies.
//! One write is expected: the previous release registered the scalable target without
//! the ownership tags, so this build registers it once more, with them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};

use crate::autoscaling::quickstart;
use crate::support::operator::{self, Operator};
use crate::support::proxy::FaultProxy;
use crate::support::testenv::repo_root;
use crate::support::{TestContext, eventually, moto_network};

const OBJECTS: [(&str, &str); 3] = [
    ("cluster", "quickstart"),
    ("taskdefinition", "webserver"),
    ("service.ecs.operator.dev", "webserver"),
];

/// Where `make testenv` cached the previous release's binary.
fn previous_binary() -> Result<PathBuf> {
    let out = Command::new("bash")
        .arg("-c")
        .arg(". hack/testenv/lib.sh && printf %s \"$PREVIOUS_OPERATOR_BIN/ecs-operator\"")
        .current_dir(repo_root())
        .output()?;
    ensure!(out.status.success(), "hack/testenv/lib.sh failed");
    let binary = PathBuf::from(String::from_utf8(out.stdout)?);
    ensure!(
        binary.exists(),
        "{} is missing: make testenv builds it",
        binary.display()
    );
    Ok(binary)
}

/// Each object as stored: what a write by the operator (status, finalizer) would change.
fn stored(ctx: &TestContext) -> Result<BTreeMap<&'static str, String>> {
    OBJECTS
        .iter()
        .map(|(kind, name)| Ok((*kind, ctx.kubectl_ns(&["get", kind, name, "-o", "yaml"])?)))
        .collect()
}

pub async fn objects_converged_by_the_previous_release_need_no_aws_writes_after_upgrade(
    ctx: TestContext,
) -> Result<()> {
    // Two operators must never share the objects; this test runs each in turn.
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let args = [
        "--log-format",
        "text",
        "--log-level",
        "info,ecs_operator=debug",
        "--resync-interval",
        "5s",
    ];
    let previous = Operator::start_binary(&previous_binary()?, &ctx.env, "previous", &args, &[])?;
    let (subnet, group) = moto_network(&ctx)?;
    for file in ["cluster.yaml", "task-definition.yaml", "service.yaml"] {
        ctx.apply(&quickstart(&ctx, file, &subnet, &group)?)?;
    }
    for (kind, name) in OBJECTS {
        ctx.wait_ready(kind, name)?;
    }
    ctx.kubectl_ns(&[
        "wait",
        "service.ecs.operator.dev/webserver",
        "--for=condition=AutoscalingReady",
        "--timeout=60s",
    ])?;
    // Settled: the previous release's first checks after convergence may still record
    // news. Two resyncs (5 s each) without a write count as settled.
    let mut settled = stored(&ctx)?;
    let mut quiet = false;
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_secs(12)).await;
        let now = stored(&ctx)?;
        quiet = now == settled;
        if quiet {
            break;
        }
        settled = now;
    }
    ensure!(quiet, "the previous release kept writing its objects");
    let (exit, _) = previous.terminate(Duration::from_secs(30))?;
    ensure!(exit.success(), "the previous release exited with {exit}");

    let proxy = FaultProxy::start(&ctx.env, "upgrade", &[])?;
    let endpoint = proxy.endpoint();
    let upgraded = Operator::start(
        &ctx.env,
        "upgraded",
        &args,
        &[("AWS_ENDPOINT_URL", &endpoint)],
    )?;
    // The first reconcile after the start and two resyncs of every object.
    for controller in ["cluster", "taskdefinition", "service"] {
        let label = format!("controller=\"{controller}\"");
        eventually(&format!("three {controller} reconciles"), 60, || async {
            // Not listening yet counts as none so far.
            let done = upgraded
                .metric_sum("controller_runtime_reconcile_total", &[&label])
                .unwrap_or(0.0);
            Ok((done >= 3.0).then_some(()))
        })
        .await?;
    }

    let requests = proxy.stats()?["requests"]
        .as_object()
        .context("the proxy counts requests by operation")?
        .clone();
    ensure!(
        requests.contains_key("DescribeServices"),
        "the upgraded operator observed nothing: {requests:?}"
    );
    let retagged = requests
        .get("RegisterScalableTarget")
        .and_then(|n| n.as_u64());
    ensure!(
        retagged == Some(1),
        "the scalable target should be registered once, with its tags: {requests:?}"
    );
    let writes: Vec<_> = requests
        .iter()
        .filter(|(operation, _)| {
            !operation.starts_with("Describe")
                && !operation.starts_with("List")
                && *operation != "RegisterScalableTarget"
        })
        .collect();
    ensure!(
        writes.is_empty(),
        "the upgraded operator changed what the previous release converged: {writes:?}"
    );
    for (kind, name) in OBJECTS.iter().rev() {
        ctx.kubectl_ns(&["delete", kind, name, "--timeout=60s"])?;
    }
    let (exit, _) = upgraded.terminate(Duration::from_secs(30))?;
    ensure!(exit.success(), "the upgraded operator exited with {exit}");
    Ok(())
}
