//! A Service Connect service against the emulator, which reports what ECS reports
//! (the namespace as an ARN, discoveryName and dnsName filled in): idle resyncs send
//! nothing and start no deployment.

use anyhow::{Context, Result, ensure};

use crate::service::cluster_manifest;
use crate::support::operator::{self, Operator};
use crate::support::{TestContext, eventually, moto_network};

fn manifests(name: &str, subnet: &str, group: &str) -> String {
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
      image: nginx
      portMappings:
        - {{containerPort: 80, name: http, appProtocol: http}}
---
apiVersion: ecs.operator.dev/v1alpha1
kind: Service
metadata:
  name: {name}
spec:
  clusterRef: {{name: {name}}}
  taskDefinitionRef: {{name: {name}}}
  desiredCount: 1
  launchType: FARGATE
  networkConfiguration:
    awsvpcConfiguration: {{subnets: [{subnet}], securityGroups: [{group}]}}
  serviceConnectConfiguration:
    enabled: true
    services:
      - portName: http
        clientAliases: [{{port: 80}}]
"#
    )
}

pub async fn twenty_idle_resyncs_of_a_service_connect_service_send_nothing(
    ctx: TestContext,
) -> Result<()> {
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let operator = Operator::start(
        &ctx.env,
        "service-connect",
        &["--namespace", &ctx.namespace, "--resync-interval", "1s"],
        &[],
    )?;
    let (subnet, group) = moto_network(&ctx)?;
    let name = ctx.unique_name("connect");
    ctx.apply(
        &(cluster_manifest(&name).replace(
            "spec: {}",
            "spec:\n  serviceConnectDefaults: {namespace: internal}",
        )),
    )?;
    ctx.apply(&manifests(&name, &subnet, &group))?;
    ctx.wait_ready("service.ecs.operator.dev", &name)?;

    let described = || async {
        let out = ctx
            .ecs()
            .await
            .describe_services()
            .cluster(&name)
            .services(&name)
            .send()
            .await?;
        let service = out.services().first().cloned().context("the service")?;
        anyhow::Ok(service)
    };
    let before = described().await?;
    let deployment = before.deployments().first().context("a deployment")?;
    let reported = deployment
        .service_connect_configuration()
        .context("the deployment reports Service Connect")?;
    ensure!(
        reported
            .namespace()
            .is_some_and(|n| n.starts_with("arn:aws:servicediscovery:")),
        "namespace {:?}",
        reported.namespace()
    );
    let alias = &reported.services()[0].client_aliases()[0];
    ensure!(alias.dns_name() == Some("http.internal"), "{alias:?}");

    let resyncs = |op: &Operator| {
        op.metric_sum(
            "controller_runtime_reconcile_total",
            &["controller=\"service\""],
        )
    };
    let updates = |op: &Operator| {
        op.metric_sum(
            "ecs_operator_aws_api_calls_total",
            &["operation=\"UpdateService\""],
        )
    };
    let (start, sent) = (resyncs(&operator)?, updates(&operator)?);
    eventually("20 Service resyncs", 90, || async {
        Ok((resyncs(&operator)? >= start + 20.0).then_some(()))
    })
    .await?;
    ensure!(updates(&operator)? == sent, "UpdateService sent while idle");
    let after = described().await?;
    let ids = |s: &aws_sdk_ecs::types::Service| -> Vec<String> {
        s.deployments()
            .iter()
            .filter_map(|d| d.id().map(str::to_string))
            .collect()
    };
    ensure!(
        ids(&after) == ids(&before),
        "deployments {:?} became {:?}",
        ids(&before),
        ids(&after)
    );
    ctx.kubectl_ns(&["delete", "ecssvc", &name, "--timeout=120s"])?;
    drop(operator);
    Ok(())
}
