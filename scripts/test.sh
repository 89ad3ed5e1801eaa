#!/usr/bin/env bash
# Builds tenancy and runs the whole test suite, every test once (D47):
#   dev preset (no sanitizer, warnings as errors): the library, tenancyd,
#     tenancyctl, examples, the header checks, and the tests only this build
#     can run: benchmark smoke runs and the install consumer;
#   asan preset (AddressSanitizer + UBSan, warnings as errors): every other
#     test: unit, isolation, PostgreSQL, server, CLI, browser.
# Fails on any failure. TENANCY_SKIP_ASAN=1 runs the whole suite in the dev
# build instead (faster locally, no sanitizer).
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
cmake --preset dev "${debug_flags[@]}" >/dev/null
if [[ "${TENANCY_SKIP_ASAN:-0}" == "1" ]]; then
  echo "== dev: build, every test" >&2
  cmake --build --preset dev -j "$jobs"
  ctest --preset dev
  exit 0
fi

echo "== dev: build (no test binaries), benchmark smoke + install tests" >&2
cmake --build --preset dev -j "$jobs" --target src/all examples/all benchmarks/all \
  tests/headers/all tests/install/all
ctest --preset dev -L 'benchmark|install'

echo "== asan: build, every other test" >&2
cmake --preset asan "${debug_flags[@]}" >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan
