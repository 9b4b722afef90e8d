#!/usr/bin/env bash
# `kubectl kustomize` renders every kustomization under deploy/k8s (offline: no cluster needed).
set -euo pipefail
cd "$1"
count=0
failed=0
while IFS= read -r kustomization; do
  dir="$(dirname "$kustomization")"
  grep -q '^kind: Component' "$kustomization" && continue
  if objects="$(kubectl kustomize "$dir" | grep -c '^kind:')"; then
    echo "ok   $dir: $objects objects"
    count=$((count + 1))
  else
    echo "FAIL $dir"
    failed=$((failed + 1))
  fi
done < <(find deploy/k8s -name kustomization.yaml | sort)
echo "$count passed, $failed failed"
[ "$count" -ge 6 ] && [ "$failed" -eq 0 ]
