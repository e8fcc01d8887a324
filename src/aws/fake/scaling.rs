//! Application Auto Scaling in the fake, as AWS documents it: a missing target, policy or
//! action is ObjectNotFoundException; deregistering a target deletes its policies and
//! scheduled actions (Application Auto Scaling API Reference, DeregisterScalableTarget);
//! and deleting the ECS service drops its target.

use crate::aws::ServiceState;
use crate::sync::Lock;
use std::collections::BTreeMap;

use super::{ACCOUNT, FakeEcs, REGION, State, services};
use crate::aws::scaling::PolicyConfiguration;
use crate::aws::{
    AwsError, ErrorKind, ObservedPolicy, ObservedScheduledAction, PutPolicyResult,
    RegisterScalableTarget, ScalableTarget, ScalingPolicy, ScheduledScaling, Tags,
};

#[derive(Default)]
pub struct ScalingState {
    targets: BTreeMap<String, ScalableTarget>,
    /// By resource ID: what RegisterScalableTarget's Tags added.
    target_tags: BTreeMap<String, Tags>,
    /// By (resource ID, policy name).
    policies: BTreeMap<(String, String), ObservedPolicy>,
    /// By (resource ID, action name).
    actions: BTreeMap<(String, String), ObservedScheduledAction>,
    serial: usize,
}

impl ScalingState {
    /// What deregistering (or deleting the service) removes.
    pub fn drop_target(&mut self, resource_id: &str) -> bool {
        self.policies.retain(|(id, _), _| id != resource_id);
        self.actions.retain(|(id, _), _| id != resource_id);
        self.target_tags.remove(resource_id);
        self.targets.remove(resource_id).is_some()
    }
}

impl FakeEcs {
    pub fn scalable_target(&self, resource_id: &str) -> Option<ScalableTarget> {
        describe_target(&self.state.locked(), resource_id)
    }

    /// The target's tags.
    pub fn scalable_target_tags(&self, resource_id: &str) -> Tags {
        let state = self.state.locked();
        state
            .scaling
            .target_tags
            .get(resource_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Forgets the target's tags, as if an earlier build had registered it without.
    pub fn clear_target_tags(&self, resource_id: &str) {
        self.state.locked().scaling.target_tags.remove(resource_id);
    }

    /// The target's policies, by AWS name.
    pub fn scaling_policies(&self, resource_id: &str) -> BTreeMap<String, ObservedPolicy> {
        describe_policies(&self.state.locked(), resource_id)
            .into_iter()
            .map(|p| (p.name.clone(), p))
            .collect()
    }

    /// The target's scheduled actions, by AWS name.
    pub fn scheduled_actions(&self, resource_id: &str) -> BTreeMap<String, ScheduledScaling> {
        describe_actions(&self.state.locked(), resource_id)
            .into_iter()
            .map(|a| (a.action.name.clone(), a.action))
            .collect()
    }

    /// Puts a policy in place as if a person had added it in the console.
    pub fn insert_scaling_policy(&self, resource_id: &str, policy: ScalingPolicy) {
        let mut state = self.state.locked();
        put_policy(&mut state.scaling, resource_id, &policy);
    }

    /// The scaler (or a person) sets the service's desiredCount.
    pub fn scale_service(&self, cluster: &str, name: &str, count: i32) {
        let mut state = self.state.locked();
        let service = services::find_mut(&mut state, cluster, name).expect("service exists");
        service.desired_count = count;
    }
}

fn not_found(action: &'static str, what: &str) -> AwsError {
    AwsError::new(
        ErrorKind::NotFound,
        action,
        "ObjectNotFoundException",
        format!("No {what} found"),
    )
}

/// The service a resource ID names must exist and be ACTIVE.
fn check_service(state: &State, resource_id: &str, action: &'static str) -> Result<(), AwsError> {
    let mut parts = resource_id.split('/');
    let (Some("service"), Some(cluster), Some(name), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AwsError::new(
            ErrorKind::InvalidInput,
            action,
            "ValidationException",
            format!("Unsupported resource ID {resource_id}"),
        ));
    };
    match services::find(state, cluster, name) {
        Some(s) if s.status == ServiceState::Active => Ok(()),
        _ => Err(AwsError::new(
            ErrorKind::InvalidInput,
            action,
            "ValidationException",
            format!("ECS service doesn't exist: {resource_id}"),
        )),
    }
}

fn check_target(state: &State, resource_id: &str, action: &'static str) -> Result<(), AwsError> {
    if state.scaling.targets.contains_key(resource_id) {
        Ok(())
    } else {
        Err(not_found(action, "scalable target"))
    }
}

fn put_policy(
    scaling: &mut ScalingState,
    resource_id: &str,
    policy: &ScalingPolicy,
) -> PutPolicyResult {
    scaling.serial += 1;
    let serial = scaling.serial;
    let key = (resource_id.to_string(), policy.name.clone());
    // A replaced policy keeps its ARN; target tracking owns two alarms.
    let arn = scaling.policies.get(&key).map_or_else(
        || {
            format!(
                "arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:{serial}:resource/ecs/{resource_id}:policyName/{}",
                policy.name
            )
        },
        |p| p.arn.clone(),
    );
    let alarm_names = match policy.configuration {
        PolicyConfiguration::TargetTracking(_) => ["AlarmHigh", "AlarmLow"]
            .iter()
            .map(|kind| format!("TargetTracking-{resource_id}-{kind}-{serial}"))
            .collect(),
        PolicyConfiguration::StepScaling(_) => Vec::new(),
    };
    scaling.policies.insert(
        key,
        ObservedPolicy {
            name: policy.name.clone(),
            arn: arn.clone(),
            alarm_names: alarm_names.clone(),
            configuration: Some(policy.configuration.clone()),
        },
    );
    PutPolicyResult { arn, alarm_names }
}

pub fn describe_target(state: &State, resource_id: &str) -> Option<ScalableTarget> {
    state.scaling.targets.get(resource_id).cloned()
}

pub fn register_target(
    state: &mut State,
    request: &RegisterScalableTarget,
) -> Result<Option<String>, AwsError> {
    const ACTION: &str = "application-autoscaling:RegisterScalableTarget";
    check_service(state, &request.resource_id, ACTION)?;
    if request.min_capacity > request.max_capacity {
        return Err(AwsError::new(
            ErrorKind::InvalidInput,
            ACTION,
            "ValidationException",
            "Minimum capacity cannot be greater than maximum capacity",
        ));
    }
    state.scaling.serial += 1;
    let serial = state.scaling.serial;
    let target = state
        .scaling
        .targets
        .entry(request.resource_id.clone())
        .or_insert_with(|| ScalableTarget {
            arn: Some(format!(
                "arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/{serial:036}"
            )),
            ..Default::default()
        });
    target.min_capacity = request.min_capacity;
    target.max_capacity = request.max_capacity;
    target.suspended_state = Some(request.suspended_state);
    let arn = target.arn.clone();
    // Registering again keeps the target's tags and adds those given.
    let tags = state.scaling.target_tags.entry(request.resource_id.clone());
    tags.or_default().extend(request.tags.clone());
    Ok(arn)
}

pub fn deregister_target(state: &mut State, resource_id: &str) -> Result<(), AwsError> {
    if state.scaling.drop_target(resource_id) {
        Ok(())
    } else {
        Err(not_found(
            "application-autoscaling:DeregisterScalableTarget",
            "scalable target",
        ))
    }
}

pub fn describe_policies(state: &State, resource_id: &str) -> Vec<ObservedPolicy> {
    state
        .scaling
        .policies
        .iter()
        .filter(|((id, _), _)| id == resource_id)
        .map(|(_, p)| p.clone())
        .collect()
}

pub fn put_scaling_policy(
    state: &mut State,
    resource_id: &str,
    policy: &ScalingPolicy,
) -> Result<PutPolicyResult, AwsError> {
    check_target(
        state,
        resource_id,
        "application-autoscaling:PutScalingPolicy",
    )?;
    Ok(put_policy(&mut state.scaling, resource_id, policy))
}

pub fn delete_policy(state: &mut State, resource_id: &str, name: &str) -> Result<(), AwsError> {
    let key = (resource_id.to_string(), name.to_string());
    match state.scaling.policies.remove(&key) {
        Some(_) => Ok(()),
        None => Err(not_found(
            "application-autoscaling:DeleteScalingPolicy",
            "scaling policy",
        )),
    }
}

pub fn describe_actions(state: &State, resource_id: &str) -> Vec<ObservedScheduledAction> {
    state
        .scaling
        .actions
        .iter()
        .filter(|((id, _), _)| id == resource_id)
        .map(|(_, a)| a.clone())
        .collect()
}

pub fn put_action(
    state: &mut State,
    resource_id: &str,
    action: &ScheduledScaling,
) -> Result<(), AwsError> {
    check_target(
        state,
        resource_id,
        "application-autoscaling:PutScheduledAction",
    )?;
    let arn = format!(
        "arn:aws:autoscaling:{REGION}:{ACCOUNT}:scheduledAction:ecs/{resource_id}:scheduledActionName/{}",
        action.name
    );
    state.scaling.actions.insert(
        (resource_id.to_string(), action.name.clone()),
        ObservedScheduledAction {
            arn,
            action: action.clone(),
        },
    );
    Ok(())
}

pub fn delete_action(state: &mut State, resource_id: &str, name: &str) -> Result<(), AwsError> {
    let key = (resource_id.to_string(), name.to_string());
    match state.scaling.actions.remove(&key) {
        Some(_) => Ok(()),
        None => Err(not_found(
            "application-autoscaling:DeleteScheduledAction",
            "scheduled action",
        )),
    }
}
