//! The rollout scenario table (tests/scenarios/service_rollouts.json) played against the
//! in-process fake; tests/e2e/scenarios.rs plays the same rows against the ECS emulator.

use super::tests::{Objects, Rig, TD2, reason};
use crate::api::service::{DeploymentCircuitBreaker, DeploymentConfiguration, ServiceStatus};
use crate::reconcile::{Health, Outcome};

#[path = "../../tests/scenarios/table.rs"]
mod table;

use table::{Row, Seen, misses, revision_number, rows};

/// Rounds of simulated time a row may take; the fake completes or fails a deployment
/// in one, and a rollback in one more.
const ROUNDS: usize = 6;

#[tokio::test]
async fn the_fake_plays_every_row_of_the_rollout_scenario_table() {
    let rows = rows();
    let mut played = Vec::new();
    let mut missed = Vec::new();
    for row in &rows {
        missed.extend(play(row).await);
        played.push(row.name.clone());
    }
    assert_eq!(played.len(), rows.len(), "every row played: {played:?}");
    assert!(missed.is_empty(), "{missed:#?}");
}

/// Plays `row` and returns what it missed.
async fn play(row: &Row) -> Vec<String> {
    let mut rig = Rig::new();
    rig.edit_spec(|spec| {
        spec.settings.deployment_configuration = Some(DeploymentConfiguration {
            deployment_circuit_breaker: Some(DeploymentCircuitBreaker {
                enable: row.circuit_breaker.enable,
                rollback: row.circuit_breaker.rollback,
            }),
            ..Default::default()
        });
    });
    rig.register_revision_with(&row.from.image, &row.from.environment);
    let to = rig.register_revision_with(&row.to.image, &row.to.environment);
    assert_eq!(
        to, TD2,
        "{}: revision 2 is the one the Service moves to",
        row.name
    );
    let first = rig.until_ready(ROUNDS).await;
    assert_eq!(
        reason(&first),
        "Ready",
        "{}: revision 1 rolls out first",
        row.name
    );

    rig.objects.task_definition_at(TD2, 2);
    let mut outcome = rig.reconcile().await;
    let mut missed = misses(row, &seen(&rig, &outcome));
    for _ in 0..ROUNDS {
        if missed.is_empty() {
            break;
        }
        rig.fake().advance();
        outcome = rig.reconcile().await;
        missed = misses(row, &seen(&rig, &outcome));
    }
    missed
}

fn seen(rig: &Rig, outcome: &Outcome<ServiceStatus>) -> Seen {
    let (condition, message) = match &outcome.health {
        Health::Ready { message } => ("Ready", message),
        Health::Progressing { message, .. } => ("Reconciling", message),
        Health::Stalled { message, .. } => ("Stalled", message),
    };
    let newest = outcome
        .status
        .failed_rollout
        .as_ref()
        .and_then(|f| f.stopped_tasks.first());
    Seen {
        condition: condition.to_string(),
        reason: reason(outcome).to_string(),
        message: message.clone(),
        runs: revision_number(&rig.ecs_service().task_definition),
        stop_code: newest.and_then(|t| t.stop_code.clone()),
        stopped_reason: newest.and_then(|t| t.stopped_reason.clone()),
        exit_code: newest
            .and_then(|t| t.containers.first())
            .and_then(|c| c.exit_code),
    }
}
