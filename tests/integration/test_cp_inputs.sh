#!/usr/bin/env bash
# What cascade-cp reads from outside, and who may ask what. One node in cluster mode
# (its own Redis, a net_null dataplane) and a fake second node (fakepeer.py, which has
# the cluster secret) whose records the test writes into Redis, signed (cascadesign.py):
#   - producer records from Redis go through the API's validator: an extension id of 300
#     or a codec without mimeType is refused with 404 naming the field, nothing is left
#     in the dataplane, and the node lives on; a peer's answer that is not a good answer
#     fails the consume with 503 and leaves nothing either; /v1/internal bodies are
#     checked the same way (400 naming the field);
#   - the route decides the credential: /v1//internal/pipes, a trailing slash or a
#     "../" is no route (404), never the inter-node handler with the application token;
#   - pipe objects are not API objects: the pipe transport, a piped-in producer and a
#     pipe consumer answer 404 to /v1/transports, /v1/producers and /v1/consumers calls,
#     and show in stats and /metrics, labelled with their real room;
#   - rooms isolate: a consumer in room B of a producer of room A is refused (404).
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq /usr/bin/python3
redis_start

secret=cluster-secret-$RANDOM-0123456789
peer_port=$(free_tcp_port) || fail "no free TCP port"
node=node-$CASCADE_TEST_ID
cp_config "$TEST_TMP/cp.json" "{\"redis\": {\"url\": \"$REDIS_URL\", \"prefix\": \"cascade\"},
	\"cluster\": {\"secret\": \"$secret\", \"pipe_port\": 7000, \"node_ttl_ms\": 1500}}"
null_node
cp_start "$TEST_TMP/cp.json"

# the fake node "ghost": its API and its record (no expiry: it stays alive)
mkdir -p "$TEST_TMP/peer"
echo ok >"$TEST_TMP/peer/mode"
bg /usr/bin/python3 "$SRC_DIR/tests/integration/fakepeer.py" 127.0.0.1 "$peer_port" "$secret" "$TEST_TMP/peer"
wait_for "[[ -f $TEST_TMP/peer/ready ]]" 10 || fail "the fake peer did not start"
sign() { /usr/bin/python3 "$SRC_DIR/tests/integration/cascadesign.py" "$@"; }
mapfile -t ghost < <(sign hash "$secret" 'cascade:node:{ghost}' id ghost api "http://127.0.0.1:$peer_port" \
	media_ip 127.0.0.1 pipe_port 7999 pipe_srtp none draining 0 \
	load '{"egress_pps":0,"consumers":0,"cpu":0,"score":0}')
rcli HSET 'cascade:node:{ghost}' "${ghost[@]}" >/dev/null
rcli SADD cascade:nodes ghost >/dev/null
rcli SADD 'cascade:node:{ghost}:rooms' R >/dev/null

status() { curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$@"; }
msg() { jq -r .error.message "$TEST_TMP/body"; }
# answer WANT FIELD METHOD PATH [BODY]: the status is WANT and the message names FIELD
answer() {
	local want=$1 field=$2 s
	shift 2
	s=$(call "$@")
	[[ $s == "$want" ]] || fail "$1 $2: status $s, wanted $want: $(cat "$TEST_TMP/body")"
	msg | grep -qF -- "$field" || fail "$1 $2: message does not name '$field': $(cat "$TEST_TMP/body")"
}
wait_for "[[ \$(call GET /v1/cluster/nodes) == 200 ]] && jq -e '.nodes | length == 2' $TEST_TMP/body" 15 ||
	fail "the node never saw the fake node: $(cat "$TEST_TMP/body")"
wait_for "[[ \$(call GET /v1/stats) == 200 ]] && jq -e '.pipes.transport != null' $TEST_TMP/body" 10 ||
	fail "no pipe transport: $(cat "$TEST_TMP/body")"
pipe_t=$(jq -r .pipes.transport.id "$TEST_TMP/body")
dp_producers() { "$CASCADE_DPCTL" -s "$seg_name" dump | grep -c '^producer' || true; }

vp8='{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}'
record() { # record ID RTPPARAMETERS: a producer of the fake node in room R
	rcli HSET 'cascade:{R}:producers' "$1" "$(sign record "$secret" 'cascade:{R}:producers' "$1" \
		"{\"id\":\"$1\",\"node\":\"ghost\",\"room\":\"R\",\"kind\":\"video\",\"rtpParameters\":$2,\"paused\":false}")" >/dev/null
}
record p-ext300 "{\"codecs\":[$vp8],\"headerExtensions\":[{\"uri\":\"urn:x\",\"id\":300}],\"encodings\":[{\"ssrc\":4096}]}"
record p-nomime '{"codecs":[{"payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":4096}]}'
record p-good "{\"codecs\":[$vp8],\"headerExtensions\":[{\"uri\":\"urn:x\",\"id\":3}],\"encodings\":[{\"ssrc\":4096}],\"rtcp\":{\"cname\":\"g\"}}"
record p-good2 "{\"codecs\":[$vp8],\"encodings\":[{\"ssrc\":4097}]}"

ok POST /v1/rooms/R/transports '{}'
tr=$(jq -r .id "$TEST_TMP/body")
ok POST "/v1/transports/$tr/connect" '{"ip":"198.18.0.2","port":6000}'
before=$(dp_producers)

# --- records from Redis: the validator of API bodies ---------------------------------------------
answer 404 "headerExtensions[0].id" POST "/v1/transports/$tr/consumers" '{"producerId":"p-ext300"}'
answer 404 "codecs[0].mimeType" POST "/v1/transports/$tr/consumers" '{"producerId":"p-nomime"}'
ok GET /v1/node
[[ $(dp_producers) == "$before" ]] || fail "a refused record left a pipe producer in the dataplane"
grep -q "p-ext300: its cluster record is not usable" "$TEST_TMP/cp.log" ||
	fail "the refused record is not in the log"
log "producer records from Redis: extension id 300 and a codec without mimeType refused, named"

# --- a peer's answers are inputs too ----------------------------------------------------------------
echo badssrc >"$TEST_TMP/peer/mode"
answer 503 "answered the pipe request" POST "/v1/transports/$tr/consumers" '{"producerId":"p-good2"}'
echo garbage >"$TEST_TMP/peer/mode"
answer 503 "answered the pipe request" POST "/v1/transports/$tr/consumers" '{"producerId":"p-good2"}'
echo refuse >"$TEST_TMP/peer/mode"
answer 503 "refused the pipe: refused?by the fake peer" POST "/v1/transports/$tr/consumers" '{"producerId":"p-good2"}'
wait_for "[[ \$(dp_producers) == $before ]]" 5 || fail "a failed pipe left its producer in the dataplane"
echo ok >"$TEST_TMP/peer/mode"
ok POST "/v1/transports/$tr/consumers" '{"producerId":"p-good"}'
cons=$(jq -r .id "$TEST_TMP/body")
jq -e '.rtpParameters.headerExtensions == [{"uri":"urn:x","id":3}] and .rtpParameters.rtcp.cname == "g"' "$TEST_TMP/body" >/dev/null ||
	fail "consumer of the fake node's producer: $(cat "$TEST_TMP/body")"
tail -1 "$TEST_TMP/peer/requests" | jq -e --arg n "$node" '.producerId == "p-good" and .node == $n and
	.ip == "198.18.0.1" and .port == 7000 and .ssrc > 0' >/dev/null ||
	fail "the pipe request: $(tail -1 "$TEST_TMP/peer/requests")"
grep -q '^X-Cascade-Signature: [0-9a-f]\{64\}$' "$TEST_TMP/peer/headers" && ! grep -qF "$secret" "$TEST_TMP/peer/headers" ||
	fail "the pipe requests' headers (signed, without the secret): $(cat "$TEST_TMP/peer/headers")"
log "peer answers checked: another SSRC, not JSON and a refusal fail cleanly; a good one pipes"

# --- inter-node bodies: the same validator -----------------------------------------------------------
# peer METHOD PATH BODY: a call signed as the fake node would sign it
peer() {
	local -a h
	mapfile -t h < <(sign peer "$secret" ghost "$node" "$1" "$2" "$3")
	curl -s -o "$TEST_TMP/body" -w '%{http_code}' -H "${h[0]}" -H "${h[1]}" -H "${h[2]}" \
		-X "$1" "$api$2" -d "$3"
}
[[ $(peer POST /v1/internal/pipes '{"producerId":"x","node":"n 2","ip":"1.2.3.4","port":1,"ssrc":1}') == 400 ]] &&
	msg | grep -q '^node' || fail "internal body, bad node: $(cat "$TEST_TMP/body")"
[[ $(peer POST /v1/internal/pipes '{"producerId":"x","node":"n2","ip":"1.2.3.4","port":70000,"ssrc":1}') == 400 ]] &&
	msg | grep -q '^port' || fail "internal body, bad port: $(cat "$TEST_TMP/body")"
[[ $(peer POST /v1/internal/pipes '{"producerId":"x","node":"n2","ip":"1.2.3.4","port":1,"ssrc":1,"srtp":{"cryptoSuite":"AES_CM_128_HMAC_SHA1_80","keyBase64":"AA=="}}') == 400 ]] &&
	msg | grep -q 'srtp.keyBase64' || fail "internal body, bad key: $(cat "$TEST_TMP/body")"
log "/v1/internal bodies refused naming the field"

# --- the route decides the credential -----------------------------------------------------------------
ok POST /v1/rooms/R/transports '{"comedia":true}'
tp=$(jq -r .id "$TEST_TMP/body")
ok POST "/v1/transports/$tp/producers" "{\"kind\":\"video\",\"rtpParameters\":{\"codecs\":[$vp8],\"encodings\":[{\"ssrc\":8192}]}}"
prod=$(jq -r .id "$TEST_TMP/body")
evil="{\"producerId\":\"$prod\",\"node\":\"evil\",\"ip\":\"198.18.0.99\",\"port\":9999,\"ssrc\":1}"
for path in /v1//internal/pipes //v1/internal/pipes /v1/internal//pipes /v1/internal/pipes/ \
	/v1/rooms/../internal/pipes /v1/./internal/pipes; do
	s=$(curl -s --path-as-is -o "$TEST_TMP/body" -w '%{http_code}' "${auth[@]}" -X POST "$api$path" -d "$evil")
	[[ $s == 404 ]] || fail "POST $path with the application token: $s $(cat "$TEST_TMP/body")"
done
[[ $(call POST /v1/internal/pipes "$evil") == 401 ]] || fail "the application token on /v1/internal: $(cat "$TEST_TMP/body")"
[[ $(curl -s -o "$TEST_TMP/body" -w '%{http_code}' -H "Authorization: Bearer $secret" -X POST \
	"$api/v1/internal/pipes" -d "$evil") == 401 ]] || fail "the cluster secret as a bearer token: $(cat "$TEST_TMP/body")"
[[ $(curl -s -o /dev/null -w '%{http_code}' -X POST "$api/v1//internal/pipes") == 401 ]] ||
	fail "no token for an unknown path must be 401, not 404"
ok GET /v1/stats
jq -e 'all(.pipes.out[]; .node != "evil")' "$TEST_TMP/body" >/dev/null || fail "a pipe towards 'evil' was made"
log "/v1//internal/pipes, trailing slash, ../ and ./: no route (404); the token alone never reaches /v1/internal"

# --- pipe objects are not API objects ------------------------------------------------------------------
answer 404 "not found" DELETE "/v1/transports/$pipe_t"
answer 404 "not found" POST "/v1/transports/$pipe_t/producers" "{\"kind\":\"video\",\"rtpParameters\":{\"codecs\":[$vp8],\"encodings\":[{\"ssrc\":1}]}}"
answer 404 "not found" POST "/v1/transports/$pipe_t/consumers" "{\"producerId\":\"$prod\"}"
answer 404 "not found" POST "/v1/transports/$pipe_t/connect" '{"ip":"198.18.0.2","port":1}'
answer 404 "not found" POST /v1/producers/p-good/pause
answer 404 "not found" DELETE /v1/producers/p-good
# a pipe consumer (this node's end towards the fake node), made as the fake node would
[[ $(peer POST /v1/internal/pipes "{\"producerId\":\"$prod\",\"node\":\"ghost\",\"ip\":\"127.0.0.1\",\"port\":7999,\"ssrc\":777}") == 200 ]] ||
	fail "the fake node's pipe request: $(cat "$TEST_TMP/body")"
pcons=$(jq -r .consumerId "$TEST_TMP/body")
answer 404 "not found" DELETE "/v1/consumers/$pcons"
answer 404 "not found" POST "/v1/consumers/$pcons/pause"
ok GET /v1/stats
jq -e --arg t "$pipe_t" --arg c "$pcons" '.pipes.transport.id == $t and any(.transports[]; .id == $t and .pipe)
	and any(.pipes.in[]; .producerId == "p-good" and .room == "R")
	and any(.pipes.out[]; .consumerId == $c and .room == "R")' "$TEST_TMP/body" >/dev/null ||
	fail "pipe objects in stats: $(jq -c .pipes "$TEST_TMP/body")"
ok GET /v1/rooms/R
jq -e '[.transports[].id] | length == 2' "$TEST_TMP/body" >/dev/null || fail "room view: $(cat "$TEST_TMP/body")"
log "the pipe transport, a piped-in producer and a pipe consumer answer 404; stats show them"

# --- metrics: piped objects carry their room -------------------------------------------------------------
curl -s "${auth[@]}" "$api/metrics" >"$TEST_TMP/metrics"
grep -q "^cascade_producer_rx_packets_total{node=\"$node\",room=\"R\",producer=\"p-good\",kind=\"video\"} " "$TEST_TMP/metrics" ||
	fail "the piped-in producer's metrics: $(grep p-good "$TEST_TMP/metrics")"
grep -q "^cascade_consumer_tx_packets_total{node=\"$node\",room=\"R\",consumer=\"$pcons\"," "$TEST_TMP/metrics" ||
	fail "the pipe consumer's metrics: $(grep "$pcons" "$TEST_TMP/metrics")"
log "/metrics: the piped-in producer and the pipe consumer are labelled room=\"R\""

# --- rooms isolate ---------------------------------------------------------------------------------------
ok POST /v1/rooms/B/transports '{}'
tb=$(jq -r .id "$TEST_TMP/body")
answer 404 "not in room B" POST "/v1/transports/$tb/consumers" "{\"producerId\":\"$prod\"}"
answer 404 "not in room B" POST "/v1/transports/$tb/consumers" '{"producerId":"p-good"}'
ok GET /v1/stats
[[ $(jq --arg p "$prod" '[.consumers[] | select(.producerId == $p)] | length' "$TEST_TMP/body") == 1 ]] ||
	fail "a consumer across rooms was made: $(jq -c .consumers "$TEST_TMP/body")"
log "a consumer in room B of a producer of room A (local or piped in): 404"

kill -0 "$cp_pid" || fail "cascade-cp died"
stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
pass "records, peer answers and inter-node bodies validated; routes decide credentials; pipe objects internal; rooms isolate"
