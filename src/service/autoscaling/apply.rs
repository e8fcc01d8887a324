//! Carrying out a scaling plan through the AWS port.

use super::plan::ScalingPlan;
use crate::aws::{AwsApi, AwsError, ErrorKind, PutPolicyResult};

/// What the calls returned that status needs.
#[derive(Default)]
pub struct Applied {
    pub target_arn: Option<String>,
    pub policies: Vec<(String, PutPolicyResult)>,
}

pub async fn apply(
    ecs: &dyn AwsApi,
    resource_id: &str,
    steps: &ScalingPlan,
) -> Result<Applied, AwsError> {
    let mut applied = Applied::default();
    if let Some(register) = &steps.register {
        applied.target_arn = ecs.register_scalable_target(register).await?;
    }
    for policy in &steps.put_policies {
        let result = ecs.put_scaling_policy(resource_id, policy).await?;
        applied.policies.push((policy.name.clone(), result));
    }
    for action in &steps.put_actions {
        ecs.put_scheduled_action(resource_id, action).await?;
    }
    for name in &steps.delete_policies {
        gone_is_done(ecs.delete_scaling_policy(resource_id, name).await)?;
    }
    for name in &steps.delete_actions {
        gone_is_done(ecs.delete_scheduled_action(resource_id, name).await)?;
    }
    if steps.deregister {
        gone_is_done(ecs.deregister_scalable_target(resource_id).await)?;
    }
    Ok(applied)
}

/// A target, policy or action that is already gone counts as deleted.
fn gone_is_done(result: Result<(), AwsError>) -> Result<(), AwsError> {
    match result {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
