//! `docs/iam-policy.json` grants every AWS action the code calls, and nothing more.
//! The actions come from the `EcsApi` trait: each method's doc names its action.

use std::collections::BTreeSet;

const TRAIT_SOURCE: &str = include_str!("mod.rs");

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
const SERVICE_PREFIXES: [&str; 2] = ["ecs:", "application-autoscaling:"];

/// (method, action) for every method of the trait; panics on a method without one.
fn trait_actions() -> Vec<(String, String)> {
    let body = TRAIT_SOURCE
        .split("pub trait EcsApi")
        .nth(1)
        .and_then(|rest| rest.split("\n}\n").next())
        .expect("src/aws/mod.rs declares the EcsApi trait");
    let mut docs = String::new();
    let mut found = Vec::new();
    for line in body.lines().map(str::trim) {
        if let Some(doc) = line.strip_prefix("///") {
            docs.push_str(doc);
        } else if let Some(signature) = line.strip_prefix("async fn ") {
            let method = signature
                .split(['(', '<'])
                .next()
                .unwrap_or_default()
                .to_string();
            let action = docs
                .split('`')
                .find(|quoted| SERVICE_PREFIXES.iter().any(|p| quoted.starts_with(p)))
                .unwrap_or_else(|| {
                    panic!("EcsApi::{method} must name its IAM action in its doc, like `ecs:CreateService`")
                })
                .to_string();
            found.push((method, action));
            docs.clear();
        }
    }
    found
}

fn trait_action_set() -> BTreeSet<String> {
    trait_actions().into_iter().map(|(_, a)| a).collect()
}

/// Action literals in the SDK layer (its error messages name the action).
fn sdk_actions() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for source in sdk_sources() {
        for prefix in SERVICE_PREFIXES {
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
fn every_aws_method_names_its_iam_action() {
    let actions = trait_actions();
    let methods = TRAIT_SOURCE
        .split("pub trait EcsApi")
        .nth(1)
        .and_then(|rest| rest.split("\n}\n").next())
        .unwrap()
        .matches("async fn ")
        .count();
    assert_eq!(actions.len(), methods);
    assert!(actions.len() >= 15, "{actions:?}");
}

#[test]
fn the_sdk_layer_calls_exactly_the_actions_the_trait_names() {
    let named = trait_action_set();
    let called = sdk_actions();
    let unnamed: Vec<_> = called.difference(&named).collect();
    assert!(
        unnamed.is_empty(),
        "the SDK layer calls {unnamed:?}, which no EcsApi method names"
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
    let missing: Vec<_> = trait_actions()
        .into_iter()
        .filter(|(_, action)| !granted.contains(action))
        .collect();
    assert!(missing.is_empty(), "docs/iam-policy.json lacks {missing:?}");
}

#[test]
fn the_policy_grants_nothing_the_code_does_not_use() {
    let mut used = trait_action_set();
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
