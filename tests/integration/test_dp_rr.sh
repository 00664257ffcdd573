#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Receiver reports to a producer's sender (RFC 3550 6.4.2), checked against tshark.
#
# A video producer's sender sends 300 RTP packets 10 ms apart (every 25th one left out,
# and a sender report after the 150th) into cascade-dp, which is its receiver. tshark
# captures what reached the dataplane's interface and analyses the stream (-z
# rtp,streams). The RRs cascade-dp sends back (every 0.5-1.5 s) must carry one report
# block on the producer's SSRC that agrees with the stream: the extended highest
# sequence number of what had arrived, the cumulative lost up to then (tshark's count
# at the end, for the last RR), a fraction lost, the interarrival jitter within tshark's
# range for the stream, LSR the middle of the SR's NTP time and DLSR the time since it
# arrived; each compound is an RR and an SDES CNAME from the node's RTCP SSRC.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
require_cmd python3 ip tshark
require_bin "$CASCADE_DP" "$CASCADE_DPCTL"
need_hugepages 32

dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }
stat() { dpctl stats | awk -v k="$1" '$1 == k {print $2}'; }

netns_add dp
ns=$NETNS
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 || fail "cannot disable IPv6 in $ns"
ip -n "$ns" link add a0 type veth peer name b0 || fail "cannot create the veth pair"
ip -n "$ns" link set a0 address 02:00:c6:12:10:01
ip -n "$ns" link set a0 up
ip -n "$ns" link set b0 up
bg ip netns exec "$ns" "$CASCADE_DP" -l 0-1 --file-prefix "$dpdk_prefix" --no-pci \
	--vdev "net_pcap0,rx_iface_in=a0,tx_pcap=$TEST_TMP/out.pcap" -- --segment "$seg_name" \
	--max-transports 16 --max-producers 16 --max-consumers 16 --mbufs 2047 \
	--hdr-mbufs 2047 --clone-mbufs 2047 >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
dpctl --timeout-ms 15000 wait || fail "cascade-dp did not come up (see dp.log)"
dpctl batch >"$TEST_TMP/setup.log" 2>&1 <<EOF || fail "setup: $(cat "$TEST_TMP/setup.log")"
transport-add 1 198.18.0.1:10000 --mux --remote 198.18.0.2:5000 --mac 02:00:c6:12:10:02
producer-add 10 1 0x10101010 --kind video
EOF

bg ip netns exec "$ns" tshark -i a0 -Q -w "$TEST_TMP/in.pcap" -f "udp dst port 10000" \
	>"$TEST_TMP/tshark.log" 2>&1
tshark_pid=$BG_PID
wait_for "[[ -s $TEST_TMP/in.pcap ]]" 10 || fail "tshark did not start capturing"

log "the sender: 300 packets, 10 ms apart, every 25th left out, an SR after the 150th"
ip netns exec "$ns" python3 - "$SRC_DIR/tests/integration" <<'EOF' || fail "cannot send"
import socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
import rtptool

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.bind(("b0", 0))
def frame(payload):
    return rtptool.ip_udp_frame(("198.18.0.2", 5000), ("198.18.0.1", 10000), payload,
                                dst_mac="02:00:c6:12:10:01", src_mac="02:00:c6:12:10:02")
t0 = time.monotonic()
for i in range(300):
    # 10 ms apart on the sender's clock; the wire adds what it adds (tshark measures it)
    time.sleep(max(0.0, t0 + 0.01 * i - time.monotonic()))
    if i % 25 != 24:
        # PT 34 (H.263, RFC 3551): a static 90 kHz type, so tshark computes the jitter too
        s.send(frame(rtptool.rtp(34, 1000 + i, 900 * i, 0x10101010, bytes(200))))
    if i == 150:
        s.send(frame(rtptool.sr(0x10101010, 0xE1234567_89ABCDEF, 900 * i, i, 200 * i)))
EOF
# the last RR after the last packet: one more interval (at most 1.5 s)
n0=$(stat receiver_reports_out)
wait_for "[[ \$(stat receiver_reports_out) -gt $n0 ]]" 5 || fail "no receiver report after the stream"
stop "$tshark_pid"
kill -INT "$dp_pid"
wait_for "! kill -0 $dp_pid 2>/dev/null || [[ \$(ps -o stat= -p $dp_pid) == Z* ]]" 30 ||
	fail "cascade-dp still running 30 s after SIGINT"
wait "$dp_pid" || fail "cascade-dp exited $? on SIGINT"

tshark -r "$TEST_TMP/in.pcap" -q -d udp.port==10000,rtp -o rtp.heuristic_rtp:TRUE \
	-z rtp,streams >"$TEST_TMP/streams.txt" 2>&1 || fail "tshark -z rtp,streams failed"
cat "$TEST_TMP/streams.txt" >&2
python3 - "$SRC_DIR/tests/integration" "$TEST_TMP/out.pcap" "$TEST_TMP/streams.txt" <<'EOF' ||
import re, struct, sys
sys.path.insert(0, sys.argv[1])
import rtptool

errs = []
line = next(l for l in open(sys.argv[3]) if "0x10101010" in l.lower())
# tshark: ... SSRC Payload Pkts Lost Min Delta(ms) Mean Delta Max Delta Min Jitter(ms) Mean Jitter Max Jitter Problem?
after = line.split("0x10101010", 1)[1].split()
# payload name, packets, lost "N (P%)", min/mean/max delta, min/mean/max jitter, problem
pkts, lost = int(after[1]), int(after[2])
jit = [float(x) for x in after[7:10]]  # min, mean, max jitter in ms
rrs = []
for fr in rtptool.pcap_read(sys.argv[2]):
    u = 14 + (fr[14] & 15) * 4
    p = fr[u + 8:]
    if len(p) >= 2 and p[1] == 201:
        rrs.append(p)
if len(rrs) < 2:
    errs.append(f"{len(rrs)} receiver reports, want at least 2 in 3 s")
node = {struct.unpack("!I", p[4:8])[0] for p in rrs}
for p in rrs:
    # RFC 3550 6.4.2 + 6.5: RR with RC 1 (32 bytes), then SDES with a CNAME
    if p[0] != 0x81 or struct.unpack("!H", p[2:4])[0] != 7 or p[33] != 202 or p[40] != 1:
        errs.append(f"not RR(1 block) + SDES CNAME: {p[:44].hex()}")
last = rrs[-1]
src, fl, ext, jitter, lsr, dlsr = struct.unpack("!IIIIII", last[8:32])
frac, cum = fl >> 24, fl & 0xFFFFFF
if len(node) != 1 or 0 in node:
    errs.append(f"the RRs' own SSRC: {node}")
if src != 0x10101010:
    errs.append(f"report block on {src:#x}")
if ext != 1000 + 298:  # 299 (1299) was left out: the highest that arrived is 1298
    errs.append(f"extended highest sequence {ext}, want 1298")
# tshark counts the holes it saw between first and last packet; so does A.3
if cum != lost:
    errs.append(f"cumulative lost {cum}, tshark counts {lost}")
if lsr != 0x456789AB:
    errs.append(f"LSR {lsr:#x}, want the SR's middle 32 bits 0x456789ab")
# the SR came ~1.5 s before the end, the last RR up to 1.5 s after: DLSR 1.5 .. 3.5 s
if not 1.0 * 65536 <= dlsr <= 4.0 * 65536:
    errs.append(f"DLSR {dlsr / 65536:.2f} s")
jms = jitter / 90.0
# the RR's jitter is one moment of the series tshark summarises: inside its range, with
# 1 ms of slack for where each clock stamps the arrival
if not jit[0] - 1.0 <= jms <= jit[2] + 1.0:
    errs.append(f"jitter {jms:.2f} ms outside tshark's {jit[0]}..{jit[2]} ms")
print(f"rrs {len(rrs)}: last lost {cum} (tshark {lost}), fraction {frac}/256, ext {ext}, "
      f"jitter {jms:.2f} ms (tshark {jit[0]}..{jit[2]}), dlsr {dlsr / 65536:.2f} s")
for e in errs:
    print("MISMATCH:", e)
sys.exit(1 if errs else 0)
EOF
	fail "the receiver reports disagree (MISMATCH lines above)"
pass "receiver reports agree with tshark's analysis of the same stream"
