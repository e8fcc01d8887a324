"""Services whose rollouts CODE_DEPLOY or an external deployer runs: what ECS
refuses in their CreateService and UpdateService calls, the task set a
CODE_DEPLOY service starts with, and the move to the ECS controller. moto
5.2.5 stores task sets but checks none of this.

The refusal messages are ECS's own where users have quoted them (boto3 #1936,
terraform-provider-aws #8005 and #30347, aws-cdk #26335); where none was found
the message follows the same pattern and says so in a comment.
"""

from __future__ import annotations

from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.responses import EC2ContainerServiceResponse

from .deployments import touch_service
from .service_model import start_deployment
from .services import _service_named, manage
from .state import state_of, wrap

ECS, CODE_DEPLOY, EXTERNAL = "ECS", "CODE_DEPLOY", "EXTERNAL"

# ECS API Reference, UpdateService: "For services using the blue/green
# (CODE_DEPLOY) deployment controller, only the desired count, deployment
# configuration, health check grace period, task placement constraints and
# strategies, enable ECS managed tags option, and propagate tags can be updated
# using this API"; "For services using an external deployment controller, you
# can update only the desired count, task placement constraints and strategies,
# health check grace period, enable ECS managed tags option, and propagate tags
# option". cluster and service name the service; deploymentController is the
# documented move to another controller (ECS Developer Guide, "Update Amazon ECS
# service parameters", Deployment controller).
_SERVICE_LEVEL = {
    "cluster", "service", "desiredCount", "healthCheckGracePeriodSeconds", "placementConstraints",
    "placementStrategy", "enableECSManagedTags", "propagateTags", "deploymentController",
}
_UPDATABLE = {CODE_DEPLOY: _SERVICE_LEVEL | {"deploymentConfiguration"}, EXTERNAL: _SERVICE_LEVEL}
_WHAT = {"taskDefinition": "task definition", "networkConfiguration": "network parameters",
         "loadBalancers": "load balancers"}
_HOW = {CODE_DEPLOY: "Use AWS CodeDeploy to trigger a new deployment.",
        EXTERNAL: "Create a new task set."}

# ECS Developer Guide, "Deploy Amazon ECS services using a third-party
# controller": CreateService takes only the parameters "that aren't controlled
# at the task set level"; these are the task set's, refused with these messages
# (LaunchType's text is inferred: no quote of it was found).
_EXTERNAL_CREATE_REFUSALS = (
    ("taskDefinition", "TaskDefinition must be blank."),
    ("networkConfiguration", "NetworkConfiguration must be null."),
    ("loadBalancers", "LoadBalancers must be empty or null."),
    ("launchType", "LaunchType must be null."),
    ("capacityProviderStrategy", "CapacityProviderStrategy must be null."),
    ("platformVersion", "PlatformVersion must be null."),
    ("serviceRegistries", "ServiceRegistries must be empty or null."),
)


def controller_of(svc) -> str:
    return (getattr(svc, "deployment_controller", None) or {}).get("type", ECS)


def _create_service(orig):
    def create_service(self):
        controller = (self._get_param("deploymentController") or {}).get("type", ECS)
        if controller == EXTERNAL:
            for param, message in _EXTERNAL_CREATE_REFUSALS:
                if self._get_param(param):
                    raise InvalidParameterException(message)
        result = orig(self)
        svc = result.result["service"]
        if controller == CODE_DEPLOY and not svc.task_sets:
            _initial_task_set(self.ecs_backend, svc)
        return result

    return create_service


def _initial_task_set(backend, svc) -> None:
    """ECS Developer Guide, CodeDeploy blue/green deployments: "When an Amazon
    ECS service using the blue/green deployment type is initially created, an
    Amazon ECS task set is created"; CodeDeploy later replaces the task set
    whose status is PRIMARY. The emulator runs no tasks for it and reports its
    tasks as running (it models the ECS controller's scheduling only)."""
    task_set = backend.create_task_set(
        svc.arn,
        svc.cluster_name,
        svc.task_definition,
        network_configuration=svc.network_configuration or None,
        load_balancers=svc.load_balancers,
        launch_type=svc.launch_type or "FARGATE",
        platform_version=svc.platform_version,
    )
    task_set.status = "PRIMARY"
    _steady(task_set, svc.desired_count)


def _steady(task_set, desired: int) -> None:
    # ECS API Reference, TaskSet.computedDesiredCount: "calculated by multiplying
    # the service's desiredCount by the task set's scale percentage".
    scale = (task_set.scale or {}).get("value", 100.0)
    task_set.computed_desired_count = int(desired * scale / 100)
    task_set.running_count = task_set.computed_desired_count
    task_set.pending_count = 0
    task_set.stabilityStatus = "STEADY_STATE"


def _check_controller_move(svc, current: str, target: str) -> None:
    if target == current:
        return
    if current != ECS:
        # ECS Developer Guide, "Troubleshooting Amazon ECS deployment strategy updates".
        if len(svc.task_sets) > 1:
            raise InvalidParameterException(
                "Updating the deployment controller is not supported when there are multiple tasksets in the "
                "service. Please ensure your service has only one taskset and try again."
            )
        if not svc.task_sets or svc.task_sets[0].status != "PRIMARY":
            raise InvalidParameterException(
                "Updating the deployment controller requires a primary taskset in the service. Please ensure "
                "your service has a primary taskset and try again."
            )
    if target == CODE_DEPLOY or (current == ECS and target == EXTERNAL):
        # The documented transitions are CODE_DEPLOY to ECS or EXTERNAL, ECS to
        # EXTERNAL and EXTERNAL to ECS (ECS Developer Guide, "Update Amazon ECS
        # service parameters"); none leads to CODE_DEPLOY, and the emulator does
        # not model handing an ECS-scheduled service to an external deployer.
        raise InvalidParameterException(
            f"ecs-emulator does not model moving a service from {current} to {target}."
        )


def _update_service(orig):
    def update_service(self):
        backend = self.ecs_backend
        svc, key = _service_named(self)
        current = controller_of(svc)
        target = (self._get_param("deploymentController") or {}).get("type", current)
        _check_controller_move(svc, current, target)
        if target != ECS:
            # A call that moves the service to ECS is judged under ECS: the
            # documented migration sends load balancers and a new task
            # definition with the move.
            for param, value in self._get_params().items():
                if param in _UPDATABLE[target] or value in (None, False, [], {}):
                    continue
                what = _WHAT.get(param, param)
                raise InvalidParameterException(
                    f"Unable to update {what} on services with a {target} deployment controller. {_HOW[target]}"
                )
        if current == ECS or target != ECS:
            result = orig(self)
            for task_set in svc.task_sets:
                _steady(task_set, svc.desired_count)
            return result
        return _move_to_ecs(self, orig, svc, key)

    return update_service


def _move_to_ecs(response, orig, svc, key):
    """The ECS controller takes the service over and starts a deployment: "The
    Amazon ECS deployment controller creates a new service revision with new
    tasks" (AWS Containers blog, "Migrating from AWS CodeDeploy to Amazon ECS
    for blue/green deployments"), of the primary task set's task definition
    unless the call names another. The task set goes with the move: the task set
    APIs answer 400 once a service uses the ECS controller (ECS Developer Guide,
    "Update Amazon ECS service parameters")."""
    backend = response.ecs_backend
    es = state_of(backend)
    now = es.now()
    svc.deployment_controller = {"type": ECS}
    svc.task_definition = svc.task_sets[0].task_definition
    svc.task_sets = []
    st = manage(backend, svc.cluster_name, key, svc, now)
    result = orig(response)  # the services module applies the rest of the call
    if not st.deployments:
        start_deployment(backend, st, now, svc.task_definition)
    touch_service(backend, key, now)
    return result


def install() -> None:
    wrap(EC2ContainerServiceResponse, "create_service", _create_service)
    wrap(EC2ContainerServiceResponse, "update_service", _update_service)
