//! Reconciling `CapacityProvider` objects: observe, plan, apply, status.

mod apply;
mod controller;
mod observe;
mod plan;
mod status;

#[cfg(test)]
mod tests;

use kube::ResourceExt;

use crate::api::{AdoptionPolicy, CapacityProvider, CapacityProviderStatus, DeletionPolicy};
use crate::aws::{
    AwsApi, AwsError, CapacityProviderState, CapacityProviderUpdate, EcsCapacityProvider, ErrorKind,
};
use crate::conditions::REASON_INVALID_SPEC;
use crate::controller::Index;
use crate::ownership::{may_adopt, owner_of, refused};
use crate::reconcile::{CONVERGE_POLL, Cleanup, Health, Next, Note, Outcome, guarded};
use crate::service::references::{Unresolved, cluster_of};
use crate::tenancy;
use observe::{Observed, observe};
use plan::{Desired, Step, plan};
use status::observed_status;

/// Why a provider's deletion waits for what still uses it.
pub const IN_USE: &str = "CapacityProviderInUse";

/// Makes the ECS capacity provider match the spec. The object carries its finalizer
/// already. AWS errors that a retry can fix are returned; the rest become `Stalled`.
pub async fn reconcile(
    provider: &CapacityProvider,
    ecs: &dyn AwsApi,
    index: &dyn Index,
) -> Result<Outcome<CapacityProviderStatus>, AwsError> {
    let previous = provider.status.clone().unwrap_or_default();
    guarded(
        previous.clone(),
        &previous.conditions,
        provider.metadata.generation,
        converge(provider, ecs, index, &previous),
    )
    .await
}

/// The cluster a Managed Instances provider is created in, or the outcome to report
/// while its Cluster object is not Ready.
fn cluster(
    provider: &CapacityProvider,
    index: &dyn Index,
    previous: &CapacityProviderStatus,
) -> Result<Option<String>, Box<Outcome<CapacityProviderStatus>>> {
    let spec = &provider.spec;
    if spec.cluster_ref.is_none() && spec.cluster.is_none() {
        return Ok(None);
    }
    let namespace = provider.namespace().unwrap_or_default();
    match cluster_of(
        &namespace,
        spec.cluster_ref.as_ref(),
        spec.cluster.as_ref(),
        index,
    ) {
        Ok(cluster) => Ok(Some(cluster)),
        Err(Unresolved::Waiting(waiting)) => Err(Box::new(Outcome::waiting_for_reference(
            previous.clone(),
            waiting.reason,
            waiting.message,
            provider.metadata.creation_timestamp.as_ref(),
        ))),
        Err(Unresolved::Invalid(message)) => Err(Box::new(Outcome::stalled(
            previous.clone(),
            REASON_INVALID_SPEC,
            message,
            Next::AwaitChange,
        ))),
    }
}

async fn converge(
    provider: &CapacityProvider,
    ecs: &dyn AwsApi,
    index: &dyn Index,
    previous: &CapacityProviderStatus,
) -> Result<Outcome<CapacityProviderStatus>, AwsError> {
    if let Some(refused) = tenancy::refusal(index, provider, &plan::tenant_uses(provider), previous)
    {
        return Ok(refused);
    }
    let cluster = match cluster(provider, index, previous) {
        Ok(cluster) => cluster,
        Err(waiting) => return Ok(*waiting),
    };
    let Some(desired) = Desired::from_object(provider, cluster) else {
        return Ok(Outcome::stalled(
            previous.clone(),
            REASON_INVALID_SPEC,
            "spec sets neither autoScalingGroupProvider nor managedInstancesProvider: set exactly one"
                .into(),
            Next::AwaitChange,
        ));
    };
    let (current, adopting) = match observe(provider, ecs).await? {
        Observed::Absent => (None, false),
        Observed::Owned(p) => (Some(p), false),
        Observed::Foreign(p, owner) if provider.spec.adoption_policy == AdoptionPolicy::Adopt => {
            let what = format!("ECS capacity provider {}", p.arn);
            let allowed = index.adoption_allowed(&provider.namespace().unwrap_or_default());
            let live_uid = |namespace: &str, name: &str| {
                index
                    .capacity_provider(namespace, name)
                    .and_then(|p| p.uid())
            };
            if let Err(refusal) = may_adopt(&owner, provider, &what, allowed, live_uid) {
                return Ok(refused(refusal));
            }
            (Some(p), true)
        }
        Observed::Foreign(p, _) => return Ok(name_conflict(&p)),
    };
    if let Some(found) = &current
        && found.is_managed_instances() != desired.cluster.is_some()
    {
        return Ok(name_conflict(found));
    }

    // An update ECS failed is not sent again for the same spec: it would fail again.
    let same_spec = previous.observed_generation == provider.metadata.generation;
    let failed = current
        .as_ref()
        .is_some_and(|p| p.update_status == Some(CapacityProviderUpdate::UpdateFailed));
    let steps = plan(
        &desired,
        current.as_ref(),
        &previous.managed_tag_keys,
        !(failed && same_spec),
    );
    let created = apply::apply(
        ecs,
        &desired,
        current.as_ref().map(|p| p.arn.as_str()),
        &steps,
    )
    .await?;
    if let Some(p) = &created
        && !owner_of(&p.tags, provider).is_this_object()
    {
        return Ok(name_conflict(p));
    }

    let mut notes = Vec::new();
    let observed = match (created, current) {
        (Some(created), _) => {
            notes.push(Note::normal(
                "Created",
                format!("created ECS capacity provider {}", created.arn),
            ));
            created
        }
        (None, Some(current)) if steps.is_empty() => current,
        (None, Some(current)) => {
            notes.push(change_note(provider, adopting, &current, &steps));
            // Read back what the updates did, so status shows AWS's view rather than ours.
            match observe(provider, ecs).await? {
                Observed::Owned(p) | Observed::Foreign(p, _) => p,
                Observed::Absent => current,
            }
        }
        (None, None) => {
            return Ok(Outcome {
                status: previous.clone(),
                health: Health::Progressing {
                    reason: "Provisioning",
                    message: format!("ECS capacity provider {} does not exist yet", desired.name),
                },
                notes,
                next: Next::After(CONVERGE_POLL),
            });
        }
    };
    let mut status = observed_status(&observed);
    status.managed_tag_keys = desired.spec_tag_keys();
    let (health, next) = health(&observed);
    Ok(Outcome {
        status,
        health,
        notes,
        next,
    })
}

/// Ready once ECS reports the provider ACTIVE with no change in flight.
fn health(p: &EcsCapacityProvider) -> (Health, Next) {
    let why = p
        .update_status_reason
        .as_deref()
        .unwrap_or("ECS gave no reason");
    let update = p.update_status.as_ref();
    let failed = match update {
        Some(CapacityProviderUpdate::CreateFailed) => Some("CreateFailed"),
        Some(CapacityProviderUpdate::UpdateFailed) => Some("UpdateFailed"),
        _ => None,
    };
    if let (Some(reason), Some(update)) = (failed, update) {
        return (
            Health::Stalled {
                reason,
                message: format!(
                    "ECS reports {update} for capacity provider {}: {why}; fix the spec (or what it names) and re-apply",
                    p.name
                ),
            },
            Next::Resync,
        );
    }
    let in_flight = matches!(
        update,
        Some(CapacityProviderUpdate::CreateInProgress | CapacityProviderUpdate::UpdateInProgress)
    );
    if p.status == CapacityProviderState::Active && !in_flight {
        return (
            Health::Ready {
                message: format!("ECS capacity provider {} is ACTIVE", p.name),
            },
            Next::Resync,
        );
    }
    let reason = if update == Some(&CapacityProviderUpdate::UpdateInProgress) {
        "Updating"
    } else {
        "Provisioning"
    };
    let detail = update.map(|u| format!(" ({u})")).unwrap_or_default();
    (
        Health::Progressing {
            reason,
            message: format!("ECS capacity provider {} is {}{detail}", p.name, p.status),
        },
        Next::After(CONVERGE_POLL),
    )
}

fn change_note(
    provider: &CapacityProvider,
    adopting: bool,
    current: &EcsCapacityProvider,
    steps: &[Step],
) -> Note {
    let what = steps
        .iter()
        .map(Step::describe)
        .collect::<Vec<_>>()
        .join(", ");
    if adopting {
        return Note::normal(
            "Adopted",
            format!("adopted ECS capacity provider {} ({what})", current.arn),
        );
    }
    let status = provider.status.as_ref();
    if status.and_then(|s| s.observed_generation) == provider.metadata.generation {
        Note::normal(
            "DriftCorrected",
            format!(
                "ECS capacity provider {} had drifted from the spec; corrected: {what}",
                current.arn
            ),
        )
    } else {
        Note::normal(
            "Updated",
            format!("updated ECS capacity provider {}: {what}", current.arn),
        )
    }
}

fn name_conflict(found: &EcsCapacityProvider) -> Outcome<CapacityProviderStatus> {
    let message = format!(
        "an ECS capacity provider named {} already exists ({}, {}) and was not created by this object; \
         choose another spec.capacityProviderName, or set spec.adoptionPolicy: Adopt to take it over \
         (a provider of the other type, Auto Scaling group or Managed Instances, cannot be adopted)",
        found.name, found.arn, found.provider_type
    );
    // The foreign provider's ARN stays out of status: it is not ours.
    Outcome::stalled(
        CapacityProviderStatus::default(),
        "NameConflict",
        message,
        Next::Resync,
    )
}

fn waiting(
    status: CapacityProviderStatus,
    reason: &'static str,
    message: String,
) -> Cleanup<CapacityProviderStatus> {
    Cleanup::Waiting(Outcome {
        status,
        health: Health::Progressing { reason, message },
        notes: Vec::new(),
        next: Next::After(CONVERGE_POLL),
    })
}

/// Deletes the ECS capacity provider as `deletionPolicy` says, before the finalizer
/// goes. While Clusters or Services of the namespace (`dependents`) still name it, or
/// ECS refuses because a cluster or a service still uses it, deletion waits.
pub async fn cleanup(
    provider: &CapacityProvider,
    ecs: &dyn AwsApi,
    dependents: &[String],
) -> Result<Cleanup<CapacityProviderStatus>, AwsError> {
    let previous = provider.status.clone().unwrap_or_default();
    if !dependents.is_empty() {
        return Ok(waiting(
            previous,
            IN_USE,
            format!(
                "waiting for these objects, which use this capacity provider, to stop naming it or be deleted: {}",
                dependents.join(", ")
            ),
        ));
    }
    if provider.spec.deletion_policy == DeletionPolicy::Retain {
        return Ok(Cleanup::Done(vec![Note::normal(
            "Retained",
            format!(
                "deletionPolicy is Retain: ECS capacity provider {} left in place",
                provider.provider_name()
            ),
        )]));
    }
    let current = match observe(provider, ecs).await? {
        Observed::Owned(p) => p,
        // Never delete what this object does not own.
        Observed::Absent | Observed::Foreign(..) => {
            return Ok(Cleanup::Done(Vec::new()));
        }
    };
    let status = CapacityProviderStatus {
        managed_tag_keys: previous.managed_tag_keys.clone(),
        ..observed_status(&current)
    };
    if current.update_status == Some(CapacityProviderUpdate::DeleteInProgress) {
        let message = format!("ECS is deleting capacity provider {}", current.name);
        return Ok(waiting(status, "Deleting", message));
    }
    match ecs
        .delete_capacity_provider(&current.name, current.cluster.as_deref())
        .await
    {
        Ok(()) => Ok(waiting(
            status,
            "Deleting",
            format!("ECS is deleting capacity provider {}", current.name),
        )),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(Cleanup::Done(Vec::new())),
        // ECS answers a provider still associated with a cluster or named in a service's
        // strategy with a ClientException: wait for those to let it go.
        Err(e) if matches!(e.kind, ErrorKind::InvalidInput | ErrorKind::InUse) => Ok(waiting(
            status,
            IN_USE,
            format!(
                "waiting to delete ECS capacity provider {}: {}; remove it from the clusters and \
                 service strategies that use it",
                current.name, e.message
            ),
        )),
        Err(e) => Err(e),
    }
}
