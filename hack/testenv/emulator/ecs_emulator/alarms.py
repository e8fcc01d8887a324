"""Deployment alarms: ``deploymentConfiguration.alarms {alarmNames, enable,
rollback}`` against moto's CloudWatch alarms of the same account and region.

ECS Developer Guide, "How CloudWatch alarms detect Amazon ECS deployment
failures": "You can configure Amazon ECS to set the deployment to failed when
it detects that a specified CloudWatch alarm has gone into the ALARM state",
and "optionally ... roll back a failed deployment to the last completed
deployment"; "A deployment in a FAILED state won't launch any new tasks".
ECS API Reference, ServiceDeploymentAlarms: "Amazon ECS considers the service
deployment as failed when any of the alarms move to the ALARM state".

ECS polls the alarms (DescribeAlarms); the emulator instead hears of each
change: moto's CloudWatch only changes an alarm's state in SetAlarmState
(PutMetricAlarm creates it OK), so that call is wrapped.  When a named alarm
*moves* into ALARM, every service whose deployment is in flight and monitors
it is brought up to the current emulated time and its deployment fails at
that instant.  An alarm already in ALARM when a deployment starts does not
fail it until it leaves ALARM and comes back (emulator reading of "move to").

In flight means: the PRIMARY deployment is IN_PROGRESS and is not itself a
rollback; for BLUE_GREEN, LINEAR and CANARY, from the start of the walk
through BAKE_TIME (ECS Developer Guide, "Amazon ECS blue/green service
deployments workflow": alarm states are monitored "during the bake time
period"), not in CLEAN_UP.  The extra bake time ECS adds after a rolling
update when alarms are used ("Amazon ECS computes this time period based on
the alarm configuration") is not modelled: a rolling update is monitored
until it is COMPLETED.
"""

from __future__ import annotations

from moto.cloudwatch.models import CloudWatchBackend

from .circuit_breaker import fail_deployment
from .service_model import deployment_configuration
from .service_revisions import IN_PROGRESS, store_of
from .state import _ATTR, hooks, state_of, wrap

# Service event: "(service NAME) (deployment ID) deployment failed: alarm
# detected." is the wording ECS writes (observed in published service event
# logs; the event messages page does not list it).  The rolloutStateReason
# texts are the emulator's, shaped like the circuit breaker's.
EVENT_REASON = "alarm detected."
FAILED_REASON = "ECS deployment alarms: {names} in ALARM state."
ROLLBACK_REASON = "ECS deployment alarms: rolling back to deploymentId {id}."


def _ecs_backend(account: str, region: str):
    """The ECS backend of that account and region if the emulator runs it
    (looked up without creating one: its clock starts on first use)."""
    from moto.ecs.models import ecs_backends

    per_account = dict.get(ecs_backends, account)
    backend = dict.get(per_account, region) if per_account is not None else None
    if backend is None or _ATTR not in backend.__dict__:
        return None
    return backend


def _watching(backend, st, alarm_name: str):
    """(deployment, record, alarms config) if st's deployment in flight
    monitors alarm_name, else None."""
    if st.service.status != "ACTIVE" or not st.deployments:
        return None
    p = st.deployments[0]
    if p.rollout_state != "IN_PROGRESS" or p._rollback:
        return None
    rec = store_of(backend).record_of.get(p.id)
    if rec is not None and (rec.status != IN_PROGRESS or p.id not in rec.target.deployment_ids):
        return None
    if rec is not None and rec.walk is not None and (rec.walk.ended or rec.walk.stage == "CLEAN_UP"):
        return None
    cfg = (rec.config if rec is not None else deployment_configuration(st.service)).get("alarms") or {}
    if not cfg.get("enable") or alarm_name not in (cfg.get("alarmNames") or []):
        return None
    return p, rec, cfg


def alarm_moved(backend, alarm_name: str) -> None:
    """alarm_name moved into ALARM just now: fail the deployments watching it."""
    es = state_of(backend)
    with es.lock:
        now = es.now()
        for key in [k for k, st in es.services.items() if _watching(backend, st, alarm_name)]:
            hooks.owner_advancers["service"](backend, key, now)  # up to this instant first
            st = es.services[key]
            found = _watching(backend, st, alarm_name)
            if found is None:
                continue
            p, rec, cfg = found
            if rec is not None:
                rec.triggered_alarms = [alarm_name]  # ServiceDeploymentAlarms.triggeredAlarmNames
            fail_deployment(
                backend, st, p, now,
                by="alarms",
                reason=FAILED_REASON.format(names=alarm_name),
                event_reason=EVENT_REASON,
                rollback=bool(cfg.get("rollback")),
                rollback_reason=ROLLBACK_REASON,
            )
            hooks.owner_touchers["service"](backend, key, now)


def _set_alarm_state(orig):
    def set_alarm_state(self, alarm_name, reason, reason_data, state_value):
        alarm = self.alarms.get(alarm_name)
        before = alarm.state_value if alarm is not None else None
        result = orig(self, alarm_name, reason, reason_data, state_value)
        if state_value == "ALARM" and before != "ALARM":
            backend = _ecs_backend(self.account_id, self.region_name)
            if backend is not None:
                alarm_moved(backend, alarm_name)
        return result

    return set_alarm_state


def install() -> None:
    wrap(CloudWatchBackend, "set_alarm_state", _set_alarm_state)
