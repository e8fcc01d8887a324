//! Tenancy end to end: what one namespace writes never lets the operator act on what
//! another namespace owns.

use anyhow::{Context, Result, ensure};

use crate::support::operator::{self, Operator};
use crate::support::{TestContext, eventually};

/// A second namespace's Cluster that names team A's ECS cluster and asks to adopt it
/// is Stalled OwnedElsewhere, and deleting it leaves team A's cluster running with
/// team A's tags (the takeover the security review reproduced).
pub async fn a_cluster_of_another_namespace_cannot_be_adopted_or_deleted(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let name = ctx.unique_name("tenant");
    let team_b = format!("{}-b", ctx.namespace);
    ctx.kubectl(&["create", "namespace", &team_b])?;
    let manifest = |adopt: &str| {
        format!(
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: {name}\n\
             spec:\n  adoptionPolicy: {adopt}\n"
        )
    };
    ctx.apply(&manifest("Never"))?;
    ctx.wait_ready("cluster", &name)?;
    let uid = ctx.kubectl_ns(&["get", "cluster", &name, "-o", "jsonpath={.metadata.uid}"])?;

    ctx.apply_in(&team_b, &manifest("Adopt"))?;
    ctx.kubectl(&[
        "wait",
        "-n",
        &team_b,
        &format!("cluster/{name}"),
        "--for=condition=Stalled",
        "--timeout=60s",
    ])?;
    let reason = ctx.kubectl(&[
        "get",
        "-n",
        &team_b,
        "cluster",
        &name,
        "-o",
        r#"jsonpath={.status.conditions[?(@.type=="Stalled")].reason}"#,
    ])?;
    ensure!(
        reason == "OwnedElsewhere",
        "team B's Cluster is Stalled {reason:?}"
    );

    ctx.kubectl(&["delete", "namespace", &team_b, "--timeout=60s"])?;
    let owner = eventually("team A's cluster as ECS describes it", 10, || async {
        let out = ctx
            .ecs()
            .await
            .describe_clusters()
            .clusters(&name)
            .include(aws_sdk_ecs::types::ClusterField::Tags)
            .send()
            .await?;
        let cluster = out.clusters().first().context("the cluster is in ECS")?;
        let tag = cluster
            .tags()
            .iter()
            .find(|t| t.key() == Some("ecs.operator.dev/uid"))
            .and_then(|t| t.value())
            .map(str::to_string);
        Ok(Some((
            cluster.status().unwrap_or_default().to_string(),
            tag,
        )))
    })
    .await?;
    ensure!(
        owner == ("ACTIVE".to_string(), Some(uid)),
        "team A's cluster after team B's object went: {owner:?}"
    );
    let ready = ctx.kubectl_ns(&[
        "get",
        "cluster",
        &name,
        "-o",
        r#"jsonpath={.status.conditions[?(@.type=="Ready")].status}"#,
    ])?;
    ensure!(ready == "True", "team A's Cluster is Ready={ready}");
    Ok(())
}

/// `n` distinct region names that pass the CRD's pattern: zz-aaa-1, zz-aab-1, ...
fn made_up_regions(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let letter = |k: usize| char::from(b'a' + u8::try_from((i / k) % 26).unwrap());
            format!("zz-{}{}{}-1", letter(676), letter(26), letter(1))
        })
        .collect()
}

/// Regions are the admin's: 500 Clusters naming 500 regions the operator does not
/// serve are all Stalled RegionNotAllowed, no SDK client is built for any of them,
/// and the operator's memory grows by less than the stated bound (a client per
/// region would cost about 1 MiB each, and the first tenant could OOM-kill the rest).
pub async fn objects_in_regions_the_operator_does_not_serve_stall_without_clients(
    ctx: TestContext,
) -> Result<()> {
    const OBJECTS: usize = 500;
    /// Stated in docs/security.md: 500 objects' cache entries, status and Events.
    const RSS_GROWTH_BOUND: u64 = 24 * 1024 * 1024;
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let operator = Operator::start(
        &ctx.env,
        "regions",
        &[
            "--namespace",
            &ctx.namespace,
            "--allowed-regions",
            "us-east-1,eu-west-1",
        ],
        &[],
    )?;
    eventually("the operator ready", 30, || async {
        Ok(matches!(operator.get("/readyz"), Ok((200, _))).then_some(()))
    })
    .await?;
    let clients_before = operator.metric_sum("ecs_operator_aws_regions", &[])?;
    ensure!(
        clients_before == 2.0,
        "{clients_before} regions with clients"
    );
    let rss_before = operator.rss_bytes()?;

    let manifests: Vec<String> = made_up_regions(OBJECTS)
        .iter()
        .enumerate()
        .map(|(i, region)| {
            format!(
                "apiVersion: ecs.operator.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: region-{i}\nspec:\n  region: {region}\n"
            )
        })
        .collect();
    ctx.env.kubectl_stdin(
        &["apply", "--server-side", "-n", &ctx.namespace, "-f", "-"],
        &manifests.join("---\n"),
    )?;
    eventually("every Cluster Stalled RegionNotAllowed", 180, || async {
        let reasons = ctx.kubectl_ns(&[
            "get",
            "clusters",
            "-o",
            r#"jsonpath={range .items[*]}{.status.conditions[?(@.type=="Stalled")].reason}{"\n"}{end}"#,
        ])?;
        let stalled = reasons.lines().filter(|r| *r == "RegionNotAllowed").count();
        Ok((stalled == OBJECTS).then_some(()))
    })
    .await?;
    let message = ctx.kubectl_ns(&[
        "get",
        "cluster",
        "region-0",
        "-o",
        r#"jsonpath={.status.conditions[?(@.type=="Stalled")].message}"#,
    ])?;
    ensure!(
        message.contains("spec.region zz-aaa-1") && message.contains("(eu-west-1, us-east-1)"),
        "{message}"
    );
    let rss_after = operator.rss_bytes()?;
    let grown = rss_after.saturating_sub(rss_before);
    eprintln!(
        "[e2e] {OBJECTS} objects in unserved regions: RSS {} -> {} MiB",
        rss_before / (1024 * 1024),
        rss_after / (1024 * 1024)
    );
    ensure!(
        grown < RSS_GROWTH_BOUND,
        "RSS grew by {} MiB",
        grown / (1024 * 1024)
    );
    ensure!(
        operator.metric_sum("ecs_operator_aws_regions", &[])? == clients_before,
        "SDK clients were built for regions the operator does not serve"
    );
    ctx.kubectl_ns(&["delete", "clusters", "--all", "--timeout=120s"])?;
    operator.terminate(std::time::Duration::from_secs(30))?;
    Ok(())
}
