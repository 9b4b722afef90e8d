#!/usr/bin/env bash
# Sets up, then runs the whole test suite through CTest in three builds:
#   1. release: every test (unit, integration, deploy, browser, benchmark smoke runs);
#   2. fuzz (clang, libFuzzer + ASan + UBSan): the fuzz targets, each run briefly;
#   3. asan (ASan + UBSan): the unit and integration tests again.
# LOADLAB_FUZZ=0 or LOADLAB_ASAN=0 skip a stage for a quicker local run; CI runs all three.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
JOBS=${JOBS:-$(nproc)}
status=0
summaries=()

stage() { echo; echo "== test.sh: $* ($(date -u +%H:%M:%S))"; }

# Runs ctest, keeps its exit status and its summary line for the end.
run_ctest() {
  local name="$1"; shift
  local log
  log="$(mktemp)"
  local code=0
  ctest "$@" 2>&1 | tee "$log" || code=$?  # pipefail: ctest's status, not tee's
  [ "$code" -eq 0 ] || status=1
  summaries+=("$name: $(grep -E 'tests passed|No tests were found' "$log" | tail -n 1 || echo "no summary (exit $code)")")
  rm -f "$log"
}

stage "release build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS"
stage "release tests"
run_ctest release --preset release -j "$JOBS" --output-on-failure

if [ "${LOADLAB_FUZZ:-1}" = "1" ]; then
  stage "fuzz build (clang)"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$JOBS" --target request_parser_fuzz response_parser_fuzz scenario_loader_fuzz
  stage "fuzz runs"
  run_ctest fuzz --test-dir build/fuzz -L fuzz --output-on-failure
fi

if [ "${LOADLAB_ASAN:-1}" = "1" ]; then
  stage "asan+ubsan build"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$JOBS"
  stage "asan+ubsan tests"
  # Deploy checks read manifests and the release image's recipe, not this build: release covers them.
  run_ctest asan --preset asan -j "$JOBS" --output-on-failure -L "unit|integration" -LE "slow|deploy" \
    --timeout 600
fi

echo
echo "== test.sh summary"
for line in "${summaries[@]}"; do echo "  $line"; done
exit $status
