#!/usr/bin/env bash
# Control-plane restarts. kill -9 of cascade-cp mid-stream loses no packet (the
# dataplane keeps forwarding) and the restarted control plane shows the same rooms,
# producers and consumers (from its state file, reconciled with the dataplane's
# tables); an object only the dataplane has (an orphan) is deleted at that
# reconciliation; after a dataplane restart the control plane drops what the
# dataplane lost, so the API never shows flows that do not exist.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL" "$CASCADE_PKTGEN"
require_cmd curl jq

sock=$(memif_sock dp)
state=$TEST_TMP/cp-state.json
rate=1000
((CASCADE_SANITIZED == 0)) || rate=300

start_dp() {
	bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix-dp" \
		--vdev "net_memif0,role=server,socket=$sock,rsize=12" -- --segment "$seg_name" \
		--peer-mac 02:00:00:00:00:02 >>"$TEST_TMP/dp.log" 2>&1
	dp_pid=$BG_PID
	"$CASCADE_DPCTL" -s "$seg_name" --timeout-ms 20000 wait || fail "cascade-dp did not start"
}
start_cp() {
	CASCADE_API_TOKEN=$token bg "$CASCADE_CP" --node-id "node-$CASCADE_TEST_ID" --media-ip 198.18.0.1 \
		--port-range 40000-40099 --api-listen "127.0.0.1:$port" \
		--segment "$seg_name" --state-file "$state" >>"$TEST_TMP/cp.log" 2>&1
	cp_pid=$BG_PID
	wait_for "[[ \$(curl -s ${auth[*]@Q} $api/v1/node 2>/dev/null | jq -r .dataplane.state) == running ]]" 15 ||
		fail "cascade-cp did not attach"
}
# saved N: the state file holds N consumers (it is written within 50 ms of a change)
saved() { [[ $(jq '.consumers | length' "$state" 2>/dev/null) == "$1" ]]; }
# rx: the packets the dataplane has received
rx() { "$CASCADE_DPCTL" -s "$seg_name" stats | awk '$1 == "rx_packets" {print $2}'; }
room_view() { ok GET /v1/rooms/live; jq -S '{transports: [.transports[] | {id, tuple, connected}] | sort_by(.id),
	producers: (.producers | sort_by(.id)), consumers: (.consumers | sort_by(.id))}' "$TEST_TMP/body"; }

start_dp
start_cp
ok POST /v1/rooms/live/transports '{"comedia":true}'
tin=$(jq -r .id "$TEST_TMP/body")
pin=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok POST "/v1/transports/$tin/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":4096}]}}'
prod=$(jq -r .id "$TEST_TMP/body")
for ((i = 0; i < 5; i++)); do
	ok POST /v1/rooms/live/transports '{}'
	t=$(jq -r .id "$TEST_TMP/body")
	ok POST "/v1/transports/$t/connect" "{\"ip\":\"198.18.0.2\",\"port\":$((6000 + i))}"
	ok POST "/v1/transports/$t/consumers" "{\"producerId\":\"$prod\"}"
done
room_view >"$TEST_TMP/before.json"
[[ $(jq '.consumers | length' "$TEST_TMP/before.json") == 5 ]] || fail "set-up: $(cat "$TEST_TMP/before.json")"
wait_for "saved 5" 5 || fail "the state file does not hold the 5 consumers"

# --- kill -9 the control plane mid-stream ------------------------------------------------------
bg "$CASCADE_PKTGEN" -l 0 --no-pci --in-memory --file-prefix "$dpdk_prefix-pg" \
	--vdev "net_memif0,role=client,socket=$sock,rsize=12" -- \
	--streams 1 --ssrc-base 0x1000 --video --size 900 --rate "$rate" --duration 0 \
	--src 198.18.0.2:5000 --dst "198.18.0.1:$pin" --expect-ssrcs 5 --max-loss 0 \
	--rx-grace 1 --idle-sleep 20 --json "$TEST_TMP/pg.json" >"$TEST_TMP/pg.log" 2>&1
pg_pid=$BG_PID
# kill -9 once the stream flows; start again once the dataplane alone has forwarded half
# a second more of it; end the stream once another half second passed the new one
wait_for "(( \$(rx) >= rate / 2 ))" 15 || fail "the stream does not reach the dataplane"
kill -9 "$cp_pid"
wait "$cp_pid" 2>/dev/null || true
n=$(rx)
wait_for "(( \$(rx) >= n + rate / 2 ))" 15 || fail "the stream stopped with the control plane"
start_cp
n=$(rx)
wait_for "(( \$(rx) >= n + rate / 2 ))" 15 || fail "the stream stopped after the restart"
kill -USR1 "$pg_pid"
room_view >"$TEST_TMP/after.json"
diff -u "$TEST_TMP/before.json" "$TEST_TMP/after.json" >&2 || fail "the restarted control plane shows other state"
grep -q 'reconcile: dataplane has 6 transports, 1 producers, 5 consumers; 0 dropped from the registry, 0 orphans deleted' \
	"$TEST_TMP/cp.log" || fail "reconciliation: $(grep reconcile "$TEST_TMP/cp.log")"
wait "$pg_pid" || fail "receivers lost packets across the control-plane restart (pktgen exit $?)"
jq -e 'all(.ssrcs[]; .lost == 0 and .seq_errors == 0) and (.ssrcs | length) == 5' "$TEST_TMP/pg.json" \
	>/dev/null || fail "loss across the restart: $(jq -c '[.ssrcs[] | {ssrc, lost}]' "$TEST_TMP/pg.json")"

# the restarted control plane keeps working and never reuses a dataplane id
ok POST /v1/rooms/live/transports '{}'
t=$(jq -r .id "$TEST_TMP/body")
ok POST "/v1/transports/$t/consumers" "{\"producerId\":\"$prod\"}"

# --- an orphan: installed behind the control plane's back while it was down ----------------------
wait_for "saved 6" 5 || fail "the state file does not hold the 6th consumer"
kill -9 "$cp_pid"
wait "$cp_pid" 2>/dev/null || true
pid_dp=$("$CASCADE_DPCTL" -s "$seg_name" dump | sed -n 's/^producer id=\(0x[0-9a-f]*\) .*/\1/p' | head -1)
tid_dp=$("$CASCADE_DPCTL" -s "$seg_name" dump | sed -n 's/^transport id=\(0x[0-9a-f]*\) .*/\1/p' | head -1)
"$CASCADE_DPCTL" -s "$seg_name" consumer-add 0x7777 "$pid_dp" "$tid_dp" 0x7777 >/dev/null || fail "orphan not installed"
start_cp
wait_for "! $CASCADE_DPCTL -s $seg_name dump | grep -q 'consumer id=0x7777 '" 5 || fail "the orphan was not deleted"
grep -q '1 orphans deleted' "$TEST_TMP/cp.log" || fail "orphan not reported: $(grep reconcile "$TEST_TMP/cp.log")"
[[ $(room_view | jq '.consumers | length') == 6 ]] || fail "the registry lost consumers while deleting the orphan"

# --- the dataplane restarts: what it lost leaves the API ------------------------------------------
stop "$dp_pid"
start_dp
wait_for "[[ \$(curl -s ${auth[*]@Q} $api/v1/rooms | jq '.rooms | length') == 0 ]]" 10 ||
	fail "objects the dataplane lost are still in the API: $(curl -s "${auth[@]}" "$api/v1/rooms")"

stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
pass "kill -9 mid-stream: zero loss, same state; orphan deleted; dataplane restart reported"
