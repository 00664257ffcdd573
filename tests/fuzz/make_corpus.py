#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of fuzz_cmd.

Each seed is one situation the dataplane must handle, spelled in the input
format its target documents at the top of tests/fuzz/fuzz_cmd.c: command
sequences (lifecycles, retries and conflicts, cascades, SRTP keys, pipes,
full tables, batches, bad fields). The fuzzer starts from these; what it
finds goes to a scratch directory, never here.

usage: tests/fuzz/make_corpus.py   (rewrites corpus/fuzz_cmd)
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
