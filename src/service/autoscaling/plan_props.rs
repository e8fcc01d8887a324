//! Properties of the autoscaling plan over generated specs: applied scaling plans
//! nothing, and whatever AWS reports, only the operator's names are ever deleted.

use proptest::prelude::*;

use super::plan::*;
use super::plan_tests::{PREFIX, applied, by_kind};
use crate::api::service::{
    Autoscaling, PredefinedMetric, ScheduledAction, StepAdjustment, StepScalingPolicy,
    SuspendedState, TargetTrackingPolicy,
};
use crate::aws::{ObservedPolicy, ObservedScheduledAction, ScalableTarget, ScheduledScaling, Tags};

fn unique_names(max: usize) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::btree_set("[a-z]{1,8}", 0..max).prop_map(|s| s.into_iter().collect())
}

fn spec() -> impl Strategy<Value = Autoscaling> {
    (
        0..5i32,
        0..20i32,
        unique_names(4).prop_flat_map(|names| {
            let n = names.len();
            (
                Just(names),
                proptest::collection::vec(
                    (
                        1.0..100.0f64,
                        proptest::option::of(0..600i32),
                        proptest::option::of(any::<bool>()),
                    ),
                    n,
                ),
            )
        }),
        unique_names(3),
        unique_names(3).prop_flat_map(|names| {
            let n = names.len();
            (
                Just(names),
                proptest::collection::vec(
                    (
                        proptest::option::of(0..5i32),
                        proptest::option::of("[A-Z][a-z]{2,8}/[A-Z][a-z]{2,8}"),
                    ),
                    n,
                ),
            )
        }),
        proptest::option::of((any::<bool>(), any::<bool>(), any::<bool>())),
    )
        .prop_map(
            |(min, extra, (tt_names, tt), step_names, (action_names, actions), suspended)| {
                Autoscaling {
                    min_capacity: min,
                    max_capacity: min + extra,
                    target_tracking: tt_names
                        .into_iter()
                        .zip(tt)
                        .map(
                            |(name, (target, cooldown, no_scale_in))| TargetTrackingPolicy {
                                name,
                                predefined_metric: Some(PredefinedMetric {
                                    type_: "ECSServiceAverageCPUUtilization".into(),
                                    resource_label: None,
                                }),
                                target_value: target,
                                scale_in_cooldown: cooldown,
                                disable_scale_in: no_scale_in,
                                ..Default::default()
                            },
                        )
                        .collect(),
                    step_scaling: step_names
                        .into_iter()
                        .map(|name| StepScalingPolicy {
                            name,
                            adjustment_type: "ChangeInCapacity".into(),
                            step_adjustments: vec![StepAdjustment {
                                metric_interval_lower_bound: Some(0.0),
                                metric_interval_upper_bound: None,
                                scaling_adjustment: 1,
                            }],
                            ..Default::default()
                        })
                        .collect(),
                    scheduled_actions: action_names
                        .into_iter()
                        .zip(actions)
                        .map(|(name, (min, timezone))| ScheduledAction {
                            name,
                            schedule: "rate(1 day)".into(),
                            timezone,
                            min_capacity: Some(min.unwrap_or(0)),
                            ..Default::default()
                        })
                        .collect(),
                    suspended_state: suspended.map(|(a, b, c)| SuspendedState {
                        dynamic_scaling_in_suspended: a,
                        dynamic_scaling_out_suspended: b,
                        scheduled_scaling_suspended: c,
                    }),
                }
            },
        )
}

/// Anything AWS might report for the target: ours, others', or nothing.
fn observed() -> impl Strategy<Value = ObservedScaling> {
    let name = prop_oneof![
        "[a-z]{1,8}".prop_map(|n| format!("{PREFIX}{n}")),
        "[a-z-]{1,12}",
    ];
    (
        proptest::option::of((0..5i32, 0..20i32)),
        proptest::collection::vec(name.clone(), 0..5),
        proptest::collection::vec(name, 0..5),
    )
        .prop_map(|(target, policies, actions)| ObservedScaling {
            target: target.map(|(min, max)| ScalableTarget {
                arn: None,
                min_capacity: min,
                max_capacity: max,
                suspended_state: None,
            }),
            policies: policies
                .into_iter()
                .map(|name| ObservedPolicy {
                    arn: format!("arn:{name}"),
                    name,
                    alarm_names: Vec::new(),
                    configuration: None,
                })
                .collect(),
            actions: actions
                .into_iter()
                .map(|name| ObservedScheduledAction {
                    arn: format!("arn:{name}"),
                    action: ScheduledScaling {
                        name,
                        ..Default::default()
                    },
                })
                .collect(),
        })
}

proptest! {
    #[test]
    fn applied_scaling_plans_nothing(spec in spec()) {
        let desired = DesiredScaling::new(&spec, "service/main/web".into(), PREFIX, Tags::new());
        let planned = plan(&desired, &applied(&desired), PREFIX, Some(&desired.hash));
        prop_assert!(planned.is_empty(), "{:?}", planned);
    }

    #[test]
    fn only_the_operators_names_are_ever_deleted(spec in spec(), observed in observed(), applied_before in any::<bool>()) {
        let desired = DesiredScaling::new(&spec, "service/main/web".into(), PREFIX, Tags::new());
        let hash = applied_before.then_some(desired.hash.as_str());
        for steps in [plan(&desired, &observed, PREFIX, hash), teardown(&observed, PREFIX)].map(by_kind) {
            for name in steps.delete_policies.iter().chain(&steps.delete_actions) {
                prop_assert!(name.starts_with(PREFIX), "would delete {}", name);
            }
        }
        let steps = by_kind(plan(&desired, &observed, PREFIX, hash));
        // Everything the spec names ends up put or already present, and nothing it names is deleted.
        for name in steps.delete_policies.iter() {
            prop_assert!(!desired.policies.iter().any(|p| &p.name == name));
        }
        prop_assert_eq!(steps.register.is_some(), observed.target.is_none_or(|t| {
            (t.min_capacity, t.max_capacity) != (spec.min_capacity, spec.max_capacity)
                || (hash.is_none() && spec.suspended_state.unwrap_or_default() != SuspendedState::default())
        }));
    }
}
