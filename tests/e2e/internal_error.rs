//! An object the CRD's rules would refuse, stored while they did not hold (an older
//! CRD, or one installed without its rules), reaches the operator: it must stall that
//! object with a reason and keep serving every other one.

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::service::cluster_manifest;
use crate::support::operator::{self, Operator};
use crate::support::{TestContext, eventually};

/// A Service naming neither spec.cluster nor spec.clusterRef.
fn without_cluster(name: &str, finalizer: bool) -> String {
    let finalizers = if finalizer {
        "\n  finalizers: [ecs.operator.dev/finalizer]"
    } else {
        ""
    };
    format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: Service\nmetadata:\n  name: {name}{finalizers}\nspec:\n  taskDefinition: web:1\n"
    )
}

fn strip_rules(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("x-kubernetes-validations");
            map.values_mut().for_each(strip_rules);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_rules),
        _ => {}
    }
}

pub async fn an_object_stored_without_the_crds_rules_stalls_and_the_operator_serves_the_rest(
    ctx: TestContext,
) -> Result<()> {
    // The shared operator would race the CRD swap; this test runs its own afterwards.
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let stored = store_without_rules(&ctx).await;
    // The real CRDs come back whatever happened above.
    ctx.env.install_crds()?;
    stored?;
    ctx.refused_naming(&without_cluster("refused", false), "spec.clusterRef")?;

    let mut running = Operator::start(
        &ctx.env,
        "internal-error",
        &["--log-format", "text", "--resync-interval", "10s"],
        &[],
    )?;
    for name in ["bad-with-finalizer", "bad-without-finalizer"] {
        ctx.kubectl_ns(&[
            "wait",
            &format!("service.ecs.operator.dev/{name}"),
            "--for=condition=Stalled",
            "--timeout=60s",
        ])?;
        let reason = ctx.kubectl_ns(&[
            "get",
            "service.ecs.operator.dev",
            name,
            "-o",
            r#"jsonpath={.status.conditions[?(@.type=="Stalled")].reason} {.status.conditions[?(@.type=="Stalled")].message}"#,
        ])?;
        ensure!(
            reason.starts_with("InvalidSpec ") && reason.contains("spec.clusterRef"),
            "{name}: Stalled {reason:?}"
        );
        let finalizers = ctx.kubectl_ns(&[
            "get",
            "service.ecs.operator.dev",
            name,
            "-o",
            "jsonpath={.metadata.finalizers}",
        ])?;
        ensure!(
            finalizers.contains("ecs.operator.dev/finalizer"),
            "{name} has no finalizer: the API server refused the operator's patch ({finalizers:?})"
        );
    }

    // Everything else still converges, on the same process.
    let cluster = ctx.unique_name("after-bad");
    ctx.apply(&cluster_manifest(&cluster))?;
    ctx.wait_ready("cluster", &cluster)?;
    ensure!(
        running.is_running(),
        "the operator exited; see {}",
        running.log.display()
    );

    // The bad objects can still be deleted: nothing was created for them in AWS.
    ctx.kubectl_ns(&[
        "delete",
        "service.ecs.operator.dev",
        "bad-with-finalizer",
        "bad-without-finalizer",
        "--timeout=60s",
    ])?;
    ctx.kubectl_ns(&["delete", "cluster", &cluster, "--timeout=60s"])?;
    ensure!(
        running.is_running(),
        "the operator exited; see {}",
        running.log.display()
    );
    running.kill()
}

/// Installs the Service CRD with every CEL rule removed and stores the two bad objects.
async fn store_without_rules(ctx: &TestContext) -> Result<()> {
    let crd = ctx.kubectl(&["get", "crd", "services.ecs.operator.dev", "-o", "json"])?;
    let mut crd: Value = serde_json::from_str(&crd).context("the CRD as JSON")?;
    strip_rules(&mut crd);
    ctx.env
        .kubectl_stdin(&["replace", "-f", "-"], &crd.to_string())?;
    // The API server takes a moment to serve the new schema.
    eventually(
        "the API server to accept a Service without a cluster",
        30,
        || async { Ok(ctx.apply(&without_cluster("bad-with-finalizer", true)).ok()) },
    )
    .await?;
    ctx.apply(&without_cluster("bad-without-finalizer", false))?;
    Ok(())
}
