#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of fuzz_cmd and fuzz_classify.

Each seed is one situation the dataplane must handle, spelled in the input
format its target documents at the top of tests/fuzz/fuzz_cmd.c and
tests/fuzz/fuzz_classify.c: command sequences (lifecycles, retries and
conflicts, cascades, SRTP keys, pipes, full tables, batches, bad fields) and
packet sequences (fan-out on both workers, comedia and RTCP learning as
ffmpeg sends, non-mux RTCP, SRTP that authenticates or not, pipes, VLANs, the
slow path, commands while packets wait, raw frames). The fuzzer starts from
these; what it finds goes to a scratch directory, never here.

usage: tests/fuzz/make_corpus.py   (rewrites corpus/fuzz_cmd and corpus/fuzz_classify)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- fuzz_cmd: struct cascade_cmd (include/cascade/msg.h), 128 bytes each ----------------

PING, T_ADD, T_CONNECT, T_DEL, P_ADD, P_DEL, P_PAUSE, C_ADD, C_DEL, C_PAUSE, FLUSH, \
    T_SRTP, PIPE_SRTP, CMD_MAX = range(1, 15)
COMEDIA, MUX, PIPE = 1, 2, 4
AES80, AES32, GCM128, GCM256 = 1, 2, 3, 4
MASTER = {AES80: 30, AES32: 30, GCM128: 28, GCM256: 44}
# fuzz_cmd's knobs, in the header's padding
FOLD, ADDRS, KEYS, SETTLE, PUBLISH, LEARN, WIDE = 1, 2, 4, 8, 16, 32, 64


def addr(ip, port):
    """struct cascade_addr: family, pad, port (network order), 16 bytes of IP."""
    if ip is None:
        return bytes(20)
    if ':' in ip:
        head, tail = ip.split('::')
        words = [int(w, 16) for w in head.split(':') if w]
        last = [int(w, 16) for w in tail.split(':') if w]
        words += [0] * (8 - len(words) - len(last)) + last
        return bytes([6, 0]) + struct.pack('>H', port) + struct.pack('>8H', *words)
    return bytes([4, 0]) + struct.pack('>H', port) + bytes(map(int, ip.split('.'))) + bytes(12)


def cmd(ctype, body=b'', knobs=0, v=0):
    assert len(body) <= 112
    return struct.pack('<QHHI', 0, ctype, knobs, v) + body.ljust(112, b'\0')


def transport(obj, local, flags=MUX, port_id=0, suite=0, remote=None, remote_rtcp=None,
              local_rtcp=None, mac=b'\x02\0\0\0\0\x99'):
    return (struct.pack('<QHBB6s', obj, port_id, flags, suite, mac if remote else bytes(6)) +
            addr(*local) + addr(*(local_rtcp or (None, 0))) + addr(*(remote or (None, 0))) +
            addr(*(remote_rtcp or (None, 0))) + bytes(4))


def producer(obj, tid, ssrc, clock=90000, kind=2, paused=0):
    return struct.pack('<QQIIBBH4x', obj, tid, ssrc, clock, kind, paused, 0)


def consumer(obj, pid, tid, ssrc, paused=0, pt_map=(), remote=None, mac=bytes(6)):
    pts = b''.join(struct.pack('BB', i, o) for i, o in pt_map).ljust(16, b'\0')
    return (struct.pack('<QQQIBB2x', obj, pid, tid, ssrc, paused, len(pt_map)) + pts +
            bytes(16) + addr(*(remote or (None, 0))) + mac + bytes(6))


def obj(obj_id, paused=0):
    return struct.pack('<QB7x', obj_id, paused)


def key(suite, seed):
    return bytes((seed + 3 * i) & 0xff or 1 for i in range(MASTER[suite])).ljust(44, b'\0')


def tsrtp(obj_id, suite, rx, tx):
    return struct.pack('<QB7x44s44s', obj_id, suite, key(suite, rx), key(suite, tx))


def psrtp(obj_id, kind, suite, seed):
    return struct.pack('<QBB6x44s4x', obj_id, kind, suite, key(suite, seed))


L1 = ('10.0.0.1', 5000)
L2 = ('10.0.0.1', 5002)
R1 = ('10.0.0.101', 6000)
R2 = ('10.0.0.102', 6002)
PEER = ('10.0.0.201', 39999)


def cmd_seeds():
    s = {}
    s['ping_and_unknown'] = [cmd(PING), cmd(0), cmd(CMD_MAX), cmd(200)]
    s['transport_lifecycle'] = [
        cmd(T_ADD, transport(1, L1, remote=R1)),
        cmd(T_CONNECT, transport(1, L1, remote=R2)),
        cmd(T_ADD, transport(2, L2, flags=MUX | COMEDIA)),
        cmd(T_DEL, obj(1)),
        cmd(T_DEL, obj(1)),
        cmd(T_CONNECT, transport(1, L1, remote=R1)),
    ]
    s['fanout_objects'] = [
        cmd(T_ADD, transport(1, L1, remote=R1)),
        cmd(T_ADD, transport(2, L2, remote=R2)),
        cmd(P_ADD, producer(11, 1, 0x1111)),
        cmd(C_ADD, consumer(21, 11, 2, 0x2121)),
        cmd(C_ADD, consumer(22, 11, 1, 0x2222, pt_map=[(96, 100), (97, 101)])),
        cmd(C_PAUSE, obj(21, 1)),
        cmd(C_PAUSE, obj(21, 0)),
        cmd(P_PAUSE, obj(11, 1)),
        cmd(P_PAUSE, obj(11, 0)),
        cmd(C_DEL, obj(21)),
        cmd(P_DEL, obj(11)),
        cmd(T_DEL, obj(2)),
    ]
    s['retries_and_conflicts'] = [
        cmd(T_ADD, transport(1, L1, remote=R1)),
        cmd(T_ADD, transport(1, L1, remote=R1)),
        cmd(T_ADD, transport(1, L1, port_id=1, remote=R1)),
        cmd(T_ADD, transport(3, L1)),
        cmd(P_ADD, producer(11, 1, 7)),
        cmd(P_ADD, producer(11, 1, 7)),
        cmd(P_ADD, producer(12, 1, 7)),
        cmd(C_ADD, consumer(21, 11, 1, 9)),
        cmd(C_ADD, consumer(21, 11, 1, 9)),
        cmd(C_ADD, consumer(21, 11, 1, 10)),
        cmd(C_ADD, consumer(22, 99, 1, 9)),
        cmd(C_DEL, obj(23)),
    ]
    s['transport_cascade'] = [
        cmd(T_ADD, transport(1, L1, remote=R1)),
        cmd(T_ADD, transport(2, L2, remote=R2)),
        cmd(P_ADD, producer(11, 1, 1)),
        cmd(P_ADD, producer(12, 2, 2)),
        cmd(C_ADD, consumer(21, 11, 2, 21)),
        cmd(C_ADD, consumer(22, 12, 1, 22)),
        cmd(C_ADD, consumer(23, 11, 1, 23)),
        cmd(C_ADD, consumer(24, 12, 2, 24)),
        cmd(T_DEL, obj(1), knobs=PUBLISH),
        cmd(P_ADD, producer(11, 1, 1)),
        cmd(C_DEL, obj(24)),
        cmd(T_ADD, transport(1, L1, remote=R1), knobs=SETTLE),
        cmd(P_ADD, producer(11, 1, 1)),
    ]
    s['srtp_keys'] = [
        cmd(T_ADD, transport(1, L1, suite=AES80, remote=R1)),
        cmd(P_ADD, producer(11, 1, 0x51)),
        cmd(C_ADD, consumer(21, 11, 1, 0x52)),
        cmd(T_SRTP, tsrtp(1, AES80, 1, 2)),
        cmd(T_SRTP, tsrtp(1, AES80, 1, 2)),
        cmd(T_SRTP, tsrtp(1, AES80, 5, 2)),
        cmd(T_SRTP, tsrtp(1, AES80, 5, 6)),
        cmd(C_ADD, consumer(22, 11, 1, 0x53)),
        cmd(P_ADD, producer(12, 1, 0x54)),
        cmd(T_SRTP, tsrtp(1, GCM128, 1, 2)),
        cmd(T_ADD, transport(2, L2, remote=R2)),
        cmd(T_SRTP, tsrtp(2, AES80, 1, 2)),
        cmd(P_DEL, obj(11)),
    ]
    s['pipe_srtp'] = [
        cmd(T_ADD, transport(1, L1, suite=GCM128, flags=MUX | PIPE)),
        cmd(P_ADD, producer(11, 1, 0x61)),
        cmd(C_ADD, consumer(21, 11, 1, 0x62, remote=PEER, mac=b'\x02\0\0\0\0\x77')),
        cmd(PIPE_SRTP, psrtp(11, 1, GCM128, 9)),
        cmd(PIPE_SRTP, psrtp(21, 2, GCM128, 10)),
        cmd(PIPE_SRTP, psrtp(11, 1, GCM128, 9)),
        cmd(PIPE_SRTP, psrtp(11, 1, GCM128, 11)),
        cmd(PIPE_SRTP, psrtp(21, 1, GCM128, 10)),
        cmd(PIPE_SRTP, psrtp(11, 3, GCM128, 9)),
        cmd(PIPE_SRTP, psrtp(11, 1, AES80, 9)),
        cmd(C_ADD, consumer(22, 11, 1, 0x63)),
        cmd(T_CONNECT, transport(1, L1, remote=R1)),
        cmd(T_DEL, obj(1)),
    ]
    s['nonmux_ipv6_learn'] = [
        cmd(T_ADD, transport(1, ('2001:db8::1', 5000), flags=0,
                             local_rtcp=('2001:db8::1', 5001), remote=('2001:db8::101', 6000))),
        cmd(T_ADD, transport(2, L2, flags=MUX | COMEDIA)),
        # a worker's learns: slot 1 (the comedia one) from R1, RTP | MAC; then the RTCP remote
        cmd(T_CONNECT, transport(9, L1, flags=1 | 4, remote=R1), knobs=LEARN, v=1),
        cmd(T_CONNECT, transport(9, L1, flags=2, remote=(R1[0], R1[1] + 1)), knobs=LEARN, v=1),
        cmd(T_CONNECT, transport(9, L1, flags=1, remote=R2), knobs=LEARN, v=1),
        cmd(T_CONNECT, transport(1, ('2001:db8::1', 5000), remote=('2001:db8::102', 6000),
                                 remote_rtcp=('2001:db8::102', 6009))),
        cmd(T_CONNECT, transport(2, L2, remote=R1)),
    ]
    s['tables_full'] = [cmd(T_ADD, transport(i, ('10.0.0.1', 5000 + 2 * i))) for i in range(1, 10)]
    s['tables_full'] += [cmd(P_ADD, producer(100 + i, 1, i)) for i in range(17)]
    s['batches_and_grace'] = [
        cmd(T_ADD, transport(1, L1, remote=R1)),
        cmd(P_ADD, producer(11, 1, 1)),
        cmd(C_ADD, consumer(21, 11, 1, 2), knobs=SETTLE),
        cmd(C_DEL, obj(21), knobs=PUBLISH),
        cmd(C_ADD, consumer(21, 11, 1, 2), knobs=PUBLISH),
        cmd(C_DEL, obj(21)),
        cmd(C_ADD, consumer(21, 11, 1, 3), knobs=SETTLE),
        cmd(P_DEL, obj(11), knobs=PUBLISH),
        cmd(P_ADD, producer(11, 1, 1)),
    ]
    s['flush_midway'] = [
        cmd(T_ADD, transport(1, L1, remote=R1)),
        cmd(P_ADD, producer(11, 1, 1)),
        cmd(C_ADD, consumer(21, 11, 1, 2)),
        cmd(FLUSH),
        cmd(T_ADD, transport(1, L1, remote=R1)),
        cmd(P_ADD, producer(11, 1, 1)),
        cmd(FLUSH, knobs=SETTLE),
        cmd(FLUSH),
    ]
    s['bad_fields'] = [
        cmd(T_ADD, transport(1, L1)[:18] + bytes([9]) + transport(1, L1)[19:]),
        cmd(T_ADD, transport(2, L2, port_id=7)),
        cmd(T_ADD, transport(3, L1, flags=MUX | PIPE | COMEDIA)),
        cmd(T_ADD, transport(4, L2, flags=MUX | PIPE)),
        cmd(T_ADD, transport(5, L1, flags=PIPE)),
        cmd(T_ADD, transport(6, ('10.0.0.1', 5010), suite=7)),
        cmd(P_ADD, producer(11, 4, 1, clock=1)),
        cmd(P_ADD, producer(12, 4, 1, kind=3)),
        cmd(P_ADD, producer(0, 4, 1)),
        cmd(C_ADD, consumer(21, 11, 4, 1)),
        cmd(P_ADD, producer(13, 4, 1)),
        cmd(C_ADD, consumer(22, 13, 4, 1)),
        cmd(C_ADD, consumer(23, 13, 4, 1, remote=PEER, pt_map=[(96, 96)] * 8)),
        cmd(C_PAUSE, obj(23, 2)),
        cmd(T_SRTP, tsrtp(4, AES80, 1, 2)),
    ]
    s['steered'] = [
        cmd(T_ADD, bytes(range(7, 119)), knobs=FOLD | ADDRS, v=0x010203),
        cmd(P_ADD, bytes(range(1, 113)), knobs=FOLD | ADDRS, v=0x0100),
        cmd(C_ADD, bytes(range(3, 115)), knobs=FOLD | ADDRS, v=0x000001),
        cmd(T_SRTP, bytes(range(5, 117)), knobs=FOLD | KEYS),
        cmd(PIPE_SRTP, bytes(range(9, 121)), knobs=FOLD | KEYS, v=1),
        cmd(T_DEL, bytes(range(2, 114)), knobs=FOLD | WIDE | SETTLE),
    ]
    return {name: b''.join(c) for name, c in s.items()}


# ---- fuzz_classify: operations (see the top of fuzz_classify.c) -------------------------

TP_PLAIN, TP_COMEDIA, TP_NOMUX, TP_SRTP, TP_PIPE, TP_SRTP_COMEDIA, TP_V6, TP_SRTP_PIPE = range(8)
# sources
REMOTE, REMOTE_P1, REMOTE_P2, STRANGER, STRANGER_P1, STRANGER2, PIPE_PEER, OTHER_FAMILY = range(8)
# payload headers
RAW, RTP, RTP_B0, SR, RR, STUN, DTLS, RTP_PT97 = range(8)
# SSRC choices
SSRC_INPUT, SSRC_OWN, SSRC_OTHER, SSRC_UNKNOWN = range(4)
# VLAN choices
VLAN_PORT, VLAN_NONE, VLAN_100, VLAN_200 = range(4)
BURST, COMMAND, TIME, RAW_FRAME, MAIN = 3, 4, 5, 6, 7


def frame(t, worker=0, rtcp_port=False, vlan=VLAN_PORT, pad=False, src=REMOTE, no_cksum=False,
          ssrc=SSRC_OWN, protect=False, hdr=RTP, seq=1, ts=90, first=0x80, payload=b'pay'):
    a = worker | t << 1 | rtcp_port << 4 | vlan << 5 | pad << 7
    b = src | no_cksum << 3 | ssrc << 4 | protect << 6
    out = bytes([0, a, b, hdr, len(payload)])
    if hdr == RTP_B0:
        out += bytes([first & 0x3f])
    if hdr in (RTP, RTP_B0, RTP_PT97):
        out += struct.pack('>HII', seq, ts, 0x5eed)
    return out + payload


def command(what, which, resume=False):
    return bytes([COMMAND, what | resume << 2 | which << 3])


def raw_frame(data, worker=0, port=0):
    return bytes([RAW_FRAME | worker << 3 | port << 4, len(data)]) + data


def eth_ipv4_udp(src, sport, dst, dport, payload):
    udp = struct.pack('>HHHH', sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     bytes(map(int, src.split('.'))), bytes(map(int, dst.split('.'))))
    s = sum(struct.unpack('>10H', ip))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack('>H', ~s & 0xffff) + ip[12:]
    return b'\x02\0\0\0\0\x01\x02\0\0\0\0\xaa\x08\x00' + ip + udp


def classify_seeds():
    rtp_payload = bytes(range(40))
    s = {}
    s['fanout_both_workers'] = b''.join(
        frame(TP_PLAIN, worker=i & 1, seq=100 + i, ts=3000 * i, payload=rtp_payload) +
        (bytes([BURST]) if i % 3 == 2 else b'') for i in range(8)) + bytes([MAIN])
    s['comedia_learns_rtp'] = (
        frame(TP_COMEDIA, src=STRANGER, seq=1) + bytes([MAIN]) +
        frame(TP_COMEDIA, src=STRANGER2, seq=2) + frame(TP_COMEDIA, src=STRANGER, seq=3) +
        frame(TP_PLAIN, seq=4, payload=rtp_payload) + bytes([BURST, MAIN]))
    s['ffmpeg_rtcp_first'] = (
        frame(TP_COMEDIA, src=STRANGER_P1, hdr=SR, payload=b'') +
        frame(TP_COMEDIA, src=STRANGER_P1, hdr=RR, ssrc=SSRC_UNKNOWN, payload=b'') +
        bytes([MAIN]) + frame(TP_COMEDIA, src=STRANGER, seq=5) + bytes([MAIN]) +
        frame(TP_COMEDIA, src=STRANGER, seq=6) + frame(TP_COMEDIA, src=STRANGER_P1, hdr=SR, payload=b'') +
        bytes([MAIN]))
    s['nonmux_rtcp_port'] = (
        frame(TP_NOMUX, seq=7) + frame(TP_NOMUX, rtcp_port=True, src=REMOTE_P1, hdr=SR, payload=b'') +
        bytes([MAIN]) + frame(TP_NOMUX, rtcp_port=True, src=REMOTE_P1, hdr=RR, payload=b'') +
        frame(TP_NOMUX, rtcp_port=True, src=REMOTE_P2, hdr=RR, payload=b'') +
        frame(TP_NOMUX, rtcp_port=True, src=STRANGER, hdr=SR, payload=b'') +
        frame(TP_NOMUX, rtcp_port=True, seq=8) + bytes([BURST]))
    s['srtp_authentic_forged_replayed'] = (
        frame(TP_SRTP, protect=True, seq=10, payload=rtp_payload) +
        frame(TP_SRTP, protect=False, seq=11, payload=rtp_payload) +
        frame(TP_SRTP, protect=True, seq=10, payload=rtp_payload) +
        frame(TP_SRTP, protect=True, ssrc=SSRC_UNKNOWN, seq=12) +
        frame(TP_SRTP, protect=True, hdr=SR, payload=b'') + bytes([BURST, MAIN]))
    s['srtp_comedia_learns_when_authentic'] = (
        frame(TP_SRTP_COMEDIA, src=STRANGER, seq=1) + bytes([MAIN]) +
        frame(TP_SRTP_COMEDIA, src=STRANGER2, protect=True, seq=2) + bytes([MAIN]) +
        frame(TP_SRTP_COMEDIA, src=STRANGER2, protect=True, seq=3, worker=1) + bytes([BURST, MAIN]))
    s['pipes_any_source'] = (
        frame(TP_PIPE, src=PIPE_PEER, seq=1) + frame(TP_PIPE, src=STRANGER, seq=2, worker=1) +
        frame(TP_SRTP_PIPE, src=PIPE_PEER, protect=True, seq=3) +
        frame(TP_SRTP_PIPE, src=STRANGER2, protect=False, seq=4) +
        frame(TP_PLAIN, seq=5, payload=rtp_payload) + bytes([BURST, MAIN]))
    # the receiving node's SRTCP feedback (an RR, a PLI and a NACK about the SRTP pipe's
    # consumer, 0xc00b) from its feedback SSRC (SSRC_UNKNOWN with header bit 3): read when
    # protected with the stream's key from the peer; forged, or from another source, not
    fb = (bytes([0x81, 206, 0, 2]) + bytes(4) + struct.pack('>I', 0xc00b) +
          bytes([0x81, 205, 0, 3]) + bytes(4) + struct.pack('>IHH', 0xc00b, 3, 1))
    s['srtp_pipe_feedback'] = (
        frame(TP_SRTP_PIPE, src=PIPE_PEER, protect=True, seq=3, payload=rtp_payload) +
        frame(TP_SRTP_PIPE, src=PIPE_PEER, protect=True, seq=4, payload=rtp_payload) +
        bytes([BURST]) +
        frame(TP_SRTP_PIPE, src=PIPE_PEER, ssrc=SSRC_UNKNOWN, protect=True, hdr=RR | 8, payload=fb) +
        frame(TP_SRTP_PIPE, src=PIPE_PEER, ssrc=SSRC_UNKNOWN, protect=True, hdr=RR | 8, payload=fb,
              worker=1) +
        frame(TP_SRTP_PIPE, src=PIPE_PEER, ssrc=SSRC_UNKNOWN, hdr=RR | 8, payload=fb) +
        frame(TP_SRTP_PIPE, src=STRANGER, ssrc=SSRC_UNKNOWN, protect=True, hdr=RR | 8, payload=fb) +
        bytes([BURST, MAIN]))
    # a receiver's SRTCP from its own SSRC (0x9999) on an SRTP client transport: sent up
    # until the main lcore learns the SSRC from one that authenticates, then read on the
    # transport's fixed lcore (handed there from the other); forged ones dropped
    s['srtp_receiver_rtcp_learned'] = (
        frame(TP_SRTP, ssrc=SSRC_UNKNOWN, protect=True, hdr=RR, payload=fb) +
        frame(TP_SRTP, ssrc=SSRC_UNKNOWN, hdr=RR, payload=fb) + bytes([BURST, MAIN]) +
        frame(TP_SRTP, ssrc=SSRC_UNKNOWN, protect=True, hdr=RR, payload=fb) +
        frame(TP_SRTP, ssrc=SSRC_UNKNOWN, protect=True, hdr=RR, payload=fb, worker=1) +
        frame(TP_SRTP, ssrc=SSRC_UNKNOWN, hdr=RR, payload=fb, worker=1) +
        bytes([BURST, MAIN]) + command(3, TP_SRTP) + bytes([MAIN]))
    s['ipv6_and_other_family'] = (
        frame(TP_V6, seq=1, payload=rtp_payload) + frame(TP_V6, src=OTHER_FAMILY, seq=2) +
        frame(TP_PLAIN, src=OTHER_FAMILY, seq=3) + frame(TP_V6, hdr=SR, payload=b'') + bytes([BURST]))
    s['vlan_rules'] = b''.join(frame(TP_NOMUX, vlan=v, seq=20 + v) for v in range(4)) + b''.join(
        frame(TP_PLAIN, vlan=v, seq=30 + v) for v in range(4)) + frame(TP_PLAIN, pad=True, seq=40)
    s['slow_path'] = b''.join(frame(TP_PLAIN, hdr=STUN, payload=b'') for _ in range(10)) + (
        frame(TP_PLAIN, hdr=DTLS, payload=b'hello') + frame(TP_PLAIN, hdr=STUN, src=STRANGER,
                                                          payload=b'') +
        bytes([TIME, 50, 50]) + frame(TP_COMEDIA, hdr=STUN, src=STRANGER, payload=b'') +
        bytes([MAIN]))
    s['commands_while_waiting'] = (
        frame(TP_PLAIN, worker=1, seq=1) + frame(TP_COMEDIA, worker=0, seq=1) +
        command(2, TP_PLAIN, resume=True) + bytes([BURST]) +
        command(0, 4) + frame(TP_COMEDIA, src=STRANGER, seq=2) + command(0, 4, resume=True) +
        command(1, TP_NOMUX) + frame(TP_NOMUX, seq=3) + command(1, TP_NOMUX, resume=True) +
        frame(TP_NOMUX, seq=4) + command(3, TP_V6) + frame(TP_V6, seq=5) + bytes([BURST, MAIN]))
    s['sr_after_rtp'] = (
        frame(TP_PLAIN, seq=1, payload=rtp_payload) + frame(TP_PLAIN, src=REMOTE_P1, hdr=SR, payload=b'') +
        bytes([BURST, MAIN]) + frame(TP_PLAIN, hdr=SR, payload=b'') + bytes([BURST]))
    s['payload_types_and_resync'] = (
        frame(TP_V6, hdr=RTP_PT97, seq=1) + frame(TP_V6, seq=2) + frame(TP_V6, seq=60000) +
        frame(TP_V6, seq=59999) + bytes([TIME, 20, 20]) +
        frame(TP_V6, hdr=RTP_B0, first=0x30, seq=3, payload=bytes(24)) + bytes([BURST]))
    s['raw_frames'] = (
        raw_frame(eth_ipv4_udp('10.0.0.101', 5000, '10.0.0.1', 40000,
                               bytes([0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0x10, 0]) + bytes(8))) +
        raw_frame(eth_ipv4_udp('10.0.0.101', 5000, '10.0.0.1', 40000, b'\x80')[:30]) +
        raw_frame(bytes(14)) + bytes([BURST]))
    s['comedia_from_source_port_0'] = (
        raw_frame(eth_ipv4_udp('10.0.0.66', 0, '10.0.0.1', 40002,
                               bytes([0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0x10, 1]) + bytes(8))) +
        bytes([BURST, MAIN]) + frame(TP_COMEDIA, src=STRANGER, seq=2) + bytes([BURST, MAIN]))
    s['raw_payloads'] = (
        frame(TP_PLAIN, hdr=RAW, ssrc=SSRC_INPUT, payload=b'\x80\xc8\x00\x06' + bytes(24)) +
        frame(TP_PLAIN, hdr=RAW, ssrc=SSRC_OWN, payload=b'\x90\x60\x00\x01' + bytes(8) +
              b'\xbe\xde\x00\x01\x10\xff\x00\x00') +
        frame(TP_PLAIN, hdr=RAW, ssrc=SSRC_OTHER, payload=b'\xa0\x60' + bytes(10) + b'\x00\x03') +
        frame(TP_PLAIN, hdr=RAW, payload=b'\x40') + bytes([BURST]))
    return s


def write(target, seeds):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    for name, data in sorted(seeds.items()):
        with open(os.path.join(d, name + '.bin'), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    write('fuzz_cmd', cmd_seeds())
    write('fuzz_classify', classify_seeds())
