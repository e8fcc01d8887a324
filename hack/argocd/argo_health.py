"""deploy/argocd/health.lua under Lua 5.1 (as Argo CD's gopher-lua is), on one object.

As a program: reads an object as JSON on stdin (kubectl get -o json) and prints
`STATUS: message`, the health Argo CD would show for it."""
import json
import pathlib
import sys

import lupa.lua51 as lua51

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = (ROOT / "deploy/argocd/health.lua").read_text()


def to_lua(runtime, value):
    if isinstance(value, dict):
        return runtime.table_from({k: to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([to_lua(runtime, v) for v in value])
    return value


def evaluate(obj):
    """(status, message) of the health script for `obj`."""
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)
    # Argo CD sets the object as the global `obj`.
    runtime.globals()["obj"] = to_lua(runtime, obj)
    result = runtime.execute(SCRIPT)
    return result["status"], result["message"]


if __name__ == "__main__":
    status, message = evaluate(json.load(sys.stdin))
    print(f"{status}: {message}")
