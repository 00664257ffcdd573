#!/usr/bin/env bash
# Transport-cc towards a receiver, with an independent one: a GStreamer sender (gstrtx.py
# send: VP8 at about 1 Mbit/s, without transport-cc of its own) into a producer on node 1;
# a GStreamer rtpbin receiver (gstrtx.py recvtw) on client 2 whose caps carry the
# transport-wide-cc extension and rtcp-fb-transport-cc, so that its rtpsession sends
# transport-cc feedback. Its transport consumes the producer twice, with rtpCapabilities
# that offer the extension and the feedback: two consumers, one transport.
# Checked:
#   - both answers have the extension (at the receiver's preferred id) and transport-cc;
#   - tshark, on the receiver's side, sees Cascade's transport-wide numbers in every RTP
#     packet of both consumers, one more per packet across the two (one counter per
#     transport; nothing is lost on the lab's links);
#   - Cascade read the receiver's feedback (twcc_feedbacks_in > 0, none malformed);
#   - /v1/stats shows both consumers the same availableBitrate, of the order of what the
#     transport carries: between half and twice the rate tshark measured for the two
#     streams together (GCC keeps its estimate below 1.5 x what was acknowledged, and a
#     receiver that adapts nothing makes it settle between 0.85 and 1.5 x that).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gstlib.sh"

need_lab 64 tshark
need_gst
TCC=http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
EXT_ID=3

lab_use
lab_up 1

FRAMES=300
SSRC=11120000
SPORT=23000
RPORT=24000
room=r-twcc
n1ip=$(nq 1 media_ip)
producer_rtp="{\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,
	\"rtcpFeedback\":[{\"type\":\"nack\",\"parameter\":\"pli\"}]}],
	\"encodings\":[{\"ssrc\":$SSRC}]}"
caps="{\"codecs\":[{\"kind\":\"video\",\"mimeType\":\"video/VP8\",\"preferredPayloadType\":100,
	\"clockRate\":90000,\"rtcpFeedback\":[{\"type\":\"nack\",\"parameter\":\"pli\"},
	{\"type\":\"transport-cc\"}]}],
	\"headerExtensions\":[{\"kind\":\"video\",\"uri\":\"$TCC\",\"preferredId\":$EXT_ID}]}"
stat() { lab_dpctl 1 stats | awk -v k="$1" '$1 == k { print $2 }'; }

gst_transport 1 "$c1ip" "$SPORT"
ok 1 POST "/v1/transports/$t/producers" "{\"kind\":\"video\",\"rtpParameters\":$producer_rtp}"
prod=$(jq -r .id "$TEST_TMP/body")
send_to=("$tport" "$trtcp")
gst_transport 1 "$c2ip" "$RPORT"
cons=()
for k in 1 2; do
	ok 1 POST "/v1/transports/$t/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":$caps}"
	cons+=("$(jq -r .id "$TEST_TMP/body")")
	[[ $(jq -r ".rtpParameters.headerExtensions[] | select(.uri == \"$TCC\") | .id" \
		"$TEST_TMP/body") == "$EXT_ID" ]] ||
		fail "consumer $k: no transport-wide-cc extension at $EXT_ID: $(cat "$TEST_TMP/body")"
	jq -e '.rtpParameters.codecs[0].rtcpFeedback[] | select(.type == "transport-cc")' \
		"$TEST_TMP/body" >/dev/null || fail "consumer $k: no transport-cc feedback"
	pt=$(jq -r '.rtpParameters.codecs[0].payloadType' "$TEST_TMP/body")
done
log "two consumers on transport $t: ${cons[*]} (PT $pt, extension id $EXT_ID)"

bg ip netns exec "$c2" tshark -n -q -i any -f "udp dst port $RPORT" -w "$TEST_TMP/recv.pcap" \
	2>"$TEST_TMP/tshark.log"
tpid=$BG_PID
wait_for "grep -q Capturing $TEST_TMP/tshark.log" 20 || fail "tshark did not start"
bg ip netns exec "$c2" "$PY" "$GST" recvtw "$c2ip" "$RPORT" "$n1ip" "$trtcp" "$pt" "$EXT_ID" \
	"$TEST_TMP/recv.md5" >"$TEST_TMP/recv.log" 2>&1
rpid=$BG_PID
wait_for "udp_bound $c2 $RPORT $((RPORT + 1))" 10 || fail "the receiver did not start"
bg ip netns exec "$c1" "$PY" "$GST" send "$c1ip" "$SPORT" "$n1ip" "${send_to[@]}" \
	"$SSRC" 11120001 "$FRAMES" "$TEST_TMP/ref.md5" >"$TEST_TMP/send.log" 2>&1
spid=$BG_PID
wait_for "grep -q '^sent ' $TEST_TMP/send.log" 60 ||
	fail "the sender did not finish: $(tail -3 "$TEST_TMP/send.log")"
# the last feedback of the stream has been read
wait_for "(( \$(stat twcc_feedbacks_in) > 0 ))" 10 ||
	fail "no transport-cc feedback read: $(lab_dpctl 1 stats | grep twcc)"
ok 1 GET /v1/stats
cp "$TEST_TMP/body" "$TEST_TMP/stats.json"
stop "$spid"
stop "$rpid"
((STOP_RC == 0)) || fail "the receiver exited $STOP_RC: $(tail -3 "$TEST_TMP/recv.log")"
stop "$tpid"
log "receiver: $(grep -h '^streams' "$TEST_TMP/recv.log"); decoded $(wc -l <"$TEST_TMP/recv.md5") frames"
log "node 1: $(lab_dpctl 1 stats | grep -w 'twcc_[a-z_]*' | grep -vw 0 | tr '\n' ' ')"
(($(stat twcc_feedbacks_malformed) == 0)) || fail "feedback refused as malformed"

# Cascade's numbers in capture order, each packet's: SSRC, RTP length, transport-wide number
tshark -n -r "$TEST_TMP/recv.pcap" -d "udp.port==$RPORT,rtp" -Y rtp \
	-T fields -E separator=' ' -e frame.time_epoch -e rtp.ssrc -e udp.length \
	-e rtp.ext.rfc5285.id -e rtp.ext.rfc5285.data >"$TEST_TMP/tw.txt" 2>"$TEST_TMP/tshark-r.log" ||
	fail "tshark could not read the capture: $(cat "$TEST_TMP/tshark-r.log")"
read -r npkts nssrc gaps first last bytes span < <("$PY" - "$EXT_ID" "$TEST_TMP/tw.txt" <<'PY'
import sys
want, n, ssrcs, gaps, first, prev, nbytes, t0, t1 = sys.argv[1], 0, set(), 0, None, None, 0, 0, 0
for line in open(sys.argv[2]):
    f = line.split()
    n += 1
    ssrcs.add(f[1])
    nbytes += int(f[2]) - 8
    t0, t1 = (float(f[0]) if n == 1 else t0), float(f[0])
    ids, data = (f[3].split(","), f[4].split(",")) if len(f) > 4 else ([], [])
    v = [int(d.replace(":", ""), 16) for i, d in zip(ids, data) if i == want]
    if not v or (prev is not None and v[0] != (prev + 1) % 65536):
        gaps += 1
    if v:
        first = v[0] if first is None else first
        prev = v[0]
print(n, len(ssrcs), gaps, first, prev, nbytes, round(t1 - t0, 3))
PY
)
log "tshark: $npkts RTP packets of $nssrc SSRCs, transport-wide numbers $first..$last," \
	"$gaps out of step or missing; $bytes bytes in $span s"
((npkts > 100 && nssrc == 2)) || fail "tshark saw $npkts packets of $nssrc SSRCs"
((gaps == 0)) || fail "$gaps packets without Cascade's number or not one more than the one before"

rate=$(awk -v b="$bytes" -v s="$span" 'BEGIN { printf "%d", (s > 0 ? b * 8 / s : 0) }')
read -r a1 a2 f1 < <(jq -r --arg c1 "${cons[0]}" --arg c2 "${cons[1]}" '
	[(.consumers[] | select(.id == $c1) | .rtcp.availableBitrate),
	 (.consumers[] | select(.id == $c2) | .rtcp.availableBitrate),
	 (.consumers[] | select(.id == $c1) | .rtcp.twccFeedbacks)] | map(. // 0) | @tsv' \
	"$TEST_TMP/stats.json")
log "/v1/stats: availableBitrate $a1 and $a2 bit/s after $f1 feedbacks; the transport carried $rate bit/s"
((f1 > 0 && a1 == a2)) || fail "the consumers' estimates: $a1, $a2 after $f1 feedbacks"
((a1 * 2 >= rate && a1 <= rate * 2)) || fail "availableBitrate $a1 is not of the order of $rate"
lab_sanitizers_quiet
pass "transport-cc with a GStreamer receiver: $npkts packets of two consumers numbered one" \
	"after the other, $f1 feedbacks read, an estimate of $a1 bit/s for $rate bit/s sent"
