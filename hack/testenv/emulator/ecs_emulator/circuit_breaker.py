"""Failed service tasks: the deployment circuit breaker (Deployment.failedTasks,
the threshold, FAILED and the rollback), the healthy-task reset, and the
service throttle, which the same failures drive.
"""

from __future__ import annotations

import math
from typing import Any

from .service_events import event
from .service_model import Deployment, ServiceState, deployment_configuration, live_tasks, notify, start_deployment
from .state import hooks, state_of
from .task_lifecycle import (
    DEPROVISIONING,
    ESSENTIAL_CONTAINER_EXITED,
    RUNNING,
    STOPPED,
    STOPPING,
    TASK_FAILED_TO_START,
    life_of,
)

# A task that stays RUNNING this long (emulated s) counts as healthy: it
# resets the consecutive failure count (ECS API Reference,
# DeploymentCircuitBreaker.resetOnHealthyTask, default true).  A task that
# fails (TaskFailedToStart / EssentialContainerExited) before that counts as
# a failed task (ECS API Reference, Deployment.failedTasks: "a task is
# considered a failure if ... the task doesn't transition to a RUNNING state,
# or if it fails any of its defined health checks and is stopped").  The
# emulator models no health checks; this window stands in for them.
HEALTHY_AFTER_SECONDS = 30.0

# ECS Developer Guide, "Amazon ECS service throttle logic": when tasks
# repeatedly go from PENDING to STOPPED, the time between restart attempts
# grows up to 27 minutes; a new task definition resets it.  The emulator
# starts throttling after THROTTLE_AFTER consecutive failures, doubling from
# THROTTLE_BASE_SECONDS.
THROTTLE_AFTER = 3
THROTTLE_BASE_SECONDS = 15.0
THROTTLE_MAX_SECONDS = 27 * 60.0

FAILURE_STOP_CODES = (TASK_FAILED_TO_START, ESSENTIAL_CONTAINER_EXITED)


def failure_threshold(circuit_breaker: dict[str, Any], desired: int) -> int:
    """ECS Developer Guide, "How the Amazon ECS deployment circuit breaker
    detects failures" / ECS API Reference, ServiceDeploymentCircuitBreaker:
    threshold = 0.5 * desired count, minimum 3, maximum 200, i.e.
    min(max(ceil(0.5 * desiredCount), 3), 200).  ECS API Reference,
    ThresholdConfiguration: type BOUNDED_PERCENT (default, value 50) keeps
    those bounds, UNBOUNDED_PERCENT drops them, COUNT uses value itself."""
    tc = circuit_breaker.get("thresholdConfiguration") or {}
    kind = tc.get("type") or "BOUNDED_PERCENT"
    value = tc.get("value")
    value = 50 if value is None else value
    if kind == "COUNT":
        return max(1, int(value))
    n = math.ceil(value * desired / 100.0)
    if kind == "UNBOUNDED_PERCENT":
        return max(1, n)
    return min(max(n, 3), 200)


def trip_circuit_breaker(backend, st: ServiceState, p: Deployment, cb: dict, at: float) -> None:
    """ECS Developer Guide, "How the Amazon ECS deployment circuit breaker
    detects failures": the deployment goes FAILED and stops launching tasks;
    with rollback, ECS rolls back to the most recent COMPLETED deployment."""
    fail_deployment(
        backend, st, p, at,
        by="circuit_breaker",
        reason="ECS deployment circuit breaker: tasks failed to start.",
        event_reason="tasks failed to start.",
        rollback=bool(cb.get("rollback")),
        rollback_reason="ECS deployment circuit breaker: rolling back to deploymentId {id}.",
    )


def fail_deployment(
    backend, st: ServiceState, p: Deployment, at: float, *,
    by: str, reason: str, event_reason: str, rollback: bool, rollback_reason: str,
) -> None:
    """A failure detector (the circuit breaker, or deployment alarms:
    alarms.py) failed the PRIMARY deployment p.  ECS Developer Guide, "Amazon
    ECS deployment failure detection": either method fails the deployment, and
    "the rollback method requires a previous deployment in COMPLETED state";
    "A deployment in a FAILED state won't launch any new tasks" ("How
    CloudWatch alarms detect Amazon ECS deployment failures")."""
    svc = st.service
    es = state_of(backend)
    p.rollout_state = "FAILED"
    p.rollout_state_reason = reason
    p.updated_at = es.wall(at)
    p._failed_by = by
    event(backend, st, at, f"(service {svc.name}) (deployment {p.id}) deployment failed: {event_reason}")
    notify(backend, st, "failed", p, at)
    if not rollback or p._rollback:
        return  # stays PRIMARY and FAILED; nothing more is launched
    target = next((d for d in st.deployments[1:] if d.rollout_state == "COMPLETED"), None)
    if target is None:
        return  # no COMPLETED deployment: the deployment stalls
    if hooks.staged_rollback is not None and hooks.staged_rollback(backend, st, p, at, reason):
        return  # a blue/green, linear or canary deployment goes back to its source revision
    # The guide says the rollback target goes from COMPLETED back to
    # IN_PROGRESS; DescribeServices shows that as a new PRIMARY deployment
    # of the target's task definition whose rolloutStateReason names the
    # target, which is what the emulator reports.
    svc.task_definition = target.task_definition
    rollback_d = start_deployment(backend, st, at, target.task_definition, rollback_to=target)
    rollback_d.network_configuration = target.network_configuration
    rollback_d.rollout_state_reason = rollback_reason.format(id=target.id)
    event(backend, st, at, f"(service {svc.name}) rolling back to deployment {target.id}.")


def mark_healthy(backend, st: ServiceState, at: float) -> None:
    """Tasks RUNNING for HEALTHY_AFTER_SECONDS by ``at`` become healthy."""
    cb = deployment_configuration(st.service).get("deploymentCircuitBreaker") or {}
    reset = cb.get("resetOnHealthyTask", True) is not False
    for task in live_tasks(backend, st):
        life = life_of(task)
        if (
            not life.healthy
            and life.running_since is not None
            and task.status == RUNNING
            and life.running_since + HEALTHY_AFTER_SECONDS <= at
        ):
            life.healthy = True
            if reset:
                d = next((d for d in st.deployments if d.id == life.deployment_id), None)
                if d is not None and d.failed_tasks:
                    d.failed_tasks = 0
                    d.updated_at = state_of(backend).wall(at)


def count_task_outcome(backend, st: ServiceState, task, new: str, at: float) -> None:
    """A service task's lastStatus became ``new``: a task that starts ends the
    throttle; one that fails counts for the circuit breaker and the throttle."""
    life = life_of(task)
    es = state_of(backend)
    if new == RUNNING:
        st.start_failures = 0
        st.throttle_until = None
        st.throttle_announced = False
        return
    if new in (STOPPING, DEPROVISIONING, STOPPED) and not life.failure_counted:
        if task.stop_code not in FAILURE_STOP_CODES:
            return
        life.failure_counted = True
        ran = None if life.running_since is None else at - life.running_since
        d = next((d for d in st.deployments if d.id == life.deployment_id), None)
        if d is not None and (ran is None or ran < HEALTHY_AFTER_SECONDS):
            d.failed_tasks += 1
            d.updated_at = es.wall(at)
        if life.running_since is None:
            # ECS Developer Guide, "Amazon ECS service throttle logic".
            st.start_failures += 1
            if st.start_failures >= THROTTLE_AFTER:
                delay = min(THROTTLE_MAX_SECONDS, THROTTLE_BASE_SECONDS * 2 ** min(st.start_failures - THROTTLE_AFTER, 20))
                st.throttle_until = at + delay
                if not st.throttle_announced:
                    st.throttle_announced = True
                    event(backend, st, at, f"(service {st.service.name}) is unable to consistently start tasks successfully.")
