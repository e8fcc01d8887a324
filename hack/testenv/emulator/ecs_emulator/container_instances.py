"""Container instances for EC2 capacity, and placing tasks on them.

moto registers a container instance only when asked (RegisterContainerInstance),
gives every one the same 4096 CPU units and 7482 MiB whatever its instance type,
knows no GPUs, and places tasks first-fit without placement strategies or
constraints.  A service's tasks (deployments.py) it does not place at all.  The
emulator follows the ECS Developer Guide instead:

Capacity
  - EC2 Auto Scaling User Guide, "Availability Zone distribution": a group
    "attempts to distribute instances evenly between the Availability Zones that
    are enabled" for it.  moto launches every instance in the first subnet of
    VPCZoneIdentifier; the emulator moves each new instance to the subnets in
    turn, so the group's instances span its zones.
  - "Amazon ECS capacity providers for EC2 workloads": the instances of the
    Auto Scaling group behind a capacity provider register with the clusters
    that use the provider.  An InService instance of the group of a provider the
    cluster lists becomes a container instance of the cluster, with the
    provider as its capacityProviderName, when the cluster is next asked to
    place a task or described.
  - An instance the group no longer has (scaled in, terminated) leaves the
    cluster once no task runs on it, and registeredContainerInstancesCount
    follows (moto never lowers it).  DeleteCluster is refused with
    ClusterContainsContainerInstancesException while instances are registered
    (ECS API Reference, DeleteCluster: "You must deregister all container
    instances from this cluster before you may delete it").
  - "Container instance memory management" and "Amazon ECS task definitions for
    GPU workloads": an instance registers its CPU as 1,024 units per vCPU, its
    memory in MiB, and each of its GPUs (as the GPU resource, by GPU ID).  The
    instance type's vCPUs, memory and GPUs come from moto's EC2 instance type
    data.  The share of memory the operating system keeps is not modelled.

Placement of a service's tasks ("How Amazon ECS places tasks on container
instances"; RunTask's tasks moto places first fit on the registered instances,
without RunTask's placement strategies and constraints)
  - A task needs the CPU and memory of its containers (or the task's, when the
    task sets them), the GPUs its containers' resourceRequirements ask for, and
    its static host ports (a hostPort of 0 is dynamic and reserves nothing).
  - Constraints: distinctInstance (no other task of the same group on the
    instance) and memberOf with the cluster query expressions
    ``attribute:NAME == V``, ``!=``, ``in [..]``, ``not_in [..]`` and ``=~``
    (a regex), joined by ``and`` ("Define which container instances Amazon ECS
    uses for tasks").  Other expressions are refused as ECS refuses an
    expression it cannot parse (InvalidParameterException).
  - Strategies in order, each narrowing the candidates: spread(field) keeps the
    instances whose field value has the fewest tasks of the group;
    binpack(cpu|memory) keeps those with the least of it left; random keeps
    them all (the emulator then takes the first by container instance ID, so
    runs repeat).  Without a strategy ECS spreads over availability zones.
  - No instance fits: the service reports ECS's event "was unable to place a
    task because no container instance met all of its requirements" and tries
    again later.
  - A task releases what it reserved when it reaches STOPPED; describing the
    container instances brings the cluster's tasks up to the emulated time first.
"""

from __future__ import annotations

import re

from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends
from moto.core.exceptions import ServiceException
from moto.ec2.models.instance_types import INSTANCE_TYPES
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend

from .state import hooks, state_of, wrap
from .task_lifecycle import STOPPED
from .task_registry import advance_cluster

UNABLE_TO_PLACE = "was unable to place a task because no container instance met all of its requirements."
DEFAULT_SPREAD = [{"type": "spread", "field": "attribute:ecs.availability-zone"}]


def _group_name(provider) -> str | None:
    arn = (provider.auto_scaling_group_provider or {}).get("autoScalingGroupArn", "")
    return arn.split("autoScalingGroupName/")[-1] if arn else None


def _resource(name: str, value) -> dict:
    if isinstance(value, list):
        return {"name": name, "type": "STRINGSET", "stringSetValue": list(value), "integerValue": 0,
                "doubleValue": 0.0, "longValue": 0}
    return {"name": name, "type": "INTEGER", "integerValue": value, "doubleValue": 0.0, "longValue": 0}


def _register(backend, cluster_name: str, instance, provider_name: str) -> None:
    ci = backend.register_container_instance(cluster_name, instance.id)
    spec = INSTANCE_TYPES.get(instance.instance_type, {})
    cpu = spec.get("VCpuInfo", {}).get("DefaultVCpus", 4) * 1024
    memory = spec.get("MemoryInfo", {}).get("SizeInMiB", 7482)
    gpus = sum(g.get("Count", 0) for g in spec.get("GpuInfo", {}).get("Gpus", []))
    gpu_ids = [f"GPU-{instance.id}-{i}" for i in range(gpus)]
    ports = ["22", "2376", "2375", "51678", "51679"]  # what the ECS agent holds, as moto registers
    ci.registered_resources = [_resource("CPU", cpu), _resource("MEMORY", memory), _resource("PORTS", ports),
                               _resource("PORTS_UDP", [])]
    ci.remaining_resources = [_resource("CPU", cpu), _resource("MEMORY", memory), _resource("PORTS", ports),
                              _resource("PORTS_UDP", [])]
    if gpu_ids:
        ci.registered_resources.append(_resource("GPU", gpu_ids))
        ci.remaining_resources.append(_resource("GPU", gpu_ids))
    ci.capacity_provider_name = provider_name


def sync(backend, cluster) -> None:
    """Register the InService instances of the cluster's Auto Scaling group providers,
    and deregister the ones the groups no longer have (scaled in or terminated) once no
    task runs on them."""
    groups = autoscaling_backends[backend.account_id][backend.region_name].autoscaling_groups
    registered = {ci.ec2_instance_id for ci in backend.container_instances.get(cluster.name, {}).values()}
    in_service: set[str] = set()
    for name in cluster.capacity_providers or []:
        provider = backend.capacity_providers.get(name)
        if provider is None or getattr(provider, "type", "EC2_AUTOSCALING") != "EC2_AUTOSCALING":
            continue
        group = groups.get(_group_name(provider) or "")
        for state in getattr(group, "instance_states", []):
            if state.lifecycle_state != "InService":
                continue
            in_service.add(state.instance.id)
            if state.instance.id not in registered:
                _register(backend, cluster.name, state.instance, name)
                registered.add(state.instance.id)
    busy = {
        t.container_instance_arn
        for t in backend.tasks.get(cluster.name, {}).values()
        if t.status != STOPPED and getattr(t, "container_instance_arn", None)
    }
    # moto replaces an empty per-cluster map when it registers the first instance.
    instances = backend.container_instances.get(cluster.name, {})
    for ci_id, ci in list(instances.items()):
        gone = getattr(ci, "capacity_provider_name", None) and ci.ec2_instance_id not in in_service
        if gone and ci.container_instance_arn not in busy:
            del instances[ci_id]
    # moto counts registrations and never deregistrations.
    cluster.registered_container_instances_count = sum(1 for ci in instances.values() if ci.status == "ACTIVE")


def requirements(task_definition) -> dict:
    """What one task of the revision reserves on an instance."""
    containers = task_definition.container_definitions
    cpu = sum(int(c.get("cpu") or 0) for c in containers)
    memory = sum(int(c.get("memory") or c.get("memoryReservation") or 0) for c in containers)
    if task_definition.cpu:
        cpu = max(cpu, int(task_definition.cpu))
    if task_definition.memory:
        memory = max(memory, int(task_definition.memory))
    gpus = sum(
        int(r.get("value", 0))
        for c in containers
        for r in c.get("resourceRequirements") or []
        if r.get("type") == "GPU"
    )
    ports = [
        p["hostPort"]
        for c in containers
        for p in c.get("portMappings") or []
        if p.get("hostPort") and p.get("protocol", "tcp") == "tcp"
    ]
    return {"CPU": cpu, "MEMORY": memory, "PORTS": ports, "PORTS_UDP": [], "GPU": gpus}


def _remaining(ci, name: str):
    for resource in ci.remaining_resources:
        if resource["name"] == name:
            return resource
    return None


def _fits(ci, need: dict) -> bool:
    cpu = _remaining(ci, "CPU")["integerValue"]
    memory = _remaining(ci, "MEMORY")["integerValue"]
    gpu = _remaining(ci, "GPU")
    free_gpus = len(gpu["stringSetValue"]) if gpu else 0
    taken = set(_remaining(ci, "PORTS")["stringSetValue"])
    return (
        need["CPU"] <= cpu
        and need["MEMORY"] <= memory
        and need["GPU"] <= free_gpus
        and not any(str(p) in taken for p in need["PORTS"])
    )


def _attribute(ci, name: str) -> str | None:
    if name == "ecs.instance-id":
        return ci.ec2_instance_id
    return ci.attributes.get(name)


_TERM = re.compile(r"^attribute:([\w.\-]+)\s*(==|!=|=~|not_in|in)\s*(.+)$")


def _matches(ci, expression: str) -> bool:
    for term in re.split(r"\s+and\s+", expression.strip()):
        found = _TERM.match(term.strip())
        if not found:
            raise InvalidParameterException(f"Unsupported placement constraint expression: {expression}")
        name, op, value = found.groups()
        actual = _attribute(ci, name)
        value = value.strip()
        if op in ("in", "not_in"):
            values = [v.strip() for v in value.strip("[]()").split(",")]
            ok = (actual in values) == (op == "in")
        elif op == "=~":
            ok = actual is not None and re.fullmatch(value.replace("*", ".*"), actual) is not None
        else:
            ok = (actual == value) == (op == "==")
        if not ok:
            return False
    return True


def _tasks_on(backend, cluster_name: str, group: str) -> list:
    return [
        t
        for t in backend.tasks.get(cluster_name, {}).values()
        if t.group == group and t.status != STOPPED and getattr(t, "container_instance_arn", None)
    ]


def _field(ci, field: str) -> str | None:
    if field in ("instanceId", "host"):
        return ci.ec2_instance_id
    return _attribute(ci, field.split(":", 1)[1]) if field.startswith("attribute:") else None


def place(backend, cluster, need: dict, group: str, constraints, strategies):
    """The container instance a task of `group` goes on, or None."""
    sync(backend, cluster)
    candidates = [
        ci
        for _, ci in sorted(backend.container_instances.get(cluster.name, {}).items())
        if ci.status == "ACTIVE" and _fits(ci, need)
    ]
    peers = _tasks_on(backend, cluster.name, group)
    for constraint in constraints or []:
        if constraint.get("type") == "distinctInstance":
            used = {t.container_instance_arn for t in peers}
            candidates = [ci for ci in candidates if ci.container_instance_arn not in used]
        elif constraint.get("type") == "memberOf":
            candidates = [ci for ci in candidates if _matches(ci, constraint.get("expression", ""))]
    by_arn = {ci.container_instance_arn: ci for ci in backend.container_instances.get(cluster.name, {}).values()}
    for strategy in strategies or DEFAULT_SPREAD:
        if not candidates:
            break
        kind, field = strategy.get("type"), strategy.get("field", "")
        if kind == "spread":
            counts: dict = {}
            for t in peers:
                ci = by_arn.get(t.container_instance_arn)
                if ci is not None:
                    key = _field(ci, field)
                    counts[key] = counts.get(key, 0) + 1
            least = min(counts.get(_field(ci, field), 0) for ci in candidates)
            candidates = [ci for ci in candidates if counts.get(_field(ci, field), 0) == least]
        elif kind == "binpack":
            resource = "CPU" if field.lower() == "cpu" else "MEMORY"
            least = min(_remaining(ci, resource)["integerValue"] for ci in candidates)
            candidates = [ci for ci in candidates if _remaining(ci, resource)["integerValue"] == least]
    return candidates[0] if candidates else None


def reserve(backend, task, ci, need: dict) -> None:
    """Take what the task needs from the instance it was placed on. CPU, memory and
    ports come back through task.resource_requirements when the task stops
    (task_lifecycle), as for the tasks moto places; GPUs through _release."""
    task.resource_requirements = {k: v for k, v in need.items() if k != "GPU"}
    backend.update_container_instance_resources(ci, task.resource_requirements)
    gpu = _remaining(ci, "GPU")
    task._emu_gpus = []
    if gpu and need["GPU"]:
        task._emu_gpus = gpu["stringSetValue"][: need["GPU"]]
        gpu["stringSetValue"] = gpu["stringSetValue"][need["GPU"]:]
    task._emu_instance = ci
    task.container_instance_arn = ci.container_instance_arn
    task.availability_zone = ci.attributes.get("ecs.availability-zone", task.availability_zone)


def _release(backend, task, old_status, new_status, at) -> None:
    ci = getattr(task, "_emu_instance", None)
    if new_status != STOPPED or ci is None:
        return
    task._emu_instance = None
    gpu = _remaining(ci, "GPU")
    if gpu is not None:
        gpu["stringSetValue"] += getattr(task, "_emu_gpus", [])


def is_ec2(backend, launch_type: str | None, provider_name: str | None) -> bool:
    """Whether the task runs on container instances (EC2 or an Auto Scaling group provider)."""
    if launch_type:
        return launch_type == "EC2"
    provider = backend.capacity_providers.get(provider_name or "")
    return provider is not None and getattr(provider, "type", "EC2_AUTOSCALING") == "EC2_AUTOSCALING"


def _describe_clusters(orig):
    def describe_clusters(self, *args, **kwargs):
        es = state_of(self)
        with es.lock:
            for cluster in self.clusters.values():
                if cluster.status == "ACTIVE":
                    sync(self, cluster)
        return orig(self, *args, **kwargs)

    return describe_clusters


def _current(orig):
    """What the cluster's instances are and have left depends on its groups and its
    tasks: bring both up to now first."""

    def current(self, cluster_str, *args, **kwargs):
        es = state_of(self)
        with es.lock:
            name = cluster_str.split("/")[-1]
            advance_cluster(self, name, es.now())
            cluster = self.clusters.get(name)
            if cluster is not None:
                sync(self, cluster)
            return orig(self, cluster_str, *args, **kwargs)

    return current


def _run_task(orig):
    """RunTask on EC2 capacity: the cluster's instances are registered first, then
    moto places the tasks (first fit)."""

    def run_task(self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type, *rest):
        strategy = (list(rest) + [None] * 4)[3]
        cluster = self._get_cluster(cluster_str)
        chosen = strategy or ([] if launch_type else cluster.default_capacity_provider_strategy) or []
        provider = chosen[0].get("capacityProvider") if chosen else None
        if is_ec2(self, launch_type, provider):
            sync(self, cluster)
        return orig(self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type, *rest)

    return run_task


def _balanced(orig):
    def replace_autoscaling_group_instances(self, count_needed, propagated_tags):
        before = len(self.instance_states)
        orig(self, count_needed, propagated_tags)
        subnets = [s for s in (self.vpc_zone_identifier or "").split(",") if s]
        if len(subnets) < 2:
            return
        ec2 = self.autoscaling_backend.ec2_backend
        for i, state in enumerate(self.instance_states[before:], start=before):
            subnet = ec2.get_subnet(subnets[i % len(subnets)])
            # The network interface stays where moto made it; the zone is what ECS reads.
            state.instance._subnet_id = subnet.id
            state.instance._placement.zone = subnet.availability_zone

    return replace_autoscaling_group_instances


class ClusterContainsContainerInstancesException(ServiceException):
    code = "ClusterContainsContainerInstancesException"


def _delete_cluster(orig):
    def delete_cluster(self, cluster_str):
        es = state_of(self)
        with es.lock:
            cluster = self._get_cluster(cluster_str)
            sync(self, cluster)
            if cluster.registered_container_instances_count > 0:
                raise ClusterContainsContainerInstancesException(
                    "The Cluster cannot be deleted while Container Instances are active or draining."
                )
            return orig(self, cluster_str)

    return delete_cluster


def install() -> None:
    wrap(FakeAutoScalingGroup, "replace_autoscaling_group_instances", _balanced)
    if _release not in hooks.task_listeners:
        hooks.task_listeners.append(_release)
    wrap(EC2ContainerServiceBackend, "describe_clusters", _describe_clusters)
    wrap(EC2ContainerServiceBackend, "run_task", _run_task)
    wrap(EC2ContainerServiceBackend, "delete_cluster", _delete_cluster)
    wrap(EC2ContainerServiceBackend, "describe_container_instances", _current)
    wrap(EC2ContainerServiceBackend, "list_container_instances", _current)
