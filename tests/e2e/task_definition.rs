//! The TaskDefinition kind end to end: the operator binary against the real API
//! server and moto, driven with kubectl.

use std::time::Duration;

use anyhow::{Result, ensure};

use crate::support::{TestContext, eventually};

/// The getting-started guide's nginx webserver on Fargate (the seed example).
pub fn seed_manifest(name: &str, image: &str) -> String {
    revision_manifest(name, image, &[])
}

/// The TaskDefinition `name`: one Fargate container `web` running `image` with
/// `environment` (name, value).
pub fn revision_manifest(name: &str, image: &str, environment: &[(&str, &str)]) -> String {
    let environment: Vec<serde_json::Value> = environment
        .iter()
        .map(|(name, value)| serde_json::json!({"name": name, "value": value}))
        .collect();
    format!(
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: {name}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions:
    - name: web
      image: {image}
      cpu: 99
      memory: 100
      environment: {environment}
"#,
        environment = serde_json::Value::Array(environment),
    )
}

/// Status of every revision of `family` that moto knows, oldest first.
pub async fn revisions_in_moto(ctx: &TestContext, family: &str) -> Result<Vec<(i32, String)>> {
    let ecs = ctx.ecs().await;
    let mut found = Vec::new();
    for revision in 1.. {
        let described = ecs
            .describe_task_definition()
            .task_definition(format!("{family}:{revision}"))
            .send()
            .await;
        let Ok(out) = described else { break };
        let Some(td) = out.task_definition() else {
            break;
        };
        let status = td.status().map(|s| s.as_str().to_string());
        found.push((revision, status.unwrap_or_default()));
    }
    Ok(found)
}

fn status_field(ctx: &TestContext, name: &str, path: &str) -> Result<String> {
    ctx.kubectl_ns(&[
        "get",
        "taskdefinition",
        name,
        "-o",
        &format!("jsonpath={{{path}}}"),
    ])
}

pub async fn seed_task_definition_registers_one_revision_per_change(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let name = ctx.unique_name("webserver");
    ctx.apply(&seed_manifest(&name, "nginx"))?;
    ctx.wait_ready("taskdefinition", &name)?;
    ensure!(status_field(&ctx, &name, ".status.revision")? == "1");
    let arn = status_field(&ctx, &name, ".status.arn")?;
    ensure!(
        arn.ends_with(&format!(":task-definition/{name}:1")),
        "status.arn is {arn:?}"
    );

    ctx.apply(&seed_manifest(&name, "nginx:1.27"))?;
    eventually("revision 2 in status", 30, || async {
        Ok((status_field(&ctx, &name, ".status.revision")? == "2").then_some(()))
    })
    .await?;
    ctx.wait_ready("taskdefinition", &name)?;

    for _ in 0..3 {
        ctx.apply(&seed_manifest(&name, "nginx:1.27"))?;
    }
    // Past one drift-detection resync (10 s in these tests, with jitter): still nothing new.
    tokio::time::sleep(Duration::from_secs(13)).await;
    ensure!(status_field(&ctx, &name, ".status.revision")? == "2");
    let in_moto = revisions_in_moto(&ctx, &name).await?;
    ensure!(
        in_moto == [(1, "ACTIVE".into()), (2, "ACTIVE".into())],
        "moto holds {in_moto:?}"
    );
    let history = status_field(&ctx, &name, ".status.revisions[*].revision")?;
    ensure!(history == "2 1", "status.revisions: {history:?}");

    // Both registrations are Events of their own: the same reason with a new message
    // is a new Event, not a count on the first.
    let messages = ctx.kubectl_ns(&[
        "get",
        "events",
        "--field-selector",
        &format!("involvedObject.name={name},reason=Registered"),
        "-o",
        "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}",
    ])?;
    for revision in [1, 2] {
        let registered = format!(":task-definition/{name}:{revision}");
        ensure!(
            messages.lines().any(|m| m.ends_with(&registered)),
            "no Registered Event for revision {revision}: {messages:?}"
        );
    }

    ctx.kubectl_ns(&["delete", "taskdefinition", &name, "--timeout=60s"])?;
    let in_moto = revisions_in_moto(&ctx, &name).await?;
    ensure!(
        in_moto == [(1, "INACTIVE".into()), (2, "INACTIVE".into())],
        "after delete moto holds {in_moto:?}"
    );
    Ok(())
}

/// The console's "Deregister" on the latest revision is drift: the next resync (10 s
/// here) describes that revision in ECS, not from the operator's copy, and registers
/// the spec again.
pub async fn latest_revision_deregistered_in_the_console_is_registered_again(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let name = ctx.unique_name("drift");
    ctx.apply(&seed_manifest(&name, "nginx"))?;
    ctx.wait_ready("taskdefinition", &name)?;
    let arn = status_field(&ctx, &name, ".status.arn")?;
    ctx.ecs()
        .await
        .deregister_task_definition()
        .task_definition(&arn)
        .send()
        .await?;
    eventually("revision 2 registered after the resync", 40, || async {
        Ok((status_field(&ctx, &name, ".status.revision")? == "2").then_some(()))
    })
    .await?;
    ctx.wait_ready("taskdefinition", &name)?;
    let in_moto = revisions_in_moto(&ctx, &name).await?;
    ensure!(
        in_moto == [(1, "INACTIVE".into()), (2, "ACTIVE".into())],
        "moto holds {in_moto:?}"
    );
    ctx.kubectl_ns(&["delete", "taskdefinition", &name, "--timeout=60s"])?;
    Ok(())
}

/// A revision a task started outside the operator runs (RunTask, a schedule) survives
/// history trimming while the task runs in a cluster the operator knows.
pub async fn a_revision_a_running_task_uses_is_not_trimmed(ctx: TestContext) -> Result<()> {
    use aws_sdk_ecs::types::{AwsVpcConfiguration, LaunchType, NetworkConfiguration};

    ctx.start_operator()?;
    let (subnet, group) = crate::support::moto_network(&ctx)?;
    let name = ctx.unique_name("batch");
    ctx.apply(&crate::service::cluster_manifest(&name))?;
    ctx.wait_ready("cluster", &name)?;
    let limited = |image: &str| {
        seed_manifest(&name, image).replace("spec:\n", "spec:\n  revisionHistoryLimit: 1\n")
    };
    ctx.apply(&limited("nginx"))?;
    ctx.wait_ready("taskdefinition", &name)?;
    let first = status_field(&ctx, &name, ".status.arn")?;
    let network = NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .subnets(subnet)
                .security_groups(group)
                .build()?,
        )
        .build();
    ctx.ecs()
        .await
        .run_task()
        .cluster(&name)
        .task_definition(&first)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network)
        .started_by("nightly-report")
        .send()
        .await?;

    ctx.apply(&limited("nginx:1.27"))?;
    eventually("revision 2 in status", 30, || async {
        Ok((status_field(&ctx, &name, ".status.revision")? == "2").then_some(()))
    })
    .await?;
    ctx.wait_ready("taskdefinition", &name)?;
    let in_moto = revisions_in_moto(&ctx, &name).await?;
    ensure!(
        in_moto == [(1, "ACTIVE".into()), (2, "ACTIVE".into())],
        "the running task's revision was trimmed: {in_moto:?}"
    );
    Ok(())
}

pub async fn bad_fargate_sizes_and_broken_references_are_refused_by_the_api_server(
    ctx: TestContext,
) -> Result<()> {
    let bad_pair = seed_manifest("sizes", "nginx").replace("\"512\"", "\"4096\"");
    let message = ctx.refused(&bad_pair)?;
    ensure!(
        message.contains("spec.cpu and spec.memory must be a valid Fargate pair"),
        "message: {message}"
    );

    let bridge = seed_manifest("bridge", "nginx").replace("awsvpc", "bridge");
    let message = ctx.refused(&bridge)?;
    ensure!(
        message.contains("spec.networkMode must be awsvpc"),
        "message: {message}"
    );

    let dangling = seed_manifest("dangling", "nginx")
        + "      dependsOn: [{containerName: sidecar, condition: START}]\n";
    let message = ctx.refused(&dangling)?;
    ensure!(
        message.contains("dependsOn[].containerName must name a container"),
        "message: {message}"
    );

    let twins = seed_manifest("twins", "nginx") + "    - {name: web, image: busybox}\n";
    let message = ctx.refused(&twins)?;
    ensure!(
        message.contains("container names must be unique"),
        "message: {message}"
    );
    Ok(())
}

pub async fn family_cannot_be_renamed(ctx: TestContext) -> Result<()> {
    ctx.apply(&seed_manifest("named", "nginx").replace("spec:\n", "spec:\n  family: first\n"))?;
    let message = ctx.refused(
        &seed_manifest("named", "nginx").replace("spec:\n", "spec:\n  family: second\n"),
    )?;
    ensure!(
        message.contains("spec.family is immutable"),
        "message: {message}"
    );
    // An operator started by an earlier test may have taken the object on; let it clean up.
    ctx.kubectl_ns(&["delete", "taskdefinition", "named", "--timeout=60s"])?;
    Ok(())
}
