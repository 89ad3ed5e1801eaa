#!/usr/bin/env bash
# Builds tenancy in release mode and runs the demo on the embedded SQLite
# default under ./data: three tenants, one per isolation model.
# Idempotent: re-running reuses the build and the provisioned tenants.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset release -DTENANCY_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build --preset release --target tenancyctl
exec build/release/src/cli/tenancyctl --data ./data demo "$@"
