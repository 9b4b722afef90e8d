#!/usr/bin/env bash
# The main job: set up, build, then serve the target with its downstream beside it (Ctrl-C stops
# both). When `loadlab lab` lands, this runs `loadlab lab --quick` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
JOBS=${JOBS:-$(nproc)}
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS"
BIN=build/release/src/cli/loadlab

"$BIN" serve --role downstream --listen 127.0.0.1:8001 &
downstream=$!
trap 'kill -TERM "$downstream" 2>/dev/null || true; wait "$downstream" 2>/dev/null || true' EXIT
echo "main: downstream on http://127.0.0.1:8001 (pid $downstream); target on http://127.0.0.1:8000"
echo "main: try: curl localhost:8000/api/ping; curl localhost:8000/metrics; Ctrl-C to stop"
"$BIN" serve --listen 127.0.0.1:8000 --downstream http://127.0.0.1:8001
