#!/usr/bin/env bash
# Sets up, builds (release, then asan+ubsan) and runs the whole test suite through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
JOBS=${JOBS:-$(nproc)}
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS"
status=0
ctest --preset release -j "$JOBS" --output-on-failure || status=$?
if [ "${LOADLAB_SKIP_ASAN:-0}" != "1" ]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$JOBS"
  ctest --preset asan -j "$JOBS" --output-on-failure -LE "bench|slow" || status=$?
fi
exit $status
