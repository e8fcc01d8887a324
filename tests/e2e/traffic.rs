//! examples/progressive end to end against the emulator, behind the Application Load
//! Balancer hack/progressive-load-balancer.py creates in its ELBv2. The split is read
//! back from ELBv2 (DescribeRules), never from the emulator's own record. checkout
//! (BLUE_GREEN) pauses with test traffic on the new revision and production on the
//! old; `kubectl ecs promote` moves production, and the Service is Ready only once ECS
//! reports the deployment SUCCESSFUL. search (CANARY) is rolled back by its alarm, and
//! by new tasks that fail, each time back to the old revision's target group.

use std::collections::BTreeMap;

use anyhow::{Context, Result, ensure};

use crate::progressive::{
    READY_REASON, argocd_health, event_messages, kubectl_ecs, ready_message, serving, status,
    until_reason,
};
use crate::support::testenv::repo_root;
use crate::support::{TestContext, eventually};

const ELB: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012";

/// Runs a Python snippet (boto3, the test environment's AWS variables); its stdout.
fn python(ctx: &TestContext, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new(ctx.env.var("TESTENV_PYTHON"))
        .args(args)
        .envs(ctx.env.vars())
        .output()?;
    ensure!(
        out.status.success(),
        "python {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

/// The example's placeholders and what they are in the emulator.
fn load_balancer(ctx: &TestContext) -> Result<BTreeMap<String, String>> {
    let script = repo_root().join("hack/progressive-load-balancer.py");
    let printed = python(ctx, &[&script.to_string_lossy()])?;
    Ok(printed
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(placeholder, real)| (placeholder.to_string(), real.to_string()))
        .collect())
}

/// An example file with the real ARNs, in the test's namespace, with `image`.
fn example(
    ctx: &TestContext,
    file: &str,
    real: &BTreeMap<String, String>,
    image: &str,
) -> Result<String> {
    let path = repo_root().join("examples/progressive").join(file);
    let mut text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    for (placeholder, value) in real {
        text = text.replace(placeholder.as_str(), value);
    }
    Ok(text
        .replace("namespace: shop", &format!("namespace: {}", ctx.namespace))
        .replace("image: nginx:1.26", &format!("image: {image}")))
}

fn rule(real: &BTreeMap<String, String>, port: u16, priority: u16) -> Result<String> {
    let placeholder =
        format!("{ELB}:listener-rule/app/shop/0000000000000000/{port:016}/{priority:016}");
    real.get(&placeholder)
        .cloned()
        .context("the rule is created")
}

fn target_group(real: &BTreeMap<String, String>, name: &str, id: &str) -> Result<String> {
    let placeholder = format!("{ELB}:targetgroup/{name}/{id}");
    real.get(&placeholder)
        .cloned()
        .context("the target group is created")
}

/// The share of the rule's traffic, in percent, that goes to `group` (ELBv2 weights
/// are relative).
fn share(ctx: &TestContext, rule: &str, group: &str) -> Result<f64> {
    let script = format!(
        "import boto3\n\
         [r] = boto3.client('elbv2').describe_rules(RuleArns=['{rule}'])['Rules']\n\
         [f] = [a for a in r['Actions'] if a['Type'] == 'forward']\n\
         w = {{g['TargetGroupArn']: g['Weight'] for g in f['ForwardConfig']['TargetGroups']}}\n\
         print(100.0 * w.get('{group}', 0) / sum(w.values()))\n"
    );
    Ok(python(ctx, &["-c", &script])?.trim().parse()?)
}

fn apply_example(
    ctx: &TestContext,
    real: &BTreeMap<String, String>,
    service: &str,
    image: &str,
) -> Result<()> {
    ctx.apply(&example(ctx, "cluster.yaml", real, image)?)?;
    ctx.apply(&example(ctx, &format!("{service}.yaml"), real, image)?)?;
    Ok(())
}

pub async fn blue_green_moves_production_traffic_only_when_promoted(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let real = load_balancer(&ctx)?;
    let (production, test) = (rule(&real, 80, 10)?, rule(&real, 8080, 10)?);
    let blue = target_group(&real, "checkout-blue", "0000000000000001")?;
    let green = target_group(&real, "checkout-green", "0000000000000002")?;
    apply_example(&ctx, &real, "checkout", "nginx:1.26")?;
    // The first deployment pauses at the hook as well: promote it to start from Ready.
    until_reason(&ctx, "checkout", "RolloutPaused", 120).await?;
    kubectl_ecs(&ctx, &["promote", "checkout"])?;
    until_reason(&ctx, "checkout", "Ready", 120).await?;
    ensure!(
        share(&ctx, &production, &blue)? == 100.0,
        "revision 1 serves from the blue group"
    );

    apply_example(&ctx, &real, "checkout", "nginx:1.27")?;
    until_reason(&ctx, "checkout", "RolloutPaused", 120).await?;
    ensure!(status(&ctx, "checkout", ".status.rollout.stage")? == "POST_TEST_TRAFFIC_SHIFT");
    let arn = status(&ctx, "checkout", ".status.rollout.serviceDeploymentArn")?;
    ensure!(
        share(&ctx, &test, &green)? == 100.0,
        "test traffic reaches the new revision"
    );
    ensure!(
        share(&ctx, &production, &blue)? == 100.0,
        "production stays on the old one"
    );
    let weight = status(
        &ctx,
        "checkout",
        ".status.rollout.targetRevision.testTrafficWeight",
    )?;
    ensure!(
        weight == "100",
        "status.rollout reports test traffic {weight}"
    );
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    ensure!(
        status(&ctx, "checkout", READY_REASON)? == "RolloutPaused",
        "nothing moves it on alone"
    );

    kubectl_ecs(&ctx, &["promote", "checkout"])?;
    // Ready never shows before ECS reports the deployment (bake included) SUCCESSFUL.
    eventually("checkout is Ready on revision 2", 180, || async {
        let ready = status(
            &ctx,
            "checkout",
            ".status.conditions[?(@.type=='Ready')].status",
        )?;
        let deployment = status(&ctx, "checkout", ".status.rollout.status")?;
        ensure!(
            ready != "True" || deployment == "SUCCESSFUL",
            "Ready while the deployment is {deployment}"
        );
        Ok((ready == "True").then_some(()))
    })
    .await?;
    ensure!(
        share(&ctx, &production, &green)? == 100.0,
        "production moved to the new revision"
    );
    let promoted = event_messages(&ctx, "Promoted")?;
    ensure!(
        promoted.matches(arn.as_str()).count() == 1,
        "one Promoted Event for {arn}: {promoted}"
    );
    Ok(())
}

fn set_alarm(ctx: &TestContext, state: &str) -> Result<()> {
    let script = format!(
        "import boto3\nboto3.client('cloudwatch').set_alarm_state(AlarmName='search-5xx', \
         StateValue='{state}', StateReason='e2e')\n"
    );
    python(ctx, &["-c", &script]).map(|_| ())
}

pub async fn a_canary_rolls_back_on_its_alarm_and_on_failing_tasks(ctx: TestContext) -> Result<()> {
    ctx.start_operator()?;
    let real = load_balancer(&ctx)?;
    let production = rule(&real, 80, 20)?;
    let blue = target_group(&real, "search-blue", "0000000000000003")?;
    let green = target_group(&real, "search-green", "0000000000000004")?;
    apply_example(&ctx, &real, "search", "nginx:1.26")?;
    until_reason(&ctx, "search", "Ready", 120).await?;

    apply_example(&ctx, &real, "search", "nginx:1.27")?;
    eventually("10 % of production reaches the canary", 120, || async {
        Ok((share(&ctx, &production, &green)? == 10.0).then_some(()))
    })
    .await?;
    set_alarm(&ctx, "ALARM")?;
    until_reason(&ctx, "search", "RolledBack", 120).await?;
    let message = ready_message(&ctx, "search")?;
    ensure!(
        message.contains("search-5xx"),
        "the message names the alarm: {message}"
    );
    let fired = status(&ctx, "search", ".status.rollout.triggeredAlarms[*]")?;
    ensure!(
        fired == "search-5xx",
        "status.rollout.triggeredAlarms: {fired}"
    );
    let health = argocd_health(&ctx, "search")?;
    ensure!(
        health.starts_with("Degraded"),
        "Argo CD health of a rolled-back canary: {health}"
    );
    ensure!(
        share(&ctx, &production, &blue)? == 100.0,
        "production is back on the old revision"
    );

    set_alarm(&ctx, "OK")?;
    apply_example(&ctx, &real, "search", "nginx:does-not-exist")?;
    eventually("the failing canary is rolled back", 180, || async {
        let reason = status(&ctx, "search", READY_REASON)?;
        let deployment = status(&ctx, "search", ".status.taskDefinitionArn")?;
        Ok((reason == "RolledBack" && deployment.ends_with(":3")).then_some(()))
    })
    .await?;
    let message = ready_message(&ctx, "search")?;
    ensure!(
        message.contains("CannotPullContainerError"),
        "the stopped tasks' reason: {message}"
    );
    ensure!(
        share(&ctx, &production, &blue)? == 100.0,
        "production is back on the old revision"
    );
    let running = serving(&ctx, "shop", "search").await?;
    ensure!(running.ends_with(":1"), "ECS serves {running}");
    Ok(())
}
