//! The states ECS reports, as enums: the SDK mapping parses ECS's text once, and the
//! reconcilers match on variants, so a misspelt state cannot compile. A value newer
//! than this code is kept as `Other`, shown as ECS wrote it and matched by nothing.

use std::fmt;

macro_rules! ecs_states {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident { $($(#[doc = $variant_doc:literal])* $variant:ident = $text:literal,)* }
    )*) => {$(
        $(#[doc = $doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[doc = $variant_doc])* $variant,)*
            /// A state this version of the operator does not know.
            Other(String),
        }

        impl $name {
            /// The state as ECS writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_string()),
                }
            }
        }

        /// The empty state of a value not described yet.
        impl Default for $name {
            fn default() -> Self {
                Self::Other(String::new())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

ecs_states! {
    /// A capacity provider's status (ECS API Reference, CapacityProvider).
    CapacityProviderState {
        /// Usable: "only capacity providers in an ACTIVE state can be used in a cluster".
        Active = "ACTIVE",
        /// A Managed Instances provider being set up.
        Provisioning = "PROVISIONING",
        Deprovisioning = "DEPROVISIONING",
        /// Deleted; ECS keeps describing it for a while, and its name may be used again.
        Inactive = "INACTIVE",
    }

    /// Where a capacity provider's last create, update or delete stands (ECS API
    /// Reference, CapacityProvider.updateStatus).
    CapacityProviderUpdate {
        CreateInProgress = "CREATE_IN_PROGRESS",
        CreateComplete = "CREATE_COMPLETE",
        CreateFailed = "CREATE_FAILED",
        UpdateInProgress = "UPDATE_IN_PROGRESS",
        UpdateComplete = "UPDATE_COMPLETE",
        UpdateFailed = "UPDATE_FAILED",
        DeleteInProgress = "DELETE_IN_PROGRESS",
        DeleteComplete = "DELETE_COMPLETE",
        DeleteFailed = "DELETE_FAILED",
    }

    /// A cluster's status (ECS API Reference, Cluster).
    ClusterState {
        Active = "ACTIVE",
        Provisioning = "PROVISIONING",
        Deprovisioning = "DEPROVISIONING",
        Failed = "FAILED",
        /// Deleted; ECS keeps describing it for a while.
        Inactive = "INACTIVE",
    }

    /// A service's status (ECS API Reference, Service).
    ServiceState {
        Active = "ACTIVE",
        /// Deleted and stopping its tasks.
        Draining = "DRAINING",
        Inactive = "INACTIVE",
    }

    /// A deployment's place in its service (ECS API Reference, Deployment).
    DeploymentState {
        /// The newest deployment: what the service runs.
        Primary = "PRIMARY",
        /// An older deployment still draining, or rolling back.
        Active = "ACTIVE",
        Inactive = "INACTIVE",
    }

    /// A task set's place in its service (ECS API Reference, TaskSet).
    TaskSetState {
        /// Serves production traffic.
        Primary = "PRIMARY",
        Active = "ACTIVE",
        /// Its tasks are stopping.
        Draining = "DRAINING",
    }

    /// Whether a task set runs as asked (ECS API Reference, TaskSet.stabilityStatus).
    StabilityStatus {
        SteadyState = "STEADY_STATE",
        Stabilizing = "STABILIZING",
    }

    /// How a deployment's rollout stands (ECS API Reference, Deployment.rolloutState).
    RolloutState {
        InProgress = "IN_PROGRESS",
        Completed = "COMPLETED",
        Failed = "FAILED",
    }

    /// Where a task or one of its containers is in its lifecycle (ECS Developer Guide,
    /// "Amazon ECS task lifecycle"; DescribeTasks lastStatus and desiredStatus).
    TaskState {
        Provisioning = "PROVISIONING",
        Pending = "PENDING",
        Activating = "ACTIVATING",
        Running = "RUNNING",
        Deactivating = "DEACTIVATING",
        Stopping = "STOPPING",
        Deprovisioning = "DEPROVISIONING",
        Stopped = "STOPPED",
        Deleted = "DELETED",
    }

    /// A service deployment's status (ECS API Reference, ServiceDeployment).
    ServiceDeploymentState {
        Pending = "PENDING",
        InProgress = "IN_PROGRESS",
        Successful = "SUCCESSFUL",
        Stopped = "STOPPED",
        StopRequested = "STOP_REQUESTED",
        RollbackRequested = "ROLLBACK_REQUESTED",
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        RollbackSuccessful = "ROLLBACK_SUCCESSFUL",
        RollbackFailed = "ROLLBACK_FAILED",
    }

    /// A lifecycle hook's status (ECS API Reference, DeploymentLifecycleHookDetail).
    HookStatus {
        /// A PAUSE hook holding the deployment until ContinueServiceDeployment.
        AwaitingAction = "AWAITING_ACTION",
        InProgress = "IN_PROGRESS",
        Succeeded = "SUCCEEDED",
        Failed = "FAILED",
        TimedOut = "TIMED_OUT",
    }

    /// What ContinueServiceDeployment asks, or a hook's timeout does
    /// (ECS API Reference, ContinueServiceDeployment).
    HookAction {
        Continue = "CONTINUE",
        Rollback = "ROLLBACK",
    }

    /// How StopServiceDeployment stops a deployment (ECS API Reference,
    /// StopServiceDeployment).
    DeploymentStopType {
        /// Back to the source revision.
        Rollback = "ROLLBACK",
        /// In ECS's enum, but the API reference lists ROLLBACK as the only valid value.
        Abort = "ABORT",
    }

    /// A task definition revision's status (ECS API Reference, TaskDefinition).
    RevisionState {
        Active = "ACTIVE",
        /// Deregistered: running tasks keep it, new ones cannot use it.
        Inactive = "INACTIVE",
        DeleteInProgress = "DELETE_IN_PROGRESS",
    }
}

impl ServiceDeploymentState {
    /// Whether ECS has finished with the deployment: it succeeded, stopped or rolled back.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Successful | Self::Stopped | Self::RollbackSuccessful | Self::RollbackFailed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_unknown_ones_are_kept() {
        for text in ["ACTIVE", "DRAINING", "INACTIVE"] {
            assert_eq!(ServiceState::from(text).as_str(), text);
        }
        assert_eq!(RolloutState::from("IN_PROGRESS"), RolloutState::InProgress);
        let newer = ClusterState::from("HIBERNATING");
        assert_eq!(newer, ClusterState::Other("HIBERNATING".into()));
        assert_eq!(newer.to_string(), "HIBERNATING");
    }
}
