//! Tasks between our types and the AWS SDK's.

use aws_sdk_ecs::types as sdk;

use super::{aws_error, tags_from_sdk, text, timestamp};
use crate::aws::{AwsError, EcsContainer, EcsTask, TaskFilter, TaskPage};

/// DescribeTasks takes at most 100 tasks (ECS API Reference, DescribeTasks).
pub const TASKS_PER_DESCRIBE: usize = 100;

pub async fn list(
    client: &aws_sdk_ecs::Client,
    filter: &TaskFilter,
    next_token: Option<&str>,
) -> Result<TaskPage, AwsError> {
    let out = client
        .list_tasks()
        .cluster(&filter.cluster)
        .set_service_name(filter.service_name.clone())
        .set_family(filter.family.clone())
        .set_started_by(filter.started_by.clone())
        .set_desired_status(
            filter
                .desired_status
                .as_ref()
                .map(|s| sdk::DesiredStatus::from(s.as_str())),
        )
        .set_next_token(next_token.map(str::to_string))
        .send()
        .await
        .map_err(|e| aws_error("ecs:ListTasks", e))?;
    Ok(TaskPage {
        arns: out.task_arns().to_vec(),
        next_token: text(out.next_token()),
    })
}

/// Describes up to `TASKS_PER_DESCRIBE` tasks of `cluster`, with their tags.
pub async fn describe(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    arns: &[String],
) -> Result<Vec<EcsTask>, AwsError> {
    // ECS refuses an empty list; nothing asked, nothing to say.
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let out = client
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns.to_vec()))
        .include(sdk::TaskField::Tags)
        .send()
        .await
        .map_err(|e| aws_error("ecs:DescribeTasks", e))?;
    Ok(out.tasks().iter().map(from_sdk).collect())
}

fn from_sdk(t: &sdk::Task) -> EcsTask {
    EcsTask {
        arn: t.task_arn().unwrap_or_default().to_string(),
        cluster_arn: t.cluster_arn().unwrap_or_default().to_string(),
        task_definition: t.task_definition_arn().unwrap_or_default().to_string(),
        group: text(t.group()),
        started_by: text(t.started_by()),
        last_status: t.last_status().unwrap_or_default().into(),
        desired_status: t.desired_status().unwrap_or_default().into(),
        stop_code: t.stop_code().map(|c| c.as_str().to_string()),
        stopped_reason: text(t.stopped_reason()),
        containers: t
            .containers()
            .iter()
            .map(|c| EcsContainer {
                name: c.name().unwrap_or_default().to_string(),
                last_status: c.last_status().unwrap_or_default().into(),
                exit_code: c.exit_code(),
                reason: text(c.reason()),
            })
            .collect(),
        created_at: timestamp(t.created_at()),
        started_at: timestamp(t.started_at()),
        stopped_at: timestamp(t.stopped_at()),
        tags: tags_from_sdk(t.tags()),
    }
}
