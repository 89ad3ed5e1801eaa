#!/usr/bin/env bash
# tenancyd under load (wrk) beside a bare Beast server built from the same
# tree, reporting each case beside its baseline and their ratio
# (docs/load-benchmarks.md). Builds nothing: give it the binaries, or a
# build directory that holds them.
#
#   benchmarks/load/run_load.sh [--smoke] (--build-dir DIR | --tenancyd P --bare-server P
#       --transport-server P --fixture P --onboard-timer P) [--out FILE] [options below]
#
# Cases (JSON entries BM_Load_<Case> and BM_Load_<Case>_Baseline):
#   Ping           authenticated GET /v1/ping through the whole pipeline
#                  vs the bare server's ping               goal >= 0.85x throughput
#                  (and BM_Load_Ping_Transport: tenancyd's transport alone
#                  with the bare answer, which splits the difference)
#   GetRide        GET /v1/rides/{id} vs the bare answer    goal >= 0.5x throughput
#   PostRides      POST /v1/rides paced at --post-rate, each with its own
#                  Idempotency-Key: p99 and the rate achieved (no baseline)
#   Tenants100k    ping spread over the same 10 tenants' keys with
#                  --tenants (100,000) provisioned vs 10   goal <= 1.2x per-request cost
#                  (also: the server's CPU with no traffic, so background
#                  passes over every tenant show apart from the request path)
#   NoisyNeighbour tenant B's p99 at --neighbour-rate while tenant A floods
#                  at 10x its --noisy-rate limit, vs B alone goal <= 1.5x p99
#   Onboarding     POST /v1/tenants to the first booked ride (onboard_timer):
#                  median of --onboard-runs, shared       goal < 50 ms
#                  and database-per-tenant                 goal < 200 ms
# Each case gets a fresh tenancyd on a fresh copy of its fixture (so no case
# inherits another's quarantine, caches or rows) and, where it has one, a
# fresh bare server; both are stopped (SIGTERM) when the case ends.
#
# Options:
#   --smoke              1 s per measurement, no warm-up, 1000 tenants, 2
#                        onboarding runs: proves the harness works (ctest);
#                        the numbers are not judged
#   --out FILE           the JSON result (default: <work dir>/load.json,
#                        removed with it; give --out to keep it)
#   --runs N             repeat every case N times, interleaved; the JSON and
#                        the table give medians (default 1)
#   --duration S         seconds per measurement (default 10; smoke 1)
#   --warmup S           seconds of unmeasured load first (default 2; smoke 0)
#   --connections C      wrk connections for the throughput cases (default 32)
#   --paced-connections C  wrk connections for the paced cases (default 16)
#   --wrk-threads T      wrk -t (default 1)
#   --server-threads N   I/O threads of tenancyd and of the bare server alike
#                        (default 1: with wrk -t1 that splits 2 cores 1:1)
#   --tenants N          tenants of the big world (default 100000; smoke 1000)
#   --post-rate R        POST /v1/rides per second (default 200)
#   --noisy-rate R       tenant A's api.requests limit per second (default 500);
#                        A floods at 10x this
#   --neighbour-rate R   tenant B's paced rate (default 500)
#   --onboard-runs N     onboardings per model (default 9; smoke 2)
#   --fixture-cache DIR  keep the fixtures' data directories here and reuse
#                        them on later runs with the same load_fixture binary
#                        (100,000 tenants take over a minute to provision);
#                        default: built in the work directory, removed with it
#   --work-dir DIR       parent of the temporary work directory
#   --cases LIST         comma-separated subset, e.g. Ping,GetRide
#   --stop-timeout S     seconds a server gets to exit after SIGTERM before it
#                        is killed (default 60); a slow exit is noted
#
# Exit 0 when every case produced numbers, 77 when wrk is not installed
# (ctest: skipped), 1 on any failure (a server that does not start, a wrk
# run without results, answers other than the expected status), 2 on a
# usage error. Every process started here is stopped and the work directory
# removed on exit, failure and interruption included.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

smoke=0 build_dir="" tenancyd="" bare="" transport="" fixture="" timer="" out="" runs=1
duration="" warmup="" connections=32 paced_connections=16 wrk_threads=1 server_threads=1
tenants="" post_rate=200 noisy_rate=500 neighbour_rate=500 onboard_runs="" fixture_cache=""
work_parent="${TMPDIR:-/tmp}" cases="Ping,GetRide,PostRides,Tenants100k,NoisyNeighbour,Onboarding"
stop_timeout=60
small_tenants=10

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while (($#)); do
  case "$1" in
    --smoke) smoke=1; shift; continue ;;
    -h|--help) usage ;;
  esac
  (($# >= 2)) || usage
  case "$1" in
    --build-dir) build_dir="$2" ;;
    --tenancyd) tenancyd="$2" ;;
    --bare-server) bare="$2" ;;
    --transport-server) transport="$2" ;;
    --fixture) fixture="$2" ;;
    --onboard-timer) timer="$2" ;;
    --out) out="$2" ;;
    --runs) runs="$2" ;;
    --duration) duration="$2" ;;
    --warmup) warmup="$2" ;;
    --connections) connections="$2" ;;
    --paced-connections) paced_connections="$2" ;;
    --wrk-threads) wrk_threads="$2" ;;
    --server-threads) server_threads="$2" ;;
    --tenants) tenants="$2" ;;
    --post-rate) post_rate="$2" ;;
    --noisy-rate) noisy_rate="$2" ;;
    --neighbour-rate) neighbour_rate="$2" ;;
    --onboard-runs) onboard_runs="$2" ;;
    --fixture-cache) fixture_cache="$2" ;;
    --work-dir) work_parent="$2" ;;
    --cases) cases="$2" ;;
    --stop-timeout) stop_timeout="$2" ;;
    *) echo "run_load: unknown option $1" >&2; usage ;;
  esac
  shift 2
done
if ((smoke)); then
  : "${duration:=1}" "${warmup:=0}" "${tenants:=1000}" "${onboard_runs:=2}"
  idle_seconds=1
else
  : "${duration:=10}" "${warmup:=2}" "${tenants:=100000}" "${onboard_runs:=9}"
  idle_seconds=3
fi
for n in runs duration warmup connections paced_connections wrk_threads server_threads tenants \
         post_rate noisy_rate neighbour_rate onboard_runs stop_timeout; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || { echo "run_load: --${n//_/-} takes a whole number" >&2; exit 2; }
done
((runs >= 1 && duration >= 1 && wrk_threads >= 1 && connections >= wrk_threads &&
  paced_connections >= wrk_threads && server_threads >= 1 && tenants >= small_tenants)) ||
  { echo "run_load: a count is out of range" >&2; exit 2; }

if ! command -v wrk >/dev/null 2>&1; then
  echo "run_load: wrk is not installed (apt-get install wrk); skipping" >&2
  exit 77
fi
for tool in curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "run_load: $tool is required" >&2; exit 1; }
done
if [[ -n "$build_dir" ]]; then
  : "${tenancyd:=$build_dir/src/server/tenancyd}" "${bare:=$build_dir/benchmarks/load/bare_server}"
  : "${transport:=$build_dir/benchmarks/load/transport_server}"
  : "${fixture:=$build_dir/benchmarks/load/load_fixture}" "${timer:=$build_dir/benchmarks/load/onboard_timer}"
fi
for bin in tenancyd bare transport fixture timer; do
  [[ -n "${!bin}" && -x "${!bin}" ]] ||
    { echo "run_load: no executable for $bin (give --build-dir or its path)" >&2; exit 2; }
done

# -- processes and cleanup --

mkdir -p "$work_parent"
work="$(mktemp -d "$work_parent/tenancy-load.XXXXXX")"
mkdir -p "$work/results"
live_pids=()   # still to stop
all_pids=()    # everything started, checked at the end
scratch_dir="" # a fixture being built on tmpfs
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in ${live_pids[@]+"${live_pids[@]}"}; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in ${live_pids[@]+"${live_pids[@]}"}; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  live_pids=()
  local left=()
  for pid in ${all_pids[@]+"${all_pids[@]}"}; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
  if ((${#left[@]})); then
    echo "run_load: processes still running after cleanup: ${left[*]}" >&2
    status=1
  fi
  rm -rf "$work"
  [[ -z "$scratch_dir" ]] || rm -rf "$scratch_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "run_load: $*" >&2
  exit 1
}
forget_pid() {
  local keep=() p
  for p in ${live_pids[@]+"${live_pids[@]}"}; do [[ "$p" == "$1" ]] || keep+=("$p"); done
  live_pids=(${keep[@]+"${keep[@]}"})
}

# start_server NAME COMMAND...: runs it with --listen 127.0.0.1:0 appended,
# waits for its "listening on HOST:PORT" line; sets server_pid, server_port.
start_server() {
  local name="$1"; shift
  "$@" --listen 127.0.0.1:0 >"$work/$name.out" 2>"$work/$name.err" &
  server_pid=$!
  live_pids+=("$server_pid"); all_pids+=("$server_pid")
  server_port=""
  for _ in $(seq 1200); do  # 120 s: a big world takes a while to open
    # The background shell may not have created the file yet.
    [[ -f "$work/$name.out" ]] &&
      server_port="$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$work/$name.out" | head -n1)"
    [[ -n "$server_port" ]] && break
    kill -0 "$server_pid" 2>/dev/null ||
      { tail -n 20 "$work/$name.err" >&2; fail "$name exited before listening"; }
    sleep 0.1
  done
  [[ -n "$server_port" ]] || fail "$name did not listen within 120 s"
}

# stop_server PID NAME: SIGTERM (tenancyd drains, runs its shutdown hooks
# and exits 0), then wait; past --stop-timeout it is killed and a note says
# how long it had taken (a finding, not a harness failure).
stop_server() {
  local pid="$1" name="$2" rc=0 waited=0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((waited < 10 * stop_timeout)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    note "$name did not exit within ${stop_timeout} s of SIGTERM; killed"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
    return
  fi
  wait "$pid" || rc=$?
  forget_pid "$pid"
  ((rc == 0)) || { tail -n 20 "$work/$name.err" >&2; fail "$name exited with $rc on SIGTERM"; }
  ((waited < 50)) || note "$name took $((waited / 10)) s to exit after SIGTERM"
}

# note TEXT: an observation for the result file and the table.
note() {
  echo "   note: $*" >&2
  echo "$*" >>"$work/results/notes.txt"
}

# The CPU time (user + system, in clock ticks) process $1 has used so far.
clock_tick="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# run_wrk RESULT URL SCRIPT SECONDS CONNECTIONS [VAR=VALUE...]: one wrk run;
# RESULT gets the JSON line of the script's done(), RESULT.cpu the CPU
# seconds the server under test ($server_under_test, a pid) used meanwhile:
# CPU per request is the figure a busy machine disturbs least.
run_wrk() {
  local result="$1" url="$2" script="$3" seconds="$4" conns="$5" c0=0 c1=0; shift 5
  [[ -z "${server_under_test:-}" ]] || c0="$(cpu_ticks "$server_under_test")"
  env LOAD_LUA_DIR="$here" LOAD_THREADS="$wrk_threads" "$@" \
    wrk -t"$wrk_threads" -c"$conns" -d"${seconds}s" --timeout 10s -s "$here/$script" "$url" \
    >"$result.txt" 2>&1 || { cat "$result.txt" >&2; fail "wrk failed against $url"; }
  [[ -z "${server_under_test:-}" ]] || c1="$(cpu_ticks "$server_under_test")"
  sed -n 's/^LOAD_RESULT //p' "$result.txt" >"$result"
  [[ -s "$result" ]] || { cat "$result.txt" >&2; fail "wrk gave no result against $url"; }
  awk -v a="$c0" -v b="$c1" -v t="$clock_tick" 'BEGIN {printf "%.3f\n", (b - a) / t}' >"$result.cpu"
}

# idle_cpu FILE PID SECONDS: the CPU seconds PID uses per second with no
# traffic (its background threads), written to FILE.
idle_cpu() {
  local c0 c1
  c0="$(cpu_ticks "$2")"
  sleep "$3"
  c1="$(cpu_ticks "$2")"
  awk -v a="$c0" -v b="$c1" -v t="$clock_tick" -v s="$3" 'BEGIN {printf "%.4f\n", (b - a) / t / s}' >"$1"
}

warm() {  # warm URL SCRIPT [VAR=VALUE...]: unmeasured load (caches, first-use paths)
  local url="$1" script="$2"; shift 2
  ((warmup > 0)) || return 0
  run_wrk "$work/warmup.json" "$url" "$script" "$warmup" "$connections" "$@"
}

# -- fixtures --

# make_fixture NAME TENANTS: a data directory with TENANTS bulk tenants (10
# of them active), the ride tenant and the noisy pair; sets fix_dir.
make_fixture() {
  local name="$1" count="$2" base sum
  base="${fixture_cache:-$work/fixtures}"
  # A cached fixture is reused only by the fixture binary that made it.
  sum="$(cksum <"$fixture" | cut -d' ' -f1)"
  fix_dir="$base/$name-$count-r$noisy_rate-$sum"
  if [[ -f "$fix_dir/ready" ]]; then
    echo "== fixture $name: $count tenants (cached in $fix_dir)"
    return
  fi
  rm -rf "$fix_dir"
  mkdir -p "$fix_dir"
  # SQLite commits cost about half as much on tmpfs: build there when it
  # has room, then the fixture moves the finished directory into place.
  local scratch=() avail
  avail="$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')" || avail=0
  if [[ -w /dev/shm && "${avail:-0}" -gt $((4 * 1024 * 1024)) ]]; then
    scratch_dir="$(mktemp -d /dev/shm/tenancy-load-fixture.XXXXXX)"
    scratch=(--build-dir "$scratch_dir/data")
  fi
  echo "== fixture $name: provisioning $count tenants${scratch[*]:+ (built on tmpfs)}"
  # The fixture's in-process requests write access-log lines; the log
  # keeps them, the terminal gets the fixture's own lines.
  "$fixture" --data "$fix_dir/data" --tenants "$count" --active "$small_tenants" \
    --noisy-rate "$noisy_rate" --env "$fix_dir/fixture.env" --keys "$fix_dir/active.keys" \
    ${scratch[@]+"${scratch[@]}"} \
    2> >(tee "$fix_dir/fixture.log" | grep --line-buffered '^load_fixture:' >&2) ||
    { tail -n 20 "$fix_dir/fixture.log" >&2; fail "load_fixture failed for $name"; }
  if [[ -n "$scratch_dir" ]]; then rm -rf "$scratch_dir"; scratch_dir=""; fi
  touch "$fix_dir/ready"
}

# fixture_env FIXTURE_DIR: loads its LOAD_* variables.
fixture_env() {
  # shellcheck disable=SC1091
  source "$1/fixture.env"
  LOAD_ACTIVE_KEYS="$1/active.keys"  # the cache may have moved
}

# start_tenancyd NAME FIXTURE_DIR: a fresh copy of the fixture's data, and
# tenancyd on it; sets t_pid, t_port, t_data.
start_tenancyd() {
  local name="$1" fix="$2"
  t_data="$work/data-$name"
  rm -rf "$t_data"
  cp -a "$fix/data" "$t_data"
  start_server "$name" "$tenancyd" --data "$t_data" --threads "$server_threads"
  t_pid=$server_pid t_port=$server_port
}

start_bare() {  # start_bare NAME PING_BODY RIDE_BODY; sets b_pid, b_port
  start_server "$1" "$bare" --threads "$server_threads" --ping-body "$2" --ride-body "$3"
  b_pid=$server_pid b_port=$server_port
}

# capture URL KEY FILE: tenancyd's answer body, which the bare server then
# sends (same bytes, same size); must be a 200.
capture() {
  local code
  code="$(curl -sS -o "$3" -w '%{http_code}' -H "Authorization: Bearer $2" "$1")" ||
    fail "cannot reach $1"
  [[ "$code" == 200 ]] || fail "$1 answered $code"
}

# -- the cases; each writes $res/<Entry>.json --

case_ping_getride() {  # case_ping_getride Ping|GetRide
  local which="$1" path key
  fixture_env "$small_fix"
  if [[ "$which" == Ping ]]; then path="/v1/ping" key="$LOAD_PING_KEY"
  else path="/v1/rides/$LOAD_RIDE_ID" key="$LOAD_RIDE_KEY"; fi
  start_tenancyd "tenancyd-$which" "$small_fix"
  capture "http://127.0.0.1:$t_port/v1/ping" "$LOAD_PING_KEY" "$work/ping-body.json"
  capture "http://127.0.0.1:$t_port/v1/rides/$LOAD_RIDE_ID" "$LOAD_RIDE_KEY" "$work/ride-body.json"
  start_bare "bare-$which" "$work/ping-body.json" "$work/ride-body.json"
  server_under_test=$t_pid
  warm "http://127.0.0.1:$t_port$path" get.lua LOAD_KEY="$key"
  run_wrk "$res/BM_Load_$which.json" "http://127.0.0.1:$t_port$path" get.lua "$duration" \
    "$connections" LOAD_KEY="$key"
  server_under_test=$b_pid
  warm "http://127.0.0.1:$b_port$path" get.lua LOAD_KEY="$key"
  run_wrk "$res/BM_Load_${which}_Baseline.json" "http://127.0.0.1:$b_port$path" get.lua \
    "$duration" "$connections" LOAD_KEY="$key"
  stop_server "$b_pid" "bare-$which"
  stop_server "$t_pid" "tenancyd-$which"
  if [[ "$which" == Ping ]]; then
    start_server transport-Ping "$transport" --threads "$server_threads" --body "$work/ping-body.json"
    server_under_test=$server_pid
    warm "http://127.0.0.1:$server_port$path" get.lua LOAD_KEY="$key"
    run_wrk "$res/BM_Load_Ping_Transport.json" "http://127.0.0.1:$server_port$path" get.lua \
      "$duration" "$connections" LOAD_KEY="$key"
    stop_server "$server_pid" transport-Ping
  fi
}

case_post_rides() {
  fixture_env "$small_fix"
  start_tenancyd tenancyd-PostRides "$small_fix"
  server_under_test=$t_pid
  local url="http://127.0.0.1:$t_port/v1/rides"
  if ((warmup > 0)); then
    run_wrk "$work/warmup.json" "$url" post_rides.lua "$warmup" "$paced_connections" \
      LOAD_KEY="$LOAD_RIDE_KEY" LOAD_RATE="$post_rate" LOAD_RUN_TAG="w$run-$$"
  fi
  run_wrk "$res/BM_Load_PostRides.json" "$url" post_rides.lua "$duration" "$paced_connections" \
    LOAD_KEY="$LOAD_RIDE_KEY" LOAD_RATE="$post_rate" LOAD_RUN_TAG="r$run-$$"
  stop_server "$t_pid" tenancyd-PostRides
}

case_tenants() {
  local entry fix
  for entry in BM_Load_Tenants100k_Baseline BM_Load_Tenants100k; do
    if [[ "$entry" == *_Baseline ]]; then fix="$small_fix"; else fix="$big_fix"; fi
    fixture_env "$fix"
    start_tenancyd "tenancyd-$entry" "$fix"
    server_under_test=$t_pid
    local url="http://127.0.0.1:$t_port/v1/ping"
    warm "$url" get_keys.lua LOAD_KEYS_FILE="$LOAD_ACTIVE_KEYS"
    # What the server burns with no request at all (passes over every
    # tenant grow with their number), to tell it apart from the request path.
    idle_cpu "$res/$entry.json.idle" "$t_pid" "$idle_seconds"
    run_wrk "$res/$entry.json" "$url" get_keys.lua "$duration" "$connections" \
      LOAD_KEYS_FILE="$LOAD_ACTIVE_KEYS"
    stop_server "$t_pid" "tenancyd-$entry"
  done
}

case_noisy() {
  fixture_env "$small_fix"
  start_tenancyd tenancyd-NoisyNeighbour "$small_fix"
  server_under_test=$t_pid
  local url="http://127.0.0.1:$t_port/v1/ping" flood="$res/BM_Load_NoisyNeighbour_Flood.json"
  local flood_pid
  if ((warmup > 0)); then
    run_wrk "$work/warmup.json" "$url" get.lua "$warmup" "$paced_connections" \
      LOAD_KEY="$LOAD_NOISY_B_KEY" LOAD_RATE="$neighbour_rate"
  fi
  run_wrk "$res/BM_Load_NoisyNeighbour_Baseline.json" "$url" get.lua "$duration" \
    "$paced_connections" LOAD_KEY="$LOAD_NOISY_B_KEY" LOAD_RATE="$neighbour_rate"
  # A floods from a second before B's measurement to a second after it: a
  # second wrk, started directly (env execs wrk: the pid is wrk's own).
  env LOAD_LUA_DIR="$here" LOAD_THREADS="$wrk_threads" LOAD_KEY="$LOAD_NOISY_A_KEY" \
    LOAD_RATE=$((10 * LOAD_NOISY_A_RATE)) \
    wrk -t"$wrk_threads" -c"$paced_connections" -d"$((duration + 2))s" --timeout 10s \
    -s "$here/get.lua" "$url" >"$flood.txt" 2>&1 &
  flood_pid=$!
  live_pids+=("$flood_pid"); all_pids+=("$flood_pid")
  sleep 1
  run_wrk "$res/BM_Load_NoisyNeighbour.json" "$url" get.lua "$duration" "$paced_connections" \
    LOAD_KEY="$LOAD_NOISY_B_KEY" LOAD_RATE="$neighbour_rate"
  wait "$flood_pid" || { cat "$flood.txt" >&2; fail "the flood's wrk failed"; }
  forget_pid "$flood_pid"
  sed -n 's/^LOAD_RESULT //p' "$flood.txt" >"$flood"
  [[ -s "$flood" ]] || { cat "$flood.txt" >&2; fail "the flood's wrk gave no result"; }
  stop_server "$t_pid" tenancyd-NoisyNeighbour
}

case_onboarding() {
  fixture_env "$small_fix"
  start_tenancyd tenancyd-Onboarding "$small_fix"
  server_under_test=""
  local model entry
  for model in shared database; do
    entry="BM_Load_Onboarding_${model^}"
    "$timer" --port "$t_port" --operator-key-file "$t_data/bootstrap-operator.key" \
      --model "$model" --runs "$onboard_runs" >"$res/$entry.json" ||
      fail "onboard_timer failed ($model)"
  done
  stop_server "$t_pid" tenancyd-Onboarding
}

# -- main --

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== run_load: $( ((smoke)) && echo smoke || echo full ) mode, work dir $work"
echo "   load average: $load_start; $(nproc) CPUs; wrk -t$wrk_threads; servers --threads $server_threads"

make_fixture small "$small_tenants"
small_fix="$fix_dir"
if [[ ",$cases," == *",Tenants100k,"* ]]; then
  make_fixture big "$tenants"
  big_fix="$fix_dir"
fi

for ((run = 1; run <= runs; run++)); do
  res="$work/results/run$run"
  mkdir -p "$res"
  IFS=',' read -r -a case_list <<<"$cases"
  for c in "${case_list[@]}"; do
    echo "== run $run/$runs: $c"
    case "$c" in
      Ping|GetRide) case_ping_getride "$c" ;;
      PostRides) case_post_rides ;;
      Tenants100k) case_tenants ;;
      NoisyNeighbour) case_noisy ;;
      Onboarding) case_onboarding ;;
      *) fail "unknown case $c" ;;
    esac
  done
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

: "${out:=$work/load.json}"
mkdir -p "$(dirname "$out")"
python3 "$here/summarize.py" --results "$work/results" --out "$out" --cases "$cases" \
  --small-fixture "$small_fix" --big-fixture "${big_fix:-}" \
  --context "mode=$( ((smoke)) && echo smoke || echo full )" \
  --context "runs=$runs" --context "duration_s=$duration" --context "warmup_s=$warmup" \
  --context "connections=$connections" --context "paced_connections=$paced_connections" \
  --context "wrk_threads=$wrk_threads" --context "server_threads=$server_threads" \
  --context "tenants_small=$small_tenants" --context "tenants_big=$tenants" \
  --context "post_rate=$post_rate" --context "noisy_limit=$noisy_rate" \
  --context "flood_rate=$((10 * noisy_rate))" --context "neighbour_rate=$neighbour_rate" \
  --context "onboard_runs=$onboard_runs" --context "cpus=$(nproc)" \
  --context "load_avg_start=$load_start" --context "load_avg_end=$load_end" \
  --context "tenancyd=$tenancyd" --context "bare_server=$bare" \
  --context "transport_server=$transport" ||
  fail "the results are incomplete"
echo "== results: $out"
