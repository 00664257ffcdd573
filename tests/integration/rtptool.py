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

from rtpmodel import *  # noqa: F401,F403
from rtpscene import *  # noqa: F401,F403
from rtpwire import *  # noqa: F401,F403

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

    # 4. No mbuf leaked: every pool back to its idle level, but for the video producer's
    # last packets, which its retransmission buffer holds (all of them: fewer than its depth).
    held = after["info"]["rtx_held"]
    ck.eq("rtx_held (the video producer's packets kept for NACKs)", held > 0, True)
    for pool in ("pool_pkt", "pool_hdr", "pool_clone"):
        extra = held if pool == "pool_pkt" else 0
        ck.eq(f"{pool} in_use after traffic (baseline {before['info'][pool]['in_use']}"
              f" + {extra} held for retransmission)",
              after["info"][pool]["in_use"], before["info"][pool]["in_use"] + extra)
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
