#!/usr/bin/env bash
# Rewrites the generated tables of docs/operating.md from the operator binary given
# as $1 (make docs). Each table sits between its two markers.
set -euo pipefail
binary="$1"
doc="$(dirname "${BASH_SOURCE[0]}")/../docs/operating.md"
for table in flags metrics; do
  python3 - "$doc" "$table" "$("$binary" reference "$table")" <<'PY'
import sys
path, name, table = sys.argv[1:4]
text = open(path).read()
begin = f"<!-- generated: {name} (make docs) -->\n"
end = f"\n<!-- end generated: {name} -->"
start = text.index(begin) + len(begin)
stop = text.index(end)
open(path, "w").write(text[:start] + table + text[stop:])
PY
done
