-- GET BENCH_PATH (a list page, one ticket, …).
package.path = os.getenv("BENCH_DIR") .. "/wrk/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
init = function() common.headers() end
request = function() return wrk.format("GET", os.getenv("BENCH_PATH")) end
-- The client reads each answer as the cursor walk does (cursor.lua), so that both pay the same
-- client-side cost on the cores they share with the server and compare the server's work.
response = function(status, headers, body) common.next_cursor(body) end
