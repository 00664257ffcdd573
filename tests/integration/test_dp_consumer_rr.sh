#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A consumer's receiver reports (RFC 3550 6.4.1), read by the dataplane into the
# consumer's record in the segment (cascade-dpctl obj consumer).
#
# Two workers (two RX queues, one per interface, as in dp_keyframe): the sender's packets
# come in on a0, the receiver's RTCP on a1, so one of the two reaches a worker that does
# not own the producer and is handed over. The dataplane sends out of a0 and a1
# themselves (one TX queue each), so the receiver (raw sockets on b0, b1) really gets
# the consumer's packets and SR. A video producer sends 10 RTP
# packets; its consumer's receiver
#  1. reports before any SR: LSR 0, fraction 51/256, 7 lost, highest sequence 0x1002a,
#     jitter 450 (5 ms at 90 kHz): the figures, no round trip;
#  2. gets the SR the producer's sender sends, as the consumer's own (its NTP time
#     unchanged), holds it 200 ms and reports with LSR = the middle of that NTP time and
#     DLSR = how long it held it, in a compound with a block about an SSRC that is no
#     consumer: the round trip is at most the time from the SR's injection to the
#     report's count less the hold, and the new figures (-1 lost: duplicates) replace
#     the old;
#  3. reports on an older SR: the figures change, the round trip does not.
# Each report is counted once (receiver_reports_in); the test waits on that counter.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
require_cmd python3 ip
require_bin "$CASCADE_DP" "$CASCADE_DPCTL"
need_hugepages 32

dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }

veth_ns dp 2
ns=$NETNS
ip -n "$ns" link set b0 address 02:00:c6:12:10:0e
ip -n "$ns" link set b1 address 02:00:c6:12:10:0f
cpus=$(nproc)
last=$((cpus > 1 ? 1 : 0))
bg ip netns exec "$ns" "$CASCADE_DP" --lcores "0@0,1@$last,2@$last" --file-prefix "$dpdk_prefix" \
	--no-pci --vdev "net_pcap0,rx_iface_in=a0,rx_iface_in=a1,tx_iface=a0,tx_iface=a1" \
	-- --segment "$seg_name" --rtcp-report-ms 0 --max-transports 16 --max-producers 16 \
	--max-consumers 16 --mbufs 2047 --hdr-mbufs 2047 --clone-mbufs 2047 >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
dpctl --timeout-ms 15000 wait || fail "cascade-dp did not come up (see dp.log)"

dpctl batch >"$TEST_TMP/setup.log" 2>&1 <<EOF || fail "setup: $(cat "$TEST_TMP/setup.log")"
transport-add 1 198.18.0.1:10000 --mux --remote 198.18.0.2:5000 --mac 02:00:c6:12:10:0e
producer-add 10 1 0x10101010 --kind video
transport-add 21 198.18.0.1:20000 --mux --remote 198.18.2.1:30000 --mac 02:00:c6:12:10:0f
consumer-add 31 10 21 0xC0000031
EOF

ip netns exec "$ns" python3 - "$SRC_DIR/tests/integration" "$CASCADE_DPCTL" "$seg_name" \
	"$dpdk_prefix" <<'EOF' ||
import select, socket, struct, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
import rtptool, rtpwire

dpctl = [sys.argv[2], "-s", sys.argv[3]]
errs = []

def stat(key):
    out = subprocess.run(dpctl + ["stats"], capture_output=True, text=True, check=True).stdout
    return next(int(l.split()[1]) for l in out.splitlines() if l.split()[:1] == [key])

def obj():
    out = subprocess.run(dpctl + ["obj", "consumer", "31"], capture_output=True, text=True,
                         check=True).stdout
    return dict(l.split(None, 1) for l in out.splitlines())

def wait_stat(key, want, timeout=10):
    end = time.monotonic() + timeout
    while stat(key) < want:
        if time.monotonic() > end:
            sys.exit(f"{key} stayed at {stat(key)}, want {want}")
        time.sleep(0.02)
    return time.monotonic()

def sock(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((ifname, 0))
    return s

snd, rcv = sock("b0"), sock("b1")
def to_dp(s, src, dst, payload, mac):
    s.send(rtpwire.ip_udp_frame(src, dst, payload, dst_mac=mac, src_mac="02:00:c6:12:10:0f"))

def from_sender(payload):
    to_dp(snd, ("198.18.0.2", 5000), ("198.18.0.1", 10000), payload, "02:00:c6:12:10:01")

def from_receiver(payload):
    to_dp(rcv, ("198.18.2.1", 30000), ("198.18.0.1", 20000), payload, "02:00:c6:12:10:02")

def received(want_pt, timeout=5):
    """The next packet for the consumer's SSRC with RTCP type or RTP payload type want_pt
    (out of a0 or a1: the interface of the producer's owning worker's queue)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([snd, rcv], [], [], max(0.0, end - time.monotonic()))
        if not r:
            break
        fr, addr = r[0].recvfrom(2048)
        if addr[2] == socket.PACKET_OUTGOING:
            continue  # what this script sent
        if len(fr) < 42 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
            continue
        p = fr[14 + (fr[14] & 15) * 4 + 8:]
        if len(p) >= 8 and p[1] == want_pt and struct.unpack("!I", p[4:8])[0] == 0xC0000031:
            return p, time.monotonic()
        if len(p) >= 12 and p[1] & 0x7F == want_pt and struct.unpack("!I", p[8:12])[0] == 0xC0000031:
            return p, time.monotonic()
    sys.exit(f"nothing of type {want_pt} reached the consumer's receiver")

def block(ssrc, fraction, lost, ext, jitter, lsr, dlsr):
    return struct.pack("!IIIIII", ssrc, fraction << 24 | (lost & 0xFFFFFF), ext, jitter, lsr, dlsr)

def rr(*blocks):
    return rtpwire.rr(0x5EC0FFEE, blocks) + rtpwire.sdes_cname(0x5EC0FFEE, b"receiver")

def want(o, **kw):
    for k, v in kw.items():
        if o.get(k) != str(v):
            errs.append(f"{k} {o.get(k)}, want {v}")

for i in range(10):
    from_sender(rtpwire.rtp(96, 1000 + i, 90000 + 3000 * i, 0x10101010, bytes(200)))
    received(96)
o = obj()
want(o, rtcp_reports=0)

# 1. before any SR
from_receiver(rr(block(0xC0000031, 51, 7, 0x1002A, 450, 0, 0)))
wait_stat("receiver_reports_in", 1)
o = obj()
want(o, rtcp_reports=1, fraction_lost=51, packets_lost=7, ext_max_seq=0x1002A, jitter=450,
     jitter_us=5000, clock_rate=90000, rtts=0, rtt_us="-")

# 2. the SR, as the consumer's own, held 200 ms, echoed
ntp = 0xE1234567_89ABCDEF
t1 = time.monotonic()
from_sender(rtpwire.sr(0x10101010, ntp, 90000 + 3000 * 10, 10, 2000))
sr, t2 = received(200)
got = struct.unpack("!Q", sr[8:16])[0]
if got != ntp:
    errs.append(f"the consumer's SR carries NTP {got:#x}, not the sender's {ntp:#x}")
lsr = got >> 16 & 0xFFFFFFFF
time.sleep(0.2)  # the receiver's hold: what its DLSR says
# 1 ms less than the hold, so the round trip is never below 0 for where the clocks stamp
dlsr = int((time.monotonic() - t2 - 0.001) * 65536)
from_receiver(rr(block(0x12345678, 0, 0, 0, 0, lsr, dlsr),
                 block(0xC0000031, 0, -1, 0x10030, 900, lsr, dlsr)))
t4 = wait_stat("receiver_reports_in", 2)
o = obj()
want(o, rtcp_reports=2, fraction_lost=0, packets_lost=-1, ext_max_seq=0x10030, jitter=900,
     jitter_us=10000, rtts=1)
rtt = int(o.get("rtt_us", "-1")) if o.get("rtt_us", "-").isdigit() else -1
bound = (t4 - t1 - dlsr / 65536) * 1e6
if not 0 <= rtt <= bound:
    errs.append(f"round trip {rtt} us, want 0..{bound:.0f} (the SR's way there and the RR's back)")

# 3. on an older SR
from_receiver(rr(block(0xC0000031, 25, 8, 0x10040, 90, lsr - 1, 100)))
wait_stat("receiver_reports_in", 3)
o = obj()
want(o, rtcp_reports=3, fraction_lost=25, packets_lost=8, ext_max_seq=0x10040, rtts=1, rtt_us=rtt)
# DPDK telemetry says the same (ids in hex there: consumer 31 is 1f)
tel = rtptool.telemetry(sys.argv[4], "/cascade/consumer,1f")["/cascade/consumer,1f"]
tel = tel.get("/cascade/consumer") or {}
for k, v in (("rtcp_reports", 3), ("fraction_lost", 25), ("packets_lost", 8),
             ("ext_max_seq", 0x10040), ("rtts", 1), ("rtt_us", rtt)):
    if tel.get(k) != v:
        errs.append(f"telemetry /cascade/consumer,1f {k} {tel.get(k)}, want {v}")
print(f"round trip {rtt} us (at most {bound:.0f}), hold {dlsr / 65536 * 1000:.1f} ms; "
      f"handed over: {stat('handoff_out')}")
for e in errs:
    print("MISMATCH:", e)
sys.exit(1 if errs else 0)
EOF
	fail "the consumer's record disagrees with what its receiver reported (see above)"
[[ $(dpctl stats | awk '$1 == "receiver_reports_in" {print $2}') == 3 ]] ||
	fail "receiver_reports_in: $(dpctl stats | grep receiver_reports)"
pass "the consumer's loss, jitter and round trip as its receiver reported them"
