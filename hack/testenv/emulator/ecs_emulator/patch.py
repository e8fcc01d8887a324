"""The entry point that installs the emulator into moto (idempotent).

Each behaviour is one module with an ``install()``; MODULES lists them in
the order they are installed.  The modules they build on (task_lifecycle,
task_registry, service_model, deployments, ...) patch nothing and are not
listed.  A new behaviour is one more module here plus its tests.  See docs/emulator.md, "Adding a module".
"""

from __future__ import annotations

import importlib
import threading

from moto.ecs.responses import EC2ContainerServiceResponse

from .state import state_of, wrap

MODULES = [
    "moto_fixes",  # moto bugs that stop tasks from being created
    "task_definitions",  # RegisterTaskDefinition fields moto drops
    "tasks",  # RunTask/StopTask/ListTasks/DescribeTasks
    "services",  # Create/Update/Delete/DescribeServices, with the deployment scheduler
    "controllers",  # CODE_DEPLOY and EXTERNAL services: refusals, task sets, the move to ECS
    "service_deployments",  # the service deployments API, blue/green, linear and canary stages
    "traffic",  # ELBv2 listener rules and IP targets of load-balanced services
    "alarms",  # deployment alarms: CloudWatch alarms that fail (and roll back) deployments
    "clusters",  # DescribeClusters counters
    "capacity_providers",  # Auto Scaling group and Managed Instances providers, their states and users
    "managed_instances",  # MANAGED_INSTANCES as a launch type and a compatibility
    "container_instances",  # EC2 capacity: instances of Auto Scaling group providers, task placement, GPUs
    "scaling_tags",  # tags on Application Auto Scaling scalable targets
    "schedules",  # EventBridge Scheduler schedules that run ECS tasks
]

_lock = threading.Lock()
_installed: list[str] = []


def _serialize_per_backend(orig):
    """moto's server is threaded; the emulator mutates state while answering.
    One ECS request at a time per backend (account + region), including the
    serialization of the response."""

    def call_action(self):
        try:
            backend = self.ecs_backend
        except Exception:
            return orig(self)
        with state_of(backend).lock:
            return orig(self)

    return call_action


def install() -> list[str]:
    with _lock:
        if _installed:
            return list(_installed)
        wrap(EC2ContainerServiceResponse, "call_action", _serialize_per_backend)
        for name in MODULES:
            module = importlib.import_module(f"{__package__}.{name}")
            module.install()
            _installed.append(name)
        return list(_installed)
