#!/usr/bin/env python3
"""The scale benchmark behind `make bench` (and its N=50 smoke check in `make test`).

One run: a fresh test environment (kube-apiserver, etcd, moto), the release operator
talking to moto through aws-fault-proxy, which counts every AWS call independently of
the operator. 1 Cluster, 10 TaskDefinitions and N Services go in with one server-side
apply; the run waits until all are Ready, then settles for 1.5 resync intervals and idles
for two.

Two modes:
- raised (default): rate limits raised, for time-to-Ready and idle cost; then the
  operator is restarted with every Service Ready, counting the AWS calls and writes
  until it has looked at each Service once;
- quota: the operator's default limits, and a proxy that throttles with the documented
  ECS buckets; reports convergence time against the time the quotas allow; then every
  TaskDefinition gets a new image, and the run waits for every Service Ready on
  revision 2 (the fan-out), counting the DescribeServices polls of rollouts in flight.

Both report the emulator's own CPU time per Service, so its cost can be compared
across Service counts.

Results go to <out>.json and <out>.md. --smoke asserts only that the counts are sane.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Where cargo put the binaries: CARGO_TARGET_DIR when set, as cargo itself reads it.
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
NAMESPACE = "bench"
TASK_DEFINITIONS = 10
GROUP = "ecs.operator.dev"
WRITE_VERBS = {"POST", "PUT", "PATCH", "DELETE", "APPLY"}


def log(message):
    print(f"[bench] {message}", flush=True)


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.processes = []
        self.env = dict(os.environ)

    # --- processes -------------------------------------------------------------

    def start(self, name, command, env=None):
        logfile = open(self.workdir / f"{name}.log", "w")
        process = subprocess.Popen(
            command, stdout=logfile, stderr=subprocess.STDOUT, env=env or self.env,
            stdin=subprocess.DEVNULL,
        )
        self.processes.append((name, process))
        return process

    def stop_all(self):
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=25)
                except subprocess.TimeoutExpired:
                    process.kill()
        state = self.workdir / "testenv"
        subprocess.run([str(REPO / "hack/testenv/down.sh")], env={**self.env, "TESTENV_STATE": str(state)},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def testenv_up(self):
        state = self.workdir / "testenv"
        env = {**os.environ, "TESTENV_STATE": str(state), "TESTENV_OWNER_PID": str(os.getpid()),
               "ECS_EMULATOR_SPEED": str(self.args.emulator_speed)}
        if self.args.plain_moto:
            # The bench's Services ask for 2 tasks; plain moto reports this many running.
            env.update({"ECS_EMULATOR": "off", "MOTO_ECS_SERVICE_RUNNING": "2"})
        subprocess.run([str(REPO / "hack/testenv/up.sh")], env=env, check=True, stdout=sys.stderr)
        for line in (state / "env").read_text().splitlines():
            match = re.match(r'export (\w+)="(.*)"', line)
            if match:
                self.env[match.group(1)] = match.group(2)
        self.moto = self.env["AWS_ENDPOINT_URL"]

    def kubectl(self, *args, stdin=None):
        result = subprocess.run([self.env["KUBECTL"], *args], env=self.env, input=stdin,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    # --- measurements ----------------------------------------------------------

    def proxy_stats(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.proxy_port}/__proxy/stats") as r:
            return json.load(r)

    def proxy_reset(self):
        request = urllib.request.Request(f"http://127.0.0.1:{self.proxy_port}/__proxy/reset", method="POST")
        urllib.request.urlopen(request).read()

    def apiserver_writes(self):
        """Writes to our objects and Events, from kube-apiserver's own request counter."""
        writes = {}
        for line in self.kubectl("get", "--raw", "/metrics").splitlines():
            if not line.startswith("apiserver_request_total{"):
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            ours = labels.get("group") == GROUP or labels.get("resource") == "events"
            if ours and labels.get("verb") in WRITE_VERBS:
                key = f"{labels['verb']} {labels['resource']}"
                if labels.get("subresource"):
                    key += "/" + labels["subresource"]
                writes[key] = writes.get(key, 0) + int(float(line.rsplit(" ", 1)[1]))
        return writes

    def operator_metric(self, name, labels=""):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics") as r:
            text = r.read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + "{") and labels in line or line.startswith(name + " "):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def operator_usage(self):
        pid = self.operator.pid
        status = Path(f"/proc/{pid}/status").read_text()
        peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
        return {"peak_rss_mib": round(peak / 1024, 1), "rss_mib": round(rss / 1024, 1),
                "cpu_seconds": round(cpu_seconds(pid), 2)}

    def emulator_cpu(self):
        """CPU seconds the emulator (the test environment's moto) has used so far."""
        for line in (self.workdir / "testenv/pids").read_text().splitlines():
            name, pid = line.split()
            if name == "moto":
                return cpu_seconds(int(pid))
        raise RuntimeError("the test environment has no moto")

    def ready_counts(self, revision=None):
        """Objects Ready for their generation; Services only when on task definition
        revision `revision`, if given."""
        out = self.kubectl(
            "get", "services.ecs.operator.dev,taskdefinitions.ecs.operator.dev,clusters.ecs.operator.dev",
            "-n", NAMESPACE, "-o",
            'jsonpath={range .items[*]}{.kind}{"|"}{.status.conditions[?(@.type=="Ready")].status}'
            '{"|"}{.status.observedGeneration}{"|"}{.metadata.generation}{"|"}{.status.taskDefinitionArn}{"\\n"}{end}')
        counts = {"Service": 0, "TaskDefinition": 0, "Cluster": 0}
        for line in out.splitlines():
            kind, ready, observed, generation, arn = line.split("|")
            on_revision = revision is None or kind != "Service" or arn.endswith(f":{revision}")
            if ready == "True" and observed == generation and on_revision:
                counts[kind] += 1
        return counts

    def dump_not_ready(self, revision):
        """Writes the Services not Ready on `revision` as JSON to the work directory,
        for a failed run to be read afterwards; returns the file."""
        services = json.loads(self.kubectl("get", "services.ecs.operator.dev", "-n", NAMESPACE, "-o", "json"))
        stuck = []
        for service in services["items"]:
            status = service.get("status", {})
            ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", []))
            current = status.get("observedGeneration") == service["metadata"]["generation"]
            on_revision = str(status.get("taskDefinitionArn", "")).endswith(f":{revision}")
            if not (ready and current and on_revision):
                stuck.append(service)
        path = self.workdir / "not-ready.json"
        path.write_text(json.dumps(stuck, indent=2) + "\n")
        return path

    # --- the run ---------------------------------------------------------------

    def network(self):
        script = (
            "import boto3\n"
            "ec2 = boto3.client('ec2')\n"
            "vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']\n"
            "subnet = ec2.create_subnet(VpcId=vpc, CidrBlock='10.0.1.0/24')['Subnet']['SubnetId']\n"
            "group = ec2.create_security_group(GroupName='bench', Description='bench', VpcId=vpc)['GroupId']\n"
            "print(subnet, group)\n")
        out = subprocess.run([self.env["TESTENV_PYTHON"], "-c", script], env=self.env, check=True,
                             capture_output=True, text=True).stdout
        return out.split()

    def manifest(self, subnet, group):
        docs = [f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NAMESPACE}}}\n",
                f"apiVersion: {GROUP}/v1alpha1\nkind: Cluster\nmetadata: {{name: bench, namespace: {NAMESPACE}}}\n"
                "spec: {}\n"]
        for t in range(TASK_DEFINITIONS):
            docs.append(
                f"apiVersion: {GROUP}/v1alpha1\nkind: TaskDefinition\n"
                f"metadata: {{name: app-{t}, namespace: {NAMESPACE}}}\n"
                "spec:\n  requiresCompatibilities: [FARGATE]\n  networkMode: awsvpc\n"
                '  cpu: "256"\n  memory: "512"\n'
                f"  containerDefinitions:\n    - {{name: app, image: nginx, essential: true}}\n")
        for s in range(self.args.services):
            docs.append(
                f"apiVersion: {GROUP}/v1alpha1\nkind: Service\n"
                f"metadata: {{name: svc-{s}, namespace: {NAMESPACE}}}\n"
                f"spec:\n  clusterRef: {{name: bench}}\n  taskDefinitionRef: {{name: app-{s % TASK_DEFINITIONS}}}\n"
                "  desiredCount: 2\n  launchType: FARGATE\n"
                f"  networkConfiguration:\n    awsvpcConfiguration: {{subnets: [{subnet}], securityGroups: [{group}]}}\n")
        return "---\n".join(docs)

    def execute(self):
        args = self.args
        self.testenv_up()
        self.kubectl("apply", "--server-side", "-f", str(REPO / "crds"))
        subnet, group = self.network()

        self.proxy_port = free_port()
        proxy = [str(args.proxy), "--upstream", self.moto, "--listen", f"127.0.0.1:{self.proxy_port}"]
        if args.mode == "quota":
            proxy.append("--enforce-quotas")
        self.start("proxy", proxy)
        time.sleep(0.5)

        self.metrics_port = free_port()
        self.operator_env = {**self.env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.proxy_port}"}
        self.operator_command = [str(args.operator), "run", f"--resync-interval={args.resync}s",
                                 f"--http-address=127.0.0.1:{self.metrics_port}", "--log-level=warn"]
        if args.mode == "raised":
            self.operator_command.append("--aws-rate-limit=all=100000:100000")
        self.start_operator("operator")

        manifest = self.workdir / "objects.yaml"
        manifest.write_text(self.manifest(subnet, group))
        emulator_before = self.emulator_cpu()
        started = time.time()
        self.kubectl("apply", "--server-side", "-f", str(manifest))
        applied = time.time() - started
        log(f"applied {args.services} Services, 1 Cluster, {TASK_DEFINITIONS} TaskDefinitions in {applied:.1f}s")

        milestones = {}
        timeline = []
        deadline = started + args.timeout
        while True:
            counts = self.ready_counts()
            creates = self.proxy_stats()["forwarded"].get("CreateService", 0)
            elapsed = round(time.time() - started, 1)
            timeline.append({"seconds": elapsed, "services_ready": counts["Service"], "creates_sent": creates})
            if counts["TaskDefinition"] == TASK_DEFINITIONS and counts["Cluster"] == 1:
                milestones.setdefault("cluster_and_task_definitions_ready", elapsed)
            if creates >= args.services:
                milestones.setdefault("all_creates_sent", elapsed)
            if counts["Service"] >= args.services // 2:
                milestones.setdefault("half_services_ready", elapsed)
            if counts["Service"] == args.services:
                milestones["all_ready"] = elapsed
                break
            if time.time() > deadline:
                raise RuntimeError(f"only {counts} Ready after {args.timeout}s")
            if self.operator.poll() is not None:
                raise RuntimeError("the operator exited; see operator.log")
            time.sleep(1)
        log(f"all Ready after {milestones['all_ready']}s")
        converge_calls = self.proxy_stats()
        converge_usage = self.operator_usage()
        emulator_converge = self.emulator_cpu() - emulator_before

        result = {
            "mode": args.mode,
            "services": args.services,
            "task_definitions": TASK_DEFINITIONS,
            "clusters": 1,
            "resync_seconds": args.resync,
            "emulator_speed": args.emulator_speed,
            "plain_moto": args.plain_moto,
            "apply_seconds": round(applied, 1),
            "milestones_seconds": milestones,
            "timeline": timeline,
            "converge": {
                "aws_calls": converge_calls["requests"],
                "aws_calls_total": sum(converge_calls["requests"].values()),
                "throttled": converge_calls["faults"].get("throttle", 0),
                "rate_limit_wait_seconds": round(self.operator_metric("ecs_operator_aws_rate_limit_wait_seconds_total"), 1),
                "operator": converge_usage,
            },
        }
        result["emulator"] = {
            "converge_cpu_ms_per_service": round(1000 * emulator_converge / args.services, 2),
        }
        if args.mode == "quota":
            result["converge"]["quota_seconds"] = quota_seconds(converge_calls)
            result["operator_final"] = self.operator_usage()
            result["fan_out"] = self.fan_out()
        else:
            emulator_before = self.emulator_cpu()
            result["idle"] = self.idle()
            resyncs = result["idle"]["service_resyncs"]
            result["emulator"]["idle_cpu_ms_per_service_resync"] = (
                round(1000 * (self.emulator_cpu() - emulator_before) / resyncs, 3) if resyncs else None)
            result["operator_final"] = self.operator_usage()
            result["restart"] = self.restart()
        return result

    def start_operator(self, name):
        self.operator = self.start(name, self.operator_command, env=self.operator_env)
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/readyz").read()
                return
            except Exception:
                if time.time() > deadline or self.operator.poll() is not None:
                    raise RuntimeError(f"the operator did not become ready; see {name}.log")
                time.sleep(0.2)

    def restart(self):
        """The operator stops and starts again with every Service Ready: until it has
        reconciled each Service once, count its AWS calls (goal: no write, at most one
        DescribeServices per 10 Services) and its Kubernetes writes."""
        services = self.args.services
        self.operator.send_signal(signal.SIGTERM)
        self.operator.wait(timeout=25)
        self.proxy_reset()
        writes_before = self.apiserver_writes()
        started = time.time()
        self.start_operator("operator-restarted")
        deadline = started + self.args.timeout
        while self.operator_metric("controller_runtime_reconcile_total", 'controller="service"') < services:
            if time.time() > deadline or self.operator.poll() is not None:
                raise RuntimeError("the restarted operator did not reconcile every Service")
            time.sleep(0.5)
        steady = round(time.time() - started, 1)
        log(f"restarted operator reconciled all {services} Services in {steady}s")
        calls = self.proxy_stats()["requests"]
        after = self.apiserver_writes()
        writes = {k: n - writes_before.get(k, 0) for k, n in after.items() if n != writes_before.get(k, 0)}
        describes = calls.get("DescribeServices", 0)
        return {
            "seconds_to_every_service_reconciled": steady,
            "aws_calls": calls,
            "aws_writes": sum(n for op, n in calls.items() if not op.startswith(("Describe", "List"))),
            "describe_services": describes,
            "services_per_describe_services": round(services / describes, 2) if describes else None,
            "kubernetes_writes": sum(writes.values()),
            "kubernetes_writes_by_request": writes,
        }

    def fan_out(self):
        """Every TaskDefinition gets a new image at once, so every Service rolls out
        revision 2. From the first edit to every Service Ready on it: the time, against
        what the UpdateService quota allows plus one emulated rollout (the first Service
        Ready on revision 2), and the DescribeServices calls per Service in flight per
        minute."""
        services = self.args.services
        self.proxy_reset()
        emulator_before = self.emulator_cpu()
        patch = '[{"op": "replace", "path": "/spec/containerDefinitions/0/image", "value": "nginx:1.27"}]'
        started = time.time()
        for t in range(TASK_DEFINITIONS):
            self.kubectl("patch", "taskdefinition", f"app-{t}", "-n", NAMESPACE, "--type", "json", "-p", patch)
        in_flight_seconds, last, first_ready = 0.0, started, None
        deadline = started + self.args.timeout
        while True:
            ready = self.ready_counts(revision=2)["Service"]
            now = time.time()
            in_flight_seconds += (services - ready) * (now - last)
            last = now
            if ready and first_ready is None:
                first_ready = round(now - started, 1)
            if ready == services:
                break
            if now > deadline or self.operator.poll() is not None:
                stuck = self.dump_not_ready(revision=2)
                raise RuntimeError(f"only {ready} Services Ready on revision 2 after the fan-out; "
                                   f"the others' status in {stuck}")
            time.sleep(1)
        all_ready = round(time.time() - started, 1)
        log(f"fan-out: every Service Ready on revision 2 after {all_ready}s")
        stats = self.proxy_stats()
        write = stats["quotas"]["service-write"]
        updates = stats["requests"].get("UpdateService", 0)
        update_quota = max(0, updates - write["burst"]) / write["per_second"]
        bound = update_quota + first_ready
        describes = stats["requests"].get("DescribeServices", 0)
        in_flight_minutes = in_flight_seconds / 60
        return {
            "seconds_to_all_ready_on_revision_2": all_ready,
            "first_ready_seconds": first_ready,
            "update_service_calls": updates,
            "update_service_quota_seconds": round(update_quota, 1),
            "bound_seconds": round(bound, 1),
            "ratio_to_bound": round(all_ready / bound, 2) if bound else None,
            "aws_calls": stats["requests"],
            "throttled": stats["faults"].get("throttle", 0),
            "describe_services": describes,
            "in_flight_service_minutes": round(in_flight_minutes, 1),
            "describe_services_per_in_flight_service_minute": (
                round(describes / in_flight_minutes, 3) if in_flight_minutes else None),
            "emulator_cpu_ms_per_service": round(1000 * (self.emulator_cpu() - emulator_before) / services, 2),
        }

    def reconcile_counts(self):
        """Finished reconciles of Services and of TaskDefinitions, from the operator's metrics."""
        return tuple(self.operator_metric("controller_runtime_reconcile_total", f'controller="{kind}"')
                     for kind in ("service", "taskdefinition"))

    def at_quiet_moment(self, action):
        """Runs `action` (a proxy reset or read) between two equal readings of the reconcile
        counters, so no reconcile finished while the AWS call counts were cut. Otherwise a
        reconcile whose calls fall inside the window but whose count falls outside it skews
        the per-resync ratios. Returns the counts and what `action` returned."""
        for _ in range(50):
            before = self.reconcile_counts()
            result = action()
            if self.reconcile_counts() == before:
                return before, result
            time.sleep(0.05)
        raise RuntimeError("reconciles never paused for 50 tries while idle: the operator is not idle")

    def idle(self):
        # Each object's first drift check after convergence may record real news (a
        # Cluster's service count); idle is what follows. A check comes up to 1.2
        # intervals (jitter) plus one slot after the last, so settle for 1.5 intervals.
        settle = self.args.resync * 1.5
        log(f"settling for {settle:.0f}s (1.5 resync intervals)")
        time.sleep(settle)
        writes_before = self.apiserver_writes()
        (resyncs_before, td_resyncs_before), _ = self.at_quiet_moment(self.proxy_reset)
        seconds = 2 * self.args.resync
        log(f"idling for {seconds}s (two resync intervals)")
        time.sleep(seconds)
        (resyncs_after, td_resyncs_after), stats = self.at_quiet_moment(self.proxy_stats)
        calls = stats["requests"]
        after = self.apiserver_writes()
        writes = {k: n - writes_before.get(k, 0) for k, n in after.items() if n != writes_before.get(k, 0)}
        resyncs = resyncs_after - resyncs_before
        td_resyncs = td_resyncs_after - td_resyncs_before
        ecs_calls = sum(n for op, n in calls.items() if not is_scaling(op))
        aws_writes = sum(n for op, n in calls.items() if not op.startswith(("Describe", "List")))
        per_resync = resyncs / self.args.services if self.args.services else 0
        return {
            "seconds": seconds,
            "aws_calls": calls,
            "aws_writes": aws_writes,
            "service_resyncs": int(resyncs),
            "ecs_calls_per_service_per_resync": round(ecs_calls / resyncs, 3) if resyncs else None,
            "resyncs_per_service": round(per_resync, 2),
            # Each TaskDefinition resync checks its latest revision in ECS (drift).
            "task_definition_resyncs": int(td_resyncs),
            "describe_task_definition_per_resync": (
                round(calls.get("DescribeTaskDefinition", 0) / td_resyncs, 3) if td_resyncs else None),
            "kubernetes_writes": sum(writes.values()),
            "kubernetes_writes_by_request": writes,
        }


def cpu_seconds(pid):
    """User and system CPU time of process `pid`, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def is_scaling(operation):
    return operation in {"DescribeScalableTargets", "DescribeScalingPolicies", "DescribeScheduledActions",
                         "RegisterScalableTarget", "DeregisterScalableTarget", "PutScalingPolicy",
                         "DeleteScalingPolicy", "PutScheduledAction", "DeleteScheduledAction"}


def quota_seconds(stats):
    """The least time the proxy's buckets allow for the calls that got through: per
    group, (calls beyond the burst) / refill rate; the slowest group decides."""
    quotas = stats["quotas"]
    return round(max([max(0, n - quotas[g]["burst"]) / quotas[g]["per_second"]
                      for g, n in stats["forwarded_by_group"].items()] or [0]), 1)


def markdown(result):
    lines = [f"# Benchmark: {result['services']} Services, mode {result['mode']}", "",
             f"1 Cluster, {result['task_definitions']} TaskDefinitions, {result['services']} Services in one "
             f"server-side apply; resync interval {result['resync_seconds']} s; "
             + ("plain moto without the emulator (deployments COMPLETED at once)"
                if result.get("plain_moto") else f"emulator clock at speed {result['emulator_speed']:g}")
             + ". AWS calls counted by aws-fault-proxy.",
             "", "| measure | value |", "| --- | --- |"]
    m = result["milestones_seconds"]
    lines.append(f"| apply to all Ready | {m['all_ready']} s |")
    lines.append(f"| of which kubectl's server-side apply itself | {result['apply_seconds']} s |")
    for key, value in m.items():
        if key != "all_ready":
            lines.append(f"| {key.replace('_', ' ')} | {value} s |")
    c = result["converge"]
    lines.append(f"| AWS calls to converge | {c['aws_calls_total']} |")
    lines.append(f"| throttled | {c['throttled']} |")
    lines.append(f"| time waiting in the client-side rate limiter | {c['rate_limit_wait_seconds']} s |")
    if "quota_seconds" in c:
        lines.append(f"| time the quotas allow for these calls | {c['quota_seconds']} s |")
        ratio = m["all_ready"] / c["quota_seconds"] if c["quota_seconds"] else None
        lines.append(f"| convergence / quota time | {ratio:.2f} |" if ratio else "| convergence / quota time | n/a |")
    if "idle" in result:
        i = result["idle"]
        lines.append(f"| idle: ECS calls per Service per resync | {i['ecs_calls_per_service_per_resync']} |")
        lines.append(f"| idle: AWS writes | {i['aws_writes']} |")
        lines.append(f"| idle: Kubernetes writes | {i['kubernetes_writes']} |")
        lines.append(f"| idle: Service resyncs | {i['service_resyncs']} ({i['resyncs_per_service']} per Service) |")
        if "task_definition_resyncs" in i:
            lines.append(f"| idle: DescribeTaskDefinition per TaskDefinition resync | "
                         f"{i['describe_task_definition_per_resync']} ({i['task_definition_resyncs']} resyncs) |")
    o = result["operator_final"]
    lines.append(f"| operator peak RSS | {o['peak_rss_mib']} MiB |")
    lines.append(f"| operator CPU | {o['cpu_seconds']} s |")
    e = result["emulator"]
    server = "plain moto" if result.get("plain_moto") else "emulator"
    lines.append(f"| {server} CPU per Service while converging | {e['converge_cpu_ms_per_service']} ms |")
    if "idle_cpu_ms_per_service_resync" in e:
        lines.append(f"| {server} CPU per Service resync while idle | {e['idle_cpu_ms_per_service_resync']} ms |")
    if "restart" in result:
        r = result["restart"]
        lines.append(f"| restart: every Service reconciled after | {r['seconds_to_every_service_reconciled']} s |")
        lines.append(f"| restart: AWS writes | {r['aws_writes']} |")
        lines.append(f"| restart: DescribeServices calls | {r['describe_services']} "
                     f"({r['services_per_describe_services']} Services each) |")
        lines.append(f"| restart: Kubernetes writes | {r['kubernetes_writes']} |")
    if "fan_out" in result:
        f = result["fan_out"]
        lines.append(f"| fan-out: edit to every Service Ready on revision 2 | {f['seconds_to_all_ready_on_revision_2']} s |")
        lines.append(f"| fan-out: UpdateService quota time + one rollout ({f['first_ready_seconds']} s) "
                     f"| {f['bound_seconds']} s |")
        lines.append(f"| fan-out: time / bound | {f['ratio_to_bound']} |")
        lines.append(f"| fan-out: DescribeServices per in-flight Service per minute "
                     f"| {f['describe_services_per_in_flight_service_minute']} |")
        lines.append(f"| fan-out: throttled | {f['throttled']} |")
        lines.append(f"| fan-out: emulator CPU per Service | {f['emulator_cpu_ms_per_service']} ms |")
    lines += ["", "AWS calls by operation while converging:", ""]
    lines += [f"- {op}: {n}" for op, n in sorted(c["aws_calls"].items())]
    for phase, title in (("idle", "while idle"), ("restart", "after the restart, until every Service was reconciled"),
                         ("fan_out", "during the fan-out")):
        if phase in result:
            lines += ["", f"AWS calls by operation {title}:", ""]
            lines += [f"- {op}: {n}" for op, n in sorted(result[phase]["aws_calls"].items())] or ["- none"]
    return "\n".join(lines) + "\n"


def check_sane(result):
    """The smoke check: generous bounds, so it does not flake, but no zero-by-accident."""
    problems = []
    c, i = result["converge"], result["idle"]
    if c["aws_calls"].get("CreateService", 0) < result["services"]:
        problems.append("fewer CreateService calls than Services")
    if c["aws_calls"].get("CreateService", 0) > 2 * result["services"]:
        problems.append("more than two CreateService calls per Service")
    if c["aws_calls"].get("UpdateService", 0) != 0:
        problems.append("UpdateService calls while converging, though no spec changed")
    if i["aws_writes"] != 0:
        problems.append(f"{i['aws_writes']} AWS writes while idle")
    if i["kubernetes_writes"] != 0:
        problems.append(f"{i['kubernetes_writes']} Kubernetes writes while idle: {i['kubernetes_writes_by_request']}")
    if i["service_resyncs"] < result["services"]:
        problems.append("Services were not resynced while idle")
    if i["ecs_calls_per_service_per_resync"] is None or i["ecs_calls_per_service_per_resync"] > 1.0:
        problems.append("more than one ECS call per Service per resync")
    if not i["task_definition_resyncs"]:
        problems.append("TaskDefinitions were not resynced while idle")
    else:
        # One reconcile may still be between its call and its count at each cut of the window.
        describes, td_resyncs = i["aws_calls"].get("DescribeTaskDefinition", 0), i["task_definition_resyncs"]
        if not 0 < describes <= td_resyncs + 2:
            problems.append(f"{describes} DescribeTaskDefinition calls for {td_resyncs} TaskDefinition resyncs "
                            "while idle: drift detection needs one per resync")
    r = result["restart"]
    if r["aws_writes"] != 0:
        problems.append(f"{r['aws_writes']} AWS writes after a restart: {r['aws_calls']}")
    if r["describe_services"] > result["services"]:
        problems.append("more than one DescribeServices per Service after a restart")
    return problems


def run_and_write(kind, args, render, name):
    """Runs `kind(args, workdir).execute()` in a fresh work directory, stops everything
    it started, and writes the result to args.out as JSON and as `render` made it.
    None when the run failed (its logs stay in the work directory)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"ecs-operator-{name}."))
    run = kind(args, workdir)
    try:
        result = run.execute()
    except Exception as error:
        log(f"failed: {error}; logs in {workdir}")
        run.stop_all()
        return None
    run.stop_all()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(render(result))
    print(render(result))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--mode", choices=["raised", "quota"], default="raised")
    parser.add_argument("--emulator-speed", type=float, default=None,
                        help="the emulator clock's speed; default 1000 in raised mode, so a first deployment "
                             "completes in 25 ms and time to Ready measures the operator, and the emulator's default "
                             "10 in quota mode, where the fan-out's bound includes one emulated rollout")
    parser.add_argument("--resync", type=int, default=20, help="resync interval for the run, seconds")
    parser.add_argument("--timeout", type=int, default=900, help="longest wait for all Ready, seconds")
    parser.add_argument("--operator", type=Path, default=TARGET / "release/ecs-operator")
    parser.add_argument("--proxy", type=Path, default=TARGET / "release/aws-fault-proxy")
    parser.add_argument("--out", type=Path, required=True, help="writes OUT.json and OUT.md")
    parser.add_argument("--smoke", action="store_true", help="fail unless the counts are sane")
    parser.add_argument("--plain-moto", action="store_true",
                        help="run against plain moto without the emulator, the baseline the emulator's figures "
                             "are compared with (raised mode only: plain moto's deployments never roll out)")
    args = parser.parse_args()
    if args.plain_moto and args.mode != "raised":
        parser.error("--plain-moto needs --mode raised: plain moto's deployments never roll out")
    if args.emulator_speed is None:
        args.emulator_speed = 1000.0 if args.mode == "raised" else 10.0

    return run_and_check(Run, args, markdown, "bench", check_sane)


def run_and_check(kind, args, render, name, check):
    """`run_and_write`, then, with --smoke, `check`'s problems fail the run. The exit code."""
    result = run_and_write(kind, args, render, name)
    if result is None:
        return 1
    if args.smoke:
        problems = check(result)
        if problems:
            log("smoke check failed: " + "; ".join(problems))
            return 1
        log("smoke check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
