"""MANAGED_INSTANCES as a launch type and a task definition compatibility.

ECS API Reference, LaunchType and Compatibility: both gained
``MANAGED_INSTANCES`` (Amazon ECS Managed Instances).  moto 5.2.5 refuses the
launch type in CreateService and RunTask ("launch type should be one of ...")
and reports a task definition that requires it as compatible with EC2 and
FARGATE only.  The emulator:

- accepts ``launchType: MANAGED_INSTANCES`` in CreateService and RunTask, and
  a ``capacityProviderStrategy`` whose provider is a Managed Instances one;
- runs such tasks on the cluster's Managed Instances capacity: the cluster
  needs an ACTIVE Managed Instances provider ("Only capacity providers in an
  ACTIVE state can be used in a cluster", CapacityProvider.status), else the
  call is refused as ECS refuses a task with no capacity to place it on ("No
  Container Instances were found in your cluster.").  ECS launches and
  retires the instances itself, so no container instance is modelled: the
  task reports the launch type and the provider's name;
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


def _provider_for(backend, cluster_name: str, launch_type, strategy) -> str | None:
    """The Managed Instances provider the tasks run on, or None when they are
    not Managed Instances tasks."""
    named = (strategy or [{}])[0].get("capacityProvider") if strategy else None
    provider = backend.capacity_providers.get(named) if named else None
    wanted = launch_type == MANAGED_INSTANCES or getattr(provider, "type", None) == MANAGED_INSTANCES
    if not wanted:
        return None
    advance(backend, state_of(backend).now())
    if provider is not None:
        if provider.status != "ACTIVE" or provider.cluster != cluster_name:
            raise InvalidParameterException(NO_CAPACITY)
        return provider.name
    for candidate in backend.capacity_providers.values():
        if (
            getattr(candidate, "type", None) == MANAGED_INSTANCES
            and candidate.cluster == cluster_name
            and candidate.status == "ACTIVE"
        ):
            return candidate.name
    raise InvalidParameterException(NO_CAPACITY)


def _run_task(orig):
    def run_task(self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type, *rest):
        network, group, platform_version, strategy = (list(rest) + [None] * 4)[:4]
        cluster = self._get_cluster(cluster_str)
        provider = _provider_for(self, cluster.name, launch_type, strategy)
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
        positional = list(rest)
        if len(positional) > 5 and positional[5] == MANAGED_INSTANCES:
            positional[5] = "EC2"
            service = orig(self, cluster_str, service_name, desired_count, *positional, **kwargs)
            service.launch_type = MANAGED_INSTANCES
            return service
        if kwargs.get("launch_type") == MANAGED_INSTANCES:
            service = orig(self, cluster_str, service_name, desired_count, *rest, **{**kwargs, "launch_type": "EC2"})
            service.launch_type = MANAGED_INSTANCES
            return service
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
