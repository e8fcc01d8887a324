//! An object the CRD's rules would refuse, stored while they did not hold (an older
//! CRD, or one installed without its rules), reaches the operator: it must stall that
//! object with a reason and keep serving every other one. That holds too for an
//! object the operator's types cannot read at all.

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::service::cluster_manifest;
use crate::support::operator::{self, Operator};
use crate::support::{TestContext, eventually};
use crate::task_definition::seed_manifest;

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

/// Removes every `key` from a CRD, however deep.
fn strip(value: &mut Value, key: &str) {
    match value {
        Value::Object(map) => {
            map.remove(key);
            map.values_mut().for_each(|v| strip(v, key));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip(v, key)),
        _ => {}
    }
}

/// Replaces the CRD `name` with a copy that has no `key` anywhere.
fn replace_crd_without(ctx: &TestContext, name: &str, key: &str) -> Result<()> {
    let crd = ctx.kubectl(&["get", "crd", name, "-o", "json"])?;
    let mut crd: Value = serde_json::from_str(&crd).context("the CRD as JSON")?;
    strip(&mut crd, key);
    ctx.env
        .kubectl_stdin(&["replace", "-f", "-"], &crd.to_string())?;
    Ok(())
}

/// A TaskDefinition whose container's stopTimeout no i32 holds: the API server used to
/// store it (it does not enforce `format: int32`), and an object like it failed every
/// list of TaskDefinitions the operator made.
fn unreadable_task_definition(name: &str) -> String {
    format!(
        "{}      stopTimeout: 8892544677285570127\n",
        seed_manifest(name, "nginx:1.27")
    )
}

pub async fn an_object_the_types_cannot_read_stalls_alone_and_the_rest_of_its_kind_converges(
    ctx: TestContext,
) -> Result<()> {
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let bad = ctx.unique_name("unreadable");
    let stored = store_unreadable(&ctx, &bad).await;
    ctx.env.install_crds()?;
    stored?;
    ctx.refused_naming(
        &unreadable_task_definition("refused"),
        "spec.containerDefinitions[0].stopTimeout",
    )?;

    let (before, after) = (
        ctx.unique_name("listed-with-it"),
        ctx.unique_name("applied-after"),
    );
    ctx.apply(&seed_manifest(&before, "nginx:1.27"))?;
    let mut running = Operator::start(
        &ctx.env,
        "unreadable",
        &["--log-format", "text", "--resync-interval", "10s"],
        &[],
    )?;
    ctx.apply(&seed_manifest(&after, "nginx:1.27"))?;
    ctx.wait_ready("taskdefinition", &before)?;
    ctx.wait_ready("taskdefinition", &after)?;
    ctx.kubectl_ns(&[
        "wait",
        &format!("taskdefinition/{bad}"),
        "--for=condition=Stalled",
        "--timeout=60s",
    ])?;
    let stalled = ctx.kubectl_ns(&[
        "get",
        "taskdefinition",
        &bad,
        "-o",
        r#"jsonpath={.status.conditions[?(@.type=="Stalled")].reason} {.status.conditions[?(@.type=="Stalled")].message}"#,
    ])?;
    ensure!(
        stalled.starts_with("InvalidSpec ")
            && stalled.contains("spec.containerDefinitions[0].stopTimeout")
            && stalled.contains("8892544677285570127"),
        "the unreadable object is Stalled naming the field and the value: {stalled:?}"
    );

    // Fixed, it is read and registered like any other.
    ctx.kubectl_ns(&[
        "patch",
        "taskdefinition",
        &bad,
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"containerDefinitions":[{"name":"web","image":"nginx:1.27","stopTimeout":30}]}}"#,
    ])?;
    ctx.wait_ready("taskdefinition", &bad)?;
    ensure!(
        running.is_running(),
        "the operator exited; see {}",
        running.log.display()
    );
    ctx.kubectl_ns(&[
        "delete",
        "taskdefinition",
        &bad,
        &before,
        &after,
        "--timeout=60s",
    ])?;
    running.kill()
}

/// Stores the unreadable TaskDefinition `name` under a CRD without integer maxima.
async fn store_unreadable(ctx: &TestContext, name: &str) -> Result<()> {
    replace_crd_without(ctx, "taskdefinitions.ecs.operator.dev", "maximum")?;
    eventually(
        "the API server to accept a stopTimeout beyond int32",
        30,
        || async { Ok(ctx.apply(&unreadable_task_definition(name)).ok().map(drop)) },
    )
    .await
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
    replace_crd_without(ctx, "services.ecs.operator.dev", "x-kubernetes-validations")?;
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
