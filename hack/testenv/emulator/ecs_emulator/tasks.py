"""The task API: RunTask, StopTask, ListTasks and DescribeTasks.

RunTask lets moto create the tasks, then hands them to the emulator
(task_registry.adopt).  The other three are replaced: moto's ListTasks
ignores serviceName and the default desiredStatus and does not page, its
DescribeTasks searches every cluster and reports no failures, and its
StopTask answers HTTP 500 for an unknown task.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.responses import DESCRIBE_TASKS_TAGS, EC2ContainerServiceResponse

from .state import hooks, state_of, wrap
from .task_lifecycle import RUNNING, USER_INITIATED, is_emulated, life_of, request_stop
from .task_registry import adopt, advance_cluster, advance_task, find_task

LIST_TASKS_MAX_RESULTS = 100  # ECS API Reference, ListTasks.maxResults


def _run_task(orig):
    def run_task(self):
        backend = self.ecs_backend
        st = state_of(backend)
        now = st.now()
        # ECS API Reference, RunTask: clientToken makes the request idempotent.
        token = self._get_param("clientToken")
        if token and token in st.client_tokens:
            found = [st.tasks[i] for i in st.client_tokens[token] if i in st.tasks]
            for task in found:
                advance_task(backend, task, now)
            return ActionResult({"tasks": found, "failures": []})
        # ECS API Reference, RunTask: count, valid range 1-10.
        count = self._get_int_param("count", 1)
        if count < 1 or count > 10:
            raise InvalidParameterException("count must be between 1 and 10.")
        try:
            result = orig(self)
        except InvalidParameterException:
            raise
        except Exception as exc:
            if str(exc).startswith("No instances found in cluster"):
                # What ECS answers for the EC2 launch type without instances.
                raise InvalidParameterException("No Container Instances were found in your cluster.")
            raise
        task_definition = backend.describe_task_definition(self._get_param("taskDefinition"))
        tasks = result.result["tasks"]
        for task in tasks:
            adopt(backend, task, task_definition, now)
        if token and tasks:
            st.client_tokens[token] = [t.id for t in tasks]
        return result

    return run_task


def _stop_task(orig):
    def stop_task(self):
        backend = self.ecs_backend
        st = state_of(backend)
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        ref = self._get_param("task")
        task = find_task(backend, cluster.name, ref or "")
        if task is None:
            # What ECS answers (InvalidParameterException) for an unknown task.
            raise InvalidParameterException("The referenced task was not found.")
        if not is_emulated(task):
            return orig(self)
        now = st.now()
        advance_task(backend, task, now)
        # ECS API Reference, StopTask: reason shows up in stoppedReason;
        # ECS Developer Guide, stopped task error codes: UserInitiated.
        request_stop(backend, task, now, USER_INITIATED, self._get_param("reason"))
        owner = life_of(task).owner
        if owner is not None and owner[0] in hooks.owner_touchers:
            hooks.owner_touchers[owner[0]](backend, owner[1], now)
        return ActionResult({"task": task})

    return stop_task


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["o"])
    except Exception:
        raise InvalidParameterException("Invalid nextToken.")


def _list_tasks(orig):
    def list_tasks(self):
        """ECS API Reference, ListTasks: filters cluster, containerInstance,
        family, startedBy, serviceName, desiredStatus (default RUNNING: "the
        default status filter is RUNNING"), launchType; maxResults 1-100
        (default 100) with nextToken."""
        backend = self.ecs_backend
        st = state_of(backend)
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        service_name = self._get_param("serviceName")
        family = self._get_param("family")
        started_by = self._get_param("startedBy")
        container_instance = self._get_param("containerInstance")
        launch_type = self._get_param("launchType")
        desired = self._get_param("desiredStatus") or RUNNING
        max_results = self._get_param("maxResults")
        max_results = LIST_TASKS_MAX_RESULTS if max_results is None else int(max_results)
        if max_results < 1 or max_results > LIST_TASKS_MAX_RESULTS:
            raise InvalidParameterException("maxResults must be between 1 and 100.")
        now = st.now()
        service_key = None
        if service_name:
            service_key = f"{cluster.name}:{service_name.split('/')[-1]}"
            advancer = hooks.owner_advancers.get("service")
            if advancer is not None:
                advancer(backend, service_key, now)
        else:
            advance_cluster(backend, cluster.name, now)
        arns = []
        for task in list(backend.tasks.get(cluster.name, {}).values()):
            life = life_of(task)
            if service_key is not None:
                if life is not None:
                    if life.owner != ("service", service_key):
                        continue
                elif task.group != f"service:{service_key.split(':', 1)[1]}":
                    continue
            if family and task.task_definition_arn.split("/")[-1].rsplit(":", 1)[0] != family:
                continue
            if started_by and task.started_by != started_by:
                continue
            if container_instance and (task.container_instance_arn or "").split("/")[-1] != container_instance.split("/")[-1]:
                continue
            if launch_type and task.launch_type != launch_type:
                continue
            if task.desired_status != desired:
                continue
            arns.append(task.task_arn)
        token = self._get_param("nextToken")
        offset = _decode_token(token) if token else 0
        page = arns[offset : offset + max_results]
        body: dict[str, Any] = {"taskArns": page}
        if offset + max_results < len(arns):
            body["nextToken"] = _encode_token(offset + max_results)
        return ActionResult(body)

    return list_tasks


def _describe_tasks(orig):
    def describe_tasks(self):
        """ECS API Reference, DescribeTasks: tasks of the given cluster by id
        or ARN; unknown ones come back in failures with reason MISSING."""
        backend = self.ecs_backend
        st = state_of(backend)
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        refs = self._get_param("tasks", [])
        if not refs:
            raise InvalidParameterException("Tasks cannot be empty.")
        now = st.now()
        found, missing = [], []
        for ref in refs:
            task = find_task(backend, cluster.name, ref)
            if task is None:
                # ECS Developer Guide, "API failure reasons": MISSING.
                arn = ref if ref.startswith("arn:") else (
                    f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:task/{cluster.name}/{ref}"
                )
                missing.append({"arn": arn, "reason": "MISSING"})
            elif task not in found:
                found.append(task)
        for task in found:
            advance_task(backend, task, now)
        if "TAGS" in self._get_param("include", []):
            self._include_in_response(DESCRIBE_TASKS_TAGS)
        else:
            self._exclude_from_response(DESCRIBE_TASKS_TAGS)
        return ActionResult({"tasks": found, "failures": missing})

    return describe_tasks



def install() -> None:
    wrap(EC2ContainerServiceResponse, "run_task", _run_task)
    wrap(EC2ContainerServiceResponse, "stop_task", _stop_task)
    wrap(EC2ContainerServiceResponse, "list_tasks", _list_tasks)
    wrap(EC2ContainerServiceResponse, "describe_tasks", _describe_tasks)
