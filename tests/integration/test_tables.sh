#!/usr/bin/env bash
# Table capacity and reclamation through the command ring: a dataplane fills its
# consumer table to the last slot (131,072, the default) at ring speed; one more add
# is refused with a message naming --max-consumers and changes nothing; a flush empties
# every table; the slots come back after the grace period and fill again; the
# directory the control plane will read agrees with the counts.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 256
require_bin "$CASCADE_DP" "$CASCADE_DPCTL"
require_cmd jq

dpctl() { "$CASCADE_DPCTL" -s "$seg_name" --timeout-ms 60000 "$@"; }
max=131072

bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix" --vdev net_null0,no-rx=1 \
	-- --segment "$seg_name" --max-consumers "$max" --max-producers 1024 \
	--max-transports 4096 >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
dpctl wait || fail "cascade-dp did not start"
tele() { echo "$1" | timeout 10 dpdk-telemetry.py -f "$dpdk_prefix" 2>/dev/null | grep -a '^{' | tail -1; }

fill() {
	local p c
	{
		echo "transport-add 1 198.18.0.1:40000 --mux --remote 198.18.0.2:5000"
		for ((p = 0; p < 128; p++)); do
			echo "transport-add $((100 + p)) 198.18.0.1:$((41000 + p)) --mux --remote 198.18.1.$((p + 1)):6000"
			echo "producer-add $((1000 + p)) 1 $((0x1000 + p))"
		done
		for ((c = 0; c < max; c++)); do
			p=$((c % 128))
			echo "consumer-add $((1000000 + c)) $((1000 + p)) $((100 + p)) $((0x100000 + c))"
		done
	} >"$TEST_TMP/fill.txt"
	dpctl batch <"$TEST_TMP/fill.txt" >"$TEST_TMP/fill.out" 2>&1 ||
		fail "filling the tables failed: $(tail -3 "$TEST_TMP/fill.out")"
	log "$(cat "$TEST_TMP/fill.out")"
}

fill
info=$(tele /cascade/info)
jq -e --argjson m "$max" '."/cascade/info" | .consumers == $m and .producers == 128 and
	.transports == 129' <<<"$info" >/dev/null || fail "after filling: $info"
[[ $(dpctl dump | grep -c '^consumer') == "$max" ]] || fail "directory does not list $max consumers"

out=$(dpctl consumer-add 999 1000 100 0x999 2>&1) && fail "an add past capacity succeeded"
grep -q -- '--max-consumers' <<<"$out" || fail "table-full error does not name --max-consumers: $out"

dpctl flush >/dev/null || fail "flush failed"
info=$(tele /cascade/info)
jq -e '."/cascade/info" | .consumers == 0 and .producers == 0 and .transports == 0' \
	<<<"$info" >/dev/null || fail "after flush: $info"
[[ $(dpctl dump | wc -l) == 0 ]] || fail "directory not empty after flush"

# every slot comes back once its grace period has passed
fill
jq -e --argjson m "$max" '."/cascade/info".consumers == $m' <<<"$(tele /cascade/info)" \
	>/dev/null || fail "refill did not reach $max consumers"

stop "$dp_pid"
((STOP_RC == 0)) || fail "cascade-dp exited $STOP_RC on SIGTERM"
pass "$max consumers installed twice, refused past capacity, flushed"
