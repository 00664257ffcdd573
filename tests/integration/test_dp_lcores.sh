#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# One producer, several lcores: the ownership rule (dataplane/dp_worker.c).
#
# cascade-dp runs two worker lcores (they may share a core on a small host) over one
# net_pcap port with two RX queues, one per interface (rx_iface_in=a0, rx_iface_in=a1),
# and two TX queues written to out0.pcap and out1.pcap, one per worker. lcores.py sends
# every producer's packets alternately into both queues: plain RTP, SRTP, a non-mux
# transport's sender reports from the sender's next port, a comedia transport, and an
# SRTP pipe fed by two peer nodes while a third source sends it forged packets (its
# SSRC in clear text, and under another key). Then:
#  - every consumer's packets left from one lcore, the one the directory names as its
#    producer's owner, and carry exactly N consecutive sequence numbers (nothing lost,
#    doubled or renumbered by two lcores sharing its state);
#  - each remote is learned once: the comedia transport's tuple from RTP, the non-mux
#    transport's RTCP remote from the sender's next port;
#  - the SRTP consumers' packets all unprotect (srtp_peer), no SRTP error or replay,
#    the forged packets are srtp_auth drops, the stranger on the comedia transport is
#    remote_mismatch, packets were handed off both ways and none was lost doing so;
#  - cascade-dp stops cleanly (under ASan: no report).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
require_cmd python3 ip
SRTP_PEER=$BUILD_DIR/tests/integration/srtp_peer
require_bin "$CASCADE_DP" "$CASCADE_DPCTL" "$SRTP_PEER"
need_hugepages 32

LCORES=$SRC_DIR/tests/integration/lcores.py
dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }
lcores() { python3 "$LCORES" "$@"; }
N=$(python3 -c "import sys; sys.path.insert(0, '$SRC_DIR/tests/integration'); import lcores; print(lcores.N)")

# The SRTP packets, protected by an independent peer (libcascade_srtp, no DPDK).
b64() { python3 -c "import base64, sys; print(base64.b64encode(bytes(range($1, $2))).decode())"; }
mkdir -p "$TEST_TMP/srtp"
"$SRTP_PEER" protect AES_CM_128_HMAC_SHA1_80 "$(b64 1 31)" 0x22220002 1000 "$N" \
	"$TEST_TMP/srtp/p2.bin" >/dev/null || fail "srtp_peer protect (P2)"
"$SRTP_PEER" protect AEAD_AES_128_GCM "$(b64 41 69)" 0x44440004 1000 "$N" \
	"$TEST_TMP/srtp/p4.bin" >/dev/null || fail "srtp_peer protect (P4)"
"$SRTP_PEER" protect AEAD_AES_128_GCM "$(b64 201 229)" 0x44440004 $((1100 + N)) 20 \
	"$TEST_TMP/srtp/p4-wrong.bin" >/dev/null || fail "srtp_peer protect (forged)"

# Two veth pairs in a namespace of their own, no IPv6: nothing but our frames on them.
netns_add dp
ns=$NETNS
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 || fail "cannot disable IPv6 in $ns"
for i in 0 1; do
	ip -n "$ns" link add "a$i" type veth peer name "b$i" || fail "cannot create veth a$i"
	ip -n "$ns" link set "a$i" address "02:00:c6:12:10:0$((i + 1))"
	ip -n "$ns" link set "a$i" up
	ip -n "$ns" link set "b$i" up
done

# main lcore + two workers; on a host with fewer CPUs the workers share the last one
cpus=$(nproc)
last=$((cpus > 1 ? 1 : 0))
log "starting cascade-dp: two workers, one port with two RX and two TX queues"
bg ip netns exec "$ns" "$CASCADE_DP" --lcores "0@0,1@$last,2@$last" --file-prefix "$dpdk_prefix" \
	--no-pci --vdev "net_pcap0,rx_iface_in=a0,rx_iface_in=a1,tx_pcap=$TEST_TMP/out0.pcap,tx_pcap=$TEST_TMP/out1.pcap" \
	-- --segment "$seg_name" --max-transports 64 --max-producers 64 --max-consumers 64 \
	--mbufs 4095 --hdr-mbufs 4095 --clone-mbufs 4095 >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
dpctl --timeout-ms 15000 wait || fail "cascade-dp did not come up (see dp.log)"
grep -q 'workers=2' "$TEST_TMP/dp.log" || fail "cascade-dp did not start two workers: $(cat "$TEST_TMP/dp.log")"

lcores setup | dpctl batch >"$TEST_TMP/setup.log" 2>&1 ||
	fail "installing the scenario failed: $(cat "$TEST_TMP/setup.log")"

log "injecting every producer's packets into both queues"
ip netns exec "$ns" python3 "$LCORES" inject --srtp-dir "$TEST_TMP/srtp" --dpctl "$CASCADE_DPCTL" \
	--segment "$seg_name" >"$TEST_TMP/inject.log" 2>&1 ||
	fail "injection failed: $(cat "$TEST_TMP/inject.log")"
# every consumer's N packets, and two consumers of P3 six sender reports each
want_tx=$((12 * N + 2 * N / 40))
wait_for "[[ \$(dpctl stats | awk '\$1 == \"tx_packets\" {print \$2}') -ge $want_tx ]]" 20 ||
	fail "the dataplane sent $(dpctl stats | awk '$1 == "tx_packets" {print $2}') of $want_tx packets"
dpctl dump >"$TEST_TMP/dump.txt"
dpctl stats >"$TEST_TMP/stats.txt"
# each remote learned exactly once, though both workers saw the first packets: the
# comedia transport's from RTP, the non-mux one's RTCP remote (the sender's next port)
dpctl events >"$TEST_TMP/events.txt"
[[ $(grep -c '^remote_learned transport=0x5 addr=198.18.0.3:6000 rtcp=0$' "$TEST_TMP/events.txt") == 1 &&
	$(grep -c '^remote_learned transport=0x3 addr=198.18.0.2:5005 rtcp=1$' "$TEST_TMP/events.txt") == 1 &&
	$(grep -c '^remote_learned' "$TEST_TMP/events.txt") == 2 ]] ||
	fail "want one learn of each remote: $(cat "$TEST_TMP/events.txt")"
grep -v ' 0$' "$TEST_TMP/stats.txt" >&2

# SIGINT: net_pcap flushes and closes both pcaps
kill -INT "$dp_pid"
wait_for "! kill -0 $dp_pid 2>/dev/null || [[ \$(ps -o stat= -p $dp_pid) == Z* ]]" 30 ||
	fail "cascade-dp still running 30 s after SIGINT"
dp_rc=0
wait "$dp_pid" || dp_rc=$?
((dp_rc == 0)) || fail "cascade-dp exited $dp_rc on SIGINT: $(tail -20 "$TEST_TMP/dp.log")"
! grep -q 'ERROR: AddressSanitizer\|runtime error:' "$TEST_TMP/dp.log" ||
	fail "sanitizer report: $(grep -A20 'AddressSanitizer\|runtime error' "$TEST_TMP/dp.log" | head -40)"

lcores check --out0 "$TEST_TMP/out0.pcap" --out1 "$TEST_TMP/out1.pcap" --dump "$TEST_TMP/dump.txt" \
	--stats "$TEST_TMP/stats.txt" --srtp-peer "$SRTP_PEER" --tmp "$TEST_TMP" ||
	fail "consumers' packets or counters differ (MISMATCH lines above)"
pass "each producer on its owning lcore: continuous sequences, SRTP intact, forgeries dropped"
