"""Capacity providers as ECS keeps them: Auto Scaling group providers and
ECS Managed Instances providers, with their states and the rules that tie
them to clusters and services.

moto 5.2.5 parses only ``autoScalingGroupProvider`` (a ``managedInstancesProvider``
fails with a TypeError, HTTP 500), answers DeleteCapacityProvider of a missing
name with HTTP 500, forgets a provider at once and never checks what uses it.
The emulator answers the four capacity provider actions itself, from moto's
store (``backend.capacity_providers``), and follows the ECS API Reference:

CreateCapacityProvider
  - The name "can't be prefixed with aws, ecs, or fargate" and names one
    provider per account and region (the ARN is ``capacity-provider/NAME``):
    ClientException otherwise.  Exactly one of ``autoScalingGroupProvider`` and
    ``managedInstancesProvider`` (InvalidParameterException).
  - A Managed Instances provider needs ``cluster`` ("This is required for
    Managed instances", CapacityProvider.cluster) and "becomes available only
    within the specified cluster": it is added to that cluster's
    capacityProviders at once.  It starts PROVISIONING with updateStatus
    CREATE_IN_PROGRESS and is ACTIVE / CREATE_COMPLETE after PROVISION_SECONDS
    of emulated time ("Only capacity providers in an ACTIVE state can be used
    in a cluster").  An Auto Scaling group provider is ACTIVE at once.
  - ``type`` is EC2_AUTOSCALING or MANAGED_INSTANCES (CapacityProviderType).

UpdateCapacityProvider
  - Managed Instances providers "can only be updated within their associated
    cluster" (``cluster`` must name it; ClientException).  The update shape
    (UpdateManagedInstancesProviderConfiguration) has no capacityOptionType,
    fipsEnabled or nitroEnclavesEnabled: those keep their created values; the
    launch template's other fields replace what was there when sent.
    updateStatus is UPDATE_IN_PROGRESS, then UPDATE_COMPLETE after
    UPDATE_SECONDS.  Auto Scaling group updates apply at once (moto), and
    managedDraining is kept as sent too.

DeleteCapacityProvider
  - FARGATE and FARGATE_SPOT "are reserved and can't be deleted"; "the capacity
    provider must be removed from the capacity provider strategy from all
    services"; "only capacity providers that aren't associated with a cluster
    can be deleted" (Auto Scaling group providers); a Managed Instances
    provider "can only be deleted from their associated cluster".  Each is a
    ClientException.  A deleted provider is DEPROVISIONING (Managed Instances)
    or stays ACTIVE, with updateStatus DELETE_IN_PROGRESS, then INACTIVE /
    DELETE_COMPLETE after DEPROVISION_SECONDS ("When a capacity provider is
    successfully deleted, it has an INACTIVE status"); a Managed Instances
    provider then leaves its cluster.  An INACTIVE provider is still described
    and its name may be used again.

DescribeCapacityProviders
  - Up to 100 names; unknown ones are failures with reason MISSING; without
    names, every provider.  ``cluster`` returns "only capacity providers
    associated with this cluster, including Amazon ECS Managed Instances
    capacity providers".  Tags only with ``include: [TAGS]``.

PutClusterCapacityProviders
  - "Amazon ECS Managed Instances doesn't support this": a cluster's Managed
    Instances providers stay associated whatever the call lists.  A listed
    provider must exist and be ACTIVE (or be FARGATE / FARGATE_SPOT;
    InvalidParameterException, as the API reference's Errors list it); one that
    is left out while tasks of the cluster still use it is refused: "You can
    only disassociate an existing capacity provider from a cluster if it's not
    being used by any existing tasks" (ResourceInUseException).

CreateService, UpdateService and RunTask
  - "The capacity provider must be associated with the cluster to be used in
    a capacity provider strategy" (CapacityProviderStrategyItem): a strategy
    naming one the cluster does not list is an InvalidParameterException.

DeleteCluster
  - ClusterContainsCapacityProviderException while the cluster has a Managed
    Instances provider that is not INACTIVE ("You must first delete all
    capacity providers from the cluster before you can delete the cluster").
"""

from __future__ import annotations

import copy

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecs.exceptions import ClusterNotFoundException, EcsClientException, InvalidParameterException
from moto.ecs.models import CapacityProvider, EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from .state import state_of, wrap
from .task_lifecycle import STOPPED

PROVISION_SECONDS = 30.0
UPDATE_SECONDS = 10.0
DEPROVISION_SECONDS = 30.0
RESERVED = ("FARGATE", "FARGATE_SPOT")
RESERVED_PREFIXES = ("aws", "ecs", "fargate")
DESCRIBE_LIMIT = 100
# Create-only fields of a Managed Instances launch template (absent from
# InstanceLaunchTemplateUpdate).
CREATE_ONLY = ("capacityOptionType", "fipsEnabled", "nitroEnclavesEnabled")


class ResourceInUseException(ServiceException):
    code = "ResourceInUseException"


class ClusterContainsCapacityProviderException(ServiceException):
    code = "ClusterContainsCapacityProviderException"


def _timers(backend) -> dict:
    """Provider name -> (what, due): the change in flight and when it ends."""
    return state_of(backend).ext.setdefault("capacity_providers", {})


def _find(backend, name_or_arn: str):
    for provider in backend.capacity_providers.values():
        if name_or_arn in (provider.name, provider.capacity_provider_arn):
            return provider
    return None


def _cluster_name(ref: str | None) -> str | None:
    return ref.split("/")[-1] if ref else None


def advance(backend, now: float) -> None:
    """Finish every create, update and delete whose time has come."""
    timers = _timers(backend)
    for name, (what, due) in list(timers.items()):
        if now < due:
            continue
        del timers[name]
        provider = backend.capacity_providers.get(name)
        if provider is None:
            continue
        if what == "create":
            provider.status, provider.update_status = "ACTIVE", "CREATE_COMPLETE"
        elif what == "update":
            provider.update_status = "UPDATE_COMPLETE"
        else:
            provider.status, provider.update_status = "INACTIVE", "DELETE_COMPLETE"
            for cluster in backend.clusters.values():
                _disassociate(cluster, name)


def _disassociate(cluster, name: str) -> None:
    cluster.capacity_providers = [p for p in cluster.capacity_providers or [] if p != name]
    cluster.default_capacity_provider_strategy = [
        item for item in cluster.default_capacity_provider_strategy or [] if item.get("capacityProvider") != name
    ]


def _managed_instances_in(backend, cluster_name: str) -> list:
    return [
        p
        for p in backend.capacity_providers.values()
        if getattr(p, "type", None) == "MANAGED_INSTANCES"
        and p.cluster == cluster_name
        and p.status != "INACTIVE"
    ]


def _services_using(backend, name: str) -> list[str]:
    return sorted(
        svc.name
        for svc in backend.services.values()
        if svc.status != "INACTIVE"
        and any(item.get("capacityProvider") == name for item in getattr(svc, "capacity_provider_strategy", None) or [])
    )


def _tasks_using(backend, cluster_name: str, name: str) -> bool:
    return any(
        getattr(task, "capacity_provider_name", None) == name and task.last_status != STOPPED
        for task in backend.tasks.get(cluster_name, {}).values()
    )


def _shape(provider, with_tags: bool) -> dict:
    shape = {
        "capacityProviderArn": provider.capacity_provider_arn,
        "name": provider.name,
        "status": provider.status,
        "type": getattr(provider, "type", "EC2_AUTOSCALING"),
    }
    optional = {
        "cluster": getattr(provider, "cluster", None),
        "autoScalingGroupProvider": provider.auto_scaling_group_provider,
        "managedInstancesProvider": getattr(provider, "managed_instances_provider", None),
        "updateStatus": provider.update_status,
        "updateStatusReason": getattr(provider, "update_status_reason", None),
    }
    shape.update({k: v for k, v in optional.items() if v})
    if with_tags and provider.tags:
        shape["tags"] = provider.tags
    return shape


def _create(self) -> ActionResult:
    backend = self.ecs_backend
    es = state_of(backend)
    name = self._get_param("name")
    cluster_ref = self._get_param("cluster")
    asg = self._get_param("autoScalingGroupProvider")
    managed = self._get_param("managedInstancesProvider")
    tags = self._get_param("tags") or []
    with es.lock:
        now = es.now()
        advance(backend, now)
        if name.lower().startswith(RESERVED_PREFIXES):
            raise EcsClientException(
                'The capacity provider name can\'t be prefixed with "aws", "ecs", or "fargate".'
            )
        existing = backend.capacity_providers.get(name)
        if existing is not None and existing.status != "INACTIVE":
            raise EcsClientException(f"The specified capacity provider {name} already exists.")
        if bool(asg) == bool(managed):
            raise InvalidParameterException(
                "Exactly one of autoScalingGroupProvider and managedInstancesProvider must be specified."
            )
        if asg:
            provider = backend.create_capacity_provider(name, copy.deepcopy(asg), tags)
            provider.type = "EC2_AUTOSCALING"
            provider.cluster = None
            provider.managed_instances_provider = None
            return ActionResult({"capacityProvider": _shape(provider, True)})
        cluster_name = _cluster_name(cluster_ref)
        if not cluster_name:
            raise InvalidParameterException("A cluster is required for a Managed Instances capacity provider.")
        cluster = backend.clusters.get(cluster_name)
        if cluster is None or cluster.status == "INACTIVE":
            raise ClusterNotFoundException()
        provider = CapacityProvider.__new__(CapacityProvider)
        provider.capacity_provider_arn = (
            f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:capacity-provider/{name}"
        )
        provider.name = name
        provider.status = "PROVISIONING"
        provider.update_status = "CREATE_IN_PROGRESS"
        provider.tags = tags
        provider.type = "MANAGED_INSTANCES"
        provider.cluster = cluster_name
        provider.auto_scaling_group_provider = None
        provider.managed_instances_provider = copy.deepcopy(managed)
        backend.capacity_providers[name] = provider
        if name not in (cluster.capacity_providers or []):
            cluster.capacity_providers = [*(cluster.capacity_providers or []), name]
        _timers(backend)[name] = ("create", now + PROVISION_SECONDS)
        return ActionResult({"capacityProvider": _shape(provider, True)})


def _live(backend, ref: str):
    provider = _find(backend, ref)
    if provider is None or provider.status == "INACTIVE":
        raise EcsClientException("The specified capacity provider does not exist.")
    return provider


def _in_its_cluster(provider, cluster_ref: str | None, action: str) -> None:
    if getattr(provider, "type", None) == "MANAGED_INSTANCES" and _cluster_name(cluster_ref) != provider.cluster:
        raise EcsClientException(
            f"The Managed Instances capacity provider {provider.name} can only be {action} "
            f"within its cluster {provider.cluster}."
        )


def _update(self) -> ActionResult:
    backend = self.ecs_backend
    es = state_of(backend)
    with es.lock:
        now = es.now()
        advance(backend, now)
        provider = _live(backend, self._get_param("name"))
        _in_its_cluster(provider, self._get_param("cluster"), "updated")
        asg = self._get_param("autoScalingGroupProvider")
        managed = self._get_param("managedInstancesProvider")
        if provider.type == "MANAGED_INSTANCES":
            if asg or not managed:
                raise InvalidParameterException(
                    "A Managed Instances capacity provider is updated with managedInstancesProvider only."
                )
            current = provider.managed_instances_provider
            template = dict(current.get("instanceLaunchTemplate", {}))
            template.update(managed.get("instanceLaunchTemplate", {}))
            for field in CREATE_ONLY:
                if field in current.get("instanceLaunchTemplate", {}):
                    template[field] = current["instanceLaunchTemplate"][field]
            updated = {**current, **copy.deepcopy(managed), "instanceLaunchTemplate": template}
            provider.managed_instances_provider = updated
            provider.update_status = "UPDATE_IN_PROGRESS"
            _timers(backend)[provider.name] = ("update", now + UPDATE_SECONDS)
        else:
            if managed or not asg:
                raise InvalidParameterException(
                    "An Auto Scaling group capacity provider is updated with autoScalingGroupProvider only."
                )
            provider.update(copy.deepcopy(asg))
            if "managedDraining" in asg:
                provider.auto_scaling_group_provider["managedDraining"] = asg["managedDraining"]
        return ActionResult({"capacityProvider": _shape(provider, False)})


def _delete(self) -> ActionResult:
    backend = self.ecs_backend
    es = state_of(backend)
    ref = self._get_param("capacityProvider")
    with es.lock:
        now = es.now()
        advance(backend, now)
        if ref in RESERVED:
            raise EcsClientException(f"The {ref} capacity provider is reserved and can't be deleted.")
        provider = _live(backend, ref)
        _in_its_cluster(provider, self._get_param("cluster"), "deleted")
        users = _services_using(backend, provider.name)
        if users:
            raise EcsClientException(
                f"The capacity provider {provider.name} is in the capacity provider strategy of "
                f"services {', '.join(users)}; remove it from them first."
            )
        if provider.type != "MANAGED_INSTANCES":
            clusters = sorted(
                c.name
                for c in backend.clusters.values()
                if c.status != "INACTIVE" and provider.name in (c.capacity_providers or [])
            )
            if clusters:
                raise EcsClientException(
                    f"The capacity provider {provider.name} is associated with clusters "
                    f"{', '.join(clusters)}; remove it with PutClusterCapacityProviders first."
                )
        if provider.update_status != "DELETE_IN_PROGRESS":
            if provider.type == "MANAGED_INSTANCES":
                provider.status = "DEPROVISIONING"
            provider.update_status = "DELETE_IN_PROGRESS"
            _timers(backend)[provider.name] = ("delete", now + DEPROVISION_SECONDS)
        return ActionResult({"capacityProvider": _shape(provider, False)})


def _describe(self) -> ActionResult:
    backend = self.ecs_backend
    es = state_of(backend)
    names = self._get_param("capacityProviders") or []
    cluster_name = _cluster_name(self._get_param("cluster"))
    with_tags = "TAGS" in (self._get_param("include") or [])
    if len(names) > DESCRIBE_LIMIT:
        raise InvalidParameterException(f"Up to {DESCRIBE_LIMIT} capacity providers can be described in an action.")
    with es.lock:
        advance(backend, es.now())
        if cluster_name is not None:
            cluster = backend.clusters.get(cluster_name)
            if cluster is None:
                raise ClusterNotFoundException()
            associated = set(cluster.capacity_providers or [])
        found, failures = [], []
        for name in names or [p.name for p in backend.capacity_providers.values()]:
            provider = _find(backend, name)
            if provider is None:
                failures.append(
                    {
                        "arn": f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:capacity-provider/{name}",
                        "reason": "MISSING",
                    }
                )
                continue
            if cluster_name is not None and provider.name not in associated and provider.cluster != cluster_name:
                continue
            found.append(_shape(provider, with_tags))
        return ActionResult({"capacityProviders": found, "failures": failures})


def _put_cluster_capacity_providers(orig):
    def put_cluster_capacity_providers(self, cluster_name, capacity_providers, default_capacity_provider_strategy):
        es = state_of(self)
        with es.lock:
            advance(self, es.now())
            cluster = self._get_cluster(cluster_name)
            listed = list(capacity_providers or [])
            for name in listed:
                if name in RESERVED:
                    continue
                provider = _find(self, name)
                if provider is None or provider.status != "ACTIVE":
                    raise InvalidParameterException(
                        f"The specified capacity provider {name} is not in an ACTIVE state. "
                        "Specify a valid capacity provider and try again."
                    )
                if provider.type == "MANAGED_INSTANCES" and provider.cluster != cluster.name:
                    raise EcsClientException(
                        f"The Managed Instances capacity provider {name} belongs to cluster {provider.cluster}."
                    )
            managed = [p.name for p in _managed_instances_in(self, cluster.name)]
            for name in cluster.capacity_providers or []:
                if name not in listed and name not in managed and _tasks_using(self, cluster.name, name):
                    raise ResourceInUseException("The specified capacity provider is in use and cannot be removed.")
            listed += [m for m in managed if m not in listed]
            return orig(self, cluster_name, listed, default_capacity_provider_strategy)

    return put_cluster_capacity_providers


def _delete_cluster(orig):
    def delete_cluster(self, cluster_str):
        es = state_of(self)
        with es.lock:
            advance(self, es.now())
            cluster = self._get_cluster(cluster_str)
            managed = _managed_instances_in(self, cluster.name)
            if managed:
                raise ClusterContainsCapacityProviderException(
                    "The cluster contains one or more capacity providers that prevent the requested "
                    f"operation: {', '.join(p.name for p in managed)}. Delete them first."
                )
            return orig(self, cluster_str)

    return delete_cluster


NOT_ASSOCIATED = (
    "The specified capacity provider strategy cannot contain a capacity provider that is not "
    "associated with the cluster. Associate the capacity provider with the cluster or specify a "
    "valid capacity provider and try again."
)


def _strategy_checked(orig):
    def checked(self):
        strategy = self._get_param("capacityProviderStrategy")
        if strategy:
            backend = self.ecs_backend
            es = state_of(backend)
            with es.lock:
                advance(backend, es.now())
                name = _cluster_name(self._get_param("cluster")) or "default"
                cluster = backend.clusters.get(name)
                associated = set(cluster.capacity_providers or []) if cluster else set()
                if any(item.get("capacityProvider") not in associated for item in strategy):
                    raise InvalidParameterException(NOT_ASSOCIATED)
        return orig(self)

    return checked


def install() -> None:
    for name, action in (
        ("create_capacity_provider", _create),
        ("update_capacity_provider", _update),
        ("delete_capacity_provider", _delete),
        ("describe_capacity_providers", _describe),
    ):
        wrap(EC2ContainerServiceResponse, name, lambda _orig, action=action: action)
    for name in ("create_service", "update_service", "run_task"):
        wrap(EC2ContainerServiceResponse, name, _strategy_checked)
    wrap(EC2ContainerServiceBackend, "put_cluster_capacity_providers", _put_cluster_capacity_providers)
    wrap(EC2ContainerServiceBackend, "delete_cluster", _delete_cluster)
