//! ECS Managed Instances end to end: a provider made inside a Cluster's cluster (as
//! the console or another tool would, until a CapacityProvider kind exists), a task
//! definition validated for MANAGED_INSTANCES and a Service whose capacity provider
//! strategy names the provider. The Cluster keeps the provider through a change of its
//! own providers, and its deletion waits for the provider to go.

use anyhow::{Result, ensure};
use aws_sdk_ecs::types::{
    CreateManagedInstancesProviderConfiguration, InstanceLaunchTemplate,
    ManagedInstancesNetworkConfiguration,
};

use ecs_operator::aws::EcsApi;

use crate::support::{TestContext, eventually, moto_network};

const ROLE: &str = "arn:aws:iam::123456789012:role/ecsInfrastructureRole";
const PROFILE: &str = "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole";

fn cluster_manifest(cluster: &str, providers: &str) -> String {
    format!(
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: Cluster
metadata:
  name: {cluster}
spec:
  capacityProviders: {providers}
"#
    )
}

fn service_manifests(cluster: &str, provider: &str, (subnet, group): &(String, String)) -> String {
    format!(
        r#"apiVersion: ecs.operator.dev/v1alpha1
kind: TaskDefinition
metadata:
  name: {cluster}
spec:
  requiresCompatibilities: [MANAGED_INSTANCES]
  networkMode: awsvpc
  cpu: "1024"
  memory: "2048"
  containerDefinitions:
    - {{name: web, image: nginx:1.27}}
---
apiVersion: ecs.operator.dev/v1alpha1
kind: Service
metadata:
  name: web
spec:
  clusterRef: {{name: {cluster}}}
  taskDefinitionRef: {{name: {cluster}}}
  desiredCount: 2
  capacityProviderStrategy:
    - {{capacityProvider: {provider}, weight: 1}}
  networkConfiguration:
    awsvpcConfiguration: {{subnets: [{subnet}], securityGroups: [{group}]}}
"#
    )
}

async fn providers_of(ctx: &TestContext, cluster: &str) -> Result<Vec<String>> {
    let described = ctx
        .ecs()
        .await
        .describe_clusters()
        .clusters(cluster)
        .send()
        .await?;
    let mut providers = described
        .clusters()
        .first()
        .map(|c| c.capacity_providers().to_vec())
        .unwrap_or_default();
    providers.sort();
    Ok(providers)
}

async fn provider_status(ctx: &TestContext, name: &str) -> Result<String> {
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
        .and_then(|p| p.status())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default())
}

pub async fn a_service_runs_on_managed_instances_that_its_cluster_keeps(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let network = moto_network(&ctx)?;
    let cluster = ctx.unique_name("mi");
    let provider = ctx.unique_name("mi-capacity");
    ctx.apply(&cluster_manifest(&cluster, "[FARGATE]"))?;
    ctx.wait_ready("cluster", &cluster)?;

    let ecs = ctx.ecs().await;
    let launch = InstanceLaunchTemplate::builder()
        .ec2_instance_profile_arn(PROFILE)
        .network_configuration(
            ManagedInstancesNetworkConfiguration::builder()
                .subnets(&network.0)
                .security_groups(&network.1)
                .build(),
        )
        .build()?;
    ecs.create_capacity_provider()
        .name(&provider)
        .cluster(&cluster)
        .managed_instances_provider(
            CreateManagedInstancesProviderConfiguration::builder()
                .infrastructure_role_arn(ROLE)
                .instance_launch_template(launch)
                .build()?,
        )
        .send()
        .await?;
    eventually("the provider is ACTIVE", 60, || async {
        Ok((provider_status(&ctx, &provider).await? == "ACTIVE").then_some(()))
    })
    .await?;

    // The operator's SDK layer reads it as ECS reports it, and leaves unknown names out.
    let read = ctx
        .sdk()
        .await
        .describe_capacity_providers(&[provider.clone(), "not-there".into()])
        .await?;
    ensure!(
        read.len() == 1
            && read[0].name == provider
            && read[0].is_managed_instances()
            && read[0].status == ecs_operator::aws::CapacityProviderState::Active
            && read[0].cluster.as_deref() == Some(cluster.as_str()),
        "{read:?}"
    );

    ctx.apply(&service_manifests(&cluster, &provider, &network))?;
    ctx.kubectl_ns(&[
        "wait",
        "service.ecs.operator.dev/web",
        "--for=condition=Ready",
        "--timeout=120s",
    ])?;
    let tasks = ecs
        .list_tasks()
        .cluster(&cluster)
        .service_name("web")
        .send()
        .await?;
    let described = ecs
        .describe_tasks()
        .cluster(&cluster)
        .set_tasks(Some(tasks.task_arns().to_vec()))
        .send()
        .await?;
    let launch_types: Vec<_> = described
        .tasks()
        .iter()
        .map(|t| {
            (
                t.launch_type().map(|l| l.as_str().to_string()),
                t.capacity_provider_name(),
            )
        })
        .collect();
    ensure!(
        launch_types.len() == 2
            && launch_types
                .iter()
                .all(|(l, p)| l.as_deref() == Some("MANAGED_INSTANCES")
                    && *p == Some(provider.as_str())),
        "tasks {launch_types:?}"
    );

    // The Cluster's own providers change; the Managed Instances provider stays.
    ctx.apply(&cluster_manifest(&cluster, "[FARGATE, FARGATE_SPOT]"))?;
    let wanted = {
        let mut all = vec![
            "FARGATE".to_string(),
            "FARGATE_SPOT".into(),
            provider.clone(),
        ];
        all.sort();
        all
    };
    eventually(
        "the cluster has FARGATE_SPOT beside its provider",
        60,
        || async { Ok((providers_of(&ctx, &cluster).await? == wanted).then_some(())) },
    )
    .await?;
    ctx.wait_ready("cluster", &cluster)?;

    // Deleting the Cluster waits for the provider, which goes once the service has.
    ctx.kubectl_ns(&["delete", "service.ecs.operator.dev/web", "--timeout=120s"])?;
    ctx.kubectl_ns(&["delete", "cluster", &cluster, "--wait=false"])?;
    eventually(
        "the Cluster waits for its capacity provider",
        60,
        || async {
            let reason = ctx.kubectl_ns(&[
                "get",
                "cluster",
                &cluster,
                "-o",
                "jsonpath={.status.conditions[?(@.type=='Ready')].reason}",
            ])?;
            Ok((reason == "ClusterHasCapacityProviders").then_some(()))
        },
    )
    .await?;
    ecs.delete_capacity_provider()
        .capacity_provider(&provider)
        .cluster(&cluster)
        .send()
        .await?;
    eventually("the provider is INACTIVE", 60, || async {
        Ok((provider_status(&ctx, &provider).await? == "INACTIVE").then_some(()))
    })
    .await?;
    ctx.kubectl_ns(&["wait", "cluster", &cluster, "--for=delete", "--timeout=90s"])?;
    Ok(())
}
