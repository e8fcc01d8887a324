//! Service autoscaling end to end: the quickstart example (min 2 / max 10, CPU at
//! 60 %, scheduled actions) applied with kubectl, the operator binary, and moto's
//! Application Auto Scaling read back with a plain SDK client.

use anyhow::{Context, Result, ensure};
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};

use crate::support::{TestContext, eventually, moto_network};

const DIMENSION: ScalableDimension = ScalableDimension::EcsServiceDesiredCount;

/// The quickstart example's file, in the test's namespace and on moto's network.
pub fn quickstart(ctx: &TestContext, file: &str, subnet: &str, group: &str) -> Result<String> {
    let text = std::fs::read_to_string(format!("examples/quickstart/{file}"))?;
    Ok(text
        .replace(
            "namespace: quickstart",
            &format!("namespace: {}", ctx.namespace),
        )
        .replace("subnet-0123456789abcdef0", subnet)
        .replace("sg-0123456789abcdef0", group))
}

/// What moto holds for the target: (min, max), policy names and target values, action names.
struct InMoto {
    target: Option<(i32, i32)>,
    policies: Vec<(String, f64)>,
    actions: Vec<String>,
}

async fn in_moto(ctx: &TestContext, resource_id: &str) -> Result<InMoto> {
    let client = ctx.scaling().await;
    let targets = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(DIMENSION)
        .resource_ids(resource_id)
        .send()
        .await?;
    let policies = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .send()
        .await?;
    let actions = client
        .describe_scheduled_actions()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .send()
        .await?;
    Ok(InMoto {
        target: targets
            .scalable_targets()
            .iter()
            .find(|t| t.resource_id() == resource_id)
            .map(|t| (t.min_capacity(), t.max_capacity())),
        policies: policies
            .scaling_policies()
            .iter()
            .filter(|p| p.resource_id() == resource_id)
            .map(|p| {
                let target = p
                    .target_tracking_scaling_policy_configuration()
                    .map_or(f64::NAN, |c| c.target_value());
                (p.policy_name().to_string(), target)
            })
            .collect(),
        actions: actions
            .scheduled_actions()
            .iter()
            .filter(|a| a.resource_id() == resource_id)
            .map(|a| a.scheduled_action_name().to_string())
            .collect(),
    })
}

fn jsonpath(ctx: &TestContext, path: &str) -> Result<String> {
    ctx.kubectl_ns(&[
        "get",
        "service.ecs.operator.dev",
        "webserver",
        "-o",
        &format!("jsonpath={{{path}}}"),
    ])
}

pub async fn quickstart_autoscaling_reaches_aws_follows_edits_and_goes_away(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let (subnet, group) = moto_network(&ctx)?;
    for file in ["cluster.yaml", "task-definition.yaml", "service.yaml"] {
        ctx.apply(&quickstart(&ctx, file, &subnet, &group)?)?;
    }
    ctx.wait_ready("service.ecs.operator.dev", "webserver")?;
    let resource_id = "service/quickstart/webserver";

    let seen = in_moto(&ctx, resource_id).await?;
    ensure!(seen.target == Some((2, 10)), "target {:?}", seen.target);
    ensure!(
        seen.policies.len() == 1
            && seen.policies[0].0.ends_with("-cpu")
            && seen.policies[0].1 == 60.0,
        "policies {:?}",
        seen.policies
    );
    ensure!(seen.actions.len() == 2, "actions {:?}", seen.actions);
    let desired = crate::service::in_moto(&ctx, "quickstart", "webserver")
        .await?
        .2;
    ensure!(desired == 2, "created at minCapacity, not {desired}");

    let condition = jsonpath(
        &ctx,
        ".status.conditions[?(@.type==\"AutoscalingReady\")].status",
    )?;
    ensure!(condition == "True", "AutoscalingReady is {condition:?}");
    let policy_arn = jsonpath(&ctx, ".status.autoscaling.policies[0].arn")?;
    ensure!(
        policy_arn.contains("scalingPolicy"),
        "status names the policy ARN: {policy_arn:?}"
    );
    let target_arn = jsonpath(&ctx, ".status.autoscaling.scalableTargetArn")?;
    ensure!(!target_arn.is_empty(), "status names the target ARN");

    // /scale would make a second scaler: refused, pointing at min and max.
    let scaled = ctx.env.kubectl_output(
        &[
            "-n",
            &ctx.namespace,
            "scale",
            "ecssvc/webserver",
            "--replicas=5",
        ],
        None,
    )?;
    let message = String::from_utf8_lossy(&scaled.stderr);
    ensure!(!scaled.status.success(), "kubectl scale was accepted");
    ensure!(message.contains("maxCapacity"), "{message}");

    // min > max is refused at admission, naming the field.
    ctx.refused_naming(
        &quickstart(&ctx, "service.yaml", &subnet, &group)?.replace(
            "minCapacity: 2\n    maxCapacity: 10",
            "minCapacity: 12\n    maxCapacity: 10",
        ),
        "spec.autoscaling.minCapacity must not exceed",
    )?;

    // Editing the target value updates the policy.
    let edited = quickstart(&ctx, "service.yaml", &subnet, &group)?
        .replace("targetValue: 60", "targetValue: 45");
    ctx.apply(&edited)?;
    eventually("the policy at 45", 30, || async {
        let seen = in_moto(&ctx, resource_id).await?;
        Ok((seen.policies.len() == 1 && seen.policies[0].1 == 45.0).then_some(()))
    })
    .await?;

    // Removing the block deregisters the target, its policy and its actions.
    let without: String = {
        let text = quickstart(&ctx, "service.yaml", &subnet, &group)?;
        let start = text
            .find("  autoscaling:")
            .context("the example has autoscaling")?;
        let end = text.find("  tags:").context("tags follow autoscaling")?;
        format!("{}{}", &text[..start], &text[end..])
    };
    ctx.apply(&without)?;
    eventually("everything deregistered", 30, || async {
        let seen = in_moto(&ctx, resource_id).await?;
        Ok(
            (seen.target.is_none() && seen.policies.is_empty() && seen.actions.is_empty())
                .then_some(()),
        )
    })
    .await?;
    eventually("status without autoscaling", 30, || async {
        Ok(jsonpath(&ctx, ".status.autoscaling")?
            .is_empty()
            .then_some(()))
    })
    .await?;
    ctx.wait_ready("service.ecs.operator.dev", "webserver")?;
    Ok(())
}

pub async fn deleting_an_autoscaled_service_leaves_nothing_in_aws(ctx: TestContext) -> Result<()> {
    ctx.start_operator()?;
    let (subnet, group) = moto_network(&ctx)?;
    for file in ["cluster.yaml", "task-definition.yaml", "service.yaml"] {
        ctx.apply(&quickstart(&ctx, file, &subnet, &group)?)?;
    }
    ctx.wait_ready("service.ecs.operator.dev", "webserver")?;
    let resource_id = "service/quickstart/webserver";
    ensure!(in_moto(&ctx, resource_id).await?.target.is_some());
    ctx.kubectl_ns(&[
        "delete",
        "service.ecs.operator.dev",
        "webserver",
        "--timeout=60s",
    ])?;
    let seen = in_moto(&ctx, resource_id).await?;
    ensure!(
        seen.target.is_none() && seen.policies.is_empty() && seen.actions.is_empty(),
        "left in moto: target {:?}, policies {:?}, actions {:?}",
        seen.target,
        seen.policies,
        seen.actions
    );
    let (status, _, _) = crate::service::in_moto(&ctx, "quickstart", "webserver").await?;
    ensure!(status != "ACTIVE", "the ECS service is {status}");
    Ok(())
}
