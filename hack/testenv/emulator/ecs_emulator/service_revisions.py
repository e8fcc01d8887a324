"""The records of the service deployments API: ServiceRevision and
ServiceDeployment (ECS API Reference, ServiceRevision, ServiceDeployment;
ECS Developer Guide, "Amazon ECS service revisions" and "View service history
using Amazon ECS service deployments"), kept per backend in
``state_of(backend).ext["service_deployments"]``.

A revision is what one scheduler deployment (service_model.Deployment) runs:
the task definition and the environment it was started with.  A service
deployment moves a service from its source revisions to a target revision.
service_deployments.py creates and moves them; lifecycle_stages.py walks the
blue/green, linear and canary stages.  Nothing here patches moto.
"""

from __future__ import annotations

import copy
import string
from typing import Any

from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition

from .state import state_of

# ServiceDeployment.status values (ECS API Reference, ServiceDeployment).
PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED = "PENDING", "IN_PROGRESS", "SUCCESSFUL", "STOPPED"
STOP_REQUESTED, ROLLBACK_REQUESTED = "STOP_REQUESTED", "ROLLBACK_REQUESTED"
ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED = (
    "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED",
)
# StopServiceDeployment and ContinueServiceDeployment act on these.
RUNNING_STATUSES = (PENDING, IN_PROGRESS)
ID_ALPHABET = string.ascii_letters + string.digits


class Revision:
    """ECS API Reference, ServiceRevision: the service's configuration when a
    deployment started."""

    def __init__(self, backend, st, d, created):
        svc = st.service
        cluster, name = st.key.split(":", 1)
        # The ids ECS shows are 19 digits (ECS Developer Guide, "Amazon ECS
        # service revisions", example ARNs); the emulator draws them at random.
        self.id = str(mock_random.randint(10**18, 10**19 - 1))
        self.arn = _arn(backend, "service-revision", cluster, name, self.id)
        self.key = st.key
        self.service_arn = svc.arn
        self.cluster_arn = _cluster_arn(backend, cluster)
        self.task_definition = d.task_definition
        self.launch_type = d.launch_type
        self.capacity_provider_strategy = d.capacity_provider_strategy
        self.platform_version = d.platform_version
        self.platform_family = d.platform_family
        self.network_configuration = copy.deepcopy(d.network_configuration)
        self.load_balancers = copy.deepcopy(getattr(svc, "load_balancers", None) or []) or None
        self.service_registries = copy.deepcopy(getattr(svc, "service_registries", None) or []) or None
        self.service_connect_configuration = copy.deepcopy(getattr(svc, "service_connect_configuration", None))
        self.created_at = created
        try:
            td = backend.describe_task_definition(d.task_definition)
            self.container_images = [
                {"containerName": c.get("name"), "image": c.get("image")} for c in td.container_definitions
            ]
        except Exception:
            self.container_images = []
        # Scheduler deployments running this revision's tasks.
        self.deployment_ids: list[str] = [d.id]

    def counts(self, st) -> tuple[int, int, int]:
        """requestedTaskCount, runningTaskCount, pendingTaskCount, from the
        scheduler deployments that run this revision."""
        req = run = pend = 0
        for d in st.deployments:
            if d.id in self.deployment_ids:
                req += d.desired_count
                run += d.running_count
                pend += d.pending_count
        return req, run, pend

    def to_dict(self) -> dict[str, Any]:
        out = {
            "serviceRevisionArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "taskDefinition": self.task_definition,
            "capacityProviderStrategy": self.capacity_provider_strategy,
            "launchType": self.launch_type,
            "platformVersion": self.platform_version,
            "platformFamily": self.platform_family,
            "loadBalancers": self.load_balancers,
            "serviceRegistries": self.service_registries,
            "networkConfiguration": self.network_configuration,
            "containerImages": self.container_images,
            "guardDutyEnabled": False,
            "serviceConnectConfiguration": self.service_connect_configuration,
            "createdAt": self.created_at,
        }
        return {k: v for k, v in out.items() if v is not None}


class ServiceDeployment:
    """ECS API Reference, ServiceDeployment."""

    def __init__(self, backend, st, target: Revision, sources: list[Revision], config: dict, created):
        cluster, name = st.key.split(":", 1)
        # ECS's ids are 21 letters and digits (ECS API Reference,
        # DescribeServiceDeployments examples); drawn at random.
        self.id = "".join(mock_random.choice(ID_ALPHABET) for _ in range(21))
        self.arn = _arn(backend, "service-deployment", cluster, name, self.id)
        self.key = st.key
        self.service_arn = st.service.arn
        self.cluster_arn = _cluster_arn(backend, cluster)
        self.created_at = self.started_at = self.updated_at = created
        self.finished_at = self.stopped_at = None
        self.target = target
        self.sources = sources
        self.status = IN_PROGRESS
        self.status_reason: str | None = None
        self.config = copy.deepcopy(config)
        self.strategy = self.config.get("strategy") or "ROLLING"
        self.rollback: dict[str, Any] | None = None
        self.circuit_breaker_triggered = False
        # The deployment alarms that failed it (alarms.py).
        self.triggered_alarms: list[str] = []
        # lifecycle_stages.Walk for BLUE_GREEN / LINEAR / CANARY, else None.
        self.walk = None
        # Traffic weights (percent) of target and sources; None while the
        # strategy shifts no traffic (ROLLING).
        self.test_weight: float | None = None
        self.production_weight: float | None = None

    @property
    def lifecycle_stage(self) -> str | None:
        return self.walk.stage if self.walk is not None else None

    def touch(self, when) -> None:
        self.updated_at = when

    def finish(self, status: str, when, reason: str | None = None) -> None:
        self.status = status
        if reason is not None:
            self.status_reason = reason
        self.updated_at = when
        if status in (STOPPED, ROLLBACK_FAILED):
            self.stopped_at = when
        else:
            self.finished_at = when

    def _summary(self, rev: Revision, st, weights: tuple[float | None, float | None]) -> dict[str, Any]:
        req, run, pend = rev.counts(st) if st is not None else (0, 0, 0)
        out = {"arn": rev.arn, "requestedTaskCount": req, "runningTaskCount": run, "pendingTaskCount": pend}
        if weights[0] is not None:
            out["requestedTestTrafficWeight"] = float(weights[0])
        if weights[1] is not None:
            out["requestedProductionTrafficWeight"] = float(weights[1])
        return out

    def to_dict(self, st, threshold: int | None, failed_tasks: int) -> dict[str, Any]:
        tw, pw = self.test_weight, self.production_weight
        n = max(1, len(self.sources))
        rest = lambda w: None if w is None else (100.0 - w) / n  # noqa: E731
        cb = self.config.get("deploymentCircuitBreaker") or {}
        alarms = self.config.get("alarms") or {}
        done = self.status not in RUNNING_STATUSES + (ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, STOP_REQUESTED)
        monitor = "MONITORING_COMPLETE" if done else "MONITORING"
        out = {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "stoppedAt": self.stopped_at,
            "updatedAt": self.updated_at,
            "sourceServiceRevisions": [self._summary(r, st, (rest(tw), rest(pw))) for r in self.sources],
            "targetServiceRevision": self._summary(self.target, st, (tw, pw)),
            "status": self.status,
            "statusReason": self.status_reason,
            "lifecycleStage": self.lifecycle_stage,
            "lifecycleHookDetails": self.walk.hook_details() if self.walk is not None else None,
            "deploymentConfiguration": self.config,
            "rollback": self.rollback,
            # ECS API Reference, ServiceDeploymentCircuitBreaker /
            # ServiceDeploymentAlarms: DISABLED when not in use.
            "deploymentCircuitBreaker": {
                "status": "TRIGGERED" if self.circuit_breaker_triggered else (monitor if cb.get("enable") else "DISABLED"),
                "failureCount": failed_tasks,
                "threshold": threshold,
            },
            "alarms": {
                "status": "TRIGGERED" if self.triggered_alarms else (monitor if alarms.get("enable") else "DISABLED"),
                "alarmNames": list(alarms.get("alarmNames") or []),
                "triggeredAlarmNames": list(self.triggered_alarms),
            },
        }
        return {k: v for k, v in out.items() if v is not None}

    def brief(self) -> dict[str, Any]:
        # ECS API Reference, ServiceDeploymentBrief.
        out = {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "startedAt": self.started_at,
            "createdAt": self.created_at,
            "finishedAt": self.finished_at,
            "targetServiceRevisionArn": self.target.arn,
            "status": self.status,
            "statusReason": self.status_reason,
        }
        return {k: v for k, v in out.items() if v is not None}


class Store:
    """Every service deployment and revision of one backend."""

    def __init__(self) -> None:
        self.deployments: dict[str, ServiceDeployment] = {}  # by ARN
        self.revisions: dict[str, Revision] = {}  # by ARN
        self.by_service: dict[str, list[ServiceDeployment]] = {}  # "cluster:service" -> oldest first
        self.revision_of: dict[str, Revision] = {}  # scheduler deployment id -> revision
        self.record_of: dict[str, ServiceDeployment] = {}  # scheduler deployment id -> service deployment
        self.current: dict[str, ServiceDeployment] = {}  # "cluster:service" -> current

    def forget_service(self, key: str) -> None:
        """A service created again under the same name starts a new history."""
        for rec in self.by_service.pop(key, []):
            self.deployments.pop(rec.arn, None)
        for arn in [a for a, r in self.revisions.items() if r.key == key]:
            self.revisions.pop(arn)
        self.current.pop(key, None)


def store_of(backend) -> Store:
    ext = state_of(backend).ext
    if "service_deployments" not in ext:
        ext["service_deployments"] = Store()
    return ext["service_deployments"]


def _arn(backend, kind: str, cluster: str, service: str, ident: str) -> str:
    region = backend.region_name
    return f"arn:{get_partition(region)}:ecs:{region}:{backend.account_id}:{kind}/{cluster}/{service}/{ident}"


def _cluster_arn(backend, cluster: str) -> str:
    c = backend.clusters.get(cluster)
    if c is not None:
        return c.arn
    region = backend.region_name
    return f"arn:{get_partition(region)}:ecs:{region}:{backend.account_id}:cluster/{cluster}"


def key_of_arn(arn: str) -> str | None:
    """"cluster:service" from a service-deployment or service-revision ARN."""
    parts = (arn or "").split(":", 5)
    if len(parts) != 6:
        return None
    path = parts[5].split("/")
    if len(path) != 4 or path[0] not in ("service-deployment", "service-revision"):
        return None
    return f"{path[1]}:{path[2]}"
