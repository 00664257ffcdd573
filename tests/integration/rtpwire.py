#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""rtpwire: frames, RTP and RTCP packets and pcap files, for rtptool.py and the tests that
build their own frames (python3 stdlib only). Everything here is written from the RFCs,
not from the dataplane's code.
"""
import ipaddress
import socket
import struct

# The pcap_fanout test's veth ends: where frames go by default, and where they come from.
DP_MAC = "02:00:c6:12:00:01"  # vetha, where cascade-dp listens
INJ_MAC = "02:00:c6:12:00:02"  # vethb, where the producers' frames come from


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
