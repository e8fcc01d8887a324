//! The chart's rollout-approver role: who holds it in a namespace may create
//! RolloutApprovals there, in their own name only, and read Services, but not edit them;
//! `kubectl ecs promote` works with exactly that.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::chart::{can_i, service_account_kubeconfig};
use crate::progressive::kubectl_ecs_as;
use crate::support::TestContext;

fn approval(name: &str, approved_by: &str) -> String {
    format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: RolloutApproval\nmetadata:\n  name: {name}\n\
         spec:\n  service: web\n  serviceDeploymentArn: \
         arn:aws:ecs:us-east-1:123456789012:service-deployment/main/web/sd1\n  hookId: hook-1\n  \
         approvedBy: \"{approved_by}\"\n"
    )
}

/// Run with the chart installed by release namespace `release_namespace`.
pub async fn approvers_approve_as_themselves_and_cannot_edit_services(
    ctx: &TestContext,
    release_namespace: &str,
    namespace: &str,
) -> Result<()> {
    let roles: Value =
        serde_json::from_str(&ctx.kubectl(&["get", "clusterroles", "-o", "json"])?)?;
    let role = roles["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            r["metadata"]["annotations"]["meta.helm.sh/release-namespace"] == release_namespace
        })
        .filter_map(|r| r["metadata"]["name"].as_str())
        .find(|name| name.ends_with("-rollout-approver"))
        .context("the chart's rollout-approver ClusterRole")?
        .to_string();
    ctx.kubectl(&["create", "serviceaccount", "approver", "-n", namespace])?;
    ctx.kubectl(&[
        "create",
        "rolebinding",
        "approver",
        "-n",
        namespace,
        &format!("--clusterrole={role}"),
        &format!("--serviceaccount={namespace}:approver"),
    ])?;
    let user = format!("system:serviceaccount:{namespace}:approver");
    let can = |verb: &str, resource: &str| can_i(ctx, &user, namespace, verb, resource);
    ensure!(
        can("create", "rolloutapprovals.ecs.operator.dev")?,
        "an approver cannot approve"
    );
    ensure!(
        can("get", "services.ecs.operator.dev")?,
        "an approver cannot read Services"
    );
    for verb in ["patch", "update", "delete"] {
        ensure!(
            !can(verb, "services.ecs.operator.dev")?,
            "an approver can {verb} Services"
        );
    }

    let dir = tempfile::tempdir()?;
    let kubeconfig = dir.path().join("kubeconfig");
    service_account_kubeconfig(ctx, "approver", namespace, &kubeconfig)?;
    let kubeconfig = kubeconfig.to_string_lossy().to_string();
    let create = |manifest: &str| {
        ctx.env.kubectl_output(
            &[
                "--kubeconfig",
                &kubeconfig,
                "create",
                "-n",
                namespace,
                "-f",
                "-",
            ],
            Some(manifest),
        )
    };
    // An admission policy takes effect a moment after it is created; each try is a new
    // object, as the policy judges creates.
    let mut refusal = String::new();
    for attempt in 0..30 {
        let out = create(&approval(&format!("forged-{attempt}"), "alice@example.com"))?;
        if !out.status.success() {
            refusal = String::from_utf8_lossy(&out.stderr).to_string();
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    ensure!(
        refusal.contains("spec.approvedBy must be the user creating the approval"),
        "an approval in another's name was not refused by the policy: {refusal:?}"
    );
    let own = create(&approval("own", &user))?;
    ensure!(
        own.status.success(),
        "an approval in the approver's own name was refused: {}",
        String::from_utf8_lossy(&own.stderr)
    );
    promote_as_the_approver(ctx, &kubeconfig, namespace, &user)
}

/// `kubectl ecs promote` with the approver's identity: it reads the Service, learns who
/// it is (SelfSubjectReview) and creates the approval the policy accepts. The Service's
/// status is written by hand (no operator watches this namespace).
fn promote_as_the_approver(
    ctx: &TestContext,
    kubeconfig: &str,
    namespace: &str,
    user: &str,
) -> Result<()> {
    let arn = "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/paused/sd2";
    ctx.env.kubectl_stdin(
        &["apply", "-n", namespace, "-f", "-"],
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: Service\nmetadata:\n  name: paused\n\
         spec:\n  cluster: main\n  taskDefinition: web:2\n",
    )?;
    let status = serde_json::json!({"status": {"rollout": {
        "serviceDeploymentArn": arn, "strategy": "BLUE_GREEN", "status": "IN_PROGRESS",
        "stage": "POST_TEST_TRAFFIC_SHIFT",
        "hooks": [{"hookId": "h1", "targetType": "PAUSE", "status": "AWAITING_ACTION"}],
    }}});
    ctx.kubectl(&[
        "patch",
        "-n",
        namespace,
        "services.ecs.operator.dev",
        "paused",
        "--subresource=status",
        "--type=merge",
        "-p",
        &status.to_string(),
    ])?;
    let said = kubectl_ecs_as(ctx, Some(kubeconfig), namespace, &["promote", "paused"])?;
    ensure!(said.contains(arn), "promote names the deployment: {said}");
    let approved_by = ctx.kubectl(&[
        "get",
        "-n",
        namespace,
        "rolloutapprovals",
        "-o",
        "jsonpath={.items[?(@.spec.service=='paused')].spec.approvedBy}",
    ])?;
    ensure!(
        approved_by == user,
        "the plugin's approval names {approved_by:?}, not the approver {user}"
    );
    Ok(())
}
