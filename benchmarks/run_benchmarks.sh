#!/usr/bin/env bash
# Builds the benchmarks in Release, runs every suite with repetitions and
# prints each BM_X beside its BM_X_Baseline.
#
#   benchmarks/run_benchmarks.sh [OUT_DIR] [extra Google Benchmark flags...]
#
# OUT_DIR (default build-release/bench-results) receives <suite>.json (the
# raw Google Benchmark output), <suite>.log (stderr: setup timings) and
# summary.txt (the table printed at the end).
#
# Environment:
#   TENANCY_BENCH_BUILD_DIR  build directory (default <repo>/build-release)
#   TENANCY_BENCH_JOBS       parallel compile jobs (default 2)
#   TENANCY_BENCH_TMP        scratch directory for the databases
#                            (default <build dir>/bench-tmp)
#   TENANCY_BENCH_SMOKE=1    small worlds, as ctest's smoke runs use
#   TENANCY_BENCH_CMAKE_ARGS extra configure arguments (word-split)
#
# Repetitions run randomly interleaved (--benchmark_enable_random_interleaving)
# so slow drift of the machine falls on a benchmark and its baseline alike.
#
# The SQLite suites need no libpq. When PostgreSQL 15 is installed
# (scripts/pg-cluster.sh can start a cluster), the PostgreSQL backend is
# built too and pg_bench runs against a throw-away cluster on 127.0.0.1:54341
# (TENANCY_BENCH_PG_PORT; 54342 reserved), stopped at exit. Set
# TENANCY_BENCH_NO_PG=1 to skip it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TENANCY_BENCH_BUILD_DIR:-$root/build-release}"
out="${1:-$build/bench-results}"
shift || true
jobs="${TENANCY_BENCH_JOBS:-2}"
suites=(storage_bench directory_bench security_bench flags_bench quota_bench metering_bench config_bench
        telemetry_bench events_bench audit_bench backup_bench)
pg_port="${TENANCY_BENCH_PG_PORT:-54341}"
pg_args=()
if [[ "${TENANCY_BENCH_NO_PG:-0}" != 1 && -x "${TENANCY_PGBIN:-/usr/lib/postgresql/15/bin}/initdb" ]]; then
  suites+=(pg_bench)
  pg_args=(-DTENANCY_BUILD_POSTGRES=ON)
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DTENANCY_BUILD_TESTS=OFF -DTENANCY_BUILD_BENCHMARKS=ON -DTENANCY_BUILD_EXAMPLES=OFF \
  -DTENANCY_BUILD_SERVER=OFF -DTENANCY_INSTALL=OFF -DTENANCY_BUILD_POSTGRES=OFF \
  ${pg_args[@]+"${pg_args[@]}"} ${TENANCY_BENCH_CMAKE_ARGS:-}
cmake --build "$build" --target "${suites[@]}" -j "$jobs"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
export TENANCY_BENCH_TMP="${TENANCY_BENCH_TMP:-$build/bench-tmp}"
mkdir -p "$TENANCY_BENCH_TMP"

if [[ " ${suites[*]} " == *" pg_bench "* ]]; then
  pg_dir="$(cd "$build" && pwd)/bench-pg"  # absolute: the server chdirs
  trap '"$root/scripts/pg-cluster.sh" stop "$pg_dir"' EXIT
  "$root/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" >/dev/null
  export TENANCY_BENCH_PG_HOSTPORT="127.0.0.1:$pg_port"
fi

for suite in "${suites[@]}"; do
  echo "== $suite"
  # stderr carries the "setup:" lines; keep a copy for the summary.
  "$build/benchmarks/$suite" \
    --benchmark_repetitions=5 \
    --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/$suite.json" \
    --benchmark_out_format=json \
    "$@" 2> >(tee "$out/$suite.log" >&2)
done

python3 - "$out" "${suites[@]}" <<'PY' | tee "$out/summary.txt"
import json, os, sys

out, suites = sys.argv[1], sys.argv[2:]
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def base_name(name):
    # "BM_X/shared/real_time" -> "BM_X/shared": the timing suffix is noise here.
    parts = [p for p in name.split("/")
             if p not in ("real_time", "process_time", "manual_time") and not p.startswith("iterations:")]
    return "/".join(parts)


medians, cvs, order = {}, {}, []
for suite in suites:
    path = os.path.join(out, suite + ".json")
    if not os.path.exists(path):
        print(f"(no results for {suite})")
        continue
    with open(path) as f:
        data = json.load(f)
    # Random interleaving shuffles the output; list each suite by name.
    names = set()
    for b in data.get("benchmarks", []):
        if b.get("run_type") != "aggregate" or b.get("error_occurred"):
            continue
        name = base_name(b["run_name"])
        names.add(name)
        agg = b.get("aggregate_name")
        if agg == "median":
            medians[name] = b["real_time"] * UNIT_NS[b.get("time_unit", "ns")]
        elif agg == "cv":
            cvs[name] = b["real_time"]  # a ratio, not a time
    order += sorted(names)


def baseline_of(name):
    family, *rest = name.split("/")
    for cand in ("/".join([family + "_Baseline"] + rest), family + "_Baseline"):
        if cand in medians:
            return cand
    return None


def cv_text(name):
    return f"{cvs[name] * 100:.0f}%" if name in cvs else "-"


rows = []
for name in order:
    if name not in medians or name.split("/")[0].endswith("_Baseline"):
        continue
    base = baseline_of(name)
    ours = medians[name]
    theirs = medians.get(base) if base else None
    ratio = theirs / ours if theirs and ours else None
    rows.append((name, ours, base, theirs, ratio))

print()
print("Median wall time over the repetitions; cv = coefficient of variation across them.")
print("throughput ratio = baseline median time / our median time")
print("  (1.00 = parity, >= 0.90 = within 10% of the baseline, < 0.90 flagged SLOW)")
print()
w = max([len(r[0]) for r in rows] + [9])
print(f"{'benchmark':<{w}}  {'ours':>9} {'cv':>4}  {'baseline':>9} {'cv':>4}  {'throughput ratio':>16}")
print("-" * (w + 52))
for name, ours, base, theirs, ratio in rows:
    if ratio is None:
        print(f"{name:<{w}}  {fmt(ours):>9} {cv_text(name):>4}  {'(none)':>9} {'':>4}  {'-':>16}")
        continue
    flag = "" if ratio >= 0.9 else "  SLOW"
    print(f"{name:<{w}}  {fmt(ours):>9} {cv_text(name):>4}  {fmt(theirs):>9} {cv_text(base):>4}"
          f"  {ratio:>16.2f}{flag}")

# Absolute and relative goals stated for the suites.
goals = [
    ("BM_Directory_Provision_Shared median < 2 ms",
     medians.get("BM_Directory_Provision_Shared"), lambda v: v < 2e6),
    ("BM_Directory_Provision_Database median < 20 ms",
     medians.get("BM_Directory_Provision_Database"), lambda v: v < 20e6),
]
for case in ("BM_Directory_LookupById", "BM_Directory_LookupBySlug"):
    ours, theirs = medians.get(case), medians.get(case + "_Baseline")
    goals.append((f"{case} <= 1.5x baseline time",
                  ours / theirs if ours and theirs else None, lambda v: v <= 1.5))
print()
print("goals:")
for label, value, ok in goals:
    if value is None:
        print(f"  {label}: not measured")
    else:
        shown = f"{value:.2f}x" if "baseline" in label else fmt(value)
        print(f"  {label}: {shown} -> {'met' if ok(value) else 'MISSED'}")

rls, norls = medians.get("BM_Pg_Rls"), medians.get("BM_Pg_Rls_Baseline")
if rls and norls:
    print()
    print(f"RLS cost (BM_Pg_Rls / BM_Pg_Rls_Baseline): {rls / norls:.2f}x time,"
          f" {(rls - norls) / 1e3:+.1f} us per point query")
for case in ("BM_Pg_ProvisionSchema", "BM_Pg_Migrate1000Schemas"):
    if case in medians:
        print(f"{case} median: {fmt(medians[case])} (baseline {fmt(medians.get(case + '_Baseline', 0))})")

setup = []
for suite in suites:
    log = os.path.join(out, suite + ".log")
    if os.path.exists(log):
        with open(log) as f:
            setup += [line.rstrip() for line in f if line.startswith("setup:")]
if setup:
    print()
    print("\n".join(setup))
PY
