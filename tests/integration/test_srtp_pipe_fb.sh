#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# NACKs across an SRTP pipe (cluster.pipe_srtp): the receiving node's NACKs reach the source
# node as SRTCP, and the source answers them over the pipe. (Keyframe requests across an SRTP
# pipe: test_cluster_keyframe.sh with a suite, meson's cluster_keyframe_srtp.)
#
# 2-node lab, pipes in AES_CM_128_HMAC_SHA1_80. A producer (udprtp.py on client 1, NACK
# negotiated) on node 1 with a consumer on node 2 towards client 2; the lab's bridge drops one
# pipe packet in 100 (iptables on bridged traffic). Node 2 NACKs node 1 over the pipe for each,
# node 1 reads the NACKs (nacked_packets_in) and sends the packets again from its buffer
# (retransmissions_out), node 2 takes them (nack_recovered) and its consumer's receiver gets
# every packet, byte for byte. No feedback failed to authenticate on node 1 (srtp_auth,
# srtp_replay unchanged). On the bridge, node 2's RTCP is SRTCP from the stream's feedback
# SSRC (the pipe SSRC with its top bit flipped), never the pipe SSRC node 1 protects its own
# SRTCP under with the same key.
. "$(dirname "$0")/lib.sh"

need_lab 96 tshark
UDP=$SRC_DIR/tests/integration/udprtp.py

export CASCADE_LAB_PIPE_SRTP=AES_CM_128_HMAC_SHA1_80
lab_use
lab_up 2
lab_cluster_formed 2
n1ip=$(nq 1 media_ip)
n2ip=$(nq 2 media_ip)
pipe_port=$(nq 2 pipe_port)
br="$CASCADE_LAB_PREFIX-br"

# node 2's RTCP to node 1 on the bridge, from here on
cap=$TEST_TMP/fb.pcap
bg ip netns exec "$br" tshark -q -i br0 -F pcap -f "udp and src host $n2ip and dst host $n1ip" -w "$cap"
tsh=$BG_PID
wait_for "[[ -s $cap ]]" 10 || fail "tshark did not start on the lab's bridge"
pipe_ssrc_of() { ok 2 GET /v1/stats; jq -r --arg p "$1" '.pipes.in[] | select(.producerId == $p) | .ssrc' "$TEST_TMP/body"; }
dpstat() { lab_dpctl "$1" stats | awk -v k="$2" '$1 == k {print $2}'; }
drop() { ok "$1" GET /v1/stats; jq -r ".node.drops.$2" "$TEST_TMP/body"; }
auth0=$(drop 1 srtp_auth)
replay0=$(drop 1 srtp_replay)

caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000,"rtcpFeedback":[{"type":"nack"}]}]}'
ok 1 POST /v1/rooms/nack/transports '{"comedia":true,"rtcpMux":true}'
tp=$(jq -r .id "$TEST_TMP/body")
pport=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok 1 POST "/v1/transports/$tp/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000,"rtcpFeedback":[{"type":"nack"}]}],"encodings":[{"ssrc":4096}]}}'
prod=$(jq -r .id "$TEST_TMP/body")
ok 2 POST /v1/rooms/nack/transports '{"rtcpMux":true}'
tc=$(jq -r .id "$TEST_TMP/body")
ok 2 POST "/v1/transports/$tc/connect" "{\"ip\":\"$c2ip\",\"port\":6002}"
ok 2 POST "/v1/transports/$tc/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":$caps}"
pssrc=$(pipe_ssrc_of "$prod")
[[ -n $pssrc ]] || fail "node 2 has no pipe of $prod"

# one pipe packet in 100 (the 1,000-byte payloads: not the SRs) dropped on the bridge
rule=(FORWARD -p udp -d "$n2ip" --dport "$pipe_port" -m length --length 1000:1600
	-m statistic --mode nth --every 100 --packet 50 -m comment --comment "$CASCADE_LAB_PREFIX-fb" -j DROP)
ip netns exec "$br" sh -c 'echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables' ||
	skip "no bridge netfilter here"
ip netns exec "$br" iptables -I "${rule[@]}" || skip "iptables' statistic match is missing"
dropped() { ip netns exec "$br" iptables -L FORWARD -v -n -x | awk '/statistic/ {print $1}'; }

nacked0=$(dpstat 1 nacked_packets_in)
rtx0=$(dpstat 1 retransmissions_out)
count=1000
rm -f "$TEST_TMP/r.json" "$TEST_TMP/r.ready"
bg ip netns exec "$c2" "$PY" "$UDP" recv "$c2ip" 6002 "$count" "$TEST_TMP/r.json" "$TEST_TMP/r.ready"
rcv=$BG_PID
wait_for "[[ -f $TEST_TMP/r.ready ]]" 10 || fail "receiver did not start"
ip netns exec "$c1" "$PY" "$UDP" send "$c1ip" 5002 "$n1ip" "$pport" "$count" 200 || fail "sender failed"
wait "$rcv" || fail "receiver failed"
d=$(dropped)
ip netns exec "$br" iptables -D "${rule[@]}"
kill -INT "$tsh" 2>/dev/null || true
wait "$tsh" 2>/dev/null || true
jq -e --argjson n "$count" '.packets == $n and .missing == 0 and .bad == 0' "$TEST_TMP/r.json" >/dev/null ||
	fail "node 2's receiver: $(cat "$TEST_TMP/r.json") (node 1: nacked_packets_in +$(($(dpstat 1 nacked_packets_in) - nacked0)), retransmissions_out +$(($(dpstat 1 retransmissions_out) - rtx0)); node 2: nacks_out $(dpstat 2 nacks_out), nacks_unsent $(dpstat 2 nacks_unsent))"
nacked=$(($(dpstat 1 nacked_packets_in) - nacked0))
rtx=$(($(dpstat 1 retransmissions_out) - rtx0))
# every packet the bridge dropped (an original or a resend) was NACKed and sent again
((d >= 5 && nacked >= d && rtx >= d)) ||
	fail "node 1 read $nacked NACKed numbers and sent $rtx again for $d pipe packets lost"
(($(dpstat 2 nacks_out) >= 1 && $(dpstat 2 nack_recovered) >= 1)) ||
	fail "node 2: nacks_out $(dpstat 2 nacks_out), nack_recovered $(dpstat 2 nack_recovered)"
[[ $(dpstat 2 nacks_unsent) == 0 ]] || fail "node 2 could not send $(dpstat 2 nacks_unsent) NACKs over the SRTP pipe"
log "the bridge dropped pipe packets; node 2 NACKed them over the SRTP pipe, node 1 read $nacked and sent $rtx again for $d lost: $count of $count at the receiver"
[[ $(drop 1 srtp_auth) == "$auth0" && $(drop 1 srtp_replay) == "$replay0" ]] ||
	fail "node 1 refused feedback: srtp_auth $auth0 -> $(drop 1 srtp_auth), srtp_replay $replay0 -> $(drop 1 srtp_replay)"

# node 2's RTCP on the wire: SRTCP (index and tag after the compound) from the feedback SSRC only
"$PY" - "$cap" "$pssrc" <<'PYEOF' || fail "node 2's RTCP on the bridge is not SRTCP from the feedback SSRC"
import struct, sys
path, pipes = sys.argv[1], {int(sys.argv[2])}
want = {s ^ 0x80000000 for s in pipes}
data = open(path, "rb").read()
off, seen, bad = 24, {}, []
while off + 16 <= len(data):
    caplen = struct.unpack("<IIII", data[off:off + 16])[2]
    frame = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    ihl = (frame[14] & 0x0F) * 4
    udp = frame[14 + ihl + 8:]
    if len(udp) < 8 or udp[0] >> 6 != 2 or not 192 <= udp[1] <= 223:
        continue
    ssrc = struct.unpack("!I", udp[4:8])[0]
    seen[ssrc] = seen.get(ssrc, 0) + 1
    # RFC 3711 3.4: the plain compound's first packet (an RR of 8 bytes), then E|index, tag
    if ssrc not in want or len(udp) < 8 + 4 + 10:
        bad.append("ssrc %08x len %d" % (ssrc, len(udp)))
if bad or set(seen) != want:
    sys.exit("node 2's RTCP: %s; want feedback SSRCs %s, bad %s" %
             ({"%08x" % s: n for s, n in seen.items()}, ["%08x" % s for s in want], bad[:5]))
print("node 2's RTCP:", {"%08x" % s: n for s, n in seen.items()})
PYEOF
pass "SRTP pipe: $d pipe packets lost, NACKed by node 2 as SRTCP from the feedback SSRC and sent again by node 1 ($nacked read, $rtx sent): all $count at the receiver"
