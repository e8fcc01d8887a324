//! Carrying out a scaling plan through the AWS port: each step is one call, in order.

use super::plan::Step;
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
    steps: &[Step],
) -> Result<Applied, AwsError> {
    let mut applied = Applied::default();
    for step in steps {
        match step {
            Step::Register(register) => {
                applied.target_arn = ecs.register_scalable_target(register).await?;
            }
            Step::PutPolicy(policy) => {
                let result = ecs.put_scaling_policy(resource_id, policy).await?;
                applied.policies.push((policy.name.clone(), result));
            }
            Step::PutAction(action) => ecs.put_scheduled_action(resource_id, action).await?,
            Step::DeletePolicy(name) => {
                gone_is_done(ecs.delete_scaling_policy(resource_id, name).await)?;
            }
            Step::DeleteAction(name) => {
                gone_is_done(ecs.delete_scheduled_action(resource_id, name).await)?;
            }
            Step::Deregister => gone_is_done(ecs.deregister_scalable_target(resource_id).await)?,
        }
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
