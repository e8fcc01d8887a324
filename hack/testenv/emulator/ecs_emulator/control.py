"""Control surface for tests, under a path moto does not use.

  GET  /ecs-emulator/          versions, clock, timings, conventions
  GET  /ecs-emulator/clock     the clock
  POST /ecs-emulator/clock     {"speed": N} and/or {"advance_seconds": S}

Each request addresses one ECS backend - one account in one region - chosen
by "account" / "region" in the JSON body or the query string (defaults:
$MOTO_ACCOUNT_ID or moto's default account 123456789012, and us-east-1),
or by moto's own x-moto-account-id header.  moto's POST /moto-api/reset
throws the backends away, and with them every clock: the next request gets
the default speed again.
"""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from . import __version__, failures, lifecycle_stages
from .state import state_of

PREFIX = "/ecs-emulator"
DEFAULT_REGION = "us-east-1"


def _moto_version() -> str:
    import moto

    return getattr(moto, "__version__", "unknown")


def _default_account() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID

    return os.environ.get("MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID


def _backend(account: str, region: str):
    from moto.ecs.models import ecs_backends

    return ecs_backends[account][region]


def _json(start_response, status: str, body: dict):
    data = json.dumps(body, indent=1, sort_keys=True).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _target(environ, body: dict) -> tuple[str, str]:
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    account = (
        body.get("account")
        or query.get("account")
        or environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        or _default_account()
    )
    region = body.get("region") or query.get("region") or DEFAULT_REGION
    return str(account), str(region)


def _info(account: str, region: str) -> dict:
    from . import circuit_breaker, task_lifecycle, task_registry

    st = state_of(_backend(account, region))
    with st.lock:
        clock = st.clock.describe()
    return {
        "emulator": __version__,
        "moto": _moto_version(),
        "account": account,
        "region": region,
        "clock": clock,
        "timings_seconds": dict(task_lifecycle.TIMINGS),
        "healthy_after_seconds": circuit_breaker.HEALTHY_AFTER_SECONDS,
        "stopped_retention_seconds": task_registry.STOPPED_RETENTION,
        "conventions": {**failures.describe(), **lifecycle_stages.describe()},
    }


def application(environ, start_response):
    path = environ.get("PATH_INFO", "").rstrip("/")
    method = environ.get("REQUEST_METHOD", "GET")
    body: dict = {}
    if method == "POST":
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
        except ValueError as exc:
            return _json(start_response, "400 Bad Request", {"error": f"invalid JSON: {exc}"})
    account, region = _target(environ, body)
    try:
        _backend(account, region)
    except KeyError:
        return _json(start_response, "400 Bad Request", {"error": f"unknown region {region!r}"})

    if path == PREFIX and method == "GET":
        return _json(start_response, "200 OK", _info(account, region))
    if path == PREFIX + "/clock" and method == "GET":
        return _json(start_response, "200 OK", _info(account, region)["clock"])
    if path == PREFIX + "/clock" and method == "POST":
        st = state_of(_backend(account, region))
        try:
            with st.lock:
                if "speed" in body:
                    st.clock.set_speed(float(body["speed"]))
                if "advance_seconds" in body:
                    st.clock.advance(float(body["advance_seconds"]))
        except (TypeError, ValueError) as exc:
            return _json(start_response, "400 Bad Request", {"error": str(exc)})
        return _json(start_response, "200 OK", _info(account, region)["clock"])
    return _json(start_response, "404 Not Found", {"error": f"no such endpoint: {method} {path or '/'}"})


class EmulatorDispatcher(DomainDispatcherApplication):
    """moto's dispatcher, with /ecs-emulator/ answered by the emulator."""

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return application(environ, start_response)
        return super().__call__(environ, start_response)
