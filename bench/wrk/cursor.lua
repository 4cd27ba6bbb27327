-- A cursor walk over BENCH_PATH: each thread follows `next_cursor` page after page and starts
-- over at the end, so the pages measured span every depth of the list.
package.path = os.getenv("BENCH_DIR") .. "/wrk/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
local cursor = nil
local pages = 0
init = function() common.headers() end
request = function()
    local path = os.getenv("BENCH_PATH")
    if cursor then path = path .. "&cursor=" .. cursor end
    return wrk.format("GET", path)
end
response = function(status, headers, body)
    pages = pages + 1
    cursor = common.next_cursor(body)
end
