//! The Service kind end to end: Cluster, TaskDefinition and Service objects driven with
//! kubectl against the real API server, the operator binary and moto.

use std::time::Instant;

use anyhow::{Context, Result, ensure};

use crate::support::{TestContext, eventually, moto_network};
use crate::task_definition::seed_manifest;

pub fn cluster_manifest(name: &str) -> String {
    format!(
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: Cluster
metadata:
  name: {name}
spec: {{}}
"#
    )
}

/// A Fargate Service running TaskDefinition `td` in `cluster`.
pub fn service_manifest(name: &str, cluster: &str, td: &str, subnet: &str, group: &str) -> String {
    service_manifest_with_breaker(name, cluster, td, subnet, group, (true, true))
}

/// A Fargate Service of two tasks running TaskDefinition `td` in `cluster`, with the
/// circuit breaker's (enable, rollback).
pub fn service_manifest_with_breaker(
    name: &str,
    cluster: &str,
    td: &str,
    subnet: &str,
    group: &str,
    (enable, rollback): (bool, bool),
) -> String {
    format!(
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: Service
metadata:
  name: {name}
spec:
  clusterRef: {{name: {cluster}}}
  taskDefinitionRef: {{name: {td}}}
  desiredCount: 2
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration:
      subnets: [{subnet}]
      securityGroups: [{group}]
      assignPublicIp: ENABLED
  deploymentConfiguration:
    deploymentCircuitBreaker: {{enable: {enable}, rollback: {rollback}}}
"#
    )
}

fn field(ctx: &TestContext, kind: &str, name: &str, path: &str) -> Result<String> {
    ctx.kubectl_ns(&["get", kind, name, "-o", &format!("jsonpath={{{path}}}")])
}

/// The service as moto reports it: (status, task definition ARN, desired count).
pub async fn in_moto(
    ctx: &TestContext,
    cluster: &str,
    name: &str,
) -> Result<(String, String, i32)> {
    let out = ctx
        .ecs()
        .await
        .describe_services()
        .cluster(cluster)
        .services(name)
        .send()
        .await?;
    let service = out.services().first().context("moto knows the service")?;
    Ok((
        service.status().unwrap_or_default().to_string(),
        service.task_definition().unwrap_or_default().to_string(),
        service.desired_count(),
    ))
}

/// Applies a Cluster, a TaskDefinition (nginx:1.26) and a Service running it in
/// `namespace`, and waits until all three are Ready.
pub fn apply_ready_service(
    ctx: &TestContext,
    namespace: &str,
    cluster: &str,
    name: &str,
) -> Result<()> {
    let (subnet, group) = moto_network(ctx)?;
    ctx.apply_in(namespace, &cluster_manifest(cluster))?;
    ctx.apply_in(namespace, &seed_manifest(name, "nginx:1.26"))?;
    ctx.apply_in(
        namespace,
        &service_manifest(name, cluster, name, &subnet, &group),
    )?;
    for (kind, object) in [
        ("cluster", cluster),
        ("taskdefinition", name),
        ("service.ecs.operator.dev", name),
    ] {
        ctx.wait_ready_in(namespace, kind, object)?;
    }
    Ok(())
}

pub async fn service_runs_rolls_out_scales_and_goes_with_its_namespace(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let cluster = ctx.unique_name("shop");
    let name = ctx.unique_name("web");
    apply_ready_service(&ctx, &ctx.namespace, &cluster, &name)?;
    let (status, revision, desired) = in_moto(&ctx, &cluster, &name).await?;
    ensure!(status == "ACTIVE" && desired == 2, "{status} {desired}");
    ensure!(revision.ends_with(&format!("/{name}:1")), "runs {revision}");
    let running = field(&ctx, "ecssvc", &name, ".status.runningCount")?;
    ensure!(running == "2", "status.runningCount is {running:?}");

    // A new image registers revision 2, and the Service follows without waiting for a resync.
    let edited = Instant::now();
    ctx.apply(&seed_manifest(&name, "nginx:1.27"))?;
    eventually("the ECS service on revision 2", 30, || async {
        let (_, revision, _) = in_moto(&ctx, &cluster, &name).await?;
        Ok(revision.ends_with(&format!("/{name}:2")).then_some(()))
    })
    .await?;
    eprintln!(
        "[e2e] TaskDefinition edit to UpdateService on revision 2: {} ms",
        edited.elapsed().as_millis()
    );
    let desired_arn = field(&ctx, "ecssvc", &name, ".status.taskDefinitionArn")?;
    ensure!(
        desired_arn.ends_with(&format!("/{name}:2")),
        "{desired_arn}"
    );
    // Ready only once the emulator's deployment of revision 2 completed.
    ctx.wait_ready("service.ecs.operator.dev", &name)?;
    let ready = field(
        &ctx,
        "ecssvc",
        &name,
        r#".status.conditions[?(@.type=="Ready")].message"#,
    )?;
    ensure!(
        ready.starts_with(&format!("{name}:2 rolled out; 2/2 tasks running")),
        "Ready says {ready:?}"
    );

    ctx.kubectl_ns(&["scale", "ecssvc", &name, "--replicas=3"])?;
    eventually("desiredCount 3 in ECS", 30, || async {
        let (_, _, desired) = in_moto(&ctx, &cluster, &name).await?;
        Ok((desired == 3).then_some(()))
    })
    .await?;

    ctx.kubectl(&["delete", "namespace", &ctx.namespace, "--timeout=90s"])?;
    let (status, _, _) = in_moto(&ctx, &cluster, &name).await?;
    ensure!(status == "INACTIVE", "the ECS service is {status}");
    let clusters = ctx
        .ecs()
        .await
        .describe_clusters()
        .clusters(&cluster)
        .send()
        .await?;
    let cluster_status = clusters
        .clusters()
        .first()
        .and_then(|c| c.status())
        .unwrap_or("MISSING");
    ensure!(
        matches!(cluster_status, "INACTIVE" | "MISSING"),
        "the ECS cluster is {cluster_status}"
    );
    let families = ctx
        .ecs()
        .await
        .list_task_definitions()
        .family_prefix(&name)
        .send()
        .await?;
    ensure!(
        families.task_definition_arns().is_empty(),
        "revisions still ACTIVE: {:?}",
        families.task_definition_arns()
    );
    Ok(())
}

pub async fn service_references_and_immutable_fields_are_checked_by_the_api_server(
    ctx: TestContext,
) -> Result<()> {
    let base = service_manifest("checked", "shop", "checked", "subnet-1", "sg-1");
    let both = base.replace(
        "  clusterRef: {name: shop}\n",
        "  clusterRef: {name: shop}\n  cluster: other\n",
    );
    ctx.refused_naming(&both, "set exactly one of spec.clusterRef")?;

    let neither = base.replace("  taskDefinitionRef: {name: checked}\n", "");
    ctx.refused_naming(&neither, "set exactly one of spec.taskDefinitionRef")?;

    let mixed = base.replace(
        "  launchType: FARGATE\n",
        "  launchType: FARGATE\n  capacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]\n",
    );
    ctx.refused_naming(&mixed, "spec.launchType and spec.capacityProviderStrategy")?;

    let daemon = base.replace(
        "  launchType: FARGATE\n",
        "  launchType: EC2\n  schedulingStrategy: DAEMON\n",
    );
    ctx.refused_naming(&daemon, "spec.desiredCount must be left out")?;

    ctx.apply(&base)?;
    let renamed = base.replace("spec:\n", "spec:\n  serviceName: another\n");
    ctx.refused_naming(&renamed, "spec.serviceName is immutable")?;
    let external = base.replace(
        "spec:\n",
        "spec:\n  deploymentController: {type: EXTERNAL}\n",
    );
    ctx.refused_naming(
        &external,
        "spec.deploymentController can only move from CODE_DEPLOY or EXTERNAL to ECS",
    )?;
    // An operator started by an earlier test may have taken the object on; let it clean up.
    ctx.kubectl_ns(&["delete", "ecssvc", "checked", "--timeout=60s"])?;
    Ok(())
}
