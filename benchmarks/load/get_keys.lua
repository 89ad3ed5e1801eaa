-- GET the URL given to wrk, each request as the next of the API keys in
-- LOAD_KEYS_FILE (one a line), round robin: traffic spread over several
-- tenants, for Tenants100k (the same keys' tenants in both worlds' runs).
local dir = os.getenv("LOAD_LUA_DIR") or "."
dofile(dir .. "/report.lua")

local requests = {}
local next_request = 0

function init(args)
  local path = os.getenv("LOAD_KEYS_FILE")
  for key in io.lines(path) do
    if #key > 0 then
      requests[#requests + 1] =
        wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. key }, nil)
    end
  end
  if #requests == 0 then error("no keys in " .. tostring(path)) end
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
