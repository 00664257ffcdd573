#!/usr/bin/env python3
"""API benchmark for cascade-cp (standard library only).

usage: api_bench.py URL TOKEN [--consumers 10000] [--seconds 5] [--conns 8]

With a producer and CONSUMERS consumers installed through the API, CONNS keep-alive
connections loop "create a consumer, close it" for SECONDS. Prints JSON: the install
rate, operations (create + close pairs) per second, and the latency of the consume
call (it returns once the dataplane has installed the consumer) as p50/p99 in ms.
The client is Python: when the figure is client-bound it says so ("client_bound").
"""
import argparse
import asyncio
import json
import time
import sys


class Conn:
    def __init__(self, host, port, token):
        self.host, self.port, self.token = host, port, token
        self.r = self.w = None

    async def open(self):
        self.r, self.w = await asyncio.open_connection(self.host, self.port)

    async def req(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Authorization: Bearer {self.token}\r\nContent-Length: {len(data)}\r\n\r\n")
        self.w.write(head.encode() + data)
        status = int((await self.r.readline()).split()[1])
        length = 0
        while True:
            line = await self.r.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            if k.lower() == "content-length":
                length = int(v)
        payload = await self.r.readexactly(length) if length else b""
        if status != 200:
            raise RuntimeError(f"{method} {path}: {status} {payload[:200]!r}")
        return json.loads(payload) if payload else None


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("--consumers", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--conns", type=int, default=8)
    a = ap.parse_args()
    host, port = a.url.split("//")[1].split(":")
    conns = [Conn(host, int(port), a.token) for _ in range(a.conns)]
    for c in conns:
        await c.open()
    c0 = conns[0]
    t = await c0.req("POST", "/v1/rooms/bench/transports", {"comedia": True})
    p = await c0.req("POST", f"/v1/transports/{t['id']}/producers", {
        "kind": "video", "rtpParameters": {
            "codecs": [{"mimeType": "video/VP8", "payloadType": 96, "clockRate": 90000}],
            "encodings": [{"ssrc": 1}]}})
    sinks = [(await c0.req("POST", "/v1/rooms/bench/transports", {}))["id"] for _ in range(50)]
    body = {"producerId": p["id"]}

    async def install(c, n, off):
        for i in range(n):
            await c.req("POST", f"/v1/transports/{sinks[(off + i) % len(sinks)]}/consumers", body)

    t0 = time.monotonic()
    per = a.consumers // a.conns
    await asyncio.gather(*(install(c, per, i * per) for i, c in enumerate(conns)))
    install_s = time.monotonic() - t0
    lat = []
    ops = 0
    end = time.monotonic() + a.seconds

    async def churn(c, k):
        nonlocal ops
        sink = sinks[k % len(sinks)]
        while time.monotonic() < end:
            s = time.monotonic_ns()
            r = await c.req("POST", f"/v1/transports/{sink}/consumers", body)
            lat.append((time.monotonic_ns() - s) / 1e6)
            await c.req("DELETE", f"/v1/consumers/{r['id']}")
            ops += 1

    t1 = time.monotonic()
    await asyncio.gather(*(churn(c, i) for i, c in enumerate(conns)))
    secs = time.monotonic() - t1
    lat.sort()
    out = {
        "api_install_consumers": per * a.conns,
        "api_install_per_s": round(per * a.conns / install_s),
        "api_create_close_ops_per_s": round(ops / secs),
        "api_consume_call_ms_p50": round(lat[len(lat) // 2], 3),
        "api_consume_call_ms_p99": round(lat[int(len(lat) * 0.99)], 3),
        "api_client": "python asyncio, %d keep-alive connections (client_bound likely)" % a.conns,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
