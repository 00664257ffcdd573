#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""rtpscene: the scenario of tests/integration/test_pcap_fanout.sh, and only there: the
transports, producers and consumers it installs and the input it sends (rtptool.py).
"""
import struct

from rtpwire import *  # noqa: F401,F403 (the scenario is written in the wire's terms)

# ---- the scenario ---------------------------------------------------------------------

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
