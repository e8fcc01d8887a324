"""MANAGED_INSTANCES as a task definition compatibility and as capacity.

ECS API Reference, Compatibility and LaunchType: both gained
``MANAGED_INSTANCES`` (Amazon ECS Managed Instances).  moto 5.2.5 reports a
task definition that requires it as compatible with EC2 and FARGATE only, and
runs tasks of a strategy naming a non-Fargate provider only on registered
container instances.  The emulator:

- refuses ``launchType: MANAGED_INSTANCES`` in CreateService and RunTask, as
  both references say: "If you want to use Amazon ECS Managed Instances, you
  must use the capacityProviderStrategy request parameter and omit the
  launchType request parameter.";
- runs the tasks of a ``capacityProviderStrategy`` naming a Managed Instances
  provider on that provider: it must be ACTIVE and belong to the cluster
  ("Only capacity providers in an ACTIVE state can be used in a cluster",
  CapacityProvider.status; "it becomes available only within the specified
  cluster", CreateCapacityProvider.cluster), else the call is refused as ECS
  refuses a task with nowhere to run ("No Container Instances were found in
  your cluster.").  ECS launches and retires those instances itself, so no
  container instance is modelled: the task reports launchType
  MANAGED_INSTANCES and the provider as capacityProviderName
  (task_registry.adopt);
- lists MANAGED_INSTANCES in a revision's ``compatibilities`` when its
  ``requiresCompatibilities`` asks for it.
"""

from __future__ import annotations

from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from .capacity_providers import advance
from .state import state_of, wrap

MANAGED_INSTANCES = "MANAGED_INSTANCES"
NO_CAPACITY = "No Container Instances were found in your cluster."
USE_A_STRATEGY = (
    "If you want to use Amazon ECS Managed Instances, you must use the capacityProviderStrategy "
    "request parameter and omit the launchType request parameter."
)


def _managed_provider(backend, cluster_name: str, strategy) -> str | None:
    """The Managed Instances provider a strategy runs its tasks on, or None."""
    named = strategy[0].get("capacityProvider") if strategy else None
    provider = backend.capacity_providers.get(named) if named else None
    if getattr(provider, "type", None) != MANAGED_INSTANCES:
        return None
    advance(backend, state_of(backend).now())
    if provider.status != "ACTIVE" or provider.cluster != cluster_name:
        raise InvalidParameterException(NO_CAPACITY)
    return provider.name


def _run_task(orig):
    def run_task(self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type, *rest):
        if launch_type == MANAGED_INSTANCES:
            raise InvalidParameterException(USE_A_STRATEGY)
        network, group, platform_version, strategy = (list(rest) + [None] * 4)[:4]
        cluster = self._get_cluster(cluster_str)
        provider = _managed_provider(self, cluster.name, strategy)
        if provider is None:
            return orig(self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type, *rest)
        # moto's container-instance-free path is its Fargate one.
        tasks = orig(
            self, cluster_str, task_definition_str, count, overrides, started_by, tags,
            "FARGATE", network, group, platform_version, None,
        )
        for task in tasks:
            task.launch_type = MANAGED_INSTANCES
            task.capacity_provider_name = provider
        return tasks

    return run_task


def _create_service(orig):
    def create_service(self, cluster_str, service_name, desired_count, *rest, **kwargs):
        positional_launch_type = rest[5] if len(rest) > 5 else None
        if MANAGED_INSTANCES in (positional_launch_type, kwargs.get("launch_type")):
            raise InvalidParameterException(USE_A_STRATEGY)
        return orig(self, cluster_str, service_name, desired_count, *rest, **kwargs)

    return create_service


def _register_task_definition(orig):
    def register_task_definition(self):
        result = orig(self)
        revision = result.result["taskDefinition"]
        required = revision.requires_compatibilities or []
        if MANAGED_INSTANCES in required and MANAGED_INSTANCES not in revision.compatibilities:
            revision.compatibilities = [*revision.compatibilities, MANAGED_INSTANCES]
        return result

    return register_task_definition


def install() -> None:
    wrap(EC2ContainerServiceBackend, "run_task", _run_task)
    wrap(EC2ContainerServiceBackend, "create_service", _create_service)
    wrap(EC2ContainerServiceResponse, "register_task_definition", _register_task_definition)
