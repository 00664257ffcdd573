#!/usr/bin/env bash
# cascade-dp as an operator meets it: bad options stop it at start with a message that
# names the option; bad ring commands get an error reply naming what is wrong and leave
# nothing half-made; DPDK's own tools work on it while it forwards (dpdk-telemetry.py
# with the /cascade/ commands, dpdk-dumpcap through pdump, dpdk-proc-info); mempools
# return to their baseline when traffic stops (no mbuf leak); SIGTERM shuts it down
# cleanly and removes its segment.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
require_bin "$CASCADE_DP" "$CASCADE_DPCTL"
require_cmd dpdk-telemetry.py dpdk-dumpcap dpdk-proc-info tshark jq python3

dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }

# --- bad options: exit 1, message names the option, nothing left behind ---------------
bad_opt() {
	local want=$1
	shift
	if "$CASCADE_DP" -l 0-1 --no-pci --in-memory --file-prefix "$dpdk_prefix-bad" \
		--vdev net_null0 -- --segment "$seg_name" "$@" >"$TEST_TMP/bad.log" 2>&1; then
		fail "cascade-dp accepted $*"
	fi
	grep -q -- "$want" "$TEST_TMP/bad.log" || { cat "$TEST_TMP/bad.log" >&2; fail "no '$want' in the error for $*"; }
	[[ ! -e /dev/shm/cascade.$seg_name ]] || fail "segment left behind after bad option $*"
}
bad_opt "--max-consumers" --max-consumers abc
bad_opt "--max-consumers" --max-consumers 0
bad_opt "--peer-mac" --peer-mac 02:00:00
bad_opt "--segment" --segment "a/b"
bad_opt "--rxq-size" --rxq-size 99999999
bad_opt "unknown option" --no-such-option
bad_opt "unexpected argument" stray
bad_opt "--vlan" --vlan 4095
bad_opt "--vlan" --vlan 0:100,0:200
bad_opt "--vlan: port 3 does not exist" --vlan 3:100
# a --vdev that does not probe: EAL logs it and starts without it; cascade-dp refuses
if "$CASCADE_DP" -l 0-1 --no-pci --in-memory --file-prefix "$dpdk_prefix-bad" --vdev net_null0 \
	--vdev "net_pcap1,rx_iface=cascade-no-such-if,tx_iface=cascade-no-such-if" -- \
	--segment "$seg_name" >"$TEST_TMP/bad.log" 2>&1; then
	fail "cascade-dp started without the --vdev it could not probe"
fi
grep -q -- "--vdev net_pcap1: the device did not probe" "$TEST_TMP/bad.log" ||
	{ cat "$TEST_TMP/bad.log" >&2; fail "the error does not name the --vdev that failed"; }
[[ ! -e /dev/shm/cascade.$seg_name ]] || fail "segment left behind after a failed --vdev"

# --- a forwarding dataplane: pcap replay in, net_null out ---------------------------------
python3 "$SRC_DIR/tests/bench/mkpcap.py" "$TEST_TMP/in.pcap" --count 200 --size 600
bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix" \
	--vdev "net_pcap0,rx_pcap=$TEST_TMP/in.pcap,infinite_rx=1" --vdev net_null1,no-rx=1 \
	-- --segment "$seg_name" --peer-mac 02:00:00:00:00:99 >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
dpctl --timeout-ms 20000 wait || fail "cascade-dp did not start"

tele() { echo "$1" | timeout 10 dpdk-telemetry.py -f "$dpdk_prefix" 2>/dev/null | grep -a '^{' | tail -1; }
base=$(tele /cascade/info)
[[ -n $base ]] || fail "dpdk-telemetry.py got no answer to /cascade/info"
base_pkt=$(jq '."/cascade/info".pool_pkt.in_use' <<<"$base")

# --- bad commands: each fails with the field named, and installs nothing ---------------
bad_cmd() {
	local want=$1
	shift
	if dpctl "$@" >"$TEST_TMP/cmd.log" 2>&1; then fail "dataplane accepted: $*"; fi
	grep -q -- "$want" "$TEST_TMP/cmd.log" || { cat "$TEST_TMP/cmd.log" >&2; fail "no '$want' in the reply to: $*"; }
}
bad_cmd "transport.port_id" transport-add 1 198.18.0.1:40000 --mux --port 7
bad_cmd "transport.local_rtcp" transport-add 1 198.18.0.1:40000
bad_cmd "transport.remote" transport-add 1 198.18.0.1:40000 --mux --remote "[2001:db8::1]:5000"
bad_cmd "cmd.type" raw 999
bad_cmd "not found" consumer-del 42
bad_cmd "producer.transport_id" producer-add 10 1 0x11111111
# the producer's transport learns its remote from the first packet (comedia)
dpctl transport-add 1 198.18.0.1:40000 --mux --comedia >/dev/null
bad_cmd "already in use" transport-add 9 198.18.0.1:40000 --mux
bad_cmd "exists with other parameters" transport-add 1 198.18.0.1:40010 --mux
dpctl transport-add 1 198.18.0.1:40000 --mux --comedia >/dev/null ||
	fail "an identical retry of transport-add must succeed"
dpctl producer-add 10 1 0x11111111 >/dev/null
bad_cmd "producer.ssrc" producer-add 11 1 0x11111111
bad_cmd "consumer.producer_id" consumer-add 20 99 1 0x2222
bad_cmd "consumer.pt_map" consumer-add 20 10 1 0x2222 --pt 200:100
dpctl transport-add 2 198.18.2.1:41000 --mux --remote 198.18.3.1:6000 --port 1 >/dev/null
dpctl consumer-add 20 10 2 0x2222 >/dev/null
# a receiver's feedback names a consumer by its SSRC: one per transport
bad_cmd "consumer.ssrc: 8738 already sent on this transport" consumer-add 21 10 2 0x2222
bad_cmd "--fb: pli, fir or nack" producer-add 12 1 0x3333 --fb remb
[[ $(dpctl dump | grep -c '^consumer') == 1 ]] || fail "failed commands left objects behind"

# --- DPDK's tools on the running dataplane -------------------------------------------
wait_for "[[ \$(dpctl obj consumer 20 | awk '\$1 == \"tx_packets\" {print \$2}') -gt 1000 ]]" 10 ||
	fail "consumer 20 sends nothing"
# comedia: the remote tuple was learned from the replayed packets and announced
dpctl dump | grep -q '^transport id=0x1 .* remote=198.18.0.2:5000 ' ||
	fail "comedia transport did not learn its remote: $(dpctl dump | head -3)"
dpctl events >"$TEST_TMP/events.txt"
grep -q '^started epoch=' "$TEST_TMP/events.txt" || fail "no started event"
[[ $(grep -c '^remote_learned transport=0x1 addr=198.18.0.2:5000 rtcp=0' "$TEST_TMP/events.txt") == 1 ]] ||
	fail "expected one remote_learned event: $(cat "$TEST_TMP/events.txt")"
stats=$(tele /cascade/stats)
jq -e '."/cascade/stats".tx_packets > 1000 and ."/cascade/stats".drops.no_transport >= 0' \
	<<<"$stats" >/dev/null || fail "/cascade/stats: $stats"
cons=$(tele /cascade/consumer,14)
jq -e '."/cascade/consumer".tx_packets > 0 and ."/cascade/consumer".ssrc == 8738' <<<"$cons" \
	>/dev/null || fail "/cascade/consumer,14: $cons"

# DPDK's secondary-process tools cannot reliably map the memory of an ASan-built
# primary (the sanitizer's shadow occupies the addresses they need); they are
# checked against the release build only.
if ((CASCADE_SANITIZED == 0)); then
	timeout 30 dpdk-dumpcap --file-prefix "$dpdk_prefix" -i 1 -c 20 -w "$TEST_TMP/cap.pcapng" \
		>"$TEST_TMP/dumpcap.log" 2>&1 || { cat "$TEST_TMP/dumpcap.log" >&2; fail "dpdk-dumpcap failed"; }
	n=$(tshark -r "$TEST_TMP/cap.pcapng" -d udp.port==6000,rtp -Y 'rtp.ssrc == 0x2222' 2>/dev/null | wc -l)
	((n >= 20)) || fail "dpdk-dumpcap captured $n RTP packets with the consumer's SSRC, wanted 20"
else
	log "sanitized build: dpdk-dumpcap not run (secondary processes and ASan do not mix)"
fi

# --- SRTP through cascade-dpctl: a consumer on an SRTP transport is dropped as srtp_error
# until transport-srtp gives the transport keys, then it sends -------------------------
bad_cmd "--srtp: unknown suite" transport-add 3 198.18.2.1:41001 --mux --srtp AES_CM_999
bad_cmd "RX_MASTER: AES_CM_128_HMAC_SHA1_80 wants 30 bytes" transport-srtp 3 1 00 00
dpctl transport-add 3 198.18.2.1:41001 --mux --port 1 --remote 198.18.3.1:6001 \
	--srtp AES_CM_128_HMAC_SHA1_80 >/dev/null
dpctl dump | grep -q '^transport id=0x3 .* srtp_suite=1$' || fail "no SRTP transport: $(dpctl dump)"
bad_cmd "srtp.suite" transport-srtp 3 AEAD_AES_128_GCM "$(printf '%056d' 1)" "$(printf '%056d' 2)"
dpctl consumer-add 21 10 3 0x3333 >/dev/null
srtp_error() { dpctl stats | awk '$1 == "drop_srtp_error" {print $2}'; }
sent21() { dpctl obj consumer 21 | awk '$1 == "tx_packets" {print $2}'; }
wait_for "[[ \$(srtp_error) -gt 100 ]]" 10 || fail "a consumer without SRTP keys was not dropped as srtp_error"
[[ $(sent21) == 0 ]] || fail "a consumer without SRTP keys sent"
dpctl transport-srtp 3 AES_CM_128_HMAC_SHA1_80 "$(printf '%060d' 1)" "$(printf '%060d' 2)" >/dev/null ||
	fail "transport-srtp failed"
wait_for "[[ \$(sent21) -gt 1000 ]]" 10 || fail "the SRTP consumer sends nothing with keys"

# --- stop the traffic: pools return to their baseline --------------------------------
dpctl transport-del 1 >/dev/null
[[ $(dpctl dump | grep -c '^\(producer\|consumer\)') == 0 ]] || fail "transport delete did not cascade"
sleep 0.5
info=$(tele /cascade/info)
jq -e --argjson b "$base_pkt" '."/cascade/info" | .pool_hdr.in_use == 0 and
	.pool_clone.in_use == 0 and .pool_pkt.in_use <= $b + 64' <<<"$info" >/dev/null ||
	fail "mbufs not back to baseline (pkt baseline $base_pkt): $info"

stop "$dp_pid"
((STOP_RC == 0)) || fail "cascade-dp exited $STOP_RC on SIGTERM"
[[ ! -e /dev/shm/cascade.$seg_name ]] || fail "segment left behind after shutdown"

# dpdk-proc-info reads the ports' own counters. (DPDK 22.11's net_pcap cannot be
# attached from a secondary process, so this instance uses net_null, whose RX side
# produces frames that the dataplane counts and drops as eth_type.)
bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix-pi" --vdev net_null0 \
	-- --segment "$seg_name" >"$TEST_TMP/dp-pi.log" 2>&1
dp_pid=$BG_PID
dpctl --timeout-ms 20000 wait || fail "cascade-dp (net_null) did not start"
if ((CASCADE_SANITIZED == 0)); then
	timeout 20 dpdk-proc-info --file-prefix "$dpdk_prefix-pi" -- --stats >"$TEST_TMP/procinfo.log" 2>&1 ||
		{ cat "$TEST_TMP/procinfo.log" >&2; fail "dpdk-proc-info failed"; }
	grep -Eq 'RX-packets: +[1-9]' "$TEST_TMP/procinfo.log" || fail "dpdk-proc-info shows no RX packets"
fi
[[ $(dpctl stats | awk '$1 == "drop_eth_type" {print $2}') -gt 0 ]] ||
	fail "net_null frames were not counted as eth_type drops"

# The inject ring: a UDP payload the control plane hands down leaves on the transport's
# port from its local address to its remote, with valid checksums.
dpctl transport-add 5 198.18.0.1:40100 --mux --remote 198.18.0.9:7000 --mac 02:00:00:00:00:09 >/dev/null
if ((CASCADE_SANITIZED == 0)); then
	bg timeout 20 dpdk-dumpcap --file-prefix "$dpdk_prefix-pi" -i 0 -f "udp port 7000" -c 1 \
		-w "$TEST_TMP/inject.pcapng"
	cap_pid=$BG_PID
	sleep 2
fi
dpctl inject 5 0001000c2112a4420102030405060708090a0b0c >/dev/null || fail "inject failed"
dpctl inject 77 00 >/dev/null || fail "inject (unknown transport) was not queued"
if ((CASCADE_SANITIZED == 0)); then
	wait "$cap_pid" || fail "dpdk-dumpcap saw no injected packet"
	tshark -r "$TEST_TMP/inject.pcapng" -o udp.check_checksum:TRUE -T fields -e ip.src \
		-e udp.srcport -e ip.dst -e udp.dstport -e udp.checksum.status -e udp.payload \
		>"$TEST_TMP/inject.txt" 2>/dev/null
	read -r isrc isport idst idport ick ipay <"$TEST_TMP/inject.txt" || fail "no packet decoded"
	[[ "$isrc:$isport $idst:$idport" == "198.18.0.1:40100 198.18.0.9:7000" ]] ||
		fail "injected packet went $isrc:$isport -> $idst:$idport"
	[[ $ick == 1 && ${ipay//:/} == 0001000c2112a4420102030405060708090a0b0c ]] ||
		fail "injected packet: checksum status $ick, payload $ipay"
fi
wait_for "[[ \$(dpctl stats | awk '\$1 == \"inject_packets\" {print \$2}') == 1 ]]" 5 ||
	fail "the injected packet was not sent"
wait_for "[[ \$(dpctl stats | awk '\$1 == \"inject_drops\" {print \$2}') == 1 ]]" 5 ||
	fail "inject to an unknown transport was not counted as a drop"
[[ $(dpctl stats | awk '$1 == "inject_packets" {print $2}') == 1 ]] || fail "inject_packets != 1"

stop "$dp_pid"
((STOP_RC == 0)) || fail "cascade-dp (net_null) exited $STOP_RC on SIGTERM"

# Two worker lcores (this host has two cores, so both share core 1): each gets its
# own RX queue, polls it and counts in its own block; telemetry shows both.
bg "$CASCADE_DP" --lcores '0@0,1@1,2@1' --no-pci --file-prefix "$dpdk_prefix-w2" \
	--vdev net_null0 -- --segment "$seg_name" >"$TEST_TMP/dp-w2.log" 2>&1
dp_pid=$BG_PID
dpctl --timeout-ms 20000 wait || fail "cascade-dp with two workers did not start"
grep -q 'rxq=2 txq=3' "$TEST_TMP/dp-w2.log" || fail "port not set up with a queue per worker"
tele_w2() { echo "$1" | timeout 10 dpdk-telemetry.py -f "$dpdk_prefix-w2" 2>/dev/null | grep -a '^{' | tail -1; }
for l in 0 1; do
	wait_for "[[ \$(tele_w2 /cascade/lcore,$l | jq '.\"/cascade/lcore\".rx_packets') -gt 0 ]]" 10 ||
		fail "worker $l received nothing"
done
stop "$dp_pid"
((STOP_RC == 0)) || fail "cascade-dp (two workers) exited $STOP_RC on SIGTERM"
pass "options, commands, telemetry, dumpcap, proc-info, SRTP keys, inject, mempools, two workers, shutdown"
