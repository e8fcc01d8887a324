//! `docs/iam-policy.json` grants every AWS action the code calls, and nothing more.
//! The actions come from the operation table (`operations`).

use std::collections::BTreeSet;

use super::Operation;

/// `sdk.rs` and every file under `sdk/`, read from disk so a new file cannot be missed.
fn sdk_sources() -> Vec<String> {
    let aws = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aws");
    let mut paths = vec![aws.join("sdk.rs")];
    let entries = std::fs::read_dir(aws.join("sdk")).expect("src/aws/sdk is readable");
    paths.extend(entries.map(|e| e.expect("src/aws/sdk entry").path()));
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("SDK source is readable"))
        .collect()
}
const POLICY: &str = include_str!("../../docs/iam-policy.json");
/// Permissions AWS uses on the operator's behalf rather than API calls of its own:
/// roles passed to tasks, service-linked roles created on first use, and the CloudWatch
/// alarms Application Auto Scaling creates for target tracking policies with the
/// caller's permissions.
const DELEGATED: [&str; 5] = [
    "iam:PassRole",
    "iam:CreateServiceLinkedRole",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DeleteAlarms",
];

fn table_actions() -> BTreeSet<String> {
    Operation::ALL
        .iter()
        .map(|op| op.iam_action().to_string())
        .collect()
}

/// Action literals in the SDK layer (its error messages name the action).
fn sdk_actions() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for source in sdk_sources() {
        let prefixes: BTreeSet<_> = Operation::ALL
            .iter()
            .map(|op| format!("{}:", op.service().iam_prefix()))
            .collect();
        for prefix in prefixes {
            for piece in source.split(&format!("\"{prefix}")).skip(1) {
                let name: String = piece
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                found.insert(format!("{prefix}{name}"));
            }
        }
    }
    found
}

fn policy() -> serde_json::Value {
    serde_json::from_str(POLICY).expect("docs/iam-policy.json is JSON")
}

fn granted() -> BTreeSet<String> {
    let policy = policy();
    let statements = policy["Statement"].as_array().expect("a Statement list");
    statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| match &s["Action"] {
            serde_json::Value::String(one) => vec![one.clone()],
            serde_json::Value::Array(many) => many
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
            other => panic!("unexpected Action {other}"),
        })
        .collect()
}

#[test]
fn the_sdk_layer_calls_exactly_the_actions_the_table_declares() {
    let named = table_actions();
    let called = sdk_actions();
    let unnamed: Vec<_> = called.difference(&named).collect();
    assert!(
        unnamed.is_empty(),
        "the SDK layer calls {unnamed:?}, which the operation table does not declare"
    );
    let unseen: Vec<_> = named.difference(&called).collect();
    assert!(
        unseen.is_empty(),
        "no SDK source names {unseen:?}: is a file under src/aws/sdk/ not read?"
    );
}

#[test]
fn the_policy_grants_every_action_the_code_calls() {
    let granted = granted();
    let missing: Vec<_> = table_actions().difference(&granted).cloned().collect();
    assert!(missing.is_empty(), "docs/iam-policy.json lacks {missing:?}");
}

#[test]
fn the_policy_grants_nothing_the_code_does_not_use() {
    let mut used = table_actions();
    used.extend(DELEGATED.iter().map(|a| a.to_string()));
    let extra: Vec<_> = granted().difference(&used).cloned().collect();
    assert!(
        extra.is_empty(),
        "docs/iam-policy.json grants unused {extra:?}"
    );
}

#[test]
fn roles_are_passed_only_to_ecs_tasks_and_deletes_need_ownership_tags() {
    let policy = policy();
    let statements = policy["Statement"].as_array().unwrap();
    let with = |action: &str| {
        statements
            .iter()
            .filter(|s| {
                s["Action"] == action
                    || s["Action"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == action))
            })
            .collect::<Vec<_>>()
    };
    for statement in with("iam:PassRole") {
        assert_eq!(
            statement["Condition"]["StringEquals"]["iam:PassedToService"],
            "ecs-tasks.amazonaws.com"
        );
    }
    for action in ["ecs:DeleteCluster", "ecs:DeleteService"] {
        for statement in with(action) {
            assert_eq!(
                statement["Condition"]["StringEquals"]["aws:ResourceTag/ecs.operator.dev/managed-by"],
                "ecs-operator",
                "{action}"
            );
        }
    }
}
