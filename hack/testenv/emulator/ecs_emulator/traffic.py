"""Load balancer traffic in moto's ELBv2: the listener rules of BLUE_GREEN,
LINEAR and CANARY deployments, and the service's tasks as IP targets.

A staged service's ``loadBalancers[]`` entry with an ``advancedConfiguration``
(ECS API Reference, AdvancedConfiguration: alternateTargetGroupArn,
productionListenerRule, testListenerRule, roleArn; kept and returned as sent)
names two target groups.  One serves production (blue), the other takes the new
revision's tasks (green).  Whenever lifecycle_stages.py changes the weights a
service deployment reports (hooks.traffic_listeners), the forward action of the
test and production listener rules is rewritten to the same split, so
``elbv2.describe_rules`` shows what DescribeServiceDeployments reports.  ECS
Developer Guide, "Application Load Balancer resources for blue/green, linear,
and canary deployments": "A primary target group for the blue service revision
(current production traffic)" and "An alternate target group for the green
service revision"; "During a blue/green deployment, Amazon ECS automatically
registers tasks with the appropriate target group based on the deployment
stage."

Nothing here is an ECS request: it follows the scheduler through
hooks.deployment_listeners and hooks.task_listeners.  State lives in
``state_of(backend).ext["traffic"]``.
"""

from __future__ import annotations

import copy

from .service_revisions import SUCCESSFUL, store_of
from .state import hooks, state_of
from .task_lifecycle import DEPROVISIONING, RUNNING, STOPPED, STOPPING, eni_attachment, life_of


class Traffic:
    def __init__(self) -> None:
        # "cluster:service" -> (moto service, {loadBalancers index: TG ARN serving production})
        self.production: dict[str, tuple[object, dict[int, str]]] = {}
        # scheduler deployment id -> {loadBalancers index: TG ARN its tasks join}
        self.groups: dict[str, dict[int, str]] = {}
        self.owner: dict[str, str] = {}  # scheduler deployment id -> "cluster:service"
        # task id -> [(TG ARN, {"Id": ip, "Port": port})] registered for it
        self.targets: dict[str, list[tuple[str, dict]]] = {}


def traffic_of(backend) -> Traffic:
    ext = state_of(backend).ext
    if "traffic" not in ext:
        ext["traffic"] = Traffic()
    return ext["traffic"]


def _elbv2(backend):
    from moto.elbv2.models import elbv2_backends

    return elbv2_backends[backend.account_id][backend.region_name]


def _entries(svc) -> list[tuple[int, dict]]:
    return [(i, lb) for i, lb in enumerate(getattr(svc, "load_balancers", None) or [])
            if isinstance(lb, dict) and lb.get("targetGroupArn")]


def _advanced(lb: dict) -> dict:
    adv = lb.get("advancedConfiguration") or {}
    return adv if adv.get("alternateTargetGroupArn") else {}


def _production(t: Traffic, st) -> dict[int, str]:
    """The target group serving production per load balancer entry: at first
    the entry's targetGroupArn (a service created again starts over)."""
    svc, prod = t.production.get(st.key, (None, None))
    if svc is not st.service:
        prod = {}
        t.production[st.key] = (st.service, prod)
    for i, lb in _entries(st.service):
        prod.setdefault(i, lb["targetGroupArn"])
    return prod


def elb_weights(green_percent: float) -> tuple[int, int]:
    """(green, blue) ELBv2 weights for a green share in percent.  ELBv2 API
    Reference, TargetGroupTuple.Weight: 0 to 999, and traffic splits in
    proportion to the weights; whole percentages are used as they are, others
    (canaryPercent 0.1 to 100 and stepPercent 3 to 100 are doubles) in tenths
    of a percent, so the ratio is the reported share to 0.1 %."""
    w = max(0.0, min(100.0, float(green_percent)))
    if w in (0.0, 100.0) or w.is_integer():
        return int(w), 100 - int(w)
    green = min(999, max(1, round(w * 10)))
    return green, 1000 - green


def _forward(backend, arn: str | None, lb: dict, weights: dict[str, int]) -> None:
    """Rewrite the forward action of listener rule (ALB) or listener (NLB)
    ``arn`` to split between the entry's two target groups.  ELBv2 API
    Reference, ModifyRule / ForwardActionConfig: TargetGroups [{TargetGroupArn,
    Weight}] and TargetGroupStickinessConfig, which is kept as it was.  ECS API
    Reference, AdvancedConfiguration.productionListenerRule: "the production
    listener rule (in the case of an Application Load Balancer) or listener (in
    the case for an Network Load Balancer)".  A rule or listener that does not
    exist, or has no forward action, is left alone."""
    if not arn:
        return
    elb = _elbv2(backend)
    try:
        if ":listener-rule/" in arn:
            target, actions = None, elb.describe_rules(None, [arn])[0].actions
        else:
            target = elb.describe_listeners(None, [arn])[0]
            actions = target.default_actions
    except Exception:
        return
    if not any(a.data.get("Type") == "forward" for a in actions):
        return
    order = [lb["targetGroupArn"], _advanced(lb)["alternateTargetGroupArn"]]
    new = []
    for action in actions:
        data = copy.deepcopy(action.data)
        if data.get("Type") == "forward":
            sticky = (data.get("ForwardConfig") or {}).get("TargetGroupStickinessConfig") or {"Enabled": False}
            data.pop("TargetGroupArn", None)
            data["ForwardConfig"] = {
                "TargetGroups": [{"TargetGroupArn": tg, "Weight": weights.get(tg, 0)} for tg in order],
                "TargetGroupStickinessConfig": sticky,
            }
        new.append(data)
    try:
        if target is None:
            elb.modify_rule(arn, [], new)
        else:
            from moto.elbv2.models import FakeAction

            # What moto's modify_listener does with DefaultActions (called
            # directly, it insists on certificates for HTTPS listeners).
            target.default_actions = [FakeAction(a) for a in new]
            target._default_rule[0].actions = target.default_actions
    except Exception:
        return


def _split(blue: str, green: str, green_percent: float) -> dict[str, int]:
    if blue == green:
        return {blue: 100}
    g, b = elb_weights(green_percent)
    return {green: g, blue: b}


def _shift(backend, st, green_groups: dict[int, str], test: float | None, production: float | None) -> None:
    prod = _production(traffic_of(backend), st)
    for i, lb in _entries(st.service):
        adv = _advanced(lb)
        if not adv or i not in green_groups:
            continue
        blue, green = prod[i], green_groups[i]
        if production is not None:
            _forward(backend, adv.get("productionListenerRule"), lb, _split(blue, green, production))
        if test is not None:
            _forward(backend, adv.get("testListenerRule"), lb, _split(blue, green, test))


def on_traffic(backend, st, rec, at: float) -> None:
    """hooks.traffic_listeners: the rules follow the weights the service
    deployment reports for its target revision (the rest goes to blue).  ECS
    Developer Guide, "Amazon ECS blue/green service deployments workflow": test
    traffic goes to green at TEST_TRAFFIC_SHIFT, production at
    PRODUCTION_TRAFFIC_SHIFT ("Amazon ECS linear deployments": stepPercent at a
    time; "Amazon ECS canary deployments": canaryPercent, then the rest); a
    rollback sends traffic back to blue."""
    groups = traffic_of(backend).groups.get(rec.target.deployment_ids[0])
    if groups:
        _shift(backend, st, groups, rec.test_weight, rec.production_weight)


def on_deployment(backend, st, kind: str, d, at: float) -> None:
    """hooks.deployment_listeners: which target group a new deployment's tasks
    join, and the flip of the two target groups after a staged one succeeds."""
    t = traffic_of(backend)
    prod = _production(t, st)
    store = store_of(backend)
    if kind == "started":
        rec = store.record_of.get(d.id)
        staged = (rec is not None and rec.walk is not None and not d._rollback
                  and d.id in rec.target.deployment_ids)
        groups: dict[int, str] = {}
        for i, lb in _entries(st.service):
            blue, adv = prod[i], _advanced(lb)
            if not (staged and adv):
                groups[i] = blue  # a rolling update replaces tasks in place
                continue
            primary, alternate = lb["targetGroupArn"], adv["alternateTargetGroupArn"]
            # The service's first deployment has no blue: its tasks go to the
            # primary target group (emulator choice).  Otherwise green is the
            # target group not serving production.
            groups[i] = (alternate if blue == primary else primary) if rec.sources else blue
        t.groups[d.id], t.owner[d.id] = groups, st.key
        if staged and groups:
            # Before the shifts the new revision takes no traffic; tasks of a
            # superseded deployment leave the green target group (emulator choice).
            _shift(backend, st, groups, 0.0, 0.0)
            green = set(groups.values()) - set(prod.values())
            for tid in [tid for tid in st.live if tid in t.targets]:
                _deregister(backend, t, tid, only=green)
    elif kind == "completed":
        rec = store.record_of.get(d.id)
        if rec is not None and rec.walk is not None and rec.status == SUCCESSFUL and d.id in rec.target.deployment_ids:
            # Green serves production now and blue's tasks are drained ("Amazon
            # ECS blue/green service deployments workflow", completion phase), so
            # the next deployment's green is the target group blue used: the two
            # alternate.  (The guide does not spell the alternation out; it is
            # what the primary / alternate pair can only mean.)
            prod.update(t.groups.get(d.id, {}))
        live = {x.id for x in st.deployments}
        for did in [k for k, key in t.owner.items() if key == st.key and k not in live]:
            t.groups.pop(did, None)
            t.owner.pop(did, None)


def _task_ip(task) -> str | None:
    att = eni_attachment(task)
    for detail in (att or {}).get("details", []):
        if detail.get("name") == "privateIPv4Address":
            return detail.get("value")
    return None


def _deregister(backend, t: Traffic, task_id: str, only: set[str] | None = None) -> None:
    keep = []
    for tg_arn, target in t.targets.pop(task_id, []):
        if only is not None and tg_arn not in only:
            keep.append((tg_arn, target))
            continue
        try:
            _elbv2(backend).deregister_targets(tg_arn, [target])
        except Exception:
            pass
    if keep:
        t.targets[task_id] = keep


def on_task(backend, task, old: str, new: str, at: float) -> None:
    """hooks.task_listeners: a service task that reaches RUNNING is registered
    as an IP target (awsvpc; ELBv2 target type ip) of its deployment's target
    group on the entry's containerPort, and deregistered when it stops.  ECS
    Developer Guide, "Amazon ECS task lifecycle": ACTIVATING "registers ... with
    target groups", DEACTIVATING deregisters; the emulator has neither state
    and does both at RUNNING and at STOPPING."""
    life = life_of(task)
    if life is None or life.owner is None or life.owner[0] != "service":
        return
    t = traffic_of(backend)
    if new in (STOPPING, DEPROVISIONING, STOPPED):
        if task.id in t.targets:
            _deregister(backend, t, task.id)
        return
    if new != RUNNING:
        return
    st = state_of(backend).services.get(life.owner[1])
    groups = t.groups.get(life.deployment_id)
    ip = _task_ip(task)
    if st is None or not groups or ip is None:
        return
    elb = _elbv2(backend)
    for i, lb in _entries(st.service):
        tg = elb.target_groups.get(groups.get(i, ""))
        if tg is None or tg.target_type != "ip":
            continue  # instance targets (EC2 container instances) are not modelled
        target = {"Id": ip, "Port": int(lb.get("containerPort") or tg.port or 80)}
        try:
            elb.register_targets(tg.arn, [target])
        except Exception:
            continue
        t.targets.setdefault(task.id, []).append((tg.arn, target))


def install() -> None:
    for registry, fn in ((hooks.deployment_listeners, on_deployment), (hooks.traffic_listeners, on_traffic),
                         (hooks.task_listeners, on_task)):
        if fn not in registry:
            registry.append(fn)
