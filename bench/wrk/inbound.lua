-- POST /api/v1/inbound/email: a realistic mail (multipart/alternative, quoted-printable,
-- ~1.6 KB) with a new Message-ID per request. BENCH_INBOUND=new opens a ticket per mail;
-- BENCH_INBOUND=reply answers the mail BENCH_REPLY_TO (In-Reply-To), a comment on its ticket.
package.path = os.getenv("BENCH_DIR") .. "/wrk/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
local n = 0
local mode = os.getenv("BENCH_INBOUND") or "new"
local reply_to = os.getenv("BENCH_REPLY_TO") or ""
local run = os.getenv("BENCH_RUN") or "0"
local f = assert(io.open(os.getenv("BENCH_MAIL"), "rb"))
local template = f:read("*a")
f:close()
init = function()
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
    wrk.headers["Content-Type"] = "message/rfc822"
end
request = function()
    n = n + 1
    local id = string.format("<bench-%s-%d-%d@mail.example>", run, thread_no, n)
    local mail = template:gsub("<BENCH_MESSAGE_ID>", id, 1)
    if mode == "reply" then
        mail = "In-Reply-To: " .. reply_to .. "\r\n" .. mail
    end
    return wrk.format("POST", "/api/v1/inbound/email", nil, mail)
end
