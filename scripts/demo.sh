#!/usr/bin/env bash
# Builds tenancy in release mode, shows the three isolation models with
# tenancyctl on the embedded SQLite default (./data), then runs the demo
# server tenancyd on ./data/server until Ctrl-C (which drains and exits 0).
# Idempotent: re-running reuses the build, the tenants and the server's keys.
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
cat <<MSG

tenancyd: serving http://$listen with its data in ./data/server.
On first start it writes a platform operator key to ./data/server/bootstrap-operator.key (0600).
Try, from another shell:
  key=\$(cat data/server/bootstrap-operator.key)
  curl -s -H "Authorization: Bearer \$key" -H 'Content-Type: application/json' \\
       -d '{"slug": "city-cabs", "tier": "standard", "admin": {"email": "ops@city-cabs.example"}}' \\
       http://$listen/v1/tenants
  curl -s -H "Authorization: Bearer \$key" http://$listen/v1/tenants
See docs/server.md for every route.

MSG
exec build/release/src/server/tenancyd --data ./data/server --listen "$listen"
