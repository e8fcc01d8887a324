"""Per-backend emulator state, the hook registry modules talk through, and
the helper every module uses to patch moto.

All emulator state hangs off moto's ECS backend object for one account and
region (``moto.ecs.models.ecs_backends[account][region]``).  moto's reset
(``POST /moto-api/reset``) calls ``backend.reset()``, which empties the
object's ``__dict__``, and then drops the backends, so every piece of
emulator state - the clock included - goes with it and the next request
starts from the defaults.  Accounts and regions never share state.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections import defaultdict
from typing import Any, Callable

from .clock import Clock

_ATTR = "_ecs_emulator_state"
_CREATE_LOCK = threading.Lock()


class EmulatorState:
    """Everything the emulator adds to one ECS backend."""

    def __init__(self, backend: Any):
        self.account_id = backend.account_id
        self.region_name = backend.region_name
        # One request at a time per backend (moto's server is threaded).
        self.lock = threading.RLock()
        self.clock = Clock()
        # Emulated tasks by task id (services' and RunTask's).
        self.tasks: dict[str, Any] = {}
        # Cluster name -> ids of tasks that no service owns (RunTask).
        self.standalone: dict[str, set[str]] = defaultdict(set)
        # RunTask clientToken -> ids of the tasks that request started.
        self.client_tokens: dict[str, list[str]] = {}
        # CreateService clientToken -> "cluster:service" it created.
        self.service_client_tokens: dict[str, str] = {}
        # "cluster:service" -> service_model.ServiceState
        self.services: dict[str, Any] = {}
        # Cluster name -> service keys, so a cluster-wide request only
        # advances that cluster's services.
        self.cluster_services: dict[str, set[str]] = defaultdict(set)
        # Free slots for later modules: ext["<module>"] = whatever it needs.
        self.ext: dict[str, Any] = {}

    def now(self) -> float:
        return self.clock.now()

    def wall(self, sim: float):
        return self.clock.wall_datetime(sim)

    def expected_wall(self, sim: float):
        return self.clock.expected_wall_datetime(sim)


def state_of(backend: Any) -> EmulatorState:
    state = backend.__dict__.get(_ATTR)
    if state is None:
        with _CREATE_LOCK:
            state = backend.__dict__.get(_ATTR)
            if state is None:
                state = EmulatorState(backend)
                backend.__dict__[_ATTR] = state
    return state


class Hooks:
    """How modules reach each other without importing each other.

    owner_advancers[kind](backend, key, now): bring everything owned by
        (kind, key) - e.g. ("service", "cluster:name") - up to emulated time now.
    owner_touchers[kind](backend, key, now): the owner's tasks changed outside
        its own control (StopTask); let it react at now.
    cluster_advancers: [fn(backend, cluster_name, now)] - bring a whole
        cluster's owners up to now (ListTasks, DescribeClusters).
    task_listeners: [fn(backend, task, old_status, new_status, at)] - called
        on every lastStatus change of an emulated task.
    deployment_listeners: [fn(backend, service_state, kind, deployment, at)] -
        the scheduler started ("started"), finished ("completed") or failed
        ("failed") a deployment (service_model.Deployment).
    service_steppers: [fn(backend, service_state, at)] - run before each
        scheduler pass of a service at emulated time at.
    service_timers: [fn(backend, service_state, after) -> float | None] - the
        next emulated time at which a stepper has something to do.
    scheduler_policy: fn(backend, service_state, primary, at) -> None | "hold" |
        "scale_up": None is the rolling update; "hold" launches and drains
        nothing; "scale_up" launches the PRIMARY to desiredCount regardless of
        maximumPercent and drains nothing.  Neither completes the deployment.
    traffic_listeners: [fn(backend, service_state, service_deployment, at)] -
        a service deployment's requested test or production traffic weights
        changed (a shift, or a rollback that sends traffic back).
    staged_rollback: fn(backend, service_state, deployment, at, reason) -> bool -
        a failure detector (circuit breaker, alarms) failed deployment with
        rollback on: True if the lifecycle walk rolled it back itself (the source
        revision serves again), False for the rolling update's rollback (a new
        deployment of the last COMPLETED one's task definition).
    """

    def __init__(self) -> None:
        self.owner_advancers: dict[str, Callable] = {}
        self.owner_touchers: dict[str, Callable] = {}
        self.cluster_advancers: list[Callable] = []
        self.task_listeners: list[Callable] = []
        self.deployment_listeners: list[Callable] = []
        self.service_steppers: list[Callable] = []
        self.service_timers: list[Callable] = []
        self.scheduler_policy: Callable | None = None
        self.traffic_listeners: list[Callable] = []
        self.staged_rollback: Callable | None = None


hooks = Hooks()


def wrap(cls: type, name: str, make: Callable[[Callable], Callable]) -> None:
    """Replace ``cls.name`` by ``make(original)`` once (idempotent).

    Works for plain functions and staticmethods, defined on ``cls`` or
    inherited (the wrapper is then set on ``cls`` only).  The original stays
    reachable as ``__wrapped__``.
    """
    current = inspect.getattr_static(cls, name, None)  # inherited ones too
    if current is None:
        raise AttributeError(f"{cls.__name__}.{name} not found")
    is_static = isinstance(current, staticmethod)
    func = current.__func__ if is_static else current
    # Idempotent per wrapper, so two modules may wrap the same method (the one
    # installed later runs first).
    maker = f"{make.__module__}.{make.__qualname__}"
    done = getattr(func, "_ecs_emulator_wrapped", ())
    if maker in done:
        return
    new = make(func)
    functools.update_wrapper(new, func)
    new._ecs_emulator_wrapped = (*done, maker)  # type: ignore[attr-defined]
    setattr(cls, name, staticmethod(new) if is_static else new)
