#!/usr/bin/env bash
# cascade-cp plain transports over the API, checked against what the dataplane has
# installed (its directory, read with cascade-dpctl): create with rtcp-mux or a
# separate RTCP port from the media range, connect, delete; every bad body gets 400
# naming the field, unknown ids 404, a missing dataplane 503, an exhausted port range
# 503; failed calls leave nothing behind in the control plane or the dataplane.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq

dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }

CASCADE_API_TOKEN=$token bg "$CASCADE_CP" --node-id "node-$CASCADE_TEST_ID" --media-ip 198.18.0.1 \
	--media-ip 198.18.0.9 --port-range 40000-40007 --api-listen "127.0.0.1:$port" --segment "$seg_name" \
	>"$TEST_TMP/cp.log" 2>&1
cp_pid=$BG_PID
wait_for "curl -s -o /dev/null $api/v1/node" 10 || fail "cascade-cp does not listen"

expect() { # expect STATUS CODE-OR-DASH METHOD PATH [BODY]
	local want=$1 code=$2 got
	shift 2
	got=$(call "$@")
	[[ $got == "$want" ]] || fail "$*: status $got, wanted $want: $(cat "$TEST_TMP/body")"
	[[ $code == - || $(jq -r .error.code "$TEST_TMP/body") == "$code" ]] ||
		fail "$*: error code $(jq -r .error.code "$TEST_TMP/body"), wanted $code"
}
msg_has() { jq -r .error.message "$TEST_TMP/body" | grep -q -- "$1" || fail "message lacks '$1': $(cat "$TEST_TMP/body")"; }

expect 503 unavailable POST /v1/rooms/r1/transports '{}'

bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix" --vdev net_null0,no-rx=1 \
	-- --segment "$seg_name" >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
node_state() { curl -s "${auth[@]}" "$api/v1/node" | jq -r .dataplane.state; }
wait_for "[[ \$(node_state) == running ]]" 15 || fail "the control plane never saw the dataplane"

# --- bad requests: 400 naming the field, nothing created ----------------------------------
expect 400 bad_request POST /v1/rooms/r1/transports 'not json'
expect 400 bad_request POST /v1/rooms/r1/transports '[1]'
expect 400 bad_request POST /v1/rooms/r1/transports '{"type":"webrtc"}'; msg_has type
expect 400 bad_request POST /v1/rooms/r1/transports '{"comedia":"yes"}'; msg_has comedia
expect 400 bad_request POST /v1/rooms/r1/transports '{"rtcpMux":1}'; msg_has rtcpMux
expect 400 bad_request POST /v1/rooms/r1/transports '{"enableSrtp":"yes"}'; msg_has enableSrtp
expect 400 bad_request POST /v1/rooms/r1/transports '{"enableSrtp":true,"srtpCryptoSuite":"NULL"}'
msg_has srtpCryptoSuite
expect 400 bad_request POST "/v1/rooms/$(printf 'x%.0s' {1..70})/transports" '{}'; msg_has room
head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$TEST_TMP/big.json"
s=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "${auth[@]}" -X POST --data-binary @"$TEST_TMP/big.json" \
	"$api/v1/rooms/r1/transports")
[[ $s == 413 && $(jq -r .error.code "$TEST_TMP/body") == too_large ]] || fail "10 MB body: $s $(cat "$TEST_TMP/body")"
expect 405 method_not_allowed GET /v1/rooms/r1/transports
expect 404 not_found GET /v1/rooms/r1
[[ $(dpctl dump | wc -l) == 0 ]] || fail "failed calls installed something: $(dpctl dump)"

# --- create -------------------------------------------------------------------------------
expect 200 - POST /v1/rooms/r1/transports '{"type":"plain","comedia":true,"rtcpMux":true}'
t1=$(jq -r .id "$TEST_TMP/body")
p1=$(jq -r .tuple.localPort "$TEST_TMP/body")
jq -e '.tuple.localIp == "198.18.0.1" and .tuple.protocol == "udp" and (has("rtcpTuple") | not)' \
	"$TEST_TMP/body" >/dev/null || fail "mux transport: $(cat "$TEST_TMP/body")"
dpctl dump | grep -q "^transport .* local=198.18.0.1:$p1 remote=- flags=3$" ||
	fail "dataplane does not have the comedia mux transport: $(dpctl dump)"

expect 200 - POST /v1/rooms/r1/transports '{"comedia":false,"rtcpMux":false}'
t2=$(jq -r .id "$TEST_TMP/body")
p2=$(jq -r .tuple.localPort "$TEST_TMP/body")
r2=$(jq -r .rtcpTuple.localPort "$TEST_TMP/body")
((p2 % 2 == 0 && r2 == p2 + 1)) || fail "RTP/RTCP ports $p2/$r2: want even and even+1"

# a requested address and port; taken ports are a conflict, foreign ones bad input
expect 400 bad_request POST /v1/rooms/r1/transports '{"listenIp":"192.0.2.1"}'; msg_has listenIp
expect 400 bad_request POST /v1/rooms/r1/transports '{"listenIp":7}'; msg_has listenIp
expect 400 bad_request POST /v1/rooms/r1/transports '{"port":39000}'; msg_has port
expect 400 bad_request POST /v1/rooms/r1/transports '{"port":40007,"rtcpMux":false}'; msg_has port
expect 409 conflict POST /v1/rooms/r1/transports "{\"port\":$p1}"; msg_has port
for free in {40000..40007}; do
	((free != p1 && free != p2 && free != r2)) && break
done
expect 200 - POST /v1/rooms/r1/transports "{\"listenIp\":\"198.18.0.9\",\"port\":$free}"
t3=$(jq -r .id "$TEST_TMP/body")
jq -e --argjson p "$free" '.tuple.localIp == "198.18.0.9" and .tuple.localPort == $p' \
	"$TEST_TMP/body" >/dev/null || fail "requested tuple: $(cat "$TEST_TMP/body")"
dpctl dump | grep -q "^transport .* local=198.18.0.9:$free remote=- flags=2$" ||
	fail "dataplane does not have the requested tuple: $(dpctl dump)"
expect 409 conflict POST /v1/rooms/r1/transports "{\"listenIp\":\"198.18.0.1\",\"port\":$free}"
expect 200 - DELETE "/v1/transports/$t3"

# --- connect ------------------------------------------------------------------------------
expect 404 not_found POST /v1/transports/no-such-id/connect '{"ip":"198.18.0.2","port":5000}'
expect 400 bad_request POST "/v1/transports/$t2/connect" '{"ip":"2001:db8::1","port":5000}'; msg_has ip
expect 400 bad_request POST "/v1/transports/$t2/connect" '{"ip":"198.18.0.2"}'; msg_has port
expect 400 bad_request POST "/v1/transports/$t2/connect" '{"ip":"198.18.0.2","port":70000}'; msg_has port
expect 400 bad_request POST "/v1/transports/$t1/connect" '{"ip":"198.18.0.2","port":5000,"rtcpPort":5001}'; msg_has rtcpPort
expect 200 - POST "/v1/transports/$t2/connect" '{"ip":"198.18.0.2","port":5000,"rtcpPort":5001}'
dpctl dump | grep -q "^transport .* local=198.18.0.1:$p2 remote=198.18.0.2:5000 remote_rtcp=198.18.0.2:5001 flags=0$" ||
	fail "dataplane does not have the connected transport: $(dpctl dump)"

# --- rooms --------------------------------------------------------------------------------
expect 200 - GET /v1/rooms
jq -e '.rooms == [{"name":"r1","transports":2}]' "$TEST_TMP/body" >/dev/null ||
	fail "rooms: $(cat "$TEST_TMP/body")"
expect 200 - GET /v1/rooms/r1
jq -e --arg t2 "$t2" '(.transports | length) == 2 and
	(.transports[] | select(.id == $t2) | .connected and .remote.rtcpPort == 5001)' \
	"$TEST_TMP/body" >/dev/null || fail "room r1: $(cat "$TEST_TMP/body")"

# --- the port range runs out (8 ports: 1 + 2 used), then frees up ---------------------------
for i in 1 2 3 4 5; do
	expect 200 - POST /v1/rooms/r2/transports '{}'
done
expect 503 unavailable POST /v1/rooms/r2/transports '{}'; msg_has "no free port"
expect 200 - DELETE "/v1/transports/$t1"
expect 200 - POST /v1/rooms/r2/transports '{}'

# --- delete ---------------------------------------------------------------------------------
expect 200 - DELETE "/v1/transports/$t2"
expect 404 not_found DELETE "/v1/transports/$t2"
! dpctl dump | grep -q "local=198.18.0.1:$p2 " || fail "deleted transport still in the dataplane"
expect 404 not_found GET /v1/rooms/r1
[[ $(dpctl dump | grep -c '^transport') == 6 ]] || fail "dataplane holds $(dpctl dump | grep -c '^transport') transports, want 6"

# --- the dataplane goes away: calls that need it get 503 -------------------------------------
stop "$dp_pid"
wait_for "[[ \$(node_state) == absent ]]" 8 || fail "dataplane stop not noticed"
expect 503 unavailable POST /v1/rooms/r3/transports '{}'

stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
pass "create, connect, delete, rooms, bad bodies, port exhaustion, dataplane absent"
