-- POST /api/v1/agents/{BENCH_AGENT}/tools/open_ticket/invocations with a fresh
-- tool_call_id per request, on one of the BENCH_CONVERSATIONS (comma-separated).
package.path = os.getenv("BENCH_DIR") .. "/wrk/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
local n = 0
local conversations = {}
init = function()
    common.headers()
    for id in string.gmatch(os.getenv("BENCH_CONVERSATIONS"), "[^,]+") do
        table.insert(conversations, id)
    end
end
request = function()
    n = n + 1
    local conversation = conversations[(n % #conversations) + 1]
    local body = string.format(
        '{"conversation_id":"%s","tool_call_id":"bench-%s-%d-%d","input":{"subject":"Cannot log in after password reset","body":"The visitor reset the password and the login still fails on iOS.","priority":"high"}}',
        conversation, os.getenv("BENCH_RUN"), thread_no, n)
    return wrk.format("POST", "/api/v1/agents/" .. os.getenv("BENCH_AGENT") .. "/tools/open_ticket/invocations", nil, body)
end
