//! Properties of normalisation and the update plan over generated specs: no panic on
//! any input, normalising is idempotent, and a converged service plans nothing.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::normalise;
use super::plan::update;
use super::plan_tests::{TD1, as_ecs_reports, desired};
use crate::api::service::ServiceSettings;
use crate::aws::EcsService;

fn optional<T: std::fmt::Debug + Clone + 'static>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(value)
}

fn ids(prefix: &'static str) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        "[0-9a-f]{4}".prop_map(move |s| format!("{prefix}-{s}")),
        0..4,
    )
}

/// A Service spec's settings as a user might write them, with defaults sometimes spelled
/// out, lists in any order and optional parts present or not.
fn settings() -> impl Strategy<Value = Value> {
    let placement = (
        proptest::collection::vec(
            prop_oneof![
                Just(json!({"type": "distinctInstance"})),
                "[a-z]{1,6}".prop_map(
                    |z| json!({"type": "memberOf", "expression": format!("attribute:zone == {z}")})
                ),
            ],
            0..3,
        ),
        proptest::collection::vec(
            prop_oneof![
                Just(json!({"type": "spread", "field": "attribute:ecs.availability-zone"})),
                Just(json!({"type": "binpack", "field": "memory"})),
                Just(json!({"type": "random"})),
            ],
            0..3,
        ),
    );
    let hook = (
        any::<bool>(),
        proptest::sample::subsequence(
            vec![
                "POST_SCALE_UP",
                "POST_TEST_TRAFFIC_SHIFT",
                "PRE_PRODUCTION_TRAFFIC_SHIFT",
            ],
            1..=3,
        ),
        optional((
            optional(1..=1440i32),
            optional(prop_oneof![Just("CONTINUE"), Just("ROLLBACK")]),
        )),
    )
        .prop_map(|(paused, stages, timeout)| {
            let mut hook = if paused {
                json!({"targetType": "PAUSE"})
            } else {
                json!({
                    "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:smoke",
                    "roleArn": "arn:aws:iam::123456789012:role/ecs-hooks",
                    "hookDetails": {"suite": "smoke", "attempts": 2, "ratio": 0.5},
                })
            };
            hook["lifecycleStages"] = json!(stages);
            if let Some((minutes, action)) = timeout {
                let mut t = json!({});
                put(&mut t, "timeoutInMinutes", minutes.map(Value::from));
                put(&mut t, "action", action.map(Value::from));
                hook["timeoutConfiguration"] = t;
            }
            hook
        });
    let progressive = (
        optional((optional(3..=99u32), optional(0..=60i32))),
        proptest::collection::vec(hook, 0..=2),
    );
    let deployment = optional((
        optional(0..=100i32),
        optional(100..=200i32),
        optional((any::<bool>(), any::<bool>())),
        optional(prop_oneof![
            Just("ROLLING"),
            Just("BLUE_GREEN"),
            Just("LINEAR"),
            Just("CANARY")
        ]),
        optional(0..=60i32),
        progressive,
    ));
    let alias = (
        1..=65535i32,
        optional(prop_oneof![Just("api.internal"), Just("web")]),
    );
    let endpoint = (
        optional(prop_oneof![Just("api"), Just("web-api")]),
        optional(prop_oneof![Just(0), Just(8080)]),
        proptest::collection::vec(alias, 0..=1),
    );
    let connect = optional((
        any::<bool>(),
        optional(prop_oneof![
            Just("internal"),
            Just("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abc"),
        ]),
        proptest::sample::subsequence(vec!["http", "grpc", "admin"], 0..=3),
        endpoint,
    ));
    (
        (
            optional(0..=50i32),
            optional(prop_oneof![Just("FARGATE"), Just("EC2")]),
            optional(prop_oneof![Just("LATEST"), Just("1.4.0")]),
            optional((
                ids("subnet"),
                ids("sg"),
                optional(prop_oneof![Just("ENABLED"), Just("DISABLED")]),
            )),
            optional(prop_oneof![Just("REPLICA"), Just("DAEMON")]),
        ),
        (
            placement,
            deployment,
            optional(0..=600i32),
            optional(any::<bool>()),
            optional(any::<bool>()),
            optional(prop_oneof![
                Just("NONE"),
                Just("SERVICE"),
                Just("TASK_DEFINITION")
            ]),
        ),
        connect,
    )
        .prop_map(
            |(
                (count, launch, platform, network, scheduling),
                (placement, deployment, grace, exec, managed, propagate),
                connect,
            )| {
                let mut spec = json!({});
                let daemon = scheduling == Some("DAEMON");
                if !daemon {
                    put(&mut spec, "desiredCount", count.map(Value::from));
                }
                put(&mut spec, "launchType", launch.map(Value::from));
                put(&mut spec, "platformVersion", platform.map(Value::from));
                if let Some((subnets, groups, public)) = network {
                    let mut vpc = json!({"subnets": subnets, "securityGroups": groups});
                    put(&mut vpc, "assignPublicIp", public.map(Value::from));
                    spec["networkConfiguration"] = json!({"awsvpcConfiguration": vpc});
                }
                put(&mut spec, "schedulingStrategy", scheduling.map(Value::from));
                spec["placementConstraints"] = Value::from(placement.0);
                spec["placementStrategy"] = Value::from(placement.1);
                if let Some((min, max, breaker, strategy, bake, (steps, hooks))) = deployment {
                    let mut d = json!({});
                    put(&mut d, "minimumHealthyPercent", min.map(Value::from));
                    put(&mut d, "maximumPercent", max.map(Value::from));
                    put(
                        &mut d,
                        "deploymentCircuitBreaker",
                        breaker.map(
                            |(enable, rollback)| json!({"enable": enable, "rollback": rollback}),
                        ),
                    );
                    put(&mut d, "strategy", strategy.map(Value::from));
                    put(&mut d, "bakeTimeInMinutes", bake.map(Value::from));
                    // Step settings and hooks only where the CRD accepts them.
                    let (percent, wait) = match strategy {
                        Some("LINEAR") => ("stepPercent", "stepBakeTimeInMinutes"),
                        _ => ("canaryPercent", "canaryBakeTimeInMinutes"),
                    };
                    let steps = steps.map(|(share, minutes)| {
                        let mut c = json!({});
                        put(
                            &mut c,
                            percent,
                            share.map(|p| Value::from(f64::from(p) + 0.5)),
                        );
                        put(&mut c, wait, minutes.map(Value::from));
                        c
                    });
                    match strategy {
                        Some("LINEAR") => put(&mut d, "linearConfiguration", steps),
                        Some("CANARY") => put(&mut d, "canaryConfiguration", steps),
                        _ => {}
                    }
                    if strategy.is_some_and(|s| s != "ROLLING") {
                        d["lifecycleHooks"] = Value::from(hooks);
                    }
                    spec["deploymentConfiguration"] = d;
                }
                put(
                    &mut spec,
                    "healthCheckGracePeriodSeconds",
                    grace.map(Value::from),
                );
                put(&mut spec, "enableExecuteCommand", exec.map(Value::from));
                put(&mut spec, "enableECSManagedTags", managed.map(Value::from));
                put(&mut spec, "propagateTags", propagate.map(Value::from));
                if let Some((enabled, namespace, ports, (discovery, ingress, aliases))) = connect {
                    // Each port mapping an endpoint, all shaped alike but for their names.
                    let services: Vec<Value> = ports
                        .iter()
                        .map(|port| {
                            let mut s = json!({"portName": port});
                            put(
                                &mut s,
                                "discoveryName",
                                discovery.map(|d| format!("{d}-{port}").into()),
                            );
                            put(&mut s, "ingressPortOverride", ingress.map(Value::from));
                            s["clientAliases"] = aliases
                                .iter()
                                .map(|(p, dns)| {
                                    let mut a = json!({"port": p});
                                    put(
                                        &mut a,
                                        "dnsName",
                                        dns.map(|d| format!("{port}.{d}").into()),
                                    );
                                    a
                                })
                                .collect();
                            s
                        })
                        .collect();
                    let mut c = json!({"enabled": enabled, "services": services});
                    put(&mut c, "namespace", namespace.map(Value::from));
                    spec["serviceConnectConfiguration"] = c;
                }
                spec
            },
        )
}

fn put(object: &mut Value, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        object[key] = value;
    }
}

/// Settings as ECS might report them: anything the spec could hold, unrelated to it.
fn reported() -> impl Strategy<Value = ServiceSettings> {
    settings().prop_map(|spec| serde_json::from_value(spec).expect("generated settings parse"))
}

proptest! {
    #[test]
    fn normalising_is_idempotent(spec in settings(), ecs in reported()) {
        let d = desired(spec, TD1);
        prop_assert_eq!(normalise::observed(&d.normalised), d.normalised.clone());
        let once = normalise::observed(&ecs);
        prop_assert_eq!(normalise::observed(&once), once);
    }

    #[test]
    fn a_converged_service_plans_nothing(spec in settings(), reverse_lists in any::<bool>()) {
        let d = desired(spec, TD1);
        let mut ecs = as_ecs_reports(&d);
        if reverse_lists {
            // ECS may list subnets, security groups and constraints in another order.
            if let Some(network) = &mut ecs.settings.network_configuration {
                network.awsvpc_configuration.subnets.reverse();
                network.awsvpc_configuration.security_groups.reverse();
            }
            ecs.settings.placement_constraints.reverse();
        }
        let planned = update(&d, &ecs, Some(&d.hash), d.redeploy_token.as_deref());
        prop_assert!(planned.is_empty(), "planned {:?}", planned);
    }

    #[test]
    fn planning_against_any_reported_service_never_panics(
        spec in settings(),
        ecs in reported(),
        count in 0..100i32,
        applied in any::<bool>(),
    ) {
        let d = desired(spec, TD1);
        let observed = EcsService { settings: ecs, desired_count: count, ..as_ecs_reports(&d) };
        let applied_hash = applied.then_some(d.hash.as_str());
        let planned = update(&d, &observed, applied_hash, None);
        // desiredCount is sent exactly when it differs from ECS's.
        prop_assert_eq!(planned.changed.contains(&"desiredCount"), d.desired_count.is_some_and(|c| c != count));
    }
}
