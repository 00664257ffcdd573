#!/usr/bin/env bash
# Header extensions through a negotiated consumer (RFC 8285 one-byte elements): the
# producer declares urn:a on id 1 and urn:b on id 2 and its packets also carry an
# element on id 5 it never declared; the receiver announces urn:b only, on id 1. What
# the receiver gets has urn:b's element on id 1, and every other element on an id no
# other element of the packet has: two elements never share an id, whatever the
# sender put in.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq ip ethtool /usr/bin/python3
UDP=$SRC_DIR/tests/integration/udprtp.py

media_node
cp_config "$TEST_TMP/cp.json"
cp_start "$TEST_TMP/cp.json"

ok POST /v1/rooms/x/transports '{"comedia":true}'
tin=$(jq -r .id "$TEST_TMP/body")
pin=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok POST "/v1/transports/$tin/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"headerExtensions":[{"uri":"urn:a","id":1},{"uri":"urn:b","id":2}],"encodings":[{"ssrc":4096}]}}'
prod=$(jq -r .id "$TEST_TMP/body")
ok POST /v1/rooms/x/transports '{}'
tout=$(jq -r .id "$TEST_TMP/body")
ok POST "/v1/transports/$tout/connect" '{"ip":"198.18.0.2","port":6000}'
ok POST "/v1/transports/$tout/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":96,\"clockRate\":90000}],\"headerExtensions\":[{\"uri\":\"urn:b\",\"preferredId\":1}]}}"
jq -e '.rtpParameters.headerExtensions == [{"uri":"urn:b","id":1}]' "$TEST_TMP/body" >/dev/null ||
	fail "negotiated extensions: $(cat "$TEST_TMP/body")"

n=20
bg ip netns exec "$ns" /usr/bin/python3 "$UDP" recvext 198.18.0.2 6000 "$n" "$TEST_TMP/got.jsonl" "$TEST_TMP/ready"
wait_for "[[ -f $TEST_TMP/ready ]]" 10 || fail "receiver did not start"
ip netns exec "$ns" /usr/bin/python3 "$UDP" sendext 198.18.0.2 5000 198.18.0.1 "$pin" "$n" 1:aa,2:bbbb,5:cc ||
	fail "sender failed"
wait_for "(( \$(wc -l <$TEST_TMP/got.jsonl) == $n ))" 10 ||
	fail "received $(wc -l <"$TEST_TMP/got.jsonl") of $n packets"
# every packet: urn:b (bbbb) on 1; three elements on three different ids
jq -se 'all(.[]; length == 3 and (map(.[0]) | unique | length) == 3 and
	any(.[]; . == [1, "bbbb"]) and all(.[]; .[0] >= 1 and .[0] <= 14))' "$TEST_TMP/got.jsonl" >/dev/null ||
	fail "extension elements forwarded: $(head -3 "$TEST_TMP/got.jsonl")"
log "forwarded: $(head -1 "$TEST_TMP/got.jsonl") (sent [[1,aa],[2,bbbb],[5,cc]])"
pass "header extensions: announced ones on the receiver's ids, the others out of their way"
