//! Writing the schedule: its namespace's group first, then the schedule itself.

use std::collections::BTreeMap;

use crate::aws::{AwsApi, AwsError, ErrorKind};
use crate::ownership::NAMESPACE;

/// The namespace's schedule group is someone else's: it lacks the namespace tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupNotOwned;

/// Creates the namespace's schedule group, or finds it in place and checks it carries
/// the namespace tag: a group someone else made is not written into. `cluster_arn`
/// gives the partition, region and account the group's ARN is in.
pub async fn ensure_group(
    ecs: &dyn AwsApi,
    group: &str,
    namespace: &str,
    cluster_arn: &str,
) -> Result<Result<(), GroupNotOwned>, AwsError> {
    let tags = BTreeMap::from([(NAMESPACE.to_string(), namespace.to_string())]);
    match ecs.create_schedule_group(group, &tags).await {
        Ok(_) => return Ok(Ok(())),
        Err(e) if e.kind == ErrorKind::InUse => {}
        Err(e) => return Err(e),
    }
    let found = ecs
        .list_tags_for_resource(&group_arn(cluster_arn, group))
        .await?;
    if found.get(NAMESPACE).map(String::as_str) == Some(namespace) {
        Ok(Ok(()))
    } else {
        Ok(Err(GroupNotOwned))
    }
}

/// `arn:PARTITION:scheduler:REGION:ACCOUNT:schedule-group/NAME`, in the cluster's
/// partition, region and account.
fn group_arn(cluster_arn: &str, group: &str) -> String {
    let parts: Vec<&str> = cluster_arn.split(':').collect();
    let part = |i: usize| parts.get(i).copied().unwrap_or_default();
    format!(
        "arn:{}:scheduler:{}:{}:schedule-group/{group}",
        part(1),
        part(3),
        part(4)
    )
}

/// Deletes the schedule; one already gone is done.
pub async fn delete(ecs: &dyn AwsApi, group: &str, name: &str) -> Result<(), AwsError> {
    match ecs.delete_schedule(group, name).await {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_group_arn_is_in_the_clusters_partition_region_and_account() {
        assert_eq!(
            super::group_arn("arn:aws-cn:ecs:cn-north-1:123456789012:cluster/batch", "g"),
            "arn:aws-cn:scheduler:cn-north-1:123456789012:schedule-group/g"
        );
    }
}
