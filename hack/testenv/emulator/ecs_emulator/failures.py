"""Failure conventions: how a task definition asks the emulator to fail.

Read from the task definition after RunTask's ``overrides`` are applied
(ECS API Reference, ContainerOverride: ``command`` replaces the container's
command; ``environment`` adds variables or overrides ones of the same name).

1. Image that cannot be pulled - any container whose ``image`` contains
   ``does-not-exist`` (case-insensitive), in the name or the tag, e.g.
   ``nginx:does-not-exist`` or ``registry.example/does-not-exist/app:1``.
   The agent pulls every image before starting any container, so the task
   never reaches RUNNING: it stops with stopCode ``TaskFailedToStart`` and
   stoppedReason ``CannotPullContainerError: ...``, no exit code.
   (ECS Developer Guide, "Amazon ECS stopped task error codes":
   TaskFailedToStart; "CannotPullContainer task errors in Amazon ECS":
   CannotPullContainerError.)

2. A container that exits - either environment variables
       ECS_EMULATOR_EXIT_CODE=<int>      the exit code
       ECS_EMULATOR_RUN_SECONDS=<float>  emulated seconds in RUNNING first (default 0;
                                         set alone, the container exits 0 after it)
   or a command made only of ``sleep N``, ``exit C``, ``true`` and ``false``
   steps joined by ``;`` or ``&&`` (bare, or wrapped in ``sh -c`` /
   ``bash -c``), e.g. ``["exit", "3"]``, ``["sh", "-c", "sleep 5; exit 0"]``,
   ``["sleep", "20"]`` (exits 0 after 20 s).  Any other command runs until
   stopped.  Environment variables win over the command.
   When an *essential* container exits, the task stops with stopCode
   ``EssentialContainerExited``, stoppedReason ``Essential container in task
   exited`` and the container's exitCode (ECS Developer Guide, "Amazon ECS
   stopped task error codes": EssentialContainerExited; ECS API Reference,
   ContainerDefinition ``essential``: if an essential container stops, all
   other containers in the task are stopped).  A non-essential container
   that exits just reports its exitCode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PULL_FAILURE_MARKER = "does-not-exist"
ENV_EXIT_CODE = "ECS_EMULATOR_EXIT_CODE"
ENV_RUN_SECONDS = "ECS_EMULATOR_RUN_SECONDS"

SHELLS = {"sh", "/bin/sh", "bash", "/bin/bash", "/usr/bin/env sh"}
_SLEEP = re.compile(r"^sleep\s+(\d+(?:\.\d+)?)s?$")
_EXIT = re.compile(r"^exit\s+(-?\d+)$")
_SPLIT = re.compile(r"\s*(?:;|&&)\s*")


@dataclass
class ContainerPlan:
    name: str
    image: str
    essential: bool
    definition: dict[str, Any]
    pull_error: str | None = None
    exit_code: int | None = None  # None: runs until stopped
    run_seconds: float = 0.0


def docker_reference(image: str) -> str:
    """The fully qualified reference the agent resolves (docker.io defaults)."""
    ref = image
    first, _, rest = ref.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        ref = "docker.io/" + (ref if rest else "library/" + ref)
    last = ref.rsplit("/", 1)[-1]
    if "@" not in last and ":" not in last:
        ref += ":latest"
    return ref


def pull_error_for(image: str | None) -> str | None:
    if image and PULL_FAILURE_MARKER in image.lower():
        ref = docker_reference(image)
        # Wording as the agent reports a missing image (ECS Developer Guide,
        # "CannotPullContainer task errors in Amazon ECS").
        return (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            f"failed to resolve ref {ref}: {ref}: not found"
        )
    return None


def _command_plan(command: list[str] | None) -> tuple[int, float] | None:
    """(exit code, run seconds) for a command the convention understands."""
    if not command:
        return None
    parts = [str(p) for p in command]
    if len(parts) >= 3 and parts[0] in SHELLS and parts[1] == "-c":
        script = " ".join(parts[2:])
    else:
        script = " ".join(parts)
    steps = [s.strip() for s in _SPLIT.split(script.strip()) if s.strip()]
    if not steps:
        return None
    run = 0.0
    code: int | None = None
    for step in steps:
        if code is not None:
            break  # after `exit`, nothing runs
        m = _SLEEP.match(step)
        if m:
            run += float(m.group(1))
            continue
        m = _EXIT.match(step)
        if m:
            code = int(m.group(1)) & 0xFF
            continue
        if step == "true":
            code = 0
            continue
        if step == "false":
            code = 1
            continue
        return None  # something we do not understand: a long-running process
    return (0 if code is None else code), run


def _merge_overrides(cd: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    if not override:
        return cd
    merged = dict(cd)
    if override.get("command") is not None:
        merged["command"] = list(override["command"])
    if override.get("environment"):
        env = {e.get("name"): e.get("value") for e in cd.get("environment") or []}
        for e in override["environment"]:
            env[e.get("name")] = e.get("value")
        merged["environment"] = [{"name": k, "value": v} for k, v in env.items()]
    for key in ("cpu", "memory", "memoryReservation"):
        if override.get(key) is not None:
            merged[key] = override[key]
    return merged


def plan_task(task_definition: Any, overrides: dict[str, Any] | None) -> list[ContainerPlan]:
    """One plan per container of the task definition, overrides applied."""
    by_name = {
        o.get("name"): o for o in (overrides or {}).get("containerOverrides") or [] if o
    }
    plans = []
    for raw in task_definition.container_definitions:
        cd = _merge_overrides(raw, by_name.get(raw.get("name")))
        env = {e.get("name"): e.get("value") for e in cd.get("environment") or []}
        plan = ContainerPlan(
            name=cd.get("name"),
            image=cd.get("image"),
            essential=cd.get("essential", True) is not False,
            definition=cd,
            pull_error=pull_error_for(cd.get("image")),
        )
        from_command = _command_plan(cd.get("command"))
        if from_command is not None:
            plan.exit_code, plan.run_seconds = from_command
        if env.get(ENV_EXIT_CODE) not in (None, ""):
            try:
                plan.exit_code = int(env[ENV_EXIT_CODE]) & 0xFF
                plan.run_seconds = 0.0
            except ValueError:
                pass
        if env.get(ENV_RUN_SECONDS) not in (None, ""):
            try:
                plan.run_seconds = max(0.0, float(env[ENV_RUN_SECONDS]))
                if plan.exit_code is None:
                    plan.exit_code = 0  # runs that long, then exits cleanly
            except ValueError:
                pass
        plans.append(plan)
    return plans


def describe() -> dict[str, Any]:
    return {
        "pull_failure": f"image containing '{PULL_FAILURE_MARKER}'",
        "exit": f"env {ENV_EXIT_CODE}=<code> [{ENV_RUN_SECONDS}=<s>] or command of sleep/exit/true/false steps",
    }
