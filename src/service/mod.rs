//! Reconciling `Service` objects: references resolved, one ECS service per object,
//! only real changes sent, and Ready only once the rollout finished. The steps are
//! those of every kind: observe (AWS reads), plan (pure), apply (the calls), status
//! (pure); Application Auto Scaling follows the same steps in `autoscaling`.

mod apply;
mod autoscaling;
mod connect;
mod controller;
mod delete;
mod deployer;
mod normalise;
mod observe;
mod plan;
mod pre_deploy;
mod readiness;
pub(crate) mod references;
mod rollout;
mod stages;
mod status;
mod uses;

#[cfg(test)]
mod adoption_tests;
#[cfg(test)]
mod approval_tests;
#[cfg(test)]
mod autoscaling_tests;
#[cfg(test)]
mod deployer_tests;
#[cfg(test)]
mod internal_error_tests;
#[cfg(test)]
mod plan_props;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod pre_deploy_tests;
#[cfg(test)]
mod progressive_tests;
#[cfg(test)]
mod quota_tests;
#[cfg(test)]
mod rollout_tests;
#[cfg(test)]
mod scenario_tests;
#[cfg(test)]
mod stages_tests;
#[cfg(test)]
mod steps_tests;
#[cfg(test)]
mod tests;

use kube::ResourceExt;

use crate::api::common::condition::READY;
use crate::api::service::FailedRollout;
use crate::api::{AdoptionPolicy, Service, ServiceStatus};
use crate::aws::{self, AwsApi, AwsError, Operation, ServiceState};
use crate::conditions::REASON_INVALID_SPEC;
use crate::controller::Index;
use crate::ownership::{may_adopt, owner_of, refused};
use crate::reconcile::{CONVERGE_POLL, Health, Next, Note, Outcome, guarded};
use crate::tenancy;
pub use controller::{approved_service, references_watched};
use delete::cleanup;
use observe::{Observed, observe};
use plan::{Desired, plan};
use pre_deploy::Gate;
use references::{Targets, Unresolved, resolve};
use rollout::{FailureRecord, Pacing, completed_in, failed_rollout, failure_record};

/// Makes the ECS service match the spec. AWS errors that a retry can fix are returned;
/// the rest become `Stalled`.
pub async fn reconcile(
    service: &Service,
    ecs: &dyn AwsApi,
    objects: &dyn Index,
) -> Result<Outcome<ServiceStatus>, AwsError> {
    let previous = service.status.clone().unwrap_or_default();
    guarded(
        previous.clone(),
        &previous.conditions,
        service.metadata.generation,
        converge(service, ecs, objects, &previous),
    )
    .await
}

async fn converge(
    service: &Service,
    ecs: &dyn AwsApi,
    objects: &dyn Index,
    previous: &ServiceStatus,
) -> Result<Outcome<ServiceStatus>, AwsError> {
    if let Some(refused) = tenancy::refusal(objects, service, &uses::tenant_uses(service), previous)
    {
        return Ok(refused);
    }
    let Targets {
        cluster,
        task_definition,
    } = match resolve(service, objects) {
        Ok(targets) => targets,
        Err(Unresolved::Invalid(message)) => {
            return Ok(Outcome::stalled(
                previous.clone(),
                REASON_INVALID_SPEC,
                message,
                Next::AwaitChange,
            ));
        }
        Err(Unresolved::Waiting(waiting)) => {
            return Ok(Outcome {
                status: previous.clone(),
                health: Health::Progressing {
                    reason: waiting.reason,
                    message: waiting.message,
                },
                notes: Vec::new(),
                // The Cluster and TaskDefinition watches wake the Service when they change.
                next: Next::Resync,
            });
        }
    };
    let namespace = service.namespace().unwrap_or_default();
    let sent = &service.spec.settings.capacity_provider_strategy;
    let strategy = match references::strategy_of(&namespace, sent, objects) {
        Ok(strategy) => strategy,
        Err(waiting) => {
            return Ok(Outcome::waiting_for_reference(
                previous.clone(),
                waiting.reason,
                waiting.message,
                service.metadata.creation_timestamp.as_ref(),
            ));
        }
    };
    // The Service as ECS is to see it: strategy entries naming CapacityProvider objects
    // carry the ECS names of their providers.
    let resolved;
    let service = if strategy == *sent {
        service
    } else {
        let mut with_names = service.clone();
        with_names.spec.settings.capacity_provider_strategy = strategy;
        resolved = with_names;
        &resolved
    };
    let desired = Desired::new(service, cluster, task_definition);
    // A write is coming (the spec or its revision changed since the last apply): while
    // the service write quota has a queue, come back at this Service's turn rather than
    // wait in a reconcile slot the polls of rollouts in flight need.
    if previous.applied_hash.as_deref() != Some(desired.hash.as_str()) {
        let operation = if previous.arn.is_some() {
            Operation::UpdateService
        } else {
            Operation::CreateService
        };
        if let Some(turn) = ecs.write_turn(operation, &desired.cluster, &desired.name) {
            return Ok(status::waiting_for_quota(previous, operation, turn));
        }
    }
    let outcome = match converge_on(service, ecs, objects, &desired, previous).await {
        Err(e) if e.code == "ClusterNotFoundException" => {
            return Ok(status::cluster_not_found(&desired, previous));
        }
        other => other?,
    };
    // Only a live service is scaled; otherwise status keeps what was last seen.
    let live =
        outcome.status.status.as_deref().map(ServiceState::from) == Some(ServiceState::Active);
    let scaling = if live {
        let cluster = outcome
            .status
            .cluster_arn
            .clone()
            .unwrap_or(desired.cluster.clone());
        let recorded = previous.autoscaling.as_ref();
        Some(autoscaling::converge(service, ecs, &cluster, recorded).await?)
    } else {
        None
    };
    Ok(status::with_scaling(outcome, scaling, previous))
}

/// Observe, plan, apply, and judge what ECS then reports of the live service.
async fn converge_on(
    service: &Service,
    ecs: &dyn AwsApi,
    objects: &dyn Index,
    desired: &Desired,
    previous: &ServiceStatus,
) -> Result<Outcome<ServiceStatus>, AwsError> {
    let (current, mut notes) = match observe(service, desired, ecs).await? {
        Observed::Absent => (None, Vec::new()),
        Observed::Draining(found) => return Ok(status::draining(&found, previous)),
        Observed::Owned(found) => (Some(found), Vec::new()),
        Observed::Foreign(found, owner)
            if service.spec.adoption_policy == AdoptionPolicy::Adopt =>
        {
            let what = format!("ECS service {}", found.arn);
            let allowed = objects.adoption_allowed(&service.namespace().unwrap_or_default());
            let live_uid = |namespace: &str, name: &str| {
                objects.service(namespace, name).and_then(|s| s.uid())
            };
            if let Err(refusal) = may_adopt(&owner, service, &what, allowed, live_uid) {
                return Ok(refused(refusal));
            }
            let note = Note::normal("Adopted", format!("adopted ECS service {}", found.arn));
            (Some(found), vec![note])
        }
        Observed::Foreign(found, _) => return Ok(status::name_conflict(&found)),
    };
    let steps = plan(service, desired, current.as_ref(), previous);
    let live_revision = current.as_ref().map(|c| c.task_definition.as_str());
    if let Gate::Closed(outcome) =
        pre_deploy::gate(service, ecs, desired, &steps, previous, live_revision).await?
    {
        return Ok(*outcome);
    }
    let answered = apply::apply(ecs, &steps).await?;
    let live = match (answered, current) {
        (Some(created), None) if !owner_of(&created.tags, service).is_this_object() => {
            // ECS answered with a same-named service created meanwhile by someone else.
            return Ok(status::name_conflict(&created));
        }
        (Some(answered), _) => answered,
        (None, Some(current)) => current,
        (None, None) => {
            // The plan for an absent service creates it; should it ever not, look again soon.
            return Ok(Outcome {
                status: previous.clone(),
                health: Health::Progressing {
                    reason: "Creating",
                    message: format!("ECS service {} does not exist yet", desired.name),
                },
                notes,
                next: Next::After(CONVERGE_POLL),
            });
        }
    };
    // The user asked when the spec, or the revision it references, changed since the last apply.
    let asked = previous.observed_generation != service.metadata.generation
        || previous.applied_hash.as_deref() != Some(desired.hash.as_str());
    notes.extend(status::step_notes(&steps, &live, desired, asked));
    let failed_rollout = record_failure(ecs, &live, desired, previous, &mut notes).await;
    let mut rollout = observe::rollout(ecs, &live, previous.rollout.as_ref()).await?;
    let approvals = objects.rollout_approvals(
        &service.namespace().unwrap_or_default(),
        &service.name_any(),
    );
    if let Some(answer) = rollout.as_ref().and_then(|r| stages::answer(r, &approvals)) {
        notes.push(apply::answer(ecs, &answer).await?);
        // Status shows where ECS took the deployment, not the hook as it waited.
        rollout = observe::rollout(ecs, &live, None).await?;
    }
    let recorded = ServiceStatus {
        failed_rollout,
        rollout,
        applied_hash: Some(desired.hash.clone()),
        redeploy_token: desired.redeploy_token.clone(),
        managed_tag_keys: desired.spec_tag_keys(),
        ..previous.clone()
    };
    let pace = ecs.rollout_pace();
    let pacing = Pacing {
        now: k8s_openapi::jiff::Timestamp::now(),
        typical: pace.typical(),
    };
    let outcome = readiness::judged(&live, desired, &recorded, notes, pacing);
    // Each deployment counts once: when its Service turns Ready.
    let was_ready = previous
        .conditions
        .iter()
        .any(|c| c.type_ == READY && c.status == "True");
    if matches!(outcome.health, Health::Ready { .. })
        && !was_ready
        && let Some(took) = completed_in(&live)
    {
        pace.record(took);
    }
    Ok(outcome)
}

/// What status keeps of a failing rollout of the desired revision: read from its stopped
/// tasks once per deployment. A read that fails is not worth stalling the Service for:
/// a transient failure is tried again next pass; any other is reported once, and the
/// record keeps ECS's reason without the tasks.
async fn record_failure(
    ecs: &dyn AwsApi,
    live: &aws::EcsService,
    desired: &Desired,
    previous: &ServiceStatus,
    notes: &mut Vec<Note>,
) -> Option<FailedRollout> {
    let deployment = match failure_record(
        live,
        &desired.task_definition,
        previous.failed_rollout.as_ref(),
    ) {
        FailureRecord::Keep(kept) => return kept,
        FailureRecord::Read(deployment) => deployment,
    };
    match observe::stopped_tasks(ecs, &live.cluster_arn, &live.name).await {
        Ok(tasks) => Some(failed_rollout(&deployment, &tasks)),
        Err(e) if e.kind.is_retryable() => None,
        Err(e) => {
            notes.push(Note::warning(
                "StoppedTasksUnread",
                format!(
                    "could not read why the tasks of deployment {} stopped: {e}",
                    deployment.id
                ),
            ));
            Some(failed_rollout(&deployment, &[]))
        }
    }
}
