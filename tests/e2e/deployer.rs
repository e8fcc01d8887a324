//! A CODE_DEPLOY service end to end against the emulator, which refuses what ECS
//! refuses for that controller: a new revision waits for CodeDeploy, and the move to
//! the ECS controller rolls it out in place.

use anyhow::{Context, Result, ensure};

use crate::service::{cluster_manifest, in_moto, service_manifest_with_breaker};
use crate::support::{TestContext, eventually, moto_network};
use crate::task_definition::seed_manifest;

fn field(ctx: &TestContext, name: &str, path: &str) -> Result<String> {
    ctx.kubectl_ns(&["get", "ecssvc", name, "-o", &format!("jsonpath={{{path}}}")])
}

/// The Service under `controller`, without a circuit breaker (which only the ECS
/// controller takes).
fn manifest(name: &str, cluster: &str, subnet: &str, group: &str, controller: &str) -> String {
    service_manifest_with_breaker(name, cluster, name, subnet, group, (false, false))
        + &format!("  deploymentController: {{type: {controller}}}\n")
}

pub async fn a_code_deploy_service_waits_for_its_deployer_then_moves_to_ecs_in_place(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let (subnet, group) = moto_network(&ctx)?;
    let cluster = ctx.unique_name("bluegreen");
    let name = ctx.unique_name("web");
    ctx.apply(&cluster_manifest(&cluster))?;
    ctx.apply(&seed_manifest(&name, "nginx:1.26"))?;
    ctx.apply(&manifest(&name, &cluster, &subnet, &group, "CODE_DEPLOY"))?;
    ctx.wait_ready("service.ecs.operator.dev", &name)?;
    let task_sets = field(&ctx, &name, ".status.deployer.taskSets[*].status")?;
    ensure!(task_sets == "PRIMARY", "task sets: {task_sets:?}");

    ctx.apply(&seed_manifest(&name, "nginx:1.27"))?;
    eventually("the Service waiting for CodeDeploy", 60, || async {
        let reason = field(
            &ctx,
            &name,
            ".status.conditions[?(@.type==\"Ready\")].reason",
        )?;
        let wanted = field(&ctx, &name, ".status.deployer.taskDefinition")?;
        Ok((reason == "AwaitingDeployer" && wanted.ends_with(&format!("/{name}:2"))).then_some(()))
    })
    .await?;
    let stalled = field(
        &ctx,
        &name,
        ".status.conditions[?(@.type==\"Stalled\")].status",
    )?;
    ensure!(
        stalled != "True",
        "a revision CodeDeploy must deploy is not a spec error"
    );
    let (_, running, _) = in_moto(&ctx, &cluster, &name).await?;
    ensure!(
        running.ends_with(&format!("/{name}:1")),
        "ECS runs {running}"
    );

    ctx.apply(&manifest(&name, &cluster, &subnet, &group, "ECS"))?;
    ctx.wait_ready("service.ecs.operator.dev", &name)?;
    let (_, running, _) = in_moto(&ctx, &cluster, &name).await?;
    ensure!(
        running.ends_with(&format!("/{name}:2")),
        "ECS runs {running}"
    );
    let described = ctx
        .ecs()
        .await
        .describe_services()
        .cluster(&cluster)
        .services(&name)
        .send()
        .await?;
    let service = described.services().first().context("the service")?;
    let controller = service.deployment_controller().map(|c| c.r#type().as_str());
    ensure!(controller == Some("ECS"), "controller {controller:?}");
    let deployer = field(&ctx, &name, ".status.deployer")?;
    ensure!(deployer.is_empty(), "status.deployer left: {deployer}");
    ctx.kubectl_ns(&["delete", "ecssvc", &name, "--timeout=120s"])?;
    Ok(())
}
