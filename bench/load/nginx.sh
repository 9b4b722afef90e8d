# Sourced by the generator benchmarks (vs_wrk.sh, ideal_clients.sh).
# start_nginx WORK [PREFIX...]: starts Debian's nginx (or $NGINX), optionally through a command
# prefix such as `taskset -c 1`, on a free loopback port with its files in WORK, answering every
# path with a 17-byte body; sets PORT and NGINX_PID. The caller's EXIT trap stops it.
start_nginx() {
  local work=$1
  shift
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$work/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 40000;
error_log $work/error.log;
pid $work/nginx.pid;
events { worker_connections 30000; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy; fastcgi_temp_path $work/fcgi;
  uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  server { listen 127.0.0.1:$PORT backlog=16384; location / { return 200 "hello from nginx\n"; } }
}
CONF
  "$@" "${NGINX:-/usr/sbin/nginx}" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
  NGINX_PID=$!
  for _ in $(seq 50); do
    (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nginx did not start on port $PORT" >&2
  return 1
}
