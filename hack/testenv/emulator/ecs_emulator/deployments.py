"""Service deployments that progress: the rolling-update scheduler.

CreateService, and UpdateService with a new task definition (or network
configuration, platform version, capacity provider strategy) or
forceNewDeployment, start a new PRIMARY deployment with rolloutState
IN_PROGRESS; the previous PRIMARY becomes ACTIVE and is drained (ECS API
Reference, Deployment: status PRIMARY / ACTIVE / INACTIVE, rolloutState
COMPLETED / FAILED / IN_PROGRESS).  A desiredCount change alone scales the
PRIMARY deployment without a new one.

The scheduler runs lazily: when a request touches a service (DescribeServices,
ListTasks with serviceName, DescribeTasks of one of its tasks) or its cluster
(ListTasks, DescribeClusters), the service is replayed event by event from
where it was last evaluated up to the current emulated time.  A service with
nothing pending costs one comparison, so 10 000 idle services cost nothing.

services.py starts deployments and registers the hooks defined here.
"""

from __future__ import annotations

import math

from moto.ecs.exceptions import ECSException

from . import container_instances
from .circuit_breaker import (
    HEALTHY_AFTER_SECONDS,
    THROTTLE_BASE_SECONDS,
    count_task_outcome,
    failure_threshold,
    mark_healthy,
    trip_circuit_breaker,
)
from .service_events import event, task_list
from .service_model import (
    Deployment,
    ServiceState,
    by_deployment,
    deployment_configuration,
    desired_running,
    live_tasks,
    notify,
)
from .state import hooks, state_of
from .task_lifecycle import PENDING_STATES, RUNNING, SERVICE_SCHEDULER_INITIATED, STOPPED, life_of, request_stop, step_due
from .task_registry import launch_task, purge, purge_if_expired

# STOPPED tasks a service keeps at most (oldest forgotten first), so a
# crash loop over a long clock jump stays bounded.  An emulator limit.
STOPPED_TASKS_KEPT = 1000
LOOP_LIMIT = 100000


def _launch(backend, st: ServiceState, d: Deployment, n: int, at: float) -> None:
    svc = st.service
    cluster = backend.clusters.get(svc.cluster_name)
    if cluster is None or n <= 0:
        return
    task_definition = backend.describe_task_definition(d.task_definition)
    propagate = getattr(svc, "propagate_tags", "NONE")
    tags = []
    if propagate == "SERVICE":  # ECS API Reference, CreateService.propagateTags
        tags = list(svc.tags or [])
    elif propagate == "TASK_DEFINITION":
        tags = list(task_definition.tags or [])
    strategy = d.capacity_provider_strategy or cluster.default_capacity_provider_strategy or []
    provider = strategy[0].get("capacityProvider") if strategy else None
    on_instances = container_instances.is_ec2(backend, d.launch_type, provider)
    need = container_instances.requirements(task_definition)
    launched = []
    for _ in range(n):
        instance = None
        if on_instances:
            instance = container_instances.place(
                backend,
                cluster,
                need,
                f"service:{svc.name}",
                getattr(svc, "placement_constraints", None),
                getattr(svc, "placement_strategy", None),
            )
            if instance is None:
                event(backend, st, at, f"(service {svc.name}) {container_instances.UNABLE_TO_PLACE}")
                st.throttle_until = at + THROTTLE_BASE_SECONDS
                break
        try:
            task = launch_task(
                backend,
                cluster,
                task_definition,
                at,
                # ECS Developer Guide, "Amazon ECS task groups": a service's
                # tasks are in the group "service:NAME".  ECS API Reference,
                # Task.startedBy: for a service's task, the deployment ID.
                group=f"service:{svc.name}",
                started_by=d.id,
                tags=tags,
                launch_type=d.launch_type,
                network_configuration=d.network_configuration,
                platform_version=d.platform_version,
                capacity_provider_name=provider,
                owner=("service", st.key),
                deployment_id=d.id,
            )
        except ECSException as exc:
            event(backend, st, at, f"(service {svc.name}) failed to launch a task with (error {exc.message}).")
            st.throttle_until = at + THROTTLE_BASE_SECONDS
            break
        if instance is not None:
            container_instances.reserve(backend, task, instance, need)
        st.task_ids[task.id] = None
        st.live[task.id] = None
        launched.append(task)
    if launched:
        event(
            backend,
            st,
            at,
            f"(service {svc.name}) has started {len(launched)} tasks: {task_list([t.id for t in launched])}.",
        )


def _stop(backend, st: ServiceState, victims, at: float, primary: Deployment) -> None:
    """Scheduler-initiated stops (ECS API Reference, Task.stopCode
    ServiceSchedulerInitiated).  The stoppedReason is the text ECS shows for
    tasks a deployment or scale-in replaced (observed wording, not a
    documented rule)."""
    reason = f"Scaling activity initiated by (deployment {primary.id})"
    running, pending = [], []
    for task in victims:
        was_running = task.status == RUNNING
        if request_stop(backend, task, at, SERVICE_SCHEDULER_INITIATED, reason):
            (running if was_running else pending).append(task.id)
    name = st.service.name
    if running:
        event(backend, st, at, f"(service {name}) has stopped {len(running)} running tasks: {task_list(running)}.")
    if pending:
        event(backend, st, at, f"(service {name}) has stopped {len(pending)} pending tasks: {task_list(pending)}.")


def _update_counts(backend, st: ServiceState, grouped, at: float) -> None:
    es = state_of(backend)
    svc = st.service
    total_running = total_pending = 0
    for d in st.deployments:
        ts = grouped.get(d.id, [])
        running = sum(1 for t in ts if t.status == RUNNING)
        pending = sum(1 for t in ts if t.status in PENDING_STATES and t.desired_status == RUNNING)
        desired = svc.desired_count if d.status == "PRIMARY" else len(desired_running(ts))
        if (running, pending, desired) != (d.running_count, d.pending_count, d.desired_count):
            d.running_count, d.pending_count, d.desired_count = running, pending, desired
            d.updated_at = es.wall(at)
        total_running += running
        total_pending += pending
    # ECS API Reference, Service: runningCount / pendingCount.
    svc.running_count = total_running
    svc.pending_count = total_pending


def _reconcile(backend, st: ServiceState, at: float) -> None:
    svc = st.service
    tasks = live_tasks(backend, st)
    grouped = by_deployment(tasks)

    if svc.status != "ACTIVE":
        # ECS API Reference, DeleteService: DRAINING until the tasks have
        # stopped, then INACTIVE.  (ECS says "STOPPING or STOPPED"; its
        # DEACTIVATING phase comes first.  The emulator has none, so it
        # waits for STOPPED, which keeps DRAINING observable.)
        if st.deployments:
            _stop(backend, st, desired_running(tasks), at, st.deployments[0])
        if svc.status == "DRAINING" and not tasks:
            svc.status = "INACTIVE"
        _update_counts(backend, st, grouped, at)
        return
    if not st.deployments:
        return

    desired = svc.desired_count
    cfg = deployment_configuration(svc)
    cb = cfg.get("deploymentCircuitBreaker") or {}
    # ECS API Reference, DeploymentConfiguration: minimumHealthyPercent is
    # rounded up, maximumPercent rounded down.
    max_pct = cfg.get("maximumPercent", 200)
    min_pct = cfg.get("minimumHealthyPercent", 100)
    max_tasks = math.floor(desired * max_pct / 100.0)
    min_healthy = math.ceil(desired * min_pct / 100.0)

    p = st.deployments[0]
    if p.rollout_state == "IN_PROGRESS" and cb.get("enable") and p.failed_tasks >= failure_threshold(cb, desired):
        trip_circuit_breaker(backend, st, p, cb, at)
        p = st.deployments[0]

    primary = grouped.get(p.id, [])
    others = [t for d in st.deployments[1:] for t in grouped.get(d.id, [])]
    # Blue/green, linear and canary deployments (lifecycle_stages.py) scale
    # the new revision up beside the old one and drain it only at CLEAN_UP.
    policy = hooks.scheduler_policy(backend, st, p, at) if hooks.scheduler_policy else None

    if p.rollout_state != "FAILED" and policy != "hold":
        # Scale in: the newest, not-yet-running tasks first.
        active_p = desired_running(primary)
        extra = len(active_p) - desired
        if extra > 0:
            order = [t for t in reversed(active_p) if t.status != RUNNING] + [
                t for t in reversed(active_p) if t.status == RUNNING
            ]
            _stop(backend, st, order[:extra], at, p)

        # Drain older deployments, keeping minimumHealthyPercent of the
        # desired count RUNNING (ECS Developer Guide, "Deploy Amazon ECS
        # services by replacing tasks").
        old_active = desired_running(others)
        if policy is None:
            not_running = [t for t in old_active if t.status != RUNNING]
            if not_running:
                _stop(backend, st, not_running, at, p)
            healthy = sum(1 for t in desired_running(primary) if t.status == RUNNING) + sum(
                1 for t in old_active if t.status == RUNNING
            )
            old_running = [t for t in old_active if t.status == RUNNING]
            can_stop = min(len(old_running), max(0, healthy - min_healthy))
            if can_stop:
                _stop(backend, st, old_running[:can_stop], at, p)

        # Launch, keeping RUNNING + PENDING tasks within maximumPercent.
        active_p = desired_running(primary)
        need = desired - len(active_p)
        in_flight = len(active_p) + len(desired_running(others))
        room = need if not desired_running(others) or policy == "scale_up" else max(0, max_tasks - in_flight)
        throttled = st.throttle_until is not None and at < st.throttle_until
        if need > 0 and room > 0 and not throttled:
            _launch(backend, st, p, min(need, room), at)
            tasks = live_tasks(backend, st)
            grouped = by_deployment(tasks)
            primary = grouped.get(p.id, [])
            others = [t for d in st.deployments[1:] for t in grouped.get(d.id, [])]

    _update_counts(backend, st, grouped, at)

    # Completion (ECS API Reference, Deployment.rolloutState: COMPLETED once
    # the deployment reaches a steady state; ECS Developer Guide, "Deploy
    # Amazon ECS services by replacing tasks"): the PRIMARY runs
    # desiredCount tasks and the other deployments have no task left that
    # is not STOPPED (``others`` holds only tasks not yet STOPPED).  The
    # drained deployments are removed.
    if (
        p.rollout_state == "IN_PROGRESS"
        and policy is None
        and p.running_count == desired
        and p.pending_count == 0
        and len(desired_running(primary)) == desired
        and not others
    ):
        es = state_of(backend)
        p.rollout_state = "COMPLETED"
        p.rollout_state_reason = f"ECS deployment {p.id} completed."
        p.updated_at = es.wall(at)
        for d in st.deployments[1:]:
            d.status = "INACTIVE"
        del st.deployments[1:]
        event(backend, st, at, f"(service {svc.name}) (deployment {p.id}) deployment completed.")
        notify(backend, st, "completed", p, at)

    steady = (
        len(st.deployments) == 1
        and p.rollout_state == "COMPLETED"
        and p.running_count == desired
        and p.pending_count == 0
        and all(t.status in (RUNNING, STOPPED) for t in primary)
    )
    if steady and not st.steady:
        event(backend, st, at, f"(service {svc.name}) has reached a steady state.")
    st.steady = steady


def _next_event(backend, st: ServiceState, after: float) -> float | None:
    best = None
    for task in live_tasks(backend, st):
        life = life_of(task)
        cands = [life.next_at]
        if not life.healthy and life.running_since is not None and task.status == RUNNING:
            cands.append(life.running_since + HEALTHY_AFTER_SECONDS)
        for c in cands:
            if c is not None and (best is None or c < best):
                best = c
    if st.throttle_until is not None and st.throttle_until > after:
        if best is None or st.throttle_until < best:
            best = st.throttle_until
    for timer in hooks.service_timers:
        c = timer(backend, st, after)
        if c is not None and (best is None or c < best):
            best = c
    return best


def _purge(backend, st: ServiceState, now: float) -> None:
    es = state_of(backend)
    stopped = [tid for tid in st.task_ids if tid not in st.live]
    excess = len(stopped) - STOPPED_TASKS_KEPT
    for i, tid in enumerate(stopped):  # launch order: oldest first
        task = es.tasks.get(tid)
        if task is None:
            st.task_ids.pop(tid, None)
        elif i < excess:
            purge(backend, task)
            st.task_ids.pop(tid, None)
        elif purge_if_expired(backend, task, now):
            st.task_ids.pop(tid, None)


def _settle(backend, st: ServiceState, t: float) -> None:
    """Apply everything due at or before ``t`` and let the scheduler react,
    until nothing more is due at ``t`` (stops the scheduler requests at t
    take effect at t)."""
    for _ in range(50):
        for task in live_tasks(backend, st):
            step_due(backend, task, t)
        mark_healthy(backend, st, t)
        for stepper in hooks.service_steppers:
            stepper(backend, st, t)
        _reconcile(backend, st, t)
        st.evaluated_at = max(st.evaluated_at, t)
        nxt = _next_event(backend, st, t)
        if nxt is None or nxt > t:
            return


def advance_service(backend, key: str, now: float) -> None:
    """Replay the service's tasks and scheduler, event by event, up to
    emulated time ``now``."""
    es = state_of(backend)
    st = es.services.get(key)
    if st is None or now <= st.evaluated_at:
        return
    if st.next_event is None or st.next_event > now:
        st.evaluated_at = now
        return
    for i in range(LOOP_LIMIT):
        t = _next_event(backend, st, st.evaluated_at)
        if t is None or t > now:
            break
        _settle(backend, st, max(t, st.evaluated_at))
        if st.evaluated_at < t:
            st.evaluated_at = t
        if i % 256 == 255:
            _purge(backend, st, t)  # long jumps through a crash loop
    st.evaluated_at = now
    st.next_event = _next_event(backend, st, now)
    _purge(backend, st, now)


def touch_service(backend, key: str, now: float) -> None:
    """Something outside the scheduler changed the service (or one of its
    tasks) at ``now``: let the scheduler react, then reschedule."""
    es = state_of(backend)
    st = es.services.get(key)
    if st is None:
        return
    _settle(backend, st, now)
    st.next_event = _next_event(backend, st, now)


def advance_cluster_services(backend, cluster_name: str, now: float) -> None:
    """Bring every service of the cluster up to ``now`` (hooks.cluster_advancers)."""
    es = state_of(backend)
    for key in list(es.cluster_services.get(cluster_name, ())):
        advance_service(backend, key, now)


def on_task_transition(backend, task, old: str, new: str, at: float) -> None:
    """hooks.task_listeners: a service task changed lastStatus."""
    life = life_of(task)
    if life.owner is None or life.owner[0] != "service":
        return
    es = state_of(backend)
    st = es.services.get(life.owner[1])
    if st is None:
        return
    if new == STOPPED:
        st.live.pop(task.id, None)
    count_task_outcome(backend, st, task, new, at)
