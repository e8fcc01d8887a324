//! What Application Auto Scaling holds for the service's scalable target.

use super::plan::ObservedScaling;
use crate::aws::{AwsApi, AwsError};

/// The target, and its policies and scheduled actions when `attached` (they are read
/// only where there can be some of ours).
pub async fn observe(
    ecs: &dyn AwsApi,
    resource_id: &str,
    attached: bool,
) -> Result<ObservedScaling, AwsError> {
    let target = ecs.describe_scalable_target(resource_id).await?;
    if !attached {
        return Ok(ObservedScaling {
            target,
            ..Default::default()
        });
    }
    Ok(ObservedScaling {
        target,
        policies: ecs.describe_scaling_policies(resource_id).await?,
        actions: ecs.describe_scheduled_actions(resource_id).await?,
    })
}
