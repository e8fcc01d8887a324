//! Reconciling `Cluster` objects: observe, plan, apply, status.

mod apply;
mod controller;
mod observe;
mod plan;
mod providers;
mod status;

#[cfg(test)]
mod adoption_tests;
#[cfg(test)]
mod capacity_provider_refs_tests;
#[cfg(test)]
mod managed_instances_tests;
#[cfg(test)]
mod tests;

use kube::ResourceExt;

use crate::api::{AdoptionPolicy, Cluster, ClusterStatus, DeletionPolicy};
use crate::aws::{AwsApi, AwsError, ClusterState, EcsCluster, ErrorKind};
use crate::controller::Index;
use crate::ownership::{may_adopt, owner_of, refused};
use crate::reconcile::{CONVERGE_POLL, Cleanup, Health, Next, Note, Outcome, guarded};
use crate::tenancy;
use observe::{Observed, observe};
use plan::{Desired, Step, plan};
use status::observed_status;

/// Makes the ECS cluster match the spec. The object carries its finalizer already.
/// AWS errors that a retry can fix are returned; the rest become `Stalled`.
pub async fn reconcile(
    cluster: &Cluster,
    ecs: &dyn AwsApi,
    index: &dyn Index,
) -> Result<Outcome<ClusterStatus>, AwsError> {
    let previous = cluster.status.clone().unwrap_or_default();
    guarded(
        previous.clone(),
        &previous.conditions,
        cluster.metadata.generation,
        converge(cluster, ecs, index, &previous),
    )
    .await
}

async fn converge(
    cluster: &Cluster,
    ecs: &dyn AwsApi,
    index: &dyn Index,
    previous: &ClusterStatus,
) -> Result<Outcome<ClusterStatus>, AwsError> {
    if let Some(refused) = tenancy::refusal(index, cluster, &plan::tenant_uses(cluster), previous) {
        return Ok(refused);
    }
    let referenced = match providers::resolve(cluster, index) {
        Ok(referenced) => referenced,
        Err(providers::Unusable::Waiting(message)) => {
            return Ok(Outcome::waiting_for_reference(
                previous.clone(),
                providers::WAITING_FOR_CAPACITY_PROVIDER,
                message,
                cluster.metadata.creation_timestamp.as_ref(),
            ));
        }
        Err(providers::Unusable::Circular(message)) => {
            return Ok(Outcome::stalled(
                previous.clone(),
                crate::conditions::REASON_INVALID_SPEC,
                message,
                Next::AwaitChange,
            ));
        }
    };
    let desired = Desired::from_object(cluster, &referenced);
    let (current, adopting) = match observe(cluster, desired.capacity_providers.as_deref(), ecs)
        .await?
    {
        Observed::Absent => (None, false),
        Observed::Owned(c) => (Some(c), false),
        Observed::Foreign(c, owner) if cluster.spec.adoption_policy == AdoptionPolicy::Adopt => {
            let what = format!("ECS cluster {}", c.arn);
            let allowed = index.adoption_allowed(&cluster.namespace().unwrap_or_default());
            let live_uid =
                |namespace: &str, name: &str| index.cluster(namespace, name).and_then(|c| c.uid());
            if let Err(refusal) = may_adopt(&owner, cluster, &what, allowed, live_uid) {
                return Ok(refused(refusal));
            }
            (Some(c), true)
        }
        Observed::Foreign(c, _) => return Ok(name_conflict(&c)),
    };

    let steps = plan(&desired, current.as_ref(), &previous.managed_tag_keys);
    let created = apply::apply(ecs, current.as_ref().map(|c| c.arn.as_str()), &steps).await?;
    if let Some(c) = &created
        && !owner_of(&c.tags, cluster).is_this_object()
    {
        // CreateCluster hands back a same-named cluster created meanwhile by someone else.
        return Ok(name_conflict(c));
    }

    let mut notes = Vec::new();
    let observed = match (created, current) {
        (Some(created), _) => {
            notes.push(Note::normal(
                "Created",
                format!("created ECS cluster {}", created.arn),
            ));
            created
        }
        (None, Some(current)) if steps.is_empty() => current,
        (None, Some(current)) => {
            notes.push(change_note(cluster, adopting, &current, &steps));
            // Read back what the updates did, so status shows AWS's view rather than ours.
            ecs.describe_cluster(&current.arn).await?.unwrap_or(current)
        }
        (None, None) => {
            // The plan for an absent cluster creates it; should it ever not, look again soon.
            return Ok(Outcome {
                status: previous.clone(),
                health: Health::Progressing {
                    reason: "Provisioning",
                    message: format!("ECS cluster {} does not exist yet", desired.name),
                },
                notes,
                next: Next::After(CONVERGE_POLL),
            });
        }
    };

    let mut status = observed_status(&observed);
    status.managed_tag_keys = desired.spec_tag_keys();
    let (health, next) = match &observed.status {
        ClusterState::Active => (
            Health::Ready {
                message: format!("ECS cluster {} is ACTIVE", observed.name),
            },
            Next::Resync,
        ),
        ClusterState::Failed => (
            Health::Stalled {
                reason: "ClusterFailed",
                message: format!(
                    "ECS reports cluster {} as FAILED; check its capacity providers and the AWS console",
                    observed.name
                ),
            },
            Next::Resync,
        ),
        other => (
            Health::Progressing {
                reason: "Provisioning",
                message: format!("ECS cluster status is {other}"),
            },
            Next::After(CONVERGE_POLL),
        ),
    };
    Ok(Outcome {
        status,
        health,
        notes,
        next,
    })
}

fn change_note(cluster: &Cluster, adopting: bool, current: &EcsCluster, steps: &[Step]) -> Note {
    let what = steps
        .iter()
        .map(Step::describe)
        .collect::<Vec<_>>()
        .join(", ");
    if adopting {
        return Note::normal(
            "Adopted",
            format!("adopted ECS cluster {} ({what})", current.arn),
        );
    }
    let status = cluster.status.as_ref();
    let spec_unchanged = status.and_then(|s| s.observed_generation) == cluster.metadata.generation;
    if spec_unchanged {
        Note::normal(
            "DriftCorrected",
            format!(
                "ECS cluster {} had drifted from the spec; corrected: {what}",
                current.arn
            ),
        )
    } else {
        Note::normal(
            "Updated",
            format!("updated ECS cluster {}: {what}", current.arn),
        )
    }
}

fn name_conflict(found: &EcsCluster) -> Outcome<ClusterStatus> {
    let message = format!(
        "an ECS cluster named {} already exists ({}) and was not created by this object; \
         choose another spec.clusterName, or set spec.adoptionPolicy: Adopt to take it over",
        found.name, found.arn
    );
    // The foreign cluster's ARN stays out of status: it is not ours.
    Outcome::stalled(
        ClusterStatus::default(),
        "NameConflict",
        message,
        Next::Resync,
    )
}

/// Deletes the ECS cluster as `deletionPolicy` says, before the finalizer goes.
/// While Services or ScheduledTasks (`dependents`) still reference it, or the ECS cluster still holds
/// services, tasks or container instances, deletion waits.
pub async fn cleanup(
    cluster: &Cluster,
    ecs: &dyn AwsApi,
    dependents: &[String],
) -> Result<Cleanup<ClusterStatus>, AwsError> {
    if !dependents.is_empty() {
        return Ok(Cleanup::Waiting(Outcome {
            status: cluster.status.clone().unwrap_or_default(),
            health: Health::Progressing {
                reason: "HasDependents",
                message: format!(
                    "waiting for these objects, which run in this cluster, to be deleted first: {}",
                    dependents.join(", ")
                ),
            },
            notes: Vec::new(),
            next: Next::After(CONVERGE_POLL),
        }));
    }
    if cluster.spec.deletion_policy == DeletionPolicy::Retain {
        return Ok(Cleanup::Done(vec![Note::normal(
            "Retained",
            format!(
                "deletionPolicy is Retain: ECS cluster {} left in place",
                cluster.cluster_name()
            ),
        )]));
    }
    // Deleting needs no account of the cluster's Managed Instances providers.
    let current = match observe(cluster, None, ecs).await? {
        Observed::Owned(c) => c,
        // Never delete what this object does not own.
        Observed::Absent | Observed::Foreign(..) => return Ok(Cleanup::Done(Vec::new())),
    };
    let previous = cluster.status.clone().unwrap_or_default();
    match ecs.delete_cluster(&current.arn).await {
        Ok(ClusterState::Inactive) => Ok(Cleanup::Done(vec![Note::normal(
            "Deleted",
            format!("deleted ECS cluster {}", current.arn),
        )])),
        Ok(status) => Ok(Cleanup::Waiting(Outcome {
            status: ClusterStatus {
                status: Some(status.to_string()),
                ..previous
            },
            health: Health::Progressing {
                reason: "Deleting",
                message: format!("ECS cluster status is {status}"),
            },
            notes: Vec::new(),
            next: Next::After(CONVERGE_POLL),
        })),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(Cleanup::Done(Vec::new())),
        Err(e) if e.kind == ErrorKind::InUse => {
            let reason = match e.code.as_str() {
                "ClusterContainsServicesException" => "ClusterHasServices",
                "ClusterContainsTasksException" => "ClusterHasTasks",
                "ClusterContainsContainerInstancesException" => "ClusterHasContainerInstances",
                "ClusterContainsCapacityProviderException" => "ClusterHasCapacityProviders",
                _ => "ClusterInUse",
            };
            let message = format!(
                "waiting to delete ECS cluster {}: {}; delete its services and tasks, deregister its container \
                 instances, or delete its Managed Instances capacity providers",
                current.name, e.message
            );
            Ok(Cleanup::Waiting(Outcome {
                status: ClusterStatus {
                    managed_tag_keys: previous.managed_tag_keys,
                    ..observed_status(&current)
                },
                health: Health::Progressing { reason, message },
                notes: Vec::new(),
                next: Next::After(CONVERGE_POLL),
            }))
        }
        Err(e) => Err(e),
    }
}
