"""Rolling a service deployment back to its source revision: on
StopServiceDeployment ROLLBACK, a failed Lambda hook, a hook timeout with
action ROLLBACK, ContinueServiceDeployment ROLLBACK, and, for BLUE_GREEN,
LINEAR and CANARY deployments, the circuit breaker or a deployment alarm with
rollback on.  (The rolling update's circuit breaker rollback, a new
deployment, stays in circuit_breaker.py.)
"""

from __future__ import annotations

from .service_events import event
from .service_revisions import ROLLBACK_FAILED, ROLLBACK_IN_PROGRESS, ServiceDeployment, store_of
from .state import hooks, state_of


def roll_back(backend, st, rec: ServiceDeployment, at: float, reason: str, announce: bool = True) -> None:
    """ECS Developer Guide, "Lambda hooks for Amazon ECS service deployments":
    FAILED "rolls back the deployment to the last successful service
    revision"; "Stopping Amazon ECS service deployments": ROLLBACK "rolls back
    the service deployment to the previous service revision".

    The source revision's scheduler deployment still runs its tasks (a
    blue/green deployment keeps blue until CLEAN_UP; a rolling one drains it
    only as far as minimumHealthyPercent allows), so it becomes the PRIMARY
    deployment again and scales back to desiredCount while the target's tasks
    are drained.  The service's taskDefinition is the source's again.  The
    service deployment is ROLLBACK_IN_PROGRESS until that deployment
    completes, then ROLLBACK_SUCCESSFUL (service_deployments.py).  announce
    False: the failure detector wrote the "deployment failed" event itself."""
    es = state_of(backend)
    store = store_of(backend)
    when = es.wall(at)
    svc = st.service
    if rec.walk is not None:
        rec.walk.end()
    target_ids = set(rec.target.deployment_ids)
    others = [d for d in st.deployments if d.id not in target_ids]
    src = next((d for d in others if d.rollout_state == "COMPLETED"), others[0] if others else None)
    if src is None:
        # The service's first deployment has nothing to go back to.
        rec.finish(ROLLBACK_FAILED, when, f"{reason} There is no service revision to roll back to.")
        return
    src_rev = store.revision_of.get(src.id)
    rec.status = ROLLBACK_IN_PROGRESS
    rec.status_reason = reason
    rec.stopped_at = None
    rec.touch(when)
    # ECS API Reference, Rollback: reason, startedAt, serviceRevisionArn.
    rec.rollback = {"reason": reason, "startedAt": when}
    if src_rev is not None:
        rec.rollback["serviceRevisionArn"] = src_rev.arn
    # Traffic goes back to the source revision.
    if rec.test_weight is not None:
        rec.test_weight = 0.0
    if rec.production_weight is not None:
        rec.production_weight = 0.0
    for listener in hooks.traffic_listeners:
        listener(backend, st, rec, at)
    failed = st.deployments[0]
    st.deployments.remove(src)
    for d in st.deployments:
        if d.status == "PRIMARY":
            d.status = "ACTIVE"
            d.updated_at = when
    src.status = "PRIMARY"
    src.rollout_state = "IN_PROGRESS"
    src.rollout_state_reason = f"ECS deployment {src.id} in progress."
    src.updated_at = when
    src._rollback = True  # the circuit breaker does not roll a rollback back
    st.deployments.insert(0, src)
    svc.task_definition = src.task_definition
    st.steady = False
    store.record_of[src.id] = rec
    # ECS Developer Guide, "Amazon ECS service event messages" (the
    # circuit breaker's wording, which the emulator uses for every rollback).
    if announce:
        event(backend, st, at, f"(service {svc.name}) (deployment {failed.id}) deployment failed: {reason}")
    event(backend, st, at, f"(service {svc.name}) rolling back to deployment {src.id}.")


def roll_back_failed(backend, st, d, at: float, reason: str) -> bool:
    """hooks.staged_rollback: the circuit breaker or a deployment alarm failed
    scheduler deployment d with rollback on.  ECS Developer Guide, "Amazon ECS
    blue/green deployments": "If problems arise with the green deployment, you
    can quickly revert to the blue deployment"; a blue/green, linear or canary
    deployment still runs its source revision, which serves again (production
    traffic goes back to it) instead of being replaced by a new deployment."""
    rec = store_of(backend).record_of.get(d.id)
    if rec is None or rec.strategy not in ("BLUE_GREEN", "LINEAR", "CANARY") or d.id not in rec.target.deployment_ids:
        return False
    roll_back(backend, st, rec, at, reason, announce=False)
    return rec.status == ROLLBACK_IN_PROGRESS
