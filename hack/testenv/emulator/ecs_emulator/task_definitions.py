"""Task definition fields moto drops at registration.

ECS API Reference, RegisterTaskDefinition: ``enableFaultInjection`` turns on
fault injection for the task's containers and "the default value is false";
DescribeTaskDefinition returns it with the revision (TaskDefinition
enableFaultInjection).  moto 5.2.5 neither reads nor returns it, so a revision
registered with it would look changed at every read.
"""

from __future__ import annotations

from moto.ecs.responses import EC2ContainerServiceResponse

from .state import wrap


def _register_task_definition(orig):
    def register_task_definition(self):
        result = orig(self)
        revision = result.result["taskDefinition"]
        revision.enable_fault_injection = bool(self._get_param("enableFaultInjection", False))
        return result

    return register_task_definition


def install() -> None:
    wrap(EC2ContainerServiceResponse, "register_task_definition", _register_task_definition)
