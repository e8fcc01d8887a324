//! Tasks between our types and the AWS SDK's.

use aws_sdk_ecs::types as sdk;

use super::container::{pairs_to_sdk, strings};
use super::service::{constraints_to_sdk, network_to_sdk, placement_strategy_to_sdk};
use super::{
    aws_error, empty_response, invalid_input, non_empty, strategy_to_sdk, tags_from_sdk,
    tags_to_sdk, text, timestamp,
};
use crate::api::task::TaskOverride;
use crate::aws::limiter::Prepaid;
use crate::aws::{AwsError, EcsContainer, EcsTask, RunTask, StartedTasks, TaskFilter, TaskPage};

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

/// Describes up to `TASKS_PER_DESCRIBE` tasks of `cluster`, with their tags; `receipt`
/// is the token a batch already took.
pub async fn describe(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    arns: Vec<String>,
    receipt: Option<Prepaid>,
) -> Result<Vec<EcsTask>, AwsError> {
    // ECS refuses an empty list; nothing asked, nothing to say.
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let out = client
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .include(sdk::TaskField::Tags)
        .customize()
        .mutate_request(move |request| receipt.iter().for_each(|r| r.attach(request)))
        .send()
        .await
        .map_err(|e| aws_error("ecs:DescribeTasks", e))?;
    Ok(out.tasks().iter().map(from_sdk).collect())
}

/// RunTask; `receipt` is the token booked for it (`write_turn`), if any.
pub async fn run(
    client: &aws_sdk_ecs::Client,
    request: &RunTask,
    receipt: Option<Prepaid>,
) -> Result<StartedTasks, AwsError> {
    const ACTION: &str = "ecs:RunTask";
    let spec = &request.template;
    let network = spec
        .network_configuration
        .as_ref()
        .map(network_to_sdk)
        .transpose()
        .map_err(invalid_input(ACTION))?;
    let out = client
        .run_task()
        .cluster(&request.cluster)
        .task_definition(&request.task_definition)
        .count(request.count)
        .started_by(&request.started_by)
        .client_token(&request.client_token)
        .set_tags(non_empty(tags_to_sdk(&request.tags)))
        .set_launch_type(spec.launch_type.as_deref().map(sdk::LaunchType::from))
        .set_capacity_provider_strategy(non_empty(strategy_to_sdk(
            &spec.capacity_provider_strategy,
        )))
        .set_platform_version(spec.platform_version.clone())
        .set_network_configuration(network)
        .set_overrides(spec.overrides.as_ref().map(overrides_to_sdk))
        .set_group(spec.group.clone())
        .set_propagate_tags(spec.propagate_tags.as_deref().map(sdk::PropagateTags::from))
        .set_enable_ecs_managed_tags(spec.enable_ecs_managed_tags)
        .set_enable_execute_command(spec.enable_execute_command)
        .set_placement_constraints(non_empty(constraints_to_sdk(&spec.placement_constraints)))
        .set_placement_strategy(non_empty(placement_strategy_to_sdk(
            &spec.placement_strategy,
        )))
        .customize()
        .mutate_request(move |request| receipt.iter().for_each(|r| r.attach(request)))
        .send()
        .await
        .map_err(|e| aws_error(ACTION, e))?;
    let failures: Vec<String> = out
        .failures()
        .iter()
        .map(|f| {
            let reason = f.reason().unwrap_or("unknown");
            match f.detail() {
                Some(detail) => format!("{reason} ({detail})"),
                None => reason.to_string(),
            }
        })
        .collect();
    if out.tasks().is_empty() && failures.is_empty() {
        return Err(empty_response(ACTION, "tasks"));
    }
    Ok(StartedTasks {
        tasks: out.tasks().iter().map(from_sdk).collect(),
        failures,
    })
}

fn overrides_to_sdk(o: &TaskOverride) -> sdk::TaskOverride {
    sdk::TaskOverride::builder()
        .set_container_overrides(non_empty(
            o.container_overrides
                .iter()
                .map(|c| {
                    sdk::ContainerOverride::builder()
                        .name(&c.name)
                        .set_command(strings(&c.command))
                        .set_environment(pairs_to_sdk(&c.environment))
                        .set_cpu(c.cpu)
                        .set_memory(c.memory)
                        .build()
                })
                .collect(),
        ))
        .set_task_role_arn(o.task_role_arn.clone())
        .set_execution_role_arn(o.execution_role_arn.clone())
        .set_cpu(o.cpu.clone())
        .set_memory(o.memory.clone())
        .build()
}

pub async fn stop(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    task: &str,
    reason: &str,
) -> Result<(), AwsError> {
    client
        .stop_task()
        .cluster(cluster)
        .task(task)
        .reason(reason)
        .send()
        .await
        .map_err(|e| aws_error("ecs:StopTask", e))?;
    Ok(())
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
