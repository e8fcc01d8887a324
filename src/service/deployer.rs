//! Services whose rollouts CODE_DEPLOY or an external deployer runs. ECS refuses most
//! of UpdateService for them, so the operator sends only what ECS takes, says in status
//! which revision the deployer should roll out, and judges Ready from the task sets.

use crate::api::service::{DeployerStatus, ServiceSettings, TaskSetStatus};
use crate::aws::{EcsService, TaskSetState};

pub const ECS: &str = "ECS";
pub const CODE_DEPLOY: &str = "CODE_DEPLOY";
pub const EXTERNAL: &str = "EXTERNAL";

/// The deployment controller of `settings`; ECS when left out (ECS API Reference,
/// DeploymentController: "The default is ECS").
pub fn controller(settings: &ServiceSettings) -> &str {
    settings
        .deployment_controller
        .as_ref()
        .map_or(ECS, |c| c.type_.as_str())
}

/// Whether UpdateService takes `field` (the spec's name for it) for a service with this
/// controller. ECS API Reference, UpdateService: "For services using the blue/green
/// (CODE_DEPLOY) deployment controller, only the desired count, deployment
/// configuration, health check grace period, task placement constraints and
/// strategies, enable ECS managed tags option, and propagate tags can be updated using
/// this API"; "For services using an external deployment controller, you can update
/// only the desired count, task placement constraints and strategies, health check
/// grace period, enable ECS managed tags option, and propagate tags option". The move
/// to another controller (deploymentController) is taken from each.
pub fn update_accepts(controller: &str, field: &str) -> bool {
    const BOTH: &[&str] = &[
        "desiredCount",
        "healthCheckGracePeriodSeconds",
        "placementConstraints",
        "placementStrategy",
        "enableECSManagedTags",
        "propagateTags",
        "deploymentController",
    ];
    match controller {
        CODE_DEPLOY => BOTH.contains(&field) || field == "deploymentConfiguration",
        EXTERNAL => BOTH.contains(&field),
        _ => true,
    }
}

/// Whether another deployer runs this service's rollouts.
pub fn runs_rollouts(service: &EcsService) -> bool {
    controller(&service.settings) != ECS
}

/// What status shows of the deployer, while there is one.
pub fn status(
    service: &EcsService,
    desired_task_definition: &str,
    withheld: &[&str],
) -> Option<DeployerStatus> {
    runs_rollouts(service).then(|| DeployerStatus {
        controller: controller(&service.settings).to_string(),
        task_definition: desired_task_definition.to_string(),
        withheld: withheld.iter().map(|w| w.to_string()).collect(),
        task_sets: service
            .task_sets
            .iter()
            .take(10)
            .map(|t| TaskSetStatus {
                id: t.id.clone(),
                status: t.status.to_string(),
                task_definition: t.task_definition.clone(),
                computed_desired_count: t.computed_desired_count,
                running_count: t.running_count,
                pending_count: t.pending_count,
                stability_status: t.stability_status.to_string(),
            })
            .collect(),
    })
}

/// The settings CreateService takes for an EXTERNAL service: those a task set does not
/// carry. ECS Developer Guide, "Deploy Amazon ECS services using a third-party
/// controller": "The only required parameter is the service name ... All other service
/// parameters are specified when creating a task set within the service."
pub fn service_level(settings: &ServiceSettings) -> ServiceSettings {
    ServiceSettings {
        launch_type: None,
        capacity_provider_strategy: Vec::new(),
        platform_version: None,
        network_configuration: None,
        load_balancers: Vec::new(),
        service_registries: Vec::new(),
        ..settings.clone()
    }
}

/// Whether ECS lets the service leave its controller now. ECS Developer Guide,
/// "Troubleshooting Amazon ECS deployment strategy updates": "Updating the deployment
/// controller is not supported when there are multiple tasksets in the service" and
/// "Updating the deployment controller requires a primary taskset in the service".
pub fn may_change_controller(service: &EcsService) -> bool {
    !runs_rollouts(service)
        || matches!(service.task_sets.as_slice(), [only] if only.status == TaskSetState::Primary)
}
