-- GET the URL given to wrk as the holder of LOAD_KEY (report.lua), paced
-- at LOAD_RATE when set. Used for Ping and GetRide (tenancyd and the bare
-- server alike: the bare server ignores the header, the bytes sent are the
-- same) and for both tenants of NoisyNeighbour.
local dir = os.getenv("LOAD_LUA_DIR") or "."
dofile(dir .. "/report.lua")
