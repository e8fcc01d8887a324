#!/usr/bin/env bash
# Tests the Argo CD health scripts under Lua 5.1 (installed by hack/testenv/install.sh).
. "$(dirname "${BASH_SOURCE[0]}")/../testenv/lib.sh"
exec "$LUA_VENV/bin/python" "$(dirname "${BASH_SOURCE[0]}")/test_health.py"
