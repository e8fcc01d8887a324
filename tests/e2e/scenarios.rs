//! The rollout scenario table (tests/scenarios/service_rollouts.json) played end to end:
//! kubectl, the operator through the AWS SDK, and the ECS emulator, whose deployments,
//! failures and rollbacks run on its own clock. `src/service/scenario_tests.rs` plays
//! the same rows against the in-process fake.

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::service::{cluster_manifest, in_moto, service_manifest_with_breaker};
use crate::support::{TestContext, eventually, moto_network};
use crate::task_definition::revision_manifest;

#[path = "../scenarios/table.rs"]
mod table;

use table::{Revision, Seen, misses, revision_number, rows};

/// Emulated rollouts and rollbacks take tens of seconds at the emulator's default speed;
/// the operator polls a rollout in flight every 10 s.
const SECONDS_PER_ROW: u64 = 240;

pub async fn the_emulator_plays_every_row_of_the_rollout_scenario_table(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    let rows = rows();
    let (subnet, group) = moto_network(&ctx)?;
    let cluster = ctx.unique_name("scenarios");
    ctx.apply(&cluster_manifest(&cluster))?;
    // Every row runs at once, each in its own TaskDefinition and Service.
    let names: Vec<String> = (0..rows.len())
        .map(|i| ctx.unique_name(&format!("row{i}")))
        .collect();
    for (row, name) in rows.iter().zip(&names) {
        ctx.apply(&revision(name, &row.from))?;
        let breaker = (row.circuit_breaker.enable, row.circuit_breaker.rollback);
        ctx.apply(&service_manifest_with_breaker(
            name, &cluster, name, &subnet, &group, breaker,
        ))?;
    }
    for name in &names {
        ctx.wait_ready("service.ecs.operator.dev", name)
            .with_context(|| format!("{name} on revision 1"))?;
    }
    for (row, name) in rows.iter().zip(&names) {
        ctx.apply(&revision(name, &row.to))?;
    }

    let mut played = Vec::new();
    let mut missed = Vec::new();
    for (row, name) in rows.iter().zip(&names) {
        let outcome = eventually(&row.name, SECONDS_PER_ROW, || async {
            let seen = seen(&ctx, &cluster, name).await?;
            Ok(misses(row, &seen).is_empty().then_some(seen))
        })
        .await;
        match outcome {
            Ok(seen) => eprintln!(
                "[e2e] {}: {} {}: {}",
                row.name, seen.condition, seen.reason, seen.message
            ),
            Err(_) => missed.extend(misses(row, &seen(&ctx, &cluster, name).await?)),
        }
        played.push(row.name.clone());
    }
    if played.len() != rows.len() || !missed.is_empty() {
        bail!(
            "played {played:?} of {} rows; missed: {missed:#?}",
            rows.len()
        );
    }
    Ok(())
}

/// What the Service's status and the emulator say of the row's Service now.
async fn seen(ctx: &TestContext, cluster: &str, name: &str) -> Result<Seen> {
    let object: Value = serde_json::from_str(&ctx.kubectl_ns(&[
        "get",
        "service.ecs.operator.dev",
        name,
        "-o",
        "json",
    ])?)?;
    let status = &object["status"];
    let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
    let holding = |kind: &str| {
        conditions
            .iter()
            .find(|c| c["type"] == kind && c["status"] == "True")
    };
    let (condition, found) = match (holding("Ready"), holding("Stalled")) {
        (Some(ready), _) => ("Ready", Some(ready)),
        (None, Some(stalled)) => ("Stalled", Some(stalled)),
        (None, None) => ("Reconciling", holding("Reconciling")),
    };
    let text = |value: &Value| value.as_str().map(str::to_string);
    let newest = &status["failedRollout"]["stoppedTasks"][0];
    let (_, running, _) = in_moto(ctx, cluster, name).await?;
    Ok(Seen {
        condition: condition.to_string(),
        reason: found.and_then(|c| text(&c["reason"])).unwrap_or_default(),
        message: found.and_then(|c| text(&c["message"])).unwrap_or_default(),
        runs: revision_number(&running),
        stop_code: text(&newest["stopCode"]),
        stopped_reason: text(&newest["stoppedReason"]),
        exit_code: newest["containers"][0]["exitCode"]
            .as_i64()
            .and_then(|code| i32::try_from(code).ok()),
    })
}

/// The TaskDefinition `name` as the row's `revision` describes it.
fn revision(name: &str, revision: &Revision) -> String {
    let environment: Vec<(&str, &str)> = revision
        .environment
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    revision_manifest(name, &revision.image, &environment)
}
