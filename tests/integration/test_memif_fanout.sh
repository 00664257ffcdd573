#!/usr/bin/env bash
# pktgen -> memif -> cascade-dp -> memif -> pktgen: one producer fanned out to 1, 10
# and 100 consumers (each on its own transport, as one receiver each), at a moderate
# rate. Every consumer SSRC must arrive with zero loss, no duplicates and no RTP
# sequence errors, and the dataplane's counters must agree with what pktgen saw.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
require_bin "$CASCADE_DP" "$CASCADE_PKTGEN" "$CASCADE_DPCTL"
require_cmd jq

sock=$(memif_sock dp)
rate=2000
((CASCADE_SANITIZED == 0)) || rate=400
dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }

# pktgen sends no RTCP and leaves when its stream ends; a receiver report sent after
# that finds no memif peer and counts as tx_full. test_dp_rr checks the reports.
# The rings hold 16,384 slots (rsize=14): 80 ms of the 100-consumer step, so a receiving
# pktgen that the scheduler holds back on a busy host does not make the dataplane drop.
bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix-dp" \
	--vdev "net_memif0,role=server,socket=$sock,rsize=14" -- --segment "$seg_name" \
	--rtcp-report-ms 0 >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
dpctl --timeout-ms 20000 wait || fail "cascade-dp did not start"

# Producer: pktgen sends from 198.18.0.2:5000 to the transport on 198.18.0.1:40000.
dpctl transport-add 1 198.18.0.1:40000 --mux --remote 198.18.0.2:5000 >/dev/null
dpctl producer-add 2 1 0x1000 --clock 90000 --kind video >/dev/null

run() {
	local n=$1 first=$2 i
	{
		for ((i = first; i < n; i++)); do
			echo "transport-add $((100 + i)) 198.18.0.1:$((41000 + 2 * i)) --mux --remote 198.18.0.2:$((6000 + i)) --mac 02:00:00:00:00:02"
			echo "consumer-add $((1000 + i)) 2 $((100 + i)) $((0x20000 + i)) --pt 96:100"
		done
	} | dpctl batch >/dev/null || fail "installing consumers $first..$n failed"

	log "1 producer -> $n consumers"
	"$CASCADE_PKTGEN" -l 0 --no-pci --file-prefix "$dpdk_prefix-pg$n" \
		--vdev "net_memif0,role=client,socket=$sock,rsize=14" -- \
		--streams 1 --ssrc-base 0x1000 --video --size 1000 --rate "$rate" --duration 3 \
		--src 198.18.0.2:5000 --dst 198.18.0.1:40000 --dst-mac 02:00:00:00:00:01 \
		--expect-ssrcs "$n" --max-loss 0 --rx-grace 1 --idle-sleep 20 \
		--json "$TEST_TMP/pg$n.json" >"$TEST_TMP/pg$n.log" 2>&1 ||
		{ dpctl stats | grep -v ' 0$' >&2; fail "pktgen reported loss or missing SSRCs for $n consumers (exit $?)"; }
	rm -f /dev/hugepages/"$dpdk_prefix-pg$n"*

	local sent got
	sent=$(jq '.tx.packets' "$TEST_TMP/pg$n.json")
	((sent >= rate * 3)) || fail "pktgen sent only $sent packets"
	for ((i = 0; i < n; i++)); do
		jq -e --argjson s $((0x20000 + i)) --argjson sent "$sent" '
			.ssrcs | map(select(.ssrc == $s)) | length == 1 and
			(.[0].packets == $sent) and (.[0].lost == 0) and
			(.[0].duplicates == 0) and (.[0].seq_errors == 0)' \
			"$TEST_TMP/pg$n.json" >/dev/null ||
			fail "consumer ssrc $((0x20000 + i)): not exactly $sent packets in order"
	done
	got=$(jq '[.ssrcs[].packets] | add' "$TEST_TMP/pg$n.json")
	((got == sent * n)) || fail "received $got packets, expected $((sent * n))"
}

run 1 0
run 10 1
run 100 10

# Pause and resume one consumer mid-stream: while paused it gets nothing (its probe
# sequence shows the gap), but its RTP sequence numbers continue without a jump, so a
# receiver sees no loss; the other consumers are untouched. Each step waits for the
# dataplane's counters: consumer 1000 forwarding, then a second of the stream passing the
# paused consumer, then consumer 1000 forwarding again; pktgen sends until told to stop.
log "pause/resume consumer 1000 mid-stream"
bg "$CASCADE_PKTGEN" -l 0 --no-pci --file-prefix "$dpdk_prefix-pgp" \
	--vdev "net_memif0,role=client,socket=$sock,rsize=14" -- \
	--streams 1 --ssrc-base 0x1000 --video --size 1000 --rate "$rate" --duration 0 \
	--src 198.18.0.2:5000 --dst 198.18.0.1:40000 --dst-mac 02:00:00:00:00:01 \
	--expect-ssrcs 100 --rx-grace 1 --idle-sleep 20 \
	--json "$TEST_TMP/pgp.json" >"$TEST_TMP/pgp.log" 2>&1
pg_pid=$BG_PID
counter() { dpctl obj "$1" "$2" | awk -v k="$3" '$1 == k {print $2}'; }
sent0=$(counter consumer 1000 tx_packets)
wait_for "(( \$(counter consumer 1000 tx_packets) >= sent0 + rate / 2 ))" 20 ||
	fail "consumer 1000 does not forward the stream"
dpctl consumer-pause 1000 >/dev/null || fail "pause failed"
rx0=$(counter producer 2 rx_packets)
wait_for "(( \$(counter producer 2 rx_packets) >= rx0 + rate ))" 20 ||
	fail "the stream stopped while consumer 1000 was paused"
dpctl consumer-resume 1000 >/dev/null || fail "resume failed"
sent0=$(counter consumer 1000 tx_packets)
wait_for "(( \$(counter consumer 1000 tx_packets) >= sent0 + rate / 2 ))" 20 ||
	fail "consumer 1000 does not forward again after its resume"
kill -USR1 "$pg_pid"
wait "$pg_pid" || fail "pktgen failed during pause/resume (exit $?)"
rm -f /dev/hugepages/"$dpdk_prefix-pgp"*
jq -e --argjson r "$rate" '.ssrcs | map(select(.ssrc == 131072)) | .[0] |
	.lost > $r / 2 and .seq_errors == 0 and .duplicates == 0' "$TEST_TMP/pgp.json" >/dev/null ||
	fail "paused consumer: expected a probe gap but no RTP sequence error: $(jq -c '.ssrcs[] | select(.ssrc == 131072)' "$TEST_TMP/pgp.json")"
jq -e '[.ssrcs[] | select(.ssrc != 131072) | .lost] | add == 0' "$TEST_TMP/pgp.json" >/dev/null ||
	fail "consumers that were not paused lost packets"
log "consumer 1000 missed $(jq '.ssrcs[] | select(.ssrc == 131072) | .lost' "$TEST_TMP/pgp.json") of" \
	"$(jq .tx.packets "$TEST_TMP/pgp.json") packets while paused, with no RTP sequence error"

# The dataplane saw exactly what was sent, dropped nothing, and every consumer's
# counter matches.
drops=$(dpctl stats | awk '$1 == "drop_packets" {print $2}')
((drops == 0)) || fail "dataplane dropped $drops packets: $(dpctl stats | awk '/^drop_/ && $2 > 0' | tr '\n' ' ')"
c0=$(dpctl obj consumer 1000 | awk '$1 == "tx_packets" {print $2}')
total=$(jq -s 'map(.tx.packets) | add' "$TEST_TMP"/pg1.json "$TEST_TMP"/pg10.json "$TEST_TMP"/pg100.json)
paused_rx=$(jq '.ssrcs[] | select(.ssrc == 131072) | .packets' "$TEST_TMP/pgp.json")
((c0 == total + paused_rx)) || fail "consumer 1000 sent $c0 packets, receivers saw $((total + paused_rx))"

stop "$dp_pid"
((STOP_RC == 0)) || fail "cascade-dp exited $STOP_RC on SIGTERM"
[[ ! -e /dev/shm/cascade.$seg_name ]] || fail "segment left behind after shutdown"
pass "1 -> 1/10/100 consumers over memif: zero loss, in order"
