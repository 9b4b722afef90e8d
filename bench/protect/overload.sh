#!/usr/bin/env bash
# Protections benchmark (not a test): what an open-model overload does to a CPU-bound route, naked
# vs protected, and what the protected profile costs a cheap route.
#   bench/protect/overload.sh [BUILD_DIR] [SECONDS_PER_RUN] [ROUNDS]
# 1. Capacity C of GET /api/cpu-intensive?complexity=$COMPLEXITY (default 25): a naked
#    `loadlab serve --threads 1` pinned to one CPU, closed model with 8 connections.
# 2. Unloaded p99: an open model at 0.25 C.
# 3. For 1x, 2x, 5x and 10x C: an open model (`loadlab run -R`, latency from the intended start)
#    against a fresh naked and a fresh protected server; goodput (2xx per second), admitted p99
#    (http_req_latency of the 2xx responses) and the share of rejections.
# 4. Cost of the protected profile on GET /api/fast: closed model, 50 connections, requests per
#    server CPU-second (utime+stime from /proc/PID/stat), naked and protected alternated ROUNDS times.
# The server runs on CPU $SERVER_CPU (default 1), the generator on CPU $CLIENT_CPU (default 0).
# PROFILES (default "naked protected") lists the --protect values step 3 compares, e.g.
# PROFILES="naked protected queue" adds the bounded compute queue alone.
set -euo pipefail
BUILD_DIR=${1:-build/release}
SECONDS_PER_RUN=${2:-10}
ROUNDS=${3:-3}
LOADLAB=${LOADLAB:-$BUILD_DIR/src/cli/loadlab}
[[ -x $LOADLAB ]] || { echo "no loadlab binary at $LOADLAB" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
exec /usr/bin/python3 - "$LOADLAB" "$SECONDS_PER_RUN" "$ROUNDS" "${COMPLEXITY:-25}" \
  "${SERVER_CPU:-1}" "${CLIENT_CPU:-0}" "${PROFILES:-naked protected}" <<'PY'
import json, os, re, subprocess, sys, tempfile, time
loadlab, seconds, rounds, complexity, server_cpu, client_cpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
profiles = sys.argv[7].split()
work = tempfile.mkdtemp(prefix="loadlab-overload-")

class Server:
    def __init__(self, profile):
        self.process = subprocess.Popen(
            ["taskset", "-c", server_cpu, loadlab, "serve", "--listen", "127.0.0.1:0", "--threads", "1",
             "--protect", profile], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"http://([\d.]+):(\d+)", line)
        if not match:
            raise SystemExit(f"server did not start: {line!r}")
        self.base = f"http://{match.group(1)}:{match.group(2)}"
    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

def run(url, *args):
    result = os.path.join(work, "run.json")
    argv = ["taskset", "-c", client_cpu, loadlab, "run", url, "-t1", "--timeout", "10s", "-q",
            "--out", f"json={result}", *args]
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    with open(result) as f:
        data = json.load(f)
    summary, elapsed = data["summary"], data["info"]["elapsed_s"]
    ok = summary.get("http_reqs{expected_response:true}", {}).get("count", 0)
    ok_latency = summary.get("http_req_latency{expected_response:true}", {})
    return {"requests": summary["http_reqs"]["count"], "goodput": ok / elapsed,
            "ok_p99": ok_latency.get("p(99)", float("nan")), "p99": summary["http_req_latency"]["p(99)"],
            "failed": summary["http_req_failed"]["rate"], "rate": summary["http_reqs"]["rate"]}

cpu_url = f"/api/cpu-intensive?complexity={complexity}"
server = Server("naked")
capacity = run(server.base + cpu_url, "-c8", f"-d{seconds}s")["rate"]
server.stop()
server = Server("naked")
unloaded = run(server.base + cpu_url, "-c50", f"-R{capacity * 0.25:.0f}", f"-d{seconds}s")
server.stop()
print(f"## overload of GET {cpu_url}: server on CPU {server_cpu} (1 I/O thread), generator on CPU {client_cpu}, {seconds} s per run")
print(f"capacity C = {capacity:,.0f} req/s (closed model, 8 connections); unloaded p99 (open model at 0.25 C) = {unloaded['p99']:.2f} ms")
print()
print("| offered | profile | sent req/s | goodput | goodput / C | admitted p99 | admitted p99 / unloaded | failed share |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for multiple in (1, 2, 5, 10):
    for profile in profiles:
        server = Server(profile)
        r = run(server.base + cpu_url, "-c2000", f"-R{capacity * multiple:.0f}", f"-d{seconds}s")
        server.stop()
        print(f"| {multiple}x C | {profile} | {r['rate']:,.0f} | {r['goodput']:,.0f} | {r['goodput']/capacity:.2f} | "
              f"{r['ok_p99']:.1f} ms | {r['ok_p99']/unloaded['p99']:.1f} | {100*r['failed']:.1f} % |")

print()
print(f"## cost of the protected profile on GET /api/fast: closed model, 50 connections, {seconds} s, {rounds} rounds")
totals = {"naked": [0, 0.0], "protected": [0, 0.0]}
for round_ in range(rounds):
    for profile in ("naked", "protected"):
        server = Server(profile)
        before = server.cpu_seconds()
        r = run(server.base + "/api/fast", "-c50", f"-d{seconds}s")
        cpu = server.cpu_seconds() - before
        server.stop()
        totals[profile][0] += r["requests"]
        totals[profile][1] += cpu
        print(f"round {round_ + 1} {profile}: {r['requests']:,.0f} requests, {cpu:.2f} server CPU s, {r['requests']/cpu:,.0f} req/CPU-s")
naked = totals["naked"][0] / totals["naked"][1]
protected = totals["protected"][0] / totals["protected"][1]
print(f"total: naked {naked:,.0f} req/CPU-s, protected {protected:,.0f} req/CPU-s, protected costs {100*(1-protected/naked):.1f} %")
PY
