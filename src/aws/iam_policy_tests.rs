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
/// roles passed to tasks, service-linked roles created on first use, tagging a scalable
/// target as it is registered, and the CloudWatch
/// alarms Application Auto Scaling creates for target tracking policies with the
/// caller's permissions.
const DELEGATED: [&str; 7] = [
    "iam:PassRole",
    // RegisterScalableTarget with Tags also needs TagResource (a dependent action), as
    // does CreateScheduleGroup with Tags.
    "application-autoscaling:TagResource",
    "scheduler:TagResource",
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
fn roles_are_passed_only_to_ecs_and_its_tasks_and_deletes_need_ownership_tags() {
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
    // Task roles go to ECS tasks; lifecycle hook and load balancer roles to ECS itself;
    // a schedule's role to EventBridge Scheduler.
    let passed_to: BTreeSet<_> = with("iam:PassRole")
        .iter()
        .map(|statement| {
            statement["Condition"]["StringEquals"]["iam:PassedToService"]
                .as_str()
                .unwrap_or("any service")
                .to_string()
        })
        .collect();
    assert_eq!(
        passed_to,
        BTreeSet::from([
            "ecs-tasks.amazonaws.com".into(),
            "ecs.amazonaws.com".into(),
            "scheduler.amazonaws.com".into()
        ])
    );
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

const ADOPTION_POLICY: &str = include_str!("../../docs/iam-policy-adoption.json");
const CONDITION_KEYS: &str = include_str!("../../docs/iam-condition-keys.json");

/// Each statement's actions, whatever shape Action has.
fn actions_of(statement: &serde_json::Value) -> Vec<String> {
    match &statement["Action"] {
        serde_json::Value::String(one) => vec![one.clone()],
        serde_json::Value::Array(many) => many
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// The condition keys a statement uses, as the reference writes them (a tag key in
/// place becomes `${TagKey}`).
fn condition_keys(statement: &serde_json::Value) -> Vec<String> {
    let mut keys = Vec::new();
    for operator in statement["Condition"].as_object().into_iter().flatten() {
        for key in operator.1.as_object().into_iter().flatten().map(|(k, _)| k) {
            keys.push(match key.split_once('/') {
                Some((prefix, _)) if prefix.ends_with("Tag") => format!("{prefix}/${{TagKey}}"),
                _ => key.clone(),
            });
        }
    }
    keys
}

/// Every condition key an Allow statement uses is one the Service Authorization
/// Reference lists for each of its actions (AWS ignores no key: an unsupported one
/// never matches, so the statement would silently grant nothing, or, in a Deny, too
/// much); and an action without a resource type is granted on "*" only.
fn conditions_are_supported(policy: &serde_json::Value) -> Vec<String> {
    let table: serde_json::Value = serde_json::from_str(CONDITION_KEYS).expect("the table is JSON");
    let global: Vec<&str> = table["global"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k.as_str())
        .collect();
    let mut wrong = Vec::new();
    for statement in policy["Statement"].as_array().unwrap() {
        if statement["Effect"] != "Allow" {
            continue;
        }
        for action in actions_of(statement) {
            let Some(entry) = table["actions"].get(&action) else {
                wrong.push(format!("{action} is not in docs/iam-condition-keys.json"));
                continue;
            };
            let supported: Vec<&str> = entry["keys"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|k| k.as_str())
                .collect();
            for key in condition_keys(statement) {
                if !supported.contains(&key.as_str()) && !global.contains(&key.as_str()) {
                    wrong.push(format!(
                        "{} uses {key}, which {action} does not support",
                        statement["Sid"]
                    ));
                }
            }
            if entry["resource"].is_null() && statement["Resource"] != "*" {
                wrong.push(format!(
                    "{action} has no resource type: its Resource must be \"*\""
                ));
            }
        }
    }
    wrong
}

#[test]
fn every_condition_is_one_aws_evaluates_for_its_actions() {
    for (name, text) in [
        ("iam-policy.json", POLICY),
        ("iam-policy-adoption.json", ADOPTION_POLICY),
    ] {
        let policy: serde_json::Value = serde_json::from_str(text).expect("JSON");
        let wrong = conditions_are_supported(&policy);
        assert!(wrong.is_empty(), "docs/{name}:\n{}", wrong.join("\n"));
    }
}

#[test]
fn a_condition_key_the_reference_does_not_list_is_refused() {
    let policy = serde_json::json!({"Statement": [{
        "Sid": "Wrong", "Effect": "Allow", "Action": "ecs:DeregisterTaskDefinition",
        "Resource": "arn:aws:ecs:*:*:task-definition/*",
        "Condition": {"StringEquals": {"aws:ResourceTag/ecs.operator.dev/managed-by": "ecs-operator"}},
    }]});
    assert_eq!(conditions_are_supported(&policy).len(), 2);
}

/// The statements that allow `action`.
fn allowing<'a>(policy: &'a serde_json::Value, action: &str) -> Vec<&'a serde_json::Value> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == "Allow" && actions_of(s).iter().any(|a| a == action))
        .collect()
}

const OWNED: &str = "aws:ResourceTag/ecs.operator.dev/managed-by";

#[test]
fn writes_to_existing_resources_need_the_ownership_tag() {
    let policy = policy();
    for action in [
        "ecs:UpdateCluster",
        "ecs:PutClusterCapacityProviders",
        "ecs:UpdateService",
        "ecs:UntagResource",
        "ecs:DeleteCluster",
        "ecs:DeleteService",
        "ecs:StopTask",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:PutScheduledAction",
        "application-autoscaling:DeleteScheduledAction",
    ] {
        let statements = allowing(&policy, action);
        assert!(!statements.is_empty(), "{action} is not granted");
        for statement in statements {
            assert_eq!(
                statement["Condition"]["StringEquals"][OWNED], "ecs-operator",
                "{action}"
            );
        }
    }
}

#[test]
fn ecs_tags_go_on_at_create_or_on_what_is_already_ours_unless_adoption_is_granted() {
    let policy = policy();
    for statement in allowing(&policy, "ecs:TagResource") {
        let condition = &statement["Condition"]["StringEquals"];
        let at_create = condition["ecs:CreateAction"].as_array().is_some_and(|a| {
            a.iter().all(|v| {
                [
                    "CreateCluster",
                    "CreateCapacityProvider",
                    "CreateService",
                    "RegisterTaskDefinition",
                    "RunTask",
                ]
                .contains(&v.as_str().unwrap_or_default())
            })
        });
        assert!(
            at_create || condition[OWNED] == "ecs-operator",
            "{statement}"
        );
    }
    let adoption: serde_json::Value = serde_json::from_str(ADOPTION_POLICY).unwrap();
    let [adopt] = allowing(&adoption, "ecs:TagResource")[..] else {
        panic!("one adoption statement")
    };
    assert_eq!(
        adopt["Condition"]["Null"][OWNED], "true",
        "only untagged resources"
    );
    assert_eq!(
        adopt["Condition"]["StringEquals"]["aws:RequestTag/ecs.operator.dev/managed-by"],
        "ecs-operator"
    );
}

#[test]
fn roles_are_passed_only_from_the_documented_path_and_requests_stay_in_served_regions() {
    let policy = policy();
    for statement in allowing(&policy, "iam:PassRole") {
        assert_eq!(statement["Resource"], "arn:aws:iam::*:role/ecs-operator/*");
    }
    let fence = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Effect"] == "Deny")
        .expect("a region fence");
    assert_eq!(fence["NotAction"], "iam:*", "IAM is global (us-east-1)");
    assert!(fence["Condition"]["StringNotEquals"]["aws:RequestedRegion"].is_array());
}
