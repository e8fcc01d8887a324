//! Deleting a Task: its tasks still running are stopped, as deletionPolicy says.

use super::apply::stop;
use super::observe::{Observed, observe};
use super::plan;
use crate::api::{DeletionPolicy, Task, TaskStatus};
use crate::aws::{AwsApi, AwsError, ErrorKind};
use crate::reconcile::{Cleanup, Note};

/// Stops the Task's tasks that still run, unless `deletionPolicy: Retain`. Only tasks
/// whose tags say they are this object's are stopped.
pub async fn cleanup(task: &Task, ecs: &dyn AwsApi) -> Result<Cleanup<TaskStatus>, AwsError> {
    let status = task.status.clone().unwrap_or_default();
    if task.spec.deletion_policy == DeletionPolicy::Retain {
        return Ok(Cleanup::Done(vec![Note::normal(
            "Retained",
            "deletionPolicy is Retain: tasks still running were left running",
        )]));
    }
    let Some(cluster) = status.cluster.clone() else {
        return Ok(Cleanup::Done(Vec::new()));
    };
    let attempts = match observe(task, ecs, &status).await {
        Ok(Observed::Attempts(attempts)) => attempts,
        // Never stop what this object did not start.
        Ok(Observed::NotOwned(_)) => return Ok(Cleanup::Done(Vec::new())),
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(Cleanup::Done(Vec::new())),
        Err(e) => return Err(e),
    };
    let running: Vec<String> = attempts
        .iter()
        .flat_map(|a| &a.tasks)
        .filter(|t| !plan::stopped(t))
        .map(|t| t.arn.clone())
        .collect();
    for arn in &running {
        stop(ecs, &cluster, arn, "its Task object was deleted").await?;
    }
    let notes = if running.is_empty() {
        Vec::new()
    } else {
        vec![Note::normal(
            "Stopped",
            format!("stopped {} as the Task was deleted", running.join(", ")),
        )]
    };
    Ok(Cleanup::Done(notes))
}
