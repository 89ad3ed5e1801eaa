#!/usr/bin/env bash
# Builds tenancy in release mode, shows the three isolation models with
# tenancyctl on the embedded SQLite default (./data), then runs the demo
# server: `tenancyd --demo` on ./data/server provisions three demo tenants
# (a city fleet on the shared model, a partner on its own database, an
# enterprise on a dedicated placement) with vehicles, drivers, zones and
# pricing, prints their credentials and ready-to-paste curl lines, and
# serves until Ctrl-C (which drains and exits 0).
# Idempotent: re-running reuses the build, the tenants and their fleets, and
# prints fresh keys.
#   TENANCY_DEMO_LISTEN=host:port   where tenancyd listens (default 127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset release -DTENANCY_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build --preset release --target tenancyctl tenancyd

build/release/src/cli/tenancyctl --data ./data demo "$@"

listen="${TENANCY_DEMO_LISTEN:-127.0.0.1:8080}"
mkdir -p ./data/server
echo
echo "tenancyd: starting the demo server on http://$listen (data in ./data/server); Ctrl-C stops it."
echo "The platform operator key is in ./data/server/bootstrap-operator.key (0600); docs/server.md lists every route."
exec build/release/src/server/tenancyd --demo --data ./data/server --listen "$listen"
