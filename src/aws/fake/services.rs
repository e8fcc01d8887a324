//! Services in the fake ECS, with deployments that progress when a test advances time.

use super::failures::{self, TaskFailure};
use super::service_deployments;
use super::{ACCOUNT, FakeEcs, REGION, State};
use super::{clusters, controllers};
use crate::api::service::ServiceSettings;
use crate::aws::{
    AwsError, CreateService, EcsDeployment, EcsService, EcsServiceEvent, EcsTask, ErrorKind,
    ServiceChanges, UpdateService,
};
use crate::aws::{ClusterState, DeploymentState, RolloutState, ServiceState};
use crate::sync::Lock;
use k8s_openapi::jiff::Timestamp;

const CREATE: &str = "ecs:CreateService";

impl FakeEcs {
    /// One step of simulated time: rollouts in progress complete, or fail as their task
    /// definition asks (see `failures`), leaving their stopped tasks, unless a staged
    /// service deployment still holds them; DRAINING services become INACTIVE.
    pub fn advance(&self) {
        let mut state = self.state.locked();
        let mut event_id = state.services.len() * 1000 + state.calls.len();
        let mut stopped = Vec::new();
        for index in 0..state.services.len() {
            event_id += 1;
            let failure = state.services[index]
                .deployments
                .iter()
                .find(|d| d.status == DeploymentState::Primary)
                .and_then(|d| failures::of(&state, &d.task_definition));
            let service = &mut state.services[index];
            if service.status == ServiceState::Draining {
                service.status = ServiceState::Inactive;
                continue;
            }
            if service_deployments::holds(&state, &state.services[index]) {
                continue;
            }
            let service = &mut state.services[index];
            stopped.extend(progress(service, failure.as_ref(), event_id));
        }
        for task in stopped {
            super::tasks::push(&mut state, task);
        }
        service_deployments::advance(&mut state);
    }

    pub fn service(&self, cluster: &str, name: &str) -> Option<EcsService> {
        let state = self.state.locked();
        find(&state, cluster, name).cloned()
    }

    /// Services with this name in any state, including INACTIVE ones.
    pub fn service_count(&self, name: &str) -> usize {
        let state = self.state.locked();
        state.services.iter().filter(|s| s.name == name).count()
    }

    /// Plays a finished CodeDeploy deployment (or an external deployer's new primary task
    /// set): one steady task set of `task_definition`, which the service now reports.
    pub fn deploy_task_set(&self, cluster: &str, name: &str, task_definition: &str) {
        let mut state = self.state.locked();
        let service = find_mut(&mut state, cluster, name).expect("a service to deploy to");
        let desired = service.desired_count;
        service.task_sets = vec![controllers::steady_task_set(
            "ecs-svc/deployed",
            task_definition,
            desired,
        )];
        service.task_definition = task_definition.to_string();
        service.running_count = desired;
    }

    /// Replaces a service's state as a test sets it up.
    pub fn put_service(&self, service: EcsService) {
        let mut state = self.state.locked();
        let kept = find_mut(&mut state, &service.cluster_arn, &service.name)
            .expect("the service to replace");
        *kept = service;
    }

    /// Puts a service in place as if someone else had created it.
    pub fn insert_service(&self, request: &CreateService) -> EcsService {
        create(&mut self.state.locked(), request).expect("valid service")
    }
}

/// A deployment runs its tasks in one step. One that fails stops as many tasks as the
/// circuit breaker's default threshold (half the desired count, at least 3, at most
/// 200); the circuit breaker, when it rolls back, starts a new PRIMARY deployment of the
/// last completed task definition (ECS Developer Guide, "How the Amazon ECS deployment
/// circuit breaker detects failures"). Returns the tasks that stopped.
fn progress(
    service: &mut EcsService,
    failure: Option<&TaskFailure>,
    event_id: usize,
) -> Vec<EcsTask> {
    let Some(primary) = service
        .deployments
        .iter_mut()
        .find(|d| d.status == DeploymentState::Primary)
    else {
        return Vec::new();
    };
    if primary.rollout_state != Some(RolloutState::InProgress) {
        primary.running_count = primary.desired_count;
        service.running_count = primary.desired_count;
        return Vec::new();
    }
    if let Some(failure) = failure {
        primary.rollout_state = Some(RolloutState::Failed);
        primary.rollout_state_reason =
            Some("ECS deployment circuit breaker: tasks failed to start.".to_string());
        primary.failed_tasks = ((primary.desired_count + 1) / 2).clamp(3, 200);
        let template = EcsTask {
            cluster_arn: service.cluster_arn.clone(),
            task_definition: primary.task_definition.clone(),
            group: Some(format!("service:{}", service.name)),
            started_by: Some(primary.id.clone()),
            ..Default::default()
        };
        let stopped = (0..primary.failed_tasks)
            .map(|_| failures::stopped_task(failure, template.clone()))
            .collect();
        let rollback = service
            .settings
            .deployment_configuration
            .as_ref()
            .and_then(|d| d.deployment_circuit_breaker.as_ref())
            .is_some_and(|b| b.enable && b.rollback);
        let previous = service
            .deployments
            .iter()
            .find(|d| d.status == DeploymentState::Active)
            .map(|d| d.task_definition.clone());
        if let (true, Some(previous)) = (rollback, previous) {
            let desired = service.desired_count;
            service
                .deployments
                .retain(|d| d.status == DeploymentState::Primary);
            service.deployments[0].status = DeploymentState::Active;
            let id = format!("ecs-svc/rollback-{event_id}");
            service
                .deployments
                .insert(0, deployment(&id, &previous, desired));
            service.task_definition = previous;
        }
        return stopped;
    }
    primary.rollout_state = Some(RolloutState::Completed);
    primary.rollout_state_reason = Some("ECS deployment completed.".to_string());
    primary.updated_at = Some(Timestamp::now());
    primary.running_count = primary.desired_count;
    primary.pending_count = 0;
    service.running_count = primary.desired_count;
    service.pending_count = 0;
    service
        .deployments
        .retain(|d| d.status == DeploymentState::Primary);
    service.events.insert(
        0,
        EcsServiceEvent {
            id: format!("event-{event_id}"),
            created_at: None,
            message: format!("(service {}) has reached a steady state.", service.name),
        },
    );
    Vec::new()
}

fn deployment(id: &str, task_definition: &str, desired: i32) -> EcsDeployment {
    EcsDeployment {
        id: id.to_string(),
        status: DeploymentState::Primary,
        rollout_state: Some(RolloutState::InProgress),
        rollout_state_reason: Some("ECS deployment in progress.".to_string()),
        task_definition: task_definition.to_string(),
        desired_count: desired,
        created_at: Some(Timestamp::now()),
        updated_at: Some(Timestamp::now()),
        ..Default::default()
    }
}

fn cluster_name(cluster: &str) -> &str {
    cluster.rsplit('/').next().unwrap_or(cluster)
}

fn matches(service: &EcsService, cluster: &str, name: &str) -> bool {
    service
        .cluster_arn
        .ends_with(&format!("/{}", cluster_name(cluster)))
        && (service.name == name || service.arn == name)
}

/// The newest service of that name: ECS keeps INACTIVE ones describable for a while.
pub fn find<'a>(state: &'a State, cluster: &str, name: &str) -> Option<&'a EcsService> {
    state
        .services
        .iter()
        .rev()
        .find(|s| matches(s, cluster, name))
}

/// The newest live service of that name, to change behind the operator's back.
pub fn find_mut<'a>(state: &'a mut State, cluster: &str, name: &str) -> Option<&'a mut EcsService> {
    find_live(state, cluster, name, "test").ok()
}

fn find_live<'a>(
    state: &'a mut State,
    cluster: &str,
    name: &str,
    action: &'static str,
) -> Result<&'a mut EcsService, AwsError> {
    state
        .services
        .iter_mut()
        .rev()
        .find(|s| matches(s, cluster, name) && s.status != ServiceState::Inactive)
        .ok_or_else(|| not_found(action))
}

fn not_found(action: &'static str) -> AwsError {
    AwsError::new(
        ErrorKind::NotFound,
        action,
        "ServiceNotFoundException",
        "Service not found.",
    )
}

/// A service that is not INACTIVE, by ARN (TagResource and UntagResource).
pub fn live_by_arn<'a>(
    state: &'a mut State,
    arn: &str,
    action: &'static str,
) -> Result<&'a mut EcsService, AwsError> {
    state
        .services
        .iter_mut()
        .rev()
        .find(|s| s.arn == arn && s.status != ServiceState::Inactive)
        .ok_or_else(|| not_found(action))
}

/// CreateService, following the ECS API Reference: a repeated client token returns the
/// service it created; a live service of the same name is refused.
pub fn create(state: &mut State, request: &CreateService) -> Result<EcsService, AwsError> {
    if let Some(arn) = state.client_tokens.get(&request.client_token) {
        let arn = arn.clone();
        return Ok(state
            .services
            .iter()
            .find(|s| s.arn == arn)
            .cloned()
            .expect("a token names a service"));
    }
    let cluster = cluster_name(&request.cluster);
    let cluster_arn = match state.clusters.get(cluster) {
        Some(c) if c.status == ClusterState::Active => c.arn.clone(),
        _ => {
            return Err(AwsError::new(
                ErrorKind::NotFound,
                CREATE,
                "ClusterNotFoundException",
                "Cluster not found.",
            ));
        }
    };
    if let Some(existing) = find(state, cluster, &request.name) {
        let message = match existing.status.as_str() {
            "ACTIVE" => Some("Creation of service was not idempotent."),
            "DRAINING" => Some("Unable to Start a service that is still Draining."),
            _ => None,
        };
        if let Some(message) = message {
            return Err(AwsError::new(
                ErrorKind::InvalidInput,
                CREATE,
                "InvalidParameterException",
                message,
            ));
        }
    }
    controllers::check_create(request)?;
    clusters::check_strategy(
        state,
        CREATE,
        cluster,
        &request.settings.capacity_provider_strategy,
    )?;
    let desired = request.settings.desired_count.unwrap_or(1);
    let number = state.services.len() + 1;
    let task_definition = request.task_definition.clone().unwrap_or_default();
    let task_sets = controllers::initial_task_sets(request, desired, number);
    let ecs_controlled = request
        .settings
        .deployment_controller
        .as_ref()
        .is_none_or(|c| c.type_ == "ECS");
    let service = EcsService {
        arn: format!(
            "arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{}",
            request.name
        ),
        name: request.name.clone(),
        cluster_arn,
        status: ServiceState::Active,
        desired_count: desired,
        running_count: task_sets.iter().map(|t| t.running_count).sum(),
        settings: request.settings.clone(),
        deployments: if ecs_controlled {
            vec![deployment(
                &format!("ecs-svc/{number}"),
                &task_definition,
                desired,
            )]
        } else {
            Vec::new()
        },
        task_definition,
        task_sets,
        tags: request.tags.clone(),
        ..Default::default()
    };
    state
        .client_tokens
        .insert(request.client_token.clone(), service.arn.clone());
    state.services.push(service.clone());
    if ecs_controlled {
        service_deployments::started(state, state.services.len() - 1, None);
    }
    Ok(state
        .services
        .last()
        .cloned()
        .expect("the service just created"))
}

/// UpdateService: a new task definition, new settings or forceNewDeployment start a
/// deployment; a desiredCount change alone does not.
pub fn update(state: &mut State, request: &UpdateService) -> Result<EcsService, AwsError> {
    if let Some(strategy) = &request.changes.capacity_provider_strategy {
        clusters::check_strategy(state, "ecs:UpdateService", &request.cluster, strategy)?;
    }
    let number = state.services.len() + state.calls.len();
    let service = find_live(
        state,
        &request.cluster,
        &request.service,
        "ecs:UpdateService",
    )?;
    if service.status == ServiceState::Draining {
        return Err(AwsError::new(
            ErrorKind::InvalidInput,
            "ecs:UpdateService",
            "ServiceNotActiveException",
            "Service was not ACTIVE.",
        ));
    }
    controllers::check_update(service, request)?;
    let was_ecs = controlled_by_ecs(service);
    if let Some(count) = request.desired_count {
        service.desired_count = count;
        service.settings.desired_count = Some(count);
        if let Some(primary) = service
            .deployments
            .iter_mut()
            .find(|d| d.status == DeploymentState::Primary)
        {
            primary.desired_count = count;
        }
    }
    let changed_settings = !request.changes.is_empty();
    apply_changes(&mut service.settings, &request.changes);
    let moved_to_ecs = !was_ecs && controlled_by_ecs(service);
    let new_deployment = request.force_new_deployment
        || changed_settings
        || moved_to_ecs
        || request
            .task_definition
            .as_ref()
            .is_some_and(|t| *t != service.task_definition);
    if moved_to_ecs {
        // The ECS controller starts a deployment of what the primary task set ran
        // (unless the call names a task definition); the task set goes with the move.
        if let Some(primary) = service.task_sets.first() {
            service.task_definition = primary.task_definition.clone();
        }
        service.task_sets.clear();
    }
    let source_task_definition = service.task_definition.clone();
    if let Some(td) = &request.task_definition {
        service.task_definition = td.clone();
    }
    let starts = new_deployment && controlled_by_ecs(service);
    if starts {
        for d in &mut service.deployments {
            d.status = DeploymentState::Active;
        }
        let desired = service.desired_count;
        let td = service.task_definition.clone();
        service
            .deployments
            .insert(0, deployment(&format!("ecs-svc/{number}"), &td, desired));
    }
    let arn = service.arn.clone();
    let index = state
        .services
        .iter()
        .position(|s| s.arn == arn)
        .expect("the service just updated");
    if starts {
        service_deployments::started(state, index, Some(source_task_definition));
    }
    Ok(state.services[index].clone())
}

fn controlled_by_ecs(service: &EcsService) -> bool {
    service
        .settings
        .deployment_controller
        .as_ref()
        .is_none_or(|c| c.type_ == "ECS")
}

/// UpdateService changes what it carries and keeps the rest.
fn apply_changes(settings: &mut ServiceSettings, changes: &ServiceChanges) {
    fn set<T: Clone>(field: &mut T, change: &Option<T>) {
        if let Some(value) = change {
            *field = value.clone();
        }
    }
    fn set_option<T: Clone>(field: &mut Option<T>, change: &Option<T>) {
        if change.is_some() {
            field.clone_from(change);
        }
    }
    set(
        &mut settings.capacity_provider_strategy,
        &changes.capacity_provider_strategy,
    );
    set_option(&mut settings.platform_version, &changes.platform_version);
    set_option(
        &mut settings.network_configuration,
        &changes.network_configuration,
    );
    set(&mut settings.load_balancers, &changes.load_balancers);
    set(
        &mut settings.service_registries,
        &changes.service_registries,
    );
    set_option(
        &mut settings.service_connect_configuration,
        &changes.service_connect_configuration,
    );
    set(
        &mut settings.placement_constraints,
        &changes.placement_constraints,
    );
    set(
        &mut settings.placement_strategy,
        &changes.placement_strategy,
    );
    set_option(
        &mut settings.deployment_configuration,
        &changes.deployment_configuration,
    );
    set_option(
        &mut settings.health_check_grace_period_seconds,
        &changes.health_check_grace_period_seconds,
    );
    set_option(
        &mut settings.enable_execute_command,
        &changes.enable_execute_command,
    );
    set_option(
        &mut settings.enable_ecs_managed_tags,
        &changes.enable_ecs_managed_tags,
    );
    set_option(&mut settings.propagate_tags, &changes.propagate_tags);
    set_option(
        &mut settings.deployment_controller,
        &changes.deployment_controller,
    );
    set_option(
        &mut settings.availability_zone_rebalancing,
        &changes.availability_zone_rebalancing,
    );
}

/// DeleteService refuses a REPLICA service still scaled above 0 (ECS API Reference,
/// DeleteService), then leaves it DRAINING until its tasks are gone.
pub fn delete(state: &mut State, cluster: &str, name: &str) -> Result<EcsService, AwsError> {
    let service = find_live(state, cluster, name, "ecs:DeleteService")?;
    let daemon = service.settings.scheduling_strategy.as_deref() == Some("DAEMON");
    if service.desired_count > 0 && !daemon {
        return Err(AwsError::new(
            ErrorKind::InvalidInput,
            "ecs:DeleteService",
            "InvalidParameterException",
            "The service cannot be stopped while it is scaled above 0.",
        ));
    }
    service.status = ServiceState::Draining;
    let deleted = service.clone();
    // The service's scalable target goes with it.
    let resource_id = crate::aws::scaling::resource_id(&deleted.cluster_arn, &deleted.name);
    state.scaling.drop_target(&resource_id);
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use crate::aws::fake::FakeEcs;
    use crate::aws::{
        CreateService, EcsApi, ErrorKind, RolloutState, ServiceState, Tags, TaskFilter, TaskState,
        UpdateService,
    };

    fn request(token: &str) -> CreateService {
        CreateService {
            cluster: "main".into(),
            name: "web".into(),
            task_definition: Some("arn:td/web:1".into()),
            client_token: token.into(),
            ..Default::default()
        }
    }

    fn fake_with_cluster() -> FakeEcs {
        let fake = FakeEcs::default();
        fake.insert_cluster("main", Tags::new());
        fake
    }

    #[tokio::test]
    async fn a_repeated_client_token_returns_the_same_service() {
        let fake = fake_with_cluster();
        let first = fake.create_service(&request("t1")).await.unwrap();
        let again = fake.create_service(&request("t1")).await.unwrap();
        assert_eq!(first.arn, again.arn);
        assert_eq!(fake.service_count("web"), 1);
        let other = fake.create_service(&request("t2")).await.unwrap_err();
        assert_eq!(other.kind, ErrorKind::InvalidInput);
    }

    #[tokio::test]
    async fn rollouts_complete_when_time_advances_and_scaling_starts_none() {
        let fake = fake_with_cluster();
        fake.create_service(&request("t1")).await.unwrap();
        let primary = |f: &FakeEcs| f.service("main", "web").unwrap().deployments[0].clone();
        assert_eq!(primary(&fake).rollout_state, Some(RolloutState::InProgress));
        fake.advance();
        assert_eq!(primary(&fake).rollout_state, Some(RolloutState::Completed));
        assert_eq!(fake.service("main", "web").unwrap().running_count, 1);

        let scale = UpdateService {
            cluster: "main".into(),
            service: "web".into(),
            desired_count: Some(3),
            ..Default::default()
        };
        let scaled = fake.update_service(&scale).await.unwrap();
        assert_eq!(scaled.deployments.len(), 1, "scaling is not a deployment");
    }

    /// A revision whose one container has `image` (and `environment`).
    fn revision(fake: &FakeEcs, image: &str, environment: serde_json::Value) -> String {
        let fields = serde_json::from_value(serde_json::json!({
            "containerDefinitions": [{"name": "web", "image": image, "environment": environment}]
        }))
        .unwrap();
        fake.insert_task_definition("web", fields, Tags::new()).arn
    }

    #[tokio::test]
    async fn a_failed_rollout_with_rollback_returns_to_the_previous_revision() {
        let fake = fake_with_cluster();
        let mut create = request("t1");
        create.task_definition = Some(revision(&fake, "nginx:1.27", serde_json::json!([])));
        create.settings.deployment_configuration = serde_json::from_str(
            r#"{"deploymentCircuitBreaker": {"enable": true, "rollback": true}}"#,
        )
        .unwrap();
        fake.create_service(&create).await.unwrap();
        fake.advance();
        let failing = revision(&fake, "nginx:does-not-exist", serde_json::json!([]));
        let roll = UpdateService {
            cluster: "main".into(),
            service: "web".into(),
            task_definition: Some(failing.clone()),
            ..Default::default()
        };
        fake.update_service(&roll).await.unwrap();
        fake.advance();
        let service = fake.service("main", "web").unwrap();
        assert_eq!(Some(service.task_definition), create.task_definition);
        let failed = &service.deployments[1];
        assert_eq!(failed.rollout_state, Some(RolloutState::Failed));
        assert_eq!(failed.failed_tasks, 3, "the default threshold for one task");

        let stopped = TaskFilter {
            cluster: "main".into(),
            service_name: Some("web".into()),
            desired_status: Some(TaskState::Stopped),
            ..Default::default()
        };
        let arns = fake.list_tasks(&stopped, None).await.unwrap().arns;
        let tasks = fake.describe_tasks("main", &arns).await.unwrap();
        assert_eq!(tasks.len(), 3);
        let task = &tasks[0];
        assert_eq!(task.started_by.as_deref(), Some(failed.id.as_str()));
        assert_eq!(task.task_definition, failing);
        assert_eq!(task.stop_code.as_deref(), Some("TaskFailedToStart"));
        let reason = task.stopped_reason.as_deref().unwrap_or_default();
        assert!(
            reason.starts_with("CannotPullContainerError:")
                && reason.contains("docker.io/library/nginx:does-not-exist"),
            "{reason}"
        );
        assert_eq!(task.containers[0].exit_code, None, "it never started");
    }

    #[tokio::test]
    async fn an_essential_container_that_exits_stops_its_tasks_with_the_exit_code() {
        let fake = fake_with_cluster();
        let mut create = request("t1");
        create.task_definition = Some(revision(
            &fake,
            "busybox",
            serde_json::json!([{"name": "ECS_EMULATOR_EXIT_CODE", "value": "3"}]),
        ));
        fake.create_service(&create).await.unwrap();
        fake.advance();
        let service = fake.service("main", "web").unwrap();
        assert_eq!(
            service.deployments[0].rollout_state,
            Some(RolloutState::Failed),
            "without rollback the deployment stays FAILED"
        );
        let stopped = TaskFilter {
            cluster: "main".into(),
            desired_status: Some(TaskState::Stopped),
            ..Default::default()
        };
        let arns = fake.list_tasks(&stopped, None).await.unwrap().arns;
        let task = &fake.describe_tasks("main", &arns).await.unwrap()[0];
        assert_eq!(task.stop_code.as_deref(), Some("EssentialContainerExited"));
        assert_eq!(
            task.stopped_reason.as_deref(),
            Some("Essential container in task exited")
        );
        assert_eq!(task.containers[0].exit_code, Some(3));
    }

    #[tokio::test]
    async fn delete_needs_zero_tasks_and_drains_before_inactive() {
        let fake = fake_with_cluster();
        fake.create_service(&request("t1")).await.unwrap();
        let refused = fake.delete_service("main", "web").await.unwrap_err();
        assert_eq!(refused.kind, ErrorKind::InvalidInput);
        let zero = UpdateService {
            cluster: "main".into(),
            service: "web".into(),
            desired_count: Some(0),
            ..Default::default()
        };
        fake.update_service(&zero).await.unwrap();
        assert_eq!(
            fake.delete_service("main", "web").await.unwrap().status,
            ServiceState::Draining
        );
        let recreate = fake.create_service(&request("t2")).await.unwrap_err();
        assert!(recreate.message.contains("Draining"), "{recreate}");
        fake.advance();
        assert_eq!(
            fake.service("main", "web").unwrap().status,
            ServiceState::Inactive
        );
        fake.create_service(&request("t3")).await.unwrap();
        assert_eq!(
            fake.service("main", "web").unwrap().status,
            ServiceState::Active
        );
    }
}
