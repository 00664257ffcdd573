#!/usr/bin/env python3
"""Write a pcap of RTP packets for the benchmarks (Python standard library only).

usage: mkpcap.py OUT.pcap [--count N] [--size BYTES] [--ssrc N] [--src IP:PORT] [--dst IP:PORT]
                 [--nack-consumers K]

Every packet is Ethernet/IPv4/UDP/RTP with a valid UDP checksum, PT 96, consecutive
sequence numbers and a 90 kHz timestamp advancing by 3000 per 10 packets (a 30 fps
video-like pattern, marker on each tenth packet). BYTES is the whole frame size.

With --nack-consumers K, each RTP packet from the 17th on (sequence number j) is followed
by a receiver's RR + generic NACK (RFC 4585 6.2.1) for j-16..j (PID j-16, BLP 0xffff),
from consumer j % K of the benchmark's fan-out (tests/bench/run fanout_cmds: consumer i
has SSRC 0x20000000+i and its transport is 198.18.2.1:10000+i, its remote
198.18.3.(i%250+1):20000+i), so every packet is asked for again right after it went out.
"""
import argparse
import socket
import struct


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


_PATTERN = {}


def payload_of(seq, n):
    """Byte i is (i * 7 + seq) mod 256: a slice of one precomputed run per length."""
    run = _PATTERN.get(n)
    if run is None:
        run = _PATTERN[n] = bytes((i * 7) & 0xFF for i in range(n + 256 * 7))
    # (i * 7 + seq) = ((i + k) * 7) mod 256 with k = seq * 183 mod 256 (183 = 7^-1 mod 256)
    k = (seq * 183) & 0xFF
    return run[k:k + n]


def frame(src, dst, seq, ts, ssrc, marker, size):
    sip, sport = src
    dip, dport = dst
    rtp_payload_len = size - 14 - 20 - 8 - 12
    rtp = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | 96, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
    rtp += payload_of(seq, rtp_payload_len)
    udp_len = 8 + len(rtp)
    pseudo = socket.inet_aton(sip) + socket.inet_aton(dip) + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0)
    ck = 0xFFFF - csum(pseudo + udp + rtp)
    udp = struct.pack("!HHHH", sport, dport, udp_len, ck or 0xFFFF)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0,
                     socket.inet_aton(sip), socket.inet_aton(dip))
    ip = ip[:10] + struct.pack("!H", 0xFFFF - csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000001") + bytes.fromhex("020000000002") + struct.pack("!H", 0x0800)
    return eth + ip + udp + rtp


def udp_frame(src, dst, payload):
    sip, sport = src
    dip, dport = dst
    udp_len = 8 + len(payload)
    pseudo = socket.inet_aton(sip) + socket.inet_aton(dip) + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0)
    ck = 0xFFFF - csum(pseudo + udp + payload)
    udp = struct.pack("!HHHH", sport, dport, udp_len, ck or 0xFFFF)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0,
                     socket.inet_aton(sip), socket.inet_aton(dip))
    ip = ip[:10] + struct.pack("!H", 0xFFFF - csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000001") + bytes.fromhex("020000000002") + struct.pack("!H", 0x0800)
    return eth + ip + udp + payload


def nack_frame(consumer, pid):
    sender = 0x50000000 + consumer
    rr = struct.pack("!BBHI", 0x80, 201, 1, sender)
    fb = struct.pack("!BBHIIHH", 0x81, 205, 3, sender, 0x20000000 + consumer, pid & 0xFFFF, 0xFFFF)
    src = ("198.18.3.%d" % (consumer % 250 + 1), 20000 + consumer)
    return udp_frame(src, ("198.18.2.1", 10000 + consumer), rr + fb)


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--size", type=int, default=1200)
    ap.add_argument("--ssrc", type=lambda x: int(x, 0), default=0x11111111)
    ap.add_argument("--src", type=hostport, default=("198.18.0.2", 5000))
    ap.add_argument("--dst", type=hostport, default=("198.18.0.1", 40000))
    ap.add_argument("--nack-consumers", type=int, default=0)
    a = ap.parse_args()
    if a.size < 14 + 20 + 8 + 12 or a.size > 1514:
        ap.error("--size: 54 to 1514 bytes")
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(a.count):
            frames = [frame(a.src, a.dst, i, (i // 10) * 3000, a.ssrc, i % 10 == 9, a.size)]
            if a.nack_consumers > 0 and i >= 16:
                frames.append(nack_frame(i % a.nack_consumers, i - 16))
            for fr in frames:
                f.write(struct.pack("<IIII", i // 1000, (i % 1000) * 1000, len(fr), len(fr)))
                f.write(fr)


if __name__ == "__main__":
    main()
