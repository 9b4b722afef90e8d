#!/usr/bin/env bash
# `loadlab probe URL` (the image's HEALTHCHECK): 0 on 2xx, 1 on other statuses and on connection
# failures, 2 on bad input. Served by Python's http.server on a free loopback port.
set -euo pipefail
loadlab="$1"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
echo ok > "$work/index.html"
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
/usr/bin/python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  "$loadlab" probe -q --timeout 1s "http://127.0.0.1:$port/" 2>/dev/null && break
  sleep 0.1
done

failures=0
expect() {  # expect EXIT_CODE ARGS...
  local want="$1"; shift
  local got=0
  "$loadlab" probe "$@" > /dev/null 2>&1 || got=$?
  if [ "$got" -eq "$want" ]; then echo "ok   probe $* -> $got"; else echo "FAIL probe $* -> $got, want $want"; failures=$((failures+1)); fi
}
expect 0 "http://127.0.0.1:$port/"
expect 0 --timeout 500ms "http://127.0.0.1:$port/index.html"
expect 1 "http://127.0.0.1:$port/missing"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
expect 1 --timeout 1s "http://127.0.0.1:$port/"
expect 2 "ftp://127.0.0.1/"
expect 2 --timeout soon "http://127.0.0.1:$port/"

# The image's HEALTHCHECK command against a real `loadlab serve` (when serve is built).
"$loadlab" serve --listen 127.0.0.1:0 --db sqlite::memory: > "$work/serve.out" 2> "$work/serve.err" &
serve_pid=$!
url=""
for _ in $(seq 1 150); do
  url="$(sed -n '1s#^listening on \(http://[^ ]*\).*#\1#p' "$work/serve.out")"
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
checks=6
if [ -n "$url" ]; then
  expect 0 --quiet --timeout 2s "$url/liveness"
  expect 1 --timeout 2s "$url/no-such-route"
  checks=8
else
  echo "note: loadlab serve did not start ($(head -c 200 "$work/serve.err")); HEALTHCHECK not tried live"
fi
kill -TERM "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
