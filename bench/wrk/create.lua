-- POST /api/v1/tickets: a new ticket per request, subjects varied.
package.path = os.getenv("BENCH_DIR") .. "/wrk/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
local n = 0
init = function() common.headers() end
request = function()
    n = n + 1
    local body = string.format(
        '{"subject":"Benchmark ticket %d-%d: refund for order %d","body":"Paid twice for order %d; please refund the duplicate charge.","priority":"normal"}',
        thread_no, n, 10000 + n, 10000 + n)
    return wrk.format("POST", "/api/v1/tickets", nil, body)
end
