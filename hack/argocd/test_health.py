"""Runs deploy/argocd/health.lua under Lua 5.1 (as Argo CD's gopher-lua is) against
objects of each ecs-operator kind in each state, and checks argocd-cm.yaml embeds it."""
import sys

from argo_health import ROOT, SCRIPT, evaluate

CONFIG_MAP = (ROOT / "deploy/argocd/argocd-cm.yaml").read_text()
KINDS = ["Cluster", "CapacityProvider", "TaskDefinition", "Service", "Task", "ScheduledTask"]


def condition(type_, status, reason, message="", generation=2):
    return {"type": type_, "status": status, "reason": reason, "message": message,
            "observedGeneration": generation}


def obj(kind, conditions=None, observed=2):
    o = {"apiVersion": "ecs.operator.dev/v1alpha1", "kind": kind,
         "metadata": {"name": "web", "namespace": "shop", "generation": 2}, "spec": {}}
    if conditions is not None:
        o["status"] = {"observedGeneration": observed, "conditions": conditions}
    return o


CASES = [
    ("ready", [condition("Ready", "True", "Ready", "web:2 rolled out; 2/2 tasks running")], 2,
     "Healthy", "rolled out"),
    ("rolling out", [condition("Ready", "False", "RolloutInProgress", "deployment 1 is IN_PROGRESS"),
                     condition("Reconciling", "True", "RolloutInProgress", "deployment 1 is IN_PROGRESS")], 2,
     "Progressing", "RolloutInProgress"),
    ("stalled", [condition("Ready", "False", "DeploymentFailed", "circuit breaker"),
                 condition("Stalled", "True", "DeploymentFailed", "circuit breaker")], 2,
     "Degraded", "DeploymentFailed: circuit breaker"),
    ("paused at a lifecycle hook",
     [condition("Ready", "False", "RolloutPaused", "paused at POST_TEST_TRAFFIC_SHIFT: hook h1 awaits approval"),
      condition("Reconciling", "True", "RolloutPaused", "paused at POST_TEST_TRAFFIC_SHIFT")], 2,
     "Suspended", "RolloutPaused: paused at POST_TEST_TRAFFIC_SHIFT"),
    ("rolled back", [condition("Ready", "False", "RolledBack", "ECS rolled back the CANARY deployment"),
                     condition("Stalled", "True", "RolledBack", "ECS rolled back the CANARY deployment")], 2,
     "Degraded", "RolledBack: ECS rolled back"),
    ("a Task that completed", [condition("Ready", "True", "Ready", "completed: attempt 1 succeeded (exit codes 0)"),
                               condition("Complete", "True", "Completed", "every essential container exited 0")], 2,
     "Healthy", "completed"),
    ("a Task that failed", [condition("Ready", "False", "BackoffLimitExceeded", "2 attempts failed"),
                            condition("Stalled", "True", "BackoffLimitExceeded", "2 attempts failed"),
                            condition("Failed", "True", "BackoffLimitExceeded", "2 attempts failed")], 2,
     "Degraded", "BackoffLimitExceeded: 2 attempts failed"),
    ("spec just changed", [condition("Ready", "True", "Ready", "old spec", generation=1)], 1,
     "Progressing", "latest spec"),
    ("no status yet", None, 2, "Progressing", "report status"),
]


READY_SCHEDULE = condition("Ready", "True", "Ready", "schedule s: next run at 2027-01-01T02:00:00Z; run 3 FAILED: exit code 3")
SCHEDULED = [
    # Suspended: nothing runs until spec.suspend is false again.
    ("suspended", {"suspend": True}, [READY_SCHEDULE], "Suspended", "suspended: schedule s"),
    # The newest run failed: LastRunFailed, still Healthy, the message says so.
    ("last run failed", {}, [READY_SCHEDULE, condition("LastRunFailed", "True", "RunFailed", "run 3 failed")],
     "Healthy", "run 3 FAILED"),
]


def scheduled_task_failures():
    failures = []
    for name, spec, conditions, want_status, want_message in SCHEDULED:
        o = obj("ScheduledTask", conditions)
        o["spec"] = spec
        status, message = evaluate(o)
        if status != want_status or want_message not in message:
            failures.append(f"ScheduledTask {name}: got {status} {message!r}, want {want_status} with {want_message!r}")
    return failures


def health(kind, conditions, observed):
    return evaluate(obj(kind, conditions, observed))


def main():
    failures = []
    for kind in KINDS:
        for name, conditions, observed, want_status, want_message in CASES:
            status, message = health(kind, conditions, observed)
            if status != want_status or want_message not in message:
                failures.append(f"{kind} {name}: got {status} {message!r}, want {want_status} with {want_message!r}")
        indented = "".join("    " + line if line.strip() else line for line in SCRIPT.splitlines(True))
        key = f"  resource.customizations.health.ecs.operator.dev_{kind}: |\n"
        if key + indented not in CONFIG_MAP:
            failures.append(f"argocd-cm.yaml: the {kind} script differs from deploy/argocd/health.lua")
    failures.extend(scheduled_task_failures())
    for failure in failures:
        print("FAIL", failure)
    print(f"argocd health: {len(KINDS) * len(CASES) + len(SCHEDULED)} cases, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
