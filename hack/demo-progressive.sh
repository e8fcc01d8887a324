#!/usr/bin/env bash
# make demo-progressive: examples/progressive/ on the demo's operator and emulator.
# A blue/green Service behind an Application Load Balancer pauses with test traffic
# on its new revision until `kubectl ecs promote`; a canary is rolled back by its
# CloudWatch alarm. The load balancer, listener rules and target groups are created
# in the emulator's ELBv2 and the split is read back from it. Runs make demo first
# when its operator is not running; make demo-down stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=.demo

# shellcheck source=hack/demo-lib.sh
. hack/demo-lib.sh

if ! { [[ -f "$DEMO/operator.pid" ]] && kill -0 "$(cat "$DEMO/operator.pid")" 2>/dev/null; }; then
  hack/demo.sh
fi
# shellcheck source=/dev/null
. .testenv/env
# kubectl finds the operator's binary as its plugin kubectl-ecs.
mkdir -p "$DEMO/bin"
ln -sf "$PWD/${CARGO_TARGET_DIR:-target}/debug/ecs-operator" "$DEMO/bin/kubectl-ecs"
export PATH="$PWD/$DEMO/bin:$PATH"
k() { "$KUBECTL" -n shop "$@"; }

step "creating the load balancer in the emulator's ELBv2 (hack/progressive-load-balancer.py)"
"$TESTENV_PYTHON" hack/progressive-load-balancer.py > "$DEMO/progressive-arns"
sed 's/^/  /' "$DEMO/progressive-arns"
render() {
  local args=()
  while read -r placeholder real; do args+=(-e "s|$placeholder|$real|g"); done < "$DEMO/progressive-arns"
  sed "${args[@]}" "$@"
}

# The production and test split of a Service's listener rules, from ELBv2 DescribeRules.
split() {
  "$TESTENV_PYTHON" - "$1" <<'PY'
import sys, boto3
elb = boto3.client("elbv2")
names = {g["TargetGroupArn"]: g["TargetGroupName"] for g in elb.describe_target_groups()["TargetGroups"]}
for port, listener in ((80, "production"), (8080, "test")):
    alb = elb.describe_load_balancers(Names=["shop"])["LoadBalancers"][0]["LoadBalancerArn"]
    [arn] = [l["ListenerArn"] for l in elb.describe_listeners(LoadBalancerArn=alb)["Listeners"] if l["Port"] == port]
    for rule in elb.describe_rules(ListenerArn=arn)["Rules"]:
        if rule["Conditions"] and rule["Conditions"][0]["Values"] == [f"/{sys.argv[1]}/*"]:
            [f] = [a for a in rule["Actions"] if a["Type"] == "forward"]
            groups = f["ForwardConfig"]["TargetGroups"]
            total = sum(g["Weight"] for g in groups)
            shares = ", ".join(f"{names[g['TargetGroupArn']]} {100 * g['Weight'] / total:g}%" for g in groups)
            print(f"  {listener} listener rule: {shares}")
PY
}

step "applying examples/progressive/ with the emulator's ARNs"
for manifest in examples/progressive/*.yaml; do render "$manifest"; echo "---"; done | "$KUBECTL" apply -f -
k wait cluster/shop --for=condition=Ready --timeout=120s

step "checkout's first deployment stops at its PAUSE hook too"
watch_service shop checkout RolloutPaused
kubectl ecs promote checkout -n shop
watch_service shop checkout "Ready=True"
watch_service shop search "Ready=True"
split checkout

step "a new checkout revision (nginx:1.27): test traffic first, then a pause"
set_image shop checkout nginx:1.27
watch_service shop checkout RolloutPaused
kubectl ecs status checkout -n shop
split checkout

step "kubectl ecs promote: production moves, the bake, then Ready"
kubectl ecs promote checkout -n shop
watch_service shop checkout "Ready=True"
split checkout
k get ecssvc checkout

step "a canary of search (nginx:1.27), rolled back by its alarm search-5xx"
set_image shop search nginx:1.27
watch_service shop search "10% of production traffic"
split search
"$TESTENV_PYTHON" -c 'import boto3; boto3.client("cloudwatch").set_alarm_state(AlarmName="search-5xx", StateValue="ALARM", StateReason="5xx from the canary")'
echo "  alarm search-5xx set to ALARM"
watch_service shop search RolledBack
split search
"$TESTENV_PYTHON" -c 'import boto3; boto3.client("cloudwatch").set_alarm_state(AlarmName="search-5xx", StateValue="OK", StateReason="demo")'

step "what the operator counted"
curl -s "http://127.0.0.1:$(cat "$DEMO/http-port")/metrics" |
  grep -E '^(ecs_operator_rollouts_in_flight|ecs_operator_events_total\{controller="service",reason="(Promoted|RolloutAborted)")' || true

cat <<MSG

Look around (. .testenv/env first; kubectl ecs is $DEMO/bin/kubectl-ecs):
  kubectl ecs status checkout -n shop      # where a rollout stands
  \$KUBECTL -n shop get rolloutapprovals    # the approvals given, and by whom
  \$KUBECTL -n shop get events --field-selector reason=Promoted
Stop everything with: make demo-down
MSG
