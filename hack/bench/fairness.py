#!/usr/bin/env python3
"""Fairness between namespaces, behind `make bench`: one tenant's failing objects must
not starve another's.

One run: a fresh test environment, the operator serving two regions through
aws-fault-proxy. Namespace B applies N Clusters (20) and the run times them to Ready
with nobody else busy (quiet). Then the proxy answers every call signed for namespace
A's region with throttling or a 5xx (a regional outage), namespace A applies 300
Clusters there, and once A's reconciles are retrying, B applies N more: their time to
Ready, against the quiet time, is the result (goal: at most 1.2). Each phase runs
--rounds times and the medians are compared.

The mechanism measured is the operator's fair sharing of reconcile slots between
namespaces (src/controller/fair.rs). Results go to <out>.json and <out>.md.
"""

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

from bench import GROUP, REPO, TARGET, Run, free_port, log, run_and_write

QUIET_REGION = "us-east-1"
FAILING_REGION = "us-west-2"


class Fairness(Run):
    def clusters(self, namespace, prefix, count, region=None):
        docs = [f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {namespace}}}\n"]
        for i in range(count):
            spec = f"spec: {{region: {region}}}\n" if region else "spec: {}\n"
            docs.append(f"apiVersion: {GROUP}/v1alpha1\nkind: Cluster\n"
                        f"metadata: {{name: {prefix}-{i}, namespace: {namespace}}}\n{spec}")
        return "---\n".join(docs)

    def apply(self, text, name):
        path = self.workdir / f"{name}.yaml"
        path.write_text(text)
        self.kubectl("apply", "--server-side", "-f", str(path))

    def ready(self, namespace, prefix):
        out = self.kubectl(
            "get", "clusters.ecs.operator.dev", "-n", namespace, "-o",
            'jsonpath={range .items[*]}{.metadata.name}{"|"}'
            '{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}')
        return sum(1 for line in out.splitlines()
                   if line.startswith(f"{prefix}-") and line.endswith("|True"))

    def time_to_ready(self, namespace, prefix, count):
        started = time.time()
        self.apply(self.clusters(namespace, prefix, count), prefix)
        deadline = started + self.args.timeout
        while self.ready(namespace, prefix) < count:
            if time.time() > deadline or self.operator.poll() is not None:
                raise RuntimeError(f"{prefix}: not all {count} Clusters Ready after {self.args.timeout}s")
            time.sleep(0.1)
        return round(time.time() - started, 2)

    def retrying(self, namespace):
        out = self.kubectl(
            "get", "clusters.ecs.operator.dev", "-n", namespace, "-o",
            'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].reason}{"\\n"}{end}')
        return sum(1 for reason in out.splitlines() if reason == "Retrying")

    def set_faults(self, faults):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.proxy_port}/__proxy/faults", method="PUT",
            data=json.dumps(faults).encode())
        urllib.request.urlopen(request).read()

    def faulted(self):
        return sum(self.proxy_stats()["faults"].values())

    def execute(self):
        args = self.args
        self.testenv_up()
        self.kubectl("apply", "--server-side", "-f", str(REPO / "crds"))
        self.proxy_port = free_port()
        self.start("proxy", [str(args.proxy), "--upstream", self.moto, "--listen", f"127.0.0.1:{self.proxy_port}"])
        time.sleep(0.5)
        self.metrics_port = free_port()
        self.operator_env = {**self.env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.proxy_port}"}
        self.operator_command = [
            str(args.operator), "run", "--resync-interval=300s", "--log-level=warn",
            f"--http-address=127.0.0.1:{self.metrics_port}",
            f"--allowed-regions={QUIET_REGION},{FAILING_REGION}",
            "--aws-rate-limit=all=100000:100000"]
        self.start_operator("operator")

        quiet = [self.time_to_ready("team-b", f"quiet-{r}", args.objects) for r in range(args.rounds)]
        log(f"quiet: {args.objects} Clusters in team-b Ready in {quiet}s")

        self.set_faults(json.loads(args.faults))
        self.apply(self.clusters("team-a", "failing", args.failing, FAILING_REGION), "failing")
        # Measured once every one of team-a's Clusters has failed and reported it
        # (Retrying), so team-b meets the steady failing state, not the first apply.
        deadline = time.time() + 120
        while args.measure_at == "failing" and self.retrying("team-a") < args.failing:
            if time.time() > deadline:
                raise RuntimeError("team-a's Clusters did not all start failing")
            time.sleep(0.5)
        faulted_before = self.faulted()
        loaded = [self.time_to_ready("team-b", f"loaded-{r}", args.objects) for r in range(args.rounds)]
        a_ready = self.ready("team-a", "failing")
        faulted_during = self.faulted() - faulted_before
        log(f"loaded: {args.objects} Clusters in team-b Ready in {loaded}s, "
            f"{faulted_during} of team-a's calls failed meanwhile, {a_ready} of team-a's Ready")
        if faulted_during == 0:
            raise RuntimeError("team-a was not failing while team-b's Clusters converged")
        ratio = round(statistics.median(loaded) / statistics.median(quiet), 2)
        worst = round(max(loaded) / statistics.median(quiet), 2)
        return {
            "objects": args.objects,
            "failing_objects": args.failing,
            "rounds": args.rounds,
            "measured_at": args.measure_at,
            "quiet_seconds": quiet,
            "loaded_seconds": loaded,
            "ratio_of_medians": ratio,
            "worst_round_to_quiet_median": worst,
            "failing_calls_meanwhile": faulted_during,
            "failing_objects_ready": a_ready,
            "operator": self.operator_usage(),
        }


def markdown(result):
    return "\n".join([
        "# Fairness between namespaces",
        "",
        f"{result['objects']} Clusters in team-b, with team-a quiet and then with "
        f"{result['failing_objects']} of team-a's Clusters failing (every call to their region "
        f"throttled or answered 5xx), team-b's rounds starting "
        + ("once every team-a Cluster had failed" if result["measured_at"] == "failing"
           else "right after team-a's apply")
        + ". Written by hack/bench/fairness.py.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| team-b Ready, team-a quiet (s, each round) | {result['quiet_seconds']} |",
        f"| team-b Ready, team-a failing (s, each round) | {result['loaded_seconds']} |",
        f"| ratio of the medians (goal at most 1.2) | {result['ratio_of_medians']} |",
        f"| slowest team-b round against the quiet median | {result['worst_round_to_quiet_median']} |",
        f"| team-a calls failed meanwhile | {result['failing_calls_meanwhile']} |",
        f"| team-a Clusters Ready | {result['failing_objects_ready']} |",
        "",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=20, help="Clusters team-b applies per round")
    parser.add_argument("--failing", type=int, default=300, help="Clusters of team-a that fail")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--faults", default=json.dumps(
        {"throttle_rate": 0.5, "error_rate": 0.5, "regions": [FAILING_REGION]}),
        help="the proxy's random faults while team-a fails (PUT /__proxy/faults)")
    parser.add_argument("--measure-at", choices=["failing", "apply"], default="failing",
                        help="start team-b's rounds once every team-a Cluster has failed (the steady "
                             "state), or right after team-a's apply (the burst)")
    parser.add_argument("--timeout", type=int, default=120, help="longest wait for one round, seconds")
    parser.add_argument("--operator", type=Path, default=TARGET / "release/ecs-operator")
    parser.add_argument("--proxy", type=Path, default=TARGET / "release/aws-fault-proxy")
    parser.add_argument("--out", type=Path, required=True, help="writes OUT.json and OUT.md")
    args = parser.parse_args()
    args.emulator_speed = 10.0

    result = run_and_write(Fairness, args, markdown, "fairness")
    if result is None:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
