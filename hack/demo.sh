#!/usr/bin/env bash
# make demo: the operator end to end on this machine. Starts the test
# environment (kube-apiserver + moto), builds and runs the operator in the
# background, applies examples/quickstart/ and shows the result.
# make demo-down stops everything again.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=.demo
mkdir -p "$DEMO"

# shellcheck source=hack/demo-lib.sh
. hack/demo-lib.sh

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

step "starting kube-apiserver and the AWS emulator (the first run builds them: several minutes)"
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
HTTP_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
setsid "${CARGO_TARGET_DIR:-target}/debug/ecs-operator" run --log-format text --http-address "127.0.0.1:$HTTP_PORT" \
  > "$DEMO/operator.log" 2>&1 < /dev/null &
echo $! > "$DEMO/operator.pid"
echo "$HTTP_PORT" > "$DEMO/http-port"
echo "health and metrics on http://127.0.0.1:$HTTP_PORT (/healthz, /readyz, /metrics)"

step "creating a VPC, subnet and security group in moto for the Service"
read -r SUBNET GROUP < <("$TESTENV_PYTHON" - <<'PY'
import boto3
ec2 = boto3.client("ec2")
tag = [{"Name": "tag:Name", "Values": ["ecs-operator-demo"]}]
subnets = ec2.describe_subnets(Filters=tag)["Subnets"]
if subnets:
    subnet = subnets[0]["SubnetId"]
    group = ec2.describe_security_groups(Filters=tag)["SecurityGroups"][0]["GroupId"]
else:
    def spec(kind):
        return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": "ecs-operator-demo"}]}]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec("vpc"))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                               TagSpecifications=spec("subnet"))["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="webserver", Description="webserver", VpcId=vpc,
                                      TagSpecifications=spec("security-group"))["GroupId"]
print(subnet, group)
PY
)
echo "subnet $SUBNET, security group $GROUP"

step "applying examples/quickstart/"
for manifest in examples/quickstart/*.yaml; do
  sed -e "s/subnet-0123456789abcdef0/$SUBNET/" -e "s/sg-0123456789abcdef0/$GROUP/" "$manifest"
  echo "---"
done | "$KUBECTL" apply -f -
"$KUBECTL" -n quickstart wait cluster/quickstart --for=condition=Ready --timeout=120s
"$KUBECTL" -n quickstart wait taskdefinition/webserver --for=condition=Ready --timeout=120s
"$KUBECTL" -n quickstart wait service.ecs.operator.dev/webserver --for=condition=Ready --timeout=120s

step "kubectl get ecs -A"
"$KUBECTL" get ecs -A

step "the Service's autoscaling status"
"$KUBECTL" -n quickstart get ecssvc webserver \
  -o jsonpath='{range .status.conditions[?(@.type=="AutoscalingReady")]}AutoscalingReady={.status} ({.message}){"\n"}{end}'
"$KUBECTL" -n quickstart get ecssvc webserver -o jsonpath='{.status.autoscaling}' |
  "$TESTENV_PYTHON" -c 'import json, sys; print(json.dumps(json.load(sys.stdin), indent=2))'

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
for cluster in arns:
    services = ecs.list_services(cluster=cluster)["serviceArns"]
    for s in ecs.describe_services(cluster=cluster, services=services)["services"] if services else []:
        print(f"service {s['serviceName']}: {s['status']}, {s['runningCount']}/{s['desiredCount']} running "
              f"{s['taskDefinition'].split('/')[-1]}, launch type {s.get('launchType')}")
scaling = boto3.client("application-autoscaling")
for t in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
    print(f"scalable target {t['ResourceId']}: {t['MinCapacity']}-{t['MaxCapacity']} tasks")
for p in scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]:
    target = p.get("TargetTrackingScalingPolicyConfiguration", {}).get("TargetValue")
    print(f"  policy {p['PolicyName']}: {p['PolicyType']}, target value {target}")
for a in scaling.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"]:
    bounds = a.get("ScalableTargetAction", {})
    print(f"  scheduled action {a['ScheduledActionName']}: {a['Schedule']} {a.get('Timezone') or ''} -> "
          f"{bounds.get('MinCapacity')}-{bounds.get('MaxCapacity')} tasks")
PY

step "a rollout: the image becomes nginx:1.27 (a new revision), and ECS replaces the tasks"
set_image quickstart webserver nginx:1.27
watch_service quickstart webserver "rolled out"
"$KUBECTL" -n quickstart get taskdefinition webserver -o jsonpath='task definition now at {.status.family}:{.status.revision}{"\n"}'

step "a failed rollout: an image that cannot be pulled; the circuit breaker rolls the Service back"
set_image quickstart webserver nginx:does-not-exist
watch_service quickstart webserver "rolled back to"
echo "  the stopped tasks, as the operator recorded them in status.failedRollout:"
"$KUBECTL" -n quickstart get ecssvc webserver -o jsonpath='{range .status.failedRollout.stoppedTasks[*]}  task {.arn}: {.stopCode}{"\n"}{end}'
step "the fix: the image goes back to nginx:1.27 (one more revision) and the Service rolls out again"
set_image quickstart webserver nginx:1.27
watch_service quickstart webserver "rolled out"

step "the operator's own view: /readyz and a few metrics"
echo "readyz: $(curl -s "http://127.0.0.1:$HTTP_PORT/readyz")"
curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | grep -E '^(ecs_operator_objects|ecs_operator_leader|ecs_operator_aws_api_calls_total)' | head -12

cat <<MSG

The operator is running. Look around:
  . .testenv/env                                   # KUBECTL, KUBECONFIG, AWS_* for this shell
  \$KUBECTL get ecs -A                               # every ecs-operator object
  \$KUBECTL -n quickstart describe cluster quickstart  # status, conditions and Events
  \$KUBECTL -n quickstart get taskdefinition webserver -o yaml  # revision, history, conditions
  \$KUBECTL -n quickstart get ecssvc webserver -o yaml   # deployments, counts, ECS events
  # edit targetValue or maxCapacity under autoscaling in examples/quickstart/service.yaml
  # and re-apply: the policy or target changes; kubectl scale is refused while it is set
  # change the image in examples/quickstart/task-definition.yaml and re-apply: a new
  # revision, and the Service rolls out to it, as the demo did above
  tail -f $DEMO/operator.log                        # what the operator does
  curl -s http://127.0.0.1:$HTTP_PORT/metrics        # Prometheus metrics
  \$KUBECTL delete namespace quickstart  # deletes the service, the revisions and the cluster in ECS

Stop everything with: make demo-down
MSG
