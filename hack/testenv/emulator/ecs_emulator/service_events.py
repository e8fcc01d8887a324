"""Service events (ECS API Reference, Service.events): the messages the
scheduler writes, newest first.  The wording is at each call site."""

from __future__ import annotations

from typing import TYPE_CHECKING

from moto.moto_api._internal import mock_random

from .state import state_of

if TYPE_CHECKING:
    from .service_model import ServiceState

EVENTS_KEPT = 100  # ECS API Reference, Service.events: the last 100 events


def event(backend, st: ServiceState, at: float, message: str) -> None:
    # ECS Developer Guide, "Amazon ECS service event messages"; newest first.
    svc = st.service
    svc.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": state_of(backend).wall(at), "message": message})
    del svc.events[EVENTS_KEPT:]


def task_list(ids) -> str:
    return " ".join(f"(task {i})" for i in ids)
