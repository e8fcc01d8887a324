//! The TaskDefinition status fields: the family's latest revision and its history.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::plan::Revision;
use crate::api::task_definition::{REVISIONS_RECORDED, RevisionRecord, TaskDefinitionStatus};
use crate::aws::EcsTaskDefinition;

/// Status for `latest` with `kept` (newest first) as the history.
pub fn observed_status(
    latest: &EcsTaskDefinition,
    kept: &[Revision],
    managed_tag_keys: Vec<String>,
) -> TaskDefinitionStatus {
    TaskDefinitionStatus {
        family: Some(latest.family.clone()),
        revision: Some(latest.revision),
        arn: Some(latest.arn.clone()),
        revisions: kept
            .iter()
            .take(REVISIONS_RECORDED)
            .map(|r| RevisionRecord {
                revision: r.number,
                arn: r.arn.clone(),
                spec_hash: r.hash.clone(),
                registered_at: r.registered_at.map(Time),
            })
            .collect(),
        managed_tag_keys,
        ..TaskDefinitionStatus::default()
    }
}
