-- PATCH /api/v1/tickets/{PREFIX-n}: each thread owns 1,000 tickets and moves them between
-- resolved and open in rounds, so every request after the first round is a real change and
-- threads never wait on each other's row locks.
package.path = os.getenv("BENCH_DIR") .. "/wrk/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
local n = 0
local per_thread = 1000
init = function() common.headers() end
request = function()
    local i = n % per_thread
    local round = math.floor(n / per_thread)
    n = n + 1
    local number = tonumber(os.getenv("BENCH_PATCH_BASE")) + (thread_no - 1) * per_thread + i
    local status = (round % 2 == 0) and "resolved" or "open"
    return wrk.format("PATCH", "/api/v1/tickets/" .. os.getenv("BENCH_PREFIX") .. "-" .. number, nil,
        '{"status":"' .. status .. '"}')
end
