#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""rtptool: the packet side of tests/integration/test_pcap_fanout.sh (python3 stdlib only).

One scenario lives here and nowhere else: the transports, producers and consumers the
test installs (`setup` prints them as a cascade-dpctl batch) and the input it sends. The
input is generated deterministically (`gen`): RTP from a video producer over IPv4 and an
audio producer over IPv6, sender reports, and malformed or unwanted packets interleaved,
each frame tagged with what the dataplane must do with it. The golden copies live in
tests/data/ (`gen tests/data` rewrites them after a deliberate change).

`check` is the oracle. It re-derives each input frame's fate with its own parser, written
from the RFCs and DESIGN.md rather than from the dataplane's code, asserts it matches the
frame's tag, builds the expected output (header rewrite, fresh IPv4/UDP checksums) and
compares the dataplane's pcap packet by packet per consumer; then the counters and the
mempools. `tshark` checks the output again with Wireshark's RTP analysis. `inject` sends
the input on an interface with an AF_PACKET socket; `wait` and `snapshot` read the
dataplane's counters through cascade-dpctl and its DPDK telemetry socket.

Exit status: 0 all good, 1 a check failed (every mismatch is printed), 2 usage/set-up.
"""
import argparse
import ipaddress
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time

# ---- the scenario ---------------------------------------------------------------------

DP_MAC = "02:00:c6:12:00:01"  # vetha, where cascade-dp listens
INJ_MAC = "02:00:c6:12:00:02"  # vethb, where the producers' frames come from
# net_pcap's default MAC for the first pcap port: only the golden expected pcap uses it;
# `check` takes the port's real MAC from DPDK telemetry.
PCAP_PORT_MAC = "02:70:63:61:70:00"

# id: local, RTCP-mux, remote (None: not connected), next-hop MAC, local RTCP (non-mux)
TRANSPORTS = {
    1: dict(local=("198.18.0.1", 10000), mux=True, remote=("198.18.0.2", 5000), mac=INJ_MAC),
    2: dict(local=("198.18.0.1", 20000), mux=True, remote=("198.18.1.10", 30000),
            mac="02:00:c6:12:01:0a"),
    3: dict(local=("198.18.0.1", 20002), mux=False, rtcp=("198.18.0.1", 20003),
            remote=("198.18.1.11", 30002), mac="02:00:c6:12:01:0b"),
    4: dict(local=("2001:2::1", 10010), mux=True, remote=("2001:2::2", 5010), mac=INJ_MAC),
    5: dict(local=("2001:2::1", 20010), mux=True, remote=("2001:2:0:1::20", 40000),
            mac="02:00:c6:12:01:0c"),
    6: dict(local=("198.18.0.1", 10020), mux=True, remote=None, mac=None),
}
PRODUCERS = {
    100: dict(transport=1, ssrc=0x11111111, clock=90000, kind="video"),
    101: dict(transport=4, ssrc=0x22222222, clock=48000, kind="audio"),
}
# Consumers in the order they are added (the dataplane's per-producer list order).
CONSUMERS = {
    200: dict(producer=100, transport=2, ssrc=0xAAAA0001, pt={}, ext={}),
    201: dict(producer=100, transport=2, ssrc=0xAAAA0002, pt={96: 100}, ext={}),
    202: dict(producer=100, transport=3, ssrc=0xBBBB0003, pt={}, ext={1: 5}),
    203: dict(producer=101, transport=5, ssrc=0xDDDD0004, pt={}, ext={}),
    204: dict(producer=100, transport=5, ssrc=0xCCCC0005, pt={}, ext={}),
}
UNKNOWN_SSRC = 0x99999999
N_VIDEO = 200
N_AUDIO = 20

DROP_REASONS = [
    "eth_trunc", "eth_type", "ip4_trunc", "ip4_hdr", "ip4_frag", "ip6_trunc", "ip6_hdr",
    "not_udp", "udp_trunc", "udp_len", "no_transport", "remote_mismatch", "rtp_trunc",
    "rtp_version", "rtp_csrc", "rtp_ext", "rtp_padding", "rtcp_trunc", "unknown_demux",
    "unknown_ssrc", "producer_paused", "slow_ring_full", "slow_rate_limit", "no_mbuf",
    "tx_full", "no_route", "too_big", "srtp_auth", "srtp_replay", "srtp_error", "vlan",
    "no_consumer", "rtcp_terminated", "seq_late", "handoff_full", "producer_gone",
]


def setup_lines():
    """The cascade-dpctl batch that installs the scenario."""
    out = []

    def addr(a):
        return f"[{a[0]}]:{a[1]}" if ":" in a[0] else f"{a[0]}:{a[1]}"

    for tid, t in TRANSPORTS.items():
        words = ["transport-add", str(tid), addr(t["local"])]
        words += ["--mux"] if t["mux"] else ["--rtcp", addr(t["rtcp"])]
        if t["remote"]:
            words += ["--remote", addr(t["remote"])]
        if t["mac"]:
            words += ["--mac", t["mac"]]
        out.append(" ".join(words))
    for pid, p in PRODUCERS.items():
        out.append(f"producer-add {pid} {p['transport']} {p['ssrc']:#x} --clock {p['clock']} "
                   f"--kind {p['kind']}")
    for cid, c in CONSUMERS.items():
        words = ["consumer-add", str(cid), str(c["producer"]), str(c["transport"]),
                 f"{c['ssrc']:#x}"]
        for a, b in c["pt"].items():
            words += ["--pt", f"{a}:{b}"]
        for a, b in c["ext"].items():
            words += ["--ext", f"{a}:{b}"]
        out.append(" ".join(words))
    return out


# ---- wire helpers ---------------------------------------------------------------------

def mac_b(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip_b(s):
    return ipaddress.ip_address(s).packed


def csum_add(data, s=0):
    """RFC 1071 one's-complement sum of data (big-endian words, odd byte padded)."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    for (w,) in struct.iter_unpack("!H", data):
        s += w
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def csum(data, s=0):
    return ~csum_add(data, s) & 0xFFFF


def eth(dst, src, etype, payload):
    return mac_b(dst) + mac_b(src) + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ihl=5, frag=0x4000, ident=0, ttl=64, total=None,
         version=4, tos=0):
    opts = b"\0" * (4 * ihl - 20) if ihl > 5 else b""
    tl = total if total is not None else 20 + len(opts) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, tos, tl, ident, frag, ttl, proto, 0,
                    ip_b(src), ip_b(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nh, payload, plen=None, version=6):
    pl = plen if plen is not None else len(payload)
    return struct.pack("!IHBB16s16s", version << 28, pl, nh, 64, ip_b(src), ip_b(dst)) + payload


def udp_sum(src, dst, udp_bytes):
    """UDP checksum over the pseudo header (RFC 768 / RFC 8200 8.1); 0 becomes 0xffff."""
    s, d = ip_b(src), ip_b(dst)
    if len(s) == 4:
        ph = s + d + struct.pack("!BBH", 0, 17, len(udp_bytes))
    else:
        ph = s + d + struct.pack("!IxxxB", len(udp_bytes), 17)
    c = csum(udp_bytes, csum_add(ph))
    return c or 0xFFFF


def udp(src, dst, payload, ulen=None, with_csum=True):
    """(src_ip, sport), (dst_ip, dport) -> UDP header + payload."""
    ul = ulen if ulen is not None else 8 + len(payload)
    u = struct.pack("!HHHH", src[1], dst[1], ul, 0) + payload
    if with_csum:
        u = u[:6] + struct.pack("!H", udp_sum(src[0], dst[0], u)) + u[8:]
    return u


def ip_udp_frame(src, dst, payload, dst_mac=DP_MAC, src_mac=INJ_MAC, with_csum=True, **kw):
    u = udp(src, dst, payload, with_csum=with_csum)
    if ":" in src[0]:
        return eth(dst_mac, src_mac, 0x86DD, ipv6(src[0], dst[0], 17, u))
    return eth(dst_mac, src_mac, 0x0800, ipv4(src[0], dst[0], 17, u, **kw))


def rtp(pt, seq, ts, ssrc, payload, marker=0, csrcs=(), ext=None, pad=0, version=2):
    """ext: (profile, data) with data a multiple of 4 bytes."""
    b0 = version << 6 | (0x20 if pad else 0) | (0x10 if ext else 0) | len(csrcs)
    h = struct.pack("!BBHII", b0, marker << 7 | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
    h += b"".join(struct.pack("!I", c) for c in csrcs)
    if ext:
        h += struct.pack("!HH", ext[0], len(ext[1]) // 4) + ext[1]
    tail = payload
    if pad:
        tail += b"\0" * (pad - 1) + bytes([pad])
    return h + tail


def sr(ssrc, ntp, rtp_ts, pkts, octets, blocks=(), pad=0):
    """RFC 3550 6.4.1 sender report; blocks are 24-byte report blocks."""
    body = struct.pack("!IQIII", ssrc, ntp, rtp_ts, pkts, octets) + b"".join(blocks)
    if pad:
        body += b"\0" * (pad - 1) + bytes([pad])
    b0 = 0x80 | (0x20 if pad else 0) | len(blocks)
    return struct.pack("!BBH", b0, 200, (len(body) + 4) // 4 - 1) + body


def rr(ssrc, blocks=(), version=2):
    body = struct.pack("!I", ssrc) + b"".join(blocks)
    return struct.pack("!BBH", version << 6 | len(blocks), 201, (len(body) + 4) // 4 - 1) + body


def sdes_cname(ssrc, cname):
    item = bytes([1, len(cname)]) + cname + b"\0"
    item += b"\0" * (-len(item) % 4)
    body = struct.pack("!I", ssrc) + item
    return struct.pack("!BBH", 0x81, 202, (len(body) + 4) // 4 - 1) + body


def report_block(ssrc):
    return struct.pack("!IIIIII", ssrc, 0, 0x10000 | 7, 0, 0, 0)


class Lcg:
    """Deterministic bytes without the random module's version-dependent streams."""

    def __init__(self, seed):
        self.x = seed & 0xFFFFFFFF

    def next(self):
        self.x = (self.x * 1664525 + 1013904223) & 0xFFFFFFFF
        return self.x

    def bytes(self, n):
        return bytes((self.next() >> 13) & 0xFF for _ in range(n))


# ---- the input --------------------------------------------------------------------------

def gen_input():
    """[(frame, tag)]: tag is ('rtp', producer), ('sr', producer), ('rtcp_p', producer) (the
    producer's non-SR RTCP), ('rtcp',) (a receiver's), ('slow',) or ('drop', reason): what
    the dataplane must do with the frame."""
    rnd = Lcg(0xC0FFEE)
    t1, t4, t6 = TRANSPORTS[1], TRANSPORTS[4], TRANSPORTS[6]
    p_src, p_dst = t1["remote"], t1["local"]
    a_src, a_dst = t4["remote"], t4["local"]
    v_ssrc, a_ssrc = PRODUCERS[100]["ssrc"], PRODUCERS[101]["ssrc"]
    frames = []

    def add(frame, *tag):
        frames.append((frame, tag))

    def v4(payload, src=p_src, dst=p_dst, **kw):
        return ip_udp_frame(src, dst, payload, **kw)

    # Video: 200 packets, frames of 1..4 packets with the marker on the last one; the
    # sequence number wraps after 100 packets and the timestamp after the second frame.
    video = []
    seq, ts, left = 65436, 0xFFFFF000, 0
    sizes = [3, 1, 2, 1, 4, 1, 1, 2]
    nframe = 0
    for i in range(N_VIDEO):
        if left == 0:
            left = sizes[nframe % len(sizes)]
            if nframe:
                ts += 3000
            nframe += 1
        left -= 1
        last = left == 0
        # 1200-byte packets inside a frame; the last one short (some copied into the
        # header mbuf, some cloned), odd lengths included.
        n = 1200 if not last else 37 + (i * 53) % 420
        ext = None
        if i % 17 == 8:
            ext = (0x1000, bytes([3, 2, 0xAB, 0xCD]))  # RFC 8285 two-byte form: opaque
        elif i % 11 != 4:
            # RFC 8285 one-byte: id 1 (3 bytes), id 2 (1 byte), two padding bytes
            ext = (0xBEDE, bytes([0x12, i & 0xFF, 0x5A, 0xA5, 0x20, 0x7F, 0, 0]))
        pkt = rtp(96, seq + i, ts, v_ssrc, rnd.bytes(n), marker=1 if last else 0,
                  csrcs=(0x0C5C0001,) if i % 10 == 5 else (), ext=ext,
                  pad=1 + i % 12 if i % 7 == 3 else 0)
        # a few without UDP checksum (RFC 768: allowed over IPv4), one with IPv4 options,
        # one with Ethernet padding after the IP packet
        fr = v4(pkt, with_csum=(i % 50 != 25), ident=i, ihl=6 if i == 77 else 5)
        video.append(fr + (b"\0" * 6 if i == 88 else b""))

    audio = []
    for i in range(N_AUDIO):
        pkt = rtp(111, 1000 + i, 48000 + 960 * i, a_ssrc, rnd.bytes(120 + (i * 7) % 41),
                  marker=1 if i == 0 else 0,
                  ext=(0xBEDE, bytes([0x10, 0x80 | i, 0, 0])))
        audio.append(ip_udp_frame(a_src, a_dst, pkt))

    def rtp_small(ssrc=v_ssrc, **kw):
        return rtp(96, 1, 1, ssrc, b"\x11" * 20, **kw)

    def e4(ip_packet):
        return eth(DP_MAC, INJ_MAC, 0x0800, ip_packet)

    def e6(nh=17, payload=None, **kw):
        u = payload if payload is not None else udp(a_src, a_dst, rtp_small())
        return eth(DP_MAC, INJ_MAC, 0x86DD, ipv6(a_src[0], a_dst[0], nh, u, **kw))

    def rtp_hdr(b0):
        return struct.pack("!BBHII", b0, 96, 1, 1, v_ssrc)

    # A sender report before any RTP: accepted, but no consumer has started yet.
    add(v4(sr(v_ssrc, 0xE1000000_00000000, 0xFFFFEF00, 0, 0)), "sr", 100)
    extras = {
        2: [(v4(b"\x80\x60\x00\x01\x00\x00\x00\x01"), ("drop", "rtp_trunc"))],
        5: [(v4(rtp_small(version=1)), ("drop", "unknown_demux")),  # RFC 7983: not RTP
            (v4(rtp_small(version=3)), ("drop", "unknown_demux"))],
        9: [(v4(rtp_hdr(0x8F) + b"\0" * 8), ("drop", "rtp_csrc"))],
        12: [(v4(rtp_hdr(0x90) + b"\xbe\xde\x00\x64" + b"\0" * 16), ("drop", "rtp_ext")),
             (v4(rtp_hdr(0x90) + b"\xbe"), ("drop", "rtp_ext"))],
        15: [(v4(rtp_hdr(0xA0) + b"\x11" * 7 + b"\x00"), ("drop", "rtp_padding")),
             (v4(rtp_hdr(0xA0) + b"\x11" * 3 + b"\x09"), ("drop", "rtp_padding"))],
        18: [(v4(rtp_small(ssrc=UNKNOWN_SSRC)), ("drop", "unknown_ssrc"))],
        21: [(v4(rtp_small(), dst=("198.18.0.1", 10999)), ("drop", "no_transport")),
             (v4(rtp_small(), dst=("198.18.0.9", 10000)), ("drop", "no_transport"))],
        24: [(v4(rtp_small(), frag=0x2000), ("drop", "ip4_frag")),
             (v4(rtp_small(), frag=0x0010), ("drop", "ip4_frag"))],
        27: [  # RFC 5389 binding request (magic cookie), RFC 7983 DTLS record
            (v4(struct.pack("!HHI", 0x0001, 0, 0x2112A442) + bytes(range(12))), ("slow",)),
            (v4(b"\x16\xfe\xfd" + b"\0" * 10), ("slow",))],
        30: [(v4(rtp_small(), ihl=4), ("drop", "ip4_hdr")),
             (v4(rtp_small(), version=5), ("drop", "ip4_hdr"))],
        33: [(eth(DP_MAC, INJ_MAC, 0x0806, b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\0" * 20),
              ("drop", "eth_type"))],
        36: [(v4(rtp_small(), src=("198.18.0.3", 5000)), ("drop", "remote_mismatch")),
             (v4(rtp_small(), src=("198.18.0.2", 5001)), ("drop", "remote_mismatch")),
             (v4(rtp_small(), dst=t6["local"]), ("drop", "remote_mismatch"))],
        39: [(e4(ipv4(p_src[0], p_dst[0], 6, b"\0" * 20)), ("drop", "not_udp")),
             (e4(ipv4(p_src[0], p_dst[0], 1, b"\x08\0\xf7\xff\0\0\0\0")), ("drop", "not_udp"))],
        42: [(e4(ipv4(p_src[0], p_dst[0], 17, udp(p_src, p_dst, rtp_small(), ulen=60))),
              ("drop", "udp_trunc")),
             (e4(ipv4(p_src[0], p_dst[0], 17,
                      udp(p_src, p_dst, rtp_small(), ulen=4, with_csum=False))),
              ("drop", "udp_len"))],
        45: [(v4(rtp_small(), total=200), ("drop", "ip4_trunc")),
             (e4(b"\x45\x00\x00\x14" + b"\0" * 6), ("drop", "ip4_trunc"))],
        48: [(v4(b"\x80\xc8\x00\x01\x11"), ("drop", "rtcp_trunc")),
             (v4(sr(v_ssrc, 1, 2, 3, 4)[:28].replace(b"\x80\xc8", b"\x81\xc8", 1)),
              ("drop", "rtcp_trunc")),
             (v4(sr(v_ssrc, 1, 2, 3, 4) + rr(v_ssrc, version=1)), ("drop", "rtp_version"))],
        # Forwarded: a plain SR mid-stream.
        50: [(v4(sr(v_ssrc, 0xE1000001_80000000, (0xFFFFF000 + 3000 * 16) & 0xFFFFFFFF, 51,
                    40000)), ("sr", 100))],
        # Consumed: a receiver report and an SR of an SSRC that is no producer.
        60: [(v4(rr(v_ssrc, [report_block(0x12345678)])), ("rtcp_p", 100)),
             (v4(sr(UNKNOWN_SSRC, 5, 6, 7, 8)), ("rtcp",))],
        63: [(v4(b""), ("drop", "unknown_demux")),
             (v4(b"\x40\x00\x00\x04"), ("drop", "unknown_demux"))],  # a TURN channel
        # IPv6 refusals (hop-by-hop header, version 4, payload past the frame) and a wrong
        # source on the IPv6 producer's transport.
        66: [(e6(0, b"\x11\x00" + b"\0" * 6 + udp(a_src, a_dst, rtp_small())), ("drop", "ip6_hdr")),
             (e6(version=4), ("drop", "ip6_hdr")),
             (e6(plen=400), ("drop", "ip6_trunc")),
             (ip_udp_frame(("2001:2::3", 5010), a_dst, rtp_small(ssrc=a_ssrc)),
              ("drop", "remote_mismatch"))],
        # An SR with padding: forwarded without it (P must be clear in the 28-byte copy).
        120: [(v4(sr(v_ssrc, 0xE1000002_00000000, 0x2000, 121, 90000, pad=4)), ("sr", 100))],
        # A compound SR (one report block) + SDES: forwarded as a bare 28-byte SR.
        180: [(v4(sr(v_ssrc, 0xE1000003_00000000, 0x9000, 181, 150000,
                     blocks=[report_block(0x12345678)]) + sdes_cname(v_ssrc, b"cam@cascade")),
               ("sr", 100))],
    }
    for i in range(N_VIDEO):
        add(video[i], "rtp", 100)
        if i % 10 == 9:
            a = i // 10
            add(audio[a], "rtp", 101)
            if a == 10:
                add(ip_udp_frame(a_src, a_dst, sr(a_ssrc, 0xE2000000_00000000, 48000 + 960 * 10,
                                                  11, 1500)), "sr", 101)
        for f, tag in extras.get(i, []):
            add(f, *tag)
    return frames


# ---- pcap files -------------------------------------------------------------------------

def pcap_write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            sec, usec = 1700000000 + i // 1000, (i % 1000) * 1000
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
            f.write(fr)


def pcap_read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: {len(data)} bytes, not a pcap file")
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
    else:
        raise ValueError(f"{path}: bad pcap magic {magic:#x}")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, expected Ethernet (1)")
    out, off = [], 24
    while off < len(data):
        if off + 16 > len(data):
            raise ValueError(f"{path}: truncated record header at {off}")
        _, _, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        if incl != orig:
            raise ValueError(f"{path}: record at {off} truncated by snaplen ({incl} < {orig})")
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


# ---- the reference model ------------------------------------------------------------------

def addr_key(ip_bytes, port):
    return (ipaddress.ip_address(ip_bytes).compressed, port)


def norm(a):
    return (ipaddress.ip_address(a[0]).compressed, a[1])


def local_index():
    """(ip, port) -> (transport id, is RTCP port)."""
    idx = {}
    for tid, t in TRANSPORTS.items():
        idx[norm(t["local"])] = (tid, False)
        if not t["mux"]:
            idx[norm(t["rtcp"])] = (tid, True)
    return idx


def classify(fr):
    """The fate of one input frame, from the wire format alone (RFC sections cited in
    the dataplane's parsers; precedence as DESIGN.md §2's packet path). Returns
    (tag, info): tag as gen_input's; info has the RTP/RTCP bytes for forwarded ones."""
    if len(fr) < 14:
        return ("drop", "eth_trunc"), None
    etype, off = struct.unpack("!H", fr[12:14])[0], 14
    if etype in (0x8100, 0x88A8):
        if len(fr) < 18:
            return ("drop", "eth_trunc"), None
        etype, off = struct.unpack("!H", fr[16:18])[0], 18
    ip = fr[off:]
    if etype == 0x0800:
        if len(ip) < 20:
            return ("drop", "ip4_trunc"), None
        ihl = (ip[0] & 15) * 4
        if ip[0] >> 4 != 4 or ihl < 20:
            return ("drop", "ip4_hdr"), None
        if ihl > len(ip):
            return ("drop", "ip4_trunc"), None
        tl = struct.unpack("!H", ip[2:4])[0]
        if tl < ihl:
            return ("drop", "ip4_hdr"), None
        if tl > len(ip):
            return ("drop", "ip4_trunc"), None
        if struct.unpack("!H", ip[6:8])[0] & 0x3FFF:
            return ("drop", "ip4_frag"), None
        if ip[9] != 17:
            return ("drop", "not_udp"), None
        src, dst, l4 = ip[12:16], ip[16:20], ip[ihl:tl]
    elif etype == 0x86DD:
        if len(ip) < 40:
            return ("drop", "ip6_trunc"), None
        if ip[0] >> 4 != 6:
            return ("drop", "ip6_hdr"), None
        pl = struct.unpack("!H", ip[4:6])[0]
        if pl > len(ip) - 40:
            return ("drop", "ip6_trunc"), None
        if ip[6] in (0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254):
            return ("drop", "ip6_hdr"), None
        if ip[6] != 17:
            return ("drop", "not_udp"), None
        src, dst, l4 = ip[8:24], ip[24:40], ip[40:40 + pl]
    else:
        return ("drop", "eth_type"), None
    if len(l4) < 8:
        return ("drop", "udp_trunc"), None
    sport, dport, ulen, ucs = struct.unpack("!HHHH", l4[:8])
    if ulen < 8:
        return ("drop", "udp_len"), None
    if ulen > len(l4):
        return ("drop", "udp_trunc"), None
    pay = l4[8:ulen]
    hit = local_index().get(addr_key(dst, dport))
    if hit is None:
        return ("drop", "no_transport"), None
    tid, is_rtcp_port = hit
    t = TRANSPORTS[tid]
    info = dict(transport=tid, had_csum=ucs != 0, payload=pay)
    # RFC 7983 section 7, RFC 5761 section 4
    b = pay[0] if pay else None
    if b is not None and (b <= 3 or 20 <= b <= 63):
        kind = "slow"
    elif b is not None and 128 <= b <= 191:
        kind = "rtcp" if len(pay) >= 2 and 192 <= pay[1] <= 223 else "rtp"
    else:
        return ("drop", "unknown_demux"), info
    if kind == "rtp":
        if is_rtcp_port:
            return ("drop", "unknown_demux"), info
        if len(pay) < 12:
            return ("drop", "rtp_trunc"), info
    if kind == "rtcp" and len(pay) < 8:
        return ("drop", "rtcp_trunc"), info
    # the remote check: RTP from the remote; RTCP also from its IP on another port (RFC
    # 3550 11, learned as the RTCP remote); nothing before connect (no comedia here)
    if t["remote"] is None:
        return ("drop", "remote_mismatch"), info
    if addr_key(src, sport) != norm(t["remote"]) and (
            kind != "rtcp" or addr_key(src, 0)[0] != norm(t["remote"])[0]):
        return ("drop", "remote_mismatch"), info
    if kind == "slow":
        return ("slow",), info
    ssrc_prod = {(p["transport"], p["ssrc"]): pid for pid, p in PRODUCERS.items()}
    if kind == "rtcp":
        pid = ssrc_prod.get((tid, struct.unpack("!I", pay[4:8])[0]))
        why = rtcp_check(pay)
        if why:
            return ("drop", why), info
        if pid is None:
            return ("rtcp",), info  # a receiver's RTCP: counted, ends here
        info["producer"] = pid
        # an SR is forwarded; anything else of the producer's ends here
        return (("sr", pid) if pay[1] == 200 else ("rtcp_p", pid)), info
    pid = ssrc_prod.get((tid, struct.unpack("!I", pay[8:12])[0]))
    if pid is None:
        return ("drop", "unknown_ssrc"), info  # before any parsing past the SSRC
    why, hl = rtp_check(pay)
    if why:
        return ("drop", why), info
    info.update(producer=pid, hdr_len=hl)
    return ("rtp", pid), info


def rtp_check(p):
    """RFC 3550 5.1, 5.3.1: (drop reason or None, header length)."""
    if len(p) < 12:
        return "rtp_trunc", 0
    if p[0] >> 6 != 2:
        return "rtp_version", 0
    hl = 12 + 4 * (p[0] & 15)
    if hl > len(p):
        return "rtp_csrc", 0
    if p[0] & 0x10:
        if len(p) - hl < 4:
            return "rtp_ext", 0
        el = 4 * struct.unpack("!H", p[hl + 2:hl + 4])[0]
        hl += 4
        if el > len(p) - hl:
            return "rtp_ext", 0
        hl += el
    if p[0] & 0x20:
        if p[-1] == 0 or p[-1] > len(p) - hl:
            return "rtp_padding", 0
    return None, hl


def rtcp_check(p):
    """RFC 3550 A.2 with RFC 5506 reduced size: drop reason or None."""
    if len(p) < 4 or len(p) % 4:
        return "rtcp_trunc"
    off = 0
    while off < len(p):
        if p[off] >> 6 != 2:
            return "rtp_version"
        n = 4 * (struct.unpack("!H", p[off + 2:off + 4])[0] + 1)
        if n > len(p) - off:
            return "rtcp_trunc"
        body = n
        if p[off] & 0x20:
            if off + n != len(p) or p[-1] == 0 or p[-1] > n - 4:
                return "rtcp_trunc"
            body -= p[-1]
        if p[off + 1] in (200, 201):
            need = (28 if p[off + 1] == 200 else 8) + 24 * (p[off] & 31)
            if need > body:
                return "rtcp_trunc"
        off += n
    return None


def rewrite_rtp(hdr, pt, ssrc, ext_map):
    """The consumer's RTP header: PT (marker kept), SSRC, RFC 8285 one-byte ids renamed.
    Sequence and timestamp keep the producer's numbering (a consumer that starts with
    the stream has zero offsets)."""
    h = bytearray(hdr)
    h[1] = (h[1] & 0x80) | pt
    h[8:12] = struct.pack("!I", ssrc)
    if h[0] & 0x10:
        off = 12 + 4 * (h[0] & 15)
        if h[off:off + 2] == b"\xbe\xde":
            i, end = off + 4, len(h)
            while i < end:
                eid = h[i] >> 4
                if eid == 0:
                    i += 1
                    continue
                if eid == 15:
                    break
                if eid in ext_map:
                    h[i] = ext_map[eid] << 4 | (h[i] & 15)
                i += 2 + (h[i] & 15)
    return bytes(h)


def out_frame(port_mac, t, src, dst, payload, with_csum):
    u = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    if with_csum:
        u = u[:6] + struct.pack("!H", udp_sum(src[0], dst[0], u)) + u[8:]
    if ":" in src[0]:
        return eth(t["mac"], port_mac, 0x86DD, ipv6(src[0], dst[0], 17, u))
    # DF, id 0, TTL 64 (DESIGN.md: what the dataplane writes)
    return eth(t["mac"], port_mac, 0x0800, ipv4(src[0], dst[0], 17, u, frag=0x4000, ident=0))


def expected_outputs(frames, port_mac):
    """{consumer id: [(input index, expected frame)]} from the input alone."""
    out = {cid: [] for cid in CONSUMERS}
    started = set()
    for idx, fr in enumerate(frames):
        tag, info = classify(fr)
        if tag[0] not in ("rtp", "sr"):
            continue
        for cid, c in CONSUMERS.items():
            if c["producer"] != info["producer"]:
                continue
            t = TRANSPORTS[c["transport"]]
            pay = info["payload"]
            if tag[0] == "rtp":
                pt = pay[1] & 0x7F
                if c["pt"] and pt not in c["pt"]:
                    continue
                hl = info["hdr_len"]
                body = rewrite_rtp(pay[:hl], c["pt"].get(pt, pt), c["ssrc"], c["ext"]) + pay[hl:]
                csum_on = info["had_csum"] or ":" in t["local"][0]
                fr_out = out_frame(port_mac, t, t["local"], t["remote"], body, csum_on)
                out[cid].append((idx, fr_out))
                started.add(cid)
            elif cid in started:
                # RFC 3550 6.4.1: header (V=2, P=0, RC=0, length 6), the consumer's SSRC,
                # the 20 bytes of sender info (timestamp offset 0 here).
                body = struct.pack("!BBHI", 0x80, 200, 6, c["ssrc"]) + pay[8:28]
                if t["mux"]:
                    src, dst = t["local"], t["remote"]
                else:  # RFC 3550 11: RTCP on the next port
                    src, dst = t["rtcp"], (t["remote"][0], t["remote"][1] + 1)
                out[cid].append((idx, out_frame(port_mac, t, src, dst, body, True)))
    return out


# ---- decoding output frames (independent of the expectation) -------------------------------

def decode(fr):
    """Parse an output frame; returns a dict of facts and a list of header errors."""
    d, errs = {}, []
    if len(fr) < 14:
        return None, ["shorter than Ethernet"]
    d["eth_dst"] = ":".join(f"{x:02x}" for x in fr[0:6])
    d["eth_src"] = ":".join(f"{x:02x}" for x in fr[6:12])
    et = struct.unpack("!H", fr[12:14])[0]
    ip = fr[14:]
    if et == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        tl, ident, frag, ttl, proto = struct.unpack("!HHHBB", ip[2:10])
        if ip[0] != 0x45:
            errs.append(f"IPv4 version/IHL byte {ip[0]:#x}")
        if csum(ip[:ihl]) != 0:
            errs.append("IPv4 header checksum wrong")
        if tl != len(ip):
            errs.append(f"IPv4 total length {tl} != {len(ip)}")
        if frag != 0x4000 or ttl != 64 or ident != 0:
            errs.append(f"IPv4 flags/frag {frag:#x} ttl {ttl} id {ident}: want DF, 64, 0")
        if proto != 17:
            return None, errs + [f"IPv4 protocol {proto}"]
        src, dst, u = ip[12:16], ip[16:20], ip[ihl:tl]
    elif et == 0x86DD and len(ip) >= 40:
        pl = struct.unpack("!H", ip[4:6])[0]
        if pl != len(ip) - 40:
            errs.append(f"IPv6 payload length {pl} != {len(ip) - 40}")
        if ip[6] != 17 or ip[7] != 64:
            errs.append(f"IPv6 next header {ip[6]} hop limit {ip[7]}")
        src, dst, u = ip[8:24], ip[24:40], ip[40:]
    else:
        return None, errs + [f"ethertype {et:#x} / short frame"]
    if len(u) < 8:
        return None, errs + ["short UDP"]
    sp, dp, ul, uc = struct.unpack("!HHHH", u[:8])
    if ul != len(u):
        errs.append(f"UDP length {ul} != {len(u)}")
    srcs = ipaddress.ip_address(src).compressed
    dsts = ipaddress.ip_address(dst).compressed
    if uc == 0:
        if et == 0x86DD:
            errs.append("IPv6 UDP checksum 0 (mandatory, RFC 8200 8.1)")
    else:
        good = udp_sum(srcs, dsts, u[:6] + b"\0\0" + u[8:])
        if good != uc:
            errs.append(f"UDP checksum {uc:#06x} does not verify (want {good:#06x})")
    pay = u[8:]
    d.update(src=(srcs, sp), dst=(dsts, dp), udp_csum=uc, payload=pay)
    if len(pay) >= 12:
        d["rtcp"] = pay[1] == 200
        d["ssrc"] = struct.unpack("!I", pay[4:8] if d["rtcp"] else pay[8:12])[0]
        if not d["rtcp"]:
            d["seq"], d["ts"] = struct.unpack("!HI", pay[2:8])
            d["pt"] = pay[1] & 0x7F
    return d, errs


def consumer_of(d):
    if d is None or "ssrc" not in d:
        return None
    for cid, c in CONSUMERS.items():
        t = TRANSPORTS[c["transport"]]
        rport = t["remote"][1] + (1 if d["rtcp"] and not t["mux"] else 0)
        if c["ssrc"] == d["ssrc"] and d["dst"] == (norm(t["remote"])[0], rport):
            return cid
    return None


def out_key(d):
    """An output packet's identity within its consumer's stream."""
    if d.get("rtcp"):
        return ("sr", d["payload"][8:16].hex())
    return ("rtp", d.get("seq"))


def first_diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return min(len(a), len(b))


def region(off, fr):
    l3 = 20 if fr[12:14] == b"\x08\x00" else 40
    if off < 14:
        return "Ethernet"
    if off < 14 + l3:
        return "IP header"
    if off < 14 + l3 + 8:
        return "UDP header"
    return f"UDP payload byte {off - 14 - l3 - 8}"


# ---- commands ---------------------------------------------------------------------------

class Checker:
    def __init__(self):
        self.errors = 0

    def fail(self, msg):
        self.errors += 1
        if self.errors <= 60:
            print(f"MISMATCH: {msg}")
        elif self.errors == 61:
            print("MISMATCH: ... (more mismatches not shown)")

    def eq(self, what, got, want):
        if got != want:
            self.fail(f"{what}: got {got}, want {want}")


def expected_counters(frames, port_mac):
    tags = [classify(f) for f in frames]
    exp = expected_outputs(frames, port_mac)
    n_out = sum(len(v) for v in exp.values())
    sent_from = {i for v in exp.values() for i, _ in v}
    # what ends at the dataplane under a drop reason without being malformed: a receiver's
    # or a producer's non-SR RTCP, and an SR that no consumer could take yet
    ends = []
    for i, (t, _) in enumerate(tags):
        if t[0] in ("rtcp", "rtcp_p"):
            ends.append("rtcp_terminated")
        elif t[0] == "sr" and i not in sent_from:
            ends.append("no_consumer")
    c = {"rx_packets": len(frames), "rx_bytes": sum(len(f) for f in frames),
         "tx_packets": n_out, "tx_bytes": sum(len(f) for v in exp.values() for _, f in v),
         "rtp_packets": sum(1 for t, _ in tags if t[0] == "rtp"),
         "rtcp_packets": sum(1 for t, _ in tags if t[0] in ("sr", "rtcp", "rtcp_p")),
         "slow_packets": sum(1 for t, _ in tags if t[0] == "slow"),
         "drop_packets": sum(1 for t, _ in tags if t[0] == "drop") + len(ends)}
    for r in DROP_REASONS:
        c["drop_" + r] = sum(1 for t, _ in tags if t == ("drop", r)) + ends.count(r)
    objs = {}
    for cid in CONSUMERS:
        objs[f"consumer {cid}"] = dict(
            tx_packets=sum(1 for _, f in exp[cid] if decode(f)[0].get("rtcp") is False),
            rtcp_packets=sum(1 for _, f in exp[cid] if decode(f)[0].get("rtcp")),
            drop_packets=0)
    for pid in PRODUCERS:
        objs[f"producer {pid}"] = dict(
            rx_packets=sum(1 for t, _ in tags if t == ("rtp", pid)),
            rtcp_packets=sum(1 for t, _ in tags if t in (("sr", pid), ("rtcp_p", pid))))
    for tid in TRANSPORTS:
        tx = [f for cid, v in exp.items() if CONSUMERS[cid]["transport"] == tid for _, f in v]
        # only what the transport accepted: well-formed, from its remote, of a known SSRC
        objs[f"transport {tid}"] = dict(
            rx_packets=sum(1 for t, i in tags if i is not None and i["transport"] == tid and
                           t[0] in ("rtp", "sr", "rtcp", "rtcp_p", "slow")),
            tx_packets=len(tx), tx_bytes=sum(len(f) for f in tx))
    return c, objs


def cmd_gen(a):
    frames = gen_input()
    os.makedirs(a.dir, exist_ok=True)
    pcap_write(os.path.join(a.dir, "pcap_fanout_in.pcap"), [f for f, _ in frames])
    exp = expected_outputs([f for f, _ in frames], PCAP_PORT_MAC)
    # the order a single worker produces: input order, consumers in their list order
    flat = sorted(((i, list(CONSUMERS).index(cid), f) for cid, v in exp.items() for i, f in v))
    pcap_write(os.path.join(a.dir, "pcap_fanout_expected.pcap"), [f for _, _, f in flat])
    print(f"{len(frames)} input frames, {len(flat)} expected output frames in {a.dir}")
    return 0


def cmd_setup(a):
    print("\n".join(setup_lines()))
    return 0


def cmd_inject(a):
    """Send the frames in groups of --group. With --dpctl, wait after each group until
    the dataplane has counted it (rx_packets), so no buffer on the way can overflow and
    a frame that gets lost is named."""
    frames = pcap_read(a.pcap)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((a.iface, 0))
    base = int(dpctl(a, "stats")["rx_packets"]) if a.dpctl else 0
    for g in range(0, len(frames), a.group):
        for i in range(g, min(g + a.group, len(frames))):
            n = s.send(frames[i])
            if n != len(frames[i]):
                print(f"inject: frame {i}: sent {n} of {len(frames[i])} bytes", file=sys.stderr)
                return 1
        sent = min(g + a.group, len(frames))
        if not a.dpctl:
            time.sleep(0.001)
            continue
        deadline, rx = time.monotonic() + a.timeout, 0
        while time.monotonic() < deadline:
            rx = int(dpctl(a, "stats")["rx_packets"]) - base
            if rx >= sent:
                break
            time.sleep(0.002)
        if rx != sent:
            print(f"inject: sent frames 0..{sent - 1} on {a.iface}, the dataplane counted {rx} "
                  f"after {a.timeout} s (frames lost or stuck between the veth and net_pcap)",
                  file=sys.stderr)
            return 1
    s.close()
    print(f"inject: {len(frames)} frames sent on {a.iface}" +
          (", each group counted by the dataplane" if a.dpctl else ""))
    return 0


def dpctl(a, *args):
    r = subprocess.run([a.dpctl, "-s", a.segment, *args], capture_output=True, text=True,
                       timeout=10)
    if r.returncode != 0:
        raise RuntimeError(f"cascade-dpctl {' '.join(args)}: exit {r.returncode}: "
                           f"{r.stderr.strip()}")
    return dict(line.split(None, 1) for line in r.stdout.splitlines() if " " in line)


def telemetry(prefix, *cmds):
    path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    hello = json.loads(s.recv(65536))
    out = {}
    for c in cmds:
        s.send(c.encode())
        out[c] = json.loads(s.recv(max(65536, hello.get("max_output_len", 0))))
    s.close()
    return out


def cmd_wait(a):
    """Poll the counters until every frame is received and every output sent (or, if
    some are missing, until tx_packets has not moved for a second: `check` then says
    which ones). Fails only if not every input frame arrived."""
    frames = pcap_read(a.input)
    want, _ = expected_counters(frames, PCAP_PORT_MAC)
    deadline = time.monotonic() + a.timeout
    st, last_tx, still_since = {}, -1, time.monotonic()
    while time.monotonic() < deadline:
        st = {k: int(v) for k, v in dpctl(a, "stats").items()}
        now = time.monotonic()
        if st.get("tx_packets") != last_tx:
            last_tx, still_since = st.get("tx_packets"), now
        if st.get("rx_packets", 0) >= want["rx_packets"]:
            if st.get("tx_packets", 0) >= want["tx_packets"]:
                time.sleep(0.2)  # anything beyond the expected would show up now
                return 0
            if now - still_since > 1.0:
                print(f"wait: tx_packets stuck at {last_tx}, want {want['tx_packets']}")
                return 0
        time.sleep(0.05)
    print(f"wait: after {a.timeout}s rx_packets={st.get('rx_packets')} "
          f"(want {want['rx_packets']}), tx_packets={st.get('tx_packets')} "
          f"(want {want['tx_packets']})", file=sys.stderr)
    return 1


def cmd_snapshot(a):
    """Counters (cascade-dpctl) and DPDK telemetry as one JSON document."""
    snap = {}
    if a.counters:
        snap["stats"] = {k: int(v) for k, v in dpctl(a, "stats").items()}
        snap["objs"] = {}
        for kind, ids in (("consumer", CONSUMERS), ("producer", PRODUCERS),
                          ("transport", TRANSPORTS)):
            for i in ids:
                kv = dpctl(a, "obj", kind, str(i))
                snap["objs"][f"{kind} {i}"] = {k: int(v) for k, v in kv.items()}
    t = telemetry(a.prefix, "/cascade/info", "/ethdev/info,0", "/ethdev/stats,0")
    snap["info"] = t["/cascade/info"]["/cascade/info"]
    snap["ethdev_info"] = t["/ethdev/info,0"]["/ethdev/info"]
    snap["ethdev_stats"] = t["/ethdev/stats,0"]["/ethdev/stats"]
    json.dump(snap, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


def cmd_check(a):
    ck = Checker()
    gen = gen_input()
    frames = pcap_read(a.input)

    # 1. The input is what the generator makes, and every frame's fate is its tag.
    if [f for f, _ in gen] != frames:
        ck.fail(f"{a.input} differs from `rtptool.py gen` output: regenerate tests/data "
                f"(rtptool.py gen tests/data) after a deliberate change")
        return 1
    for i, (f, tag) in enumerate(gen):
        got, _ = classify(f)
        if got != tag:
            ck.fail(f"model: input frame {i} classifies as {got}, generator meant {tag}")
    if ck.errors:
        return 1

    before = json.load(open(a.baseline))
    after = json.load(open(a.after))
    port_mac = after["ethdev_info"]["mac_addr"].lower()

    # 2. Packet by packet, per consumer, against the expectation.
    exp = expected_outputs(frames, port_mac)
    if port_mac == PCAP_PORT_MAC and a.golden_expected:
        golden = pcap_read(a.golden_expected)
        flat = sorted(((i, list(CONSUMERS).index(cid), f) for cid, v in exp.items() for i, f in v))
        if golden != [f for _, _, f in flat]:
            ck.fail(f"{a.golden_expected} differs from the model's expectation: regenerate it")
    outs = pcap_read(a.output)
    got = {cid: [] for cid in CONSUMERS}
    for n, fr in enumerate(outs):
        d, errs = decode(fr)
        for e in errs:
            ck.fail(f"output frame {n}: {e}")
        cid = consumer_of(d)
        if cid is None:
            ck.fail(f"output frame {n}: belongs to no consumer: {fr[:64].hex()}")
            continue
        want_dst = TRANSPORTS[CONSUMERS[cid]["transport"]]["mac"]
        if d["eth_dst"] != want_dst or d["eth_src"] != port_mac:
            ck.fail(f"output frame {n} (consumer {cid}): Ethernet {d['eth_dst']} <- {d['eth_src']}")
        got[cid].append((n, fr, d))
    # a single worker sends in input order: the input frame each output answers
    # (matched by its identity: RTP sequence number, SR NTP time) never goes back
    answer, last_in = {}, (-1, -1)
    for cid, want in exp.items():
        for i_in, wf in want:
            answer[(cid, out_key(decode(wf)[0]))] = i_in
    order = sorted((n, cid, d) for cid, v in got.items() for n, _, d in v)
    for n, cid, d in order:
        i_in = answer.get((cid, out_key(d)))
        if i_in is None:
            continue
        if i_in < last_in[0]:
            ck.fail(f"output frame {n} (consumer {cid}) answers input frame {i_in} after "
                    f"output frame {last_in[1]} answered input frame {last_in[0]}")
        last_in = max(last_in, (i_in, n))
    for cid, want in exp.items():
        have = got[cid]
        wkeys = [out_key(decode(f)[0]) for _, f in want]
        hkeys = [out_key(d) for _, _, d in have]
        if wkeys != hkeys:
            hs, ws = set(hkeys), set(wkeys)
            missing = [(k, i_in, len(f)) for k, (i_in, f) in zip(wkeys, want) if k not in hs]
            extra = [k for k in hkeys if k not in ws]
            ck.fail(f"consumer {cid}: {len(have)} output packets, want {len(want)}; "
                    f"{len(missing)} missing, {len(extra)} unexpected, "
                    f"{len(hkeys) - len(set(hkeys))} duplicated")
            for k, i_in, ln in missing[:12]:
                ck.fail(f"consumer {cid}: missing {k[0]} {k[1]} (input frame {i_in}, "
                        f"{ln}-byte output frame)")
            for k in extra[:5]:
                ck.fail(f"consumer {cid}: unexpected {k}")
            if not missing and not extra:
                ck.fail(f"consumer {cid}: packets out of order: {hkeys[:20]}...")
        byk = {k: x for k, x in zip(hkeys, have)}
        for k, (i_in, wf) in zip(wkeys, want):
            if k not in byk:
                continue
            n, h, _ = byk[k]
            if h != wf:
                off = first_diff(h, wf)
                ck.fail(f"consumer {cid} {k[0]} {k[1]} (input frame {i_in}, output frame {n}): "
                        f"differs at byte {off}, {region(off, wf)}: got {h[off:off + 8].hex()} "
                        f"want {wf[off:off + 8].hex()}, lengths {len(h)}/{len(wf)}")
    print(f"check: {len(outs)} output frames, "
          + ", ".join(f"consumer {cid} {len(got[cid])}/{len(exp[cid])}" for cid in CONSUMERS))

    # 3. Counters: totals, every drop reason, every object.
    want, want_objs = expected_counters(frames, port_mac)
    for k, v in want.items():
        ck.eq(f"stats {k}", after["stats"].get(k), v)
    for k, v in after["stats"].items():
        if k.startswith("drop_") and k not in want:
            ck.eq(f"stats {k} (a reason this test does not know)", v, 0)
    for o, kv in want_objs.items():
        for k, v in kv.items():
            ck.eq(f"obj {o} {k}", after["objs"][o].get(k), v)
    es = after["ethdev_stats"]
    ck.eq("ethdev opackets", es.get("opackets"), want["tx_packets"])
    ck.eq("ethdev ipackets", es.get("ipackets"), want["rx_packets"])
    ck.eq("ethdev oerrors", es.get("oerrors"), 0)
    ck.eq("ethdev rx_nombuf", es.get("rx_nombuf"), 0)

    # 4. No mbuf leaked: every pool back to its idle level.
    for pool in ("pool_pkt", "pool_hdr", "pool_clone"):
        ck.eq(f"{pool} in_use after traffic (baseline {before['info'][pool]['in_use']})",
              after["info"][pool]["in_use"], before["info"][pool]["in_use"])
    ck.eq("objects (transports, producers, consumers)",
          (after["info"]["transports"], after["info"]["producers"], after["info"]["consumers"]),
          (len(TRANSPORTS), len(PRODUCERS), len(CONSUMERS)))
    if ck.errors:
        print(f"check: {ck.errors} mismatches")
        return 1
    drops = ", ".join(f"{k[5:]}={v}" for k, v in want.items() if k.startswith("drop_") and v
                      and k != "drop_packets")
    print(f"check: ok: {len(frames)} in, {len(outs)} out, drops {drops}, "
          f"slow {want['slow_packets']}, pools back to baseline")
    return 0


def cmd_tshark(a):
    """Wireshark's own RTP analysis of the output, one decode-as per consumer port."""
    ck = Checker()
    frames = pcap_read(a.input)
    exp = expected_outputs(frames, PCAP_PORT_MAC)
    ports = sorted({TRANSPORTS[c["transport"]]["remote"][1] for c in CONSUMERS.values()})
    want = {}
    for cid, c in CONSUMERS.items():
        n = sum(1 for _, f in exp[cid] if decode(f)[0].get("rtcp") is False)
        want[c["ssrc"]] = (cid, n)
    rows = {}
    for port in ports:
        r = subprocess.run([a.tshark, "-n", "-r", a.output, "-d", f"udp.port=={port},rtp",
                            "-Y", f"udp.dstport=={port}", "-q", "-z", "rtp,streams"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            ck.fail(f"tshark (port {port}) exit {r.returncode}: {r.stderr.strip()[:300]}")
            continue
        for line in r.stdout.splitlines():
            # "... DST PORT 0xSSRC PAYLOAD... PKTS LOST (PCT%) min mean max minj meanj maxj [X]"
            m = re.search(r"\s(\d+)\s+(0x[0-9A-Fa-f]{1,8})\s+(.*?)\s+(\d+)\s+(-?\d+)\s+"
                          r"\((-?[\d.]+)%\)((?:\s+-?[\d.]+){6})\s*(\S*)\s*$", line)
            if not m:
                continue
            ssrc = int(m.group(2), 16)
            rows.setdefault(ssrc, []).append(dict(port=int(m.group(1)), payload=m.group(3),
                                                  pkts=int(m.group(4)), lost=int(m.group(5)),
                                                  problem=m.group(8), line=line.strip()))
        if a.verbose:
            print(r.stdout)
    for ssrc, (cid, n) in want.items():
        rs = rows.get(ssrc, [])
        if len(rs) != 1:
            ck.fail(f"tshark: consumer {cid} SSRC {ssrc:#010x}: {len(rs)} streams "
                    f"({[x['line'] for x in rows.get(ssrc, [])]}), want 1")
            continue
        x = rs[0]
        ck.eq(f"tshark consumer {cid} ({ssrc:#010x}) packets", x["pkts"], n)
        ck.eq(f"tshark consumer {cid} ({ssrc:#010x}) lost", x["lost"], 0)
        if x["problem"] not in ("", "-"):
            ck.fail(f"tshark consumer {cid} ({ssrc:#010x}) flags a problem (sequence errors, "
                    f"wrong timestamps): {x['line']}")
    extra = set(rows) - set(want)
    for ssrc in extra:
        for x in rows[ssrc]:
            ck.fail(f"tshark: unexpected RTP stream {ssrc:#010x}: {x['line']}")
    if ck.errors:
        return 1
    print("tshark: ok: " + ", ".join(f"{s:#010x} {n} pkts 0 lost" for s, (_, n) in want.items()))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("gen", help="write the input and expected pcaps")
    p.add_argument("dir")
    p.set_defaults(fn=cmd_gen)
    p = sub.add_parser("setup", help="print the cascade-dpctl batch")
    p.set_defaults(fn=cmd_setup)
    p = sub.add_parser("inject", help="send a pcap's frames on an interface")
    p.add_argument("iface")
    p.add_argument("pcap")
    p.add_argument("--group", type=int, default=8)
    p.add_argument("--dpctl")
    p.add_argument("--segment")
    p.add_argument("--timeout", type=float, default=5)
    p.set_defaults(fn=cmd_inject)
    for name, fn in (("wait", cmd_wait), ("snapshot", cmd_snapshot)):
        p = sub.add_parser(name)
        p.add_argument("--dpctl", required=name == "wait")
        p.add_argument("--segment", required=name == "wait")
        p.add_argument("--prefix")
        p.add_argument("--input")
        p.add_argument("--timeout", type=float, default=15)
        p.add_argument("--counters", action="store_true")
        p.set_defaults(fn=fn)
    p = sub.add_parser("check", help="compare the output with the expectation")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--baseline", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--golden-expected")
    p.set_defaults(fn=cmd_check)
    p = sub.add_parser("tshark", help="check the output with tshark -z rtp,streams")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--tshark", default="tshark")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(fn=cmd_tshark)
    a = ap.parse_args()
    try:
        return a.fn(a)
    except (OSError, ValueError, RuntimeError, subprocess.TimeoutExpired, KeyError) as e:
        print(f"rtptool {a.cmd}: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
