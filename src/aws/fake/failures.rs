//! How a task definition makes the fake's service tasks fail: the emulator's conventions
//! (`hack/testenv/emulator/ecs_emulator/failures.py`, documented in docs/emulator.md),
//! so a scenario fails the same way against both.

use super::State;
use crate::aws::{EcsContainer, EcsTask, TaskState};

/// An image whose reference contains this cannot be pulled.
const PULL_FAILURE_MARKER: &str = "does-not-exist";
/// An essential container with this environment variable exits with its value.
const EXIT_CODE_VARIABLE: &str = "ECS_EMULATOR_EXIT_CODE";

/// Why a revision's tasks stop.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskFailure {
    /// The agent cannot pull this container's image, so the task never starts (ECS
    /// Developer Guide, "Amazon ECS stopped task error codes": TaskFailedToStart).
    CannotPull { container: String, reason: String },
    /// An essential container exits with this code, so ECS stops the task (same page:
    /// EssentialContainerExited).
    Exits { container: String, code: i32 },
}

/// How the tasks of `task_definition` fail, if it is registered and asks to.
pub fn of(state: &State, task_definition: &str) -> Option<TaskFailure> {
    let registered = state
        .task_definitions
        .iter()
        .find(|t| t.arn == task_definition)?;
    let containers = &registered.fields.container_definitions;
    // The agent pulls every image before it starts any container.
    let pull = containers.iter().find_map(|c| {
        c.image
            .to_ascii_lowercase()
            .contains(PULL_FAILURE_MARKER)
            .then(|| TaskFailure::CannotPull {
                container: c.name.clone(),
                reason: pull_error(&c.image),
            })
    });
    pull.or_else(|| {
        containers
            .iter()
            .filter(|c| c.essential != Some(false))
            .find_map(|c| {
                let value = c
                    .environment
                    .iter()
                    .find(|e| e.name == EXIT_CODE_VARIABLE)?;
                let code = value.value.trim().parse::<i32>().ok()?;
                Some(TaskFailure::Exits {
                    container: c.name.clone(),
                    code: code & 0xFF,
                })
            })
    })
}

/// A stopped task of a deployment that failed this way, as DescribeTasks reports it.
pub fn stopped_task(failure: &TaskFailure, template: EcsTask) -> EcsTask {
    let (stop_code, reason, container) = match failure {
        TaskFailure::CannotPull { container, reason } => (
            "TaskFailedToStart",
            reason.clone(),
            EcsContainer {
                name: container.clone(),
                last_status: TaskState::Stopped,
                exit_code: None,
                reason: Some(reason.clone()),
            },
        ),
        TaskFailure::Exits { container, code } => (
            "EssentialContainerExited",
            "Essential container in task exited".to_string(),
            EcsContainer {
                name: container.clone(),
                last_status: TaskState::Stopped,
                exit_code: Some(*code),
                reason: None,
            },
        ),
    };
    EcsTask {
        last_status: TaskState::Stopped,
        desired_status: TaskState::Stopped,
        stop_code: Some(stop_code.to_string()),
        stopped_reason: Some(reason),
        containers: vec![container],
        ..template
    }
}

/// The agent's words for a missing image (ECS Developer Guide, "CannotPullContainer task
/// errors in Amazon ECS"), with the reference resolved as Docker resolves it.
fn pull_error(image: &str) -> String {
    let reference = docker_reference(image);
    format!(
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to \
         resolve ref {reference}: {reference}: not found"
    )
}

/// `nginx:1` is `docker.io/library/nginx:1`; a reference without a tag means `:latest`.
fn docker_reference(image: &str) -> String {
    let mut reference = match image.split_once('/') {
        Some((host, _)) if host.contains('.') || host.contains(':') || host == "localhost" => {
            image.to_string()
        }
        Some(_) => format!("docker.io/{image}"),
        None => format!("docker.io/library/{image}"),
    };
    let last = reference.rsplit('/').next().unwrap_or_default();
    if !last.contains('@') && !last.contains(':') {
        reference.push_str(":latest");
    }
    reference
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_resolve_as_docker_resolves_them() {
        assert_eq!(
            docker_reference("nginx:does-not-exist"),
            "docker.io/library/nginx:does-not-exist"
        );
        assert_eq!(docker_reference("team/app"), "docker.io/team/app:latest");
        assert_eq!(
            docker_reference("registry.example/does-not-exist/app:1"),
            "registry.example/does-not-exist/app:1"
        );
    }
}
