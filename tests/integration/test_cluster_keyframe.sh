#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Keyframe requests across nodes: a consumer on node 2 of a producer on node 1 asks, node 2
# sends its merged request back over the pipe, node 1 merges it with its own and the
# producer's sender gets at most one request per interval.
#
# 2-node lab. A sender (kfpeer.py on client 1: RTP from port 5000, a sender report from
# 5001, to one comedia rtcp-mux transport on node 1; the producer negotiated PLI). A
# consumer on node 2 (towards client 2), which pipes the producer in; making the pipe's
# consumer on node 1 asks for a keyframe there, and so does making the consumer on node 2:
# its request, made before the pipe's first packet, waits for it and goes over the pipe
# (node 2's pipe producer counts it; nothing is unsent). Then client 2 sends 10 PLIs for
# its consumer in half a second. Node 2's dataplane turns them into a few requests
# (keyframe_requests_out) and its pipe producer's pliCount counts them; none is unsent.
# Node 1's producer's pliCount equals the PLI compounds the sender received on its RTCP
# port, every one naming the producer's SSRC: at least 2, and no more than node 2's
# requests plus node 1's own ask.
#
# With an SRTP suite as argument the pipes carry SRTP (cluster.pipe_srtp): node 2's requests
# cross as SRTCP from the stream's feedback SSRC, and the counts are the same.
. "$(dirname "$0")/lib.sh"

need_lab 96
PEER=$SRC_DIR/tests/integration/kfpeer.py
export CASCADE_LAB_PIPE_SRTP=${1:-none}

lab_use
lab_up 2
lab_cluster_formed 2
n1ip=$(nq 1 media_ip)

ok 1 POST /v1/rooms/kf/transports '{"comedia":true,"rtcpMux":true}'
tp=$(jq -r .id "$TEST_TMP/body")
pport=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok 1 POST "/v1/transports/$tp/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000,"rtcpFeedback":[{"type":"nack","parameter":"pli"}]}],"encodings":[{"ssrc":4096}]}}'
prod=$(jq -r .id "$TEST_TMP/body")
bg ip netns exec "$c1" "$PY" "$PEER" sender "$c1ip" "$n1ip" "$pport" "$TEST_TMP/back.jsonl"
learned() { api 1 GET /v1/rooms/kf >/dev/null && jq -r ".transports[] | select(.id == \"$tp\") | .remote.port" "$TEST_TMP/body"; }
wait_for "[[ \$(learned) == 5000 ]]" 15 || fail "node 1 did not learn the sender: $(cat "$TEST_TMP/body")"

caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000,"rtcpFeedback":[{"type":"nack","parameter":"pli"}]}]}'
ok 2 POST /v1/rooms/kf/transports '{"rtcpMux":true}'
tc=$(jq -r .id "$TEST_TMP/body")
cport=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok 2 POST "/v1/transports/$tc/connect" "{\"ip\":\"$c2ip\",\"port\":6000}"
ok 2 POST "/v1/transports/$tc/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":$caps}"
cssrc=$(jq -r '.rtpParameters.encodings[0].ssrc' "$TEST_TMP/body")

# node N's producer counter FIELD: node 1's producer, or node 2's piped-in one
pcount() {
	api "$1" GET /v1/stats >/dev/null
	if (($1 == 1)); then
		jq -r ".producers[] | select(.id == \"$prod\") | .$2" "$TEST_TMP/body"
	else
		jq -r "[.producers[] | select(.pipe)] | if length == 1 then .[0].$2 else \"none\" end" "$TEST_TMP/body"
	fi
}
dpstat() { lab_dpctl "$1" stats | awk -v k="$2" '$1 == k {print $2}'; }
# what came back to the sender's RTCP port: receiver reports (81c9...) and requests (an
# empty RR 80c90001 from the node's SSRC, then PLI 81ce0002 naming the media SSRC)
back() { jq -r 'select(.port == 5001) | .hex' "$TEST_TMP/back.jsonl"; }
plis_back() { back | grep -c '^80c90001.\{8\}81ce0002' || true; }

wait_for "(( \$(pcount 2 rxPackets) > 0 ))" 15 || fail "no media through the pipe: $(pcount 2 rxPackets)"
wait_for "(( \$(pcount 1 pliCount) >= 1 ))" 15 || fail "making the pipe's consumer asked no keyframe on node 1"
# the consumer's own ask on node 2, made before the pipe's first packet, went once it came
wait_for "(( \$(dpstat 2 keyframe_requests_out) >= 1 && \$(pcount 2 pliCount) >= 1 ))" 10 ||
	fail "node 2 did not send the new consumer's request over the pipe: $(lab_dpctl 2 stats | grep keyframe | tr '\n' ' ')"
out0=$(dpstat 2 keyframe_requests_out)

log "client 2 asks node 2 for a keyframe 10 times in half a second"
ip netns exec "$c2" "$PY" "$PEER" pli "$c2ip" 6000 "$(nq 2 media_ip)" "$cport" "$cssrc" 10 50 ||
	fail "client 2 could not send its PLIs"
wait_for "(( \$(dpstat 2 keyframe_requests_in) >= 11 ))" 10 ||
	fail "node 2 counted $(dpstat 2 keyframe_requests_in) asks (the consumer's add and 10 PLIs)"
# node 2's merged requests went over the pipe, and node 2's control plane counted them
wait_for "(( \$(dpstat 2 keyframe_requests_out) > out0 && \$(pcount 2 pliCount) == \$(dpstat 2 keyframe_requests_out) ))" 10 ||
	fail "node 2: $(dpstat 2 keyframe_requests_out) requests out, pipe producer pliCount $(pcount 2 pliCount)"
[[ $(dpstat 2 keyframe_requests_unsent) == 0 ]] ||
	fail "node 2 could not send $(dpstat 2 keyframe_requests_unsent) requests over the pipe"
# node 2's last merged request, and node 1's, go when their intervals end: let 1.2 s of
# the stream (60 packets at 50 a second) pass node 1's producer, then the counts are final
rx0=$(pcount 1 rxPackets)
wait_for "(( \$(pcount 1 rxPackets) >= rx0 + 60 ))" 10 || fail "the stream stopped at node 1"
b=$(pcount 2 pliCount)
# node 1 merged what came over the pipe; its count settles on what the sender received
wait_for "n=\$(pcount 1 pliCount); (( n >= 2 )) && [[ \$n == \$(plis_back) ]] && (( \$(dpstat 1 keyframe_requests_in) >= b + 1 ))" 15 ||
	fail "node 1: pliCount $(pcount 1 pliCount), PLIs at the sender $(plis_back), asks $(dpstat 1 keyframe_requests_in)"
n=$(pcount 1 pliCount)
((n <= b + 1 && n < 11)) || fail "node 1 sent $n requests for node 2's $b and its own 1: not merged"
[[ -z $(back | grep -v '^81c9' | grep -v '^80c90001.\{8\}81ce0002.\{8\}00001000$') ]] ||
	fail "RTCP at the sender that is neither a report nor a PLI naming SSRC 4096: $(back | tr '\n' ' ')"
[[ -z $(jq -r 'select(.port == 5000) | .hex' "$TEST_TMP/back.jsonl") ]] ||
	fail "RTCP went to the sender's RTP port, not the port its RTCP came from"
pass "10 PLIs on node 2: $b requests over the pipe ($CASCADE_LAB_PIPE_SRTP), $n at the sender (node 1's own ask included)"
