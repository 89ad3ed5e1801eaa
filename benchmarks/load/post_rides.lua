-- POST /v1/rides as the holder of LOAD_KEY, each request with its own
-- Idempotency-Key ("<LOAD_RUN_TAG>-<thread>-<n>", so no two requests of
-- any run replay each other), paced at LOAD_RATE (report.lua). The body is
-- the benchmarks' booking inside the fixture tenant's zone, with a rider
-- whose name and phone are stored encrypted (kRideJson, booking_story.hpp).
local dir = os.getenv("LOAD_LUA_DIR") or "."
dofile(dir .. "/report.lua")

local tag = os.getenv("LOAD_RUN_TAG") or "run"
local body = '{"pickup":{"lon":13.4,"lat":52.5},"dropoff":{"lon":13.44,"lat":52.54},' ..
  '"rider":{"name":"Load Rider","phone":"+49 30 1234567"}}'
local counter = 0
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_tag", tostring(thread_count))
end

function init(args)
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  -- thread_tag: a global setup() gave this thread's Lua state.
  wrk.headers["Idempotency-Key"] = tag .. "-" .. (thread_tag or "0") .. "-" .. counter
  return wrk.format()
end
