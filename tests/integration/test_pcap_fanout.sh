#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# pcap in -> cascade-dp (net_pcap) -> pcap out, checked packet by packet and by tshark.
#
# The input (tests/data/pcap_fanout_in.pcap, made by rtptool.py gen) is RTP from a video
# producer over IPv4 and an audio producer over IPv6, sender reports, and malformed or
# unwanted frames interleaved (truncated RTP, CSRC/extension/padding past the end,
# unknown SSRC and port, fragments, bad IHL, ARP, STUN, DTLS, ...). Five consumers on
# three transports (a PT map, an extension-id map, a non-mux transport, IPv6 egress of
# IPv4 ingress) receive the fan-out.
#
# The output is compared frame by frame, so the dataplane sends no receiver reports of its
# own (--rtcp-report-ms 0; they are timed, test_dp_rr checks them).
#
# net_pcap's rx_pcap would be read before the forwarding entries exist, so the dataplane
# reads a veth instead (rx_iface_in) inside a namespace of its own and writes what it
# sends to a pcap (tx_pcap); rtptool.py injects the input on the veth's peer once the
# entries are installed. Then:
#  1. every output packet equals the expectation rtptool.py derives from the input
#     (rewritten RTP header, identical payload, fresh IPv4 and UDP checksums, Ethernet
#     towards the consumer's MAC), in order, per consumer; SRs forwarded as 28 bytes;
#  2. every counter (totals, each drop reason, each object) has its exact value;
#  3. tshark -z rtp,streams sees each consumer's stream complete, no loss, no problem;
#  4. the mempools' in_use (DPDK telemetry) is back to its idle level: no mbuf leaked;
#  5. cascade-dp stops cleanly on SIGINT.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
require_cmd python3 tshark ip
CASCADE_DPCTL=$BUILD_DIR/tools/dpctl/cascade-dpctl
require_bin "$CASCADE_DP" "$CASCADE_DPCTL"
need_hugepages 32

RTPTOOL=$SRC_DIR/tests/integration/rtptool.py
DATA=$SRC_DIR/tests/data
IN=$DATA/pcap_fanout_in.pcap
OUT=$TEST_TMP/out.pcap
dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }
rtptool() { python3 "$RTPTOOL" "$@"; }

# The golden input is what the generator makes (deterministic, and not stale).
rtptool gen "$TEST_TMP/gen" >/dev/null || fail "rtptool.py gen failed"
for f in pcap_fanout_in.pcap pcap_fanout_expected.pcap; do
	cmp -s "$TEST_TMP/gen/$f" "$DATA/$f" ||
		fail "tests/data/$f differs from 'rtptool.py gen' output (regenerate it on purpose)"
done

# The dataplane's namespace: vetha (cascade-dp) <-> vethb (injector), no addresses and
# no IPv6, so the kernel adds no frames of its own to the exact counts.
netns_add dp
ns=$NETNS
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 || fail "cannot disable IPv6 in $ns"
ip -n "$ns" link add vetha type veth peer name vethb || fail "cannot create the veth pair"
ip -n "$ns" link set vetha address 02:00:c6:12:00:01
ip -n "$ns" link set vethb address 02:00:c6:12:00:02
ip -n "$ns" link set vetha up
ip -n "$ns" link set vethb up

log "starting cascade-dp (net_pcap rx_iface_in=vetha tx_pcap=$OUT)"
bg ip netns exec "$ns" "$CASCADE_DP" -l 0-1 --file-prefix "$dpdk_prefix" --no-pci \
	--vdev "net_pcap0,rx_iface_in=vetha,tx_pcap=$OUT" -- \
	--segment "$seg_name" --max-transports 64 --max-producers 64 --max-consumers 64 \
	--mbufs 2047 --hdr-mbufs 2047 --clone-mbufs 2047 --rtcp-report-ms 0 >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
dpctl --timeout-ms 15000 wait || fail "cascade-dp did not come up (see dp.log)"
kill -0 "$dp_pid" 2>/dev/null || fail "cascade-dp exited at start-up"
rtptool snapshot --prefix "$dpdk_prefix" >"$TEST_TMP/baseline.json" ||
	fail "cannot read DPDK telemetry /cascade/info"

rtptool setup | dpctl batch >"$TEST_TMP/setup.log" 2>&1 ||
	fail "installing the scenario failed: $(cat "$TEST_TMP/setup.log")"
dpctl dump >"$TEST_TMP/dump.log"

# Where frames went, for a failure message: the veths' and the port's counters.
link_stats() {
	ip -s -n "$ns" link show vethb | sed -n '1p;/TX:/,+1p'
	ip -s -n "$ns" link show vetha | sed -n '1p;/RX:/,+1p'
	rtptool snapshot --prefix "$dpdk_prefix" | grep -E '"(ipackets|imissed|ierrors|rx_nombuf)"'
}

log "injecting $IN on vethb"
if ! ip netns exec "$ns" python3 "$RTPTOOL" inject vethb "$IN" --dpctl "$CASCADE_DPCTL" \
	--segment "$seg_name" >"$TEST_TMP/inject.log" 2>&1; then
	link_stats >&2
	fail "injection failed: $(cat "$TEST_TMP/inject.log")"
fi
if ! rtptool wait --dpctl "$CASCADE_DPCTL" --segment "$seg_name" --input "$IN" --timeout 15; then
	link_stats >&2
	fail "the dataplane did not receive and send everything (see above)"
fi
rtptool snapshot --counters --dpctl "$CASCADE_DPCTL" --segment "$seg_name" \
	--prefix "$dpdk_prefix" >"$TEST_TMP/after.json" || fail "cannot read the counters"

# The STUN and DTLS frames went up the slow path: the segment's slow ring holds both,
# with their class and tuple, for the control plane to read.
"$CASCADE_DPCTL" -s "$seg_name" --timeout-ms 3000 slow 2 >"$TEST_TMP/slow.txt" ||
	fail "slow ring: $(cat "$TEST_TMP/slow.txt")"
cat "$TEST_TMP/slow.txt" >&2
grep -q '^slow class=stun .*first=00' "$TEST_TMP/slow.txt" || fail "no STUN packet in the slow ring"
grep -Eq '^slow class=dtls .*first=(1[4-9a-f]|[23][0-9a-f])' "$TEST_TMP/slow.txt" ||
	fail "no DTLS packet in the slow ring"
! "$CASCADE_DPCTL" -s "$seg_name" --timeout-ms 200 slow 1 >/dev/null 2>&1 ||
	fail "more than two packets in the slow ring"

# SIGINT: the workers stop, the ports close and net_pcap flushes and closes out.pcap.
dp_running() { [[ $(ps -o stat= -p "$dp_pid" 2>/dev/null) =~ ^[^Z] ]]; }
kill -INT "$dp_pid"
for ((i = 0; i < 100; i++)); do
	dp_running || break
	sleep 0.1
done
! dp_running || fail "cascade-dp still running 10 s after SIGINT"
dp_rc=0
wait "$dp_pid" || dp_rc=$?
((dp_rc == 0)) || fail "cascade-dp exited $dp_rc on SIGINT"
[[ ! -e /dev/shm/cascade.$seg_name ]] || fail "cascade-dp left /dev/shm/cascade.$seg_name behind"
[[ -s $OUT ]] || fail "no output pcap"

rtptool check --input "$IN" --output "$OUT" --baseline "$TEST_TMP/baseline.json" \
	--after "$TEST_TMP/after.json" --golden-expected "$DATA/pcap_fanout_expected.pcap" ||
	fail "the output or the counters differ from the expectation (MISMATCH lines above)"
rtptool tshark --input "$IN" --output "$OUT" ||
	fail "tshark's RTP stream analysis disagrees (see above)"
pass "packet-exact fan-out, counters, tshark streams, no mbuf leak"
