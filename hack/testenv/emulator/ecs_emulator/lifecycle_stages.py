"""BLUE_GREEN, LINEAR and CANARY service deployments: the lifecycle stages on
the emulated clock, the lifecycle hooks at each stage, and the traffic
weights the revisions report.

ECS Developer Guide, "Amazon ECS blue/green service deployments", "Amazon
ECS linear deployments", "Amazon ECS canary deployments" and "Lifecycle hooks
for Amazon ECS service deployments"; ECS API Reference, ServiceDeployment
(lifecycleStage, lifecycleHookDetails), DeploymentLifecycleHook,
LinearConfiguration, CanaryConfiguration.

The walk holds the scheduler (hooks.scheduler_policy): nothing is launched
before SCALE_UP; from SCALE_UP the new revision runs desiredCount tasks beside
the old one, which is drained only at CLEAN_UP.  Traffic is reported as
requestedTestTrafficWeight and requestedProductionTrafficWeight, and
hooks.traffic_listeners hear of every change.
"""

from __future__ import annotations

import math
import re

from moto.moto_api._internal import mock_random

from .deployment_rollback import roll_back, roll_back_failed
from .service_revisions import IN_PROGRESS, store_of
from .state import hooks, state_of

WALKED = ("BLUE_GREEN", "LINEAR", "CANARY")

# ECS API Reference, ServiceDeployment.lifecycleStage, in order.
# RECONCILE_SERVICE "only happens when you start a new service deployment
# with more than 1 service revision in an ACTIVE state".
STAGES = (
    "RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME", "CLEAN_UP",
)
HOLD_BEFORE = STAGES.index("SCALE_UP")

# Emulator timings (emulated seconds): a traffic shift (listener rule
# update) and a Lambda hook's run.  ECS documents neither.
SHIFT_SECONDS = 5.0
LAMBDA_HOOK_SECONDS = 5.0

# ECS API Reference, DeploymentLifecycleHookTimeoutConfiguration:
# timeoutInMinutes default 1440, action default ROLLBACK.
DEFAULT_TIMEOUT_MINUTES = 1440
DEFAULT_TIMEOUT_ACTION = "ROLLBACK"
# ECS API Reference, LinearConfiguration (stepPercent 10, stepBakeTimeInMinutes
# 6) and CanaryConfiguration (canaryPercent 5, canaryBakeTimeInMinutes 10).
LINEAR_DEFAULTS = (10.0, 6)
CANARY_DEFAULTS = (5.0, 10)

# The failure convention for Lambda hooks (docs/emulator.md): a function whose
# name contains "fail" returns hookStatus FAILED.
FAILING_FUNCTION = re.compile("fail", re.IGNORECASE)


def describe() -> dict[str, str]:
    """The convention, as GET /ecs-emulator/ reports it."""
    return {"lambda_hook_failure": "AWS_LAMBDA hook whose function name contains 'fail' (case-insensitive)"}


def function_name(arn: str) -> str:
    """The function name of a Lambda ARN (arn:...:function:NAME[:QUALIFIER]) or a bare name."""
    parts = (arn or "").split(":")
    if len(parts) >= 7 and parts[5] == "function":
        return parts[6]
    return arn or ""


def traffic_steps(cfg: dict) -> list[tuple[float, float]]:
    """(production weight, bake seconds after it) for each production traffic
    shift.  LINEAR: stepPercent at a time, stepBakeTimeInMinutes between steps
    ("not applied after reaching 100 percent traffic"); CANARY: canaryPercent,
    canaryBakeTimeInMinutes, then the rest; BLUE_GREEN: all at once."""
    strategy = cfg.get("strategy")
    if strategy == "LINEAR":
        lc = cfg.get("linearConfiguration") or {}
        step = float(lc.get("stepPercent") or LINEAR_DEFAULTS[0])
        bake = 60.0 * float(lc.get("stepBakeTimeInMinutes", LINEAR_DEFAULTS[1]))
        n = math.ceil(round(100.0 / step, 6))
        weights = [min(100.0, round(step * k, 6)) for k in range(1, n + 1)]
        return [(w, bake if w < 100.0 else 0.0) for w in weights]
    if strategy == "CANARY":
        cc = cfg.get("canaryConfiguration") or {}
        pct = float(cc.get("canaryPercent") or CANARY_DEFAULTS[0])
        bake = 60.0 * float(cc.get("canaryBakeTimeInMinutes", CANARY_DEFAULTS[1]))
        return [(pct, bake), (100.0, 0.0)] if pct < 100.0 else [(100.0, 0.0)]
    return [(100.0, 0.0)]


def _plan(stage: str, cfg: dict) -> list[tuple]:
    """The steps of one stage.  ("hooks", S) runs the hooks configured for
    hook stage S and waits for them; ("wait", s) waits s seconds; ("test", w)
    and ("production", w) set the target's traffic weights; ("scaled",) waits
    for the target to run desiredCount tasks; ("cleaned",) waits for the
    scheduler to drain the source (the service deployment then succeeds)."""
    if stage == "SCALE_UP":
        return [("scaled",)]
    if stage == "TEST_TRAFFIC_SHIFT":
        return [("wait", SHIFT_SECONDS), ("test", 100.0), ("hooks", stage)]
    if stage == "PRODUCTION_TRAFFIC_SHIFT":
        # DeploymentLifecycleHook.lifecycleStages: PRE_PRODUCTION_TRAFFIC_SHIFT
        # "for linear and canary deployments ... is invoked before every
        # traffic shift step", PRODUCTION_TRAFFIC_SHIFT "at every traffic
        # shift step".  The stage enum has no PRE_PRODUCTION_TRAFFIC_SHIFT, so
        # it is reported as PRODUCTION_TRAFFIC_SHIFT.
        out: list[tuple] = []
        for weight, bake in traffic_steps(cfg):
            out += [("hooks", "PRE_PRODUCTION_TRAFFIC_SHIFT"), ("wait", SHIFT_SECONDS), ("production", weight),
                    ("hooks", stage)]
            if bake > 0:
                out.append(("wait", bake))
        return out
    if stage == "BAKE_TIME":
        # DeploymentConfiguration.bakeTimeInMinutes: both revisions run "after
        # the production traffic has shifted".
        return [("wait", 60.0 * float(cfg.get("bakeTimeInMinutes") or 0))]
    if stage == "CLEAN_UP":
        return [("cleaned",)]
    return [("hooks", stage)]


class Invocation:
    """One run of a lifecycle hook (ECS API Reference, DeploymentLifecycleHookDetail)."""

    def __init__(self, hook: dict, at: float):
        self.hook_id = str(mock_random.uuid4())
        # DeploymentLifecycleHook.targetType: "If not specified, the default value is AWS_LAMBDA".
        self.target_type = hook.get("targetType") or "AWS_LAMBDA"
        self.target_arn = hook.get("hookTargetArn") if self.target_type == "AWS_LAMBDA" else None
        tc = hook.get("timeoutConfiguration") or {}
        self.expires_at = at + 60.0 * float(tc.get("timeoutInMinutes") or DEFAULT_TIMEOUT_MINUTES)
        self.timeout_action = tc.get("action") or DEFAULT_TIMEOUT_ACTION
        if self.target_type == "PAUSE":
            # ECS Developer Guide, "Pause hooks for Amazon ECS service
            # deployments": the deployment waits for ContinueServiceDeployment.
            self.status, self.done_at = "AWAITING_ACTION", None
        else:
            # "Lambda hooks for Amazon ECS service deployments": the function
            # returns hookStatus SUCCEEDED or FAILED.
            self.status, self.done_at = "IN_PROGRESS", at + LAMBDA_HOOK_SECONDS

    def settle(self, at: float) -> None:
        if self.status == "IN_PROGRESS" and self.done_at is not None and at >= self.done_at:
            self.status = "FAILED" if FAILING_FUNCTION.search(function_name(self.target_arn)) else "SUCCEEDED"
        if self.status in ("IN_PROGRESS", "AWAITING_ACTION") and at >= self.expires_at:
            self.status = "TIMED_OUT"  # "Amazon ECS takes the timeout action"

    def due(self) -> float | None:
        if self.status == "IN_PROGRESS":
            return min(self.done_at, self.expires_at)
        if self.status == "AWAITING_ACTION":
            return self.expires_at
        return None


class Walk:
    def __init__(self, cfg: dict, at: float, reconcile: bool):
        self.cfg = cfg
        self.stages = list(STAGES if reconcile else STAGES[1:])
        self.i = 0
        self.plan = _plan(self.stages[0], cfg)
        self.j = 0
        self.wait_until: float | None = None
        self.batch: list[Invocation] | None = None
        self.invocations: list[Invocation] = []
        self.ended = False
        self.expiry_wall = {}  # hook id -> wall time of expiresAt

    @property
    def stage(self) -> str:
        return self.stages[self.i]

    def end(self) -> None:
        self.ended = True

    def policy(self) -> str:
        index = STAGES.index(self.stage)
        return "hold" if index < HOLD_BEFORE else ("scale_up" if self.stage != "CLEAN_UP" else None)

    def hook_details(self) -> list[dict]:
        out = []
        for inv in self.invocations:
            d = {"hookId": inv.hook_id, "targetType": inv.target_type, "status": inv.status,
                 "expiresAt": self.expiry_wall.get(inv.hook_id), "timeoutAction": inv.timeout_action}
            if inv.target_arn:
                d["targetArn"] = inv.target_arn
            out.append(d)
        return out

    def due(self, backend, st, after: float) -> float | None:
        if self.ended or self.j >= len(self.plan):
            return None if self.ended else after
        kind = self.plan[self.j][0]
        if kind == "wait":
            return self.wait_until if self.wait_until is not None else after
        if kind == "hooks" and self.batch is not None:
            times = [t for t in (inv.due() for inv in self.batch) if t is not None]
            return min(times) if times else after
        if kind == "scaled":
            return after if _scaled(st, self.cfg) else None
        if kind == "cleaned":
            return None
        return after

    def step(self, backend, st, rec, at: float) -> None:
        """Move on as far as the clock and the scheduler allow at ``at``."""
        es = state_of(backend)
        for _ in range(1000):
            if self.ended:
                return
            if self.j >= len(self.plan):
                if self.i + 1 >= len(self.stages):
                    return
                self.i += 1
                self.plan, self.j = _plan(self.stage, self.cfg), 0
                rec.touch(es.wall(at))
                continue
            kind, *args = self.plan[self.j]
            if kind == "wait":
                if self.wait_until is None:
                    self.wait_until = at + args[0]
                if at < self.wait_until:
                    return
                self.wait_until = None
            elif kind in ("test", "production"):
                setattr(rec, f"{kind}_weight", args[0])
                rec.touch(es.wall(at))
                for listener in hooks.traffic_listeners:  # traffic.py: the listener rules follow
                    listener(backend, st, rec, at)
            elif kind == "scaled":
                if not _scaled(st, self.cfg):
                    return
            elif kind == "cleaned":
                return
            elif kind == "hooks":
                if self.batch is None:
                    self.batch = [Invocation(h, at) for h in self.cfg.get("lifecycleHooks") or []
                                  if args[0] in (h.get("lifecycleStages") or [])]
                    for inv in self.batch:
                        self.expiry_wall[inv.hook_id] = es.expected_wall(inv.expires_at)
                    self.invocations += self.batch
                    if self.batch:
                        rec.touch(es.wall(at))
                for inv in self.batch:
                    inv.settle(at)
                failed = next((inv for inv in self.batch if inv.status == "FAILED"), None)
                timed_out = next((inv for inv in self.batch if inv.status == "TIMED_OUT"
                                  and inv.timeout_action == "ROLLBACK"), None)
                if failed is not None or timed_out is not None:
                    inv = failed or timed_out
                    what = "returned FAILED" if failed is not None else "timed out"
                    rec.touch(es.wall(at))
                    roll_back(backend, st, rec, at, f"lifecycle hook {inv.hook_id} at {args[0]} {what}.")
                    return
                if any(inv.status in ("IN_PROGRESS", "AWAITING_ACTION") for inv in self.batch):
                    return
                self.batch = None
            self.j += 1

    def pause(self, hook_id: str) -> Invocation | None:
        return next((inv for inv in self.batch or [] if inv.hook_id == hook_id and inv.status == "AWAITING_ACTION"), None)


def _scaled(st, cfg) -> bool:
    p = st.deployments[0] if st.deployments else None
    return p is not None and p.running_count >= st.service.desired_count and p.pending_count == 0


def start_walk(backend, st, rec, at: float) -> None:
    if rec.strategy not in WALKED:
        return
    rec.walk = Walk(rec.config, at, reconcile=len(rec.sources) > 1)
    # Before the shifts, the target takes no traffic.
    rec.test_weight = rec.production_weight = 0.0


def resolve_pause(backend, st, rec, hook_id: str, action: str, at: float) -> None:
    """ContinueServiceDeployment on a paused hook."""
    from moto.ecs.exceptions import InvalidParameterException

    rec.walk.step(backend, st, rec, at)  # timeouts due by now first
    inv = rec.walk.pause(hook_id) if rec.status == IN_PROGRESS and rec.walk is not None else None
    if inv is None:
        raise InvalidParameterException(f"The lifecycle hook {hook_id} is not awaiting action.")
    es = state_of(backend)
    rec.touch(es.wall(at))
    if action == "CONTINUE":
        inv.status = "SUCCEEDED"
        rec.walk.step(backend, st, rec, at)
    else:
        inv.status = "FAILED"  # emulator choice: the hook that asked for the rollback reads FAILED
        roll_back(backend, st, rec, at, f"lifecycle hook {hook_id} at {rec.walk.plan[rec.walk.j][1]} rolled back by ContinueServiceDeployment.")


# -- hooks into the scheduler ----------------------------------------------------
def _walking(backend, st):
    rec = store_of(backend).current.get(st.key)
    if rec is None or rec.walk is None or rec.walk.ended or rec.status != IN_PROGRESS:
        return None
    return rec


def step_service(backend, st, at: float) -> None:
    rec = _walking(backend, st)
    if rec is not None:
        rec.walk.step(backend, st, rec, at)


def walk_due(backend, st, after: float) -> float | None:
    rec = _walking(backend, st)
    return rec.walk.due(backend, st, after) if rec is not None else None


def policy(backend, st, p, at: float) -> str | None:
    rec = _walking(backend, st)
    if rec is None or p.id not in rec.target.deployment_ids:
        return None
    return rec.walk.policy()


def install_hooks() -> None:
    if step_service not in hooks.service_steppers:
        hooks.service_steppers.append(step_service)
    if walk_due not in hooks.service_timers:
        hooks.service_timers.append(walk_due)
    hooks.scheduler_policy = policy
    hooks.staged_rollback = roll_back_failed
