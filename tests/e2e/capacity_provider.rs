//! CapacityProvider objects end to end against the emulator: an Auto Scaling group
//! provider a Cluster lists is Ready, follows a spec edit, refuses an edit ECS cannot
//! make, and waits for the Cluster before it is deleted; a Managed Instances provider is
//! created inside its Cluster, and the Cluster's deletion waits for it.

use anyhow::{Context, Result, ensure};

use crate::support::{TestContext, eventually};

const GROUP: &str =
    "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0c4f2a3e:autoScalingGroupName/";
const ROLE: &str = "arn:aws:iam::123456789012:role/ecsInfrastructureRole";
const PROFILE: &str = "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole";

/// An Auto Scaling group provider with managed scaling at `target` percent.
pub fn auto_scaling_manifest(name: &str, group: &str, target: u32) -> String {
    format!(
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: CapacityProvider
metadata:
  name: {name}
spec:
  autoScalingGroupProvider:
    autoScalingGroupArn: {GROUP}{group}
    managedScaling: {{status: ENABLED, targetCapacity: {target}}}
    managedTerminationProtection: DISABLED
"#
    )
}

fn cluster_manifest(cluster: &str, provider: &str) -> String {
    format!(
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: Cluster
metadata:
  name: {cluster}
spec:
  capacityProviders: [{provider}]
  defaultCapacityProviderStrategy:
    - {{capacityProvider: {provider}, weight: 1}}
"#
    )
}

fn managed_instances_manifest(name: &str, cluster: &str) -> String {
    format!(
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: CapacityProvider
metadata:
  name: {name}
spec:
  clusterRef: {{name: {cluster}}}
  managedInstancesProvider:
    infrastructureRoleArn: {ROLE}
    propagateTags: CAPACITY_PROVIDER
    instanceLaunchTemplate:
      ec2InstanceProfileArn: {PROFILE}
      capacityOptionType: SPOT
      instanceRequirements:
        vCpuCount: {{min: 2, max: 8}}
        memoryMiB: {{min: 4096}}
        acceleratorTypes: [gpu]
"#
    )
}

async fn target_capacity(ctx: &TestContext, name: &str) -> Result<Option<i32>> {
    let described = ctx
        .ecs()
        .await
        .describe_capacity_providers()
        .capacity_providers(name)
        .send()
        .await?;
    Ok(described
        .capacity_providers()
        .first()
        .and_then(|p| p.auto_scaling_group_provider())
        .and_then(|a| a.managed_scaling())
        .and_then(|m| m.target_capacity()))
}

fn reason(ctx: &TestContext, kind: &str, name: &str) -> Result<String> {
    ctx.kubectl_ns(&[
        "get",
        kind,
        name,
        "-o",
        "jsonpath={.status.conditions[?(@.type=='Ready')].reason}",
    ])
}

pub async fn an_auto_scaling_group_provider_is_managed_and_deleted_after_its_cluster(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let provider = ctx.unique_name("asg");
    let cluster = ctx.unique_name("ec2");
    let kind = "capacityprovider.ecs.operator.dev";
    ctx.apply(&auto_scaling_manifest(&provider, &provider, 90))?;
    ctx.wait_ready(kind, &provider)?;
    ctx.apply(&cluster_manifest(&cluster, &provider))?;
    ctx.wait_ready("cluster", &cluster)?;
    crate::kstatus::a_ready_capacity_provider_reads_as_current(&ctx, &provider)?;
    ensure!(target_capacity(&ctx, &provider).await? == Some(90));

    ctx.apply(&auto_scaling_manifest(&provider, &provider, 70))?;
    eventually("the target capacity follows the spec", 30, || async {
        Ok((target_capacity(&ctx, &provider).await? == Some(70)).then_some(()))
    })
    .await?;

    ctx.refused_naming(
        &auto_scaling_manifest(&provider, "another-group", 70),
        "spec.autoScalingGroupProvider.autoScalingGroupArn is immutable",
    )?;
    ctx.refused_naming(
        &auto_scaling_manifest("ecs-reserved", "group", 70),
        "cannot start with aws, ecs or fargate",
    )?;

    // The Cluster lists the provider: its deletion waits for the Cluster to go.
    ctx.kubectl_ns(&["delete", kind, &provider, "--wait=false"])?;
    eventually("the provider waits for its Cluster", 30, || async {
        Ok((reason(&ctx, kind, &provider)? == "CapacityProviderInUse").then_some(()))
    })
    .await?;
    ctx.kubectl_ns(&["delete", "cluster", &cluster, "--timeout=60s"])?;
    ctx.kubectl_ns(&["wait", kind, &provider, "--for=delete", "--timeout=90s"])?;
    let left = ctx
        .ecs()
        .await
        .describe_capacity_providers()
        .capacity_providers(&provider)
        .send()
        .await?;
    let status = left
        .capacity_providers()
        .first()
        .and_then(|p| p.status())
        .map(|s| s.as_str().to_string());
    ensure!(
        status.as_deref().is_none_or(|s| s == "INACTIVE"),
        "the ECS capacity provider is still {status:?}"
    );
    Ok(())
}

pub async fn a_managed_instances_provider_lives_and_dies_inside_its_cluster(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let provider = ctx.unique_name("mi-gpu");
    let cluster = ctx.unique_name("mi-home");
    let kind = "capacityprovider.ecs.operator.dev";
    // Applied before its Cluster: the provider waits, then provisions inside it.
    ctx.apply(&managed_instances_manifest(&provider, &cluster))?;
    eventually("the provider waits for its Cluster", 30, || async {
        Ok((reason(&ctx, kind, &provider)? == "WaitingForCluster").then_some(()))
    })
    .await?;
    ctx.apply(&format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: {cluster}\nspec:\n  capacityProviders: [FARGATE]\n"
    ))?;
    ctx.kubectl_ns(&[
        "wait",
        &format!("{kind}/{provider}"),
        "--for=condition=Ready",
        "--timeout=120s",
    ])?;
    let in_cluster =
        ctx.kubectl_ns(&["get", kind, &provider, "-o", "jsonpath={.status.cluster}"])?;
    ensure!(in_cluster == cluster, "status.cluster is {in_cluster:?}");
    let described = ctx
        .ecs()
        .await
        .describe_clusters()
        .clusters(&cluster)
        .send()
        .await?;
    let providers = described
        .clusters()
        .first()
        .context("the cluster")?
        .capacity_providers()
        .to_vec();
    ensure!(providers.contains(&provider), "{providers:?}");

    // capacityOptionType is create-only: the API server refuses a change.
    ctx.refused_naming(
        &managed_instances_manifest(&provider, &cluster).replace("SPOT", "ON_DEMAND"),
        "capacityOptionType is immutable",
    )?;

    // Deleting both: the Cluster waits for the provider created in it.
    ctx.kubectl_ns(&["delete", "cluster", &cluster, "--wait=false"])?;
    ctx.kubectl_ns(&["delete", kind, &provider, "--wait=false"])?;
    ctx.kubectl_ns(&["wait", kind, &provider, "--for=delete", "--timeout=120s"])?;
    ctx.kubectl_ns(&[
        "wait",
        "cluster",
        &cluster,
        "--for=delete",
        "--timeout=120s",
    ])?;
    Ok(())
}
