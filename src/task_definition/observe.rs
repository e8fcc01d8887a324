//! Reads the family from ECS: which ACTIVE revisions this object registered, and
//! whether others registered revisions in it.

use super::plan::{Revision, parse_arn};
use crate::api::TaskDefinition;
use std::collections::BTreeSet;

use crate::aws::{
    AwsApi, AwsError, EcsTaskDefinition, ErrorKind, Freshness, RevisionState, TaskFilter, TaskState,
};
use crate::ownership::owner_of;

pub struct Observed {
    /// ACTIVE revisions this object registered, newest first.
    pub owned: Vec<Revision>,
    /// The newest of them as ECS describes it; Some whenever `owned` is not empty.
    pub latest: Option<EcsTaskDefinition>,
    /// ACTIVE revisions of the family this object did not register. Looked for only
    /// when this object has registered nothing yet (or lost track of it).
    pub foreign: Vec<String>,
}

/// Starts from the revisions recorded in status and checks the newest with one
/// DescribeTaskDefinition. When the spec hash differs from it, revisions registered
/// after it are looked for: a crash between RegisterTaskDefinition and the status
/// write leaves one, and finding it avoids registering a duplicate. When status knows
/// nothing, or its newest revision was deregistered behind our back, every ACTIVE
/// revision of the family is read.
pub async fn observe(
    td: &TaskDefinition,
    ecs: &dyn AwsApi,
    desired_hash: &str,
) -> Result<Observed, AwsError> {
    let family = td.family();
    let known = recorded_revisions(td, &family);
    let Some(newest) = known.first() else {
        return scan_family(td, ecs, &family, 0).await;
    };
    let latest = match ecs
        .describe_task_definition(&newest.arn, Freshness::Live)
        .await?
    {
        Some(latest)
            if latest.status == RevisionState::Active
                && owner_of(&latest.tags, td).is_this_object() =>
        {
            latest
        }
        _ => return scan_family(td, ecs, &family, 0).await,
    };
    let mut observed = Observed {
        owned: known.clone(),
        latest: Some(latest),
        foreign: Vec::new(),
    };
    if newest.hash != desired_hash {
        let newer = scan_family(td, ecs, &family, newest.number).await?;
        if let Some(newest_unrecorded) = newer.latest {
            observed.owned.splice(0..0, newer.owned);
            observed.latest = Some(newest_unrecorded);
        }
    }
    Ok(observed)
}

/// Every revision this object registered, for deletion: the recorded ones and any
/// found in ECS.
pub async fn all_owned(td: &TaskDefinition, ecs: &dyn AwsApi) -> Result<Vec<String>, AwsError> {
    let family = td.family();
    let mut arns: Vec<String> = recorded_revisions(td, &family)
        .into_iter()
        .map(|r| r.arn)
        .collect();
    for revision in scan_family(td, ecs, &family, 0).await?.owned {
        if !arns.contains(&revision.arn) {
            arns.push(revision.arn);
        }
    }
    Ok(arns)
}

/// The revisions status lists, of this family only. Status is a hint of where to look:
/// anyone who can write status can list any ARN there, so nothing is deregistered on
/// its word alone (see `apply::deregister`).
fn recorded_revisions(td: &TaskDefinition, family: &str) -> Vec<Revision> {
    let status = td.status.as_ref();
    if status.and_then(|s| s.family.as_deref()) != Some(family) {
        return Vec::new();
    }
    status
        .map(|s| {
            s.revisions
                .iter()
                .filter(|r| parse_arn(&r.arn).is_some_and(|(f, _)| f == family))
                .map(|r| Revision {
                    number: r.revision,
                    arn: r.arn.clone(),
                    hash: r.spec_hash.clone(),
                    registered_at: r.registered_at.as_ref().map(|t| t.0),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Describes the family's ACTIVE revisions numbered above `after` and sorts them by owner.
async fn scan_family(
    td: &TaskDefinition,
    ecs: &dyn AwsApi,
    family: &str,
    after: i32,
) -> Result<Observed, AwsError> {
    let mut observed = Observed {
        owned: Vec::new(),
        latest: None,
        foreign: Vec::new(),
    };
    for arn in family_revisions(ecs, family).await? {
        if parse_arn(&arn).is_none_or(|(_, number)| number <= after) {
            continue;
        }
        let Some(revision) = ecs.describe_task_definition(&arn, Freshness::Kept).await? else {
            continue;
        };
        if revision.status != RevisionState::Active {
            continue;
        }
        if owner_of(&revision.tags, td).is_this_object() {
            observed.owned.push(Revision::of(&revision));
            if observed
                .latest
                .as_ref()
                .is_none_or(|l| l.revision < revision.revision)
            {
                observed.latest = Some(revision);
            }
        } else {
            observed.foreign.push(arn);
        }
    }
    observed.owned.sort_by_key(|r| std::cmp::Reverse(r.number));
    Ok(observed)
}

/// The revisions of `family` that tasks run in `clusters`. Asked only when the history
/// is about to be trimmed: ECS services made elsewhere, one-off and scheduled tasks run
/// old revisions as tasks, which no Service object shows. One ListTasks per cluster
/// (pages of 100) and one DescribeTasks per 100 tasks; a cluster gone meanwhile has none.
pub async fn running_revisions(
    ecs: &dyn AwsApi,
    family: &str,
    clusters: &BTreeSet<String>,
) -> Result<BTreeSet<String>, AwsError> {
    let mut running = BTreeSet::new();
    for cluster in clusters {
        let filter = TaskFilter {
            cluster: cluster.clone(),
            family: Some(family.to_string()),
            desired_status: Some(TaskState::Running),
            ..Default::default()
        };
        let mut token: Option<String> = None;
        loop {
            let page = match ecs.list_tasks(&filter, token.as_deref()).await {
                Err(e) if e.kind == ErrorKind::NotFound => break,
                other => other?,
            };
            if !page.arns.is_empty() {
                let tasks = ecs.describe_tasks(cluster, &page.arns).await?;
                running.extend(tasks.into_iter().map(|t| t.task_definition));
            }
            match page.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
    }
    Ok(running)
}

/// ARNs of the family's ACTIVE revisions, through every page. ListTaskDefinitions
/// matches a prefix, so "web" also lists "web-worker": only the exact family is kept.
pub async fn family_revisions(ecs: &dyn AwsApi, family: &str) -> Result<Vec<String>, AwsError> {
    let mut arns = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ecs.list_task_definitions(family, token.as_deref()).await?;
        arns.extend(
            page.arns
                .into_iter()
                .filter(|arn| parse_arn(arn).is_some_and(|(f, _)| f == family)),
        );
        match page.next_token {
            Some(next) => token = Some(next),
            None => return Ok(arns),
        }
    }
}
