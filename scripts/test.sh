#!/usr/bin/env bash
# Builds tenancy and runs the whole test suite: the dev preset (warnings as
# errors, unit + isolation + install-consumer + benchmark smoke tests), then
# the asan preset (AddressSanitizer + UBSan). Fails on any failure.
# Set TENANCY_SKIP_ASAN=1 to skip the sanitizer pass locally.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test

jobs="$(nproc)"
# ccache keyed on paths relative to the checkout, so clones in other folders
# (CI) reuse each other's objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
# Precompiled headers (TENANCY_PRECOMPILED_HEADERS) stay cacheable with these.
# Not include_file_mtime/ctime: those let ccache store a result while a
# header is being edited, under the other version's hash (a stale PCH).
export CCACHE_SLOPPINESS="pch_defines,time_macros"
# Line tables only (-g1): enough for sanitizer and crash backtraces, and a
# good part cheaper to compile and link than full debug information.
debug_flags=(-DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_C_FLAGS_DEBUG=-g1)
echo "== dev: configure, build, test" >&2
cmake --preset dev "${debug_flags[@]}" >/dev/null
cmake --build --preset dev -j "$jobs"
ctest --preset dev

if [[ "${TENANCY_SKIP_ASAN:-0}" != "1" ]]; then
  echo "== asan: configure, build, test" >&2
  cmake --preset asan "${debug_flags[@]}" >/dev/null
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan
fi
