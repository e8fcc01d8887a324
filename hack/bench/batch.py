#!/usr/bin/env python3
"""The batch benchmark behind `make bench`: N one-off Tasks (1000) applied at once.

One run: a fresh test environment (kube-apiserver, etcd, moto with the emulator), the
release operator with its default rate limits, talking to moto through aws-fault-proxy,
which holds every call to the documented quota buckets and counts them. 1 Cluster, 1
TaskDefinition and N Tasks (each one task whose container sleeps 5 emulated seconds and
exits 0) go in with one server-side apply; the run waits until every Task is Complete.

The bound is what RunTask's quota allows (the calls beyond the bucket's burst at its
refill rate) plus one emulated task run (the median, over the Tasks' status, from
RunTask to the task stopped);
the goal is to finish within 1.1 times it. Then the run idles for two resync
intervals: finished Tasks must cost no AWS call and no Kubernetes write.

Results go to <out>.json and <out>.md. --smoke asserts only that the counts are sane.
"""

import argparse
import datetime
import json
import signal
import statistics
import sys
import time
from pathlib import Path

from bench import GROUP, REPO, TARGET, Run, free_port, log, run_and_check

NAMESPACE = "batch-bench"
TASK_OPERATIONS = ("RunTask", "StopTask", "DescribeTasks", "ListTasks")


class Batch(Run):
    def manifest(self, subnet, group):
        docs = [f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NAMESPACE}}}\n",
                f"apiVersion: {GROUP}/v1alpha1\nkind: Cluster\nmetadata: {{name: jobs, namespace: {NAMESPACE}}}\n"
                "spec: {}\n",
                f"apiVersion: {GROUP}/v1alpha1\nkind: TaskDefinition\n"
                f"metadata: {{name: job, namespace: {NAMESPACE}}}\n"
                "spec:\n  requiresCompatibilities: [FARGATE]\n  networkMode: awsvpc\n"
                '  cpu: "256"\n  memory: "512"\n'
                "  containerDefinitions:\n    - {name: job, image: busybox, essential: true}\n"]
        for t in range(self.args.tasks):
            docs.append(
                f"apiVersion: {GROUP}/v1alpha1\nkind: Task\n"
                f"metadata: {{name: job-{t}, namespace: {NAMESPACE}}}\n"
                "spec:\n  clusterRef: {name: jobs}\n  taskDefinitionRef: {name: job}\n"
                "  launchType: FARGATE\n"
                f"  networkConfiguration:\n    awsvpcConfiguration: {{subnets: [{subnet}], securityGroups: [{group}]}}\n"
                '  overrides:\n    containerOverrides:\n      - {name: job, command: [sh, -c, "sleep 5; exit 0"]}\n')
        return "---\n".join(docs)

    def completed(self):
        """Tasks Complete, and Tasks Failed."""
        out = self.kubectl(
            "get", "tasks.ecs.operator.dev", "-n", NAMESPACE, "-o",
            'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Complete")].status}'
            '{"|"}{.status.conditions[?(@.type=="Failed")].status}{"\\n"}{end}')
        complete = failed = 0
        for line in out.splitlines():
            done, fail = line.split("|")
            complete += done == "True"
            failed += fail == "True"
        return complete, failed

    def execute(self):
        args = self.args
        self.testenv_up()
        self.kubectl("apply", "--server-side", "-f", str(REPO / "crds"))
        subnet, group = self.network()
        self.proxy_port = free_port()
        self.start("proxy", [str(args.proxy), "--upstream", self.moto,
                             "--listen", f"127.0.0.1:{self.proxy_port}", "--enforce-quotas"])
        time.sleep(0.5)
        self.metrics_port = free_port()
        self.operator_env = {**self.env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.proxy_port}"}
        self.operator_command = [str(args.operator), "run", f"--resync-interval={args.resync}s",
                                 f"--http-address=127.0.0.1:{self.metrics_port}", "--log-level=warn"]
        self.start_operator("operator")

        manifest = self.workdir / "objects.yaml"
        manifest.write_text(self.manifest(subnet, group))
        started = time.time()
        self.kubectl("apply", "--server-side", "-f", str(manifest))
        applied = round(time.time() - started, 1)
        log(f"applied {args.tasks} Tasks in {applied}s")
        first_complete = None
        timeline = []
        deadline = started + args.timeout
        while True:
            complete, failed = self.completed()
            elapsed = round(time.time() - started, 1)
            runs = self.proxy_stats()["forwarded"].get("RunTask", 0)
            timeline.append({"seconds": elapsed, "complete": complete, "failed": failed, "run_task_sent": runs})
            if complete and first_complete is None:
                first_complete = elapsed
            if complete + failed == args.tasks:
                break
            if time.time() > deadline:
                raise RuntimeError(f"only {complete} of {args.tasks} Tasks Complete after {args.timeout}s")
            if self.operator.poll() is not None:
                raise RuntimeError("the operator exited; see operator.log")
            time.sleep(1)
        all_done = round(time.time() - started, 1)
        log(f"all {args.tasks} Tasks finished after {all_done}s ({failed} failed)")
        stats = self.proxy_stats()
        calls = stats["requests"]
        write = stats["quotas"]["cluster-resource-write"]
        run_tasks = stats["forwarded"].get("RunTask", 0)
        quota = max(0, run_tasks - write["burst"]) / write["per_second"]
        task_run = self.median_task_run()
        bound = quota + task_run
        converge = {
            "seconds_to_all_finished": all_done,
            "apply_seconds": applied,
            "first_complete_seconds": first_complete,
            "median_task_run_seconds": task_run,
            "complete": complete,
            "failed": failed,
            "run_task_calls": run_tasks,
            "run_task_quota_seconds": round(quota, 1),
            "bound_seconds": round(bound, 1),
            "ratio_to_bound": round(all_done / bound, 2) if bound else None,
            "aws_calls": calls,
            "throttled": stats["faults"].get("throttle", 0),
            "describe_tasks_per_task": round(calls.get("DescribeTasks", 0) / args.tasks, 2),
            "timeline": timeline,
        }
        operator = self.operator_usage()
        return {
            "tasks": args.tasks,
            "resync_seconds": args.resync,
            "emulator_speed": args.emulator_speed,
            "converge": converge,
            "operator": operator,
            "idle": self.idle_finished(),
        }

    def median_task_run(self):
        """One task run, as the Tasks' status shows it: from RunTask (the attempt's
        startedAt) to the task's stoppedAt, the median over all Tasks (whole seconds)."""
        items = json.loads(self.kubectl("get", "tasks.ecs.operator.dev", "-n", NAMESPACE, "-o", "json"))["items"]
        runs = []
        for item in items:
            for attempt in item.get("status", {}).get("attempts", []):
                stopped = [t["stoppedAt"] for t in attempt.get("tasks", []) if t.get("stoppedAt")]
                if attempt.get("startedAt") and stopped:
                    runs.append(seconds_between(attempt["startedAt"], max(stopped)))
        return statistics.median(runs) if runs else 0

    def idle_finished(self):
        """Finished Tasks are never requeued, so idle they are not reconciled at all; a
        restart reconciles each once. Both must cost no task call (RunTask, StopTask,
        DescribeTasks, ListTasks) and no Kubernetes write: two resync intervals of idle,
        then a restart until every Task was reconciled."""
        time.sleep(self.args.resync * 1.5)
        writes_before = self.apiserver_writes()
        self.proxy_reset()
        before = self.operator_metric("controller_runtime_reconcile_total", 'controller="task"')
        seconds = 2 * self.args.resync
        log(f"idling for {seconds}s (two resync intervals)")
        time.sleep(seconds)
        idle_reconciles = self.operator_metric("controller_runtime_reconcile_total", 'controller="task"') - before
        self.operator.send_signal(signal.SIGTERM)
        self.operator.wait(timeout=25)
        self.start_operator("operator-restarted")
        deadline = time.time() + self.args.timeout
        while self.operator_metric("controller_runtime_reconcile_total", 'controller="task"') < self.args.tasks:
            if time.time() > deadline or self.operator.poll() is not None:
                raise RuntimeError("the restarted operator did not reconcile every Task")
            time.sleep(0.5)
        calls = self.proxy_stats()["requests"]
        after = self.apiserver_writes()
        writes = {k: n - writes_before.get(k, 0) for k, n in after.items() if n != writes_before.get(k, 0)}
        return {
            "seconds": seconds,
            "idle_task_reconciles": int(idle_reconciles),
            "restart_task_reconciles": int(self.operator_metric("controller_runtime_reconcile_total",
                                                                'controller="task"')),
            "aws_calls": calls,
            "task_calls": sum(calls.get(op, 0) for op in TASK_OPERATIONS),
            "kubernetes_writes": sum(writes.values()),
            "kubernetes_writes_by_request": writes,
        }


def seconds_between(start, end):
    parse = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
    return (parse(end) - parse(start)).total_seconds()


def markdown(result):
    c, i, o = result["converge"], result["idle"], result["operator"]
    lines = [f"# Batch benchmark: {result['tasks']} Tasks", "",
             f"1 Cluster, 1 TaskDefinition and {result['tasks']} Tasks (one task each, 5 emulated seconds, "
             f"exit 0) in one server-side apply; the operator's default rate limits, the proxy holding calls "
             f"to the documented ECS buckets; emulator clock at speed {result['emulator_speed']:g}; resync "
             f"interval {result['resync_seconds']} s. Written by hack/bench/batch.py.",
             "", "| measure | value |", "| --- | --- |",
             f"| apply to every Task finished | {c['seconds_to_all_finished']} s |",
             f"| of which kubectl's server-side apply itself | {c['apply_seconds']} s |",
             f"| Complete / Failed | {c['complete']} / {c['failed']} |",
             f"| RunTask calls | {c['run_task_calls']} |",
             f"| RunTask quota time ({c['run_task_quota_seconds']} s) + one task run ({c['median_task_run_seconds']} s, "
             f"the median from RunTask to stopped) | {c['bound_seconds']} s |",
             f"| first Task Complete | {c['first_complete_seconds']} s |",
             f"| time / bound (goal at most 1.1) | {c['ratio_to_bound']} |",
             f"| DescribeTasks per Task | {c['describe_tasks_per_task']} |",
             f"| throttled | {c['throttled']} |",
             f"| idle ({i['seconds']} s): reconciles of finished Tasks | {i['idle_task_reconciles']} |",
             f"| then a restart: reconciles of finished Tasks | {i['restart_task_reconciles']} |",
             f"| idle and restart: task calls (RunTask, StopTask, DescribeTasks, ListTasks) | {i['task_calls']} |",
             f"| idle and restart: Kubernetes writes | {i['kubernetes_writes']} |",
             f"| operator peak RSS, until every Task finished | {o['peak_rss_mib']} MiB |",
             f"| operator CPU, until every Task finished | {o['cpu_seconds']} s |",
             "", "AWS calls by operation until every Task finished:", ""]
    lines += [f"- {op}: {n}" for op, n in sorted(c["aws_calls"].items())]
    lines += ["", "AWS calls by operation while idle and after the restart:", ""]
    lines += [f"- {op}: {n}" for op, n in sorted(i["aws_calls"].items())] or ["- none"]
    return "\n".join(lines) + "\n"


def check_sane(result):
    c, i = result["converge"], result["idle"]
    problems = []
    if c["complete"] != result["tasks"]:
        problems.append(f"{c['complete']} of {result['tasks']} Tasks Complete")
    if c["run_task_calls"] < result["tasks"]:
        problems.append("fewer RunTask calls than Tasks")
    if i["task_calls"] != 0:
        problems.append(f"{i['task_calls']} task calls while every Task had finished: {i['aws_calls']}")
    if i["kubernetes_writes"] != 0:
        problems.append(f"{i['kubernetes_writes']} Kubernetes writes while idle: {i['kubernetes_writes_by_request']}")
    if i["restart_task_reconciles"] < result["tasks"]:
        problems.append("the restarted operator did not reconcile every finished Task, so it proves nothing")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--resync", type=int, default=20, help="resync interval for the run, seconds")
    parser.add_argument("--timeout", type=int, default=900, help="longest wait for every Task, seconds")
    parser.add_argument("--operator", type=Path, default=TARGET / "release/ecs-operator")
    parser.add_argument("--proxy", type=Path, default=TARGET / "release/aws-fault-proxy")
    parser.add_argument("--out", type=Path, required=True, help="writes OUT.json and OUT.md")
    parser.add_argument("--smoke", action="store_true", help="fail unless the counts are sane")
    args = parser.parse_args()
    args.emulator_speed = 10.0
    args.plain_moto = False

    return run_and_check(Batch, args, markdown, "batch", check_sane)


if __name__ == "__main__":
    sys.exit(main())
