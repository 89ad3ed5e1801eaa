#!/usr/bin/env python3
"""Collects run_load.sh's per-run results into one JSON file and a table.

Input: <results>/run<N>/<Entry>.json, one per measurement: wrk runs carry
the LOAD_RESULT object of report.lua's done(); onboarding entries carry
onboard_timer's object. Output (--out): {"context", "provisioning",
"benchmarks": [{"name", medians..., "runs": [...]}], "ratios": [...]} and a
table on stdout.

It checks that the harness worked -- every case has its entries, every wrk
run sent requests and got no connection errors, and no answer other than
the flood's was an HTTP error -- and exits 1 otherwise. It never judges the
numbers: goals are reported as met or missed, not enforced.
"""
import argparse
import json
import os
import statistics
import sys

CASE_ENTRIES = {
    "Ping": ["BM_Load_Ping", "BM_Load_Ping_Baseline", "BM_Load_Ping_Transport"],
    "GetRide": ["BM_Load_GetRide", "BM_Load_GetRide_Baseline"],
    "PostRides": ["BM_Load_PostRides"],
    "Tenants100k": ["BM_Load_Tenants100k", "BM_Load_Tenants100k_Baseline"],
    "NoisyNeighbour": ["BM_Load_NoisyNeighbour", "BM_Load_NoisyNeighbour_Baseline",
                       "BM_Load_NoisyNeighbour_Flood"],
    "Onboarding": ["BM_Load_Onboarding_Shared", "BM_Load_Onboarding_Database"],
}
# An HTTP error is expected only from the flooding tenant (429).
MAY_FAIL_STATUS = {"BM_Load_NoisyNeighbour_Flood"}


def read_env(path):
    env = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                name, _, value = line.strip().partition("=")
                if name.startswith("LOAD_") and "KEY" not in name:  # never copy a key
                    env[name] = value.strip('"')
    return env


def flatten_wrk(r):
    lat = r["latency_us"]
    return {
        "requests": r["requests"],
        "duration_s": r["duration_s"],
        "requests_per_second": r["rps"],
        "p50_us": lat["p50"],
        "p90_us": lat["p90"],
        "p99_us": lat["p99"],
        "p999_us": lat["p999"],
        "mean_us": lat["mean"],
        "max_us": lat["max"],
        "errors_connect": r["errors"]["connect"],
        "errors_read": r["errors"]["read"],
        "errors_write": r["errors"]["write"],
        "errors_status": r["errors"]["status"],
        "errors_timeout": r["errors"]["timeout"],
    }


def flatten_onboarding(r):
    return {"median_ms": r["median_ms"], "min_ms": r["min_ms"], "max_ms": r["max_ms"],
            "onboardings": r["runs"], "ms": r["ms"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--small-fixture", default="")
    ap.add_argument("--big-fixture", default="")
    ap.add_argument("--context", action="append", default=[])
    a = ap.parse_args()

    context = {}
    for item in a.context:
        k, _, v = item.partition("=")
        context[k] = int(v) if v.isdigit() else v
    cases = [c for c in a.cases.split(",") if c]
    runs = sorted(d for d in os.listdir(a.results) if d.startswith("run"))
    notes = []
    if os.path.exists(os.path.join(a.results, "notes.txt")):
        with open(os.path.join(a.results, "notes.txt")) as f:
            notes = [line.rstrip() for line in f if line.strip()]

    problems = []
    per_entry = {}  # name -> [flattened per run]
    for case in cases:
        for name in CASE_ENTRIES.get(case, []):
            for run in runs:
                path = os.path.join(a.results, run, name + ".json")
                if not os.path.exists(path) or os.path.getsize(path) == 0:
                    problems.append(f"{run}: {name}: no result")
                    continue
                with open(path) as f:
                    raw = json.load(f)
                if name.startswith("BM_Load_Onboarding"):
                    flat = flatten_onboarding(raw)
                    if not flat["onboardings"] or flat["median_ms"] <= 0:
                        problems.append(f"{run}: {name}: no onboarding timed")
                else:
                    flat = flatten_wrk(raw)
                    cpu_path = path + ".cpu"
                    if os.path.exists(cpu_path):
                        with open(cpu_path) as f:
                            cpu = float(f.read().strip() or 0)
                        # The flood runs beside B's measurement on the same
                        # server: its CPU is B's entry's, not its own.
                        if name != "BM_Load_NoisyNeighbour_Flood" and cpu > 0:
                            flat["server_cpu_s"] = cpu
                            flat["server_cpu_us_per_request"] = cpu * 1e6 / max(flat["requests"], 1)
                            # Cores' worth the server used (1.0 = one core
                            # busy throughout): near --server-threads it is
                            # saturated.
                            flat["server_cpu_share"] = cpu / max(flat["duration_s"], 1e-9)
                    idle_path = path + ".idle"
                    if os.path.exists(idle_path) and "server_cpu_s" in flat:
                        with open(idle_path) as f:
                            idle = float(f.read().strip() or 0)
                        # CPU seconds per second with no traffic: background
                        # threads. What is left is the request path's.
                        flat["server_idle_cpu_share"] = idle
                        busy = max(flat["server_cpu_s"] - idle * flat["duration_s"], 0.0)
                        flat["request_path_cpu_us_per_request"] = busy * 1e6 / max(flat["requests"], 1)
                    if flat["requests"] <= 0 or flat["p50_us"] <= 0:
                        problems.append(f"{run}: {name}: no requests measured")
                    if flat["errors_connect"]:
                        problems.append(f"{run}: {name}: {flat['errors_connect']} connect errors")
                    if flat["errors_status"] and name not in MAY_FAIL_STATUS:
                        problems.append(f"{run}: {name}: {flat['errors_status']} HTTP error answers")
                per_entry.setdefault(name, []).append(flat)

    benchmarks = []
    medians = {}
    for name, values in per_entry.items():
        entry = {"name": name}
        for k, v in values[0].items():
            if isinstance(v, (int, float)):
                entry[k] = statistics.median(x[k] for x in values if k in x)
        entry["runs"] = values
        benchmarks.append(entry)
        medians[name] = entry

    def get(name, key):
        return medians.get(name, {}).get(key)

    def ratio(x, y):
        return x / y if x is not None and y else None

    ratios = []

    def add(case, metric, value, goal, ok):
        ratios.append({"case": case, "metric": metric, "value": value, "goal": goal,
                       "met": None if value is None else bool(ok(value))})

    if "Ping" in cases:
        add("Ping", "throughput vs bare (rps / baseline rps)",
            ratio(get("BM_Load_Ping", "requests_per_second"),
                  get("BM_Load_Ping_Baseline", "requests_per_second")), ">= 0.85", lambda v: v >= 0.85)
    if "Ping" in cases:
        add("Ping", "server CPU per request vs bare (bare / ours; 1 = as cheap)",
            ratio(get("BM_Load_Ping_Baseline", "server_cpu_us_per_request"),
                  get("BM_Load_Ping", "server_cpu_us_per_request")), "(info)", lambda v: True)
        add("Ping", "tenancyd's transport alone vs bare (rps / baseline rps)",
            ratio(get("BM_Load_Ping_Transport", "requests_per_second"),
                  get("BM_Load_Ping_Baseline", "requests_per_second")), "(info)", lambda v: True)
        add("Ping", "tenancyd's transport alone vs bare, CPU (bare / transport)",
            ratio(get("BM_Load_Ping_Baseline", "server_cpu_us_per_request"),
                  get("BM_Load_Ping_Transport", "server_cpu_us_per_request")), "(info)", lambda v: True)
    if "GetRide" in cases:
        add("GetRide", "throughput vs bare (rps / baseline rps)",
            ratio(get("BM_Load_GetRide", "requests_per_second"),
                  get("BM_Load_GetRide_Baseline", "requests_per_second")), ">= 0.5", lambda v: v >= 0.5)
        add("GetRide", "server CPU per request vs bare (bare / ours; 1 = as cheap)",
            ratio(get("BM_Load_GetRide_Baseline", "server_cpu_us_per_request"),
                  get("BM_Load_GetRide", "server_cpu_us_per_request")), "(info)", lambda v: True)
    if "Tenants100k" in cases:
        add("Tenants100k", "per-request cost, big world vs 10 tenants (baseline rps / rps)",
            ratio(get("BM_Load_Tenants100k_Baseline", "requests_per_second"),
                  get("BM_Load_Tenants100k", "requests_per_second")), "<= 1.2", lambda v: v <= 1.2)
        add("Tenants100k", "server CPU per request, big world vs 10 tenants",
            ratio(get("BM_Load_Tenants100k", "server_cpu_us_per_request"),
                  get("BM_Load_Tenants100k_Baseline", "server_cpu_us_per_request")), "(info)",
            lambda v: True)
        add("Tenants100k", "request-path CPU per request (idle CPU subtracted), big vs 10",
            ratio(get("BM_Load_Tenants100k", "request_path_cpu_us_per_request"),
                  get("BM_Load_Tenants100k_Baseline", "request_path_cpu_us_per_request")), "(info)",
            lambda v: True)
        add("Tenants100k", "p50 latency, big world vs 10 tenants",
            ratio(get("BM_Load_Tenants100k", "p50_us"), get("BM_Load_Tenants100k_Baseline", "p50_us")),
            "(info)", lambda v: True)
    if "NoisyNeighbour" in cases:
        add("NoisyNeighbour", "B's p99 with A flooding / B's p99 alone",
            ratio(get("BM_Load_NoisyNeighbour", "p99_us"), get("BM_Load_NoisyNeighbour_Baseline", "p99_us")),
            "<= 1.5", lambda v: v <= 1.5)
    if "Onboarding" in cases:
        add("Onboarding", "shared: median ms, onboarding call to first booked ride",
            get("BM_Load_Onboarding_Shared", "median_ms"), "< 50", lambda v: v < 50)
        add("Onboarding", "database: median ms, onboarding call to first booked ride",
            get("BM_Load_Onboarding_Database", "median_ms"), "< 200", lambda v: v < 200)

    big = read_env(os.path.join(a.big_fixture, "fixture.env")) if a.big_fixture else {}
    small = read_env(os.path.join(a.small_fixture, "fixture.env")) if a.small_fixture else {}
    provisioning = {}
    for label, env in (("big", big), ("small", small)):
        if env:
            split = (env.get("LOAD_PROVISION_SPLIT_US", "") + " 0 0").split()
            provisioning[label] = {
                "tenants": int(env.get("LOAD_TENANTS", 0)),
                "seconds": float(env.get("LOAD_PROVISION_SECONDS", 0)),
                "us_per_tenant": float(env.get("LOAD_PROVISION_US_PER_TENANT", 0)),
                "provision_us_per_tenant": float(split[0]),
                "api_key_us_per_tenant": float(split[1]),
                "path": "Directory::Provision + Authenticator::CreateApiKey, one commit each",
            }

    doc = {"context": context, "provisioning": provisioning, "benchmarks": benchmarks,
           "ratios": ratios, "notes": notes, "problems": problems}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

    print_table(context, medians, ratios, provisioning)
    if notes:
        print("\nnotes:")
        for n in notes:
            print("  " + n)
    if problems:
        print("\nharness problems:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    return 0


def fmt_us(v):
    if v is None:
        return "-"
    return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.0f} us"


def print_table(context, medians, ratios, provisioning):
    runs = context.get("runs", 1)
    print()
    print(f"Medians over {runs} run(s); wrk -t{context.get('wrk_threads')} "
          f"-c{context.get('connections')} (paced: -c{context.get('paced_connections')}), "
          f"servers --threads {context.get('server_threads')}, {context.get('duration_s')} s each; "
          f"load average {context.get('load_avg_start')} -> {context.get('load_avg_end')}")
    print("CPU/req: the server's CPU time (user + system) per request; CPU: the server's CPU "
          "time over the run, in % of one core")
    print()
    print(f"{'entry':<34} {'req/s':>10} {'p50':>10} {'p99':>10} {'p99.9':>10} {'errors':>8} "
          f"{'CPU/req':>9} {'CPU':>6}")
    print("-" * 103)
    for name, e in medians.items():
        if "requests_per_second" in e:
            errors = e["errors_status"] + e["errors_read"] + e["errors_timeout"]
            cpu = e.get("server_cpu_us_per_request")
            cpu_text = "-" if cpu is None else f"{cpu:.0f} us"
            share = e.get("server_cpu_share")
            share_text = "-" if share is None else f"{share * 100:.0f}%"
            print(f"{name:<34} {e['requests_per_second']:>10.0f} {fmt_us(e['p50_us']):>10} "
                  f"{fmt_us(e['p99_us']):>10} {fmt_us(e['p999_us']):>10} {errors:>8.0f} {cpu_text:>9} "
                  f"{share_text:>6}")
        else:
            print(f"{name:<34} {'median':>10} {e['median_ms']:>8.1f} ms   (min {e['min_ms']:.1f}, "
                  f"max {e['max_ms']:.1f}, {e['onboardings']:.0f} per run)")
    for name in ("BM_Load_Tenants100k_Baseline", "BM_Load_Tenants100k"):
        e = medians.get(name, {})
        if "server_idle_cpu_share" in e:
            print(f"{name}: idle server CPU {e['server_idle_cpu_share'] * 100:.0f}% of a core; "
                  f"request path {e['request_path_cpu_us_per_request']:.0f} us CPU per request")
    if "BM_Load_PostRides" in medians:
        print(f"\nPostRides: target {context.get('post_rate')} req/s, achieved "
              f"{medians['BM_Load_PostRides']['requests_per_second']:.0f} req/s")
    if "BM_Load_NoisyNeighbour_Flood" in medians:
        f = medians["BM_Load_NoisyNeighbour_Flood"]
        print(f"NoisyNeighbour: A's limit {context.get('noisy_limit')}/s, flood target "
              f"{context.get('flood_rate')}/s, achieved {f['requests_per_second']:.0f}/s, "
              f"{f['errors_status']:.0f} answers refused (429); B paced at {context.get('neighbour_rate')}/s")
    for label, p in provisioning.items():
        print(f"fixture ({label}): {p['tenants']} tenants provisioned in {p['seconds']:.1f} s, "
              f"{p['us_per_tenant']:.0f} us per tenant (Provision {p['provision_us_per_tenant']:.0f} us, "
              f"CreateApiKey {p['api_key_us_per_tenant']:.0f} us)")
    print()
    print(f"{'case':<16} {'metric':<62} {'value':>7} {'goal':>8}")
    print("-" * 98)
    for r in ratios:
        v = "-" if r["value"] is None else f"{r['value']:.2f}"
        verdict = "" if r["met"] is None or r["goal"] == "(info)" else ("met" if r["met"] else "MISSED")
        print(f"{r['case']:<16} {r['metric']:<62} {v:>7} {r['goal']:>8} {verdict}")


if __name__ == "__main__":
    sys.exit(main())
