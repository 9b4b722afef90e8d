#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy's checks) over every translation unit under src/ of a configured
# build (compile_commands.json), two at a time per core; prints the findings, exits 1 when any.
#   scripts/tidy.sh [BUILD_DIR]   (default build/release; configure it first: cmake --preset release)
# About ten minutes on two cores (Asio and Beast make every translation unit heavy).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build/release}
[[ -f $BUILD_DIR/compile_commands.json ]] || { echo "no $BUILD_DIR/compile_commands.json: configure the build first" >&2; exit 2; }
command -v run-clang-tidy >/dev/null || { echo "run-clang-tidy is not installed (apt-get install clang-tidy)" >&2; exit 2; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# g++ warning flags that clang does not know are not findings.
run-clang-tidy -p "$BUILD_DIR" -j "$(nproc)" -quiet -extra-arg=-Wno-unknown-warning-option \
  "^$PWD/src/" >"$log" 2>/dev/null || true
findings=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E ': (warning|error): ' | sort -u || true)
if [[ -n $findings ]]; then
  echo "$findings"
  echo "clang-tidy: $(wc -l <<<"$findings") findings" >&2
  exit 1
fi
echo "clang-tidy: no findings"
