# Shared settings for the test-environment scripts; sourced, not run.
# Everything heavy lives under the cache, keyed by the pinned versions, so a
# second run reuses it and a version bump builds into a fresh folder.
set -euo pipefail

TESTENV_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$TESTENV_SRC/../.." && pwd)"
# shellcheck source=versions.env
. "$TESTENV_SRC/versions.env"

CACHE_ROOT="${ECS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ecs-operator}"

# The Kubernetes build depends on the versions, the module files and our etcd wrapper.
# Only what the Go build depends on, so pinning another tool does not rebuild Kubernetes.
k8s_key() {
  { grep -E '^(KUBERNETES|ETCD)_' "$TESTENV_SRC/versions.env"
    cat "$TESTENV_SRC/go.mod" "$TESTENV_SRC/go.sum" "$TESTENV_SRC/cmd/etcd/main.go"
  } | sha256sum | cut -c1-12
}

K8S_BIN="$CACHE_ROOT/kubernetes-$KUBERNETES_VERSION-$(k8s_key)"
HELM_BIN="$CACHE_ROOT/helm-$HELM_VERSION"
PYTHON_VERSION="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
MOTO_VENV="$CACHE_ROOT/moto-$MOTO_VERSION-boto3-$BOTO3_VERSION-py$PYTHON_VERSION"
# Lua 5.1 (what Argo CD's gopher-lua implements) for testing the Argo CD health scripts.
LUA_VENV="$CACHE_ROOT/lupa-$LUPA_VERSION-py$PYTHON_VERSION"
FUZZ_VENV="$CACHE_ROOT/fuzz-hypothesis-$HYPOTHESIS_VERSION-jsonschema-$HYPOTHESIS_JSONSCHEMA_VERSION-py$PYTHON_VERSION"

# The kstatus helper (hack/kstatus), keyed by its sources.
kstatus_key() {
  cat "$REPO_ROOT/hack/kstatus/go.mod" "$REPO_ROOT/hack/kstatus/go.sum" "$REPO_ROOT/hack/kstatus/main.go" \
    | sha256sum | cut -c1-12
}
KSTATUS_BIN="$CACHE_ROOT/kstatus-$(kstatus_key)"
# cargo-deny, keyed by its version and the Rust toolchain that builds it.
CARGO_DENY_BIN="$CACHE_ROOT/cargo-deny-$CARGO_DENY_VERSION-rust$(rustc --version | cut -d' ' -f2)"

# The previous operator binary for the upgrade test, keyed by its commit and the toolchain.
PREVIOUS_OPERATOR_BIN="$CACHE_ROOT/ecs-operator-${UPGRADE_FROM:0:12}-rust$(rustc --version | cut -d' ' -f2)"

log() { printf '[testenv] %s\n' "$*" >&2; }
