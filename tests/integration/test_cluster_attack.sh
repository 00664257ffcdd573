#!/usr/bin/env bash
# The attacker has write access to Redis but not the cluster secret (DESIGN.md 4, item 7).
# A real redis-server, two real nodes (a and b: cascade-cp over a net_null dataplane
# each) that form a cluster through signed records. The attacker, with redis-cli only:
#   - plants a node record "evil" whose API address is a listener the test controls
#     (trap.py on loopback), with rooms, and a producer of evil in room R; publishes a
#     producer.add of it on R's channel; copies node a's genuine record under another
#     node's key, and a's genuine producer record under another producer id; points
#     a's own record at the listener.
# Then:
#   - consuming the fake producers on node b fails cleanly (404, JSON error), evil is
#     not among the cluster's nodes, and the refusals are counted
#     (recordsRefused.signature in /v1/node, cascade_cluster_records_refused_total);
#   - the listener never sees a connection, so nothing (no secret) reached it, and no
#     pipe was made: no pipe producer or consumer on either node, nothing in either
#     dataplane;
#   - a record signed with the secret (a compromised or misconfigured node) whose API
#     address is outside cluster.peer_networks is not called either: 503, counted as
#     cascade_peer_calls_refused_total{reason="network"}, nothing left behind;
#   - /v1/internal: no signature, the cluster secret as a bearer token, a wrong
#     signature, one for another node, a stale time and an exact replay are refused
#     with 401 and counted by reason; a correctly signed call is served.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq /usr/bin/python3
redis_start

secret=cluster-secret-$RANDOM-0123456789
node_a=a-$CASCADE_TEST_ID
node_b=b-$CASCADE_TEST_ID
port_a=$port
port_b=$(free_tcp_port) || fail "no free TCP port"
[[ $port_b != "$port_a" && $port_b != "$REDIS_PORT" ]] || port_b=$(free_tcp_port) || fail "no free TCP port"
api_a=http://127.0.0.1:$port_a
api_b=http://127.0.0.1:$port_b
sign() { /usr/bin/python3 "$SRC_DIR/tests/integration/cascadesign.py" "$@"; }

# node NAME ID PORT PIPE_PORT [JSON]: a net_null dataplane and cascade-cp in the cluster
# (JSON merged over its configuration)
node() {
	bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix-$1" --vdev net_null0,no-rx=1 \
		-- --segment "$seg_name-$1" >>"$TEST_TMP/dp-$1.log" 2>&1
	seg_track "$seg_name-$1"
	"$CASCADE_DPCTL" -s "$seg_name-$1" --timeout-ms 20000 wait || fail "cascade-dp $1 did not start"
	jq -n --arg id "$2" --arg listen "127.0.0.1:$3" --arg tok "$token" --arg seg "$seg_name-$1" \
		--arg redis "$REDIS_URL" --arg rpw "$REDIS_PASSWORD_FILE" --arg secret "$secret" \
		--argjson pipe "$4" \
		--argjson extra "${5:-"{}"}" '{node_id: $id,
		media: {ips: ["198.18.0.1"], port_min: 40000, port_max: 40999},
		api: {listen: $listen, token: $tok}, dataplane: {segment: $seg},
		redis: {url: $redis, prefix: "cascade", password_file: $rpw},
		cluster: {secret: $secret, pipe_port: $pipe, node_ttl_ms: 1500}} * $extra' \
		>"$TEST_TMP/cp-$1.json"
	bg "$CASCADE_CP" --config "$TEST_TMP/cp-$1.json" >>"$TEST_TMP/cp-$1.log" 2>&1
	cp_pids[$1]=$BG_PID
}
declare -A cp_pids
# on NODE METHOD PATH [BODY]: call node a or b with the application token
on() {
	local a=$api_a
	[[ $1 == b ]] && a=$api_b
	api=$a call "${@:2}"
}
node a "$node_a" "$port_a" 7000
# b names its peer networks (a has the default): loopback only
node b "$node_b" "$port_b" 7001 '{"cluster": {"peer_networks": ["127.0.0.0/8", "::1/128"]}}'
for n in a b; do
	wait_for "[[ \$(on $n GET /v1/cluster/nodes) == 200 ]] && jq -e '.nodes | length == 2' $TEST_TMP/body" 20 ||
		fail "node $n does not see the other one (signed node records): $(cat "$TEST_TMP/body")"
done
log "two nodes see each other through their signed records"

# node a has a real producer in room R (its record is signed)
vp8='{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}'
rtp="{\"codecs\":[$vp8],\"encodings\":[{\"ssrc\":4096}]}"
[[ $(on a POST /v1/rooms/R/transports '{"comedia":true}') == 200 ]] || fail "transport on a: $(cat "$TEST_TMP/body")"
ta=$(jq -r .id "$TEST_TMP/body")
[[ $(on a POST "/v1/transports/$ta/producers" "{\"kind\":\"video\",\"rtpParameters\":$rtp}") == 200 ]] ||
	fail "producer on a: $(cat "$TEST_TMP/body")"
pa=$(jq -r .id "$TEST_TMP/body")
wait_for "[[ -n \$(rcli HGET 'cascade:{R}:producers' $pa) ]]" 10 || fail "a's producer is not in Redis"
rcli HGET 'cascade:{R}:producers' "$pa" | jq -e .sig >/dev/null || fail "a's producer record is not signed"

# --- the attacker: Redis write access, no secret ------------------------------------------------------
mkdir -p "$TEST_TMP/trap"
trap_port=$(free_tcp_port) || fail "no free TCP port"
bg /usr/bin/python3 "$SRC_DIR/tests/integration/trap.py" 127.0.0.1 "$trap_port" "$TEST_TMP/trap"
wait_for "[[ -f $TEST_TMP/trap/ready ]]" 10 || fail "trap.py did not start"
rcli HSET 'cascade:node:{evil}' id evil api "http://127.0.0.1:$trap_port" media_ip 127.0.0.1 \
	pipe_port "$trap_port" pipe_srtp none draining 0 \
	load '{"egress_pps":0,"consumers":0,"cpu":0,"score":0}' \
	sig 0000000000000000000000000000000000000000000000000000000000000000 >/dev/null
rcli SADD cascade:nodes evil >/dev/null
rcli SADD 'cascade:node:{evil}:rooms' R >/dev/null
rcli SADD 'cascade:{R}:nodes' evil >/dev/null
fake="{\"id\":\"p-evil\",\"node\":\"evil\",\"room\":\"R\",\"kind\":\"video\",\"rtpParameters\":$rtp,\"paused\":false}"
rcli HSET 'cascade:{R}:producers' p-evil "$fake" >/dev/null
rcli PUBLISH 'cascade:{R}:events' "{\"type\":\"producer.add\",\"node\":\"evil\",\"producer\":$fake}" >/dev/null
# genuine signatures under other keys: a's node record as "copy", a's producer as p-copy
mapfile -t copy < <(rcli --raw HGETALL "cascade:node:{$node_a}")
((${#copy[@]} >= 16)) || fail "a's node record: ${copy[*]}"
rcli HSET 'cascade:node:{copy}' "${copy[@]}" >/dev/null
rcli PEXPIRE 'cascade:node:{copy}' 600000 >/dev/null
rcli SADD cascade:nodes copy >/dev/null
rcli HSET 'cascade:{R}:producers' p-copy "$(rcli HGET 'cascade:{R}:producers' "$pa")" >/dev/null
log "planted: node evil (API at the trap), producer p-evil, a producer.add of it, copies of a's records"

refused() { # NODE: records refused for their signature, as /v1/node says
	on "$1" GET /v1/node >/dev/null
	jq -r '.cluster.recordsRefused.signature // 0' "$TEST_TMP/body"
}
# every liveness round reads evil's and copy's records again: wait for a few rounds
wait_for "(( \$(refused b) >= 6 ))" 20 || fail "node b did not refuse the fake records: $(cat "$TEST_TMP/body")"

[[ $(on b POST /v1/rooms/R/transports '{}') == 200 ]] || fail "transport on b: $(cat "$TEST_TMP/body")"
tb=$(jq -r .id "$TEST_TMP/body")
for p in p-evil p-copy; do
	s=$(on b POST "/v1/transports/$tb/consumers" "{\"producerId\":\"$p\"}")
	[[ $s == 404 ]] && jq -e '.error.code == "not_found" and (.error.message | test("not usable"))' \
		"$TEST_TMP/body" >/dev/null || fail "consume of $p on b: $s $(cat "$TEST_TMP/body")"
done
# the genuine one still works: b pipes a's producer in (a signed request to a), even with
# a's own record tampered with (b keeps to what last verified, or a has rewritten it)
rcli HSET "cascade:node:{$node_a}" api "http://127.0.0.1:$trap_port" >/dev/null
[[ $(on b POST "/v1/transports/$tb/consumers" "{\"producerId\":\"$pa\"}") == 200 ]] ||
	fail "consume of a's real producer on b: $(cat "$TEST_TMP/body")"
kb=$(jq -r .id "$TEST_TMP/body")
[[ $(on b DELETE "/v1/consumers/$kb") == 200 ]] || fail "delete of b's consumer: $(cat "$TEST_TMP/body")"
log "consumes of p-evil and p-copy: 404 'not usable'; a's real producer pipes in"

on b GET /v1/cluster/nodes >/dev/null
jq -e --arg a "$node_a" --arg b "$node_b" '[.nodes[].id] | sort == ([$a, $b] | sort)' "$TEST_TMP/body" >/dev/null ||
	fail "the cluster's nodes on b: $(jq -c '[.nodes[].id]' "$TEST_TMP/body")"
curl -s "${auth[@]}" "$api_b/metrics" >"$TEST_TMP/metrics"
grep -Eq "^cascade_cluster_records_refused_total\{node=\"$node_b\",reason=\"signature\"\} [1-9]" "$TEST_TMP/metrics" ||
	fail "metrics: $(grep records_refused "$TEST_TMP/metrics")"
grep -q "refused a room channel message (signature)" "$TEST_TMP/cp-a.log" "$TEST_TMP/cp-b.log" ||
	fail "the fake producer.add is not in the logs"
grep -q "refused a node record (signature)" "$TEST_TMP/cp-b.log" || fail "no refused node record in b's log"
(( $(grep -c "refused a node record" "$TEST_TMP/cp-b.log") <= 30 )) || fail "refusals are not rate-limited in the log"
log "evil is no node of the cluster; the refusals are counted and logged"

# --- signed, but outside cluster.peer_networks ----------------------------------------------------------
mapfile -t far < <(sign hash "$secret" 'cascade:node:{far}' id far api http://192.0.2.1:8480 \
	media_ip 192.0.2.1 pipe_port 7000 pipe_srtp none draining 0)
rcli HSET 'cascade:node:{far}' "${far[@]}" >/dev/null
rcli PEXPIRE 'cascade:node:{far}' 600000 >/dev/null
rcli SADD cascade:nodes far >/dev/null
rcli HSET 'cascade:{R}:producers' p-far "$(sign record "$secret" 'cascade:{R}:producers' p-far \
	"{\"id\":\"p-far\",\"node\":\"far\",\"room\":\"R\",\"kind\":\"video\",\"rtpParameters\":$rtp,\"paused\":false}")" >/dev/null
wait_for "[[ \$(on b GET /v1/cluster/nodes) == 200 ]] && jq -e '.nodes | length == 3' $TEST_TMP/body" 10 ||
	fail "b did not take the signed record of far: $(cat "$TEST_TMP/body")"
s=$(on b POST "/v1/transports/$tb/consumers" '{"producerId":"p-far"}')
[[ $s == 503 ]] && jq -e '.error.message | test("outside cluster.peer_networks")' "$TEST_TMP/body" >/dev/null ||
	fail "consume of p-far: $s $(cat "$TEST_TMP/body")"
curl -s "${auth[@]}" "$api_b/metrics" >"$TEST_TMP/metrics"
grep -Eq "^cascade_peer_calls_refused_total\{node=\"$node_b\",reason=\"network\"\} [1-9]" "$TEST_TMP/metrics" ||
	fail "metrics: $(grep peer_calls_refused "$TEST_TMP/metrics")"
log "a signed record outside cluster.peer_networks: never called (503), counted"

# --- nothing reached the trap, no media moves ------------------------------------------------------------
[[ ! -s $TEST_TMP/trap/accepts && ! -s $TEST_TMP/trap/received ]] ||
	fail "a node connected to the attacker's address: $(cat "$TEST_TMP/trap/accepts" 2>/dev/null)"
for n in a b; do
	wait_for "[[ \$(on $n GET /v1/stats) == 200 ]] && jq -e '(.pipes.in | length) == 0 and (.pipes.out | length) == 0' $TEST_TMP/body" 10 ||
		fail "pipes left on $n: $(jq -c .pipes "$TEST_TMP/body")"
done
for n in a b; do
	dump() { "$CASCADE_DPCTL" -s "$seg_name-$1" dump >"$TEST_TMP/dump-$1"; }
	wait_for "dump $n && ! grep -q '^consumer' $TEST_TMP/dump-$n" 10 ||
		fail "a consumer is left in $n's dataplane: $(cat "$TEST_TMP/dump-$n")"
done
# b's only producers were pipe producers (made, then gone); a keeps its own one
wait_for "dump b && ! grep -q '^producer' $TEST_TMP/dump-b" 10 ||
	fail "a producer is left in b's dataplane: $(cat "$TEST_TMP/dump-b")"
log "the trap saw no connection; no pipe, producer or consumer is left on either node"

# --- /v1/internal: only a fresh signature of a node of the cluster --------------------------------------
body="{\"producerId\":\"$pa\",\"node\":\"$node_b\",\"ip\":\"127.0.0.1\",\"port\":7001,\"ssrc\":777}"
internal() { # HEADER-ARGS...: POST $body to a's /v1/internal/pipes
	curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$@" -X POST "$api_a/v1/internal/pipes" -d "$body"
}
hdrs() { # FROM TO [TIME_MS]: the signature headers as curl arguments, in array h
	local -a lines
	mapfile -t lines < <(sign peer "$secret" "$1" "$2" POST /v1/internal/pipes "$body" ${3:+"$3"})
	h=(-H "${lines[0]}" -H "${lines[1]}" -H "${lines[2]}")
}
unauthorized() { # WHAT STATUS
	[[ $2 == 401 ]] && jq -e '.error.code == "unauthorized"' "$TEST_TMP/body" >/dev/null ||
		fail "$1: $2 $(cat "$TEST_TMP/body")"
}
unauthorized "no signature" "$(internal)"
unauthorized "the cluster secret as a bearer token" "$(internal -H "Authorization: Bearer $secret")"
hdrs "$node_b" "$node_a"
unauthorized "a wrong signature" "$(internal "${h[@]:0:4}" -H "X-Cascade-Signature: $(printf '%064d' 0)")"
hdrs "$node_b" "$node_b"
unauthorized "a signature for another node" "$(internal "${h[@]}")"
hdrs "$node_b" "$node_a" $(( $(date +%s%3N) - 60000 ))
unauthorized "a signature a minute old" "$(internal "${h[@]}")"
jq -e '.error.message | test("stale")' "$TEST_TMP/body" >/dev/null || fail "stale: $(cat "$TEST_TMP/body")"
hdrs "$node_b" "$node_a" $(( $(date +%s%3N) + 60000 ))
unauthorized "a signature a minute ahead" "$(internal "${h[@]}")"
hdrs "$node_b" "$node_a"
s=$(internal "${h[@]}")
[[ $s == 200 ]] && jq -e '.ssrc == 777' "$TEST_TMP/body" >/dev/null || fail "a correctly signed call: $s $(cat "$TEST_TMP/body")"
unauthorized "the same call again (a replay)" "$(internal "${h[@]}")"
jq -e '.error.message | test("replay")' "$TEST_TMP/body" >/dev/null || fail "replay: $(cat "$TEST_TMP/body")"
curl -s "${auth[@]}" "$api_a/metrics" >"$TEST_TMP/metrics"
for r in missing signature stale replay; do
	grep -Eq "^cascade_peer_auth_refused_total\{node=\"$node_a\",reason=\"$r\"\} [1-9]" "$TEST_TMP/metrics" ||
		fail "metrics, reason $r: $(grep peer_auth_refused "$TEST_TMP/metrics")"
done
log "/v1/internal: none, bearer secret, wrong, another node's, stale, replayed: 401; a fresh one: 200"

for n in a b; do
	kill -0 "${cp_pids[$n]}" || fail "cascade-cp $n died"
done
pass "a Redis writer without the secret moves nothing: fake records refused and counted, no call to its address, peer calls need a fresh signature"
