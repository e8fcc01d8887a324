#!/usr/bin/env bash
# Builds or installs everything the test environment runs: kube-apiserver,
# kube-controller-manager, kubectl and etcd from the upstream Go modules, helm
# from its module, and moto in a Python venv. Safe to run again: finished
# pieces are found in the cache and skipped.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A piece is built into a scratch folder and moved into place only when whole,
# so an interrupted run never leaves a half-built cache entry behind.
build_kubernetes() {
  if [[ -x "$K8S_BIN/kube-apiserver" && -x "$K8S_BIN/kube-controller-manager" && -x "$K8S_BIN/kubectl" && -x "$K8S_BIN/etcd" ]]; then
    log "kubernetes $KUBERNETES_VERSION: cached in $K8S_BIN"
    return
  fi
  log "building kube-apiserver, kube-controller-manager, kubectl $KUBERNETES_VERSION and etcd $ETCD_VERSION (first run only; several minutes)"
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  local scratch="$K8S_BIN.partial"
  rm -rf "$scratch" && mkdir -p "$scratch"
  (cd "$TESTENV_SRC" && go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$scratch/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl \
    ./cmd/etcd)
  rm -rf "$K8S_BIN" && mv "$scratch" "$K8S_BIN"
}

build_helm() {
  if [[ -x "$HELM_BIN/helm" ]]; then
    log "helm $HELM_VERSION: cached in $HELM_BIN"
    return
  fi
  log "building helm $HELM_VERSION"
  local scratch="$HELM_BIN.partial"
  rm -rf "$scratch" && mkdir -p "$scratch"
  GOBIN="$scratch" GOFLAGS=-mod=mod go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  rm -rf "$HELM_BIN" && mv "$scratch" "$HELM_BIN"
}

install_moto() {
  if [[ -f "$MOTO_VENV/.complete" ]]; then
    log "moto $MOTO_VERSION: cached in $MOTO_VENV"
    return
  fi
  log "installing moto[server] $MOTO_VERSION and boto3 $BOTO3_VERSION into $MOTO_VENV"
  rm -rf "$MOTO_VENV"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install --quiet --disable-pip-version-check \
    "moto[server]==$MOTO_VERSION" "boto3==$BOTO3_VERSION"
  touch "$MOTO_VENV/.complete"
}

install_lupa() {
  if [[ -f "$LUA_VENV/.complete" ]]; then
    log "lupa $LUPA_VERSION: cached in $LUA_VENV"
    return
  fi
  log "installing lupa $LUPA_VERSION (Lua 5.1) into $LUA_VENV"
  rm -rf "$LUA_VENV"
  python3 -m venv "$LUA_VENV"
  "$LUA_VENV/bin/pip" install --quiet --disable-pip-version-check "lupa==$LUPA_VERSION"
  touch "$LUA_VENV/.complete"
}

install_fuzz() {
  if [[ -f "$FUZZ_VENV/.complete" ]]; then
    log "hypothesis $HYPOTHESIS_VERSION: cached in $FUZZ_VENV"
    return
  fi
  log "installing hypothesis $HYPOTHESIS_VERSION and hypothesis-jsonschema $HYPOTHESIS_JSONSCHEMA_VERSION into $FUZZ_VENV"
  rm -rf "$FUZZ_VENV"
  python3 -m venv "$FUZZ_VENV"
  "$FUZZ_VENV/bin/pip" install --quiet --disable-pip-version-check "hypothesis==$HYPOTHESIS_VERSION" \
    "hypothesis-jsonschema==$HYPOTHESIS_JSONSCHEMA_VERSION" "PyYAML==$PYYAML_VERSION"
  touch "$FUZZ_VENV/.complete"
}

build_kstatus() {
  if [[ -x "$KSTATUS_BIN/kstatus" ]]; then
    log "kstatus helper: cached in $KSTATUS_BIN"
    return
  fi
  log "building the kstatus helper (sigs.k8s.io/cli-utils)"
  local scratch="$KSTATUS_BIN.partial"
  rm -rf "$scratch" && mkdir -p "$scratch"
  (cd "$REPO_ROOT/hack/kstatus" && go build -mod=readonly -trimpath -ldflags "-s -w" -o "$scratch/kstatus" .)
  rm -rf "$KSTATUS_BIN" && mv "$scratch" "$KSTATUS_BIN"
}

build_cargo_deny() {
  if [[ -x "$CARGO_DENY_BIN/bin/cargo-deny" ]]; then
    log "cargo-deny $CARGO_DENY_VERSION: cached in $CARGO_DENY_BIN"
    return
  fi
  log "building cargo-deny $CARGO_DENY_VERSION from crates.io (first run only; several minutes)"
  local scratch="$CARGO_DENY_BIN.partial"
  rm -rf "$scratch"
  # Its own target folder, so the build never touches the project's.
  CARGO_TARGET_DIR="$scratch.target" cargo install --quiet --locked --root "$scratch" \
    --version "$CARGO_DENY_VERSION" cargo-deny
  rm -rf "$scratch.target" "$CARGO_DENY_BIN" && mv "$scratch" "$CARGO_DENY_BIN"
}

build_previous_operator() {
  if [[ -x "$PREVIOUS_OPERATOR_BIN/ecs-operator" ]]; then
    log "ecs-operator ${UPGRADE_FROM:0:12} (the upgrade test's starting point): cached in $PREVIOUS_OPERATOR_BIN"
    return
  fi
  git -C "$REPO_ROOT" cat-file -e "$UPGRADE_FROM^{commit}" 2>/dev/null || {
    log "commit $UPGRADE_FROM (UPGRADE_FROM) is not in this clone: clone with history (not --depth), or run git fetch --unshallow"
    exit 1
  }
  log "building ecs-operator at ${UPGRADE_FROM:0:12} for the upgrade test (first run only; a few minutes)"
  local scratch="$PREVIOUS_OPERATOR_BIN.partial"
  rm -rf "$scratch" && mkdir -p "$scratch/src"
  git -C "$REPO_ROOT" archive "$UPGRADE_FROM" | tar -x -C "$scratch/src"
  # Its own target folder, so the old dependency versions never touch the project's build.
  CARGO_TARGET_DIR="$scratch/target" cargo build --quiet --locked --bin ecs-operator \
    --manifest-path "$scratch/src/Cargo.toml"
  cp "$scratch/target/debug/ecs-operator" "$scratch/ecs-operator"
  rm -rf "$scratch/src" "$scratch/target" "$PREVIOUS_OPERATOR_BIN" && mv "$scratch" "$PREVIOUS_OPERATOR_BIN"
}

ensure_openssl() {
  command -v openssl >/dev/null && return
  log "installing openssl (certificates for the API server)"
  if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq openssl; else sudo apt-get update -qq && sudo apt-get install -y -qq openssl; fi
}

mkdir -p "$CACHE_ROOT"
ensure_openssl
install_moto
install_lupa
install_fuzz
build_kubernetes
build_helm
build_kstatus
build_cargo_deny
build_previous_operator
log "ready: $K8S_BIN, $HELM_BIN, $MOTO_VENV, $LUA_VENV, $FUZZ_VENV, $KSTATUS_BIN, $CARGO_DENY_BIN, $PREVIOUS_OPERATOR_BIN"
