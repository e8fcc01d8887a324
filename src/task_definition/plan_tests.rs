use std::collections::BTreeSet;

use super::plan::*;
use crate::api::task_definition::{
    ContainerDefinition, KeyValuePair, LogConfiguration, TaskDefinitionFields,
};
use crate::aws::EcsTaskDefinition;

fn revision(number: i32, hash: &str) -> Revision {
    Revision {
        number,
        arn: format!("arn:aws:ecs:us-east-1:123456789012:task-definition/web:{number}"),
        hash: hash.to_string(),
        registered_at: None,
    }
}

fn numbers(revisions: &[Revision]) -> Vec<i32> {
    revisions.iter().map(|r| r.number).collect()
}

#[test]
fn first_spec_needs_a_revision() {
    assert!(needs_registration("h1", &[]));
}

#[test]
fn unchanged_spec_needs_no_revision() {
    assert!(!needs_registration(
        "h2",
        &[revision(2, "h2"), revision(1, "h1")]
    ));
}

#[test]
fn spec_reverted_to_an_older_revision_registers_a_new_one() {
    // The newest revision must match the spec: Services follow the newest.
    assert!(needs_registration(
        "h1",
        &[revision(2, "h2"), revision(1, "h1")]
    ));
}

#[test]
fn history_keeps_the_newest_up_to_the_limit() {
    let owned: Vec<_> = (1..=5).rev().map(|n| revision(n, "h")).collect();
    let r = retention(&owned, 3, &BTreeSet::new());
    assert_eq!(numbers(&r.keep), [5, 4, 3]);
    assert_eq!(numbers(&r.deregister), [2, 1]);
}

#[test]
fn history_spares_old_revisions_a_service_uses() {
    let owned: Vec<_> = (1..=5).rev().map(|n| revision(n, "h")).collect();
    let in_use = BTreeSet::from([owned[4].arn.clone()]);
    let r = retention(&owned, 2, &in_use);
    assert_eq!(numbers(&r.keep), [5, 4, 1]);
    assert_eq!(numbers(&r.deregister), [3, 2]);
}

#[test]
fn history_limit_below_one_still_keeps_the_latest() {
    let owned = [revision(2, "h2"), revision(1, "h1")];
    let r = retention(&owned, 0, &BTreeSet::new());
    assert_eq!(numbers(&r.keep), [2]);
}

#[test]
fn arn_gives_family_and_revision() {
    assert_eq!(
        parse_arn("arn:aws:ecs:us-east-1:123456789012:task-definition/web-worker:12"),
        Some(("web-worker", 12))
    );
    assert_eq!(parse_arn("web"), None);
    assert_eq!(
        parse_arn("arn:aws:ecs:us-east-1:1:task-definition/web:latest"),
        None
    );
}

#[test]
fn urls_carrying_a_password_are_flagged_by_name_whatever_the_variable_is_called() {
    let env = |name: &str, value: &str| KeyValuePair {
        name: name.into(),
        value: value.into(),
    };
    let fields = TaskDefinitionFields {
        container_definitions: vec![ContainerDefinition {
            name: "web".into(),
            image: "nginx".into(),
            environment: vec![
                env(
                    "DATABASE_URL",
                    "postgres://app:pw@db:5432/shop?sslmode=require",
                ),
                env("REDIS_URL", "redis://cache:6379/0"),
                env("HOMEPAGE", "https://someone@example.com/about"),
                env("UPSTREAMS", "http://a.internal, amqp://guest:guest@mq:5672"),
                env("AT_IN_PATH", "https://example.com/u:x@y"),
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    let flagged = credential_like_variables(&fields);
    let names: Vec<_> = flagged.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(names, ["DATABASE_URL", "UPSTREAMS"]);
}

#[test]
fn credential_like_variable_names_are_flagged_without_values() {
    let env = |name: &str| KeyValuePair {
        name: name.into(),
        value: "hunter2".into(),
    };
    let fields = TaskDefinitionFields {
        container_definitions: vec![ContainerDefinition {
            name: "web".into(),
            image: "nginx".into(),
            environment: vec![
                env("DB_PASSWORD"),
                env("github_token"),
                env("STRIPE_API_KEY"),
                env("LOG_LEVEL"),
                env("AWS_SECRET_ACCESS_KEY"),
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    let flagged = credential_like_variables(&fields);
    let names: Vec<_> = flagged.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(
        names,
        [
            "DB_PASSWORD",
            "github_token",
            "STRIPE_API_KEY",
            "AWS_SECRET_ACCESS_KEY"
        ]
    );
    assert!(
        flagged
            .iter()
            .all(|(c, v)| c == "web" && !v.contains("hunter2"))
    );
}

fn desired_with(hash: &str, limit: usize, tags: &[(&str, &str)]) -> Desired {
    Desired {
        family: "web".into(),
        fields: TaskDefinitionFields::default(),
        hash: hash.into(),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        history_limit: limit,
    }
}

fn described(revision: &Revision, tags: &[(&str, &str)]) -> EcsTaskDefinition {
    EcsTaskDefinition {
        arn: revision.arn.clone(),
        revision: revision.number,
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

fn kinds(steps: &[Step]) -> Vec<&'static str> {
    steps
        .iter()
        .map(|s| match s {
            Step::Register(_) => "register",
            Step::Tag { .. } => "tag",
            Step::Untag { .. } => "untag",
            Step::Deregister(_) => "deregister",
        })
        .collect()
}

#[test]
fn a_family_without_revisions_registers_one_and_nothing_else() {
    let d = desired_with("h1", 5, &[]);
    assert_eq!(
        kinds(&plan(&d, &[], None, &[], &BTreeSet::new())),
        ["register"]
    );
}

#[test]
fn a_matching_newest_revision_only_gets_its_tags_in_line() {
    let owned = [revision(2, "h2"), revision(1, "h1")];
    let d = desired_with("h2", 5, &[("team", "shop")]);
    let same = described(&owned[0], &[("team", "shop")]);
    assert_eq!(plan(&d, &owned, Some(&same), &[], &BTreeSet::new()), []);
    let drifted = described(&owned[0], &[("team", "blog"), ("old", "x")]);
    let steps = plan(
        &d,
        &owned,
        Some(&drifted),
        &["old".into()],
        &BTreeSet::new(),
    );
    assert_eq!(kinds(&steps), ["tag", "untag"]);
}

#[test]
fn a_registration_counts_as_the_newest_revision_for_the_history() {
    let owned: Vec<_> = (1..=3).rev().map(|n| revision(n, "old")).collect();
    let latest = described(&owned[0], &[]);
    let d = desired_with("new", 2, &[]);
    let steps = plan(&d, &owned, Some(&latest), &[], &BTreeSet::new());
    assert_eq!(kinds(&steps), ["register", "deregister"]);
    let Step::Deregister(arns) = &steps[1] else {
        panic!("expected a deregister, got {steps:?}")
    };
    assert_eq!(*arns, [owned[1].arn.clone(), owned[2].arn.clone()]);
    // A revision a Service runs stays whatever its age.
    let in_use = BTreeSet::from([owned[2].arn.clone()]);
    let steps = plan(&d, &owned, Some(&latest), &[], &in_use);
    assert_eq!(
        steps.last(),
        Some(&Step::Deregister(vec![owned[1].arn.clone()]))
    );
}

/// Fields from a task definition spec as JSON.
fn fields(spec: serde_json::Value) -> TaskDefinitionFields {
    serde_json::from_value(spec).unwrap()
}

#[test]
fn the_restricted_profile_names_every_host_reach_and_nothing_else() {
    let reaching = fields(serde_json::json!({
        "networkMode": "host",
        "pidMode": "host",
        "ipcMode": "task",
        "volumes": [
            {"name": "scratch", "host": {}},
            {"name": "docker-socket", "host": {"sourcePath": "/var/run/docker.sock"}},
        ],
        "containerDefinitions": [{
            "name": "agent",
            "image": "agent",
            "linuxParameters": {"capabilities": {"add": ["NET_BIND_SERVICE", "SYS_ADMIN", "CAP_NET_ADMIN"]}},
        }, {
            "name": "sidecar",
            "image": "sidecar",
            "privileged": false,
        }, {
            "name": "driver",
            "image": "driver",
            "privileged": true,
            "linuxParameters": {"devices": [{"hostPath": "/dev/fuse"}, {"hostPath": "/dev/nvidia0", "permissions": ["read"]}]},
            "dockerSecurityOptions": ["no-new-privileges", "apparmor:unconfined"],
        }],
    }));
    assert_eq!(
        beyond_restricted_profile(&reaching),
        [
            "spec.volumes[1].host.sourcePath /var/run/docker.sock (a path on the host)",
            "spec.pidMode host (the host's namespace)",
            "spec.networkMode host (the host's namespace)",
            "spec.containerDefinitions[0].linuxParameters.capabilities.add[1] SYS_ADMIN",
            "spec.containerDefinitions[0].linuxParameters.capabilities.add[2] CAP_NET_ADMIN",
            "spec.containerDefinitions[2].privileged (root on the host)",
            "spec.containerDefinitions[2].linuxParameters.devices[0] /dev/fuse (a device on the host)",
            "spec.containerDefinitions[2].linuxParameters.devices[1] /dev/nvidia0 (a device on the host)",
            "spec.containerDefinitions[2].dockerSecurityOptions[1] apparmor:unconfined (the host's confinement)",
        ]
    );
    let plain = fields(serde_json::json!({
        "networkMode": "awsvpc",
        "containerDefinitions": [{"name": "web", "image": "nginx"}],
    }));
    assert!(beyond_restricted_profile(&plain).is_empty());
}

#[test]
fn credential_like_log_driver_options_are_flagged_without_values() {
    let options = [
        ("splunk-token", "hunter2"),
        ("splunk-url", "https://splunk.example.com:8088"),
        ("apikey", "hunter2"),
        ("HTTP_Passwd", "hunter2"),
        ("awslogs-credentials-endpoint", "/creds"),
        ("awslogs-group", "/ecs/web"),
        ("url", "https://user:hunter2@logs.example.com"),
    ];
    let fields = TaskDefinitionFields {
        container_definitions: vec![ContainerDefinition {
            name: "web".into(),
            image: "nginx".into(),
            log_configuration: Some(LogConfiguration {
                log_driver: "awsfirelens".into(),
                options: options
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let flagged = credential_like_log_options(&fields);
    let names: Vec<_> = flagged.iter().map(|(_, o)| o.as_str()).collect();
    assert_eq!(names, ["HTTP_Passwd", "apikey", "splunk-token", "url"]);
    assert!(
        flagged
            .iter()
            .all(|(c, o)| c == "web" && !o.contains("hunter2"))
    );
}
