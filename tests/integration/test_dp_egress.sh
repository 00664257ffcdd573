#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# What every egress path must respect: the port's VLAN and the port's MTU.
#
# cascade-dp runs one net_pcap port (frames in from a veth, out to a pcap) configured
# with --vlan 100. One IPv4 producer has three consumers: IPv4, IPv6 (20 bytes more of
# IP header) and SRTP (a 10-byte tag more). Frames tagged with VLAN 100 are taken; an
# untagged one and one of VLAN 200 are dropped as vlan. Every frame that leaves carries
# VLAN 100. A 1500-byte IP packet (the port's MTU) reaches the IPv4 consumer only: the
# IPv6 and the SRTP copies would be larger than the MTU and are dropped as too_big, on
# the consumer; a 1480-byte one reaches all three; so do the sender reports.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
require_cmd python3 ip
SRTP_PEER=$BUILD_DIR/tests/integration/srtp_peer
require_bin "$CASCADE_DP" "$CASCADE_DPCTL" "$SRTP_PEER"
need_hugepages 32

dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }
KEY=$(python3 -c 'print(bytes(range(1, 31)).hex())')
KEY64=$(python3 -c 'import base64; print(base64.b64encode(bytes(range(1, 31))).decode())')

veth_ns dp 1 02:00:c6:12:20
ns=$NETNS
pcap_dp --vlan 100 --rtcp-report-ms 0
grep -q 'mtu=1500 vlan=100' "$TEST_TMP/dp.log" || fail "the port is not VLAN 100, MTU 1500: $(grep port= "$TEST_TMP/dp.log")"

dpctl batch >"$TEST_TMP/setup.log" 2>&1 <<EOF || fail "setup: $(cat "$TEST_TMP/setup.log")"
transport-add 1 198.18.0.1:10000 --mux --remote 198.18.0.2:5000 --mac 02:00:c6:12:20:02
producer-add 10 1 0x11110000 --clock 90000 --kind video
transport-add 2 198.18.0.1:20002 --mux --remote 198.18.2.2:30002 --mac 02:00:c6:12:20:0f
transport-add 3 [2001:db8::1]:20000 --mux --remote [2001:db8::2]:30000 --mac 02:00:c6:12:20:0f
transport-add 4 198.18.0.1:20004 --mux --remote 198.18.2.4:30004 --mac 02:00:c6:12:20:0f --srtp AES_CM_128_HMAC_SHA1_80
transport-srtp 4 AES_CM_128_HMAC_SHA1_80 $KEY $KEY
consumer-add 21 10 2 0x22220000
consumer-add 22 10 3 0x22220001
consumer-add 23 10 4 0x22220002
EOF

# the frames: (IP packet length, VLAN) of RTP, then an SR; RFC 3550 sequence 1000..
ip netns exec "$ns" python3 - "$SRC_DIR/tests/integration" b0 "$CASCADE_DPCTL" "$seg_name" <<'EOF' ||
import struct, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
import rtptool

def frame(ip_len, vlan, payload=None, seq=0):
    if payload is None:
        # srtp_peer's payload pattern: byte k is c + k
        payload = rtptool.rtp(96, 1000 + seq, 3000 * seq, 0x11110000,
                              bytes((seq + k) & 0xFF for k in range(ip_len - 20 - 8 - 12)))
    fr = rtptool.ip_udp_frame(("198.18.0.2", 5000), ("198.18.0.1", 10000), payload,
                              dst_mac="02:00:c6:12:20:01", src_mac="02:00:c6:12:20:02")
    if vlan is not None:
        fr = fr[:12] + struct.pack("!HH", 0x8100, vlan) + fr[12:]
    return fr

sr = rtptool.sr(0x11110000, 0xE1000000_00000000, 3000 * 3, 3, 3000)
frames = [frame(200, 100, seq=0), frame(1500, 100, seq=1), frame(1480, 100, seq=2),
          frame(200, None, seq=3), frame(200, 200, seq=4), frame(0, 100, payload=sr)]
s = __import__("socket").socket(17, 3, 0)  # AF_PACKET, SOCK_RAW
s.bind((sys.argv[2], 0))
for i, fr in enumerate(frames):
    s.send(fr)
    # one at a time, each counted by the dataplane before the next
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        st = subprocess.run([sys.argv[3], "-s", sys.argv[4], "stats"], capture_output=True,
                            text=True).stdout
        if dict(l.split() for l in st.splitlines())["rx_packets"] == str(i + 1):
            break
        time.sleep(0.01)
    else:
        sys.exit(f"frame {i} was not counted")
EOF
	fail "cannot inject the frames"
stat() { dpctl stats | awk -v k="$1" '$1 == k {print $2}'; }
ostat() { dpctl obj "$1" "$2" | awk -v k="$3" '$1 == k {print $2}'; }
# 3 + 2 + 2 RTP copies and 3 SRs
wait_for "[[ \$(stat tx_packets) -ge 10 ]]" 10 || fail "sent $(stat tx_packets) of 10 packets"
dpctl stats | grep -v ' 0$' >&2
[[ $(stat drop_vlan) == 2 && $(stat drop_too_big) == 2 && $(stat tx_packets) == 10 ]] ||
	fail "want 2 vlan and 2 too_big drops, 10 packets sent"
[[ $(ostat consumer 21 tx_packets) == 3 && $(ostat consumer 21 drop_packets) == 0 &&
	$(ostat consumer 22 tx_packets) == 2 && $(ostat consumer 22 drop_packets) == 1 &&
	$(ostat consumer 23 tx_packets) == 2 && $(ostat consumer 23 drop_packets) == 1 ]] ||
	fail "per consumer: the IPv4 one gets 3, the IPv6 and SRTP ones 2 and one too_big drop each"

dp_sigint "$dp_pid" # its pcap files are complete once it has exited

python3 - "$SRC_DIR/tests/integration" "$TEST_TMP/out.pcap" "$SRTP_PEER" "$KEY64" "$TEST_TMP" <<'EOF' ||
import struct, subprocess, sys
sys.path.insert(0, sys.argv[1])
import rtptool

errs, seen, srtp = [], {}, b""
for fr in rtptool.pcap_read(sys.argv[2]):
    if fr[12:16] != struct.pack("!HH", 0x8100, 100):
        errs.append(f"a frame without VLAN 100: {fr[12:16].hex()}")
        continue
    et = struct.unpack("!H", fr[16:18])[0]
    ip = fr[18:]
    if et == 0x0800:
        ip_len, udp = struct.unpack("!H", ip[2:4])[0], ip[20:]
    elif et == 0x86DD:
        ip_len, udp = 40 + struct.unpack("!H", ip[4:6])[0], ip[40:]
    else:
        errs.append(f"ethertype {et:#x} after the tag")
        continue
    if ip_len > 1500:
        errs.append(f"an IP packet of {ip_len} bytes left a port of MTU 1500")
    if len(fr) != 18 + ip_len:
        errs.append(f"frame of {len(fr)} bytes for an IP packet of {ip_len}")
    dport = struct.unpack("!H", udp[2:4])[0]
    pay = udp[8:]
    kind = "sr" if pay[1] == 200 else "rtp"
    seen.setdefault(dport, []).append((kind, ip_len))
    if dport == 30004:
        srtp += struct.pack("!H", len(pay)) + pay
# IPv6: 20 bytes more; SRTP: a 10-byte tag (SRTCP: 4 bytes of index more)
want = {30002: [("rtp", 200), ("rtp", 1500), ("rtp", 1480), ("sr", 56)],
        30000: [("rtp", 220), ("rtp", 1500), ("sr", 76)],
        30004: [("rtp", 210), ("rtp", 1490), ("sr", 70)]}
for port, w in want.items():
    if sorted(seen.get(port, [])) != sorted(w):
        errs.append(f"port {port}: got {seen.get(port)}, want {w}")
open(sys.argv[5] + "/srtp.bin", "wb").write(srtp)
r = subprocess.run([sys.argv[3], "unprotect", "AES_CM_128_HMAC_SHA1_80", sys.argv[4],
                    sys.argv[5] + "/srtp.bin"], capture_output=True, text=True)
if r.stdout.split() != ["ok", "2", "bad", "0", "rtcp", "1"]:
    errs.append(f"the SRTP consumer's packets: srtp_peer unprotect says {r.stdout.strip()} "
                f"{r.stderr.strip()}, want ok 2 bad 0 rtcp 1")
for e in errs:
    print("MISMATCH:", e)
sys.exit(1 if errs else 0)
EOF
	fail "the frames that left differ (MISMATCH lines above)"
pass "VLAN 100 both ways, nothing larger than the MTU on any path"
