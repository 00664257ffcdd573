#!/usr/bin/env bash
# Producers and consumers through cascade-cp's API, with real media: pktgen sends a
# VP8-like stream into an API-created producer (comedia transport); ten consumers are
# negotiated against rtpCapabilities (payload type 96 -> 100, a header extension
# renumbered); pktgen receives every consumer's stream on the SSRC and payload type
# the API announced, with zero loss and every packet well-formed. Bad producer and
# consumer bodies get 400 naming the field; deleting the producer removes its
# consumers in the API and in the dataplane.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL" "$CASCADE_PKTGEN"
require_cmd curl jq

sock=$(memif_sock dp)
rate=1000
((CASCADE_SANITIZED == 0)) || rate=300

bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix-dp" \
	--vdev "net_memif0,role=server,socket=$sock,rsize=12" -- --segment "$seg_name" \
	--peer-mac 02:00:00:00:00:02 >"$TEST_TMP/dp.log" 2>&1
"$CASCADE_DPCTL" -s "$seg_name" --timeout-ms 20000 wait || fail "cascade-dp did not start"
CASCADE_API_TOKEN=$token bg "$CASCADE_CP" --node-id "node-$CASCADE_TEST_ID" --media-ip 198.18.0.1 \
	--port-range 40000-40099 --api-listen "127.0.0.1:$port" --segment "$seg_name" \
	>"$TEST_TMP/cp.log" 2>&1
cp_pid=$BG_PID
node_state() { curl -s "${auth[@]}" "$api/v1/node" | jq -r .dataplane.state; }
wait_for "[[ \$(node_state) == running ]]" 15 || fail "cascade-cp never saw the dataplane"

bad() { # bad STATUS FIELD METHOD PATH BODY
	local want=$1 field=$2 s
	shift 2
	s=$(call "$@")
	[[ $s == "$want" ]] || fail "$1 $2 $3: status $s, wanted $want: $(cat "$TEST_TMP/body")"
	jq -r .error.message "$TEST_TMP/body" | grep -q -- "$field" ||
		fail "$1 $2: message does not name $field: $(cat "$TEST_TMP/body")"
}

# a room's Server-Sent Events, collected from the start
bg curl -sN "${auth[@]}" "$api/v1/rooms/live/events" -o "$TEST_TMP/events.txt"
wait_for "grep -q subscribed $TEST_TMP/events.txt" 5 || fail "no event stream"

ok POST /v1/rooms/live/transports '{"comedia":true,"rtcpMux":true}'
tin=$(jq -r .id "$TEST_TMP/body")
pin=$(jq -r .tuple.localPort "$TEST_TMP/body")

vp8='{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}'
ext='{"uri":"urn:ietf:params:rtp-hdrext:sdes:mid","id":1}'
rtp() { echo "{\"codecs\":[$1],\"headerExtensions\":[$ext],\"encodings\":[{\"ssrc\":4096}],\"rtcp\":{\"cname\":\"pg\"}}"; }

# --- bad producers ----------------------------------------------------------------------------
bad 404 "not found" POST /v1/transports/nope/producers "{\"kind\":\"video\",\"rtpParameters\":$(rtp "$vp8")}"
bad 400 kind POST "/v1/transports/$tin/producers" "{\"rtpParameters\":$(rtp "$vp8")}"
bad 400 "rtpParameters.codecs" POST "/v1/transports/$tin/producers" "{\"kind\":\"video\",\"rtpParameters\":$(rtp "")}"
bad 400 "payloadType" POST "/v1/transports/$tin/producers" "{\"kind\":\"video\",\"rtpParameters\":$(rtp "$vp8,$vp8")}"
bad 400 "mimeType" POST "/v1/transports/$tin/producers" "{\"kind\":\"audio\",\"rtpParameters\":$(rtp "$vp8")}"
bad 400 "clockRate" POST "/v1/transports/$tin/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96}],"encodings":[{"ssrc":1}]}}'
bad 400 "encodings" POST "/v1/transports/$tin/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":1},{"ssrc":2}]}}'
bad 400 "headerExtensions" POST "/v1/transports/$tin/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":1}],"headerExtensions":[{"uri":"x","id":15}]}}'
[[ $("$CASCADE_DPCTL" -s "$seg_name" dump | grep -c '^producer') == 0 ]] || fail "a refused producer reached the dataplane"

ok POST "/v1/transports/$tin/producers" "{\"kind\":\"video\",\"rtpParameters\":$(rtp "$vp8")}"
prod=$(jq -r .id "$TEST_TMP/body")

# the RTCP feedback a sender negotiated reaches the dataplane, which asks it for keyframes
# as PLI (else FIR) only when it did (fb: 1 PLI, 2 FIR, 4 NACK, 8 transport-cc, 16 REMB)
ok POST /v1/rooms/fb/transports '{"comedia":true,"rtcpMux":true}'
tfb=$(jq -r .id "$TEST_TMP/body")
fbs='[{"type":"nack"},{"type":"nack","parameter":"pli"},{"type":"ccm","parameter":"fir"},{"type":"goog-remb"}]'
ok POST "/v1/transports/$tfb/producers" "{\"kind\":\"video\",\"rtpParameters\":{\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,\"rtcpFeedback\":$fbs}],\"encodings\":[{\"ssrc\":8192}]}}"
"$CASCADE_DPCTL" -s "$seg_name" dump | grep -q '^producer .* ssrc=8192 lcore=0 fb=23 ' ||
	fail "the producer's feedback did not reach the dataplane: $("$CASCADE_DPCTL" -s "$seg_name" dump | grep ssrc=8192)"
"$CASCADE_DPCTL" -s "$seg_name" dump | grep -q '^producer .* ssrc=4096 lcore=0 fb=0 ' ||
	fail "a producer without rtcpFeedback must have none in the dataplane"
ok DELETE "/v1/transports/$tfb"

# --- ten consumers, each on its own transport towards pktgen ------------------------------------
caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000}],"headerExtensions":[{"kind":"video","uri":"urn:ietf:params:rtp-hdrext:sdes:mid","preferredId":3}]}'
bad 404 "not found" POST "/v1/transports/$tin/consumers" '{"producerId":"nope"}'
bad 400 "producerId" POST "/v1/transports/$tin/consumers" '{}'
bad 400 "rtpCapabilities" POST "/v1/transports/$tin/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":{\"codecs\":[{\"mimeType\":\"video/H264\",\"preferredPayloadType\":100,\"clockRate\":90000}]}}"
: >"$TEST_TMP/ssrcs"
for ((i = 0; i < 10; i++)); do
	ok POST /v1/rooms/live/transports '{}'
	t=$(jq -r .id "$TEST_TMP/body")
	ok POST "/v1/transports/$t/connect" "{\"ip\":\"198.18.0.2\",\"port\":$((6000 + i))}"
	ok POST "/v1/transports/$t/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":$caps}"
	jq -e '.kind == "video" and .rtpParameters.codecs == [{"mimeType":"video/VP8","payloadType":100,"clockRate":90000}]
		and .rtpParameters.headerExtensions == [{"uri":"urn:ietf:params:rtp-hdrext:sdes:mid","id":3}]
		and .rtpParameters.rtcp.cname == "pg"' "$TEST_TMP/body" >/dev/null ||
		fail "consumer rtpParameters: $(cat "$TEST_TMP/body")"
	jq -r '.rtpParameters.encodings[0].ssrc' "$TEST_TMP/body" >>"$TEST_TMP/ssrcs"
done

"$CASCADE_PKTGEN" -l 0 --no-pci --in-memory --file-prefix "$dpdk_prefix-pg" \
	--vdev "net_memif0,role=client,socket=$sock,rsize=12" -- \
	--streams 1 --ssrc-base 0x1000 --pt 96 --video --size 900 --rate "$rate" --duration 3 \
	--src 198.18.0.2:5000 --dst "198.18.0.1:$pin" --expect-ssrcs 10 --max-loss 0 \
	--rx-grace 1 --idle-sleep 20 --json "$TEST_TMP/pg.json" >"$TEST_TMP/pg.log" 2>&1 ||
	fail "pktgen: loss, malformed packets or missing consumers (exit $?)"
sent=$(jq .tx.packets "$TEST_TMP/pg.json")
jq -e --argjson sent "$sent" --slurpfile want <(jq -s . "$TEST_TMP/ssrcs") '
	([.ssrcs[].ssrc] | sort) == ($want[0] | sort) and
	all(.ssrcs[]; .pt == 100 and .packets == $sent and .lost == 0 and .seq_errors == 0)' \
	"$TEST_TMP/pg.json" >/dev/null || fail "receivers did not get the announced streams"

# --- the counters: /v1/stats (JSON) and /metrics (Prometheus, parsed by its own library) -------
ok GET /v1/stats
jq -e --argjson sent "$sent" '(.producers | length) == 1 and .producers[0].rxPackets == $sent and
	(.consumers | length) == 10 and all(.consumers[]; .txPackets == $sent) and
	.node.rtp_packets == $sent and .node.drops.no_transport >= 0' "$TEST_TMP/body" >/dev/null ||
	fail "/v1/stats: $(head -c 600 "$TEST_TMP/body")"
status=$(curl -s -o /dev/null -w '%{http_code}' "$api/metrics")
[[ $status == 401 ]] || fail "/metrics without a token (api.metrics_auth is on by default): $status"
status=$(curl -s "${auth[@]}" -o "$TEST_TMP/metrics" -w '%{http_code}' "$api/metrics")
[[ $status == 200 ]] || fail "/metrics with the token: $status"
/usr/bin/python3 - "$TEST_TMP/metrics" "$sent" <<'PY' || fail "/metrics is not valid Prometheus text or is wrong"
import re, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
sent = int(sys.argv[2])
fams = {f.name: f for f in text_string_to_metric_families(text)}
# every sample belongs to a family announced with HELP and TYPE before it
declared = set()
for line in text.splitlines():
    if line.startswith("# TYPE "):
        declared.add(line.split()[2])
    elif line and not line.startswith("#"):
        name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
        assert name in declared, f"sample before its TYPE: {line}"
assert fams["cascade_dataplane_up"].samples[0].value == 1
cons = [s for s in fams["cascade_consumer_tx_packets"].samples if s.name.endswith("_total")]
assert len(cons) == 10 and all(s.value == sent for s in cons), cons
prod = [s for s in fams["cascade_producer_rx_packets"].samples if s.name.endswith("_total")]
assert len(prod) == 1 and prod[0].value == sent, prod
reasons = {s.labels["reason"] for s in fams["cascade_drops"].samples}
assert "no_transport" in reasons and "tx_full" in reasons, reasons
print(f"metrics: {len(fams)} families parsed", file=sys.stderr)
PY

# --- cascadectl, the operator's CLI, on the same node ------------------------------------------
# (the token from a file: --token would show it to every user of the host)
ctl() { "$BUILD_DIR/tools/cascadectl/cascadectl" --api "$api" --token-file "$token_file" "$@"; }
ctl node >"$TEST_TMP/ctl.txt" || fail "cascadectl node failed"
grep -q '^dataplane  running' "$TEST_TMP/ctl.txt" || fail "cascadectl node: $(cat "$TEST_TMP/ctl.txt")"
ctl rooms | grep -q '^live ' || fail "cascadectl rooms does not list the room"
ctl room live | grep -q "^$prod " || fail "cascadectl room does not list the producer"
[[ $(ctl consumers live | tail -n +2 | wc -l) == 10 ]] || fail "cascadectl consumers: not 10 rows"
ctl --json stats | jq -e '(.consumers | length) == 10' >/dev/null || fail "cascadectl --json stats"
rc=0; ctl pause consumer no-such-id 2>"$TEST_TMP/ctl.err" || rc=$?
((rc == 1)) && grep -q 'not found' "$TEST_TMP/ctl.err" || fail "cascadectl on an unknown id: exit $rc"
rc=0; "$BUILD_DIR/tools/cascadectl/cascadectl" --api "$api" --token wrong node 2>/dev/null || rc=$?
((rc == 1)) || fail "cascadectl with a wrong token: exit $rc, want 1"
rc=0; "$BUILD_DIR/tools/cascadectl/cascadectl" --api "$api" --token-file "$TEST_TMP/none" node 2>/dev/null || rc=$?
((rc == 2)) || fail "cascadectl with a missing token file: exit $rc, want 2"
CASCADE_TOKEN=$token "$BUILD_DIR/tools/cascadectl/cascadectl" --api "$api" node >/dev/null ||
	fail "cascadectl with the token in CASCADE_TOKEN failed"
rc=0; ctl frobnicate 2>/dev/null || rc=$?
((rc == 2)) || fail "cascadectl usage error: exit $rc, want 2"
rc=0; "$BUILD_DIR/tools/cascadectl/cascadectl" --api http://127.0.0.1:9 node 2>/dev/null || rc=$?
((rc == 3)) || fail "cascadectl against nothing: exit $rc, want 3"

# --- RTX (RFC 4588): a receiver that has it gets it, mediasoup's shape, down to the dataplane -----
ok POST /v1/rooms/live/transports '{}'
trtx=$(jq -r .id "$TEST_TMP/body")
rtxcaps=$(jq -c '.codecs += [{"kind":"video","mimeType":"video/rtx","preferredPayloadType":101,
	"clockRate":90000,"parameters":{"apt":100}}]' <<<"$caps")
ok POST "/v1/transports/$trtx/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":$rtxcaps}"
jq -e '.rtpParameters.codecs[1] == {"mimeType":"video/rtx","payloadType":101,"clockRate":90000,
	"parameters":{"apt":100},"rtcpFeedback":[]} and
	(.rtpParameters.encodings[0].rtx.ssrc | type) == "number"' "$TEST_TMP/body" >/dev/null ||
	fail "an RTX consumer's rtpParameters: $(cat "$TEST_TMP/body")"
rtx_ssrc=$(jq -r '.rtpParameters.encodings[0].rtx.ssrc' "$TEST_TMP/body")
"$CASCADE_DPCTL" -s "$seg_name" dump | grep -q " rtx=$rtx_ssrc:101\$" ||
	fail "the RTX SSRC and payload type did not reach the dataplane: $("$CASCADE_DPCTL" -s "$seg_name" dump | grep consumer)"
ok DELETE "/v1/transports/$trtx"

# --- pause, resume, delete -----------------------------------------------------------------------
ok GET /v1/rooms/live
c0=$(jq -r '.consumers[0].id' "$TEST_TMP/body")
ok POST "/v1/consumers/$c0/pause"
ok GET /v1/rooms/live
jq -e --arg c "$c0" '.consumers[] | select(.id == $c) | .paused' "$TEST_TMP/body" >/dev/null ||
	fail "pause not visible in the room"
"$CASCADE_DPCTL" -s "$seg_name" dump | grep -q 'paused=1' || fail "pause did not reach the dataplane"
ok POST "/v1/consumers/$c0/resume"
bad 404 "not found" POST /v1/consumers/nope/pause
ok POST "/v1/producers/$prod/pause"
"$CASCADE_DPCTL" -s "$seg_name" dump | grep -q '^producer .* paused=1' || fail "producer pause did not reach the dataplane"
ok POST "/v1/producers/$prod/resume"
ctl close producer "$prod" >/dev/null || fail "cascadectl close producer failed"
ok GET /v1/rooms/live
jq -e '(.producers | length) == 0 and (.consumers | length) == 0' "$TEST_TMP/body" >/dev/null ||
	fail "producer delete left objects: $(cat "$TEST_TMP/body")"
[[ $("$CASCADE_DPCTL" -s "$seg_name" dump | grep -c '^\(producer\|consumer\)') == 0 ]] ||
	fail "producer delete left objects in the dataplane"
bad 404 "not found" DELETE "/v1/consumers/$c0"

# the event stream saw the producer's life in order, and only it
wait_for "grep -q producer.close $TEST_TMP/events.txt" 5 || fail "no producer.close event"
events=$(sed -n 's/^event: //p' "$TEST_TMP/events.txt" | tr '\n' ' ')
[[ $events == "producer.add producer.pause producer.resume producer.close " ]] ||
	fail "events: '$events'"
grep '^data: ' "$TEST_TMP/events.txt" | sed 's/^data: //' | jq -e --arg p "$prod" '.id == $p' \
	>/dev/null || fail "event data does not name the producer: $(cat "$TEST_TMP/events.txt")"

stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
pass "producer + 10 negotiated consumers carried media with zero loss; errors named; cascade delete"
