#!/usr/bin/env bash
# How close can any client get? (benchmark, not a test) Alternates, against nginx on loopback,
# `loadlab run -t1 -c50`, wrk -t1 -c50 and two ideal clients that do nothing but send a request
# and wait for its answer on 50 connections (bench/load/ideal_clients/: one on epoll with recv and
# send, one on io_uring with multishot receives and sends without completions; no parsing beyond
# the head's end, no timing, no recording). Prints requests per CPU-second of each (utime+stime
# from wait4) and each one's ratio to wrk in the same round: issue 4's goal, at least 1.25 of wrk,
# can only be met where the ideal clients are well above it.
#   bench/load/ideal_clients.sh [BUILD_DIR] [ROUNDS]
# The ideal clients are built with the rest (bench/load/CMakeLists.txt).
# Environment: ROUND_SECONDS (default 5); PIN=1 runs the clients on CPU 0 and nginx on CPU 1;
# URING_RECEIVE_MODES (default "multishot"): the io_uring client once per listed receive mode
# (multishot, single, linked; see ideal_clients/uring_client.cpp), each a column of its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${1:-build/release}
ROUNDS=${2:-6}
LOADLAB=${LOADLAB:-$BUILD_DIR/src/cli/loadlab}
[[ -x $LOADLAB ]] || { echo "no loadlab binary at $LOADLAB" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

EPOLL_CLIENT=$BUILD_DIR/bench/load/ideal_epoll_client
URING_CLIENT=$BUILD_DIR/bench/load/ideal_uring_client
[[ -x $EPOLL_CLIENT && -x $URING_CLIENT ]] || {
  echo "no ideal clients in $BUILD_DIR/bench/load (cmake --build $BUILD_DIR)" >&2
  exit 2
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

PIN_NGINX=()
PIN_CLIENT=()
if [[ ${PIN:-0} == 1 ]]; then
  PIN_NGINX=(taskset -c 1)
  PIN_CLIENT=(taskset -c 0)
fi
source bench/load/nginx.sh
start_nginx "$WORK" "${PIN_NGINX[@]}"
trap 'kill $NGINX_PID 2>/dev/null; wait $NGINX_PID 2>/dev/null; rm -rf "$WORK"' EXIT

python3 - "$LOADLAB" "$PORT" "$ROUNDS" "$WORK" "${ROUND_SECONDS:-5}" "$EPOLL_CLIENT" "$URING_CLIENT" \
  "${URING_RECEIVE_MODES:-multishot}" "${PIN_CLIENT[@]}" <<'PY'
import json, os, re, statistics, subprocess, sys
loadlab, port, rounds, work, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
epoll_client, uring_client = sys.argv[6], sys.argv[7]
uring_modes = sys.argv[8].split()
pin = sys.argv[9:]
url = f"http://127.0.0.1:{port}/"

def run(argv, env=None):
    """Runs argv; returns (stdout, CPU seconds of the process = utime + stime)."""
    process = subprocess.Popen(pin + argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=None if env is None else {**os.environ, **env})
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed")
    return out, usage.ru_utime + usage.ru_stime

def loadlab_rate():
    result = os.path.join(work, "run.json")
    _, cpu = run([loadlab, "run", url, "-t1", "-c50", f"-d{seconds}s", "-q", "--out", f"json={result}"])
    with open(result) as f:
        return json.load(f)["summary"]["http_reqs"]["count"] / cpu

def counted_rate(argv, pattern, env=None):
    out, cpu = run(argv, env)
    return int(re.search(pattern, out).group(1)) / cpu

def uring_rate(mode):
    return lambda: counted_rate([uring_client, port, seconds], r"requests (\d+)",
                                {"IDEAL_URING_RECEIVE": mode})

clients = {
    "loadlab": loadlab_rate,
    "ideal epoll": lambda: counted_rate([epoll_client, port, seconds], r"requests (\d+)"),
    **{("ideal io_uring" if uring_modes == ["multishot"] else f"ideal io_uring {mode}"): uring_rate(mode)
       for mode in uring_modes},
    "wrk": lambda: counted_rate(["wrk", "-t1", "-c50", f"-d{seconds}s", url], r"(\d+) requests in"),
}
print(f"## requests per CPU-second, 50 connections, one thread, {seconds} s rounds{' (pinned)' if pin else ''}")
print("| round | " + " | ".join(clients) + " | " + " | ".join(f"{name} / wrk" for name in clients if name != "wrk") + " |")
print("| --- " * (2 * len(clients)) + "|")
ratios = {name: [] for name in clients if name != "wrk"}
for round_ in range(rounds):
    rates = {name: measure() for name, measure in clients.items()}
    for name in ratios:
        ratios[name].append(rates[name] / rates["wrk"])
    print(f"| {round_ + 1} | " + " | ".join(f"{rate:,.0f}" for rate in rates.values()) + " | "
          + " | ".join(f"{ratios[name][-1]:.2f}" for name in ratios) + " |")
print("median ratio to wrk: " + ", ".join(f"{name} {statistics.median(values):.2f}" for name, values in ratios.items()))
PY
