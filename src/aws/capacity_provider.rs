//! Capacity providers as the ECS capacity provider calls take and report them.

use super::{CapacityProviderState, CapacityProviderUpdate, Tags};
use crate::api::capacity_provider::{AutoScalingGroupProvider, ManagedInstancesProvider};

/// What a capacity provider draws its capacity from.
#[derive(Clone, Debug, PartialEq)]
pub enum CapacityProviderConfig {
    AutoScalingGroup(AutoScalingGroupProvider),
    /// Boxed: its launch template is large beside an Auto Scaling group's settings.
    ManagedInstances(Box<ManagedInstancesProvider>),
}

/// A capacity provider as DescribeCapacityProviders reports it (with tags).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EcsCapacityProvider {
    pub name: String,
    pub arn: String,
    pub status: CapacityProviderState,
    /// EC2_AUTOSCALING, MANAGED_INSTANCES, FARGATE or FARGATE_SPOT.
    pub provider_type: String,
    /// The cluster a Managed Instances provider belongs to.
    pub cluster: Option<String>,
    pub update_status: Option<CapacityProviderUpdate>,
    pub update_status_reason: Option<String>,
    /// The configuration as ECS reports it, defaults filled in; None for FARGATE and FARGATE_SPOT.
    pub config: Option<CapacityProviderConfig>,
    pub tags: Tags,
}

impl EcsCapacityProvider {
    /// ECS Managed Instances providers are created inside their cluster and stay
    /// associated with it until deleted (PutClusterCapacityProviders does not manage them).
    pub fn is_managed_instances(&self) -> bool {
        self.provider_type == "MANAGED_INSTANCES"
    }

    /// Deleted: ECS keeps describing an INACTIVE provider for a while, and its name may
    /// be used again.
    pub fn is_inactive(&self) -> bool {
        self.status == CapacityProviderState::Inactive
    }
}

/// Everything CreateCapacityProvider takes.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateCapacityProvider {
    pub name: String,
    /// The cluster of a Managed Instances provider.
    pub cluster: Option<String>,
    pub config: CapacityProviderConfig,
    pub tags: Tags,
}
