#!/usr/bin/env bash
# Benchmark (not a test): `loadlab serve --threads 1` vs Debian's nginx (one worker) on GET /api/fast,
# wrk -t1 -c50 alternately against each for several rounds. Reports requests per server
# CPU-second (utime+stime from /proc/PID/stat) and their ratio, then RSS idle and with 10,000 idle
# keep-alive connections. Loopback only.
#   usage: bench/server/vs_nginx.sh [BUILD_DIR] [ROUNDS] [SECONDS]
# On a noisy VM, many short rounds and the median of the per-round ratios (each pair runs back to
# back) say more than the totals; both are printed. SKIP_IDLE=1 skips the RSS measurement.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-$root/build/release}"
rounds="${2:-3}"
seconds="${3:-10}"
loadlab="$build/src/cli/loadlab"
idle_count=10000
for tool in nginx wrk python3; do
  command -v "$tool" >/dev/null || { echo "vs_nginx: $tool is required" >&2; exit 1; }
done
[ -x "$loadlab" ] || { echo "vs_nginx: $loadlab not built" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Pin servers to the last CPU and wrk to the first when there are at least two.
cpus=$(nproc)
server_pin=(); client_pin=()
if [ "$cpus" -ge 2 ] && command -v taskset >/dev/null; then
  server_pin=(taskset -c $((cpus - 1))); client_pin=(taskset -c 0)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nginx: one process (master_process off), the same body and content type as /api/fast.
nginx_port=$(free_port)
mkdir -p "$work/nginx/logs"
cat > "$work/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 65536;
error_log $work/nginx/logs/error.log crit;
pid $work/nginx/nginx.pid;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nginx_port;
    location = /api/fast { default_type application/json; return 200 '{"message":"fast response"}'; }
  }
}
CONF
"${server_pin[@]}" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!; pids+=("$nginx_pid")

# loadlab: one I/O thread, metrics on (always), naked profile.
"${server_pin[@]}" "$loadlab" serve --threads 1 --listen 127.0.0.1:0 > "$work/loadlab.out" &
loadlab_pid=$!; pids+=("$loadlab_pid")
for _ in $(seq 100); do grep -q '^listening on' "$work/loadlab.out" 2>/dev/null && break; sleep 0.1; done
loadlab_port=$(sed -n 's/^listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/loadlab.out")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$nginx_port/api/fast" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$loadlab_port/api/fast" >/dev/null

cpu_seconds() {  # utime + stime of a process, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

declare -A total_requests total_cpu
total_requests[nginx]=0; total_requests[loadlab]=0; total_cpu[nginx]=0; total_cpu[loadlab]=0
run_wrk() {  # name pid port
  local before after output requests
  before=$(cpu_seconds "$2")
  output=$("${client_pin[@]}" wrk -t1 -c50 -d"${seconds}s" "http://127.0.0.1:$3/api/fast")
  after=$(cpu_seconds "$2")
  requests=$(awk '/requests in/ { print $1 }' <<<"$output")
  errors=$(awk '/Non-2xx|Socket errors/ { print }' <<<"$output")
  local cpu; cpu=$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')
  last_rate=$(awk -v r="$requests" -v c="$cpu" 'BEGIN { print (c > 0 ? r / c : 0) }')
  printf '  %-8s %9d requests  %6.2f CPU-s  %8.0f req/CPU-s %s\n' "$1" "$requests" "$cpu" \
    "$last_rate" "$errors"
  total_requests[$1]=$(( ${total_requests[$1]} + requests ))
  total_cpu[$1]=$(awk -v a="${total_cpu[$1]}" -v c="$cpu" 'BEGIN { print a + c }')
}

echo "wrk -t1 -c50 -d${seconds}s GET /api/fast, $rounds rounds, servers pinned: ${server_pin[*]:-no}"
rss_idle_nginx=$(rss_kib "$nginx_pid"); rss_idle_loadlab=$(rss_kib "$loadlab_pid")
ratios=()
for round in $(seq "$rounds"); do
  echo "round $round"
  run_wrk nginx "$nginx_pid" "$nginx_port"
  nginx_round=$last_rate
  run_wrk loadlab "$loadlab_pid" "$loadlab_port"
  ratios+=("$(awk -v l="$last_rate" -v n="$nginx_round" 'BEGIN { printf "%.3f", (n > 0 ? l / n : 0) }')")
done
nginx_rate=$(awk -v r="${total_requests[nginx]}" -v c="${total_cpu[nginx]}" 'BEGIN { printf "%.0f", r / c }')
loadlab_rate=$(awk -v r="${total_requests[loadlab]}" -v c="${total_cpu[loadlab]}" 'BEGIN { printf "%.0f", r / c }')
echo "requests per server CPU-second: nginx $nginx_rate, loadlab $loadlab_rate," \
     "ratio loadlab/nginx $(awk -v l="$loadlab_rate" -v n="$nginx_rate" 'BEGIN { printf "%.2f", l / n }')"
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 }
  END { printf "median of the per-round ratios %.2f (min %.2f, max %.2f)\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
[ "${SKIP_IDLE:-0}" = 1 ] && exit 0

idle_rss() {  # name pid port -> RSS KiB while $idle_count idle keep-alive connections are open
  local fifo="$work/idle_$1"
  python3 "$here/idle_connections.py" 127.0.0.1 "$3" "$idle_count" 120 > "$fifo" &
  local helper=$!
  for _ in $(seq 600); do grep -q '^ready' "$fifo" 2>/dev/null && break; sleep 0.1; done
  grep -q '^ready' "$fifo" || { echo "  $1: could not open $idle_count connections" >&2; kill "$helper"; return; }
  sleep 1
  local rss; rss=$(rss_kib "$2")
  kill "$helper" 2>/dev/null; wait "$helper" 2>/dev/null || true
  echo "$rss"
}
rss_busy_nginx=$(idle_rss nginx "$nginx_pid" "$nginx_port")
rss_busy_loadlab=$(idle_rss loadlab "$loadlab_pid" "$loadlab_port")
echo "RSS idle: nginx ${rss_idle_nginx} KiB, loadlab ${rss_idle_loadlab} KiB"
echo "RSS with $idle_count idle keep-alive connections: nginx ${rss_busy_nginx} KiB, loadlab ${rss_busy_loadlab} KiB"
