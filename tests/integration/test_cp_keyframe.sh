#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# What the dataplane reports reaches the API: a comedia transport's learned remote, and
# the keyframe requests it sent a producer's sender (its event ring, read by cascade-cp).
#
# A sender (kfpeer.py, kernel sockets in the test namespace) sends RTP from port 5000
# and a sender report from 5001 to one rtcp-mux comedia transport, as ffmpeg does; its
# producer negotiated PLI. The room view shows the learned remote (5000, RTCP 5001).
# A consumer is made (which asks for a keyframe), then its receiver sends 10 PLIs in
# half a second: the producer's pliCount in /v1/stats and its keyframe_requests_total
# in /metrics equal the PLIs the sender received on its RTCP port (merged: at least 2,
# far fewer than 11), every one naming the producer's SSRC; no event was refused.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq ip ethtool /usr/bin/python3
PEER=$SRC_DIR/tests/integration/kfpeer.py

media_node --keyframe-interval-ms 500 --rtcp-report-ms 0
cp_config "$TEST_TMP/cp.json"
cp_start "$TEST_TMP/cp.json"

ok POST /v1/rooms/kf/transports '{"comedia":true,"rtcpMux":true}'
tp=$(jq -r .id "$TEST_TMP/body")
pport=$(jq -r .tuple.localPort "$TEST_TMP/body")
jq -e 'has("remote") | not' "$TEST_TMP/body" >/dev/null || fail "a new comedia transport has a remote"
ok POST "/v1/transports/$tp/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000,"rtcpFeedback":[{"type":"nack","parameter":"pli"}]}],"encodings":[{"ssrc":4096}]}}'
prod=$(jq -r .id "$TEST_TMP/body")

bg ip netns exec "$ns" /usr/bin/python3 "$PEER" sender 198.18.0.2 198.18.0.1 "$pport" "$TEST_TMP/back.jsonl"
remote() { call GET /v1/rooms/kf >/dev/null && jq -cS ".transports[] | select(.id == \"$tp\") | .remote" "$TEST_TMP/body"; }
wait_for "[[ \$(remote) == '{\"ip\":\"198.18.0.2\",\"learned\":true,\"port\":5000,\"rtcpPort\":5001}' ]]" 15 ||
	fail "the room view does not show the learned remote: $(remote)"
log "learned remote in the room view: $(remote)"

caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000,"rtcpFeedback":[{"type":"nack","parameter":"pli"}]}]}'
ok POST /v1/rooms/kf/transports '{"rtcpMux":true}'
tc=$(jq -r .id "$TEST_TMP/body")
cport=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok POST "/v1/transports/$tc/connect" '{"ip":"198.18.0.2","port":6000}'
ok POST "/v1/transports/$tc/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":$caps}"
cssrc=$(jq -r '.rtpParameters.encodings[0].ssrc' "$TEST_TMP/body")

pli_count() { call GET /v1/stats >/dev/null && jq -r ".producers[] | select(.id == \"$prod\") | .pliCount" "$TEST_TMP/body"; }
# what came back to the sender's RTCP port: RR (80c90001, the node's SSRC), then PLI
back() { jq -r 'select(.port == 5001) | .hex' "$TEST_TMP/back.jsonl"; }
plis_back() { back | grep -c '^80c90001.\{8\}81ce0002' || true; }
wait_for "[[ \$(pli_count) -ge 1 ]]" 15 || fail "no keyframe request counted for the new consumer: $(pli_count)"

ip netns exec "$ns" /usr/bin/python3 "$PEER" pli 198.18.0.2 6000 198.18.0.1 "$cport" "$cssrc" 10 50 ||
	fail "the receiver could not send its PLIs"
asks() { "$CASCADE_DPCTL" -s "$seg_name" stats | awk '$1 == "keyframe_requests_in" {print $2}'; }
wait_for "[[ \$(asks) -ge 11 ]]" 10 || fail "the dataplane counted $(asks) asks, not 11"
# the merged request at the end of the interval, then the count settles on what the sender got
# the request merged from the last asks goes when the interval ends: let 0.6 s of the
# stream (30 packets at 50 a second) pass the producer, then the counts are final
rx() { call GET /v1/stats >/dev/null && jq -r ".producers[] | select(.id == \"$prod\") | .rxPackets" "$TEST_TMP/body"; }
rx0=$(rx)
wait_for "(( \$(rx) >= rx0 + 30 ))" 10 || fail "the stream stopped: $(rx) packets, $rx0 before"
wait_for "n=\$(pli_count); [[ \$n -ge 2 && \$n == \$(plis_back) ]]" 20 ||
	fail "pliCount $(pli_count) against $(plis_back) PLIs at the sender"
n=$(pli_count)
((n < 11)) || fail "$n requests for 11 asks: not merged"
# every packet back is such a request (no receiver reports here), naming SSRC 4096
[[ $(back | wc -l) == "$n" ]] || fail "$(back | wc -l) packets back for $n requests: $(back | tr '\n' ' ')"
[[ -z $(back | grep -v '^80c90001.\{8\}81ce0002.\{8\}00001000$') ]] ||
	fail "requests that do not name the producer's SSRC: $(back | tr '\n' ' ')"
[[ -z $(jq -r 'select(.port == 5000) | .hex' "$TEST_TMP/back.jsonl") ]] ||
	fail "RTCP went to the sender's RTP port, not the RTCP port it was learned from"
call GET /v1/stats >/dev/null
jq -e ".producers[] | select(.id == \"$prod\") | .firCount == 0" "$TEST_TMP/body" >/dev/null ||
	fail "FIRs counted for a producer that negotiated PLI"
jq -e '.node.dataplaneEvents >= 2 and .node.dataplaneEventsRefused == 0' "$TEST_TMP/body" >/dev/null ||
	fail "dataplane events: $(jq -c '.node | {dataplaneEvents, dataplaneEventsRefused}' "$TEST_TMP/body")"
curl -s "${auth[@]}" "$api/metrics" >"$TEST_TMP/metrics"
grep -qx "cascade_producer_keyframe_requests_total{node=\"node-$CASCADE_TEST_ID\",room=\"kf\",producer=\"$prod\",kind=\"video\",type=\"pli\"} $n" "$TEST_TMP/metrics" ||
	fail "metrics: $(grep keyframe_requests_total "$TEST_TMP/metrics")"
grep -q '^cascade_dataplane_events_total{.*result="refused"} 0$' "$TEST_TMP/metrics" ||
	fail "metrics: $(grep dataplane_events "$TEST_TMP/metrics")"
pass "learned remote in the room view; 11 asks, $n requests at the sender, $n counted by the API"
