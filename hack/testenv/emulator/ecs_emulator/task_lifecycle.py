"""The task lifecycle: the states an emulated task walks through and when.

Every emulated task is a real moto ``Task`` stored where moto keeps it
(``backend.tasks[cluster][arn]``); the emulator takes over its ``lastStatus``
and adds the fields ECS reports.  A task walks (ECS Developer Guide,
"Amazon ECS task lifecycle", task-lifecycle.html):

    PROVISIONING -> PENDING -> RUNNING -> STOPPING -> [DEPROVISIONING] -> STOPPED

DEPROVISIONING only for awsvpc tasks (the ENI is detached and deleted).  A
task stopped, or failing, before RUNNING goes straight to DEPROVISIONING /
STOPPED.  Durations are emulated seconds (see clock.py), TIMINGS below.

This module steps a task from one state to the next.  task_registry.py
creates tasks and brings them up to date; deployments.py steps a service's
tasks itself.
"""

from __future__ import annotations

import hashlib
from typing import Any

from moto.ecs.models import Task
from moto.moto_api._internal import mock_random

from . import failures
from .state import hooks, state_of

PROVISIONING = "PROVISIONING"
PENDING = "PENDING"
RUNNING = "RUNNING"
STOPPING = "STOPPING"
DEPROVISIONING = "DEPROVISIONING"
STOPPED = "STOPPED"
PENDING_STATES = (PROVISIONING, PENDING, "ACTIVATING")

# Emulated seconds spent in each state (roughly what a Fargate task shows).
TIMINGS = {
    "provisioning": 10.0,  # PROVISIONING: ENI and capacity
    "pending": 15.0,  # PENDING: image pull and container start
    "pull_failure": 15.0,  # PENDING until the agent gives up pulling
    # ECS API Reference, StopTask: SIGTERM, then SIGKILL after the stop
    # timeout (30 s default); emulated containers handle SIGTERM promptly.
    "stopping": 5.0,  # STOPPING: SIGTERM until the containers have exited
    "deprovisioning": 5.0,  # DEPROVISIONING: ENI detach (awsvpc only)
}

# ECS API Reference, Task.stopCode.
USER_INITIATED = "UserInitiated"
TASK_FAILED_TO_START = "TaskFailedToStart"
ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited"
SERVICE_SCHEDULER_INITIATED = "ServiceSchedulerInitiated"
ESSENTIAL_EXIT_REASON = "Essential container in task exited"

# Exit code the emulator reports for a container stopped on request (it
# handled SIGTERM and exited cleanly).  An emulator choice, not an ECS rule.
SIGTERM_EXIT_CODE = 0


class EmuContainer:
    """A container of an emulated task, shaped like ECS's ``Container``."""

    def __init__(self, task: Task, plan: failures.ContainerPlan):
        self.plan = plan
        base = task.task_arn.replace(":task/", ":container/", 1)
        self.container_arn = f"{base}/{mock_random.uuid4()}"
        self.task_arn = task.task_arn
        self.name = plan.name
        self.image = plan.image
        self.image_digest = None
        self.runtime_id = None
        self.last_status = PENDING
        self.exit_code = None
        self.reason = None
        self.network_bindings: list[dict[str, Any]] = []
        self.network_interfaces: list[dict[str, Any]] = []
        self.health_status = "UNKNOWN"
        cd = plan.definition
        self.cpu = str(cd.get("cpu", 0))
        self.memory = str(cd["memory"]) if cd.get("memory") is not None else None
        self.memory_reservation = (
            str(cd["memoryReservation"]) if cd.get("memoryReservation") is not None else None
        )


class TaskLife:
    """Emulator bookkeeping for one task (kept on the moto Task as ``_emu``)."""

    def __init__(self, created: float, plans, awsvpc: bool, owner, deployment_id):
        self.entered = created  # emulated time the current lastStatus began
        self.pull_error = next((p.pull_error for p in plans if p.pull_error), None)
        self.awsvpc = awsvpc
        self.owner = owner  # ("service", "cluster:name") or None
        self.deployment_id = deployment_id
        self.stop_request: tuple[float, str, str | None] | None = None
        self.running_since: float | None = None
        self.stopped_sim: float | None = None
        self.stopped_wall: float | None = None
        self.next_at: float | None = None
        # Used by circuit_breaker.py
        self.failure_counted = False
        self.healthy = False


def life_of(task: Task) -> TaskLife | None:
    return task.__dict__.get("_emu")


def is_emulated(task: Task) -> bool:
    return life_of(task) is not None


# ---------------------------------------------------------------------------
# The state machine
# ---------------------------------------------------------------------------


def next_transition_at(task: Task) -> float | None:
    """Emulated time of the task's next transition, or None."""
    life = life_of(task)
    status = task.status
    if status in (PROVISIONING, PENDING):
        if life.stop_request:
            return max(life.entered, life.stop_request[0])
        if status == PROVISIONING:
            return life.entered + TIMINGS["provisioning"]
        if life.pull_error:
            return life.entered + TIMINGS["pull_failure"]
        return life.entered + TIMINGS["pending"]
    if status == RUNNING:
        candidates = []
        if life.stop_request:
            candidates.append(max(life.entered, life.stop_request[0]))
        for c in task.containers:
            if c.last_status == RUNNING and c.plan.exit_code is not None:
                candidates.append(life.running_since + c.plan.run_seconds)
        return min(candidates) if candidates else None
    if status == STOPPING:
        return life.entered + TIMINGS["stopping"]
    if status == DEPROVISIONING:
        return life.entered + TIMINGS["deprovisioning"]
    return None


def _set_status(backend, task: Task, new: str, at: float) -> None:
    life = life_of(task)
    old = task.status
    task.status = new
    life.entered = at
    task.version += 1
    for listener in hooks.task_listeners:
        listener(backend, task, old, new, at)


def eni_attachment(task: Task) -> dict[str, Any] | None:
    for att in task.attachments:
        if att.get("type") == "ElasticNetworkInterface":
            return att
    return None


def _begin_stop(task: Task, code: str, reason: str | None) -> None:
    """desiredStatus becomes STOPPED with a stop code (ECS API Reference, Task)."""
    task.desired_status = STOPPED
    if task.stop_code is None:
        task.stop_code = code
        task.stopped_reason = reason


def _containers_stopped(backend, task: Task, at: float, exit_code: int | None) -> None:
    st = state_of(backend)
    for c in task.containers:
        if c.last_status != STOPPED:
            c.last_status = STOPPED
            if c.exit_code is None and exit_code is not None and c.runtime_id is not None:
                c.exit_code = exit_code
    task.execution_stopped_at = st.wall(at)


def _finish(backend, task: Task, at: float) -> None:
    st = state_of(backend)
    life = life_of(task)
    task.stopped_at = st.wall(at)
    life.stopped_sim = at
    life.stopped_wall = st.clock.wall_time(at)
    att = eni_attachment(task)
    if att is not None:
        att["status"] = "DELETED"
        eni_id = next(
            (d["value"] for d in att.get("details", []) if d.get("name") == "networkInterfaceId"),
            None,
        )
        if eni_id:
            try:
                from moto.ec2.models import ec2_backends

                ec2_backends[backend.account_id][backend.region_name].delete_network_interface(eni_id)
            except Exception:  # already gone; nothing to clean
                pass
    if task.container_instance_arn:
        ci = backend.container_instances.get(task.cluster_name, {}).get(
            task.container_instance_arn.split("/")[-1]
        )
        if ci is not None and task.resource_requirements:
            try:
                backend.update_container_instance_resources(ci, task.resource_requirements, removing=True)
            except Exception:
                pass
    _set_status(backend, task, STOPPED, at)


def _end_before_running(backend, task: Task, at: float) -> None:
    st = state_of(backend)
    task.stopping_at = st.wall(at)
    _containers_stopped(backend, task, at, None)
    if life_of(task).awsvpc:
        _set_status(backend, task, DEPROVISIONING, at)
    else:
        _finish(backend, task, at)


def _step(backend, task: Task) -> None:
    """Apply the transition due at ``life.next_at``."""
    st = state_of(backend)
    life = life_of(task)
    at = life.next_at
    status = task.status
    if status in (PROVISIONING, PENDING):
        if life.stop_request and life.stop_request[0] <= at:
            _end_before_running(backend, task, at)
        elif status == PROVISIONING:
            att = eni_attachment(task)
            if att is not None:
                # ECS API Reference, Attachment.status: PRECREATED ->
                # ATTACHED -> ... -> DELETED.
                att["status"] = "ATTACHED"
            task.pull_started_at = st.wall(at)
            _set_status(backend, task, PENDING, at)
        elif life.pull_error:
            # ECS Developer Guide, "Amazon ECS stopped task error codes":
            # TaskFailedToStart; the container reason carries the agent error.
            task.pull_stopped_at = st.wall(at)
            for c in task.containers:
                if c.plan.pull_error:
                    c.reason = c.plan.pull_error
            _begin_stop(task, TASK_FAILED_TO_START, life.pull_error)
            _end_before_running(backend, task, at)
        else:
            task.pull_stopped_at = st.wall(at)
            task.started_at = st.wall(at)
            task.connectivity = "CONNECTED"
            task.connectivity_at = st.wall(at)
            life.running_since = at
            for c in task.containers:
                c.last_status = RUNNING
                c.runtime_id = f"{task.id}-{mock_random.randint(1000000000, 9999999999)}"
                c.image_digest = "sha256:" + hashlib.sha256((c.image or "").encode()).hexdigest()
            _set_status(backend, task, RUNNING, at)
    elif status == RUNNING:
        if life.stop_request and life.stop_request[0] <= at:
            task.stopping_at = st.wall(at)
            _set_status(backend, task, STOPPING, at)
        else:
            essential_exit = False
            for c in task.containers:
                plan = c.plan
                if (
                    c.last_status == RUNNING
                    and plan.exit_code is not None
                    and life.running_since + plan.run_seconds <= at
                ):
                    c.last_status = STOPPED
                    c.exit_code = plan.exit_code
                    essential_exit = essential_exit or plan.essential
            if essential_exit:
                # ECS Developer Guide, "Amazon ECS stopped task error codes":
                # EssentialContainerExited.
                _begin_stop(task, ESSENTIAL_CONTAINER_EXITED, ESSENTIAL_EXIT_REASON)
                task.stopping_at = st.wall(at)
                _set_status(backend, task, STOPPING, at)
    elif status == STOPPING:
        _containers_stopped(backend, task, at, SIGTERM_EXIT_CODE)
        if life.awsvpc:
            _set_status(backend, task, DEPROVISIONING, at)
        else:
            _finish(backend, task, at)
    elif status == DEPROVISIONING:
        _finish(backend, task, at)
    life.next_at = next_transition_at(task)


def step_due(backend, task: Task, until: float, limit: int = 64) -> None:
    """Apply every transition of ``task`` due at or before ``until``."""
    life = life_of(task)
    n = 0
    while life.next_at is not None and life.next_at <= until and n < limit:
        _step(backend, task)
        n += 1


def request_stop(backend, task: Task, at: float, code: str, reason: str | None) -> bool:
    """Set desiredStatus STOPPED; the task walks to STOPPED from ``at``."""
    life = life_of(task)
    if task.desired_status == STOPPED or task.status == STOPPED:
        return False
    _begin_stop(task, code, reason)
    life.stop_request = (at, code, reason)
    life.next_at = next_transition_at(task)
    return True
