//! DescribeServiceDeployments, ContinueServiceDeployment and StopServiceDeployment.

use aws_sdk_ecs::types as sdk;

use super::{aws_error, text, timestamp};
use crate::aws::limiter::Prepaid;
use crate::aws::{
    AwsError, DeploymentRollback, DeploymentStopType, EcsServiceDeployment, HookAction, HookDetail,
    RevisionSummary,
};

/// DescribeServiceDeployments takes at most 20 ARNs.
pub const DEPLOYMENTS_PER_DESCRIBE: usize = 20;

/// The deployments ECS knows of `arns`; the ones it reports as failures are left out.
pub async fn describe_many(
    client: &aws_sdk_ecs::Client,
    arns: Vec<String>,
    receipt: Option<Prepaid>,
) -> Result<Vec<EcsServiceDeployment>, AwsError> {
    let out = client
        .describe_service_deployments()
        .set_service_deployment_arns(Some(arns))
        .customize()
        .mutate_request(move |request| receipt.iter().for_each(|r| r.attach(request)))
        .send()
        .await
        .map_err(|e| aws_error("ecs:DescribeServiceDeployments", e))?;
    Ok(out.service_deployments().iter().map(from_sdk).collect())
}

pub async fn continue_deployment(
    client: &aws_sdk_ecs::Client,
    arn: &str,
    hook_id: &str,
    action: &HookAction,
) -> Result<(), AwsError> {
    client
        .continue_service_deployment()
        .service_deployment_arn(arn)
        .hook_id(hook_id)
        .action(sdk::DeploymentLifecycleHookAction::from(action.as_str()))
        .send()
        .await
        .map_err(|e| aws_error("ecs:ContinueServiceDeployment", e))?;
    Ok(())
}

pub async fn stop(
    client: &aws_sdk_ecs::Client,
    arn: &str,
    stop_type: &DeploymentStopType,
) -> Result<(), AwsError> {
    client
        .stop_service_deployment()
        .service_deployment_arn(arn)
        .stop_type(sdk::StopServiceDeploymentStopType::from(stop_type.as_str()))
        .send()
        .await
        .map_err(|e| aws_error("ecs:StopServiceDeployment", e))?;
    Ok(())
}

fn from_sdk(d: &sdk::ServiceDeployment) -> EcsServiceDeployment {
    EcsServiceDeployment {
        arn: d.service_deployment_arn().unwrap_or_default().to_string(),
        status: d.status().map(|s| s.as_str().into()).unwrap_or_default(),
        status_reason: text(d.status_reason()),
        lifecycle_stage: d.lifecycle_stage().map(|s| s.as_str().to_string()),
        created_at: timestamp(d.created_at()),
        started_at: timestamp(d.started_at()),
        updated_at: timestamp(d.updated_at()),
        finished_at: timestamp(d.finished_at()),
        target: d.target_service_revision().map(revision_from_sdk),
        sources: d
            .source_service_revisions()
            .iter()
            .map(revision_from_sdk)
            .collect(),
        hooks: d
            .lifecycle_hook_details()
            .iter()
            .map(|h| HookDetail {
                hook_id: h.hook_id().unwrap_or_default().to_string(),
                target_type: h.target_type().map(|t| t.as_str().to_string()),
                target_arn: text(h.target_arn()),
                status: h.status().map(|s| s.as_str().into()).unwrap_or_default(),
                expires_at: timestamp(h.expires_at()),
                timeout_action: h.timeout_action().map(|a| a.as_str().into()),
            })
            .collect(),
        rollback: d.rollback().map(|r| DeploymentRollback {
            reason: text(r.reason()),
            started_at: timestamp(r.started_at()),
            service_revision_arn: text(r.service_revision_arn()),
        }),
        bake_time_in_minutes: d
            .deployment_configuration()
            .and_then(|c| c.bake_time_in_minutes()),
        triggered_alarms: d
            .alarms()
            .map(|a| a.triggered_alarm_names().to_vec())
            .unwrap_or_default(),
    }
}

fn revision_from_sdk(r: &sdk::ServiceRevisionSummary) -> RevisionSummary {
    RevisionSummary {
        arn: r.arn().unwrap_or_default().to_string(),
        requested_task_count: r.requested_task_count(),
        running_task_count: r.running_task_count(),
        pending_task_count: r.pending_task_count(),
        test_traffic_weight: r.requested_test_traffic_weight(),
        production_traffic_weight: r.requested_production_traffic_weight(),
    }
}
