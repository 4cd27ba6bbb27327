"""A local SMTP server that keeps every message it receives, for trying ticketd's mail and
for its tests. Run it through scripts/smtp-catcher.sh, which installs aiosmtpd first.

Each accepted message is written to DIR as NNNNNN.eml (the raw message as received) and
NNNNNN.json beside it: the envelope (mail_from, rcpt_tos), every header decoded, and the
text/plain and text/html parts decoded. Both are written to a temporary name and renamed,
so a reader that sees NNNNNN.json also finds the whole NNNNNN.eml.

Failure injection for tests (by the recipient's local part):
  reject...    answered 550 5.1.1 at RCPT (a permanent refusal)
  tempfail...  answered 451 4.3.0 at RCPT (a temporary one)

Prints "listening on 127.0.0.1:PORT" on stdout once it accepts connections (PORT 0 picks a
free port), then runs until SIGTERM or SIGINT.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import sys
from itertools import count

from aiosmtpd.smtp import SMTP, AuthResult


class Catcher:
    def __init__(self, directory):
        self.directory = directory
        existing = [int(n.split(".")[0]) for n in os.listdir(directory) if n.endswith(".json") and n.split(".")[0].isdigit()]
        self.numbers = count(max(existing, default=0) + 1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: recipient rejected (catcher rule)" % address
        if local.startswith("tempfail"):
            return "451 4.3.0 <%s>: try again later (catcher rule)" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        number = next(self.numbers)
        name = "%06d" % number
        self._write(name + ".eml", raw)
        self._write(name + ".json", json.dumps(summary(envelope, raw), indent=1).encode())
        return "250 2.0.0 Ok: queued as %s" % name

    def _write(self, name, data):
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(self.directory, name))


def summary(envelope, raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = {"text/plain": None, "text/html": None}
    for part in message.walk():
        kind = part.get_content_type()
        if kind in parts and parts[kind] is None and not part.is_multipart():
            parts[kind] = part.get_content().replace("\r\n", "\n")
    return {
        "mail_from": envelope.mail_from,
        "rcpt_tos": list(envelope.rcpt_tos),
        "headers": [[name, str(value)] for name, value in message.items()],
        "content_type": message.get_content_type(),
        "text": parts["text/plain"],
        "html": parts["text/html"],
    }


def authenticator(expected):
    def check(server, session, envelope, mechanism, auth_data):
        ok = expected is not None and (auth_data.login.decode(), auth_data.password.decode()) == expected
        return AuthResult(success=ok)

    return check


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", required=True, help="where to write the messages (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port (printed)")
    parser.add_argument("--auth", help="USER:PASSWORD required to send (AUTH PLAIN/LOGIN, without TLS)")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Catcher(args.dir)
    expected = tuple(args.auth.split(":", 1)) if args.auth else None
    options = {}
    if expected:
        options = dict(authenticator=authenticator(expected), auth_required=True, auth_require_tls=False)

    def factory():
        return SMTP(handler, hostname="catcher.test", ident="ticketd test catcher", **options)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host=args.host, port=args.port)
    port = server.sockets[0].getsockname()[1]
    print("listening on %s:%d" % (args.host, port), flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
