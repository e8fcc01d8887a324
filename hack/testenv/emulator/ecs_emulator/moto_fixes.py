"""moto 5.2.5 bugs that keep moto from creating the tasks the emulator runs
(RunTask's and the services').  Each is patched at the narrowest point, so
moto still does the rest."""

from __future__ import annotations

from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ecs.models import EC2ContainerServiceBackend

from .state import wrap


def _patch_resource_requirements() -> None:
    """moto sums container memory with ``+=`` and fails (TypeError -> HTTP 500)
    when a container has neither memory nor memoryReservation - valid when
    the task-level memory is set (ECS API Reference, ContainerDefinition
    memory: required only if no task-level memory).  Treat a missing
    container value as 0 and fall back to the task-level cpu/memory."""

    def make(orig):
        def _calculate_task_resource_requirements(task_definition):
            cds = []
            for cd in task_definition.container_definitions:
                if not any(cd.get(k) is not None for k in ("memory", "Memory", "memoryReservation", "MemoryReservation")):
                    cd = dict(cd, memory=0)
                cds.append(cd)

            class _View:
                container_definitions = cds

            req = orig(_View)
            if not req.get("MEMORY") and getattr(task_definition, "memory", None):
                req["MEMORY"] = int(task_definition.memory)
            if not req.get("CPU") and getattr(task_definition, "cpu", None):
                req["CPU"] = int(task_definition.cpu)
            return req

        return _calculate_task_resource_requirements

    wrap(EC2ContainerServiceBackend, "_calculate_task_resource_requirements", make)


def _patch_eni_dns_name() -> None:
    """moto's Task reads ``eni.private_dns_name``, which moto's
    NetworkInterface only sets when the VPC has DNS hostnames enabled, so
    RunTask on an awsvpc task answers HTTP 500.  A class-level default of
    None lets the task be created; task_registry.adopt() fills in the name
    ECS reports."""
    if not hasattr(NetworkInterface, "private_dns_name"):
        NetworkInterface.private_dns_name = None  # type: ignore[attr-defined]


def install() -> None:
    _patch_resource_requirements()
    _patch_eni_dns_name()
