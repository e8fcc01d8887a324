"""The backend's emulated tasks: taking over the tasks moto creates, finding
them, bringing them up to the current emulated time, and forgetting them.

State advances lazily: only when a request touches the task (DescribeTasks)
or its cluster (ListTasks, DescribeClusters).  A service's tasks are advanced
by the service (deployments.py), so the scheduler sees every transition at
the emulated instant it happens.
"""

from __future__ import annotations

import time

from moto.ecs.models import Task
from moto.moto_api._internal import mock_random

from . import failures
from .state import hooks, state_of
from .task_lifecycle import (
    PROVISIONING,
    RUNNING,
    EmuContainer,
    TaskLife,
    eni_attachment,
    life_of,
    next_transition_at,
    step_due,
)

# ECS API Reference, DescribeTasks: "stopped tasks appear in the returned
# results for at least one hour".  A STOPPED task is purged once it has been
# stopped this long in emulated AND in wall-clock time (a polling client
# gets its hour).  deployments.py also caps how many a service keeps.
STOPPED_RETENTION = 3600.0


# ---------------------------------------------------------------------------
# Creating emulated tasks
# ---------------------------------------------------------------------------


def adopt(backend, task: Task, task_definition, now: float, owner=None, deployment_id=None) -> Task:
    """Take over a freshly created moto Task."""
    st = state_of(backend)
    cluster_tasks = backend.tasks.setdefault(task.cluster_name, {})
    # ECS task ids are 32 hex digits; moto's have dashes.
    if "-" in task.id:
        cluster_tasks.pop(task.task_arn, None)
        task.id = mock_random.uuid4().hex
    cluster_tasks[task.task_arn] = task
    task._transitions = []  # freeze moto's ManagedState: we drive lastStatus
    task.status = PROVISIONING
    task.desired_status = RUNNING
    task.stop_code = None
    task.stopped_reason = None
    task.created_at = st.wall(now)
    task.pull_started_at = task.pull_stopped_at = task.started_at = None
    task.stopping_at = task.execution_stopped_at = task.stopped_at = None
    task.connectivity = task.connectivity_at = None
    task.version = 1
    task.health_status = "UNKNOWN"
    task.enable_execute_command = False
    task.cpu = task_definition.cpu
    task.memory = task_definition.memory
    if not task.launch_type:
        provider = backend.capacity_providers.get(task.capacity_provider_name or "")
        if task.capacity_provider_name in ("FARGATE", "FARGATE_SPOT"):
            task.launch_type = "FARGATE"
        elif getattr(provider, "type", None) == "MANAGED_INSTANCES":
            task.launch_type = "MANAGED_INSTANCES"
        elif provider is not None:
            # ECS API Reference, Task.launchType: a task on an Auto Scaling group
            # capacity provider runs on EC2 container instances.
            task.launch_type = "EC2"
        else:
            task.launch_type = None
    fargate = task.launch_type == "FARGATE"
    if fargate:
        # ECS Developer Guide, "Fargate platform versions for Amazon ECS":
        # LATEST is 1.4.0 for Linux tasks.
        task.platform_version = (
            "1.4.0" if task.platform_version in (None, "", "LATEST") else task.platform_version
        )
        task.platform_family = "Linux"
    task.availability_zone = f"{backend.region_name}a"
    plans = failures.plan_task(task_definition, task.overrides)
    task.containers = [EmuContainer(task, p) for p in plans]
    awsvpc = task_definition.network_mode == "awsvpc"
    att = eni_attachment(task)
    if att is not None:
        att["status"] = "PRECREATED"
        details = {d["name"]: d for d in att["details"]}
        ip = details.get("privateIPv4Address", {}).get("value")
        if ip and details.get("privateDnsName", {}).get("value") is None:
            details["privateDnsName"]["value"] = "ip-" + ip.replace(".", "-") + ".ec2.internal"
        subnet = details.get("subnetId", {}).get("value")
        if subnet:
            try:
                from moto.ec2.models import ec2_backends

                sn = ec2_backends[backend.account_id][backend.region_name].get_subnet(subnet)
                task.availability_zone = sn.availability_zone
            except Exception:
                pass
        for c in task.containers:
            c.network_interfaces = [{"attachmentId": att["id"], "privateIpv4Address": ip}]
    life = TaskLife(now, plans, awsvpc, owner, deployment_id)
    task._emu = life
    life.next_at = next_transition_at(task)
    st.tasks[task.id] = task
    if owner is None:
        st.standalone[task.cluster_name].add(task.id)
    return task


def launch_task(
    backend,
    cluster,
    task_definition,
    now: float,
    *,
    group: str,
    started_by: str,
    overrides=None,
    tags=None,
    launch_type: str | None = None,
    network_configuration=None,
    platform_version=None,
    capacity_provider_name=None,
    owner=None,
    deployment_id=None,
) -> Task:
    """Create a moto Task the way RunTask would and adopt it (used by services)."""
    task = Task(
        cluster,
        task_definition,
        None,
        backend._calculate_task_resource_requirements(task_definition),
        backend=backend,
        group=group,
        launch_type=launch_type or "",
        overrides=overrides or {},
        started_by=started_by,
        tags=tags or [],
        networking_configuration=network_configuration,
        platform_version=platform_version,
        capacity_provider_name=capacity_provider_name,
    )
    return adopt(backend, task, task_definition, now, owner=owner, deployment_id=deployment_id)


# ---------------------------------------------------------------------------
# Finding and advancing
# ---------------------------------------------------------------------------


def advance_task(backend, task: Task, now: float) -> None:
    """Bring one task (and, for a service task, its service) up to now."""
    life = life_of(task)
    if life is None:
        return
    if life.owner is not None:
        advancer = hooks.owner_advancers.get(life.owner[0])
        if advancer is not None:
            advancer(backend, life.owner[1], now)
            return
    step_due(backend, task, now, limit=1000)


def advance_cluster(backend, cluster_name: str, now: float) -> None:
    """Bring a cluster's services and its tasks no service owns up to now."""
    st = state_of(backend)
    for advancer in hooks.cluster_advancers:
        advancer(backend, cluster_name, now)
    for task_id in list(st.standalone.get(cluster_name, ())):
        task = st.tasks.get(task_id)
        if task is None:
            st.standalone[cluster_name].discard(task_id)
            continue
        step_due(backend, task, now, limit=1000)
        purge_if_expired(backend, task, now)


def find_task(backend, cluster_name: str, ref: str) -> Task | None:
    """The cluster's task with this id or ARN (emulated or moto's own), or None."""
    st = state_of(backend)
    task_id = ref.split("/")[-1]
    task = st.tasks.get(task_id)
    if task is not None:
        return task if task.cluster_name == cluster_name else None
    for task in backend.tasks.get(cluster_name, {}).values():  # non-emulated moto tasks
        if task.id == task_id:
            return task
    return None


# ---------------------------------------------------------------------------
# Forgetting STOPPED tasks
# ---------------------------------------------------------------------------


def purge_if_expired(backend, task: Task, now: float) -> bool:
    life = life_of(task)
    if life.stopped_sim is None or life.stopped_sim + STOPPED_RETENTION > now:
        return False
    if time.time() - life.stopped_wall < STOPPED_RETENTION:
        return False
    purge(backend, task)
    return True


def purge(backend, task: Task) -> None:
    """Forget a STOPPED task (moto's task table and the emulator's indexes)."""
    st = state_of(backend)
    backend.tasks.get(task.cluster_name, {}).pop(task.task_arn, None)
    st.tasks.pop(task.id, None)
    st.standalone.get(task.cluster_name, set()).discard(task.id)
