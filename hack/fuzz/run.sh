#!/usr/bin/env bash
# Runs the fuzz harness with the test environment's hypothesis venv (make testenv
# installs it); arguments go to fuzz.py.
. "$(dirname "${BASH_SOURCE[0]}")/../testenv/lib.sh"
[[ -f "$FUZZ_VENV/.complete" ]] || { log "hypothesis is not installed yet: run make testenv"; exit 1; }
exec "$FUZZ_VENV/bin/python" "$(dirname "${BASH_SOURCE[0]}")/fuzz.py" "$@"
