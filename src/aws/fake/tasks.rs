//! Tasks in the fake ECS: put in place by tests (as a service or RunTask would start
//! them), listed and described as ECS does.

use k8s_openapi::jiff::Timestamp;

use super::clusters::{self, by_name_or_arn};
use super::{ACCOUNT, FakeEcs, REGION, State, task_definitions};
use crate::aws::{
    AwsError, EcsContainer, EcsTask, ErrorKind, RunTask, StartedTasks, TaskFilter, TaskPage,
    TaskState,
};
use crate::sync::Lock;

impl FakeEcs {
    /// Puts a task of `cluster` in place; its ARN is filled in when empty.
    pub fn insert_task(&self, cluster: &str, mut task: EcsTask) -> EcsTask {
        task.cluster_arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}");
        push(&mut self.state.locked(), task)
    }

    /// The task `arn` stops as a one-off job does when its essential container exits:
    /// each container with its exit code (`exit_codes` by container name, 0 for the
    /// rest), stopCode EssentialContainerExited (ECS Developer Guide, "Amazon ECS
    /// stopped task error codes"; the emulator stops tasks the same way).
    pub fn exit_task(&self, arn: &str, exit_codes: &[(&str, i32)]) {
        let mut state = self.state.locked();
        let Some(task) = state.tasks.iter_mut().find(|t| t.arn == arn) else {
            panic!("no task {arn}");
        };
        for container in &mut task.containers {
            container.last_status = TaskState::Stopped;
            container.exit_code = Some(
                exit_codes
                    .iter()
                    .find(|(name, _)| *name == container.name)
                    .map_or(0, |(_, code)| *code),
            );
        }
        task.last_status = TaskState::Stopped;
        task.desired_status = TaskState::Stopped;
        task.stop_code = Some("EssentialContainerExited".into());
        task.stopped_reason = Some("Essential container in task exited".into());
        task.stopped_at = Some(Timestamp::now());
    }

    /// Every task the fake holds, as tests inspect them.
    pub fn tasks(&self) -> Vec<EcsTask> {
        self.state.locked().tasks.clone()
    }
}

/// Starts the tasks RunTask asks for (ECS API Reference, RunTask): `count` tasks of
/// the revision in PROVISIONING, grouped `family:NAME` unless a group is given; a client
/// token already used answers with the tasks its first request started.
pub fn run(state: &mut State, request: &RunTask) -> Result<StartedTasks, AwsError> {
    const ACTION: &str = "ecs:RunTask";
    let cluster_arn = by_name_or_arn(state, &request.cluster)
        .ok_or_else(|| cluster_not_found(ACTION))?
        .arn
        .clone();
    if let Some(arns) = state.run_tokens.get(&request.client_token) {
        let tasks = state
            .tasks
            .iter()
            .filter(|t| arns.contains(&t.arn))
            .cloned()
            .collect();
        return Ok(StartedTasks {
            tasks,
            failures: Vec::new(),
        });
    }
    if !(1..=10).contains(&request.count) {
        return Err(invalid(ACTION, "count must be between 1 and 10."));
    }
    clusters::check_strategy(
        state,
        ACTION,
        &request.cluster,
        &request.template.capacity_provider_strategy,
    )?;
    let revision = task_definitions::find(state, &request.task_definition)
        .ok_or_else(|| invalid(ACTION, "TaskDefinition not found."))?
        .clone();
    let mut started = Vec::new();
    for _ in 0..request.count {
        let task = EcsTask {
            cluster_arn: cluster_arn.clone(),
            task_definition: revision.arn.clone(),
            group: Some(
                request
                    .template
                    .group
                    .clone()
                    .unwrap_or_else(|| format!("family:{}", revision.family)),
            ),
            started_by: Some(request.started_by.clone()).filter(|s| !s.is_empty()),
            last_status: TaskState::Provisioning,
            desired_status: TaskState::Running,
            containers: revision
                .fields
                .container_definitions
                .iter()
                .map(|c| EcsContainer {
                    name: c.name.clone(),
                    last_status: TaskState::Pending,
                    ..Default::default()
                })
                .collect(),
            created_at: Some(Timestamp::now()),
            tags: request.tags.clone(),
            ..Default::default()
        };
        started.push(push(state, task));
    }
    state.run_tokens.insert(
        request.client_token.clone(),
        started.iter().map(|t| t.arn.clone()).collect(),
    );
    Ok(StartedTasks {
        tasks: started,
        failures: Vec::new(),
    })
}

/// Stops a task (ECS API Reference, StopTask): stopCode UserInitiated, the reason as
/// given, containers that had started exit 0 as the emulator's do on SIGTERM. A task
/// already stopped is left as it was.
pub fn stop(state: &mut State, cluster: &str, arn: &str, reason: &str) -> Result<(), AwsError> {
    const ACTION: &str = "ecs:StopTask";
    let cluster_arn = by_name_or_arn(state, cluster)
        .ok_or_else(|| cluster_not_found(ACTION))?
        .arn
        .clone();
    let task = state
        .tasks
        .iter_mut()
        .find(|t| t.arn == arn && t.cluster_arn == cluster_arn)
        .ok_or_else(|| invalid(ACTION, "The referenced task was not found."))?;
    if task.last_status == TaskState::Stopped {
        return Ok(());
    }
    for container in &mut task.containers {
        if container.last_status == TaskState::Running {
            container.exit_code = Some(0);
        }
        container.last_status = TaskState::Stopped;
    }
    task.last_status = TaskState::Stopped;
    task.desired_status = TaskState::Stopped;
    task.stop_code = Some("UserInitiated".into());
    task.stopped_reason = Some(reason.to_string());
    task.stopped_at = Some(Timestamp::now());
    Ok(())
}

/// Adds a task of the cluster `task.cluster_arn`, naming it when its ARN is empty.
pub fn push(state: &mut State, mut task: EcsTask) -> EcsTask {
    if task.arn.is_empty() {
        let id = state.tasks.len() + 1;
        let cluster = task.cluster_arn.rsplit('/').next().unwrap_or_default();
        task.arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{id:032x}");
    }
    state.tasks.push(task.clone());
    task
}

fn cluster_not_found(action: &'static str) -> AwsError {
    AwsError::new(
        ErrorKind::NotFound,
        action,
        "ClusterNotFoundException",
        "Cluster not found.",
    )
}

fn invalid(action: &'static str, message: &str) -> AwsError {
    AwsError::new(
        ErrorKind::InvalidInput,
        action,
        "InvalidParameterException",
        message,
    )
}

fn family_of(task_definition: &str) -> &str {
    let revision = task_definition
        .rsplit_once("task-definition/")
        .map_or(task_definition, |(_, key)| key);
    revision.split(':').next().unwrap_or(revision)
}

/// The cluster's tasks the filter selects, in pages of at most 100 (ECS API Reference,
/// ListTasks: desiredStatus defaults to RUNNING; a service's tasks are its group
/// `service:<name>`).
pub fn list(
    state: &mut State,
    filter: &TaskFilter,
    next_token: Option<&str>,
) -> Result<TaskPage, AwsError> {
    const ACTION: &str = "ecs:ListTasks";
    let cluster_arn = by_name_or_arn(state, &filter.cluster)
        .ok_or_else(|| cluster_not_found(ACTION))?
        .arn
        .clone();
    let desired = filter.desired_status.clone().unwrap_or(TaskState::Running);
    let service_group = filter.service_name.as_ref().map(|s| format!("service:{s}"));
    let matching: Vec<&EcsTask> = state
        .tasks
        .iter()
        .filter(|t| t.cluster_arn == cluster_arn && t.desired_status == desired)
        .filter(|t| service_group.is_none() || t.group == service_group)
        .filter(|t| {
            filter
                .family
                .as_deref()
                .is_none_or(|f| family_of(&t.task_definition) == f)
        })
        .filter(|t| filter.started_by.is_none() || t.started_by == filter.started_by)
        .collect();
    let start = match next_token {
        None => 0,
        Some(token) => token
            .parse()
            .map_err(|_| invalid(ACTION, "Invalid nextToken"))?,
    };
    let size = state.page_size.unwrap_or(100);
    let end = (start + size).min(matching.len());
    Ok(TaskPage {
        arns: matching[start.min(end)..end]
            .iter()
            .map(|t| t.arn.clone())
            .collect(),
        next_token: (end < matching.len()).then(|| end.to_string()),
    })
}

/// The cluster's tasks with these ARNs; unknown ones are left out, as ECS lists them
/// under failures (ECS API Reference, DescribeTasks). The port takes any number: the
/// SDK mapping sends them 100 at a time, as ECS requires.
pub fn describe(
    state: &mut State,
    cluster: &str,
    arns: &[String],
) -> Result<Vec<EcsTask>, AwsError> {
    const ACTION: &str = "ecs:DescribeTasks";
    let cluster_arn = by_name_or_arn(state, cluster)
        .ok_or_else(|| cluster_not_found(ACTION))?
        .arn
        .clone();
    Ok(state
        .tasks
        .iter()
        .filter(|t| t.cluster_arn == cluster_arn && arns.contains(&t.arn))
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{EcsApi, Tags};

    fn task(group: &str, desired: TaskState) -> EcsTask {
        EcsTask {
            task_definition: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3".into(),
            group: Some(group.into()),
            last_status: desired.clone(),
            desired_status: desired,
            ..Default::default()
        }
    }

    fn fake() -> FakeEcs {
        let fake = FakeEcs::default();
        fake.insert_cluster("main", Tags::new());
        fake
    }

    #[tokio::test]
    async fn tasks_are_listed_by_service_family_and_desired_status() {
        let fake = fake();
        let web = fake.insert_task("main", task("service:web", TaskState::Running));
        fake.insert_task("main", task("service:api", TaskState::Running));
        let stopped = fake.insert_task("main", task("service:web", TaskState::Stopped));
        let of_web = TaskFilter {
            cluster: "main".into(),
            service_name: Some("web".into()),
            ..Default::default()
        };
        let running = fake.list_tasks(&of_web, None).await.unwrap();
        assert_eq!(running.arns, [web.arn], "RUNNING unless asked otherwise");
        let gone = TaskFilter {
            desired_status: Some(TaskState::Stopped),
            ..of_web.clone()
        };
        assert_eq!(
            fake.list_tasks(&gone, None).await.unwrap().arns,
            [stopped.arn]
        );
        let by_family = TaskFilter {
            cluster: "main".into(),
            family: Some("web".into()),
            ..Default::default()
        };
        assert_eq!(
            fake.list_tasks(&by_family, None).await.unwrap().arns.len(),
            2
        );
    }

    #[tokio::test]
    async fn many_tasks_come_in_pages() {
        let fake = fake();
        fake.set_page_size(2);
        for _ in 0..5 {
            fake.insert_task("main", task("service:web", TaskState::Running));
        }
        let filter = TaskFilter {
            cluster: "main".into(),
            ..Default::default()
        };
        let (mut arns, mut token) = (Vec::new(), None);
        loop {
            let page = fake.list_tasks(&filter, token.as_deref()).await.unwrap();
            arns.extend(page.arns);
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(arns.len(), 5);
    }

    #[tokio::test]
    async fn a_describe_leaves_out_unknown_tasks_and_an_unknown_cluster_is_an_error() {
        let fake = fake();
        let web = fake.insert_task("main", task("service:web", TaskState::Running));
        let asked = [
            web.arn.clone(),
            "arn:aws:ecs:us-east-1:123456789012:task/main/gone".into(),
        ];
        assert_eq!(fake.describe_tasks("main", &asked).await.unwrap(), [web]);
        let error = fake.describe_tasks("nowhere", &asked).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::NotFound);
    }
}
