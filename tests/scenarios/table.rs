//! The rollout scenario table (`service_rollouts.json`), read by the reconciler test
//! against the in-process fake and by the e2e test against the ECS emulator, so the two
//! cannot drift apart. Each side plays a row its own way and reports what it `Seen`;
//! `misses` judges both alike.

use std::collections::BTreeMap;

use serde::Deserialize;

const TABLE: &str = include_str!("service_rollouts.json");

/// The file also has an `about` for its readers.
#[derive(Deserialize)]
struct Table {
    rows: Vec<Row>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Row {
    pub name: String,
    /// The ECS behaviour the row pins, and where AWS documents it.
    pub behaviour: String,
    pub circuit_breaker: CircuitBreaker,
    /// Revision 1, which the Service runs first.
    pub from: Revision,
    /// Revision 2, which the TaskDefinition changes to.
    pub to: Revision,
    pub expect: Expect,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revision {
    /// The image of the one container, `web`.
    pub image: String,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expect {
    /// Ready (Ready=True) or Stalled (Stalled=True).
    pub condition: String,
    pub reason: String,
    /// The revision ECS runs in the end: 1 or 2.
    pub runs: u32,
    /// Text the condition message contains.
    pub message: Vec<String>,
    /// The newest stopped task in status.failedRollout, for a failure.
    #[serde(default)]
    pub stop_code: Option<String>,
    /// How its stoppedReason starts.
    #[serde(default)]
    pub stopped_reason: Option<String>,
    /// Its one container's exit code; null when the container never started.
    #[serde(default)]
    pub exit_code: Option<i32>,
}

/// What playing a row ended with.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Ready, Stalled or Reconciling.
    pub condition: String,
    pub reason: String,
    pub message: String,
    /// The revision number ECS runs.
    pub runs: u32,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub exit_code: Option<i32>,
}

/// Every row of the table.
pub fn rows() -> Vec<Row> {
    let table: Table = serde_json::from_str(TABLE).expect("service_rollouts.json parses");
    assert!(
        table.rows.len() >= 4,
        "the table covers a completed rollout, both kinds of failure and no rollback"
    );
    table.rows
}

/// The expectations of `row` that `seen` does not meet, each naming the row and the
/// behaviour it pins; none when it holds.
pub fn misses(row: &Row, seen: &Seen) -> Vec<String> {
    let expect = &row.expect;
    let mut missed = Vec::new();
    if (seen.condition.as_str(), seen.reason.as_str())
        != (expect.condition.as_str(), expect.reason.as_str())
    {
        missed.push(format!(
            "condition {} {} instead of {} {}",
            seen.condition, seen.reason, expect.condition, expect.reason
        ));
    }
    if seen.runs != expect.runs {
        missed.push(format!(
            "ECS runs revision {} instead of {}",
            seen.runs, expect.runs
        ));
    }
    for text in &expect.message {
        if !seen.message.contains(text.as_str()) {
            missed.push(format!("the message lacks {text:?}: {:?}", seen.message));
        }
    }
    if let Some(code) = &expect.stop_code {
        if seen.stop_code.as_ref() != Some(code) {
            missed.push(format!("stopCode {:?} instead of {code}", seen.stop_code));
        }
        let reason = expect.stopped_reason.as_deref().unwrap_or_default();
        if !seen
            .stopped_reason
            .as_deref()
            .is_some_and(|r| r.starts_with(reason))
        {
            missed.push(format!(
                "stoppedReason {:?} does not start with {reason:?}",
                seen.stopped_reason
            ));
        }
        if seen.exit_code != expect.exit_code {
            missed.push(format!(
                "exit code {:?} instead of {:?}",
                seen.exit_code, expect.exit_code
            ));
        }
    }
    missed
        .into_iter()
        .map(|m| format!("{} ({}): {m}", row.name, row.behaviour))
        .collect()
}

/// The revision number at the end of a task definition ARN (`...:2`).
pub fn revision_number(task_definition: &str) -> u32 {
    task_definition
        .rsplit(':')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
