"""EventBridge Scheduler schedules that fire: a schedule whose target is an ECS
cluster runs its task through the emulator's task path each time its
expression comes due on the emulator's calendar (schedule_expressions.py,
clock.Clock.calendar_now).

moto stores schedules and schedule groups and never runs them.  This module
adds, after the Amazon EventBridge Scheduler API Reference and User Guide:
- CreateSchedule and UpdateSchedule refuse an expression, time zone or ECS
  target Scheduler refuses (ValidationException): an ECS target needs
  EcsParameters.TaskDefinitionArn, TaskCount is 1-10 (Scheduler API
  Reference, EcsParameters), and Input must be a RunTask TaskOverride in JSON
  (Scheduler reports "Unable to convert target input to TaskOverride").
- A schedule in a group that does not exist is ResourceNotFoundException, a
  second group of one name ConflictException, and deleting an unknown group
  ResourceNotFoundException (moto answers HTTP 500 or replaces the group).
- An ENABLED schedule runs RunTask on the target cluster at each time its
  expression names between StartDate and EndDate (User Guide, "Schedule
  types"): TaskCount tasks of TaskDefinitionArn (a family ARN without a
  revision runs the latest ACTIVE one), with LaunchType, NetworkConfiguration,
  PlatformVersion, CapacityProviderStrategy, Group (default family:<family>,
  as RunTask's), Input as the overrides, and EcsParameters.Tags (a list of
  maps, each entry one tag key and value) as the tasks' tags; PropagateTags
  TASK_DEFINITION adds the task definition's tags.  EcsParameters has no
  startedBy, so the tasks have none.  A DISABLED schedule runs nothing, and
  enabling it does not run the times it missed.
- A one-time schedule with ActionAfterCompletion DELETE is deleted once it
  ran, as a recurring one once its EndDate passed (API Reference,
  CreateSchedule ActionAfterCompletion).
Not modelled: FlexibleTimeWindow (runs come at the window's start), retries,
dead-letter queues and KMS keys (stored, never used), and invocation failures
(a run whose cluster or task definition is gone is skipped and counted in the
schedule's emulator record).

Lazy, like the rest: due runs start when a request looks at the target
cluster's tasks (ListTasks, DescribeClusters) or at the schedule (GetSchedule,
ListSchedules), each at the emulated instant its time maps to, so a run that
was due while nobody looked has walked through its lifecycle since.  At most
RUNS_PER_LOOK of the missed times run per look (the latest ones).
"""

from __future__ import annotations

import json
from typing import Any

from moto.ecs.exceptions import TaskDefinitionNotFoundException
from moto.ecs.models import ecs_backends
from moto.scheduler.exceptions import ScheduleGroupNotFound, ValidationException
from moto.scheduler.models import EventBridgeSchedulerBackend, Schedule
from moto.core.exceptions import JsonRESTError

from . import schedule_expressions as expressions
from .state import hooks, state_of, wrap
from .task_registry import launch_task

RUNS_PER_LOOK = 100
TASK_COUNT_MAX = 10  # Scheduler API Reference, EcsParameters.TaskCount: 1-10
_EXT = "schedules"
_OVERRIDE_KEYS = {
    "containerOverrides", "cpu", "memory", "ephemeralStorage", "executionRoleArn",
    "inferenceAcceleratorOverrides", "taskRoleArn",
}


class _Life:
    """What the emulator keeps of one schedule: when it was last brought up to date."""

    def __init__(self, anchor: float, checked_until: float):
        self.anchor = anchor  # a rate schedule's first run
        self.checked_until = checked_until  # calendar instant up to which runs are done
        self.runs: list[dict[str, Any]] = []  # each run: at, task ARNs
        self.skipped: list[dict[str, Any]] = []  # runs that could not start, and why


class _Conflict(JsonRESTError):
    def __init__(self, name: str) -> None:
        super().__init__("ConflictException", f"Schedule group {name} already exists.")


def _ecs_target(target: dict[str, Any]) -> tuple[str, str, str] | None:
    """(account, region, cluster name) of an ECS cluster target, else None."""
    arn = (target or {}).get("Arn", "")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "ecs" or not parts[5].startswith("cluster/"):
        return None
    return parts[4], parts[3], parts[5].split("/", 1)[1]


def _ecs_state(target):
    account, region, cluster = _ecs_target(target)
    backend = ecs_backends[account][region]
    return backend, state_of(backend), cluster


def _validate(expression: str, tz: str | None, target: dict[str, Any]) -> None:
    try:
        expressions.parse(expression, tz)
    except expressions.ExpressionError as exc:
        raise ValidationException(str(exc))
    if _ecs_target(target) is None:
        return
    ecs = target.get("EcsParameters")
    if not ecs or not ecs.get("TaskDefinitionArn"):
        raise ValidationException("EcsParameters.TaskDefinitionArn is required for an Amazon ECS target.")
    count = ecs.get("TaskCount", 1)
    if not isinstance(count, int) or not 1 <= count <= TASK_COUNT_MAX:
        raise ValidationException("EcsParameters.TaskCount must be between 1 and 10.")
    if target.get("Input") is not None:
        _overrides(target["Input"])


def _overrides(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValidationException(f"Unable to convert target input to TaskOverride, JSON syntax error in input: {exc}")
    if not isinstance(value, dict) or set(value) - _OVERRIDE_KEYS:
        raise ValidationException("Unable to convert target input to TaskOverride.")
    return value


def _index(schedule: Schedule, add: bool) -> None:
    if _ecs_target(schedule.target) is None:
        return
    _, st, cluster = _ecs_state(schedule.target)
    by_cluster = st.ext.setdefault(_EXT, {})
    if add:
        by_cluster.setdefault(cluster, {})[schedule.arn] = schedule
    else:
        by_cluster.get(cluster, {}).pop(schedule.arn, None)


def _start(schedule: Schedule, enabled_before: bool) -> None:
    """(Re)read a created or updated schedule: from now on it runs what comes due."""
    if _ecs_target(schedule.target) is None:
        return
    _, st, _ = _ecs_state(schedule.target)
    now = st.clock.calendar_now()
    old = getattr(schedule, "_emu", None)
    start = expressions.epoch(schedule.start_date)
    anchor = start if start is not None else (old.anchor if old else now)
    if old is None:
        # The first run of a rate schedule without StartDate is now: start just before it.
        life = _Life(anchor, min(anchor, now) - 1e-6)
    else:
        life = old
        life.anchor = anchor
        if not enabled_before:
            life.checked_until = now  # enabling does not run what was missed
    schedule._emu = life


def _create_schedule(orig):
    def create_schedule(self, **kwargs):
        group = kwargs.get("group_name") or "default"
        if group not in self.schedule_groups:
            raise ScheduleGroupNotFound(group)
        _validate(kwargs.get("schedule_expression"), kwargs.get("schedule_expression_timezone"), kwargs.get("target"))
        schedule = orig(self, **kwargs)
        _start(schedule, enabled_before=True)
        _index(schedule, add=True)
        return schedule

    return create_schedule


def _update_schedule(orig):
    def update_schedule(self, **kwargs):
        _validate(kwargs.get("schedule_expression"), kwargs.get("schedule_expression_timezone"), kwargs.get("target"))
        before = self.get_schedule(kwargs.get("group_name"), kwargs["name"])
        _fire(before)
        was_enabled = before.state == "ENABLED"
        _index(before, add=False)
        schedule = orig(self, **kwargs)
        schedule.state = kwargs.get("state") or "ENABLED"
        _start(schedule, enabled_before=was_enabled)
        _index(schedule, add=True)
        return schedule

    return update_schedule


def _delete_schedule(orig):
    def delete_schedule(self, group_name, name):
        schedule = self.get_schedule(group_name, name)  # runs what came due before the delete
        _index(schedule, add=False)
        return orig(self, group_name, name)

    return delete_schedule


def _get_schedule(orig):
    def get_schedule(self, group_name, name):
        schedule = orig(self, group_name, name)
        if _fire(schedule):
            return orig(self, group_name, name)  # raises: it deleted itself after its last run
        return schedule

    return get_schedule


def _list_schedules(orig):
    def list_schedules(self, *args, **kwargs):
        for group in list(self.schedule_groups.values()):
            for schedule in list(group.schedules.values()):
                _fire(schedule)
        return orig(self, *args, **kwargs)

    return list_schedules


def _create_schedule_group(orig):
    def create_schedule_group(self, name, tags):
        if name in self.schedule_groups:
            raise _Conflict(name)
        return orig(self, name, tags)

    return create_schedule_group


def _delete_schedule_group(orig):
    def delete_schedule_group(self, name):
        group = self.schedule_groups.get(name or "default")
        if group is None:
            raise ScheduleGroupNotFound(name or "default")
        for schedule in list(group.schedules.values()):
            _fire(schedule)
            _index(schedule, add=False)
        return orig(self, name)

    return delete_schedule_group


def _fire(schedule: Schedule) -> bool:
    """Run what came due of one schedule; True if it deleted itself afterwards."""
    life = getattr(schedule, "_emu", None)
    if life is None or _ecs_target(schedule.target) is None:
        return False
    backend, st, cluster_name = _ecs_state(schedule.target)
    with st.lock:
        now = st.clock.calendar_now()
        if now <= life.checked_until:
            return False
        expr = expressions.parse(schedule.schedule_expression, schedule.schedule_expression_timezone)
        after, until = life.checked_until, now
        if not isinstance(expr, expressions.At):
            start = expressions.epoch(schedule.start_date)
            end = expressions.epoch(schedule.end_date)
            if start is not None:
                after = max(after, start - 1e-6)
            if end is not None:
                until = min(until, end)
        due = expr.due(life.anchor, after, until) if schedule.state == "ENABLED" and until > after else []
        life.checked_until = now
        for at in due[-RUNS_PER_LOOK:]:
            _run(backend, st, cluster_name, schedule, at)
        finished = isinstance(expr, expressions.At) and expr.instant <= now
        end = expressions.epoch(schedule.end_date)
        finished = finished or (not isinstance(expr, expressions.At) and end is not None and end <= now)
    if finished and schedule.action_after_completion == "DELETE":
        from moto.scheduler.models import scheduler_backends

        _index(schedule, add=False)
        account, region = schedule.arn.split(":")[4], schedule.arn.split(":")[3]
        scheduler_backends[account][region].schedule_groups[schedule.group_name].schedules.pop(schedule.name, None)
        return True
    return False


def _run(backend, st, cluster_name: str, schedule: Schedule, at: float) -> None:
    ecs = schedule.target.get("EcsParameters") or {}
    record: dict[str, Any] = {"at": at}
    cluster = backend.clusters.get(cluster_name)
    try:
        if cluster is None:
            raise LookupError(f"cluster {cluster_name} not found")
        task_definition = backend.describe_task_definition(ecs["TaskDefinitionArn"])
    except (LookupError, TaskDefinitionNotFoundException) as exc:
        record["reason"] = str(exc) or "task definition not found"
        schedule._emu.skipped.append(record)
        return
    tags = [{"key": k, "value": v} for entry in ecs.get("Tags") or [] for k, v in entry.items()]
    if ecs.get("PropagateTags") == "TASK_DEFINITION":
        tags = list(task_definition.tags or []) + tags
    if ecs.get("EnableECSManagedTags"):
        # ECS Developer Guide, "Tagging your resources": managed tags name the cluster.
        tags.append({"key": "aws:ecs:clusterName", "value": cluster.name})
    network = (ecs.get("NetworkConfiguration") or {}).get("awsvpcConfiguration")
    network_configuration = None
    if network:
        network_configuration = {"awsvpcConfiguration": {
            "subnets": network.get("Subnets", []),
            "securityGroups": network.get("SecurityGroups", []),
            "assignPublicIp": network.get("AssignPublicIp", "DISABLED"),
        }}
    strategy = ecs.get("CapacityProviderStrategy") or []
    overrides = _overrides(schedule.target["Input"]) if schedule.target.get("Input") else {}
    sim = st.clock.sim_at_calendar(at)
    arns = []
    for _ in range(ecs.get("TaskCount", 1)):
        task = launch_task(
            backend,
            cluster,
            task_definition,
            sim,
            group=ecs.get("Group") or f"family:{task_definition.family}",
            started_by=None,
            overrides=overrides,
            tags=tags,
            launch_type=ecs.get("LaunchType"),
            network_configuration=network_configuration,
            platform_version=ecs.get("PlatformVersion"),
            capacity_provider_name=strategy[0]["capacityProvider"] if strategy else None,
        )
        arns.append(task.task_arn)
    record["tasks"] = arns
    schedule._emu.runs.append(record)


def _fire_cluster(backend, cluster_name: str, now: float) -> None:
    for schedule in list(state_of(backend).ext.get(_EXT, {}).get(cluster_name, {}).values()):
        _fire(schedule)


def install() -> None:
    wrap(EventBridgeSchedulerBackend, "create_schedule", _create_schedule)
    wrap(EventBridgeSchedulerBackend, "update_schedule", _update_schedule)
    wrap(EventBridgeSchedulerBackend, "delete_schedule", _delete_schedule)
    wrap(EventBridgeSchedulerBackend, "get_schedule", _get_schedule)
    wrap(EventBridgeSchedulerBackend, "list_schedules", _list_schedules)
    wrap(EventBridgeSchedulerBackend, "create_schedule_group", _create_schedule_group)
    wrap(EventBridgeSchedulerBackend, "delete_schedule_group", _delete_schedule_group)
    hooks.cluster_advancers.append(_fire_cluster)
