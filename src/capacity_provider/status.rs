//! The CapacityProvider status fields: what ECS reported.

use crate::api::CapacityProviderStatus;
use crate::aws::EcsCapacityProvider;

/// ECS's update status reasons can be long; status keeps what its schema allows.
const REASON_KEPT: usize = 1024;

/// The status fields ECS reports for `p`.
pub fn observed_status(p: &EcsCapacityProvider) -> CapacityProviderStatus {
    CapacityProviderStatus {
        arn: Some(p.arn.clone()),
        name: Some(p.name.clone()),
        provider_type: Some(p.provider_type.clone()).filter(|t| !t.is_empty()),
        status: Some(p.status.to_string()),
        update_status: p.update_status.as_ref().map(ToString::to_string),
        update_status_reason: p
            .update_status_reason
            .as_ref()
            .map(|r| r.chars().take(REASON_KEPT).collect()),
        cluster: p.cluster.clone(),
        ..CapacityProviderStatus::default()
    }
}
