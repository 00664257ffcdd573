#!/usr/bin/python3
"""fakepeer.py: another cluster node's inter-node API, as a test wants it (stdlib only).

  fakepeer.py BIND PORT SECRET DIR [NODE]

Plays node NODE (default ghost). Answers POST /v1/internal/pipes signed with the
cluster secret (cascadesign.py: headers, not the secret) the way DIR/mode says:
  ok        {"consumerId","ssrc"} with the request's ssrc (what a real node answers)
  badssrc   the same with another ssrc
  garbage   a body that is not JSON
  refuse    409 {"error":{"code","message"}}
and DELETE /v1/internal/pipes/... with 200 {}. Every request body goes, one line each,
to DIR/requests, and every request's headers to DIR/headers; DIR/ready appears once
it listens. It stops when its parent does.
"""
import http.server
import hmac
import json
import os
import sys

import cascadesign

BIND, PORT, SECRET, DIR = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
NODE = sys.argv[5] if len(sys.argv) > 5 else "ghost"


class Peer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n) if n else b""

    def signed(self, raw):
        h = self.headers
        if "Authorization" in h:
            return False  # a node never sends a credential itself
        want = cascadesign.peer_headers(SECRET, h.get("X-Cascade-Node", ""), NODE, self.command,
                                        self.path, raw, h.get("X-Cascade-Time", "0"))
        return hmac.compare_digest(want["X-Cascade-Signature"], h.get("X-Cascade-Signature", ""))

    def do_POST(self):
        raw = self.body()
        with open(os.path.join(DIR, "requests"), "ab") as f:
            f.write(raw + b"\n")
        with open(os.path.join(DIR, "headers"), "a") as f:
            f.write(str(self.headers) + "\n")
        if not self.signed(raw):
            return self.answer(401, {"error": {"code": "unauthorized", "message": "signature"}})
        mode = open(os.path.join(DIR, "mode")).read().strip()
        req = json.loads(raw)
        if mode == "ok":
            return self.answer(200, {"consumerId": "fake-" + req["producerId"], "ssrc": req["ssrc"]})
        if mode == "badssrc":
            return self.answer(200, {"consumerId": "fake", "ssrc": (req["ssrc"] % 4000000000) + 1})
        if mode == "garbage":
            return self.answer(200, b"<html>not json</html>")
        return self.answer(409, {"error": {"code": "conflict", "message": "refused\nby the fake peer"}})

    def do_DELETE(self):
        self.body()
        self.answer(200, {})

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer((BIND, PORT), Peer)
open(os.path.join(DIR, "ready"), "w").close()
srv.serve_forever()
