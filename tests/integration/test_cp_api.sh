#!/usr/bin/env bash
# cascade-cp, first step: configuration errors stop it at start naming the field;
# every endpoint needs the bearer token; errors are {"error":{"code","message"}} with
# the right status; GET /v1/node reports the node and follows the dataplane as it
# comes, answers pings through the command ring, and goes.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP"
require_cmd curl jq

cfg=$TEST_TMP/cp.json
cat >"$cfg" <<JSON
{"node_id": "node-$CASCADE_TEST_ID",
 "media": {"ips": ["198.18.0.1"], "port_min": 40000, "port_max": 40999},
 "api": {"listen": "127.0.0.1:$port", "token": "$token"},
 "dataplane": {"segment": "$seg_name"}}
JSON

# --- bad configuration: exit 1, one line naming the field ------------------------------
bad_cfg() {
	local want=$1 json=$2
	shift 2
	printf '%s' "$json" >"$TEST_TMP/bad.json"
	if "$CASCADE_CP" --config "$TEST_TMP/bad.json" "$@" >"$TEST_TMP/bad.log" 2>&1; then
		fail "cascade-cp accepted: $json $*"
	fi
	grep -q -- "$want" "$TEST_TMP/bad.log" || fail "no '$want' in: $(cat "$TEST_TMP/bad.log")"
}
good='"media": {"ips": ["198.18.0.1"], "port_min": 40000, "port_max": 40999}, "api": {"listen": "127.0.0.1:1", "token": "0123456789abcdef"}'
bad_cfg "node_id" "{$good}"
bad_cfg "media.port_min" '{"node_id": "n", "media": {"ips": ["198.18.0.1"], "port_min": 5000, "port_max": 4000}, "api": {"listen": "127.0.0.1:1", "token": "0123456789abcdef"}}'
bad_cfg "media.ips" '{"node_id": "n", "media": {"ips": ["not-an-ip"], "port_min": 1, "port_max": 2}, "api": {"listen": "127.0.0.1:1", "token": "0123456789abcdef"}}'
bad_cfg "api.token" '{"node_id": "n", "media": {"ips": ["198.18.0.1"], "port_min": 1, "port_max": 2}, "api": {"listen": "127.0.0.1:1", "token": "short"}}'
bad_cfg "api.listen" '{"node_id": "n", "media": {"ips": ["198.18.0.1"], "port_min": 1, "port_max": 2}, "api": {"listen": "localhost", "token": "0123456789abcdef"}}'
bad_cfg "media.colour" '{"node_id": "n", "media": {"ips": ["198.18.0.1"], "port_min": 1, "port_max": 2, "colour": 1}, "api": {"listen": "127.0.0.1:1", "token": "0123456789abcdef"}}'
bad_cfg "duplicate object key" "{\"node_id\": \"n\", $good, \"node_id\": \"m\"}"
bad_cfg "redis.url" "{\"node_id\": \"n\", $good, \"redis\": {\"url\": \"http://x\"}}"
bad_cfg "cluster.secret" "{\"node_id\": \"n\", $good, \"redis\": {\"url\": \"redis://127.0.0.1:1\"}}"
bad_cfg "cluster.pipe_port" "{\"node_id\": \"n\", $good, \"redis\": {\"url\": \"redis://127.0.0.1:1\"}, \"cluster\": {\"secret\": \"0123456789abcdef\"}}"
bad_cfg "cluster.pipe_port" "{\"node_id\": \"n\", $good, \"cluster\": {\"pipe_port\": 40500}}"
bad_cfg "cluster.node_ttl_ms" "{\"node_id\": \"n\", $good, \"cluster\": {\"node_ttl_ms\": 10}}"
bad_cfg "cluster.peer_networks" "{\"node_id\": \"n\", $good, \"cluster\": {\"peer_networks\": [\"10.1.0.0/8\"]}}"
bad_cfg "cluster.peer_networks" "{\"node_id\": \"n\", $good, \"cluster\": {\"peer_networks\": []}}"
bad_cfg "bad.json:1" '{"node_id": '
bad_cfg "--port-range" "{\"node_id\": \"n\", $good}" --port-range 9-x

# --- the API, without and with a dataplane ---------------------------------------------
bg "$CASCADE_CP" --config "$cfg" >"$TEST_TMP/cp.log" 2>&1
cp_pid=$BG_PID
wait_for "curl -s -o /dev/null $api/v1/node" 10 || fail "cascade-cp does not listen on $api"

status() { curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$@"; }
code() { jq -r '.error.code' "$TEST_TMP/body"; }
[[ $(status "$api/v1/node") == 401 && $(code) == unauthorized ]] || fail "no token: $(cat "$TEST_TMP/body")"
[[ $(status -H "Authorization: Bearer wrong" "$api/v1/node") == 401 ]] || fail "wrong token accepted"
auth=(-H "Authorization: Bearer $token")
[[ $(status "${auth[@]}" "$api/v1/nothing") == 404 && $(code) == not_found ]] || fail "unknown path: $(cat "$TEST_TMP/body")"
# a node without redis.url is standalone: no cluster endpoints, no inter-node calls
[[ $(status "${auth[@]}" "$api/v1/cluster/nodes") == 404 && $(code) == not_found ]] ||
	fail "cluster/nodes on a standalone node: $(cat "$TEST_TMP/body")"
[[ $(status "${auth[@]}" -X POST "$api/v1/internal/pipes" -d '{}') == 401 ]] ||
	fail "internal call with the API token instead of a cluster secret: $(cat "$TEST_TMP/body")"
[[ $(status "${auth[@]}" -X POST "$api/v1/node/drain") == 200 ]] &&
	jq -e '.draining' "$TEST_TMP/body" >/dev/null || fail "drain: $(cat "$TEST_TMP/body")"
[[ $(status "${auth[@]}" -X DELETE "$api/v1/node/drain") == 200 ]] || fail "undrain"
[[ $(status "${auth[@]}" -X POST "$api/v1/node") == 405 && $(code) == method_not_allowed ]] ||
	fail "POST /v1/node: $(cat "$TEST_TMP/body")"
[[ $(status "${auth[@]}" "$api/v1/node") == 200 ]] || fail "GET /v1/node: $(cat "$TEST_TMP/body")"
jq -e --arg id "node-$CASCADE_TEST_ID" '.id == $id and .dataplane.state == "absent" and
	.addresses.media == ["198.18.0.1"] and .addresses.port_range == [40000, 40999]' \
	"$TEST_TMP/body" >/dev/null || fail "node without dataplane: $(cat "$TEST_TMP/body")"

bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix" --vdev net_null0,no-rx=1 \
	-- --segment "$seg_name" >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
node_state() { curl -s "${auth[@]}" "$api/v1/node" | jq -r .dataplane.state; }
wait_for "[[ \$(node_state) == running ]]" 15 ||
	fail "the control plane never saw the dataplane"
status "${auth[@]}" "$api/v1/node" >/dev/null
jq -e '.dataplane | .workers == 1 and .capacity.consumers == 131072 and (.epoch | length) == 16' \
	"$TEST_TMP/body" >/dev/null || fail "node with dataplane: $(cat "$TEST_TMP/body")"

stop "$dp_pid"
wait_for "[[ \$(node_state) == absent ]]" 8 ||
	fail "the control plane did not notice the dataplane stop"

stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
pass "config errors, auth, error bodies, /v1/node with and without the dataplane"
