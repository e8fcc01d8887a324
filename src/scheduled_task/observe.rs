//! Reading the schedule and the object's runs back from AWS.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;

use crate::api::{ScheduledTask, ScheduledTaskStatus};
use crate::aws::{AwsApi, AwsError, EcsSchedule, EcsTask, TaskFilter, TaskState};
use crate::conditions::REASON_INVALID_SPEC;
use crate::controller::Index;
use crate::ownership::owner_of;
use crate::reconcile::{Health, Next, Outcome, reference_poll};
use crate::service::references::{Unresolved, cluster_of, task_definition_of};

/// ListTasks pages read per desired status in one look (100 tasks each); a family with
/// more tasks than that in one cluster should be the schedule's alone.
const PAGES_MAX: usize = 10;

/// The schedule as Scheduler reports it.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    Absent,
    Owned(Box<EcsSchedule>),
    /// The name is taken by a schedule whose target's tags name another owner.
    Foreign(String),
}

pub async fn schedule(
    scheduled: &ScheduledTask,
    ecs: &dyn AwsApi,
    group: &str,
    name: &str,
) -> Result<Observed, AwsError> {
    Ok(match ecs.get_schedule(group, name).await? {
        None => Observed::Absent,
        Some(found) if owner_of(&found.target.tags, scheduled).is_this_object() => {
            Observed::Owned(Box::new(found))
        }
        Some(found) => Observed::Foreign(found.arn),
    })
}

/// The ARNs of the family's tasks in `cluster`, running and stopped.
pub async fn listed(
    ecs: &dyn AwsApi,
    cluster: &str,
    family: &str,
) -> Result<Vec<String>, AwsError> {
    let mut arns = Vec::new();
    for status in [TaskState::Running, TaskState::Stopped] {
        let filter = TaskFilter {
            cluster: cluster.to_string(),
            family: Some(family.to_string()),
            desired_status: Some(status),
            ..TaskFilter::default()
        };
        let mut token: Option<String> = None;
        for _ in 0..PAGES_MAX {
            let page = ecs.list_tasks(&filter, token.as_deref()).await?;
            arns.extend(page.arns);
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
    }
    Ok(arns)
}

/// The object's tasks among `arns`: described (with tags), and kept when their uid tag
/// is this object's.
pub async fn own_tasks(
    scheduled: &ScheduledTask,
    ecs: &dyn AwsApi,
    cluster: &str,
    arns: &[String],
) -> Result<Vec<EcsTask>, AwsError> {
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let described = ecs.describe_tasks(cluster, arns).await?;
    Ok(described
        .into_iter()
        .filter(|t| owner_of(&t.tags, scheduled).is_this_object())
        .collect())
}

/// `family:revision` or an ARN's family.
pub fn family_of(task_definition: &str) -> &str {
    let last = task_definition
        .rsplit('/')
        .next()
        .unwrap_or(task_definition);
    last.split(':').next().unwrap_or(last)
}

/// Why the cluster or revision is not known yet (waiting) or cannot be used (stalled).
pub enum NotResolved {
    Waiting {
        reason: &'static str,
        message: String,
    },
    Stalled {
        reason: &'static str,
        message: String,
    },
}

impl NotResolved {
    /// The outcome for an object created at `created`.
    pub fn with_status(
        self,
        status: ScheduledTaskStatus,
        created: Option<&Time>,
    ) -> Outcome<ScheduledTaskStatus> {
        match self {
            Self::Waiting { reason, message } => Outcome {
                status,
                health: Health::Progressing { reason, message },
                notes: Vec::new(),
                next: Next::After(reference_poll(created, Timestamp::now())),
            },
            Self::Stalled { reason, message } => {
                Outcome::stalled(status, reason, message, Next::AwaitChange)
            }
        }
    }
}

/// The cluster's ARN (the schedule's target names it by ARN) and the revision to run:
/// a TaskDefinition object's latest, so a new revision updates the schedule.
pub async fn targets(
    scheduled: &ScheduledTask,
    ecs: &dyn AwsApi,
    index: &dyn Index,
) -> Result<Result<(String, String), NotResolved>, AwsError> {
    let namespace = scheduled.namespace().unwrap_or_default();
    let template = &scheduled.spec.task;
    let resolved = cluster_of(
        &namespace,
        template.cluster_ref.as_ref(),
        template.cluster.as_ref(),
        index,
    )
    .and_then(|cluster| {
        task_definition_of(
            &namespace,
            template.task_definition_ref.as_ref(),
            template.task_definition.as_ref(),
            index,
        )
        .map(|revision| (cluster, revision))
    });
    let (cluster, revision) = match resolved {
        Ok(targets) => targets,
        Err(Unresolved::Waiting(waiting)) => {
            return Ok(Err(NotResolved::Waiting {
                reason: waiting.reason,
                message: waiting.message,
            }));
        }
        Err(Unresolved::Invalid(message)) => {
            return Ok(Err(NotResolved::Stalled {
                reason: REASON_INVALID_SPEC,
                message,
            }));
        }
    };
    if cluster.starts_with("arn:") {
        return Ok(Ok((cluster, revision)));
    }
    match ecs.describe_cluster(&cluster).await? {
        Some(found) => Ok(Ok((found.arn, revision))),
        None => Ok(Err(NotResolved::Stalled {
            reason: "ClusterNotFound",
            message: format!(
                "ECS does not know cluster {cluster} (spec.task.cluster); name a cluster that \
                 exists, or a Cluster object with spec.task.clusterRef"
            ),
        })),
    }
}
