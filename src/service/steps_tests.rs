//! The calls a pass makes: create when nothing lives, else retag and update only what
//! differs, in that order.

use super::plan::{Step, plan};
use super::plan_tests::{TD1, as_ecs_reports, desired, object};
use crate::api::ServiceStatus;

fn applied(d: &super::plan::Desired) -> ServiceStatus {
    ServiceStatus {
        applied_hash: Some(d.hash.clone()),
        managed_tag_keys: d.spec_tag_keys(),
        ..Default::default()
    }
}

#[test]
fn a_service_that_does_not_live_is_created_with_its_client_token() {
    let spec = serde_json::json!({"desiredCount": 2});
    let d = desired(spec.clone(), TD1);
    let steps = plan(&object(spec), &d, None, &ServiceStatus::default());
    let [Step::Create(request)] = steps.as_slice() else {
        panic!("expected one create, got {steps:?}")
    };
    assert_eq!(request.task_definition.as_deref(), Some(TD1));
    assert!(!request.client_token.is_empty() && request.client_token.len() <= 36);
}

#[test]
fn a_converged_service_needs_no_call() {
    let spec = serde_json::json!({"tags": {"team": "shop"}});
    let d = desired(spec.clone(), TD1);
    let mut live = as_ecs_reports(&d);
    live.tags = d.tags.clone();
    assert_eq!(plan(&object(spec), &d, Some(&live), &applied(&d)), []);
}

#[test]
fn tags_are_fixed_before_the_update_and_a_removed_tag_is_untagged() {
    let spec = serde_json::json!({"desiredCount": 3, "tags": {"team": "shop"}});
    let d = desired(spec.clone(), TD1);
    let mut live = as_ecs_reports(&d);
    live.desired_count = 1;
    live.tags = d.tags.clone();
    live.tags.insert("team".into(), "blog".into());
    live.tags.insert("old".into(), "x".into());
    let recorded = ServiceStatus {
        managed_tag_keys: vec!["old".into(), "team".into()],
        ..applied(&d)
    };
    let steps = plan(&object(spec), &d, Some(&live), &recorded);
    let kinds: Vec<&str> = steps
        .iter()
        .map(|s| match s {
            Step::Create(_) => "create",
            Step::Tag { .. } => "tag",
            Step::Untag { .. } => "untag",
            Step::Update { .. } => "update",
        })
        .collect();
    assert_eq!(kinds, ["tag", "untag", "update"]);
    let Step::Update { request, changed } = &steps[2] else {
        panic!("expected an update, got {:?}", steps[2])
    };
    assert_eq!(
        (request.desired_count, changed.as_slice()),
        (Some(3), ["desiredCount"].as_slice())
    );
    assert!(matches!(&steps[1], Step::Untag { keys, .. } if keys == &["old".to_string()]));
}

#[test]
fn spec_tags_never_stand_in_for_the_ownership_tags() {
    // The API server refuses these keys; an object stored before that rule must still
    // not speak for another namespace.
    let spec = serde_json::json!({"tags": {
        "ecs.operator.dev/namespace": "team-a",
        "ecs.operator.dev/uid": "uid-of-team-a",
        "team": "shop"
    }});
    let d = desired(spec.clone(), TD1);
    let steps = plan(&object(spec), &d, None, &ServiceStatus::default());
    let [Step::Create(request)] = steps.as_slice() else {
        panic!("expected one create, got {steps:?}");
    };
    let tag = |key: &str| request.tags.get(key).map(String::as_str);
    assert_eq!(tag("ecs.operator.dev/namespace"), Some("shop"));
    assert_eq!(
        tag("ecs.operator.dev/uid"),
        Some("9d2e1f7a-1111-2222-3333-444455556666")
    );
    assert_eq!(tag("team"), Some("shop"));
}
