#!/usr/bin/env bash
# Stops what up.sh started, by the PIDs it recorded, and removes its
# temporary data. Safe to run when nothing is up.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE="${TESTENV_STATE:-$REPO_ROOT/.testenv}"

stop_pid() {
  local name="$1" pid="$2"
  kill -0 "$pid" 2>/dev/null || return 0
  # Each server leads its own session (setsid), so its process group holds its children too.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "$name ($pid) ignored SIGTERM; killing it"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

if [[ -f "$STATE/pids" ]]; then
  # Reverse start order: the API server goes before the etcd it writes to.
  tac "$STATE/pids" | while read -r name pid; do stop_pid "$name" "$pid"; done
  rm -f "$STATE/pids"
fi
if [[ -f "$STATE/watcher.pid" ]]; then
  watcher="$(cat "$STATE/watcher.pid")"
  # When the watcher itself runs this script, it is our parent and exits next.
  [[ "$watcher" != "$PPID" ]] && kill -TERM "$watcher" 2>/dev/null || true
  rm -f "$STATE/watcher.pid"
fi
if [[ -f "$STATE/run-dir" ]]; then
  rm -rf "$(cat "$STATE/run-dir")"
  rm -f "$STATE/run-dir"
fi
rm -f "$STATE/env"
log "down"
