#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A consumer's receiver reports reach the API: /v1/stats (the consumer's "rtcp"), /metrics
# (cascade_consumer_fraction_lost, _jitter_seconds, _rtt_seconds, _packets_lost_total)
# and cascadectl's stats view.
#
# A sender (kernel sockets in the test namespace) sends VP8-typed RTP, 50 a second, and a
# sender report every 200 ms from one port to an rtcp-mux comedia transport. A consumer is
# made; before its receiver reports, its "rtcp" is null and no consumer series exists.
# Its receiver (port 6000) waits for the SR Cascade sends it, holds it 100 ms and sends a
# receiver report echoing it (LSR, DLSR), with 51/256 lost in the last interval, 7 in all
# and a jitter of 450 (5 ms at 90 kHz). The API then shows those figures, a round trip
# between 0 and the time from the SR's arrival to the report's read less the hold, and
# when the report arrived.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq ip ethtool /usr/bin/python3

media_node --rtcp-report-ms 0
cp_config "$TEST_TMP/cp.json"
cp_start "$TEST_TMP/cp.json"

ok POST /v1/rooms/rr/transports '{"comedia":true,"rtcpMux":true}'
tp=$(jq -r .id "$TEST_TMP/body")
pport=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok POST "/v1/transports/$tp/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":4096}]}}'
prod=$(jq -r .id "$TEST_TMP/body")
caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000}]}'
ok POST /v1/rooms/rr/transports '{"rtcpMux":true}'
tc=$(jq -r .id "$TEST_TMP/body")
cport=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok POST "/v1/transports/$tc/connect" '{"ip":"198.18.0.2","port":6000}'
ok POST "/v1/transports/$tc/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":$caps}"
cons=$(jq -r .id "$TEST_TMP/body")
cssrc=$(jq -r '.rtpParameters.encodings[0].ssrc' "$TEST_TMP/body")

rtcp() { call GET /v1/stats >/dev/null && jq -c ".consumers[] | select(.id == \"$cons\") | .rtcp" "$TEST_TMP/body"; }
[[ $(rtcp) == null ]] || fail "a consumer whose receiver never reported has rtcp $(rtcp)"
curl -s "${auth[@]}" "$api/metrics" >"$TEST_TMP/metrics0"
! grep -q "^cascade_consumer_\(fraction_lost\|jitter_seconds\|rtt_seconds\|packets_lost_total\){.*consumer=\"$cons\"" \
	"$TEST_TMP/metrics0" || fail "metrics for a consumer whose receiver never reported"

log "the sender streams; the receiver answers the first SR it gets"
ip netns exec "$ns" /usr/bin/python3 - "$pport" "$cport" "$cssrc" >"$TEST_TMP/peer.json" <<'EOF' ||
import json, select, socket, struct, sys, time

pport, cport, cssrc = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
snd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
snd.bind(("198.18.0.2", 5000))
rcv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rcv.bind(("198.18.0.2", 6000))
end = time.monotonic() + 20
nxt, i, sr_at, rtp_in = time.monotonic(), 0, None, 0
while time.monotonic() < end:
    now = time.monotonic()
    if now >= nxt:
        ts = 90000 + i * 1800
        snd.sendto(struct.pack("!BBHII", 0x80, 96, 1000 + i, ts, 4096) + bytes(200),
                   ("198.18.0.1", pport))
        if i % 10 == 9:  # RFC 3550 6.4.1 SR: NTP now, that instant's RTP time, counts
            t = time.time() + 2208988800
            ntp = int(t) << 32 | int((t % 1) * (1 << 32))
            snd.sendto(struct.pack("!BBHIQIII", 0x80, 200, 6, 4096, ntp, ts, i + 1, 200 * (i + 1)),
                       ("198.18.0.1", pport))
        i += 1
        nxt += 0.02
    r, _, _ = select.select([rcv], [], [], max(0.0, nxt - time.monotonic()))
    if not r:
        continue
    p = rcv.recv(2048)
    if len(p) >= 28 and p[1] == 200 and struct.unpack("!I", p[4:8])[0] == cssrc:
        got = time.monotonic()
        lsr = struct.unpack("!Q", p[8:16])[0] >> 16 & 0xFFFFFFFF
        time.sleep(0.1)  # the receiver's hold: what its DLSR says (1 ms less: clock slack)
        dlsr = int((time.monotonic() - got - 0.001) * 65536)
        # RFC 3550 6.4.2 RR with one block, then SDES CNAME (6.1)
        rr = struct.pack("!BBHI", 0x81, 201, 7, 0x5EC0FFEE) + struct.pack(
            "!IIIIII", cssrc, 51 << 24 | 7, 0x10000 | (1000 + rtp_in), 450, lsr, dlsr)
        sdes = struct.pack("!BBHIBB", 0x81, 202, 3, 0x5EC0FFEE, 1, 2) + b"rx" + bytes(4)
        rcv.sendto(rr + sdes, ("198.18.0.1", cport))
        print(json.dumps({"got_s": got, "sent_s": time.monotonic(), "dlsr": dlsr, "lsr": lsr,
                          "rtp": rtp_in}))
        sys.exit(0)
    elif len(p) >= 12 and p[1] & 0x7F == 100:
        rtp_in += 1
sys.exit("no sender report reached the consumer's receiver in 20 s")
EOF
	fail "the receiver got no SR to report on"
read_at=$(date +%s%3N)
cat "$TEST_TMP/peer.json" >&2
wait_for "[[ \$(rtcp | jq -r '.rttMs // empty') != '' ]]" 10 || fail "no round trip in /v1/stats: $(rtcp)"
read_t=$(/usr/bin/python3 -c 'import time; print(time.monotonic())')
r=$(rtcp)
log "rtcp: $r"
got=$(jq -r .got_s "$TEST_TMP/peer.json")
# the SR left Cascade just before the receiver got it (its way there: far below the
# hold, which the round trip leaves out) and the RR was read before this poll ended
bound=$(awk -v a="$read_t" -v g="$got" 'BEGIN { printf "%.3f", (a - g) * 1000 }')
jq -e --argjson bound "$bound" --argjson at "$read_at" '
	.fractionLost == (51 / 256) and .packetsLost == 7 and .jitterMs == 5 and
	.rttMs >= 0 and .rttMs <= $bound and
	(.reportedAt - $at) > -30000 and (.reportedAt - $at) < 30000' <<<"$r" >/dev/null ||
	fail "rtcp $r: want fractionLost 51/256, packetsLost 7, jitterMs 5, rttMs 0..$bound, reportedAt near $read_at"

curl -s "${auth[@]}" "$api/metrics" >"$TEST_TMP/metrics"
labels="node=\"node-$CASCADE_TEST_ID\",room=\"rr\",consumer=\"$cons\",producer=\"$prod\""
grep -qx "cascade_consumer_fraction_lost{$labels} 0.199219" "$TEST_TMP/metrics" &&
	grep -qx "cascade_consumer_jitter_seconds{$labels} 0.005" "$TEST_TMP/metrics" &&
	grep -qx "cascade_consumer_packets_lost_total{$labels} 7" "$TEST_TMP/metrics" &&
	grep -q "^cascade_consumer_rtt_seconds{$labels} [0-9.e-]*$" "$TEST_TMP/metrics" ||
	fail "metrics: $(grep '^cascade_consumer_\(fraction\|jitter\|rtt\|packets_lost\)' "$TEST_TMP/metrics")"
grep -q '^# TYPE cascade_consumer_packets_lost_total counter$' "$TEST_TMP/metrics" &&
	grep -q '^# TYPE cascade_consumer_rtt_seconds gauge$' "$TEST_TMP/metrics" ||
	fail "metric types"

ctl() { "$BUILD_DIR/tools/cascadectl/cascadectl" --api "$api" --token-file "$token_file" "$@"; }
ctl stats >"$TEST_TMP/ctl.txt" || fail "cascadectl stats failed"
cat "$TEST_TMP/ctl.txt" >&2
grep -q "^CONSUMER .* LOSS% .* LOST .* JITTER MS .* RTT MS \+AVAIL KBPS$" "$TEST_TMP/ctl.txt" &&
	grep -q "^$cons .* 19\.9 \+7 \+5\.0 \+[0-9]\+\.[0-9] \+-$" "$TEST_TMP/ctl.txt" ||
	fail "cascadectl stats does not show the consumer's report"
[[ $("$CASCADE_DPCTL" -s "$seg_name" stats | awk '$1 == "receiver_reports_in" {print $2}') == 1 ]] ||
	fail "receiver_reports_in: $("$CASCADE_DPCTL" -s "$seg_name" stats | grep receiver_reports_in)"
pass "the receiver's report in /v1/stats, /metrics and cascadectl: $r"
