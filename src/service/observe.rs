//! Finding the ECS service that belongs to a Service object.

use super::plan::Desired;
use super::stages::{self, Look};
use crate::api::Service;
use crate::api::service::RolloutStatus;
use crate::aws::{AwsApi, AwsError, EcsService, EcsTask, ServiceState, TaskFilter, TaskState};
use crate::ownership::{Owner, owner_of};

/// What ECS holds under the service's name in its cluster.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    /// No service, or only an INACTIVE (deleted) one.
    Absent,
    /// Still DRAINING from an earlier deletion: it cannot be created again yet.
    Draining(EcsService),
    /// A live service tagged as this object's.
    Owned(EcsService),
    /// A live service this object did not create, and whose its tags say it is.
    Foreign(EcsService, Owner),
}

/// One DescribeServices call (batched with others of the same cluster), ownership judged
/// by tags.
pub async fn observe(
    service: &Service,
    desired: &Desired,
    ecs: &dyn AwsApi,
) -> Result<Observed, AwsError> {
    let found = ecs
        .describe_service(&desired.cluster, &desired.name)
        .await?;
    Ok(match found {
        None => Observed::Absent,
        Some(s) => match s.status {
            ServiceState::Inactive => Observed::Absent,
            ServiceState::Draining => Observed::Draining(s),
            _ => match owner_of(&s.tags, service) {
                Owner::ThisObject => Observed::Owned(s),
                other => Observed::Foreign(s, other),
            },
        },
    })
}

/// The service's stopped tasks, to say why `deployment` fails: one ListTasks page of its
/// STOPPED tasks and one DescribeTasks of them (ECS keeps a stopped task listed for at
/// least an hour; ECS Developer Guide, "Viewing Amazon ECS stopped task errors"). Made
/// once per failing deployment, never at idle.
pub async fn stopped_tasks(
    ecs: &dyn AwsApi,
    cluster: &str,
    service_name: &str,
) -> Result<Vec<EcsTask>, AwsError> {
    let filter = TaskFilter {
        cluster: cluster.to_string(),
        service_name: Some(service_name.to_string()),
        desired_status: Some(TaskState::Stopped),
        ..Default::default()
    };
    let page = ecs.list_tasks(&filter, None).await?;
    ecs.describe_tasks(cluster, &page.arns).await
}

/// status.rollout this pass: the current service deployment of a BLUE_GREEN, LINEAR or
/// CANARY service, read (one DescribeServiceDeployments, batched with other Services')
/// only while status does not hold it finished.
pub async fn rollout(
    ecs: &dyn AwsApi,
    live: &EcsService,
    recorded: Option<&RolloutStatus>,
) -> Result<Option<RolloutStatus>, AwsError> {
    Ok(match stages::look(live, recorded) {
        Look::None => None,
        Look::Keep => recorded.cloned(),
        Look::Read(arn) => ecs
            .describe_service_deployment(arn)
            .await?
            .map(|d| stages::recorded(&d, stages::staged_strategy(live))),
    })
}
