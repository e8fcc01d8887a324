# Shared by hack/demo.sh and hack/demo-progressive.sh (sourced; needs $KUBECTL).

step() { printf '\n==> %s\n' "$*"; }

# A Service's Ready condition, printed as it changes, every second until `until` is seen.
watch_service() {
  local namespace="$1" service="$2" until="$3" seen=""
  for _ in $(seq 180); do
    local now
    now="$("$KUBECTL" -n "$namespace" get ecssvc "$service" -o jsonpath='{range .status.conditions[?(@.type=="Ready")]}Ready={.status} {.reason}: {.message}{end}')"
    [[ "$now" != "$seen" ]] && echo "  $now" && seen="$now"
    [[ "$now" == *"$until"* ]] && return 0
    sleep 1
  done
  echo "  (gave up waiting for \"$until\")"
  return 1
}

# Sets the first container's image of a TaskDefinition: a new revision.
set_image() {
  "$KUBECTL" -n "$1" patch taskdefinition "$2" --type json \
    -p "[{\"op\": \"replace\", \"path\": \"/spec/containerDefinitions/0/image\", \"value\": \"$3\"}]" >/dev/null
}
