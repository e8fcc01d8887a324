//! Walks `tests/bad-input/`: every manifest there is either refused by the API server
//! with a message naming the field, or accepted and then `Stalled` with the reason it
//! declares while the operator stays up, and recovered by the fix it declares.
//!
//! Each file starts with comment lines: `# expect: rejected` with `# message: <text
//! the refusal must contain>`, or `# expect: stalled` with `# reason: <condition
//! reason>` and `# fix: <JSON merge patch>`. When a file holds several documents, all
//! but the last are applied first and must be accepted (edits of immutable fields).
//! `$SUBNET` and `$GROUP` stand for a subnet and security group that exist in moto,
//! `$NAMESPACE` for the test's namespace (so a TenantPolicy governs no other test's).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail, ensure};

use crate::service::cluster_manifest;
use crate::support::operator::Operator;
use crate::support::{TestContext, eventually, moto_network, operator};
use crate::task_definition::seed_manifest;

const CORPUS: &str = "tests/bad-input";

struct Case {
    file: String,
    header: BTreeMap<String, String>,
    documents: Vec<String>,
}

fn corpus(namespace: &str, subnet: &str, group: &str) -> Result<Vec<Case>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(CORPUS)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|path| {
            let text = std::fs::read_to_string(&path)?
                .replace("$NAMESPACE", namespace)
                .replace("$SUBNET", subnet)
                .replace("$GROUP", group);
            let header = text
                .lines()
                .map_while(|l| l.strip_prefix("# "))
                .filter_map(|l| l.split_once(": "))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Ok(Case {
                file: path.display().to_string(),
                header,
                documents: text.split("\n---\n").map(str::to_string).collect(),
            })
        })
        .collect()
}

/// The object a manifest declares: (kind for kubectl, name).
fn object_of(manifest: &str) -> Result<(String, String)> {
    let value: serde_json::Value = serde_saphyr::from_str(manifest)?;
    let kind = match value["kind"].as_str() {
        Some("Service") => "service.ecs.operator.dev",
        Some("TaskDefinition") => "taskdefinition",
        Some("Cluster") => "cluster",
        Some("TenantPolicy") => "tenantpolicy",
        Some("Task") => "task.ecs.operator.dev",
        Some("ScheduledTask") => "scheduledtask.ecs.operator.dev",
        Some("CapacityProvider") => "capacityprovider.ecs.operator.dev",
        other => bail!("unexpected kind {other:?}"),
    };
    let name = value["metadata"]["name"].as_str().context("a name")?;
    Ok((kind.to_string(), name.to_string()))
}

fn condition(ctx: &TestContext, kind: &str, name: &str, type_: &str) -> Result<(String, String)> {
    let path = format!(
        "jsonpath={{.status.conditions[?(@.type==\"{type_}\")].status}}/{{.status.conditions[?(@.type==\"{type_}\")].reason}}"
    );
    let out = ctx.kubectl_ns(&["get", kind, name, "-o", &path])?;
    let (status, reason) = out.split_once('/').unwrap_or_default();
    Ok((status.to_string(), reason.to_string()))
}

async fn stalled_then_fixed(
    ctx: &TestContext,
    case: &Case,
    manifest: &str,
    operator: &mut Operator,
) -> Result<()> {
    let reason = case.header.get("reason").context("# reason:")?;
    let fix = case.header.get("fix").context("# fix:")?;
    ctx.apply(manifest)?;
    let (kind, name) = object_of(manifest)?;
    eventually(&format!("{name} Stalled with {reason}"), 60, || async {
        let (status, got) = condition(ctx, &kind, &name, "Stalled")?;
        Ok((status == "True" && &got == reason).then_some(()))
    })
    .await?;
    let message = ctx.kubectl_ns(&[
        "get",
        &kind,
        &name,
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Stalled\")].message}",
    ])?;
    ensure!(
        message.contains("fix") || message.contains("spec"),
        "the Stalled message says what to fix: {message}"
    );
    ensure!(
        operator.is_running(),
        "the operator exited on {}",
        case.file
    );
    ctx.kubectl_ns(&["patch", &kind, &name, "--type", "merge", "-p", fix])?;
    eventually(&format!("{name} Ready after the fix"), 60, || async {
        let (status, _) = condition(ctx, &kind, &name, "Ready")?;
        Ok((status == "True").then_some(()))
    })
    .await?;
    ctx.kubectl_ns(&["delete", &kind, &name, "--timeout=60s"])?;
    Ok(())
}

pub async fn every_bad_input_is_refused_or_stalls_and_recovers(ctx: TestContext) -> Result<()> {
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let mut operator = Operator::start(
        &ctx.env,
        "bad-input",
        &["--namespace", &ctx.namespace, "--resync-interval", "10s"],
        &[],
    )?;
    let (subnet, group) = moto_network(&ctx)?;
    ctx.apply(&cluster_manifest("base"))?;
    ctx.apply(&seed_manifest("base", "nginx:1.27"))?;
    ctx.wait_ready("cluster", "base")?;
    ctx.wait_ready("taskdefinition", "base")?;

    let cases = corpus(&ctx.namespace, &subnet, &group)?;
    ensure!(
        cases.len() >= 40,
        "only {} manifests in {CORPUS}",
        cases.len()
    );
    let (mut refused, mut stalled) = (0, 0);
    for case in &cases {
        let (last, earlier) = case.documents.split_last().context("a document")?;
        for document in earlier {
            ctx.apply(document)
                .with_context(|| format!("{}: the first document must be accepted", case.file))?;
        }
        match case.header.get("expect").map(String::as_str) {
            Some("rejected") => {
                let field = case.header.get("message").context("# message:")?;
                ctx.refused_naming(last, field)
                    .with_context(|| case.file.clone())?;
                refused += 1;
            }
            Some("stalled") => {
                stalled_then_fixed(&ctx, case, last, &mut operator)
                    .await
                    .with_context(|| case.file.clone())?;
                stalled += 1;
            }
            other => bail!("{}: unknown expectation {other:?}", case.file),
        }
        for document in earlier {
            let (kind, name) = object_of(document)?;
            ctx.kubectl_ns(&["delete", &kind, &name, "--timeout=60s"])?;
        }
    }
    ensure!(operator.is_running(), "the operator stayed up");
    eprintln!(
        "[e2e] bad-input corpus: {} manifests, {refused} refused by the API server, {stalled} stalled and recovered",
        cases.len()
    );
    operator.terminate(std::time::Duration::from_secs(30))?;
    Ok(())
}
