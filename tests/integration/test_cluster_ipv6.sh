#!/usr/bin/env bash
# IPv6 control addresses end to end, on a 2-node lab with CASCADE_LAB_IPV6=1: Redis at
# redis://[2001:2::1]:6379, each node's API on [2001:2::1N]:8480. The nodes' records
# carry their API as a bracketed URL, each node finds and calls the other over IPv6, and
# a producer on node 1 reaches a receiver behind node 2 through a pipe (media on IPv4),
# whole.
. "$(dirname "$0")/lib.sh"

need_lab 64
export CASCADE_LAB_IPV6=1
lab_use
lab_up 2

[[ $(jq -r .redis "$L") == "redis://[2001:2::1]:6379" ]] || fail "lab redis: $(jq -r .redis "$L")"
[[ $(nq 1 api) == "http://[2001:2::11]:8480" ]] || fail "lab api: $(nq 1 api)"
for n in 1 2; do
	wait_for "[[ \$(api $n GET /v1/cluster/nodes) == 200 ]] && (( \$(jq '.nodes | length' $TEST_TMP/body) == 2 ))" 30 ||
		fail "node $n does not see 2 nodes: $(cat "$TEST_TMP/body")"
done
jq -e '[.nodes[].api] | sort == ["http://[2001:2::11]:8480", "http://[2001:2::12]:8480"]' "$TEST_TMP/body" >/dev/null ||
	fail "node records' API addresses: $(jq -c '[.nodes[].api]' "$TEST_TMP/body")"
ok 1 GET /v1/node
jq -e '.addresses.api == "[2001:2::11]:8480"' "$TEST_TMP/body" >/dev/null || fail "/v1/node: $(jq -c .addresses "$TEST_TMP/body")"

ok 1 POST /v1/rooms/v6/transports '{"comedia":true}'
pin=$(jq -r .tuple.localPort "$TEST_TMP/body")
t=$(jq -r .id "$TEST_TMP/body")
ok 1 POST "/v1/transports/$t/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":4096}]}}'
prod=$(jq -r .id "$TEST_TMP/body")
ok 2 POST /v1/rooms/v6/transports '{}'
t2=$(jq -r .id "$TEST_TMP/body")
ok 2 POST "/v1/transports/$t2/connect" "{\"ip\":\"$c2ip\",\"port\":6000}"
ok 2 POST "/v1/transports/$t2/consumers" "{\"producerId\":\"$prod\"}" # node 2 calls node 1 over IPv6
ssrc=$(jq -r '.rtpParameters.encodings[0].ssrc' "$TEST_TMP/body")
count=300
bg ip netns exec "$c2" "$PY" "$UDP" recv "$c2ip" 6000 "$count" "$TEST_TMP/r.json" "$TEST_TMP/r.ready"
r=$BG_PID
wait_for "[[ -f $TEST_TMP/r.ready ]]" 10 || fail "receiver did not start"
ip netns exec "$c1" "$PY" "$UDP" send "$c1ip" 5000 "$(nq 1 media_ip)" "$pin" "$count" 300 || fail "sender failed"
wait "$r" || fail "receiver failed"
jq -e --argjson n "$count" --argjson s "$ssrc" '.packets == $n and .missing == 0 and .bad == 0 and
	.ssrcs == [$s]' "$TEST_TMP/r.json" >/dev/null || fail "receiver behind node 2: $(cat "$TEST_TMP/r.json")"
pass "IPv6 control addresses: bracketed URLs in records, node to node over IPv6, $count packets piped whole"
