//! What ECS refuses, and does, for services whose deployment controller is CODE_DEPLOY
//! or EXTERNAL. Written from the AWS documentation on its own (not from the operator's
//! rules in `service::deployer`), so an operator that sends what ECS refuses fails here.

use crate::aws::{
    AwsError, CreateService, EcsService, EcsTaskSet, ErrorKind, StabilityStatus, TaskSetState,
    UpdateService,
};

const CODE_DEPLOY: &str = "CODE_DEPLOY";
const EXTERNAL: &str = "EXTERNAL";

fn refused(action: &'static str, message: impl Into<String>) -> AwsError {
    AwsError::new(
        ErrorKind::InvalidInput,
        action,
        "InvalidParameterException",
        message,
    )
}

fn controller_of(settings: &crate::api::service::ServiceSettings) -> &str {
    settings
        .deployment_controller
        .as_ref()
        .map_or("ECS", |c| c.type_.as_str())
}

/// CreateService for an EXTERNAL service takes only service-level parameters (ECS
/// Developer Guide, "Deploy Amazon ECS services using a third-party controller"); ECS
/// answers the others as below (messages as users reported them).
pub fn check_create(request: &CreateService) -> Result<(), AwsError> {
    const ACTION: &str = "ecs:CreateService";
    if controller_of(&request.settings) != EXTERNAL {
        return Ok(());
    }
    let s = &request.settings;
    if request.task_definition.is_some() {
        return Err(refused(ACTION, "TaskDefinition must be blank."));
    }
    if s.network_configuration.is_some() {
        return Err(refused(ACTION, "NetworkConfiguration must be null."));
    }
    if !s.load_balancers.is_empty() {
        return Err(refused(ACTION, "LoadBalancers must be empty or null."));
    }
    if s.launch_type.is_some() || !s.capacity_provider_strategy.is_empty() {
        return Err(refused(ACTION, "LaunchType must be null."));
    }
    Ok(())
}

/// "When an Amazon ECS service using the blue/green deployment type is initially
/// created, an Amazon ECS task set is created" (ECS Developer Guide, CodeDeploy
/// blue/green deployments): the PRIMARY one, which CodeDeploy later replaces. An
/// EXTERNAL service has none until its deployer calls CreateTaskSet.
pub fn initial_task_sets(request: &CreateService, desired: i32, number: usize) -> Vec<EcsTaskSet> {
    match (controller_of(&request.settings), &request.task_definition) {
        (CODE_DEPLOY, Some(td)) => vec![steady_task_set(&format!("ecs-svc/{number}"), td, desired)],
        _ => Vec::new(),
    }
}

/// A task set whose tasks all run (the fake starts tasks at once).
pub fn steady_task_set(id: &str, task_definition: &str, desired: i32) -> EcsTaskSet {
    EcsTaskSet {
        id: id.to_string(),
        status: TaskSetState::Primary,
        task_definition: task_definition.to_string(),
        computed_desired_count: desired,
        running_count: desired,
        pending_count: 0,
        stability_status: StabilityStatus::SteadyState,
    }
}

/// ECS API Reference, UpdateService: for CODE_DEPLOY only the desired count, deployment
/// configuration, health check grace period, placement constraints and strategies,
/// enableECSManagedTags and propagateTags can be updated; for EXTERNAL the same less
/// the deployment configuration. A call that moves the service to ECS is judged under
/// ECS. Leaving CODE_DEPLOY or EXTERNAL needs exactly one task set, the primary one
/// (ECS Developer Guide, "Troubleshooting Amazon ECS deployment strategy updates").
pub fn check_update(service: &EcsService, request: &UpdateService) -> Result<(), AwsError> {
    const ACTION: &str = "ecs:UpdateService";
    let current = controller_of(&service.settings);
    let target = request
        .changes
        .deployment_controller
        .as_ref()
        .map_or(current, |c| c.type_.as_str());
    if target != current && current != "ECS" {
        match service.task_sets.as_slice() {
            [only] if only.status == TaskSetState::Primary => {}
            [_] | [] => {
                return Err(refused(
                    ACTION,
                    "Updating the deployment controller requires a primary taskset in the \
                     service. Please ensure your service has a primary taskset and try again.",
                ));
            }
            _ => {
                return Err(refused(
                    ACTION,
                    "Updating the deployment controller is not supported when there are \
                     multiple tasksets in the service. Please ensure your service has only one \
                     taskset and try again.",
                ));
            }
        }
    }
    if target == "ECS" {
        return Ok(());
    }
    let c = &request.changes;
    let what = if request.task_definition.is_some() {
        "task definition"
    } else if c.network_configuration.is_some() {
        "network parameters"
    } else if c.load_balancers.is_some() {
        "load balancers"
    } else if c.platform_version.is_some()
        || c.service_registries.is_some()
        || c.capacity_provider_strategy.is_some()
        || c.service_connect_configuration.is_some()
        || c.enable_execute_command.is_some()
        || c.availability_zone_rebalancing.is_some()
        || request.force_new_deployment
        || (target == EXTERNAL && c.deployment_configuration.is_some())
    {
        "these parameters"
    } else {
        return Ok(());
    };
    let deployer = if target == CODE_DEPLOY {
        "Use AWS CodeDeploy to trigger a new deployment."
    } else {
        "Create a new task set."
    };
    Err(refused(
        ACTION,
        format!(
            "Unable to update {what} on services with a {target} deployment controller. {deployer}"
        ),
    ))
}
