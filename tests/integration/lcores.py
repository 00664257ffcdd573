#!/usr/bin/env python3
"""lcores.py: the scenario of test_dp_lcores.sh (stdlib only, plus rtptool.py's helpers).

One cascade-dp with two worker lcores reads two interfaces as two RX queues (net_pcap
rx_iface_in=a0,rx_iface_in=a1), so this script decides which worker receives each frame:
every producer's packets alternate between the two, as RSS would spread a producer that
sends from several tuples, a pipe fed by several peers, or RTCP on its own port. Each
worker transmits on its own queue (tx_pcap=out0.pcap,tx_pcap=out1.pcap).

  setup                         the cascade-dpctl batch that installs the scenario
  inject --srtp-dir D ...       the frames, alternately on b0 and b1, each group waited for
                                until the dataplane counted it
  check --out0 P --out1 P ...   what left, consumer by consumer (see cmd_check)
  send --file F --src A --dst B [--first I --count N]
                                packets I..I+N-1 of a file srtp_peer protect wrote (or
                                --rtcp-unknown: one plain RTCP receiver report), each as a
                                frame on --iface, each waited for until the dataplane
                                counted it (other tests use this to inject SRTP)

Producers: P1 plain on a connected rtcp-mux transport; P2 SRTP (AES_CM_128_HMAC_SHA1_80)
on a connected one; P3 plain on a non-mux transport whose sender reports come from the
sender's next port (RFC 3550 11) on the other queue; P4 on an SRTP pipe transport
(AEAD_AES_128_GCM, its own stream key) fed from two peer nodes at once, with forged
packets (plain, and under another key) from a third source; P5 on a comedia transport.
Every producer has two plain consumers, P1 and P2 one SRTP consumer more.
"""
import argparse
import base64
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtptool  # noqa: E402  (the frame builders and pcap reader of test_pcap_fanout)

N = 240  # RTP packets per producer
SR_EVERY = 40  # P3 sends a sender report after every SR_EVERY packets
FORGED = 20  # forged packets of each kind towards the pipe
STRANGER = 10  # P5 packets from a tuple that is not the learned one

DP_MAC = "02:00:c6:12:10:01"
INJ_MAC = "02:00:c6:12:10:02"
RX_MAC = "02:00:c6:12:10:0f"  # where every consumer's packets go

CM80 = "AES_CM_128_HMAC_SHA1_80"
GCM128 = "AEAD_AES_128_GCM"
KEY_P2 = bytes(range(1, 31))           # what P2's sender protects with (30 bytes)
KEY_NODE = bytes(range(101, 131))      # what the node protects SRTP consumers with
KEY_PIPE = bytes(range(41, 69))        # P4's pipe stream (28 bytes)
KEY_WRONG = bytes(range(201, 229))     # a forger's guess

# id: local, rtcp (non-mux) or None, remote (None: comedia), flags
TRANSPORTS = {
    1: dict(local="198.18.0.1:10000", remote="198.18.0.2:5000"),
    2: dict(local="198.18.0.1:10002", remote="198.18.0.2:5002", srtp=(CM80, KEY_P2, KEY_NODE)),
    3: dict(local="198.18.0.1:10004", rtcp="198.18.0.1:10005", remote="198.18.0.2:5004"),
    4: dict(local="198.18.0.1:7000", pipe=GCM128),
    5: dict(local="198.18.0.1:10006", comedia=True),
    # the consumers' side
    11: dict(local="198.18.0.1:20000", remote="198.18.2.1:30000", mac=RX_MAC),
    12: dict(local="198.18.0.1:20002", remote="198.18.2.2:30002", mac=RX_MAC),
    13: dict(local="198.18.0.1:20004", remote="198.18.2.3:30004", mac=RX_MAC,
             srtp=(CM80, KEY_NODE, KEY_NODE)),
}
PRODUCERS = {
    21: dict(transport=1, ssrc=0x11110001, src="198.18.0.2:5000"),
    22: dict(transport=2, ssrc=0x22220002, src="198.18.0.2:5002"),
    23: dict(transport=3, ssrc=0x33330003, src="198.18.0.2:5004", rtcp_src="198.18.0.2:5005"),
    24: dict(transport=4, ssrc=0x44440004, src=("198.18.1.2:7000", "198.18.1.3:7000")),
    25: dict(transport=5, ssrc=0x55550005, src="198.18.0.3:6000", stranger="198.18.0.3:6001"),
}
# consumer id: producer, transport, SSRC
CONSUMERS = {}
for _pid in PRODUCERS:
    CONSUMERS[100 + _pid] = (_pid, 11, 0xC0010000 + _pid)
    CONSUMERS[200 + _pid] = (_pid, 12, 0xC0020000 + _pid)
for _pid in (21, 22):
    CONSUMERS[300 + _pid] = (_pid, 13, 0xC0030000 + _pid)


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def cmd_setup(_a):
    out = []
    for tid, t in TRANSPORTS.items():
        w = ["transport-add", str(tid), t["local"]]
        if "pipe" in t:
            w += ["--pipe", "--srtp", t["pipe"]]
        else:
            w += ["--rtcp", t["rtcp"]] if "rtcp" in t else ["--mux"]
            if t.get("comedia"):
                w += ["--comedia"]
            if "remote" in t:
                w += ["--remote", t["remote"]]
            if "mac" in t:
                w += ["--mac", t["mac"]]
            if "srtp" in t:
                w += ["--srtp", t["srtp"][0]]
        out.append(" ".join(w))
        if "srtp" in t:
            suite, rx, tx = t["srtp"]
            out.append(f"transport-srtp {tid} {suite} {rx.hex()} {tx.hex()}")
    for pid, p in PRODUCERS.items():
        out.append(f"producer-add {pid} {p['transport']} {p['ssrc']:#x} --clock 90000 --kind video")
    out.append(f"pipe-srtp producer 24 {GCM128} {KEY_PIPE.hex()}")
    for cid, (pid, tid, ssrc) in CONSUMERS.items():
        out.append(f"consumer-add {cid} {pid} {tid} {ssrc:#x}")
    print("\n".join(out))
    return 0


def srtp_file(path):
    """The packets srtp_peer protect wrote: [(len:2, bytes)]."""
    data, out, off = open(path, "rb").read(), [], 0
    while off < len(data):
        (n,) = struct.unpack("!H", data[off:off + 2])
        out.append(data[off + 2:off + 2 + n])
        off += 2 + n
    return out


def frame(src, dst, payload):
    return rtptool.ip_udp_frame(hostport(src), hostport(dst), payload, dst_mac=DP_MAC,
                                src_mac=INJ_MAC)


def plain_rtp(ssrc, i):
    return rtptool.rtp(96, 1000 + i, 90000 + 3000 * i, ssrc, bytes((i + k) & 0xFF for k in range(160)))


def plan(srtp_dir):
    """[(frame, tag)] in sending order; the i-th frame of each producer goes to queue i % 2."""
    p2 = srtp_file(os.path.join(srtp_dir, "p2.bin"))
    p4 = srtp_file(os.path.join(srtp_dir, "p4.bin"))
    p4_wrong = srtp_file(os.path.join(srtp_dir, "p4-wrong.bin"))
    assert len(p2) == N and len(p4) == N and len(p4_wrong) == FORGED
    out = []
    # P5's first packet teaches its comedia transport the remote
    tl = {pid: TRANSPORTS[p["transport"]]["local"] for pid, p in PRODUCERS.items()}
    for i in range(N):
        out.append((frame(PRODUCERS[21]["src"], tl[21], plain_rtp(PRODUCERS[21]["ssrc"], i)), "rtp"))
        out.append((frame(PRODUCERS[22]["src"], tl[22], p2[i]), "rtp"))
        out.append((frame(PRODUCERS[23]["src"], tl[23], plain_rtp(PRODUCERS[23]["ssrc"], i)), "rtp"))
        out.append((frame(PRODUCERS[24]["src"][i % 2], tl[24], p4[i]), "rtp"))
        out.append((frame(PRODUCERS[25]["src"], tl[25], plain_rtp(PRODUCERS[25]["ssrc"], i)), "rtp"))
        if i % SR_EVERY == SR_EVERY - 1:
            sr = rtptool.sr(PRODUCERS[23]["ssrc"], 0xE1000000_00000000 + i, 90000 + 3000 * i, i + 1, 160 * (i + 1))
            out.append((frame(PRODUCERS[23]["rtcp_src"], TRANSPORTS[3]["rtcp"], sr), "sr"))
        if i < FORGED:
            # from a third source: the pipe's SSRC in clear text, and under a wrong key
            forger = "198.18.9.9:9000"
            out.append((frame(forger, tl[24], plain_rtp(PRODUCERS[24]["ssrc"], N + i)), "forged"))
            out.append((frame(forger, tl[24], p4_wrong[i]), "forged"))
        if N // 2 <= i < N // 2 + STRANGER:
            # once P5's transport has learned its remote (inject waits for that)
            out.append((frame(PRODUCERS[25]["stranger"], tl[25],
                              plain_rtp(PRODUCERS[25]["ssrc"], N + i)), "stranger"))
    return out


def dpctl(a, *args):
    r = subprocess.run([a.dpctl, "-s", a.segment, *args], capture_output=True, text=True,
                       timeout=10)
    if r.returncode != 0:
        raise RuntimeError(f"cascade-dpctl {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return dict(line.split(None, 1) for line in r.stdout.splitlines() if " " in line)


def cmd_inject(a):
    frames = plan(a.srtp_dir)
    socks = []
    for ifname in (a.iface0, a.iface1):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        s.bind((ifname, 0))
        socks.append(s)
    base = int(dpctl(a, "stats")["rx_packets"])
    per_producer = {}
    learned = False
    for g in range(0, len(frames), a.group):
        if not learned and any(t == "stranger" for _, t in frames[g:g + a.group]):
            # a stranger's packet must come after the comedia transport learned its remote
            deadline = time.monotonic() + a.timeout
            while not learned and time.monotonic() < deadline:
                r = subprocess.run([a.dpctl, "-s", a.segment, "dump"], capture_output=True,
                                   text=True, timeout=10)
                learned = any(l.startswith("transport id=0x5 ") and
                              f"remote={PRODUCERS[25]['src']}" in l for l in r.stdout.splitlines())
            if not learned:
                print("inject: transport 5 never learned its remote", file=sys.stderr)
                return 1
        for fr, _tag in frames[g:g + a.group]:
            # alternate each source's frames between the two queues
            key = fr[26:38]  # IPv4 addresses and ports: one sequence per flow
            q = per_producer.get(key, 0)
            per_producer[key] = q + 1
            socks[q % 2].send(fr)
        sent = min(g + a.group, len(frames))
        deadline, rx = time.monotonic() + a.timeout, 0
        while time.monotonic() < deadline:
            rx = int(dpctl(a, "stats")["rx_packets"]) - base
            if rx >= sent:
                break
            time.sleep(0.002)
        if rx != sent:
            print(f"inject: sent {sent} frames, the dataplane counted {rx}", file=sys.stderr)
            return 1
    print(f"inject: {len(frames)} frames on two queues")
    return 0


def wait_counted(a, want):
    """Until the dataplane's rx_packets reaches want; False after --timeout."""
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        if int(dpctl(a, "stats")["rx_packets"]) >= want:
            return True
        time.sleep(0.002)
    return False


def cmd_send(a):
    if a.rtcp_unknown:
        # RFC 3550 6.4.2: an RR of an SSRC no producer has, no report blocks
        pkts = [struct.pack("!BBHI", 0x80, 201, 1, 0x0BADC0DE)]
    else:
        pkts = srtp_file(a.file)[a.first:a.first + a.count]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((a.iface, 0))
    base = int(dpctl(a, "stats")["rx_packets"])
    for i, p in enumerate(pkts):
        s.send(frame(a.src, a.dst, p))
        if not wait_counted(a, base + i + 1):
            print(f"send: packet {i} was not counted", file=sys.stderr)
            return 1
    print(f"sent {len(pkts)}")
    return 0


def outputs(path):
    """{dst port: [UDP payload]} of one output pcap, in order."""
    out = {}
    for fr in rtptool.pcap_read(path):
        if fr[12:14] != b"\x08\x00" or fr[23] != 17:
            continue
        u = 14 + (fr[14] & 15) * 4
        dport = struct.unpack("!H", fr[u + 2:u + 4])[0]
        out.setdefault(dport, []).append(fr[u + 8:])
    return out


def cmd_check(a):
    """Each consumer's packets left from one lcore only, its producer's owner (the dump's
    lcore=); their sequence numbers are exactly N consecutive values; SRTP consumers'
    packets all unprotect; P3's consumers got every sender report; the counters add up."""
    errs = []
    owner = {}
    for line in open(a.dump):
        if line.startswith("producer "):
            kv = dict(w.split("=", 1) for w in line.split()[1:])
            owner[int(kv["id"], 16)] = int(kv["lcore"]) if "lcore" in kv else None
    stats = {}
    for line in open(a.stats):
        k, v = line.split()
        stats[k] = int(v)
    outs = [outputs(a.out0), outputs(a.out1)]
    for cid, (pid, tid, ssrc) in CONSUMERS.items():
        port = hostport(TRANSPORTS[tid]["remote"])[1]
        where = []
        for w in (0, 1):
            pkts = [p for p in outs[w].get(port, []) if len(p) >= 12 and
                    struct.unpack("!I", p[8:12] if p[1] < 192 or p[1] > 223 else p[4:8])[0] == ssrc]
            if pkts:
                where.append((w, pkts))
        if len(where) != 1:
            errs.append(f"consumer {cid}: packets from lcores {[w for w, _ in where]}, want one")
            continue
        w, pkts = where[0]
        if w != owner.get(pid):
            errs.append(f"consumer {cid}: sent by worker {w}, producer {pid} is owned by {owner.get(pid)}")
        rtp = [p for p in pkts if not 192 <= p[1] <= 223]
        rtcp = [p for p in pkts if 192 <= p[1] <= 223]
        # packets of one producer that two queues received may leave reordered (as on the
        # wire); none may be lost, doubled or renumbered (no wrap in this range)
        seqs = sorted(struct.unpack("!H", p[2:4])[0] for p in rtp)
        first = seqs[0] if seqs else 0
        if seqs != list(range(first, first + N)):
            errs.append(f"consumer {cid}: {len(seqs)} RTP packets, want {N} consecutive "
                        f"sequence numbers (missing {sorted(set(range(first, first + N)) - set(seqs))[:5]}, "
                        f"duplicates {len(seqs) - len(set(seqs))})")
        want_sr = N // SR_EVERY if pid == 23 else 0
        if len(rtcp) != want_sr:
            errs.append(f"consumer {cid}: {len(rtcp)} sender reports, want {want_sr}")
        if TRANSPORTS[tid].get("srtp"):
            path = os.path.join(a.tmp, f"c{cid}.bin")
            with open(path, "wb") as f:
                for p in pkts:
                    f.write(struct.pack("!H", len(p)) + p)
            key = base64.b64encode(KEY_NODE).decode()
            r = subprocess.run([a.srtp_peer, "unprotect", CM80, key, path], capture_output=True,
                               text=True, timeout=30)
            if r.stdout.split() != ["ok", str(N), "bad", "0", "rtcp", "0"]:
                errs.append(f"consumer {cid}: srtp_peer unprotect: {r.stdout.strip()} {r.stderr.strip()}")
    want = {"drop_srtp_auth": 2 * FORGED, "drop_srtp_replay": 0, "drop_srtp_error": 0,
            "drop_remote_mismatch": STRANGER, "drop_handoff_full": 0, "drop_producer_gone": 0,
            "drop_seq_late": 0, "drop_no_route": 0, "drop_no_mbuf": 0, "drop_tx_full": 0}
    for k, v in want.items():
        if stats.get(k) != v:
            errs.append(f"stats {k}: {stats.get(k)}, want {v}")
    if not stats.get("handoff_out") or stats.get("handoff_out") != stats.get("handoff_in"):
        errs.append(f"hand-offs: out {stats.get('handoff_out')} in {stats.get('handoff_in')}, "
                    "want equal and not zero")
    if len(set(owner.values())) != 2:
        errs.append(f"owners {owner}: want producers spread over both workers")
    for e in errs:
        print("MISMATCH:", e)
    print(f"check: {len(CONSUMERS)} consumers, {N} packets each, handoffs {stats.get('handoff_in')}")
    return 1 if errs else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("setup")
    p = sub.add_parser("inject")
    p.add_argument("--srtp-dir", required=True)
    p.add_argument("--iface0", default="b0")
    p.add_argument("--iface1", default="b1")
    p.add_argument("--dpctl", required=True)
    p.add_argument("--segment", required=True)
    p.add_argument("--group", type=int, default=16)
    p.add_argument("--timeout", type=float, default=10)
    p = sub.add_parser("check")
    for o in ("--out0", "--out1", "--dump", "--stats", "--srtp-peer", "--tmp"):
        p.add_argument(o, required=True)
    p = sub.add_parser("send")
    p.add_argument("--file")
    p.add_argument("--rtcp-unknown", action="store_true")
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--count", type=int, default=1 << 30)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--iface", default="b0")
    p.add_argument("--dpctl", required=True)
    p.add_argument("--segment", required=True)
    p.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()
    return {"setup": cmd_setup, "inject": cmd_inject, "check": cmd_check,
            "send": cmd_send}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
