//! Starting and stopping tasks. The RunTask request for an attempt is the same, token
//! included, however often it is sent, so a restart at any point never starts a second
//! copy of an attempt.

use kube::ResourceExt;

use super::plan;
use crate::api::Task;
use crate::aws::{AwsApi, AwsError, ErrorKind, RunTask};
use crate::digest::{sha256_hex, short_hex};
use crate::ownership::ownership_tags;

/// The tag that says which attempt of its Task a task belongs to.
pub const ATTEMPT_TAG: &str = "ecs.operator.dev/attempt";

/// At most 64 characters (ECS API Reference, RunTask clientToken): one per object and
/// attempt, so ECS answers a repeat with the tasks the first call started.
pub fn client_token(uid: &str, attempt: i32) -> String {
    sha256_hex(format!("{uid}/attempt/{attempt}").as_bytes())
}

/// At most 36 characters (ECS API Reference, RunTask startedBy), the same for every
/// attempt of the object, so ListTasks can find its tasks.
pub fn started_by(uid: &str) -> String {
    format!("ecs-operator/{}", &short_hex(uid.as_bytes())[..20])
}

/// Attempt `attempt` of `task` on the cluster and revision its first attempt fixed.
pub fn run_request(task: &Task, cluster: &str, task_definition: &str, attempt: i32) -> RunTask {
    let uid = task.uid().unwrap_or_default();
    let mut tags = task.spec.template.tags.clone();
    tags.extend(ownership_tags(task));
    tags.insert(ATTEMPT_TAG.to_string(), attempt.to_string());
    RunTask {
        cluster: cluster.to_string(),
        task_definition: task_definition.to_string(),
        count: plan::count(&task.spec),
        started_by: started_by(&uid),
        client_token: client_token(&uid, attempt),
        tags,
        template: task.spec.template.clone(),
    }
}

/// Stops one task; one already gone is nothing left to stop.
pub(crate) async fn stop(
    ecs: &dyn AwsApi,
    cluster: &str,
    arn: &str,
    reason: &str,
) -> Result<(), AwsError> {
    match ecs.stop_task(cluster, arn, reason).await {
        // Gone already: nothing left to stop.
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::InvalidInput) => Ok(()),
        other => other,
    }
}
