"""The service API: CreateService, UpdateService, DeleteService and
DescribeServices, for services the emulator runs (ECS deployment
controller, REPLICA scheduling); the others stay moto's.

moto stores the service; these handlers keep what moto drops, start
deployments and hand the service to the scheduler in deployments.py.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from .deployments import advance_cluster_services, advance_service, on_task_transition, touch_service
from .service_model import DEFAULT_DEPLOYMENT_CONFIGURATION, ServiceState, deployment_configuration, start_deployment
from .state import hooks, state_of, wrap
from .task_lifecycle import life_of


class ServiceNotActiveException(ECSException):
    # ECS API Reference, UpdateService errors: ServiceNotActiveException.
    def __init__(self) -> None:
        super().__init__("ServiceNotActiveException", "Service was not ACTIVE.")


# CreateService members moto 5.2.5 drops that DescribeServices returns
# (ECS API Reference, Service); the emulator keeps them as sent.
_ECHOED_CREATE_PARAMS = (
    "capacityProviderStrategy",
    "placementConstraints",
    "placementStrategy",
    "healthCheckGracePeriodSeconds",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
    "serviceConnectConfiguration",
)


def _snake(name: str) -> str:
    from moto.core.utils import camelcase_to_underscores

    return camelcase_to_underscores(name)


def _merged_config(previous: dict[str, Any] | None, sent: dict[str, Any] | None) -> dict[str, Any]:
    cfg = copy.deepcopy(previous if previous is not None else DEFAULT_DEPLOYMENT_CONFIGURATION)
    for k, v in (sent or {}).items():
        cfg[k] = copy.deepcopy(v)
    return cfg


def _require_network_configuration(backend, task_definition_ref, network_configuration) -> None:
    if not task_definition_ref:
        return
    td = backend.describe_task_definition(task_definition_ref)
    if td.network_mode == "awsvpc" and not network_configuration:
        # ECS API Reference, CreateService.networkConfiguration: required
        # for awsvpc task definitions.
        raise InvalidParameterException(
            "Network Configuration must be provided when networkMode 'awsvpc' is specified."
        )


def _managed(svc) -> bool:
    """Only the rolling update (ECS controller) of REPLICA services is modelled."""
    controller = (svc.deployment_controller or {}).get("type", "ECS")
    return controller == "ECS" and svc.scheduling_strategy != "DAEMON" and svc.task_definition is not None


def _create_service(orig):
    def create_service(self):
        backend = self.ecs_backend
        es = state_of(backend)
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        name = self._get_param("serviceName")
        key = f"{cluster.name}:{name}"
        existing = backend.services.get(key)
        token = self._get_param("clientToken")
        if existing is not None and existing.status == "ACTIVE" and token and es.service_client_tokens.get(token) == key:
            # ECS API Reference, CreateService.clientToken: "An identifier that you
            # provide to ensure the idempotency of the request": the repeat of a
            # request whose answer was lost gets the service it created.
            touch_service(backend, key, es.now())
            return ActionResult({"service": existing})
        if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
            # What ECS answers (InvalidParameterException) when a service of
            # that name is already ACTIVE (ECS API Reference, CreateService:
            # service names are unique within a cluster).
            raise InvalidParameterException("Creation of service was not idempotent.")
        _require_network_configuration(backend, self._get_param("taskDefinition"), self._get_param("networkConfiguration"))
        result = orig(self)
        svc = result.result["service"]
        if token:
            es.service_client_tokens[token] = key
        now = es.now()
        for param in _ECHOED_CREATE_PARAMS:
            value = self._get_param(param)
            if value is not None:
                setattr(svc, _snake(param), value)
        if self._get_param("capacityProviderStrategy") and not self._get_param("launchType"):
            # ECS API Reference, CreateService: launchType and
            # capacityProviderStrategy are mutually exclusive; moto
            # defaults launchType to EC2.
            svc.launch_type = None
        svc.deployment_configuration = _merged_config(None, self._get_param("deploymentConfiguration"))
        svc.created_at = es.wall(now)
        old = es.services.pop(key, None)
        if old is not None:  # recreated after INACTIVE: its stopped tasks stay until purged
            es.standalone[cluster.name].update(old.task_ids)
            for tid in old.task_ids:
                task = es.tasks.get(tid)
                if task is not None:
                    life_of(task).owner = None
        if not _managed(svc):
            return result
        svc.events = []
        start_deployment(backend, manage(backend, cluster.name, key, svc, now), now, svc.task_definition)
        touch_service(backend, key, now)
        return result

    return create_service


def manage(backend, cluster_name: str, key: str, svc, now: float) -> ServiceState:
    """Hands the service to the scheduler in deployments.py (the ECS controller)."""
    es = state_of(backend)
    st = ServiceState(key, svc)
    es.services[key] = st
    es.cluster_services[cluster_name].add(key)
    svc.deployments = st.deployments
    st.evaluated_at = now
    return st


def _service_named(response):
    """The moto service a request's cluster and service (name or ARN) name, and its
    emulator key "cluster:service"."""
    backend = response.ecs_backend
    cluster = backend._get_cluster(response._get_param("cluster", "default"))
    ref = response._get_param("service") or ""
    svc = backend._get_service(cluster.name, ref.split("/")[-1])
    return svc, f"{cluster.name}:{svc.name}"


# ECS Developer Guide, "Update Amazon ECS service parameters": changing these
# starts a new deployment (Service Connect's configuration is per deployment).
_NEW_DEPLOYMENT_FIELDS = (
    "task_definition", "network_configuration", "platform_version", "capacity_provider_strategy",
    "service_connect_configuration",
)


def _update_service(orig):
    def update_service(self):
        backend = self.ecs_backend
        es = state_of(backend)
        svc, key = _service_named(self)
        st = es.services.get(key)
        if st is None:
            return orig(self)
        if svc.status != "ACTIVE":
            raise ServiceNotActiveException()
        now = es.now()
        advance_service(backend, key, now)
        td_ref = self._get_param("taskDefinition")
        if td_ref:
            td_arn = backend.describe_task_definition(td_ref).arn
        _require_network_configuration(
            backend, td_ref or svc.task_definition, self._get_param("networkConfiguration") or svc.network_configuration
        )
        before = {f: copy.deepcopy(getattr(svc, f, None)) for f in _NEW_DEPLOYMENT_FIELDS}
        before_config = deployment_configuration(svc)
        # moto's update rewrites deployments[0] on forceNewDeployment and
        # sets runningCount = desiredCount; keep ours out of its reach.
        svc.deployments = []
        try:
            result = orig(self)
        finally:
            svc.deployments = st.deployments
        if td_ref:
            svc.task_definition = td_arn  # moto stores the string as sent
        svc.deployment_configuration = _merged_config(before_config, self._get_param("deploymentConfiguration"))
        changed = any(getattr(svc, f, None) != before[f] for f in _NEW_DEPLOYMENT_FIELDS)
        if changed or self._get_param("forceNewDeployment"):
            start_deployment(backend, st, now, svc.task_definition)
        elif st.deployments:
            st.steady = st.steady and st.deployments[0].desired_count == svc.desired_count
        touch_service(backend, key, now)
        return result

    return update_service


def _delete_service(orig):
    def delete_service(self):
        backend = self.ecs_backend
        es = state_of(backend)
        svc, key = _service_named(self)
        if key not in es.services:
            return orig(self)
        now = es.now()
        advance_service(backend, key, now)
        result = orig(self)  # validates desiredCount / force, marks INACTIVE
        svc.status = "DRAINING"
        svc.desired_count = 0
        touch_service(backend, key, now)
        return result

    return delete_service


def _describe_services(orig):
    def describe_services(self, cluster_str, service_names_or_arns):
        es = state_of(self)
        with es.lock:  # also reached from other moto services (Application Auto Scaling)
            now = es.now()
            cluster = self._get_cluster(cluster_str)
            for ref in service_names_or_arns or []:
                advance_service(self, f"{cluster.name}:{ref.split('/')[-1]}", now)
            return orig(self, cluster_str, service_names_or_arns)

    return describe_services


def install() -> None:
    hooks.owner_advancers["service"] = advance_service
    hooks.owner_touchers["service"] = touch_service
    if advance_cluster_services not in hooks.cluster_advancers:
        hooks.cluster_advancers.append(advance_cluster_services)
    if on_task_transition not in hooks.task_listeners:
        hooks.task_listeners.append(on_task_transition)
    wrap(EC2ContainerServiceResponse, "create_service", _create_service)
    wrap(EC2ContainerServiceResponse, "update_service", _update_service)
    wrap(EC2ContainerServiceResponse, "delete_service", _delete_service)
    wrap(EC2ContainerServiceBackend, "describe_services", _describe_services)
