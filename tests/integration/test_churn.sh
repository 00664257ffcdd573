#!/usr/bin/env bash
# Consumer churn under traffic: while pktgen sends one producer at full test rate over
# memif, `churn` adds and deletes a fixed number of consumers of it as fast as the command
# ring answers, and ten stable consumers keep receiving. How fast is not checked (the
# benchmarks print it); every 16th churned consumer is kept until the producer has
# counted two bursts more than at its add, so some surely carry media. Checks:
#   - every packet pktgen receives is well-formed (IPv4 and UDP checksums, lengths, RTP
#     header, probe, payload bytes): pktgen verifies each one;
#   - no packet reaches a consumer after its delete was acknowledged: for each deleted
#     consumer, the highest probe sequence it received is below the producer's packet
#     count read after the acknowledgement (see churn.c for why that is exact);
#   - every held consumer received packets;
#   - the stable consumers lose nothing and see no sequence error;
#   - the dataplane dropped nothing and received every packet in order.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
require_bin "$CASCADE_DP" "$CASCADE_PKTGEN" "$CASCADE_DPCTL" "$BUILD_DIR/tests/integration/churn"
require_cmd python3 jq

sock=$(memif_sock dp)
dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }
rate=5000
adds=4000
((CASCADE_SANITIZED == 0)) || { rate=1000; adds=1500; }

# pktgen sends no RTCP and leaves when its stream ends; a receiver report sent after
# that finds no memif peer and counts as tx_full. test_dp_rr checks the reports.
# The rings hold 16,384 slots (rsize=14): a receiving pktgen held back for a moment on a
# busy host (under ASan especially) must not make the dataplane drop.
bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix-dp" \
	--vdev "net_memif0,role=server,socket=$sock,rsize=14" -- --segment "$seg_name" \
	--rtcp-report-ms 0 >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
dpctl --timeout-ms 20000 wait || fail "cascade-dp did not start"
dpctl batch <"$SRC_DIR/tests/integration/churn.batch" >/dev/null || fail "set-up commands failed"

bg "$CASCADE_PKTGEN" -l 0 --no-pci --in-memory --file-prefix "$dpdk_prefix-pg" \
	--vdev "net_memif0,role=client,socket=$sock,rsize=14" -- \
	--streams 1 --ssrc-base 0x1000 --video --size 800 --rate "$rate" --duration 0 \
	--src 198.18.0.2:5000 --dst 198.18.0.1:40000 --dst-mac 02:00:00:00:00:01 \
	--max-ssrcs 200000 --rx-grace 1 --idle-sleep 10 --json "$TEST_TMP/pg.json" \
	>"$TEST_TMP/pg.log" 2>&1
pg_pid=$BG_PID
wait_for "[[ \$(dpctl obj producer 2 | awk '\$1 == \"rx_packets\" {print \$2}') -gt 0 ]]" 15 ||
	fail "no traffic reached the producer"

"$BUILD_DIR/tests/integration/churn" "$seg_name" 2 3 0x10000000 "$adds" 32 16 "$TEST_TMP/churn.log" \
	>"$TEST_TMP/churn.out" || fail "churn failed: $(cat "$TEST_TMP/churn.out")"
cat "$TEST_TMP/churn.out" >&2
# the churn is over: end the stream (pktgen receives for its --rx-grace more)
kill -USR1 "$pg_pid"
wait "$pg_pid" || fail "pktgen exited $? (malformed packets or a start-up error; see pg.log)"

sent=$(jq '.tx.packets' "$TEST_TMP/pg.json")
prx=$(dpctl obj producer 2 | awk '$1 == "rx_packets" {print $2}')
((sent > 0 && prx == sent)) || fail "producer received $prx of $sent packets: the sequence check needs all"
drops=$(dpctl stats | awk '$1 == "drop_packets" {print $2}')
((drops == 0)) || fail "dataplane dropped $drops packets: $(dpctl stats | awk '/^drop_/ && $2 > 0' | tr '\n' ' ')"
jq -e '.rx.malformed == 0' "$TEST_TMP/pg.json" >/dev/null ||
	fail "malformed packets delivered: $(jq -c '.rx.malformed_reasons' "$TEST_TMP/pg.json")"
jq -e --argjson sent "$sent" '[.ssrcs[] | select(.ssrc >= 20480 and .ssrc < 20490)] |
	length == 10 and all(.packets == $sent and .lost == 0 and .seq_errors == 0)' \
	"$TEST_TMP/pg.json" >/dev/null || fail "a stable consumer lost packets during the churn"

python3 - "$TEST_TMP/churn.log" "$TEST_TMP/pg.json" "$adds" <<'PY' || fail "churn check failed"
import json, sys
log, pg, adds = sys.argv[1], sys.argv[2], int(sys.argv[3])
got = {s["ssrc"]: s for s in json.load(open(pg))["ssrcs"]}
rows = [tuple(map(int, l.split())) for l in open(log) if l.strip()]
late, starved, fed, held = [], [], 0, 0
for ssrc, added_rx, deleted_rx, was_held in rows:
    held += was_held
    s = got.get(ssrc)
    if s is None:
        if was_held:
            starved.append(hex(ssrc))
        continue
    fed += 1
    if s["max_seq"] >= deleted_rx:
        late.append((hex(ssrc), s["max_seq"], deleted_rx))
    # a packet counted before the add was even sent cannot reach the consumer, bar
    # the one burst (32 packets) a worker may be fanning out while the list changes
    if s["first_seq"] < added_rx - 32:
        late.append((hex(ssrc), "before add", s["first_seq"], added_rx))
print(f"churn: {len(rows)} consumers deleted, {fed} received media ({held} held), "
      f"{len(late)} violations", file=sys.stderr)
if late:
    print("packets after delete ack (ssrc, max probe seq, producer count at ack):", late[:10],
          file=sys.stderr)
    sys.exit(1)
if starved:
    print(f"held consumers that received nothing: {starved[:10]}", file=sys.stderr)
    sys.exit(1)
if len(rows) != adds or held == 0:
    print(f"{len(rows)} consumers deleted of {adds} added, {held} held", file=sys.stderr)
    sys.exit(1)
PY
stop "$dp_pid"
((STOP_RC == 0)) || fail "cascade-dp exited $STOP_RC on SIGTERM"
pass "$(cat "$TEST_TMP/churn.out"); no packet after a delete ack; all packets well-formed"
