//! Reconciling `TaskDefinition` objects: one new revision per real spec change,
//! a bounded history, and never a revision a Service still uses taken away.

mod apply;
mod controller;
mod normalise;
mod observe;
mod plan;
mod status;

#[cfg(test)]
mod normalise_tests;
#[cfg(test)]
mod ownership_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;

use kube::ResourceExt;

use crate::api::tenant_policy::Profile;
use crate::api::{AdoptionPolicy, DeletionPolicy, TaskDefinition, TaskDefinitionStatus};
use crate::aws::{AwsApi, AwsError};
use crate::controller::Index;
use crate::reconcile::{CONVERGE_POLL, Cleanup, Health, Next, Note, Outcome, guarded};
use crate::tenancy;

use apply::Deregistered;
use observe::{Observed, all_owned, observe};
use plan::{Desired, Revision, Step, credential_like_log_options, credential_like_variables, plan};
use status::observed_status;

/// Tag on every revision the operator registers: the hash of the normalised spec it came from.
pub const SPEC_HASH_TAG: &str = "ecs.operator.dev/spec-hash";

/// Makes the family's latest revision match the spec and trims the history.
/// AWS errors that a retry can fix are returned; the rest become `Stalled`.
pub async fn reconcile(
    td: &TaskDefinition,
    ecs: &dyn AwsApi,
    users: &dyn Index,
) -> Result<Outcome<TaskDefinitionStatus>, AwsError> {
    let previous = td.status.clone().unwrap_or_default();
    guarded(
        previous.clone(),
        &previous.conditions,
        td.metadata.generation,
        converge(td, ecs, users, &previous),
    )
    .await
}

async fn converge(
    td: &TaskDefinition,
    ecs: &dyn AwsApi,
    users: &dyn Index,
    previous: &TaskDefinitionStatus,
) -> Result<Outcome<TaskDefinitionStatus>, AwsError> {
    if let Some(refused) = tenancy::refusal(users, td, &plan::tenant_uses(td), previous) {
        return Ok(refused);
    }
    if users.task_definition_profile(&td.namespace().unwrap_or_default()) == Profile::Restricted {
        let beyond = plan::beyond_restricted_profile(&td.spec.definition);
        if !beyond.is_empty() {
            let message = format!(
                "the restricted task definition profile refuses {}; remove them, or ask the \
                 cluster admin for a TenantPolicy with taskDefinitionProfile: Privileged",
                beyond.join("; ")
            );
            return Ok(Outcome::stalled(
                previous.clone(),
                "ForbiddenByProfile",
                message,
                Next::Resync,
            ));
        }
    }
    let desired = Desired::from_object(td);
    let Observed {
        mut owned,
        latest,
        foreign,
    } = observe(td, ecs, &desired.hash).await?;
    if owned.is_empty() && !foreign.is_empty() && td.spec.adoption_policy == AdoptionPolicy::Never {
        return Ok(family_conflict(&desired.family, &foreign));
    }

    let mut in_use = users.revisions_in_use();
    let mut steps = plan(
        &desired,
        &owned,
        latest.as_ref(),
        &previous.managed_tag_keys,
        &in_use,
    );
    if let (true, Some(region)) = (
        steps.iter().any(|s| matches!(s, Step::Deregister(_))),
        previous.region.as_deref(),
    ) {
        // Trimming: revisions that tasks run, in any cluster the operator knows, stay too.
        let clusters = users.known_clusters(region);
        in_use.extend(observe::running_revisions(ecs, &desired.family, &clusters).await?);
        steps = plan(
            &desired,
            &owned,
            latest.as_ref(),
            &previous.managed_tag_keys,
            &in_use,
        );
    }
    let mut notes = Vec::new();
    if steps.iter().any(|s| matches!(s, Step::Register(_))) {
        notes.extend(credential_warnings(&desired));
    }
    let applied = apply::apply(ecs, td, &steps).await?;
    let latest = match (applied.registered, latest) {
        (Some(registered), _) => {
            notes.push(registered_note(&registered.arn, owned.is_empty(), &foreign));
            // The hash we sent, not the response's tags: ECS may leave tags out of it.
            owned.insert(
                0,
                Revision {
                    hash: desired.hash.clone(),
                    ..Revision::of(&registered)
                },
            );
            registered
        }
        (None, Some(latest)) => latest,
        (None, None) => {
            // The plan registers when there is no revision; should it ever not, look again soon.
            return Ok(Outcome {
                status: previous.clone(),
                health: Health::Progressing {
                    reason: "Registering",
                    message: format!("family {} has no revision yet", desired.family),
                },
                notes,
                next: Next::After(CONVERGE_POLL),
            });
        }
    };
    let mut stale = Vec::new();
    for step in &steps {
        match step {
            Step::Tag { arn, .. } | Step::Untag { arn, .. } => {
                let note = Note::normal("Updated", format!("updated the tags of {arn}"));
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
            Step::Deregister(_) => {
                let Deregistered { done, refused } = &applied.deregistered;
                if !done.is_empty() {
                    notes.push(Note::normal(
                        "Deregistered",
                        format!(
                            "deregistered {} beyond revisionHistoryLimit {}",
                            done.join(", "),
                            desired.history_limit
                        ),
                    ));
                }
                notes.extend(refused_note(refused, &desired.family));
                stale.extend(done.iter().chain(refused).cloned());
            }
            Step::Register(_) => {}
        }
    }
    let kept: Vec<Revision> = owned
        .into_iter()
        .filter(|r| !stale.contains(&r.arn))
        .collect();

    Ok(Outcome {
        status: observed_status(&latest, &kept, desired.spec_tag_keys()),
        health: Health::Ready {
            message: format!(
                "revision {} of family {} is registered and matches the spec",
                latest.revision, latest.family
            ),
        },
        notes,
        next: Next::Resync,
    })
}

fn registered_note(arn: &str, first: bool, foreign: &[String]) -> Note {
    if first && !foreign.is_empty() {
        return Note::normal(
            "Adopted",
            format!(
                "registered {arn} into a family that already had {} revision(s) from elsewhere; those are left alone",
                foreign.len()
            ),
        );
    }
    Note::normal("Registered", format!("registered {arn}"))
}

/// One warning naming every environment variable and log driver option that looks like
/// a credential, by name only, in one Event: one finding to read, and one Event
/// rather than one per field on each registration.
fn credential_warnings(desired: &Desired) -> Vec<Note> {
    let variables =
        credential_like_variables(&desired.fields)
            .into_iter()
            .map(|(container, variable)| {
                format!(
                    "container {container} environment variable {variable} (move it to secrets)"
                )
            });
    let options = credential_like_log_options(&desired.fields)
        .into_iter()
        .map(|(container, option)| {
            format!(
                "container {container} log driver option {option} (move it to \
                 logConfiguration.secretOptions)"
            )
        });
    let found: Vec<String> = variables.chain(options).collect();
    if found.is_empty() {
        return Vec::new();
    }
    vec![Note::warning(
        "PlaintextSecret",
        format!(
            "fields that look like credentials: {}; give each a valueFrom (a Secrets Manager \
             or SSM Parameter Store ARN) so its value is not stored in the task definition",
            found.join(", ")
        ),
    )]
}

fn family_conflict(family: &str, foreign: &[String]) -> Outcome<TaskDefinitionStatus> {
    let message = format!(
        "task definition family {family} already has {} active revision(s) this object did not register \
         (newest: {}); choose another spec.family, or set spec.adoptionPolicy: Adopt to register into it",
        foreign.len(),
        foreign.last().map(String::as_str).unwrap_or_default()
    );
    Outcome::stalled(
        TaskDefinitionStatus::default(),
        "NameConflict",
        message,
        Next::Resync,
    )
}

/// Deregisters the revisions as `deletionPolicy` says, before the finalizer goes.
/// While a Service references this object or runs one of its revisions, deletion waits.
pub async fn cleanup(
    td: &TaskDefinition,
    ecs: &dyn AwsApi,
    users: &dyn Index,
) -> Result<Cleanup<TaskDefinitionStatus>, AwsError> {
    let previous = td.status.clone().unwrap_or_default();
    if td.spec.deletion_policy == DeletionPolicy::Retain {
        return Ok(Cleanup::Done(vec![Note::normal(
            "Retained",
            format!(
                "deletionPolicy is Retain: the revisions of family {} are left registered",
                td.family()
            ),
        )]));
    }
    let namespace = td.namespace().unwrap_or_default();
    let mut blockers = users.services_of_task_definition(&namespace, &td.name_any());
    let in_use = users.revisions_in_use();
    blockers.extend(
        previous
            .revisions
            .iter()
            .filter(|r| in_use.contains(&r.arn))
            .map(|r| format!("a Service running {}", r.arn)),
    );
    if !blockers.is_empty() {
        return Ok(Cleanup::Waiting(Outcome {
            health: Health::Progressing {
                reason: "InUse",
                message: format!(
                    "waiting to deregister the revisions until nothing uses them: {}",
                    blockers.join(", ")
                ),
            },
            status: previous,
            notes: Vec::new(),
            next: Next::After(CONVERGE_POLL),
        }));
    }
    let arns = all_owned(td, ecs).await?;
    let Deregistered { done, refused } = apply::deregister(ecs, td, &arns).await?;
    let mut notes = Vec::new();
    if !done.is_empty() {
        notes.push(Note::normal(
            "Deregistered",
            format!("deregistered {}", done.join(", ")),
        ));
    }
    notes.extend(refused_note(&refused, &td.family()));
    Ok(Cleanup::Done(notes))
}

/// A Warning for revisions status listed that ECS does not show as this object's.
fn refused_note(refused: &[String], family: &str) -> Option<Note> {
    (!refused.is_empty()).then(|| {
        Note::warning(
            "NotOwned",
            format!(
                "left {} registered: ECS does not show it as a revision of family {family} \
                 tagged with this object's uid, so it is not this object's to deregister",
                refused.join(", ")
            ),
        )
    })
}
