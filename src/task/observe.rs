//! Reading the running attempt's tasks back from ECS.

use super::plan::{self, RUNNING};
use super::status::merge;
use crate::api::task::AttemptStatus;
use crate::api::{Task, TaskStatus};
use crate::aws::{AwsApi, AwsError};
use crate::ownership::owner_of;

/// The attempts as ECS now reports their tasks.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    Attempts(Vec<AttemptStatus>),
    /// Status names a task whose tags say it is not this object's (status is the
    /// user's to write, so it proves nothing).
    NotOwned(String),
}

/// One DescribeTasks for the tasks of running attempts that have not stopped; none when
/// every attempt has finished, so a finished Task costs no call.
pub async fn observe(
    task: &Task,
    ecs: &dyn AwsApi,
    status: &TaskStatus,
) -> Result<Observed, AwsError> {
    let unfinished: Vec<String> = status
        .attempts
        .iter()
        .filter(|a| a.result == RUNNING)
        .flat_map(|a| &a.tasks)
        .filter(|t| !plan::stopped(t))
        .map(|t| t.arn.clone())
        .collect();
    let described = match (&status.cluster, unfinished.is_empty()) {
        (Some(cluster), false) => ecs.describe_tasks(cluster, &unfinished).await?,
        _ => Vec::new(),
    };
    if let Some(foreign) = described
        .iter()
        .find(|t| !owner_of(&t.tags, task).is_this_object())
    {
        return Ok(Observed::NotOwned(foreign.arn.clone()));
    }
    Ok(Observed::Attempts(merge(
        &status.attempts,
        &described,
        &status.essential_containers,
        plan::count(&task.spec),
    )))
}
