"""Cluster counters that follow the tasks.

DescribeClusters first brings the cluster's services and tasks up to the
current emulated time, then reports (ECS API Reference, Cluster):
  runningTasksCount  tasks whose lastStatus is RUNNING
  pendingTasksCount  tasks whose lastStatus is PENDING (PROVISIONING and
                     ACTIVATING counted with them)
  activeServicesCount services whose status is ACTIVE
moto keeps these as running sums it never decrements correctly; the
emulator recounts them from the tasks instead.
"""

from __future__ import annotations

from moto.ecs.models import EC2ContainerServiceBackend

from .state import state_of, wrap
from .task_lifecycle import PENDING_STATES, RUNNING
from .task_registry import advance_cluster


def recount(backend, cluster) -> None:
    running = pending = 0
    for task in backend.tasks.get(cluster.name, {}).values():
        status = task.status
        if status == RUNNING:
            running += 1
        elif status in PENDING_STATES:
            pending += 1
    cluster.running_tasks_count = running
    cluster.pending_tasks_count = pending
    cluster.active_services_count = sum(
        1
        for svc in backend.services.values()
        if svc.cluster_name == cluster.name and svc.status == "ACTIVE"
    )


def _describe_clusters(orig):
    def describe_clusters(self, cluster_names):
        es = state_of(self)
        with es.lock:
            clusters, failures = orig(self, cluster_names)
            now = es.now()
            for cluster in clusters:
                advance_cluster(self, cluster.name, now)
                recount(self, cluster)
            return clusters, failures

    return describe_clusters


def install() -> None:
    wrap(EC2ContainerServiceBackend, "describe_clusters", _describe_clusters)
