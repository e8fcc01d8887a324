//! Tenancy end to end: what one namespace writes never lets the operator act on what
//! another namespace owns.

use anyhow::{Context, Result, ensure};

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
