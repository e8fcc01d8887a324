//! A blue/green rollout held by a PAUSE hook, end to end against the emulator: the
//! Service says it is paused (kstatus InProgress), a RolloutApproval moves it on once,
//! and it is Ready only when ECS reports the service deployment SUCCESSFUL.

use anyhow::{Result, ensure};

use crate::kstatus::kstatus;
use crate::service::{cluster_manifest, service_manifest};
use crate::support::{TestContext, eventually, moto_network};
use crate::task_definition::seed_manifest;

const SERVICE: &str = "service.ecs.operator.dev";

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

fn status(ctx: &TestContext, name: &str, path: &str) -> Result<String> {
    ctx.kubectl_ns(&["get", SERVICE, name, "-o", &format!("jsonpath={{{path}}}")])
}

pub async fn a_paused_blue_green_rollout_waits_for_its_approval(ctx: TestContext) -> Result<()> {
    ctx.start_operator()?;
    let cluster = ctx.unique_name("bg");
    let name = ctx.unique_name("web");
    let (subnet, group) = moto_network(&ctx)?;
    ctx.apply(&cluster_manifest(&cluster))?;
    ctx.apply(&seed_manifest(&name, "nginx:1.26"))?;
    ctx.apply(&blue_green(&name, &cluster, &subnet, &group))?;

    let ready_reason = ".status.conditions[?(@.type=='Ready')].reason";
    eventually("the Service pauses at its hook", 120, || async {
        Ok((status(&ctx, &name, ready_reason)? == "RolloutPaused").then_some(()))
    })
    .await?;
    ensure!(status(&ctx, &name, ".status.rollout.stage")? == "POST_SCALE_UP");
    let (kstatus_said, message) = kstatus(&ctx, SERVICE, &name)?;
    ensure!(
        kstatus_said == "InProgress",
        "a paused Service is {kstatus_said}: {message}"
    );
    let arn = status(&ctx, &name, ".status.rollout.serviceDeploymentArn")?;
    let hook = status(
        &ctx,
        &name,
        ".status.rollout.hooks[?(@.status=='AWAITING_ACTION')].hookId",
    )?;
    ensure!(!hook.is_empty(), "status.rollout names the hook");

    // An approval of another deployment moves nothing.
    let elsewhere = format!("{arn}-not-this-one");
    ctx.apply(&approval("stale", &name, &elsewhere, &hook))?;
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    ensure!(status(&ctx, &name, ready_reason)? == "RolloutPaused");

    // A paused Service is looked at once a minute; the approval acts at the next look.
    ctx.apply(&approval("go", &name, &arn, &hook))?;
    let ready = ".status.conditions[?(@.type=='Ready')].status";
    eventually("the approved Service becomes Ready", 180, || async {
        Ok((status(&ctx, &name, ready)? == "True").then_some(()))
    })
    .await?;
    ensure!(status(&ctx, &name, ".status.rollout.status")? == "SUCCESSFUL");
    let promoted = ctx.kubectl_ns(&[
        "get",
        "events",
        "--field-selector",
        "reason=Promoted",
        "-o",
        "jsonpath={.items[*].message}",
    ])?;
    ensure!(
        promoted.contains("release-manager") && promoted.contains(&hook),
        "the Promoted Event names the approver and the hook: {promoted:?}"
    );
    Ok(())
}
