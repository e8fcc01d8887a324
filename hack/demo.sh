#!/usr/bin/env bash
# make demo: the operator end to end on this machine. Starts the test
# environment (kube-apiserver + moto), builds and runs the operator in the
# background, applies examples/quickstart/ and shows the result.
# make demo-down stops everything again.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=.demo
mkdir -p "$DEMO"

step() { printf '\n==> %s\n' "$*"; }

stop_operator() {
  if [[ -f "$DEMO/operator.pid" ]]; then
    local pid; pid="$(cat "$DEMO/operator.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$DEMO/operator.pid"
  fi
}

if [[ "${1:-}" == "down" ]]; then
  stop_operator
  hack/testenv/down.sh
  exit 0
fi

step "starting kube-apiserver and moto (the first run builds them: several minutes)"
hack/testenv/up.sh
# shellcheck source=/dev/null
. .testenv/env

step "building the operator"
cargo build --locked --quiet

step "installing the CRDs"
"$KUBECTL" apply --server-side -f crds/ >/dev/null
"$KUBECTL" wait --for=condition=Established --timeout=60s -f crds/ >/dev/null

step "running the operator in the background (log: $DEMO/operator.log)"
stop_operator
setsid ./target/debug/ecs-operator run --log-format text > "$DEMO/operator.log" 2>&1 < /dev/null &
echo $! > "$DEMO/operator.pid"

step "applying examples/quickstart/"
"$KUBECTL" apply -f examples/quickstart/
"$KUBECTL" -n quickstart wait cluster/quickstart --for=condition=Ready --timeout=120s
"$KUBECTL" -n quickstart wait taskdefinition/webserver --for=condition=Ready --timeout=120s

step "kubectl get ecs -A"
"$KUBECTL" get ecs -A

step "what ECS (moto) holds now"
"$TESTENV_PYTHON" - <<'PY'
import boto3
ecs = boto3.client("ecs")
arns = ecs.list_clusters()["clusterArns"]
for c in ecs.describe_clusters(clusters=arns, include=["SETTINGS", "TAGS"])["clusters"] if arns else []:
    settings = {s["name"]: s["value"] for s in c.get("settings", [])}
    tags = {t["key"]: t["value"] for t in c.get("tags", [])}
    print(f"cluster {c['clusterName']}: {c['status']}, capacity providers {c.get('capacityProviders', [])}, "
          f"settings {settings}")
    print(f"  tags {tags}")
for arn in ecs.list_task_definitions()["taskDefinitionArns"]:
    td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    images = ", ".join(f"{c['name']}={c['image']}" for c in td["containerDefinitions"])
    print(f"task definition {td['family']}:{td['revision']}: {td['status']}, "
          f"cpu {td.get('cpu')} memory {td.get('memory')}, containers {images}")
PY

cat <<MSG

The operator is running. Look around:
  . .testenv/env                                   # KUBECTL, KUBECONFIG, AWS_* for this shell
  \$KUBECTL get ecs -A                               # every ecs-operator object
  \$KUBECTL -n quickstart describe cluster quickstart  # status, conditions and Events
  \$KUBECTL -n quickstart get taskdefinition webserver -o yaml  # revision, history, conditions
  # change the image in examples/quickstart/task-definition.yaml and re-apply: revision 2
  tail -f $DEMO/operator.log                        # what the operator does
  \$KUBECTL -n quickstart delete cluster quickstart  # deletes the ECS cluster too

Stop everything with: make demo-down
MSG
