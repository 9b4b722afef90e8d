#!/usr/bin/env python3
"""Opens N keep-alive connections to HOST:PORT, sends one GET on each, reads the answer and keeps
them open (idle) until stdin closes or SECONDS pass. Prints "ready N" once all are established.
Used by vs_nginx.sh to measure a server's RSS with many idle keep-alive connections."""
import socket
import sys
import time


def main() -> int:
    host, port, count, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    path = sys.argv[5] if len(sys.argv) > 5 else "/api/fast"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    sockets = []
    for _ in range(count):
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise SystemExit("server closed a connection early")
            data += chunk
        sockets.append(s)
    print(f"ready {len(sockets)}", flush=True)
    deadline = time.monotonic() + hold
    while time.monotonic() < deadline:
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
