"""What the emulator keeps for a service: its deployments (ECS API
Reference, Deployment) and the scheduler's own bookkeeping, plus the views of
a service's tasks the scheduler works from.  deployments.py moves them on.
"""

from __future__ import annotations

from typing import Any

from moto.moto_api._internal import mock_random

from . import service_connect
from .state import hooks, state_of
from .task_lifecycle import RUNNING, STOPPED, life_of

# ECS API Reference, DeploymentConfiguration: defaults for the REPLICA
# scheduling strategy (maximumPercent 200, minimumHealthyPercent 100) and
# DeploymentCircuitBreaker (enable false, rollback false).
DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}


class Deployment:
    """One entry of Service.deployments (ECS API Reference, Deployment)."""

    def __init__(self, deployment_id: str, service, task_definition: str, created):
        self.id = deployment_id
        self.status = "PRIMARY"
        self.task_definition = task_definition
        self.desired_count = service.desired_count
        self.pending_count = 0
        self.running_count = 0
        self.failed_tasks = 0
        self.created_at = created
        self.updated_at = created
        self.launch_type = service.launch_type or None
        self.capacity_provider_strategy = getattr(service, "capacity_provider_strategy", None) or None
        fargate = self.launch_type == "FARGATE" or any(
            (i or {}).get("capacityProvider") in ("FARGATE", "FARGATE_SPOT")
            for i in self.capacity_provider_strategy or []
        )
        pv = service.platform_version
        self.platform_version = ("1.4.0" if pv in (None, "", "LATEST") else pv) if fargate else pv
        self.platform_family = "Linux" if fargate else None
        self.network_configuration = service.network_configuration or None
        self.rollout_state = "IN_PROGRESS"
        self.rollout_state_reason = f"ECS deployment {deployment_id} in progress."
        # emulator-only (not part of the API shape, so never serialized)
        self._rollback = False
        self._rollback_to: str | None = None
        self._previous_primary: str | None = None
        self._failed_by: str | None = None  # "circuit_breaker" or "alarms" once FAILED


class ServiceState:
    """Emulator bookkeeping for one service (``state.services["cluster:name"]``)."""

    def __init__(self, key: str, service):
        self.key = key
        self.service = service
        self.deployments: list[Deployment] = []
        self.task_ids: dict[str, None] = {}  # every task not yet purged, launch order
        self.live: dict[str, None] = {}  # the ones not yet STOPPED
        self.evaluated_at = 0.0
        self.next_event: float | None = None
        self.steady = False
        self.start_failures = 0
        self.throttle_until: float | None = None
        self.throttle_announced = False


def new_deployment_id() -> str:
    return f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"


def deployment_configuration(svc) -> dict[str, Any]:
    return getattr(svc, "deployment_configuration", None) or DEFAULT_DEPLOYMENT_CONFIGURATION


def notify(backend, st: ServiceState, kind: str, d: Deployment, at: float) -> None:
    """Tell hooks.deployment_listeners that deployment d was "started",
    "completed" or "failed"."""
    for fn in hooks.deployment_listeners:
        fn(backend, st, kind, d, at)


def start_deployment(
    backend, st: ServiceState, at: float, task_definition: str, rollback_to: Deployment | None = None
) -> Deployment:
    """A new PRIMARY deployment; rollback_to names the deployment whose task
    definition a rollback restores (the circuit breaker's)."""
    es = state_of(backend)
    svc = st.service
    d = Deployment(new_deployment_id(), svc, task_definition, es.wall(at))
    d._rollback = rollback_to is not None
    d._rollback_to = rollback_to.id if rollback_to is not None else None
    d._previous_primary = next((o.id for o in st.deployments if o.status == "PRIMARY"), None)
    # ECS reports Service Connect per deployment (ECS API Reference, Deployment).
    d.service_connect_configuration = service_connect.reported(backend, svc)
    for old in st.deployments:
        if old.status == "PRIMARY":
            old.status = "ACTIVE"
            old.updated_at = es.wall(at)
    st.deployments.insert(0, d)
    # ECS Developer Guide, service throttle logic: a new task definition
    # returns the service to a non-throttled state.
    st.start_failures = 0
    st.throttle_until = None
    st.throttle_announced = False
    st.steady = False
    notify(backend, st, "started", d, at)
    return d


def live_tasks(backend, st: ServiceState) -> list:
    """The service's tasks that are not STOPPED yet (all the scheduler needs;
    keeps each step proportional to the service's size, not its history)."""
    es = state_of(backend)
    out = []
    for tid in list(st.live):
        task = es.tasks.get(tid)
        if task is None or task.status == STOPPED:
            st.live.pop(tid, None)
        else:
            out.append(task)
    return out


def by_deployment(tasks) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for task in tasks:
        grouped.setdefault(life_of(task).deployment_id, []).append(task)
    return grouped


def desired_running(tasks) -> list:
    """The tasks the scheduler has not asked to stop (desiredStatus RUNNING)."""
    return [t for t in tasks if t.desired_status == RUNNING]
