-- Shared by the load benchmarks' wrk scripts (loaded with dofile): the
-- Authorization header, optional pacing at a fixed request rate, and a
-- done() that prints one line "LOAD_RESULT {json}" with throughput and
-- latency percentiles, which run_load.sh collects.
--
-- Environment (set by run_load.sh):
--   LOAD_KEY      the bearer credential (an API key); unset: no header
--   LOAD_RATE     requests per second for the whole wrk run; unset: as
--                 fast as the connections go (closed loop)
--   LOAD_THREADS  wrk's -t, so each thread paces LOAD_RATE / LOAD_THREADS


local key = os.getenv("LOAD_KEY")
if key and #key > 0 then
  wrk.headers["Authorization"] = "Bearer " .. key
end

-- Pacing: wrk calls delay() before each request of every connection of a
-- thread; the thread hands out send slots 1/rate apart, so the rate holds
-- whatever the number of connections (as long as enough of them are idle).
-- A thread that fell more than a second behind (every connection busy)
-- forgets the backlog instead of bursting to catch up. wrk waits whole
-- milliseconds; the slots themselves stay exact, so the mean rate does too.
local rate = tonumber(os.getenv("LOAD_RATE") or "")
local threads = tonumber(os.getenv("LOAD_THREADS") or "1")
if rate and rate > 0 then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } load_timespec;
    int clock_gettime(int clock_id, load_timespec* tp);
  ]]
  local ts = ffi.new("load_timespec")
  local CLOCK_MONOTONIC = 1
  local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 * threads / rate
  local next_slot = nil
  function delay()
    local t = now_ms()
    if next_slot == nil or next_slot < t - 1000 then next_slot = t end
    local wait = next_slot - t
    next_slot = next_slot + interval
    if wait < 0 then return 0 end
    return math.floor(wait)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'LOAD_RESULT {"requests":%d,"duration_s":%.6f,"rps":%.3f,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.3f,"stdev":%.3f,"max":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
