#!/usr/bin/env bash
# The manifest checker must catch the seeds' mistakes: each is planted in a copy of deploy/ and
# the checker has to fail with the matching message.
set -euo pipefail
repo="$1"
checker="$repo/tests/integration/deploy/check_manifests.py"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

plant() {  # plant NAME FILE SED_EXPRESSION EXPECTED_MESSAGE
  local name="$1" file="$2" expression="$3" expected="$4" copy="$work/$1"
  mkdir -p "$copy"
  cp -r "$repo/deploy" "$repo/src" "$repo/scripts" "$copy/"
  sed -i "$expression" "$copy/$file"
  if /usr/bin/python3 "$checker" "$copy" > "$copy.log" 2>&1; then
    echo "FAIL $name: the checker passed a planted mistake"; return 1
  fi
  if ! grep -q -- "$expected" "$copy.log"; then
    echo "FAIL $name: expected '$expected' in:"; grep FAIL "$copy.log" | head -5; return 1
  fi
  echo "ok   $name"
}

status=0
# Seed 000: the ServiceMonitor selected labels the Service did not carry.
plant servicemonitor-labels deploy/k8s/components/monitoring/servicemonitor.yaml \
  's/app.kubernetes.io\/name: loadlab$/app: backend/' "matches no Service's labels" || status=1
# ServiceMonitor port name that no Service has.
plant servicemonitor-port deploy/k8s/components/monitoring/servicemonitor.yaml \
  's/- port: http/- port: web/' "is not a named port" || status=1
# Seed 000: liveness and readiness both on /health; a probe on a route that does not exist.
plant probe-path deploy/k8s/base/target.yaml '0,/path: \/readiness/s//path: \/ready/' \
  "is not a route" || status=1
# Listening on loopback inside a pod.
plant listen-loopback deploy/k8s/base/downstream.yaml 's/0.0.0.0:8001/127.0.0.1:8001/' \
  "unreachable from outside the pod" || status=1
# Container port and --listen disagree.
plant listen-port deploy/k8s/base/target.yaml 's/containerPort: 8000/containerPort: 8080/' \
  "is not a containerPort" || status=1
# Grace period shorter than the drain.
plant grace deploy/k8s/base/target.yaml 's/terminationGracePeriodSeconds: 45/terminationGracePeriodSeconds: 30/' \
  "terminationGracePeriodSeconds 30" || status=1
# Service selector that selects nothing.
plant service-selector deploy/k8s/base/downstream.yaml \
  '/^kind: Service/,/^---/{/^  selector:/,/component/s/component: downstream/component: upstream/}' \
  "selects no pods" || status=1
# Seed 002: no CPU requests under a CPU HPA.
plant cpu-requests deploy/k8s/base/target.yaml '0,/cpu: 250m/{/cpu: 250m/d}' "no requests.cpu" || status=1
# Indexed Job whose N disagrees with SHARDS.
plant shards deploy/k8s/loadgen/shards/job.yaml 's/parallelism: 4/parallelism: 3/' "must be equal" || status=1
# A dashboard query on a series loadlab does not export (seed 004's best-effort names).
plant dashboard-metric deploy/k8s/components/monitoring/dashboards/loadlab.json \
  's/http_inflight_requests{/http_server_requests_total{/' "registered nowhere in src/" || status=1
exit "$status"
