#!/usr/bin/env bash
# Installs the Debian 12 packages tenancy needs to build, test or run.
# Idempotent: installs only what is missing, and runs apt-get update only then.
#   scripts/install-deps.sh [build|test]     (default: test, which is a superset)
set -euo pipefail

what="${1:-test}"
packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev
  libsqlite3-dev libsodium-dev libpq-dev tzdata
  libssl-dev ca-certificates  # https webhooks: OpenSSL (libpq-dev pulls it in too) and the system trust store
  curl  # the demo prints curl lines to paste
)
if [[ "$what" == "test" ]]; then
  packages+=(catch2 libbenchmark-dev postgresql-15 python3 openssl)
  # The portal's browser test (tests/portal) drives Debian's chromium with
  # playwright-core from npm. Node may come from elsewhere than Debian (NodeSource's nodejs
  # bundles npm and conflicts with Debian's npm), so only a missing tool is asked for.
  packages+=(chromium)
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
  # The contract tests
  packages+=(python3-jsonschema)  # OpenAPI response validation
  packages+=(wrk)  # tenancyd load benchmarks (benchmarks/load)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if (( ${#missing[@]} == 0 )); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
