#!/usr/bin/env bash
# Nothing the control plane does not know stays in the dataplane. 3,000 objects made
# behind its back while it was down are all deleted when it attaches (not the first
# 1,024); 3,000 made while it runs are deleted by the periodic reconciliation
# (dataplane.reconcile_ms), in batches; and a command it gave up on (the dataplane
# stopped for 2 s, SIGSTOP) but that the dataplane applied afterwards is undone by the
# compensating delete that follows every give-up.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq

cp_config "$TEST_TMP/cp.json" '{"dataplane": {"reconcile_ms": 500}}'
null_node
in_dp() { "$CASCADE_DPCTL" -s "$seg_name" dump | grep -cE '^(transport|producer|consumer) ' || true; }
# orphans BASE: a transport, a producer and 2,998 consumers, ids from BASE, through the ring
orphans() {
	local b=$1 i
	{
		echo "transport-add $b 198.18.0.1:$((41000 + b % 1000)) --mux --comedia"
		echo "producer-add $((b + 1)) $b 0x$((b + 1))"
		for ((i = 2; i < 3000; i++)); do
			echo "consumer-add $((b + i)) $((b + 1)) $b $((b + i))"
		done
	} | "$CASCADE_DPCTL" -s "$seg_name" --timeout-ms 20000 batch >"$TEST_TMP/batch.log" 2>&1 || true
}

# --- made while the control plane was down: all go at the attach ---------------------------------
orphans 100000
[[ $(in_dp) == 3000 ]] || fail "set-up: the dataplane holds $(in_dp) objects, not 3000"
cp_start "$TEST_TMP/cp.json"
wait_for "[[ \$(in_dp) == 0 ]]" 20 || fail "after the attach the dataplane still holds $(in_dp) of 3000 orphans"
grep -q 'reconcile: dataplane has 1 transports, 1 producers, 2998 consumers; 0 dropped from the registry, 3000 orphans deleted' \
	"$TEST_TMP/cp.log" || fail "attach: $(grep reconcile "$TEST_TMP/cp.log")"
log "3000 orphans found at the attach: all deleted"

# --- made while it runs: the periodic reconciliation --------------------------------------------------
ok POST /v1/rooms/r/transports '{}' # something of its own, which must stay
mine=$(jq -r .id "$TEST_TMP/body")
orphans 200000
wait_for "[[ \$(in_dp) == 1 ]]" 20 || fail "the periodic reconciliation left $(($(in_dp) - 1)) orphans"
grep -q "reconcile: [0-9]* orphans in the dataplane's tables; deleting them" "$TEST_TMP/cp.log" ||
	fail "no periodic reconciliation in the log"
ok GET /v1/rooms/r
jq -e --arg t "$mine" '[.transports[].id] == [$t]' "$TEST_TMP/body" >/dev/null || fail "the API's own transport: $(cat "$TEST_TMP/body")"
log "3000 orphans made while it runs: deleted by the periodic pass; its own transport kept"

# --- a command given up on, applied late ------------------------------------------------------------
kill -STOP "$dp_pid"
s=$(call POST /v1/rooms/late/transports '{}')
kill -CONT "$dp_pid"
[[ $s == 503 ]] || fail "a transport while the dataplane is stopped: $s $(cat "$TEST_TMP/body")"
grep -q 'no answer to transport add 0x[0-9a-f]* in time; deleting it in case it was applied' "$TEST_TMP/cp.log" ||
	fail "no compensating delete in the log"
wait_for "[[ \$(in_dp) == 1 ]]" 5 || fail "the late transport is still in the dataplane: $("$CASCADE_DPCTL" -s "$seg_name" dump)"
[[ $(call GET /v1/rooms/late) == 404 ]] || fail "the late transport is in the API: $(cat "$TEST_TMP/body")"
ok POST /v1/rooms/late/transports '{}' # and the next one works
log "a transport add given up on and applied late: deleted again"

stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
pass "orphans: all of 3000 at the attach, 3000 by the periodic pass, a late add compensated"
