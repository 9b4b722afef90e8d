#!/usr/bin/env bash
# Installs what loadlab's build, tests and lab need on Debian 12; idempotent, apt-get only when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libboost1.81-dev libboost-system1.81-dev libboost-url1.81-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libfmt-dev
  libpq-dev libsqlite3-dev libssl-dev openssl liburing-dev
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

# Packages whose job is done when their command is already on PATH: Node.js from NodeSource
# ships its own npm and conflicts with Debian's npm package ("held broken packages").
declare -A PROVIDED_BY_COMMAND=([nodejs]=node [npm]=npm [kubectl]=kubectl)
# Packages that are not in every Debian 12 archive; set-up goes on without them, and the tests
# that need them skip with a message.
OPTIONAL_PACKAGES=(kubectl)

# Capture, then match: under pipefail, `cmd | grep -q` fails when grep exits at its first match
# and cmd, still writing, dies of SIGPIPE (apt-cache policy writes its version table after).
is_installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *"install ok installed"* ]]; }
is_optional() { [[ " ${OPTIONAL_PACKAGES[*]} " == *" $1 "* ]]; }
has_candidate() { [[ "$(apt-cache policy "$1" 2>/dev/null)" =~ Candidate:\ [^\(] ]]; }

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  command_name="${PROVIDED_BY_COMMAND[$pkg]:-}"
  if [ -n "$command_name" ] && command -v "$command_name" >/dev/null 2>&1; then continue; fi
  is_installed "$pkg" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  installable=()
  for pkg in "${missing[@]}"; do
    if has_candidate "$pkg"; then
      installable+=("$pkg")
    elif is_optional "$pkg"; then
      echo "setup: optional package $pkg is not in this machine's archives; going on without it" >&2
    else
      echo "setup: required package $pkg is not in this machine's archives" >&2
      exit 1
    fi
  done
  if [ ${#installable[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${installable[@]}"
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
