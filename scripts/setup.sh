#!/usr/bin/env bash
# Installs what loadlab's build, tests and lab need on Debian 12; idempotent, apt-get only when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libboost1.81-dev libboost-system1.81-dev libboost-url1.81-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libfmt-dev
  libpq-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format clang-tidy
  postgresql prometheus wrk nginx-light hey
  chromium kubectl nodejs npm procps iproute2 python3-yaml
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: not root and no sudo; install these yourself: ${DEB_PACKAGES[*]}" >&2; exit 1
  fi
fi

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  # kubectl is not in Debian 12's main archive everywhere; do not fail the whole set-up on it.
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    optional=(kubectl)
    required=()
    for pkg in "${missing[@]}"; do [[ " ${optional[*]} " == *" $pkg "* ]] || required+=("$pkg"); done
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${required[@]}"
  fi
fi

# Debian starts nginx/postgresql/prometheus services on install on some machines; loadlab's tests
# start their own instances on loopback, so stop the packaged ones if they are running.
for svc in nginx prometheus postgresql; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done

# Front-end assets (uPlot), browser-test driver (playwright-core) and autocannon, from npm.
if [ -f package.json ]; then
  if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
    npm install --no-audit --no-fund --loglevel=error
  fi
fi
echo "setup: ok"
