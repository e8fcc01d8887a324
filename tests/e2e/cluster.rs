//! The Cluster kind end to end: the operator binary against the real API
//! server and moto, driven with kubectl.

use std::time::Instant;

use anyhow::{Result, ensure};
use aws_sdk_ecs::types::ClusterField;

use crate::support::{TestContext, eventually};

fn manifest(name: &str, insights: &str, extra: &str) -> String {
    format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: {name}\nspec:\n  settings:\n  - name: containerInsights\n    value: {insights}\n  tags:\n    team: payments\n{extra}"
    )
}

/// The ECS status and containerInsights value moto holds for `name`, if any.
async fn in_moto(ctx: &TestContext, name: &str) -> Result<Option<(String, Option<String>)>> {
    let out = ctx
        .ecs()
        .await
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Settings)
        .send()
        .await?;
    Ok(out.clusters().first().map(|c| {
        let insights = c
            .settings()
            .iter()
            .find_map(|s| s.value().map(str::to_string));
        (c.status().unwrap_or_default().to_string(), insights)
    }))
}

pub async fn cluster_lifecycle_from_apply_to_delete(ctx: TestContext) -> Result<()> {
    ctx.start_operator()?;
    let name = ctx.unique_name("lc");

    let applied = Instant::now();
    ctx.apply(&manifest(&name, "enabled", ""))?;
    ctx.wait_ready("cluster", &name)?;
    eprintln!(
        "[e2e] kubectl apply -> Ready: {:.2}s",
        applied.elapsed().as_secs_f64()
    );

    let arn = ctx.kubectl_ns(&["get", "cluster", &name, "-o", "jsonpath={.status.arn}"])?;
    ensure!(
        arn.ends_with(&format!(":cluster/{name}")),
        "status.arn is {arn:?}"
    );
    let (status, insights) = in_moto(&ctx, &name).await?.expect("cluster in moto");
    ensure!(
        status == "ACTIVE" && insights.as_deref() == Some("enabled"),
        "moto has {status} {insights:?}"
    );

    let events = ctx.kubectl_ns(&[
        "get",
        "events",
        "--field-selector",
        &format!("involvedObject.name={name}"),
        "-o",
        "jsonpath={.items[*].reason}",
    ])?;
    ensure!(
        events.split_whitespace().any(|r| r == "Created"),
        "Events on the Cluster: {events:?}"
    );

    let listing = ctx.kubectl_ns(&["get", "ecs"])?;
    let header: Vec<_> = listing
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    ensure!(
        header == ["NAME", "READY", "REASON", "ARN", "AGE"],
        "kubectl get ecs header: {header:?}"
    );
    ensure!(
        listing.contains(&arn) && listing.contains("True"),
        "kubectl get ecs:\n{listing}"
    );

    ctx.apply(&manifest(&name, "disabled", ""))?;
    eventually("containerInsights disabled in moto", 30, || async {
        Ok(in_moto(&ctx, &name)
            .await?
            .filter(|(_, i)| i.as_deref() == Some("disabled")))
    })
    .await?;
    ctx.kubectl_ns(&[
        "wait",
        &format!("cluster/{name}"),
        "--for=jsonpath={.status.observedGeneration}=2",
        "--timeout=30s",
    ])?;

    ctx.kubectl_ns(&["delete", "cluster", &name, "--timeout=60s"])?;
    let (status, _) = in_moto(&ctx, &name)
        .await?
        .unwrap_or(("MISSING".into(), None));
    ensure!(
        status == "INACTIVE" || status == "MISSING",
        "after delete moto reports {status}"
    );
    Ok(())
}

pub async fn retained_cluster_stays_in_aws(ctx: TestContext) -> Result<()> {
    ctx.start_operator()?;
    let name = ctx.unique_name("keep");
    ctx.apply(&manifest(&name, "enabled", "  deletionPolicy: Retain\n"))?;
    ctx.wait_ready("cluster", &name)?;
    ctx.kubectl_ns(&["delete", "cluster", &name, "--timeout=60s"])?;
    let (status, _) = in_moto(&ctx, &name)
        .await?
        .expect("retained cluster still in moto");
    ensure!(status == "ACTIVE", "retained cluster is {status}");
    Ok(())
}

pub async fn immutable_name_and_bad_strategy_are_refused_by_the_api_server(
    ctx: TestContext,
) -> Result<()> {
    // Admission alone: no operator needed.
    ctx.apply(&manifest("fixed", "enabled", "  clusterName: fixed-name\n"))?;
    let message = ctx.refused(&manifest("fixed", "enabled", "  clusterName: other-name\n"))?;
    ensure!(
        message.contains("spec.clusterName is immutable"),
        "message: {message}"
    );

    let two_bases = "  capacityProviders: [FARGATE, FARGATE_SPOT]\n  defaultCapacityProviderStrategy:\n  - {capacityProvider: FARGATE, base: 1}\n  - {capacityProvider: FARGATE_SPOT, base: 1}\n";
    let message = ctx.refused(&manifest("bases", "enabled", two_bases))?;
    ensure!(
        message.contains("spec.defaultCapacityProviderStrategy"),
        "message: {message}"
    );

    // An operator started by an earlier test may have taken the object on; let it clean up
    // now, so the namespace can go once the run ends.
    ctx.kubectl_ns(&["delete", "cluster", "fixed", "--timeout=60s"])?;
    Ok(())
}

/// Calls queued behind the client-side rate limit wait for their token and are then
/// sent: with cluster-write at 1 call per 5 s, four Clusters are created and deleted,
/// the last ones after waits longer than the SDK's 5 s upload stall grace (before the
/// fix every such attempt failed before it was sent, and the deletions never ended).
pub async fn calls_queued_behind_the_rate_limit_are_sent_when_their_turn_comes(
    ctx: TestContext,
) -> Result<()> {
    ensure!(
        crate::support::operator::stop(),
        "the shared operator did not stop cleanly"
    );
    let operator = crate::support::operator::Operator::start(
        &ctx.env,
        "rate-limited",
        &[
            "--namespace",
            &ctx.namespace,
            "--aws-rate-limit",
            "cluster-write=1:0.2",
        ],
        &[],
    )?;
    let names: Vec<String> = (0..4)
        .map(|i| ctx.unique_name(&format!("queued{i}")))
        .collect();
    for name in &names {
        ctx.apply(&format!(
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: Cluster\nmetadata: {{name: {name}}}\nspec: {{}}\n"
        ))?;
    }
    for name in &names {
        ctx.wait_ready("cluster", name)?;
    }
    for name in &names {
        ctx.kubectl_ns(&["delete", "cluster", name, "--wait=false"])?;
    }
    eventually("every Cluster deleted", 90, || async {
        let left = ctx.kubectl_ns(&["get", "clusters.ecs.operator.dev", "-o", "name"])?;
        Ok(left.trim().is_empty().then_some(()))
    })
    .await?;
    drop(operator);
    Ok(())
}
