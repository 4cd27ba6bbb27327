-- GET BENCH_PATH (a list page, one ticket, …).
package.path = os.getenv("BENCH_DIR") .. "/wrk/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
init = function() common.headers() end
request = function() return wrk.format("GET", os.getenv("BENCH_PATH")) end
