#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Consumers' NACKs answered from the retransmission buffer (dataplane/dp_nack.c).
#
# One worker on net_pcap (a veth in, out.pcap out), --rtx-depth 64, --rtx-ms 10000 (so
# that nothing the test NACKs is too old, however slow the host). A video producer
# P10 with two consumers (C31, C32) and an audio producer P11 (no buffer: audio) with
# one (C33). The sender sends 100 video packets (seq 1000-1099) and 20 audio ones, then
# the receivers send generic NACKs (RFC 4585 6.2.1, after an RR):
#  - C31: 1090 with BLP bits 1 and 3 (1090, 1091, 1093): sent again;
#    1030 (out of the 64 the buffer holds), 1200 (never sent): not;
#  - C33, audio: 505: not (no buffer);
#  - C31 paused and resumed, five more packets; then 1095 (from before the resume: its
#    numbering may have changed) is not sent again, 1102 is; C32's 1095 is.
#  - C32 storms: 40 NACKs for every packet held: what it gets again is bounded by its
#    budget (--rtx-share 100: the stream's bytes, plus a 256 KiB burst), the rest counted.
# Then the first hop: the sender skips 1105-1109 (sends 1110). P10 negotiated NACK, so
# Cascade NACKs the sender for them (RTPFB FMT 1 after an empty RR, from the node's RTCP
# SSRC, media 0x10101010, to where the sender's RTCP goes) and again every 100 ms; the
# sender sends 1107 again on its RTX stream (RFC 4588: SSRC 0xE0101010, payload type 97
# for 96, the OSN first): unwrapped, recovered, forwarded late as the media packet it
# repairs; 1110 twice (the second is a duplicate: dropped, not forwarded); and two RTX
# packets that go no further: padding only (a bandwidth probe), and an undeclared
# payload type.
# Last, C35 negotiated RTX (RFC 4588: SSRC 0xD0000035, payload type 101 for its 100): its
# NACK for 1095 is answered with an RTX packet: the RTX SSRC and payload type, a sequence
# number of the RTX stream's own, the original timestamp and marker, and the original
# sequence number in front of the original payload.
# Every NACKed number counts (nacked_packets_in), sent or not (retransmissions_out,
# _missing, _limited). In out.pcap each packet sent again is byte for byte the packet the
# consumer got the first time (sequence number, timestamp, SSRC, payload, checksum), and
# nothing else is sent twice.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
require_cmd python3 ip
require_bin "$CASCADE_DP" "$CASCADE_DPCTL"
need_hugepages 32

dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }
stat() { dpctl stats | awk -v k="$1" '$1 == k {print $2}'; }
obj() { dpctl obj "$1" "$2" | awk -v k="$3" '$1 == k {print $2}'; }
expect() { # expect COUNTER VALUE
	wait_for "[[ \$(stat $1) == $2 ]]" 10 || fail "$1: $(stat "$1"), want $2 ($(dpctl stats | grep -E 'nack|retrans' | tr '\n' ' '))"
}

veth_ns dp 1
ns=$NETNS
pcap_dp --rtcp-report-ms 0 --keyframe-interval-ms 0 --rtx-depth 64 --rtx-ms 10000
dpctl batch >"$TEST_TMP/setup.log" 2>&1 <<EOF || fail "setup: $(cat "$TEST_TMP/setup.log")"
transport-add 1 198.18.0.1:10000 --mux --remote 198.18.0.2:5000 --mac 02:00:c6:12:10:02
producer-add 10 1 0x10101010 --kind video --fb pli,nack --rtx 0xE0101010:97/96
producer-add 11 1 0x11111111 --kind audio
transport-add 21 198.18.0.1:20000 --mux --remote 198.18.2.1:30000 --mac 02:00:c6:12:10:0f
transport-add 22 198.18.0.1:20002 --mux --remote 198.18.2.2:30002 --mac 02:00:c6:12:10:0f
consumer-add 31 10 21 0xC0000031
consumer-add 32 10 22 0xC0000032
consumer-add 33 11 21 0xC0000033
consumer-add 35 10 22 0xC0000035 --pt 96:100 --rtx 0xD0000035:101
EOF

# inject WHAT: frames from the sender or the receivers on b0 (see the script)
inject() {
	ip netns exec "$ns" python3 - "$SRC_DIR/tests/integration" "$@" <<'EOF'
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
import rtpwire

def frame(src, dst, payload):
    return rtpwire.ip_udp_frame(src, dst, payload, dst_mac="02:00:c6:12:10:01",
                                src_mac="02:00:c6:12:10:02")

def nack(sender, media, entries):  # RFC 4585 6.2.1, after an RR (RFC 3550 A.2)
    fci = b"".join(struct.pack("!HH", pid, blp) for pid, blp in entries)
    return rtpwire.rr(sender) + struct.pack("!BBHII", 0x81, 205, 2 + len(entries), sender,
                                            media) + fci

snd, tp1 = ("198.18.0.2", 5000), ("198.18.0.1", 10000)
r1, t21 = ("198.18.2.1", 30000), ("198.18.0.1", 20000)
r2, t22 = ("198.18.2.2", 30002), ("198.18.0.1", 20002)
what, frames = sys.argv[2], []
if what == "media":
    first, n = int(sys.argv[3]), int(sys.argv[4])
    for i in range(first, first + n):
        body = bytes([i & 0xFF]) * 1000
        frames.append(frame(snd, tp1, rtpwire.rtp(96, i, 90000 + 3000 * i, 0x10101010, body)))
    if len(sys.argv) > 5:
        for i in range(500, 520):
            frames.append(frame(snd, tp1, rtpwire.rtp(111, i, 960 * i, 0x11111111, bytes(100))))
elif what == "nack1":
    frames.append(frame(r1, t21, nack(0xAAAA0001, 0xC0000031, [(1090, 0b101)])))
    frames.append(frame(r1, t21, nack(0xAAAA0001, 0xC0000031, [(1030, 0), (1200, 0)])))
    frames.append(frame(r1, t21, nack(0xAAAA0001, 0xC0000033, [(505, 0)])))
elif what == "nack2":
    frames.append(frame(r1, t21, nack(0xAAAA0001, 0xC0000031, [(1095, 0), (1102, 0)])))
    frames.append(frame(r2, t22, nack(0xAAAA0002, 0xC0000032, [(1095, 0)])))
elif what == "rtx":
    def rtx(pt, seq, body, pad=0):
        return frame(snd, tp1, rtpwire.rtp(pt, seq, 90000 + 3000 * 1107, 0xE0101010, body, pad=pad))
    frames.append(rtx(97, 5000, struct.pack("!H", 1107) + bytes([1107 & 0xFF]) * 1000))
    frames.append(rtx(97, 5001, b"", pad=200))
    frames.append(rtx(98, 5002, struct.pack("!H", 1108) + bytes(10)))
elif what == "nack_rtx":
    frames.append(frame(r2, t22, nack(0xAAAA0002, 0xC0000035, [(1095, 0)])))
elif what == "storm":
    entries = [(1041 + 17 * k, 0xFFFF) for k in range(4)]  # 1041-1108: the 64 held and 4 more
    for _ in range(40):
        frames.append(frame(r2, t22, nack(0xAAAA0002, 0xC0000032, entries)))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.bind(("b0", 0))
for fr in frames:
    s.send(fr)
EOF
}

inject media 1000 100 audio || fail "cannot send the media"
expect rtp_packets 120
log "100 video and 20 audio packets forwarded; the receivers NACK"
inject nack1 || fail "cannot send the NACKs"
expect nacked_packets_in 6
expect retransmissions_out 3
expect retransmissions_missing 3

dpctl consumer-pause 31 >/dev/null && dpctl consumer-resume 31 >/dev/null || fail "pause/resume"
inject media 1100 5 || fail "cannot send the media"
expect rtp_packets 125
inject nack2 || fail "cannot send the NACKs"
expect nacked_packets_in 9
expect retransmissions_out 5
expect retransmissions_missing 4
log "after a resume: only what was sent under the current numbering goes again"

rx=$(obj producer 10 rx_bytes)
before=$(obj consumer 32 tx_bytes)
inject storm || fail "cannot send the storm"
expect nacked_packets_in $((9 + 40 * 68))
again=$(obj consumer 32 retransmitted_packets)
sent=$(($(obj consumer 32 tx_bytes) - before))
limited=$(stat retransmissions_limited)
log "storm: C32 got $again packets ($sent bytes) again; $limited refused (producer received $rx bytes)"
((limited > 0)) || fail "a storm of 2,720 NACKs was not limited"
((sent <= rx + 256 * 1024)) || fail "C32 was sent $sent bytes again, more than its budget $((rx + 256 * 1024))"
[[ $(stat retransmissions_out) == $((5 + again - 1)) ]] ||
	fail "retransmissions_out $(stat retransmissions_out), want $((5 + again - 1))"

inject media 1110 1 || fail "cannot send the media"
expect rtp_packets 126
wait_for "(( \$(stat nacked_packets_out) >= 5 ))" 10 || fail "no NACK to the sender: $(dpctl stats | grep -E 'nack' | tr '\n' ' ')"
inject rtx && inject media 1110 1 || fail "cannot send the media"
expect nack_recovered 1
expect drop_rtp_duplicate 1
expect drop_rtx_empty 1
expect drop_rtx_pt 1
expect rtp_packets 128 # the duplicate too: accepted, then dropped
# the four still missing are asked for again (a retry covers fewer numbers than the first)
wait_for "(( \$(stat nacks_out) >= 2 ))" 10 || fail "no second NACK: $(dpctl stats | grep -E 'nack' | tr '\n' ' ')"
log "the sender's gap NACKed: $(dpctl stats | grep -E '^nack' | tr '\n' ' ')"

out=$(stat retransmissions_out)
inject nack_rtx || fail "cannot send the NACK"
expect retransmissions_out $((out + 1))
[[ $(obj consumer 35 retransmitted_packets) == 1 ]] || fail "C35 got $(obj consumer 35 retransmitted_packets) packets again, want 1"

dp_sigint "$dp_pid" # its pcap files are complete once it has exited

python3 - "$SRC_DIR/tests/integration" "$TEST_TMP/out.pcap" "$again" <<'EOF' ||
import struct, sys
sys.path.insert(0, sys.argv[1])
import rtpwire

by = {}  # (consumer SSRC, seq) -> [UDP datagrams]
for fr in rtpwire.pcap_read(sys.argv[2]):
    if len(fr) < 42 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
        continue
    ihl = (fr[14] & 0x0F) * 4
    udp = fr[14 + ihl:]
    rtp = udp[8:]
    if len(rtp) < 12 or rtp[1] >= 200 and rtp[1] <= 206:
        continue
    seq, ssrc = struct.unpack("!H", rtp[2:4])[0], struct.unpack("!I", rtp[8:12])[0]
    by.setdefault((ssrc, seq), []).append(udp)
errs = []
twice = {(0xC0000031, s) for s in (1090, 1091, 1093, 1102)}  # C32: its storm, counted below
for key, copies in sorted(by.items()):
    if any(c != copies[0] for c in copies):
        errs.append(f"{key[0]:#x} seq {key[1]}: copies differ")
    if key in twice and len(copies) != 2:
        errs.append(f"{key[0]:#x} seq {key[1]}: {len(copies)} copies, want 2 (sent again once)")
    if key[0] not in (0xC0000032, 0xD0000035) and key not in twice and len(copies) != 1:
        errs.append(f"{key[0]:#x} seq {key[1]}: {len(copies)} copies, want 1")
rtx = [c for k, v in by.items() if k[0] == 0xD0000035 for c in v]
orig = by.get((0xC0000035, 1095), [b""])[0][8:]
if len(rtx) != 1:
    errs.append(f"{len(rtx)} RTX packets for C35, want 1")
elif not orig:
    errs.append("C35's packet 1095 is not in the capture")
else:
    r = rtx[0][8:]
    if r[1] & 0x7F != 101 or r[1] >> 7 != orig[1] >> 7 or r[4:8] != orig[4:8]:
        errs.append(f"RTX header {r[:12].hex()}, want PT 101, the marker and timestamp of {orig[:12].hex()}")
    if r[12:14] != struct.pack("!H", 1095) or r[14:] != orig[12:]:
        errs.append("the RTX payload is not the OSN 1095 and the original payload")
# 1107 came as RTX: the consumers got the media packet it repairs
for ssrc in (0xC0000031, 0xC0000032):
    got = by.get((ssrc, 1107), [b""])[0][8:]
    nxt = by.get((ssrc, 1110), [b""])[0][8:]
    ts = lambda r: struct.unpack("!I", r[4:8])[0] if len(r) >= 8 else -1
    if got[1:2] != b"\x60" or (ts(nxt) - ts(got)) % (1 << 32) != 9000 or \
            got[12:] != bytes([1107 & 0xFF]) * 1000:
        errs.append(f"{ssrc:#x} seq 1107 (from RTX): {got[:16].hex()}..., want PT 96, "
                    "its timestamp (3 frames before 1110's) and payload")
if any(k[0] == 0xC0000035 and len(v) != 1 for k, v in by.items()):
    errs.append("C35 got a media packet twice (its retransmission must be RTX)")
c32 = sum(len(v) - 1 for k, v in by.items() if k[0] == 0xC0000032)
if c32 != int(sys.argv[3]):
    errs.append(f"C32 got {c32} packets again in the capture, the counter says {sys.argv[3]}")
for ssrc, n in ((0xC0000031, 107), (0xC0000032, 107), (0xC0000033, 20), (0xC0000035, 107)):
    got = len({k for k in by if k[0] == ssrc})
    if got != n:
        errs.append(f"{ssrc:#x}: {got} distinct packets, want {n}")
# what went to the sender: NACKs (after an empty RR) from the node's RTCP SSRC for P10
asked = []
for fr in rtpwire.pcap_read(sys.argv[2]):
    if len(fr) < 42 or fr[12:14] != b"\x08\x00" or fr[23] != 17 or fr[30:34] != bytes([198, 18, 0, 2]):
        continue
    rtcp = fr[42:]
    if len(rtcp) < 20 or rtcp[1] != 201 or rtcp[9] != 205 or rtcp[8] & 0x1F != 1:
        continue
    if struct.unpack("!I", rtcp[4:8]) != struct.unpack("!I", rtcp[12:16]) or \
            struct.unpack("!I", rtcp[16:20])[0] != 0x10101010:
        errs.append(f"a NACK from the wrong SSRC or about the wrong stream: {rtcp.hex()}")
    seqs = []
    for off in range(20, 8 + 4 * (struct.unpack("!H", rtcp[10:12])[0] + 1), 4):
        pid, blp = struct.unpack("!HH", rtcp[off:off + 4])
        seqs += [pid] + [pid + i + 1 for i in range(16) if blp >> i & 1]
    asked.append(seqs)
# before 1107 came: all five; after: the other four (and never the five again)
full, rest = [1105, 1106, 1107, 1108, 1109], [1105, 1106, 1108, 1109]
k = 0
while k < len(asked) and asked[k] == full:
    k += 1
if k == 0 or k == len(asked) or any(s != rest for s in asked[k:]):
    errs.append(f"the NACKs to the sender ask for {asked}: want 1105-1109, then without 1107")
print("\n".join(errs), file=sys.stderr)
sys.exit(1 if errs else 0)
EOF
	fail "the capture does not show the retransmissions as expected (above)"
pass "NACKs answered from the buffer, byte for byte; old, unknown and audio ones counted; a storm bounded"
