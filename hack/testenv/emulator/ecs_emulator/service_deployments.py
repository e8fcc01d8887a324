"""The service deployments API (ECS Developer Guide, "View service history
using Amazon ECS service deployments"): every deployment the scheduler starts
for a service is a ServiceDeployment moving it to a new ServiceRevision;
ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions,
StopServiceDeployment and ContinueServiceDeployment, and the service's
currentServiceDeployment / currentServiceRevisions.  moto 5.2.5 has none of
these actions (botocore's model has them, so moto serializes the answers).

Records follow the scheduler through hooks.deployment_listeners;
lifecycle_stages.py walks BLUE_GREEN, LINEAR and CANARY deployments.
"""

from __future__ import annotations

from datetime import datetime, timezone

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from . import lifecycle_stages
from .circuit_breaker import failure_threshold
from .deployment_rollback import roll_back
from .service_model import deployment_configuration
from .service_revisions import (
    IN_PROGRESS,
    ROLLBACK_FAILED,
    ROLLBACK_IN_PROGRESS,
    ROLLBACK_REQUESTED,
    ROLLBACK_SUCCESSFUL,
    RUNNING_STATUSES,
    STOP_REQUESTED,
    STOPPED,
    SUCCESSFUL,
    Revision,
    ServiceDeployment,
    key_of_arn,
    store_of,
)
from .state import hooks, state_of, wrap

DESCRIBE_MAX = 20  # ECS API Reference, DescribeServiceDeployments / DescribeServiceRevisions: at most 20 ARNs
LIST_DEFAULT, LIST_MAX = 20, 100  # ECS API Reference, ListServiceDeployments.maxResults


class ServiceDeploymentNotFoundException(ECSException):
    # ECS API Reference, StopServiceDeployment / ContinueServiceDeployment errors.
    def __init__(self) -> None:
        super().__init__("ServiceDeploymentNotFoundException", "The service deployment does not exist.")


class ConflictException(ECSException):
    # ECS API Reference, StopServiceDeployment errors: ConflictException.
    def __init__(self, message: str) -> None:
        super().__init__("ConflictException", message)


# -- following the scheduler ---------------------------------------------------
def on_deployment(backend, st, kind: str, d, at: float) -> None:
    """hooks.deployment_listeners: the scheduler started, completed or failed
    deployment d of service st."""
    store = store_of(backend)
    when = state_of(backend).wall(at)
    if kind == "started":
        if d._rollback:
            _circuit_breaker_rollback(store, st, d, when)
        else:
            _new_service_deployment(backend, store, st, d, at)
    elif kind == "completed":
        rec = store.record_of.get(d.id)
        if rec is None:
            return
        # ECS API Reference, ServiceDeployment.status.
        if rec.status == ROLLBACK_IN_PROGRESS:
            rec.finish(ROLLBACK_SUCCESSFUL, when)
        elif rec.status in RUNNING_STATUSES:
            rec.finish(SUCCESSFUL, when)
        if rec.walk is not None:
            rec.walk.end()
    elif kind == "failed":
        rec = store.record_of.get(d.id)
        if rec is None:
            return
        if d._failed_by != "alarms":  # alarms.py records the alarms it saw
            rec.circuit_breaker_triggered = True
        if rec.walk is not None:
            rec.walk.end()
        if rec.status == ROLLBACK_IN_PROGRESS:
            rec.finish(ROLLBACK_FAILED, when, d.rollout_state_reason)
        elif rec.status in RUNNING_STATUSES:
            # ECS API Reference, ServiceDeployment.stoppedAt: a deployment stops
            # when "the rollback option is not in use for the failure detection
            # mechanism ... and the service fails" (the rollback, if any,
            # follows at once as a "started" rollback deployment).
            rec.finish(STOPPED, when, d.rollout_state_reason)
    refresh_service(backend, st)


def _new_service_deployment(backend, store, st, d, at: float) -> None:
    when = state_of(backend).wall(at)
    rev = Revision(backend, st, d, when)
    store.revisions[rev.arn] = rev
    store.revision_of[d.id] = rev
    sources: list[Revision] = []
    for other in st.deployments[1:]:
        r = store.revision_of.get(other.id)
        if r is not None and r not in sources:
            sources.append(r)
    prev = store.current.get(st.key)
    if prev is not None and prev.status in RUNNING_STATUSES + (ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, STOP_REQUESTED):
        # Emulator wording: a newer deployment replaces one still under way.
        prev.finish(STOPPED, when, "Superseded by a newer service deployment.")
        if prev.walk is not None:
            prev.walk.end()
    rec = ServiceDeployment(backend, st, rev, sources, deployment_configuration(st.service), when)
    store.deployments[rec.arn] = rec
    store.by_service.setdefault(st.key, []).append(rec)
    store.record_of[d.id] = rec
    store.current[st.key] = rec
    lifecycle_stages.start_walk(backend, st, rec, at)


def _circuit_breaker_rollback(store, st, d, when) -> None:
    """ECS Developer Guide, "How the Amazon ECS deployment circuit breaker
    detects failures": with rollback on, the failed deployment rolls back to
    the last COMPLETED one; its service deployment is ROLLBACK_IN_PROGRESS."""
    src_rev = store.revision_of.get(d._rollback_to)
    if src_rev is not None:
        src_rev.deployment_ids.append(d.id)
        store.revision_of[d.id] = src_rev
    rec = store.record_of.get(d._previous_primary)
    if rec is None or rec.status not in RUNNING_STATUSES + (STOPPED,):
        return
    # The "failed" notice came first and left the circuit breaker's reason.
    reason = rec.status_reason or "ECS deployment circuit breaker: tasks failed to start."
    rec.status, rec.status_reason, rec.stopped_at = ROLLBACK_IN_PROGRESS, reason, None
    rec.rollback = {"reason": reason, "startedAt": when}
    if src_rev is not None:
        rec.rollback["serviceRevisionArn"] = src_rev.arn
    rec.touch(when)
    store.record_of[d.id] = rec


def refresh_service(backend, st) -> None:
    """ECS API Reference, Service.currentServiceDeployment and
    currentServiceRevisions (the revisions that have tasks, newest first)."""
    store = store_of(backend)
    svc = st.service
    rec = store.current.get(st.key)
    svc.current_service_deployment = rec.arn if rec is not None else None
    revs: list[Revision] = []
    for d in st.deployments:
        r = store.revision_of.get(d.id)
        if r is not None and r not in revs:
            revs.append(r)
    out = []
    for r in revs:
        req, run, pend = r.counts(st)
        out.append({"arn": r.arn, "requestedTaskCount": req, "runningTaskCount": run, "pendingTaskCount": pend})
    svc.current_service_revisions = out or None


def describe(backend, rec: ServiceDeployment) -> dict:
    es = state_of(backend)
    st = es.services.get(rec.key)
    d = next((x for x in (st.deployments if st else []) if x.id in rec.target.deployment_ids), None)
    cb = rec.config.get("deploymentCircuitBreaker") or {}
    threshold = failure_threshold(cb, st.service.desired_count) if st is not None and cb.get("enable") else None
    return rec.to_dict(st, threshold, d.failed_tasks if d is not None else 0)


# -- the API -------------------------------------------------------------------
def _advance(backend, keys) -> None:
    now = state_of(backend).now()
    advance = hooks.owner_advancers.get("service")
    for key in dict.fromkeys(k for k in keys if k):
        if advance is not None:
            advance(backend, key, now)
        st = state_of(backend).services.get(key)
        if st is not None:
            refresh_service(backend, st)


def _arns_param(response, name: str) -> list[str]:
    arns = response._get_param(name) or []
    if len(arns) > DESCRIBE_MAX:
        raise InvalidParameterException(f"{name} can have at most {DESCRIBE_MAX} items.")
    return arns


def describe_service_deployments(self):
    """ECS API Reference, DescribeServiceDeployments: unknown ARNs come back
    in failures with reason MISSING."""
    backend = self.ecs_backend
    store = store_of(backend)
    arns = _arns_param(self, "serviceDeploymentArns")
    _advance(backend, [key_of_arn(a) for a in arns if a in store.deployments])
    found, failures = [], []
    for arn in arns:
        rec = store.deployments.get(arn)
        if rec is None:
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(describe(backend, rec))
    return ActionResult({"serviceDeployments": found, "failures": failures})


def describe_service_revisions(self):
    """ECS API Reference, DescribeServiceRevisions."""
    backend = self.ecs_backend
    store = store_of(backend)
    arns = _arns_param(self, "serviceRevisionArns")
    found, failures = [], []
    for arn in arns:
        rev = store.revisions.get(arn)
        if rev is None:
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(rev.to_dict())
    return ActionResult({"serviceRevisions": found, "failures": failures})


def _timestamp(value):
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(float(value), tz=timezone.utc)


def list_service_deployments(self):
    """ECS API Reference, ListServiceDeployments: filters status and
    createdAt (before / after); maxResults 1 to 100, default 20, with
    nextToken.  Newest first (an emulator choice; the order is not documented)."""
    from .tasks import _decode_token, _encode_token

    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    ref = self._get_param("service") or ""
    svc = backend._get_service(cluster.name, ref.split("/")[-1])  # ServiceNotFoundException
    key = f"{cluster.name}:{svc.name}"
    max_results = self._get_param("maxResults")
    if max_results is None:
        max_results = LIST_DEFAULT
    if not 1 <= int(max_results) <= LIST_MAX:
        raise InvalidParameterException(f"maxResults must be between 1 and {LIST_MAX}.")
    _advance(backend, [key])
    statuses = set(self._get_param("status") or [])
    created = self._get_param("createdAt") or {}
    before, after = _timestamp(created.get("before")), _timestamp(created.get("after"))
    recs = []
    for rec in reversed(store_of(backend).by_service.get(key, [])):
        if statuses and rec.status not in statuses:
            continue
        if before is not None and not rec.created_at < before:
            continue
        if after is not None and not rec.created_at > after:
            continue
        recs.append(rec)
    token = self._get_param("nextToken")
    offset = _decode_token(token) if token else 0
    page = recs[offset : offset + int(max_results)]
    body = {"serviceDeployments": [r.brief() for r in page]}
    if offset + int(max_results) < len(recs):
        body["nextToken"] = _encode_token(offset + int(max_results))
    return ActionResult(body)


def _record(self) -> ServiceDeployment:
    backend = self.ecs_backend
    arn = self._get_param("serviceDeploymentArn")
    rec = store_of(backend).deployments.get(arn)
    if rec is None:
        raise ServiceDeploymentNotFoundException()
    _advance(backend, [rec.key])
    return rec


def stop_service_deployment(self):
    """ECS API Reference, StopServiceDeployment: "ROLLBACK - This option rolls
    back the service deployment to the previous service revision. You can use
    this option even if you didn't configure the service deployment for the
    rollback option."  The reference lists ROLLBACK as the only valid
    stopType, so ABORT is refused."""
    backend = self.ecs_backend
    es = state_of(backend)
    rec = _record(self)
    stop_type = self._get_param("stopType") or "ROLLBACK"
    if stop_type != "ROLLBACK":
        raise InvalidParameterException("stopType: the valid values are ROLLBACK.")
    if rec.status not in RUNNING_STATUSES:
        raise ConflictException(f"The service deployment is {rec.status}; only one in progress can be stopped.")
    st = es.services[rec.key]
    now = es.now()
    roll_back(backend, st, rec, now, "Service deployment rolled back by StopServiceDeployment.")
    hooks.owner_touchers["service"](backend, rec.key, now)
    refresh_service(backend, st)
    return ActionResult({"serviceDeploymentArn": rec.arn})


def continue_service_deployment(self):
    """ECS API Reference, ContinueServiceDeployment: CONTINUE (the default)
    proceeds to the next lifecycle stage, ROLLBACK rolls back to the previous
    service revision; it acts on a hook that is paused (AWAITING_ACTION)."""
    backend = self.ecs_backend
    es = state_of(backend)
    rec = _record(self)
    hook_id = self._get_param("hookId")
    action = self._get_param("action") or "CONTINUE"
    if action not in ("CONTINUE", "ROLLBACK"):
        raise InvalidParameterException("action: the valid values are CONTINUE and ROLLBACK.")
    if rec.status != IN_PROGRESS or rec.walk is None:
        raise InvalidParameterException(f"The service deployment is {rec.status} and not paused at a lifecycle hook.")
    st = es.services[rec.key]
    now = es.now()
    lifecycle_stages.resolve_pause(backend, st, rec, hook_id, action, now)
    hooks.owner_touchers["service"](backend, rec.key, now)
    refresh_service(backend, st)
    return ActionResult({"serviceDeploymentArn": rec.arn})


# -- DescribeServices, CreateService, UpdateService ----------------------------
def _describe_services(orig):
    def describe_services(self, cluster_str, service_names_or_arns):
        es = state_of(self)
        with es.lock:
            services, failures = orig(self, cluster_str, service_names_or_arns)
            for svc in services:
                st = es.services.get(f"{svc.cluster_name}:{svc.name}")
                if st is not None and st.service is svc:
                    refresh_service(self, st)
            return services, failures

    return describe_services


def _refreshing(orig):
    def handler(self):
        result = orig(self)
        svc = result.result.get("service") if isinstance(result, ActionResult) else None
        if svc is not None:
            st = state_of(self.ecs_backend).services.get(f"{svc.cluster_name}:{svc.name}")
            if st is not None and st.service is svc:
                refresh_service(self.ecs_backend, st)
        return result

    return handler


def _forgetting(orig):
    def create_service(self):
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        key = f"{cluster.name}:{self._get_param('serviceName')}"
        old = backend.services.get(key)
        if old is not None and old.status == "INACTIVE":
            store_of(backend).forget_service(key)
        return orig(self)

    return create_service


def _stopping_on_delete(orig):
    def delete_service(self):
        result = orig(self)
        svc = result.result.get("service") if isinstance(result, ActionResult) else None
        if svc is not None:
            backend = self.ecs_backend
            rec = store_of(backend).current.get(f"{svc.cluster_name}:{svc.name}")
            if rec is not None and rec.status in RUNNING_STATUSES + (ROLLBACK_IN_PROGRESS,):
                # Emulator wording: DeleteService ends a deployment under way.
                rec.finish(STOPPED, state_of(backend).wall(state_of(backend).now()), "The service was deleted.")
                if rec.walk is not None:
                    rec.walk.end()
        return result

    return delete_service


ACTIONS = {
    "list_service_deployments": list_service_deployments,
    "describe_service_deployments": describe_service_deployments,
    "describe_service_revisions": describe_service_revisions,
    "stop_service_deployment": stop_service_deployment,
    "continue_service_deployment": continue_service_deployment,
}


def install() -> None:
    if on_deployment not in hooks.deployment_listeners:
        hooks.deployment_listeners.append(on_deployment)
    lifecycle_stages.install_hooks()
    for name, fn in ACTIONS.items():
        if not hasattr(EC2ContainerServiceResponse, name):
            setattr(EC2ContainerServiceResponse, name, fn)
    wrap(EC2ContainerServiceResponse, "create_service", _refreshing)
    wrap(EC2ContainerServiceResponse, "create_service", _forgetting)
    wrap(EC2ContainerServiceResponse, "update_service", _refreshing)
    wrap(EC2ContainerServiceResponse, "delete_service", _stopping_on_delete)
    wrap(EC2ContainerServiceBackend, "describe_services", _describe_services)
