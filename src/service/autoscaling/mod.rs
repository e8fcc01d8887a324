//! Application Auto Scaling of a Service: the scalable target, its policies and its
//! scheduled actions, kept to `spec.autoscaling` after the ECS service itself converged.

mod apply;
#[cfg(test)]
mod metric_math_tests;
mod observe;
mod plan;
#[cfg(test)]
mod plan_props;
#[cfg(test)]
mod plan_tests;
mod status;

use kube::ResourceExt;

use crate::api::Service;
use crate::api::service::AutoscalingStatus;
use crate::aws::{AwsApi, AwsError, ErrorKind, scaling};
use crate::ownership::ownership_tags;
use crate::reconcile::Note;
use apply::apply;
use observe::observe;
pub use plan::initial_count;
use plan::{DesiredScaling, Step, name_prefix, plan, teardown};
pub use status::condition;
use status::{describe, status_of};

/// Where the service's scaling stands after a pass.
pub enum Scaling {
    /// Nothing to manage: no autoscaling block, and nothing left from one.
    Unmanaged,
    /// Scaling matches the spec (or was removed, when `status` is None).
    Converged {
        status: Option<AutoscalingStatus>,
        notes: Vec<Note>,
    },
    /// AWS refused the autoscaling block; the message says what to fix.
    Rejected { message: String },
}

/// The resource ID of the service's scalable target.
fn resource_id_of(cluster: &str, service: &Service) -> String {
    scaling::resource_id(cluster, &service.service_name())
}

fn prefix_of(service: &Service) -> String {
    name_prefix(
        &service.namespace().unwrap_or_default(),
        &service.name_any(),
    )
}

/// Makes the live service's scaling match the spec. `cluster` is the service's cluster
/// name or ARN; `previous` the last recorded scaling status.
pub async fn converge(
    service: &Service,
    ecs: &dyn AwsApi,
    cluster: &str,
    previous: Option<&AutoscalingStatus>,
) -> Result<Scaling, AwsError> {
    let resource_id = resource_id_of(cluster, service);
    let prefix = prefix_of(service);
    let result = match &service.spec.autoscaling {
        None if previous.is_none() => return Ok(Scaling::Unmanaged),
        None => remove(ecs, &resource_id, &prefix).await,
        Some(spec) => {
            let mut desired =
                DesiredScaling::new(spec, resource_id, &prefix, ownership_tags(service));
            desired.retag = previous.is_some_and(|p| !p.target_tagged);
            apply_desired(ecs, &desired, &prefix, previous).await
        }
    };
    match result {
        Err(e) if e.kind == ErrorKind::InvalidInput => Ok(Scaling::Rejected {
            message: format!(
                "Application Auto Scaling rejected spec.autoscaling; fix it and re-apply: {e}"
            ),
        }),
        other => other,
    }
}

/// Deletes the operator's policies and actions and deregisters the target, before the
/// ECS service is deleted (a scaler left running would fight the scale-down).
pub async fn remove_before_delete(
    service: &Service,
    ecs: &dyn AwsApi,
    cluster: &str,
) -> Result<(), AwsError> {
    if service.spec.autoscaling.is_none()
        && service
            .status
            .as_ref()
            .is_none_or(|s| s.autoscaling.is_none())
    {
        return Ok(());
    }
    remove(ecs, &resource_id_of(cluster, service), &prefix_of(service))
        .await
        .map(|_| ())
}

async fn remove(ecs: &dyn AwsApi, resource_id: &str, prefix: &str) -> Result<Scaling, AwsError> {
    let observed = observe(ecs, resource_id, true).await?;
    let steps = teardown(&observed, prefix);
    let notes = if steps.is_empty() {
        Vec::new()
    } else {
        apply(ecs, resource_id, &steps).await?;
        vec![Note::normal(
            "AutoscalingRemoved",
            format!("deregistered the scalable target {resource_id} and its policies"),
        )]
    };
    Ok(Scaling::Converged {
        status: None,
        notes,
    })
}

async fn apply_desired(
    ecs: &dyn AwsApi,
    desired: &DesiredScaling,
    prefix: &str,
    previous: Option<&AutoscalingStatus>,
) -> Result<Scaling, AwsError> {
    let resource_id = &desired.target.resource_id;
    let applied_hash = previous.and_then(|p| p.applied_hash.as_deref());
    // Policies and actions are read only where there can be some of ours.
    let had_any =
        previous.is_some_and(|p| !p.policies.is_empty() || !p.scheduled_actions.is_empty());
    let look = applied_hash != Some(desired.hash.as_str())
        || had_any
        || !desired.policies.is_empty()
        || !desired.actions.is_empty();
    let mut observed = observe(ecs, resource_id, look).await?;
    let steps = plan(desired, &observed, prefix, applied_hash);
    let mut notes = Vec::new();
    if !steps.is_empty() {
        let put = apply(ecs, resource_id, &steps).await?;
        notes.push(Note::normal(
            "AutoscalingUpdated",
            describe(resource_id, &steps),
        ));
        // Registered values are what was sent; policy ARNs come from the put responses.
        let registered = steps.iter().find_map(|step| match step {
            Step::Register(register) => Some(register),
            _ => None,
        });
        if let Some(register) = registered {
            let target = observed.target.get_or_insert_with(Default::default);
            target.min_capacity = register.min_capacity;
            target.max_capacity = register.max_capacity;
            target.suspended_state = Some(register.suspended_state);
            if put.target_arn.is_some() {
                target.arn = put.target_arn;
            }
        }
        for (name, result) in put.policies {
            observed.policies.retain(|p| p.name != name);
            observed.policies.push(crate::aws::ObservedPolicy {
                name,
                arn: result.arn,
                alarm_names: result.alarm_names,
                configuration: None,
            });
        }
        if steps.iter().any(|step| matches!(step, Step::PutAction(_))) {
            // PutScheduledAction returns no ARN.
            observed.actions = ecs.describe_scheduled_actions(resource_id).await?;
        }
    }
    Ok(Scaling::Converged {
        status: Some(status_of(desired, &observed, prefix)),
        notes,
    })
}
