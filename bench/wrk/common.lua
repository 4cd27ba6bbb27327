-- Shared by every scenario: the bearer token, JSON bodies, and a one-line JSON summary
-- that bench/run.sh reads (requests/s, p50/p99 latency in ms, errors and non-2xx answers).
local M = {}

function M.headers()
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
    wrk.headers["Content-Type"] = "application/json"
end

-- Each wrk thread gets a distinct id, so generated keys never collide across threads.
local thread_no = 0
function M.setup(thread)
    thread_no = thread_no + 1
    thread:set("thread_no", thread_no)
end

function M.done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'BENCH_JSON {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
        '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_timeout":%d,"non_2xx":%d}\n',
        summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
        e.connect, e.read, e.write, e.timeout, e.status))
end

-- A list answer's `next_cursor`, or nil. `meta` is the answer's last member, so only the
-- tail is searched, with a plain find: a pattern scan of the whole body cost the client
-- more CPU than ticketd spent answering, on the cores the two share.
function M.next_cursor(body)
    local from = #body > 512 and #body - 512 or 1
    local at = string.find(body, '"next_cursor":"', from, true)
    if not at then return nil end
    return string.match(body, '^([^"]+)', at + 15)
end

return M
