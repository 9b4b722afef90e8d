#!/usr/bin/env bash
# Schema validation of every rendered kustomization with the npm kubernetes-models packages
# (offline once `npm install` has run; see validate_schemas.mjs for what is and is not checked).
# First proves the validator rejects a broken object, so a silent no-op cannot pass.
set -euo pipefail
repo="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$repo"
if [ ! -d node_modules/kubernetes-models ] || [ ! -d node_modules/@kubernetes-models/prometheus-operator ]; then
  echo "FAIL: node_modules lacks kubernetes-models; run scripts/setup.sh (npm install)" >&2
  exit 1
fi
validator="$repo/tests/integration/deploy/validate_schemas.mjs"

cat > "$work/broken.json" <<'JSON'
[{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "broken"},
  "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"spec": {"containers": [
    {"name": "c", "image": "i", "ports": [{"containerPort": "http"}]}]}}}},
 {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "broken"},
  "spec": {"selector": {}, "endpoints": [{"port": 8000}]}}]
JSON
if node "$validator" "$work/broken.json" > "$work/broken.log" 2>&1; then
  echo "FAIL: the validator accepted deliberately broken objects" >&2
  cat "$work/broken.log" >&2
  exit 1
fi
grep -q "0 passed, 2 failed" "$work/broken.log"

status=0
while IFS= read -r kustomization; do
  dir="$(dirname "$kustomization")"
  grep -q '^kind: Component' "$kustomization" && continue
  name="${dir#deploy/k8s/}"
  kubectl kustomize "$dir" | /usr/bin/python3 -c \
    'import sys, json, yaml; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d], sys.stdout)' \
    > "$work/objects.json"
  echo "== $name"
  node "$validator" "$work/objects.json" || status=1
done < <(find deploy/k8s -name kustomization.yaml | sort)
exit "$status"
