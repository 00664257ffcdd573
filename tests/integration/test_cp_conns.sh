#!/usr/bin/env bash
# cascade-cp under many connections: 10,000 concurrent connections (half of them in the
# middle of a request) are accepted and held while the API keeps answering others; they
# all go away when the clients close. Then a cascade-cp started with a tiny descriptor
# limit runs out of descriptors: it pauses accepting (logged, rate-limited) instead of
# crashing or spinning, and serves again once the connections close.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP"
require_cmd curl jq /usr/bin/python3

N=10000
# the test and its clients need room for N descriptors; root may raise the hard limit
ulimit -Hn 65536 2>/dev/null || true
(($(ulimit -Hn) >= N + 1024)) || fail "descriptor hard limit $(ulimit -Hn) is below $((N + 1024))"

bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix" --vdev net_null0,no-rx=1 \
	-- --segment "$seg_name" >"$TEST_TMP/dp.log" 2>&1
# a soft limit of 1024, as a plain shell would give it: cascade-cp must raise its own
CASCADE_API_TOKEN=$token bg bash -c 'ulimit -Sn 1024 && exec "$@"' cp "$CASCADE_CP" \
	--node-id "node-$CASCADE_TEST_ID" --media-ip 198.18.0.1 --port-range 40000-40999 \
	--api-listen "127.0.0.1:$port" --segment "$seg_name"
cp_pid=$BG_PID
node_state() { curl -s "${auth[@]}" "$api/v1/node" | jq -r .dataplane.state; }
wait_for "[[ \$(node_state) == running ]]" 15 || fail "cascade-cp never saw the dataplane"
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# hold PORT N: connhold.py makes N connections to PORT and keeps them until release
hold() {
	rm -f "$TEST_TMP/hold.out"
	bg /usr/bin/python3 "$SRC_DIR/tests/integration/connhold.py" 127.0.0.1 "$1" "$2" \
		>"$TEST_TMP/hold.out"
	hold_pid=$BG_PID
	wait_for "grep -q '^held' $TEST_TMP/hold.out" 120 || fail "connhold did not finish connecting"
	log "connhold: $(cat "$TEST_TMP/hold.out")"
}
release() {
	kill -USR1 "$hold_pid"
	wait "$hold_pid" || fail "connhold exited $?"
}

# --- 10,000 concurrent connections ------------------------------------------------------
hold "$port" "$N"
read -r _ held _ failed <"$TEST_TMP/hold.out"
((held == N && failed == 0)) || fail "only $held of $N connections were made ($failed failed)"
# accepted by cascade-cp, not waiting in the kernel's backlog
wait_for "(( \$(nfds $cp_pid) >= $N ))" 30 || fail "cascade-cp holds $(nfds "$cp_pid") descriptors, not $N"
ok GET /v1/node
ok POST /v1/rooms/r1/transports '{"comedia":true}'
t1=$(jq -r .id "$TEST_TMP/body")
ok DELETE "/v1/transports/$t1"
release
wait_for "(( \$(nfds $cp_pid) < 100 ))" 30 || fail "cascade-cp still holds $(nfds "$cp_pid") descriptors"
kill -0 "$cp_pid" || fail "cascade-cp died"
ok GET /v1/node

# --- out of descriptors --------------------------------------------------------------------
port2=$(free_tcp_port) || fail "no free TCP port"
CASCADE_API_TOKEN=$token bg bash -c 'ulimit -n 128 && exec "$@"' cp "$CASCADE_CP" \
	--node-id "small-$CASCADE_TEST_ID" --media-ip 198.18.0.1 --port-range 40000-40999 \
	--api-listen "127.0.0.1:$port2" --segment "$seg_name-none" 2>"$TEST_TMP/cp2.log"
cp2_pid=$BG_PID
wait_for "curl -s -o /dev/null http://127.0.0.1:$port2/v1/node" 10 || fail "second cascade-cp does not listen"
hold "$port2" 1000
wait_for "grep -q 'not accepting for' $TEST_TMP/cp2.log" 10 || fail "no descriptor shortage logged: $(cat "$TEST_TMP/cp2.log")"
# while the shortage lasts it is logged again, at most once a second: each line then
# stands for the many accept() failures (one every 100 ms pause) since the last
wait_for "(( \$(grep -c 'not accepting for' $TEST_TMP/cp2.log) >= 2 ))" 15 ||
	fail "the shortage was logged once, never again: $(cat "$TEST_TMP/cp2.log")"
kill -0 "$cp2_pid" || fail "cascade-cp died when it ran out of descriptors"
lines=$(grep -c 'not accepting for' "$TEST_TMP/cp2.log")
refused=$(sed -n 's/.*not accepting for .*(\([0-9]*\) times so far)$/\1/p' "$TEST_TMP/cp2.log" | tail -n 1)
((refused > 2 * lines)) || fail "$lines shortage lines for $refused refused accepts: logged once per failure"
log "descriptor shortage: $lines lines for $refused refused accepts"
release
s=$(curl -s -m 10 -o "$TEST_TMP/body" -w '%{http_code}' "${auth[@]}" "http://127.0.0.1:$port2/v1/node")
[[ $s == 200 ]] || fail "after the shortage, GET /v1/node answered $s"

stop "$cp2_pid"
((STOP_RC == 0)) || fail "second cascade-cp exited $STOP_RC"
stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
pass "$N concurrent connections held and released; descriptor shortage survived"
