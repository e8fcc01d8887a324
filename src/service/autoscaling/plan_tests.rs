//! The autoscaling plan for every kind of change between the spec and what AWS reports.

use super::plan::*;
use crate::api::service::{
    Autoscaling, PredefinedMetric, ScheduledAction, StepAdjustment, StepScalingPolicy,
    SuspendedState, TargetTrackingPolicy,
};
use crate::aws::scaling::{PolicyConfiguration, TargetTracking};
use crate::aws::{
    ObservedPolicy, ObservedScheduledAction, RegisterScalableTarget, ScalableTarget, ScalingPolicy,
    ScheduledScaling, Tags,
};

const ID: &str = "service/main/web";
pub(super) const PREFIX: &str = "ecs-operator-0a1b2c3d-";

/// A plan's steps by kind, so a test can say what it expects of each.
#[derive(Debug, Default)]
pub(super) struct ByKind {
    pub register: Option<RegisterScalableTarget>,
    pub put_policies: Vec<ScalingPolicy>,
    pub put_actions: Vec<ScheduledScaling>,
    pub delete_policies: Vec<String>,
    pub delete_actions: Vec<String>,
    pub deregister: bool,
}

pub(super) fn by_kind(steps: Vec<Step>) -> ByKind {
    let mut grouped = ByKind::default();
    for step in steps {
        match step {
            Step::Register(target) => grouped.register = Some(target),
            Step::PutPolicy(policy) => grouped.put_policies.push(policy),
            Step::PutAction(action) => grouped.put_actions.push(action),
            Step::DeletePolicy(name) => grouped.delete_policies.push(name),
            Step::DeleteAction(name) => grouped.delete_actions.push(name),
            Step::Deregister => grouped.deregister = true,
        }
    }
    grouped
}

fn cpu(name: &str, target: f64) -> TargetTrackingPolicy {
    TargetTrackingPolicy {
        name: name.into(),
        predefined_metric: Some(PredefinedMetric {
            type_: "ECSServiceAverageCPUUtilization".into(),
            resource_label: None,
        }),
        target_value: target,
        ..Default::default()
    }
}

fn step(name: &str) -> StepScalingPolicy {
    StepScalingPolicy {
        name: name.into(),
        adjustment_type: "ChangeInCapacity".into(),
        step_adjustments: vec![StepAdjustment {
            metric_interval_lower_bound: Some(0.0),
            metric_interval_upper_bound: None,
            scaling_adjustment: 2,
        }],
        ..Default::default()
    }
}

fn nightly() -> ScheduledAction {
    ScheduledAction {
        name: "nightly".into(),
        schedule: "cron(0 22 * * ? *)".into(),
        min_capacity: Some(1),
        max_capacity: Some(2),
        ..Default::default()
    }
}

fn spec() -> Autoscaling {
    Autoscaling {
        min_capacity: 2,
        max_capacity: 10,
        target_tracking: vec![cpu("cpu", 60.0)],
        step_scaling: vec![step("burst")],
        scheduled_actions: vec![nightly()],
        suspended_state: None,
    }
}

fn desired(spec: &Autoscaling) -> DesiredScaling {
    DesiredScaling::new(spec, ID.into(), PREFIX, Tags::new())
}

/// What AWS reports once `desired` was applied in full.
pub(super) fn applied(desired: &DesiredScaling) -> ObservedScaling {
    ObservedScaling {
        target: Some(ScalableTarget {
            arn: Some("arn:target".into()),
            min_capacity: desired.target.min_capacity,
            max_capacity: desired.target.max_capacity,
            suspended_state: Some(desired.target.suspended_state),
        }),
        policies: desired
            .policies
            .iter()
            .map(|p| ObservedPolicy {
                name: p.name.clone(),
                arn: format!("arn:{}", p.name),
                alarm_names: Vec::new(),
                configuration: Some(p.configuration.clone()),
            })
            .collect(),
        actions: desired
            .actions
            .iter()
            .map(|a| ObservedScheduledAction {
                arn: format!("arn:{}", a.name),
                action: a.clone(),
            })
            .collect(),
    }
}

fn names(policies: &[ScalingPolicy]) -> Vec<&str> {
    policies.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn a_new_target_is_registered_with_every_policy_and_action() {
    let d = desired(&spec());
    let p = by_kind(plan(&d, &ObservedScaling::default(), PREFIX, None));
    let register = p.register.expect("registered");
    assert_eq!((register.min_capacity, register.max_capacity), (2, 10));
    assert_eq!(
        names(&p.put_policies),
        [format!("{PREFIX}cpu"), format!("{PREFIX}burst")]
    );
    assert_eq!(p.put_actions.len(), 1);
    assert_eq!(p.put_actions[0].name, format!("{PREFIX}nightly"));
    assert!(p.delete_policies.is_empty() && p.delete_actions.is_empty() && !p.deregister);
}

#[test]
fn converged_scaling_plans_nothing() {
    let d = desired(&spec());
    let p = plan(&d, &applied(&d), PREFIX, Some(&d.hash));
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn changing_min_or_max_only_registers_the_target_again() {
    let before = desired(&spec());
    let observed = applied(&before);
    let after = desired(&Autoscaling {
        max_capacity: 20,
        ..spec()
    });
    let p = by_kind(plan(&after, &observed, PREFIX, Some(&before.hash)));
    assert_eq!(p.register.map(|r| r.max_capacity), Some(20));
    assert!(p.put_policies.is_empty() && p.put_actions.is_empty());
}

#[test]
fn suspending_scaling_registers_the_target_again() {
    let before = desired(&spec());
    let observed = applied(&before);
    let suspended = SuspendedState {
        dynamic_scaling_in_suspended: true,
        ..Default::default()
    };
    let after = desired(&Autoscaling {
        suspended_state: Some(suspended),
        ..spec()
    });
    let p = by_kind(plan(&after, &observed, PREFIX, Some(&before.hash)));
    assert_eq!(p.register.map(|r| r.suspended_state), Some(suspended));
}

#[test]
fn editing_a_target_value_puts_only_that_policy() {
    let before = desired(&spec());
    let observed = applied(&before);
    let after = desired(&Autoscaling {
        target_tracking: vec![cpu("cpu", 45.0)],
        ..spec()
    });
    let p = by_kind(plan(&after, &observed, PREFIX, Some(&before.hash)));
    assert_eq!(names(&p.put_policies), [format!("{PREFIX}cpu")]);
    match &p.put_policies[0].configuration {
        PolicyConfiguration::TargetTracking(t) => assert_eq!(t.target_value, 45.0),
        other => panic!("{other:?}"),
    }
    assert!(p.register.is_none() && p.put_actions.is_empty() && p.delete_policies.is_empty());
}

#[test]
fn removing_a_policy_deletes_exactly_that_one_and_never_a_foreign_one() {
    let before = desired(&spec());
    let mut observed = applied(&before);
    observed.policies.push(ObservedPolicy {
        name: "made-in-the-console".into(),
        arn: "arn:console".into(),
        alarm_names: Vec::new(),
        configuration: None,
    });
    let after = desired(&Autoscaling {
        step_scaling: Vec::new(),
        ..spec()
    });
    let p = by_kind(plan(&after, &observed, PREFIX, Some(&before.hash)));
    assert_eq!(p.delete_policies, [format!("{PREFIX}burst")]);
    assert!(p.put_policies.is_empty() && p.register.is_none() && !p.deregister);
}

#[test]
fn removing_a_scheduled_action_deletes_it() {
    let before = desired(&spec());
    let observed = applied(&before);
    let after = desired(&Autoscaling {
        scheduled_actions: Vec::new(),
        ..spec()
    });
    let p = by_kind(plan(&after, &observed, PREFIX, Some(&before.hash)));
    assert_eq!(p.delete_actions, [format!("{PREFIX}nightly")]);
    assert!(p.put_actions.is_empty() && p.delete_policies.is_empty());
}

#[test]
fn editing_a_schedule_puts_the_action() {
    let before = desired(&spec());
    let observed = applied(&before);
    let after = desired(&Autoscaling {
        scheduled_actions: vec![ScheduledAction {
            schedule: "cron(0 23 * * ? *)".into(),
            ..nightly()
        }],
        ..spec()
    });
    let p = by_kind(plan(&after, &observed, PREFIX, Some(&before.hash)));
    assert_eq!(p.put_actions.len(), 1);
    assert_eq!(p.put_actions[0].schedule, "cron(0 23 * * ? *)");
}

#[test]
fn defaults_aws_reports_for_unset_fields_cause_no_churn() {
    let d = desired(&spec());
    let mut observed = applied(&d);
    for policy in &mut observed.policies {
        if let Some(PolicyConfiguration::TargetTracking(t)) = &mut policy.configuration {
            t.scale_in_cooldown = Some(300);
            t.scale_out_cooldown = Some(300);
            t.disable_scale_in = Some(false);
        }
    }
    observed.actions[0].action.timezone = Some("UTC".into());
    let p = plan(&d, &observed, PREFIX, Some(&d.hash));
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn removing_a_field_from_the_spec_resets_it_in_aws() {
    let with_cooldown = desired(&Autoscaling {
        target_tracking: vec![TargetTrackingPolicy {
            scale_in_cooldown: Some(60),
            ..cpu("cpu", 60.0)
        }],
        ..spec()
    });
    let observed = applied(&with_cooldown);
    let without = desired(&spec());
    let p = by_kind(plan(&without, &observed, PREFIX, Some(&with_cooldown.hash)));
    assert_eq!(names(&p.put_policies), [format!("{PREFIX}cpu")]);
}

#[test]
fn a_policy_changed_in_aws_is_put_back() {
    let d = desired(&spec());
    let mut observed = applied(&d);
    observed.policies[0].configuration =
        Some(PolicyConfiguration::TargetTracking(TargetTracking {
            target_value: 90.0,
            ..TargetTracking::from(&cpu("cpu", 60.0))
        }));
    let p = by_kind(plan(&d, &observed, PREFIX, Some(&d.hash)));
    assert_eq!(names(&p.put_policies), [format!("{PREFIX}cpu")]);
}

#[test]
fn a_lost_target_is_registered_again_with_everything_attached() {
    // The ECS service was recreated: its target went with it, while stale policy
    // records may still be listed (moto does not cascade).
    let d = desired(&spec());
    let mut observed = applied(&d);
    observed.target = None;
    let p = by_kind(plan(&d, &observed, PREFIX, Some(&d.hash)));
    assert!(p.register.is_some());
    assert_eq!(p.put_policies.len(), 2);
    assert_eq!(p.put_actions.len(), 1);
}

#[test]
fn teardown_deletes_only_the_operators_policies_then_the_target() {
    let d = desired(&spec());
    let mut observed = applied(&d);
    observed.policies.push(ObservedPolicy {
        name: "someone-elses".into(),
        arn: "arn:other".into(),
        alarm_names: Vec::new(),
        configuration: None,
    });
    let p = by_kind(teardown(&observed, PREFIX));
    assert_eq!(
        p.delete_policies,
        [format!("{PREFIX}cpu"), format!("{PREFIX}burst")]
    );
    assert_eq!(p.delete_actions, [format!("{PREFIX}nightly")]);
    assert!(p.deregister);
    assert!(teardown(&ObservedScaling::default(), PREFIX).is_empty());
}

/// What each step is, in order: the order the calls are made in.
fn kinds(steps: &[Step]) -> Vec<&'static str> {
    steps
        .iter()
        .map(|step| match step {
            Step::Register(_) => "register",
            Step::PutPolicy(_) => "put policy",
            Step::PutAction(_) => "put action",
            Step::DeletePolicy(_) => "delete policy",
            Step::DeleteAction(_) => "delete action",
            Step::Deregister => "deregister",
        })
        .collect()
}

#[test]
fn the_target_is_registered_before_anything_is_attached_and_deregistered_last() {
    let d = desired(&spec());
    let mut observed = applied(&d);
    observed.target = None;
    observed.policies.push(ObservedPolicy {
        name: format!("{PREFIX}removed"),
        arn: "arn:removed".into(),
        alarm_names: Vec::new(),
        configuration: None,
    });
    assert_eq!(
        kinds(&plan(&d, &observed, PREFIX, Some(&d.hash))),
        [
            "register",
            "put policy",
            "put policy",
            "put action",
            "delete policy"
        ]
    );
    let observed = applied(&d);
    assert_eq!(
        kinds(&teardown(&observed, PREFIX)),
        [
            "delete policy",
            "delete policy",
            "delete action",
            "deregister"
        ]
    );
}

#[test]
fn the_count_to_create_with_is_clamped_to_min_and_max() {
    let scaling = spec();
    assert_eq!(initial_count(None, &scaling), 2);
    assert_eq!(initial_count(Some(5), &scaling), 5);
    assert_eq!(initial_count(Some(50), &scaling), 10);
    assert_eq!(initial_count(Some(0), &scaling), 2);
    let zero = Autoscaling {
        min_capacity: 0,
        max_capacity: 0,
        ..spec()
    };
    assert_eq!(initial_count(None, &zero), 0);
}

/// The prefix names every policy and scheduled action in AWS, and the hash is kept in
/// status: an upgrade that changed them would recreate every object's policies.
#[test]
fn the_stored_name_prefix_and_hash_are_the_ones_earlier_releases_wrote() {
    assert_eq!(name_prefix("shop", "web"), "ecs-operator-97375646-");
    assert_eq!(desired(&spec()).hash, "f8fcb1c6ea27632eb2f76f725eaa06f6");
}

#[test]
fn name_prefixes_are_stable_per_object_and_leave_room_for_names() {
    let a = name_prefix("shop", "web");
    assert_eq!(a, name_prefix("shop", "web"));
    assert_ne!(a, name_prefix("shop", "api"));
    assert_ne!(a, name_prefix("other", "web"));
    // AWS allows 256 characters; spec names have at most 64.
    assert!(a.len() + 64 <= 256, "{a}");
    assert!(
        !a.contains(['/', ':', '|']),
        "AWS forbids these in names: {a}"
    );
}

#[test]
fn the_hash_changes_only_with_the_autoscaling_block() {
    assert_eq!(desired(&spec()).hash, desired(&spec()).hash);
    let other = Autoscaling {
        min_capacity: 3,
        ..spec()
    };
    assert_ne!(desired(&spec()).hash, desired(&other).hash);
}

#[test]
fn a_target_registered_without_the_ownership_tags_is_registered_again() {
    let mut d = desired(&spec());
    d.retag = true;
    let p = plan(&d, &applied(&d), PREFIX, Some(&d.hash));
    assert_eq!(p, [Step::Register(d.target.clone())]);
}
