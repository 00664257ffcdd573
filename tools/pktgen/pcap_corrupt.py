#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Corrupt selected frames of a cascade-pktgen capture, to test the receiver's checks.

usage: pcap_corrupt.py IN.pcap OUT.pcap [INDEX=MUTATION ...] [FOREIGN ...]

Each INDEX=MUTATION changes frame INDEX (0-based) and fixes up checksums as needed, so
that it has exactly one fault:
  ttl           IPv4 TTL / IPv6 hop limit changed      -> bad_ip_cksum (IPv6: none)
  udpck         UDP checksum off by one                -> bad_udp_cksum
  udpck0        UDP checksum zeroed                    -> none (IPv4), bad_udp_cksum (IPv6)
  trailing      4 bytes appended to the frame          -> bad_len
  truncate      last 10 bytes cut                      -> bad_len
  udplen        UDP length one short (checksum fixed)  -> bad_len
  ip6plen       IPv6 payload length 2 too long         -> bad_len
  version       RTP version 1                          -> bad_rtp
  xbit          RTP extension bit set                  -> bad_rtp
  cc15          RTP CSRC count 15                      -> bad_probe
  magic         probe magic changed                    -> bad_probe
  filler        last payload byte changed              -> bad_payload
  filler_nofix  same, UDP checksum not fixed           -> bad_payload + bad_udp_cksum
  padding       valid RTP padding of 4 bytes           -> none
FOREIGN frames appended (built from frame 0, IPv4 captures only): arp, rtcp, stun (all
"other"), stun_badip (malformed, no SSRC).

Write the input with: cascade-pktgen ... --vdev net_pcap0,tx_pcap=IN.pcap -- --tx-only
"""
import struct, sys

def read_pcap(path):
    d = open(path, 'rb').read()
    hdr, off, recs = d[:24], 24, []
    while off < len(d):
        ts1, ts2, incl, orig = struct.unpack('<IIII', d[off:off + 16])
        recs.append([ts1, ts2, bytearray(d[off + 16:off + 16 + incl])])
        off += 16 + incl
    return hdr, recs

def write_pcap(path, hdr, recs):
    with open(path, 'wb') as f:
        f.write(hdr)
        for ts1, ts2, fr in recs:
            f.write(struct.pack('<IIII', ts1, ts2, len(fr), len(fr)) + bytes(fr))

def csum(b):
    if len(b) % 2:
        b = bytes(b) + b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), bytes(b)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def layout(fr):
    l2 = 18 if fr[12:14] == b'\x81\x00' else 14
    v6 = fr[l2] >> 4 == 6
    l4 = l2 + (40 if v6 else (fr[l2] & 15) * 4)
    return l2, v6, l4

def fix_ip(fr):
    l2, v6, l4 = layout(fr)
    if not v6:
        fr[l2 + 10:l2 + 12] = b'\0\0'
        fr[l2 + 10:l2 + 12] = struct.pack('!H', csum(fr[l2:l4]))

def fix_udp(fr, ulen=None):
    l2, v6, l4 = layout(fr)
    ulen = ulen or struct.unpack('!H', fr[l4 + 4:l4 + 6])[0]
    fr[l4 + 6:l4 + 8] = b'\0\0'
    if v6:
        ph = fr[l2 + 8:l2 + 40] + struct.pack('!IxxxB', ulen, 17)
    else:
        ph = fr[l2 + 12:l2 + 20] + struct.pack('!xBH', 17, ulen)
    c = csum(ph + fr[l4:l4 + ulen]) or 0xffff
    fr[l4 + 6:l4 + 8] = struct.pack('!H', c)

def mutate(fr, what):
    l2, v6, l4 = layout(fr)
    rtp = l4 + 8
    if what == 'ttl':            fr[l2 + (7 if v6 else 8)] ^= 0x10
    elif what == 'udpck':        fr[l4 + 7] ^= 1
    elif what == 'udpck0':       fr[l4 + 6:l4 + 8] = b'\0\0'
    elif what == 'trailing':     fr += b'\xaa\xbb\xcc\xdd'
    elif what == 'truncate':     del fr[-10:]
    elif what == 'version':      fr[rtp] = (fr[rtp] & 0x3f) | 0x40; fix_udp(fr)
    elif what == 'xbit':         fr[rtp] |= 0x10; fix_udp(fr)
    elif what == 'cc15':         fr[rtp] |= 0x0f; fix_udp(fr)
    elif what == 'magic':        fr[rtp + 12] ^= 0xff; fix_udp(fr)
    elif what == 'filler':       fr[-1] ^= 0x01; fix_udp(fr)
    elif what == 'filler_nofix': fr[-1] ^= 0x01
    elif what == 'padding':      fr[rtp] |= 0x20; fr[-1] = 4; fix_udp(fr)
    elif what == 'udplen':
        ulen = struct.unpack('!H', fr[l4 + 4:l4 + 6])[0] - 1
        fr[l4 + 4:l4 + 6] = struct.pack('!H', ulen); fix_udp(fr, ulen)
    elif what == 'ip6plen':
        p = struct.unpack('!H', fr[l2 + 4:l2 + 6])[0] + 2
        fr[l2 + 4:l2 + 6] = struct.pack('!H', p)
    else:
        raise SystemExit('unknown mutation ' + what)

def foreign(tmpl, kind):
    """A frame that is not ours, built from template frame tmpl (IPv4 only)."""
    l2, v6, l4 = layout(tmpl)
    if kind == 'arp':
        return bytearray(tmpl[:12] + b'\x08\x06' + bytes(28) + bytes(18))
    fr = bytearray(tmpl[:l4 + 8])
    if kind == 'rtcp':    pay = bytes([0x80, 200, 0, 6]) + bytes(24)
    else:                 pay = bytes([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]) + bytes(12)  # STUN
    fr += pay
    fr[l2 + 2:l2 + 4] = struct.pack('!H', l4 - l2 + 8 + len(pay)); fix_ip(fr)
    fr[l4 + 4:l4 + 6] = struct.pack('!H', 8 + len(pay)); fix_udp(fr)
    if kind == 'stun_badip':
        fr[l2 + 8] ^= 1
    return fr

if __name__ == '__main__':
    src, dst = sys.argv[1], sys.argv[2]
    hdr, recs = read_pcap(src)
    extra = []
    for arg in sys.argv[3:]:
        if '=' in arg:
            i, what = arg.split('=')
            mutate(recs[int(i)][2], what)
        else:
            extra.append(arg)
    for kind in extra:
        recs.append([recs[-1][0], recs[-1][1], foreign(recs[0][2], kind)])
    write_pcap(dst, hdr, recs)
