#!/usr/bin/env bash
# Starts etcd, kube-apiserver, kube-controller-manager and moto on 127.0.0.1
# (free ports) and writes $TESTENV_STATE/env, a shell file to source.
# Already up: says so and does nothing. Stop with down.sh.
#
# TESTENV_STATE       where env, pids and logs go (default: <repo>/.testenv)
# TESTENV_OWNER_PID   if set, everything is stopped when that process exits
# ECS_EMULATOR_SPEED  the emulator's clock speed (emulated seconds per second; docs/emulator.md)
# ECS_EMULATOR=off    plain moto without the emulator, the baseline hack/bench/bench.py
#                     --plain-moto compares with: deployments are COMPLETED at once and
#                     every service reports MOTO_ECS_SERVICE_RUNNING running tasks
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE="${TESTENV_STATE:-$REPO_ROOT/.testenv}"

if [[ -f "$STATE/pids" ]]; then
  alive=0
  while read -r _ pid; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done < "$STATE/pids"
  if [[ -f "$STATE/env" && $alive -eq $(wc -l < "$STATE/pids") ]]; then
    log "already up; source $STATE/env"
    exit 0
  fi
  log "found a half-running environment in $STATE; stopping it first"
  "$TESTENV_SRC/down.sh"
fi

"$TESTENV_SRC/install.sh"

mkdir -p "$STATE"
RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ecs-operator-testenv.XXXXXX")"
echo "$RUN_DIR" > "$STATE/run-dir"
: > "$STATE/pids"
CERTS="$RUN_DIR/certs"
LOGS="$STATE/logs"
mkdir -p "$CERTS" "$LOGS" "$RUN_DIR/etcd"

# Holding every socket open until all are chosen keeps the four ports distinct.
read -r ETCD_PORT ETCD_PEER_PORT APISERVER_PORT MOTO_PORT < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)

# Runs a server in its own session so down.sh can stop it and its children by PID.
start() {
  local name="$1"; shift
  setsid "$@" > "$LOGS/$name.log" 2>&1 < /dev/null &
  echo "$name $!" >> "$STATE/pids"
}

wait_until() {
  local what="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "$what did not come up within ${seconds}s; logs in $LOGS"
      "$TESTENV_SRC/down.sh"
      exit 1
    fi
    sleep 0.2
  done
}

make_certs() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=ecs-operator-testenv-ca" -keyout "$CERTS/ca.key" -out "$CERTS/ca.crt" 2>/dev/null
  issue() { # name subject [extensions]
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$2" \
      -keyout "$CERTS/$1.key" -out "$CERTS/$1.csr" 2>/dev/null
    printf '%s\n' "${3:-}" > "$CERTS/$1.ext"
    openssl x509 -req -in "$CERTS/$1.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" \
      -CAcreateserial -days 30 -extfile "$CERTS/$1.ext" -out "$CERTS/$1.crt" 2>/dev/null
  }
  issue apiserver "/CN=kube-apiserver" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc"$'\n'"extendedKeyUsage=serverAuth"
  # system:masters is bound to cluster-admin by the API server's bootstrap RBAC policy.
  issue admin "/O=system:masters/CN=testenv-admin" "extendedKeyUsage=clientAuth"
  openssl ecparam -name prime256v1 -genkey -noout -out "$CERTS/sa.key" 2>/dev/null
  openssl ec -in "$CERTS/sa.key" -pubout -out "$CERTS/sa.pub" 2>/dev/null
}

write_kubeconfig() {
  cat > "$STATE/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $CERTS/ca.crt
users:
- name: testenv-admin
  user:
    client-certificate: $CERTS/admin.crt
    client-key: $CERTS/admin.key
contexts:
- name: testenv
  context: {cluster: testenv, user: testenv-admin}
current-context: testenv
KUBECONFIG
}

make_certs
write_kubeconfig

start etcd "$K8S_BIN/etcd" --data-dir "$RUN_DIR/etcd" \
  --listen-client-url "http://127.0.0.1:$ETCD_PORT" --listen-peer-url "http://127.0.0.1:$ETCD_PEER_PORT"

# moto with the ECS emulator installed (hack/testenv/emulator, docs/emulator.md).
if [[ "${ECS_EMULATOR:-on}" == off ]]; then
  start moto "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
else
  start moto "$MOTO_VENV/bin/python" "$TESTENV_SRC/emulator/server.py" -H 127.0.0.1 -p "$MOTO_PORT"
fi

wait_until etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

apiserver_started=$(date +%s.%N)
start kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
  --cert-dir "$CERTS" \
  --tls-cert-file "$CERTS/apiserver.crt" --tls-private-key-file "$CERTS/apiserver.key" \
  --client-ca-file "$CERTS/ca.crt" \
  --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc \
  --service-account-key-file "$CERTS/sa.pub" \
  --service-account-signing-key-file "$CERTS/sa.key" \
  --service-cluster-ip-range 10.96.0.0/24 \
  --endpoint-reconciler-type none \
  --profiling=false

readyz() {
  [[ "$(curl -s --cacert "$CERTS/ca.crt" --cert "$CERTS/admin.crt" --key "$CERTS/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/readyz")" == ok ]]
}
wait_until kube-apiserver 60 readyz
readyz_seconds=$(python3 -c "import time; print(f'{time.time() - $apiserver_started:.1f}')")
echo "$readyz_seconds" > "$STATE/readyz-seconds"
log "kube-apiserver /readyz ok after ${readyz_seconds}s"

# Only the controllers a test cluster needs: namespaces and garbage collection
# finish deletions, and the serviceaccount controller creates each namespace's
# default ServiceAccount; clusterrole-aggregation fills the default admin, edit and
# view roles with the chart's aggregated rules. No kubelet or scheduler runs: pods never start.
start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig "$STATE/kubeconfig" \
  --controllers namespace,garbagecollector,serviceaccount,clusterrole-aggregation \
  --bind-address 127.0.0.1 --secure-port 0 \
  --leader-elect=false --use-service-account-credentials=false

wait_until moto 60 curl -sf "http://127.0.0.1:$MOTO_PORT/moto-api/"

cat > "$STATE/env" <<ENV
# Written by hack/testenv/up.sh; source it: . $STATE/env
export KUBECONFIG="$STATE/kubeconfig"
export KUBECTL="$K8S_BIN/kubectl"
export HELM="$HELM_BIN/helm"
export KSTATUS="$KSTATUS_BIN/kstatus"
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export AWS_REGION="us-east-1"
export AWS_DEFAULT_REGION="us-east-1"
export AWS_ACCESS_KEY_ID="testing"
export AWS_SECRET_ACCESS_KEY="testing"
export AWS_EC2_METADATA_DISABLED="true"
export TESTENV_PYTHON="$MOTO_VENV/bin/python"
export ARGOCD_HEALTH_PYTHON="$LUA_VENV/bin/python"
export TESTENV_STATE="$STATE"
ENV

if [[ -n "${TESTENV_OWNER_PID:-}" ]]; then
  # A safety net for a test run that is killed before it can stop what it started.
  setsid bash -c 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; TESTENV_STATE="$1" exec "$2"' \
    "$TESTENV_OWNER_PID" "$STATE" "$TESTENV_SRC/down.sh" > /dev/null 2>&1 < /dev/null &
  echo $! > "$STATE/watcher.pid"
fi

log "up: kube-apiserver https://127.0.0.1:$APISERVER_PORT, moto http://127.0.0.1:$MOTO_PORT"
log "use it with: . $STATE/env"
