//! Proves both halves of the environment are real servers: the API server
//! serves a CRD applied with the real kubectl, moto answers the real ECS SDK,
//! and authorization is RBAC with working service-account tokens.

use anyhow::{Context, Result, ensure};
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};

use crate::support::TestContext;

const WIDGET_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.smoke.ecs.operator.dev
spec:
  group: smoke.ecs.operator.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
"#;

pub async fn both_servers_are_real(ctx: TestContext) -> Result<()> {
    ctx.env.kubectl_stdin(&["apply", "-f", "-"], WIDGET_CRD)?;
    let result = read_back_a_custom_resource(&ctx).await;
    ctx.kubectl(&[
        "delete",
        "crd",
        "widgets.smoke.ecs.operator.dev",
        "--wait=false",
    ])?;
    result?;

    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL")?;
    ensure!(
        endpoint.starts_with("http://127.0.0.1:"),
        "moto must be on loopback, got {endpoint}"
    );
    let ecs = aws_sdk_ecs::Client::new(&config);
    let created = ecs.create_cluster().cluster_name("smoke").send().await?;
    let arn = created
        .cluster()
        .and_then(|c| c.cluster_arn())
        .context("CreateCluster returned no ARN")?;
    let described = ecs.describe_clusters().clusters("smoke").send().await?;
    let cluster = described
        .clusters()
        .first()
        .context("DescribeClusters found no cluster")?;
    ensure!(
        cluster.cluster_arn() == Some(arn),
        "DescribeClusters returned {:?}, want {arn}",
        cluster.cluster_arn()
    );
    ensure!(
        cluster.status() == Some("ACTIVE"),
        "cluster status is {:?}",
        cluster.status()
    );
    Ok(())
}

async fn read_back_a_custom_resource(ctx: &TestContext) -> Result<()> {
    ctx.kubectl(&[
        "wait",
        "--for=condition=Established",
        "--timeout=30s",
        "crd/widgets.smoke.ecs.operator.dev",
    ])?;
    ctx.apply("apiVersion: smoke.ecs.operator.dev/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n")?;
    let gvk = GroupVersionKind::gvk("smoke.ecs.operator.dev", "v1", "Widget");
    let widgets: Api<DynamicObject> = Api::namespaced_with(
        ctx.client.clone(),
        &ctx.namespace,
        &ApiResource::from_gvk(&gvk),
    );
    let widget = widgets.get("w1").await?;
    ensure!(
        widget.data["spec"]["size"] == 3,
        "read back {:?}",
        widget.data
    );
    Ok(())
}

pub async fn admin_is_authorized_and_a_fresh_service_account_is_not(
    ctx: TestContext,
) -> Result<()> {
    let admin = ctx.kubectl(&["auth", "can-i", "create", "customresourcedefinitions"])?;
    ensure!(admin.trim() == "yes", "admin can-i answered {admin:?}");

    ctx.kubectl_ns(&["create", "serviceaccount", "probe"])?;
    let token = ctx.kubectl_ns(&["create", "token", "probe"])?;
    let token_flag = format!("--token={}", token.trim());
    // Use only the token: the admin client certificate in the kubeconfig would win otherwise.
    let server = ctx.kubectl(&[
        "config",
        "view",
        "--minify",
        "-o",
        "jsonpath={.clusters[0].cluster.server}",
    ])?;
    let ca = ctx.kubectl(&[
        "config",
        "view",
        "--minify",
        "-o",
        "jsonpath={.clusters[0].cluster.certificate-authority}",
    ])?;
    let as_probe = |args: &[&str]| {
        let mut all = vec![
            "--kubeconfig=/dev/null",
            "--server",
            server.as_str(),
            "--certificate-authority",
            ca.as_str(),
            token_flag.as_str(),
        ];
        all.extend_from_slice(args);
        ctx.env.kubectl_output(&all, None)
    };

    let whoami = as_probe(&[
        "auth",
        "whoami",
        "-o",
        "jsonpath={.status.userInfo.username}",
    ])?;
    let expected = format!("system:serviceaccount:{}:probe", ctx.namespace);
    ensure!(
        String::from_utf8_lossy(&whoami.stdout) == expected,
        "token authenticates as {whoami:?}"
    );

    let can_i = as_probe(&["auth", "can-i", "create", "customresourcedefinitions"])?;
    ensure!(
        !can_i.status.success(),
        "the service account may create CRDs"
    );
    ensure!(
        String::from_utf8_lossy(&can_i.stdout).trim() == "no",
        "can-i answered {can_i:?}"
    );
    Ok(())
}
