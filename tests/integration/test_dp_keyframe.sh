#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Keyframe requests, merged on the producer's owning lcore (dataplane/dp_keyframe.c).
#
# Two workers (two RX queues, one per interface, and two TX queues into out0.pcap and
# out1.pcap, as in dp_lcores), --keyframe-interval-ms 300. Three video producers: P10
# negotiated PLI (rtcp-mux), P11 only FIR (RTCP on its own port), P12 neither. Four
# consumers: two of P10, one of P11, one of P12, on two receivers' transports.
#  - Adding a consumer asks for a keyframe: P10 gets one PLI at once and, for its second
#    consumer, one more when the interval ends; P11 a FIR.
#  - Then the receivers send 20 PLIs for P10's consumers, 5 FIRs for P11's and 3 PLIs for
#    P12's, on both queues. Every request is counted (keyframe_requests_in), but a
#    sender gets at most one request per interval: consecutive requests to one sender
#    are at least the interval apart (the events' clock), P10's sender sees a handful for 22
#    asks, each FIR has a new sequence number, and P12's sender gets nothing
#    (keyframe_requests_unsent). Every request that went out is an event for the
#    control plane. What goes out is an RFC 3550 compound: an empty RR from the node's
#    RTCP SSRC, then the PLI or FIR naming the producer's SSRC, to where the sender's
#    RTCP goes (the remote, or the next port without rtcp-mux).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
require_cmd python3 ip
require_bin "$CASCADE_DP" "$CASCADE_DPCTL"
need_hugepages 32

dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }
stat() { dpctl stats | awk -v k="$1" '$1 == k {print $2}'; }

veth_ns dp 2
ns=$NETNS
cpus=$(nproc)
last=$((cpus > 1 ? 1 : 0))
bg ip netns exec "$ns" "$CASCADE_DP" --lcores "0@0,1@$last,2@$last" --file-prefix "$dpdk_prefix" \
	--no-pci --vdev "net_pcap0,rx_iface_in=a0,rx_iface_in=a1,tx_pcap=$TEST_TMP/out0.pcap,tx_pcap=$TEST_TMP/out1.pcap" \
	-- --segment "$seg_name" --keyframe-interval-ms 300 --max-transports 16 --max-producers 16 \
	--max-consumers 16 --mbufs 2047 --hdr-mbufs 2047 --clone-mbufs 2047 >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
dpctl --timeout-ms 15000 wait || fail "cascade-dp did not come up (see dp.log)"

dpctl batch >"$TEST_TMP/setup.log" 2>&1 <<EOF || fail "setup: $(cat "$TEST_TMP/setup.log")"
transport-add 1 198.18.0.1:10000 --mux --remote 198.18.0.2:5000 --mac 02:00:c6:12:10:02
transport-add 2 198.18.0.1:10002 --rtcp 198.18.0.1:10003 --remote 198.18.0.2:5002 --mac 02:00:c6:12:10:02
transport-add 3 198.18.0.1:10004 --mux --remote 198.18.0.2:5004 --mac 02:00:c6:12:10:02
producer-add 10 1 0x10101010 --kind video --fb pli,nack
producer-add 11 2 0x11111111 --kind video --fb fir
producer-add 12 3 0x12121212 --kind video
transport-add 21 198.18.0.1:20000 --mux --remote 198.18.2.1:30000 --mac 02:00:c6:12:10:0f
transport-add 22 198.18.0.1:20002 --mux --remote 198.18.2.2:30002 --mac 02:00:c6:12:10:0f
consumer-add 31 10 21 0xC0000031
consumer-add 32 10 22 0xC0000032
consumer-add 33 11 21 0xC0000033
consumer-add 34 12 22 0xC0000034
EOF
# the two adds of P10's consumers: one PLI now, the merged one when the interval ends
wait_for "[[ \$(stat keyframe_requests_out) == 3 ]]" 10 ||
	fail "want 3 requests out after the adds: $(dpctl stats | grep keyframe | tr '\n' ' ')"

log "the receivers ask: 20 PLIs for P10, 5 FIRs for P11, 3 PLIs for P12, on both queues"
ip netns exec "$ns" python3 - "$SRC_DIR/tests/integration" "$CASCADE_DPCTL" "$seg_name" <<'EOF' ||
import socket, struct, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
import rtptool

def frame(src, dst, payload):
    h, p = src
    return rtptool.ip_udp_frame(src, dst, payload, dst_mac="02:00:c6:12:10:01",
                                src_mac="02:00:c6:12:10:02")

def pli(sender, media):  # RFC 4585 6.3.1, after an RR (RFC 3550 A.2)
    return rtptool.rr(sender) + struct.pack("!BBHII", 0x81, 206, 2, sender, media)

def fir(sender, media, seq):  # RFC 5104 4.3.1.1
    return rtptool.rr(sender) + struct.pack("!BBHIIIBBBB", 0x84, 206, 4, sender, 0, media, seq, 0, 0, 0)

r1, r2 = ("198.18.2.1", 30000), ("198.18.2.2", 30002)
t21, t22 = ("198.18.0.1", 20000), ("198.18.0.1", 20002)
asks = []
for i in range(10):
    asks.append(frame(r1, t21, pli(0xAAAA0001, 0xC0000031)))
    asks.append(frame(r2, t22, pli(0xAAAA0002, 0xC0000032)))
for i in range(5):
    asks.append(frame(r1, t21, fir(0xAAAA0001, 0xC0000033, i + 1)))
for i in range(3):
    asks.append(frame(r2, t22, pli(0xAAAA0002, 0xC0000034)))
socks = []
for name in ("b0", "b1"):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((name, 0))
    socks.append(s)
def rx():
    st = subprocess.run([sys.argv[2], "-s", sys.argv[3], "stats"], capture_output=True, text=True).stdout
    return int(dict(l.split() for l in st.splitlines())["rx_packets"])
base = rx()
for i, fr in enumerate(asks):
    socks[i % 2].send(fr)
deadline = time.monotonic() + 10
while rx() < base + len(asks) and time.monotonic() < deadline:
    time.sleep(0.01)
sys.exit(0 if rx() == base + len(asks) else f"counted {rx() - base} of {len(asks)}")
EOF
	fail "cannot inject the requests"
# every ask counted; the merged ones leave when the interval ends, then nothing waits
wait_for "[[ \$(stat keyframe_requests_in) == 31 && \$(stat keyframe_requests_unsent) == 3 ]]" 10 ||
	fail "asks: $(dpctl stats | grep keyframe | tr '\n' ' ')"
prev=-1
for ((i = 0; i < 20; i++)); do
	now=$(stat keyframe_requests_out)
	((now == prev)) && break
	prev=$now
	sleep 0.4 # longer than the interval: a merged request would have gone by now
done
dpctl stats | grep -E 'keyframe|handoff|drop_packets|rtcp' >&2
dpctl events >"$TEST_TMP/events.txt"
out=$(stat keyframe_requests_out)
[[ $(grep -c '^keyframe_request ' "$TEST_TMP/events.txt") == "$out" ]] ||
	fail "want one event per request out ($out): $(cat "$TEST_TMP/events.txt")"
grep -q '^keyframe_request producer=0xb as=fir ' "$TEST_TMP/events.txt" || fail "no FIR event for P11"
# at most one request per sender per interval, on the sending worker's clock (-10 ms slack)
awk '{split($2, p, "="); split($4, t, "="); if (p[2] in last && t[2] - last[p[2]] < 290000)
	{print "too close:", $0; bad = 1} last[p[2]] = t[2]} END {exit bad}' "$TEST_TMP/events.txt" ||
	fail "two requests to one sender inside the interval: $(cat "$TEST_TMP/events.txt")"
[[ $(stat drop_rtcp_terminated) == 28 ]] || fail "the receivers' RTCP must end here (28)"

dp_sigint "$dp_pid" # its pcap files are complete once it has exited

python3 - "$SRC_DIR/tests/integration" "$TEST_TMP/out0.pcap" "$TEST_TMP/out1.pcap" <<'EOF' ||
import struct, sys
sys.path.insert(0, sys.argv[1])
import rtptool

errs, seen, node = [], {}, set()
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        fr = data[off + 16:off + 16 + incl]
        off += 16 + incl
        u = 14 + (fr[14] & 15) * 4
        dport = struct.unpack("!H", fr[u + 2:u + 4])[0]
        p = fr[u + 8:]
        if len(p) < 8 or p[1] != 201:
            continue
        # RFC 3550 A.2: an empty RR (RC 0, length 1) first, then the request
        if p[0] != 0x80 or struct.unpack("!H", p[2:4])[0] != 1:
            errs.append(f"to port {dport}: not an empty RR first: {p[:8].hex()}")
        rr_ssrc = struct.unpack("!I", p[4:8])[0]
        fb = p[8:]
        kind = {(0x81, 206): "pli", (0x84, 206): "fir"}.get((fb[0], fb[1]))
        sender = struct.unpack("!I", fb[4:8])[0]
        media = struct.unpack("!I", fb[8:12])[0]
        node.add(rr_ssrc)
        if kind is None or sender != rr_ssrc or rr_ssrc == 0:
            errs.append(f"to port {dport}: {fb[:12].hex()}")
            continue
        if kind == "fir":
            if media != 0 or len(fb) != 20:
                errs.append(f"FIR: media {media:#x}, {len(fb)} bytes")
            target, seq = struct.unpack("!IB", fb[12:17])
            seen.setdefault(dport, []).append((sec + usec / 1e6, kind, target, seq))
        else:
            seen.setdefault(dport, []).append((sec + usec / 1e6, kind, media, None))
if len(node) != 1:
    errs.append(f"the node's RTCP SSRC changed: {node}")
want = {5000: ("pli", 0x10101010), 5003: ("fir", 0x11111111)}
for port, (kind, ssrc) in want.items():
    got = seen.get(port, [])  # one owner, one file: in the order it sent them
    if any(k != kind or s != ssrc for _, k, s, _ in got):
        errs.append(f"port {port}: {got}")
    print(f"port {port}: {len(got)} {kind}s")
    if port == 5000 and not 3 <= len(got) <= 6:
        errs.append(f"P10's sender got {len(got)} PLIs for 22 asks: want the two adds' and a few merged")
    if port == 5003:
        seqs = [q for *_, q in got]
        if len(got) < 2 or seqs != list(range(1, len(got) + 1)):
            errs.append(f"FIR sequence numbers {seqs}: want 1, 2, ... one per new request")
if seen.get(5004):
    errs.append(f"P12's sender negotiated nothing but got {seen[5004]}")
for e in errs:
    print("MISMATCH:", e)
sys.exit(1 if errs else 0)
EOF
	fail "the requests that went out differ (MISMATCH lines above)"
pass "keyframe requests merged per producer per interval, PLI or FIR as negotiated"
