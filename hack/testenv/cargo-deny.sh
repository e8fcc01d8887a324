#!/usr/bin/env bash
# Runs the cargo-deny that `make testenv` built into the cache, with these arguments.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ -x "$CARGO_DENY_BIN/bin/cargo-deny" ]] || { log "cargo-deny is not built yet: run make testenv"; exit 1; }
exec "$CARGO_DENY_BIN/bin/cargo-deny" "$@"
