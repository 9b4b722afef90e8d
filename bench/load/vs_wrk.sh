#!/usr/bin/env bash
# Load generator benchmark (not a test): loadlab run vs wrk against nginx on loopback.
#   bench/load/vs_wrk.sh [BUILD_DIR] [ROUNDS]
# 1. Efficiency: 50 connections, one thread each, 10 s, alternating `loadlab run -t1 -c50 -d10s`
#    and `wrk -t1 -c50 -d10s` for ROUNDS rounds; requests per CPU-second of the generator
#    (utime+stime of the generator process, from wait4's rusage = /proc/PID/stat's fields).
# 2. Memory: RSS of `loadlab run -R 10000` after 1 and RSS_MINUTES minutes (default 10).
# 3. Memory: RSS with 10,000 open connections (closed model, -c 10000).
# Environment: RSS_MINUTES (0 skips 2), SKIP_CONNECTIONS=1 skips 3, ROUND_SECONDS (default 10)
# the length of each efficiency round. On a noisy VM, many short rounds and the median of the
# per-round ratios (each pair runs back to back) say more than the total.
set -euo pipefail
BUILD_DIR=${1:-build/release}
ROUNDS=${2:-3}
LOADLAB=${LOADLAB:-$BUILD_DIR/src/cli/loadlab}
RSS_MINUTES=${RSS_MINUTES:-10}
[[ -x $LOADLAB ]] || { echo "no loadlab binary at $LOADLAB" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "$0")/nginx.sh"
start_nginx "$WORK"
trap 'kill $NGINX_PID 2>/dev/null; wait $NGINX_PID 2>/dev/null; rm -rf "$WORK"' EXIT
URL=http://127.0.0.1:$PORT/
ulimit -n "$(ulimit -Hn)"

python3 - "$LOADLAB" "$URL" "$ROUNDS" "$WORK" "$RSS_MINUTES" "${SKIP_CONNECTIONS:-0}" "${ROUND_SECONDS:-10}" <<'PY'
import json, os, re, statistics, subprocess, sys, time
loadlab, url, rounds, work, rss_minutes, skip_connections = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), sys.argv[6] == "1"
round_seconds = int(sys.argv[7])

def run(argv):
    """Runs argv; returns (stdout, cpu seconds of the process = utime + stime)."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return out, usage.ru_utime + usage.ru_stime

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

print(f"## efficiency: 50 connections, 1 thread, {round_seconds} s, {rounds} rounds, {url}")
ours, theirs = [], []
for round_ in range(rounds):
    result = os.path.join(work, "run.json")
    _, cpu = run([loadlab, "run", url, "-t1", "-c50", f"-d{round_seconds}s", "-q", "--out", f"json={result}"])
    with open(result) as f:
        summary = json.load(f)["summary"]
    requests = summary["http_reqs"]["count"]
    ours.append((requests, cpu))
    print(f"round {round_+1} loadlab: {requests:.0f} requests, {cpu:.2f} CPU s, "
          f"{requests/cpu:,.0f} req/CPU-s, {summary['http_reqs']['rate']:,.0f} req/s, "
          f"p99 {summary['http_req_duration']['p(99)']:.3f} ms")
    out, cpu = run(["wrk", "-t1", "-c50", f"-d{round_seconds}s", url])
    match = re.search(r"(\d+) requests in", out)
    requests = int(match.group(1)) if match else 0
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    theirs.append((requests, cpu))
    print(f"round {round_+1} wrk:     {requests} requests, {cpu:.2f} CPU s, "
          f"{requests/cpu:,.0f} req/CPU-s, {float(rate.group(1)) if rate else 0:,.0f} req/s")
ours_rate = sum(r for r, _ in ours) / sum(c for _, c in ours)
theirs_rate = sum(r for r, _ in theirs) / sum(c for _, c in theirs)
pair_ratios = [(r / c) / (tr / tc) for (r, c), (tr, tc) in zip(ours, theirs) if c > 0 and tc > 0 and tr > 0]
print(f"total: loadlab {ours_rate:,.0f} req/CPU-s, wrk {theirs_rate:,.0f} req/CPU-s, "
      f"ratio {ours_rate/theirs_rate:.2f}; median of the per-round ratios "
      f"{statistics.median(pair_ratios):.2f} (min {min(pair_ratios):.2f}, max {max(pair_ratios):.2f})")

if rss_minutes > 0:
    print(f"## memory at 10,000 req/s: RSS after 1 and {rss_minutes:g} minutes")
    duration = int(rss_minutes * 60) + 5
    process = subprocess.Popen([loadlab, "run", url, "-t1", "-c100", "-R10000", f"-d{duration}s", "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = {}
    start = time.monotonic()
    for minute in sorted({1.0, rss_minutes}):
        time.sleep(max(0, start + minute * 60 - time.monotonic()))
        samples[minute] = rss_kib(process.pid)
        print(f"RSS after {minute:g} min: {samples[minute]/1024:.1f} MiB")
    process.terminate()
    process.wait()
    first, last = samples[1.0], samples[max(samples)]
    print(f"growth: {100.0*(last-first)/first:+.1f} %")

if not skip_connections:
    print("## memory with 10,000 open connections (closed model, -c 10000, 2 threads)")
    process = subprocess.Popen([loadlab, "run", url, "-t2", "-c10000", "-d20s", "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    established = 0
    for _ in range(18):
        time.sleep(1)
        peak = max(peak, rss_kib(process.pid))
        established = max(established, len(os.listdir(f"/proc/{process.pid}/fd")))
    process.wait()
    print(f"peak RSS {peak/1024:.1f} MiB with {established} open descriptors")
PY
