#!/usr/bin/env python3
"""Manifests nobody wrote by hand: generated from the CRDs' own OpenAPI schemas
(hypothesis-jsonschema: valid by the schema, random otherwise), applied to the
real API server with the operator running against the emulator.

For every manifest it checks that the API server refuses it with a message
naming a field, or that it ends Ready, Stalled with a reason and a message, or
Reconciling with a reason; it watches every condition for the whole run (none
may lack a reason), that the operator never exits and its /readyz stays ok,
that after settling the AWS calls over the window stay within
  objects x 1 call per object per resync x (window / resync + 1) + slack
(no kind makes more than one AWS call per idle resync: make bench measures 0.12
per Service, 1 per TaskDefinition and Cluster; the slack covers objects still
retrying an AWS error), and that deleting the namespace leaves no object with a
finalizer and no AWS resource the operator created for an object whose
deletionPolicy is Delete.

make fuzz runs 1000 manifests; make test runs a seeded 50.
Results go to <out>.json and <out>.md.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis_jsonschema import from_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench import GROUP, REPO, TARGET, Run, free_port, log, run_and_write  # noqa: E402

NAMESPACE = "fuzz"
KINDS = ("Cluster", "TaskDefinition", "Service")
PLURAL = {"Cluster": "clusters", "TaskDefinition": "taskdefinitions", "Service": "services"}
SLACK_CALLS = 20
# A field path in an API server refusal: "spec.desiredCount: Invalid value", "spec: ...",
# 'unknown field "spec.x"'.
FIELD = re.compile(r"\bspec[.:\"]")


def spec_schemas() -> dict[str, dict]:
    """Each kind's spec schema from crds/, without the x-kubernetes-* keys JSON Schema
    does not know (the CEL rules among them: the API server applies those). An object
    with properties takes no others, as the API server's structural schema prunes or
    refuses them: generating unknown fields would mostly test that refusal."""

    def clean(node):
        if isinstance(node, dict):
            out = {k: clean(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
            if "properties" in out:
                out.setdefault("additionalProperties", False)
            return out
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    out = {}
    for doc in yaml.safe_load_all((REPO / "crds/ecs.operator.dev_crds.yaml").read_text()):
        if doc and doc["spec"]["names"]["kind"] in KINDS:
            schema = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
            out[doc["spec"]["names"]["kind"]] = clean(schema)
    return out


def generate(kind: str, schema: dict, count: int, run_seed: int) -> list[dict]:
    """`count` specs for `kind`, the same ones for the same seed."""
    specs: list[dict] = []

    @seed(run_seed)
    @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(from_schema(schema, allow_x00=False, codec="utf-8"))
    def collect(spec):
        specs.append(spec)

    collect()
    return specs[:count]


def manifests(count: int, run_seed: int) -> list[dict]:
    schemas = spec_schemas()
    rng = random.Random(run_seed)
    per_kind = {kind: generate(kind, schemas[kind], count // 3 + 1, run_seed) for kind in KINDS}
    out = []
    for i in range(count):
        kind = KINDS[i % 3]
        spec = per_kind[kind][i // 3]
        if kind == "Service" and rng.random() < 0.5:
            # Half the Services reference objects that exist, so they reach AWS.
            for key in ("cluster", "clusterRef", "taskDefinition", "taskDefinitionRef"):
                spec.pop(key, None)
            spec["clusterRef"] = {"name": "base"}
            spec["taskDefinitionRef"] = {"name": "base"}
        out.append({
            "apiVersion": f"{GROUP}/v1alpha1",
            "kind": kind,
            "metadata": {"name": f"fz-{kind.lower()}-{i}", "namespace": NAMESPACE},
            "spec": spec,
        })
    return out


BASE = f"""apiVersion: {GROUP}/v1alpha1
kind: Cluster
metadata: {{name: base, namespace: {NAMESPACE}}}
spec: {{}}
---
apiVersion: {GROUP}/v1alpha1
kind: TaskDefinition
metadata: {{name: base, namespace: {NAMESPACE}}}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions: [{{name: web, image: nginx}}]
"""


class Fuzz(Run):
    def execute(self):
        args = self.args
        self.testenv_up()
        self.kubectl("apply", "--server-side", "-f", str(REPO / "crds"))
        self.kubectl("create", "namespace", NAMESPACE)
        self.proxy_port = free_port()
        self.start("proxy", [str(args.proxy), "--upstream", self.moto, "--listen", f"127.0.0.1:{self.proxy_port}"])
        time.sleep(0.5)
        self.metrics_port = free_port()
        env = {**self.env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.proxy_port}"}
        self.operator = self.start("operator", [
            str(args.operator), "run", f"--namespace={NAMESPACE}", f"--resync-interval={args.resync}s",
            f"--http-address=127.0.0.1:{self.metrics_port}", "--log-level=warn"], env=env)
        self.kubectl("apply", "-f", "-", stdin=BASE)

        generated = manifests(args.manifests, args.seed)
        (self.workdir / "manifests.json").write_text(json.dumps(generated, indent=1))
        refused, refused_unnamed, accepted = [], [], []
        for doc in generated:
            result = subprocess.run([self.env["KUBECTL"], "apply", "-f", "-"], env=self.env,
                                    input=json.dumps(doc), capture_output=True, text=True)
            if result.returncode == 0:
                accepted.append(doc)
            elif FIELD.search(result.stderr):
                refused.append(doc["metadata"]["name"])
            else:
                refused_unnamed.append({"name": doc["metadata"]["name"], "message": result.stderr.strip()[-300:]})
        log(f"applied {len(generated)} manifests: {len(refused)} refused, {len(accepted)} accepted")

        violations: list[str] = []
        settle_until = time.time() + args.settle
        while time.time() < settle_until:
            self.look(violations)
            time.sleep(2)
        self.proxy_reset()
        window_until = time.time() + args.window
        while time.time() < window_until:
            self.look(violations)
            time.sleep(2)
        calls = self.proxy_stats()["requests"]
        objects = self.objects()
        outcomes, without_an_outcome = self.outcomes(objects)
        bound = len(objects) * (args.window / args.resync + 1) + SLACK_CALLS
        restarts = 0 if self.operator.poll() is None else 1

        retained = {o["metadata"]["name"] for o in objects if o["spec"].get("deletionPolicy") == "Retain"}
        leftovers, leaks = self.delete_namespace(retained)
        result = {
            "seed": args.seed,
            "manifests": len(generated),
            "refused": len(refused),
            "refused_without_a_field": refused_unnamed,
            "accepted": len(accepted),
            "outcomes": outcomes,
            "objects_without_an_outcome": without_an_outcome,
            "aws_calls_in_window": sum(calls.values()),
            "aws_calls_by_operation": calls,
            "window_seconds": args.window,
            "resync_seconds": args.resync,
            "aws_call_bound": round(bound),
            "conditions_without_a_reason": sorted(set(violations)),
            "operator_restarts": restarts,
            "objects_left_with_a_finalizer": leftovers,
            "aws_leaks": leaks,
        }
        result["problems"] = problems(result)
        return result

    def objects(self) -> list[dict]:
        kinds = ",".join(f"{PLURAL[k]}.{GROUP}" for k in KINDS)
        return json.loads(self.kubectl("get", kinds, "-n", NAMESPACE, "-o", "json"))["items"]

    def look(self, violations: list[str]) -> None:
        """Every condition has a reason; the operator runs and is ready."""
        for obj in self.objects():
            for condition in (obj.get("status") or {}).get("conditions") or []:
                if not condition.get("reason"):
                    violations.append(f"{obj['kind']}/{obj['metadata']['name']} {condition['type']}")
        if self.operator.poll() is not None:
            violations.append("the operator exited")
            return
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/readyz", timeout=5) as r:
                if r.status != 200:
                    violations.append(f"/readyz answered {r.status}")
        except Exception as error:
            violations.append(f"/readyz failed: {error}")

    @staticmethod
    def outcomes(objects: list[dict]) -> tuple[dict[str, int], list[dict]]:
        """Ready, Stalled <reason> or Reconciling <reason>, counted; each object with
        none of these is returned with its conditions, for `problems` to name."""
        out: dict[str, int] = {}
        unexplained = []
        for obj in objects:
            conditions = {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}
            ready, stalled, reconciling = (conditions.get(t, {}) for t in ("Ready", "Stalled", "Reconciling"))
            if ready.get("status") == "True":
                key = "Ready"
            elif stalled.get("status") == "True" and stalled.get("message"):
                key = f"Stalled {stalled.get('reason')}"
            elif reconciling.get("status") == "True" and reconciling.get("reason"):
                key = f"Reconciling {reconciling.get('reason')}"
            else:
                key = "no outcome"
                unexplained.append({"name": f"{obj['kind']}/{obj['metadata']['name']}",
                                    "generation": obj["metadata"].get("generation"),
                                    "status": obj.get("status")})
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items())), unexplained

    def delete_namespace(self, retained: set[str]):
        self.kubectl("delete", "namespace", NAMESPACE, "--timeout=300s")
        kinds = ",".join(f"{PLURAL[k]}.{GROUP}" for k in KINDS)
        left = json.loads(self.kubectl("get", kinds, "-A", "-o", "json"))["items"]
        leftovers = [f"{o['kind']}/{o['metadata']['name']}" for o in left if o["metadata"]["namespace"] == NAMESPACE]
        script = (
            "import boto3, json, sys\n"
            "ecs = boto3.client('ecs')\n"
            "ns, retained = sys.argv[1], set(json.loads(sys.argv[2]))\n"
            "def ours(tags):\n"
            "    t = {x['key']: x['value'] for x in tags or []}\n"
            "    return t.get('ecs.operator.dev/namespace') == ns and t.get('ecs.operator.dev/name') not in retained\n"
            "leaks = []\n"
            "arns = ecs.list_clusters()['clusterArns']\n"
            "for c in ecs.describe_clusters(clusters=arns, include=['TAGS'])['clusters'] if arns else []:\n"
            "    if c['status'] == 'ACTIVE' and ours(c.get('tags')): leaks.append(c['clusterArn'])\n"
            "    svcs = ecs.list_services(cluster=c['clusterArn'])['serviceArns']\n"
            "    for i in range(0, len(svcs), 10):\n"
            "        for s in ecs.describe_services(cluster=c['clusterArn'], services=svcs[i:i+10], include=['TAGS'])['services']:\n"
            "            if s['status'] == 'ACTIVE' and ours(s.get('tags')): leaks.append(s['serviceArn'])\n"
            "for arn in ecs.list_task_definitions(status='ACTIVE')['taskDefinitionArns']:\n"
            "    d = ecs.describe_task_definition(taskDefinition=arn, include=['TAGS'])\n"
            "    if ours(d.get('tags')): leaks.append(arn)\n"
            "print(json.dumps(leaks))\n")
        out = subprocess.run([self.env["TESTENV_PYTHON"], "-c", script, NAMESPACE, json.dumps(sorted(retained))],
                             env=self.env, check=True, capture_output=True, text=True).stdout
        return leftovers, json.loads(out)


def problems(result: dict) -> list[str]:
    found = []
    if result["refused_without_a_field"]:
        found.append(f"{len(result['refused_without_a_field'])} refusals name no field")
    if result["conditions_without_a_reason"]:
        found.append(f"conditions without a reason: {result['conditions_without_a_reason'][:10]}")
    if result["operator_restarts"]:
        found.append("the operator exited")
    if result["objects_without_an_outcome"]:
        names = [o["name"] for o in result["objects_without_an_outcome"]]
        found.append(f"{len(names)} objects are neither Ready, Stalled nor Reconciling: {names[:10]}")
    if result["aws_calls_in_window"] > result["aws_call_bound"]:
        found.append(f"{result['aws_calls_in_window']} AWS calls in the window, above the bound "
                     f"{result['aws_call_bound']}: {result['aws_calls_by_operation']}")
    if result["objects_left_with_a_finalizer"]:
        found.append(f"objects left after the namespace was deleted: {result['objects_left_with_a_finalizer']}")
    if result["aws_leaks"]:
        found.append(f"AWS resources left behind: {result['aws_leaks']}")
    return found


def markdown(result: dict) -> str:
    lines = [f"# Fuzz: {result['manifests']} generated manifests, seed {result['seed']}", "",
             "Specs generated from the CRDs' OpenAPI schemas (hypothesis-jsonschema), applied to the real API "
             "server with the operator against the emulator (hack/fuzz/fuzz.py).", "",
             "| measure | value |", "| --- | --- |",
             f"| manifests | {result['manifests']} |",
             f"| refused by the API server, naming a field | {result['refused']} |",
             f"| refused without naming a field | {len(result['refused_without_a_field'])} |",
             f"| accepted | {result['accepted']} |"]
    lines += [f"| ended {key} | {n} |" for key, n in result["outcomes"].items()]
    lines += [f"| AWS calls in {result['window_seconds']} s after settling (bound {result['aws_call_bound']}) | "
              f"{result['aws_calls_in_window']} |",
              f"| conditions without a reason | {len(result['conditions_without_a_reason'])} |",
              f"| operator restarts | {result['operator_restarts']} |",
              f"| objects left after deleting the namespace | {len(result['objects_left_with_a_finalizer'])} |",
              f"| AWS resources left behind | {len(result['aws_leaks'])} |", ""]
    lines.append("Problems: " + ("; ".join(result["problems"]) if result["problems"] else "none"))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifests", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--resync", type=int, default=10, help="the operator's resync interval, seconds")
    parser.add_argument("--settle", type=int, default=60, help="seconds to wait before the call window")
    parser.add_argument("--window", type=int, default=120, help="seconds over which AWS calls are counted")
    parser.add_argument("--operator", type=Path, default=TARGET / "release/ecs-operator")
    parser.add_argument("--proxy", type=Path, default=TARGET / "release/aws-fault-proxy")
    parser.add_argument("--emulator-speed", type=float, default=100.0)
    parser.add_argument("--out", type=Path, required=True)
    # bench's Run reads it: the fuzzer always runs against the emulator.
    parser.set_defaults(plain_moto=False)
    args = parser.parse_args()
    result = run_and_write(Fuzz, args, markdown, "fuzz")
    if result is None or result["problems"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
