#!/usr/bin/env python3
"""A local webhook receiver for bench/webhooks.sh: answers every POST 204 over keep-alive
HTTP/1.1 connections and counts them; GET /count reads the count, POST /reset zeroes it.

    python3 bench/receiver.py PORT_FILE    # binds a free port, writes it to PORT_FILE
"""
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

count = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with lock:
            value = count
        self.answer(200, str(value).encode())

    def do_POST(self):
        global count
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        with lock:
            if self.path == "/reset":
                count = 0
            else:
                count += 1
        self.answer(204)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()
