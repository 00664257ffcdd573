#!/usr/bin/python3
"""udprtp.py: RTP over kernel UDP sockets for the lab tests (stdlib only).

  send SRC SPORT DST DPORT COUNT RATE       COUNT packets of 12 + 1000 bytes, SSRC 4096, PT 96
  recv BIND PORT COUNT OUT READY            until COUNT packets or 3 s of silence; writes a
                                            JSON summary to OUT (packets, bad payloads,
                                            seq/ts errors against the sender, SSRCs, PTs,
                                            missing indices); creates READY once bound
  listen BIND PORT OUT READY                append every datagram to OUT until 10 s of silence
  one DST DPORT TEXT                        one datagram
  sendext SRC SPORT DST DPORT COUNT ELEMS   COUNT packets with a one-byte header extension
                                            (RFC 8285 4.2) holding ELEMS, "ID:HEX,..."
  recvext BIND PORT COUNT OUT READY         COUNT packets' extension elements as JSON lines
                                            [[id, "hex"], ...] in OUT (3 s of silence ends it)

Every payload carries its index and a pattern derived from it, so the receiver can
check each packet byte for byte and count exactly what is missing.
"""
import json, socket, struct, sys, time

PAYLOAD = 1000

def payload(i):
    return struct.pack("!I", i) + bytes((i * 7 + k) & 0xFF for k in range(PAYLOAD - 4))

def cmd_send(src, sport, dst, dport, count, rate):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, int(sport)))
    gap = 1.0 / float(rate)
    t = time.monotonic()
    for i in range(int(count)):
        hdr = struct.pack("!BBHII", 0x80, 96, (1000 + i) & 0xFFFF, 90000 + i * 3000, 4096)
        s.sendto(hdr + payload(i), (dst, int(dport)))
        t += gap
        time.sleep(max(0.0, t - time.monotonic()))

def cmd_recv(bind, port, count, out, ready):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((bind, int(port)))
    open(ready, "w").close()
    r = dict(packets=0, bad=0, seq_errors=0, ts_errors=0, ssrcs=[], pts=[], missing=0)
    seen, last = set(), None
    s.settimeout(10)
    while r["packets"] < int(count):
        try:
            d = s.recv(4096)
        except socket.timeout:
            break
        s.settimeout(3)
        r["packets"] += 1
        if len(d) != 12 + PAYLOAD or d[0] != 0x80:
            r["bad"] += 1
            continue
        _, m_pt, seq, ts, ssrc = struct.unpack("!BBHII", d[:12])
        i = struct.unpack("!I", d[12:16])[0]
        if ssrc not in r["ssrcs"]:
            r["ssrcs"].append(ssrc)
        if m_pt & 0x7F not in r["pts"]:
            r["pts"].append(m_pt & 0x7F)
        if d[12:] != payload(i) or i in seen:
            r["bad"] += 1
        seen.add(i)
        if last is not None:
            if seq != (last[0] + i - last[2]) & 0xFFFF:
                r["seq_errors"] += 1
            if ts != (last[1] + (i - last[2]) * 3000) & 0xFFFFFFFF:
                r["ts_errors"] += 1
        last = (seq, ts, i)
    r["missing"] = len(set(range(int(count))) - seen)
    json.dump(r, open(out, "w"))

def cmd_listen(bind, port, out, ready):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind, int(port)))
    open(ready, "w").close()
    s.settimeout(10)
    with open(out, "ab") as f:
        while True:
            try:
                f.write(s.recv(2048) + b"\n")
                f.flush()
            except socket.timeout:
                return

def ext_block(elems):
    """A one-byte header extension (0xBEDE) holding elems [(id, bytes)], padded to 32 bits."""
    body = b"".join(bytes([(i << 4) | (len(d) - 1)]) + d for i, d in elems)
    body += b"\0" * (-len(body) % 4)
    return struct.pack("!HH", 0xBEDE, len(body) // 4) + body

def ext_elems(pkt):
    """The one-byte extension elements of an RTP packet: [[id, hex]]."""
    if not pkt[0] & 0x10:
        return []
    off = 12 + 4 * (pkt[0] & 0x0F)
    profile, words = struct.unpack("!HH", pkt[off:off + 4])
    if profile != 0xBEDE:
        return [["profile", "%04x" % profile]]
    body, out, k = pkt[off + 4:off + 4 + 4 * words], [], 0
    while k < len(body):
        if body[k] == 0:
            k += 1
            continue
        i, n = body[k] >> 4, (body[k] & 0x0F) + 1
        if i == 15:
            break
        out.append([i, body[k + 1:k + 1 + n].hex()])
        k += 1 + n
    return out

def cmd_sendext(src, sport, dst, dport, count, elems):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, int(sport)))
    ext = ext_block([(int(e.split(":")[0]), bytes.fromhex(e.split(":")[1])) for e in elems.split(",")])
    for i in range(int(count)):
        hdr = struct.pack("!BBHII", 0x90, 96, 2000 + i, 3000 * i, 4096)
        s.sendto(hdr + ext + payload(i)[:100], (dst, int(dport)))
        time.sleep(0.01)

def cmd_recvext(bind, port, count, out, ready):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind, int(port)))
    open(ready, "w").close()
    s.settimeout(10)
    with open(out, "w") as f:
        for _ in range(int(count)):
            try:
                d = s.recv(4096)
            except socket.timeout:
                return
            s.settimeout(3)
            f.write(json.dumps(ext_elems(d)) + "\n")
            f.flush()

def cmd_one(dst, dport, text):
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(text.encode(), (dst, int(dport)))

globals()["cmd_" + sys.argv[1]](*sys.argv[2:])
