#!/usr/bin/env bash
# The main job: set up, build, then run the lab's quick profile (every experiment, naked then
# protected, against real child processes under cgroup limits) and print where the report is.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
JOBS=${JOBS:-$(nproc)}
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS" --target loadlab
OUT=${LOADLAB_LAB_OUT:-lab-out}
build/release/src/cli/loadlab lab --quick --start-postgres --out "$OUT" "$@"
echo "main: report: $OUT/report.html (findings: $OUT/findings.md, data: $OUT/lab.json)"
