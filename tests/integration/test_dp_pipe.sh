#!/usr/bin/env bash
# Pipe transports (DESIGN.md 2): one UDP port per node carries every piped producer to and
# from every peer node. Two cascade-dp instances, node A and node "B/C" (one dataplane
# holding the pipe addresses of nodes B and C), each in a namespace of its own, joined by
# a veth pair (IPv6 off and no addresses, so the kernel adds no frames; net_af_packet on
# both ends); pktgen sends and receives over memif at both ends, and a few hand-made
# frames come from "anywhere":
#
#   pktgen S ═memif═ [0] A [1] ══ vA1|vB0 ══ [0] B/C [1] ═memif═ pktgen R
#                        [2] ══ vA2|vX: python3 raw frames    (dumpcap on vA1 and vB0)
#
# A: producer 0x1000 (comedia, from S); on A's pipe 198.18.1.1:7000 its pipe consumers
#    0x2001 -> B 198.18.1.2:7000 and 0x3001 -> C 198.18.1.3:7000 (each with its own MAC)
#    and 0x4001 -> D without a MAC (A has no --peer-mac: every packet is a no_route drop);
#    pipe producer 0x5001 (from B) and 0x7000 (from anywhere, with a pipe consumer 0x7001
#    -> C that carries its sender reports); ordinary consumers 0x1002, 0x5002 -> S.
# B/C: pipe producers 0x2001 and 0x2100 (R sends it straight to B's pipe: another source)
#    on B's pipe, 0x3001 and 0x7001 on C's pipe; consumers 0x2002, 0x3002, 0x2102 -> R;
#    pipe consumer 0x5001 of 0x2100 back to A's pipe, MAC from B's --peer-mac.
#
# Checks: every stream arrives end to end with zero loss, no duplicate and no RTP
# sequence error under the SSRC of each hop; the frames on the A-B link carry the right
# Ethernet destination, addresses and SSRC (pipe consumer's own MAC, or the port
# default); pipe transports take packets from any source and find producers by SSRC;
# sender reports reach pipe consumers' remotes; drops are counted by reason (no_route,
# unknown_ssrc) and per consumer; bad pipe commands are refused naming the field;
# retries are idempotent; dump shows flags and consumer remotes; deletes cascade.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 160
require_bin "$CASCADE_DP" "$CASCADE_PKTGEN" "$CASCADE_DPCTL"
require_cmd jq python3 dumpcap ip

rate=1000
((CASCADE_SANITIZED == 0)) || rate=200
dur=3
sock_s=$(memif_sock s)
sock_r=$(memif_sock r)
seg_a=$seg_name-a
seg_b=$seg_name-b
seg_track "$seg_a"
seg_track "$seg_b"
dpa() { "$CASCADE_DPCTL" -s "$seg_a" "$@"; }
dpb() { "$CASCADE_DPCTL" -s "$seg_b" "$@"; }
# ostat DPCTL KIND ID NAME: one counter of one object
ostat() { "$1" obj "$2" "$3" | awk -v k="$4" '$1 == k {print $2}'; }

# Two namespaces, also because net_af_packet names its PACKET_FANOUT group pid ^ ifindex,
# which two dataplanes started one after the other can share within one namespace.
for n in a b; do
	netns_add "$n"
	ip netns exec "$NETNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || fail "cannot disable IPv6 in $NETNS"
done
ns_a=$(ns_name a)
ns_b=$(ns_name b)
ip -n "$ns_a" link add vA1 type veth peer name vB0 netns "$ns_b" || fail "cannot create veth vA1|vB0"
ip -n "$ns_a" link add vA2 type veth peer name vX || fail "cannot create veth vA2|vX"
for l in vA1 vA2 vX; do
	ip -n "$ns_a" link set "$l" up
done
ip -n "$ns_b" link set vB0 up

dp_opts=(--max-transports 64 --max-producers 64 --max-consumers 64 --mbufs 4095
	--hdr-mbufs 4095 --clone-mbufs 4095)
bg ip netns exec "$ns_a" "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix-a" \
	--vdev "net_memif0,role=server,socket=$sock_s,rsize=12" \
	--vdev net_af_packet1,iface=vA1 --vdev net_af_packet2,iface=vA2 -- \
	--segment "$seg_a" "${dp_opts[@]}" >"$TEST_TMP/dp-a.log" 2>&1
dpa_pid=$BG_PID
bg ip netns exec "$ns_b" "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix-b" \
	--vdev net_af_packet0,iface=vB0 --vdev "net_memif1,role=server,socket=$sock_r,rsize=12" -- \
	--segment "$seg_b" "${dp_opts[@]}" --peer-mac 02:00:00:00:0a:ff >"$TEST_TMP/dp-b.log" 2>&1
dpb_pid=$BG_PID
dpa --timeout-ms 20000 wait || fail "cascade-dp A did not start"
dpb --timeout-ms 20000 wait || fail "cascade-dp B/C did not start"
# (a --vdev that fails to probe is logged, not fatal)
wait_for "grep -q 'running: .* ports=3' $TEST_TMP/dp-a.log && grep -q 'running: .* ports=2' $TEST_TMP/dp-b.log" 5 ||
	fail "a port failed to come up (see the dataplanes' logs)"

# --- the scenario ------------------------------------------------------------------------
A_PIPE=198.18.1.1:7000
B_PIPE=198.18.1.2:7000
C_PIPE=198.18.1.3:7000
D_PIPE=198.18.1.4:7000
MAC_B=02:00:00:00:0b:02
MAC_C=02:00:00:00:0b:03
cat >"$TEST_TMP/a.batch" <<EOF
transport-add 1 198.18.0.1:40000 --mux --comedia
producer-add 10 1 0x1000 --clock 90000 --kind video
transport-add 2 198.18.0.1:40002 --mux --remote 198.18.0.2:6000 --mac 02:00:00:00:00:02
consumer-add 12 10 2 0x1002
transport-add 3 $A_PIPE --pipe --port 1
consumer-add 21 10 3 0x2001 --remote $B_PIPE --mac $MAC_B
consumer-add 31 10 3 0x3001 --remote $C_PIPE --mac $MAC_C
consumer-add 41 10 3 0x4001 --remote $D_PIPE
producer-add 51 3 0x5001 --clock 90000 --kind video
consumer-add 52 51 2 0x5002
producer-add 70 3 0x7000 --clock 90000 --kind video
consumer-add 71 70 3 0x7001 --remote $C_PIPE --mac $MAC_C
EOF
cat >"$TEST_TMP/b.batch" <<EOF
transport-add 10 $B_PIPE --pipe --port 0
transport-add 11 $C_PIPE --pipe --port 0
transport-add 12 198.18.2.1:41000 --mux --remote 198.18.2.2:6000 --mac 02:00:00:00:00:03 --port 1
producer-add 20 10 0x2001 --clock 90000 --kind video
consumer-add 22 20 12 0x2002
producer-add 30 11 0x3001 --clock 90000 --kind video
consumer-add 32 30 12 0x3002
producer-add 60 10 0x2100 --clock 90000 --kind video
consumer-add 62 60 12 0x2102
producer-add 72 11 0x7001 --clock 90000 --kind video
EOF
dpa batch <"$TEST_TMP/a.batch" >"$TEST_TMP/setup.log" 2>&1 || fail "A's set-up: $(cat "$TEST_TMP/setup.log")"
dpb batch <"$TEST_TMP/b.batch" >"$TEST_TMP/setup.log" 2>&1 || fail "B's set-up: $(cat "$TEST_TMP/setup.log")"

# --- commands: the pipe rules, refused with the field named, nothing half-made ------------
bad_cmd() {
	local want=$1
	shift
	if dpa "$@" >"$TEST_TMP/cmd.log" 2>&1; then fail "dataplane accepted: $*"; fi
	grep -q -- "$want" "$TEST_TMP/cmd.log" || { cat "$TEST_TMP/cmd.log" >&2; fail "no '$want' in the reply to: $*"; }
}
bad_cmd "consumer.remote:" consumer-add 90 10 2 0x9000 --remote "$B_PIPE"
bad_cmd "consumer.remote_mac:" consumer-add 90 10 2 0x9000 --mac "$MAC_B"
bad_cmd "consumer.remote:" consumer-add 90 10 3 0x9000
bad_cmd "consumer.remote:" consumer-add 90 10 3 0x9000 --mac "$MAC_B"
bad_cmd "consumer.remote:" consumer-add 90 10 3 0x9000 --remote "[2001:db8::2]:7000"
bad_cmd "transport.flags:" transport-add 91 198.18.1.1:7002 --pipe --comedia --port 1
bad_cmd "transport.remote:" transport-add 91 198.18.1.1:7002 --pipe --remote "$B_PIPE" --port 1
bad_cmd "transport.remote_mac:" transport-add 91 198.18.1.1:7002 --pipe --mac "$MAC_B" --port 1
bad_cmd "is a pipe" transport-connect 3 "$B_PIPE"
bad_cmd "already in use" transport-add 91 "$A_PIPE" --pipe --port 1
# SRTP keys: per stream only on an SRTP pipe (this one is plain), never transport-wide
key=$(printf '5a%.0s' $(seq 30))
bad_cmd "pipe_srtp.obj_id: the pipe transport is plain" pipe-srtp consumer 21 AES_CM_128_HMAC_SHA1_80 "$key"
bad_cmd "pipe_srtp.obj_id: producer 0x99 not found" pipe-srtp producer 0x99 AES_CM_128_HMAC_SHA1_80 "$key"
bad_cmd "MASTER: AES_CM_128_HMAC_SHA1_80 wants 30 bytes" pipe-srtp consumer 21 AES_CM_128_HMAC_SHA1_80 5a5a
bad_cmd "srtp.obj_id:" transport-srtp 3 AES_CM_128_HMAC_SHA1_80 "$key" "$key"
# retries: the same parameters succeed (same slot), others are EEXIST
slot=$(dpa consumer-add 21 10 3 0x2001 --remote "$B_PIPE" --mac "$MAC_B") ||
	fail "an identical retry of a pipe consumer-add must succeed"
[[ $(dpa dump | grep -c '^consumer id=0x15 ') == 1 && $slot == "ok slot=1 gen=1" ]] ||
	fail "the retry made another consumer: $slot"
dpa transport-add 3 "$A_PIPE" --pipe --port 1 >/dev/null ||
	fail "an identical retry of a pipe transport-add must succeed"
bad_cmd "exists with other parameters" consumer-add 21 10 3 0x2001 --remote 198.18.1.2:7002 --mac "$MAC_B"
bad_cmd "exists with other parameters" consumer-add 21 10 3 0x2001 --remote "$B_PIPE"
bad_cmd "exists with other parameters" consumer-add 21 10 3 0x2001 --remote "$B_PIPE" --mac "$MAC_C"
bad_cmd "exists with other parameters" transport-add 3 "$A_PIPE" --mux --port 1
dpa dump >"$TEST_TMP/dump-a.txt"
[[ $(grep -c '^consumer' "$TEST_TMP/dump-a.txt") == 6 && $(grep -c '^transport' "$TEST_TMP/dump-a.txt") == 3 ]] ||
	fail "refused commands left objects behind: $(cat "$TEST_TMP/dump-a.txt")"
grep -q "^transport id=0x3 .* local=$A_PIPE remote=- flags=6$" "$TEST_TMP/dump-a.txt" ||
	fail "dump does not show the pipe transport's flags: $(cat "$TEST_TMP/dump-a.txt")"
grep -q "^consumer id=0x15 .* ssrc=8193 paused=0 remote=$B_PIPE mac=$MAC_B$" "$TEST_TMP/dump-a.txt" ||
	fail "dump does not show the pipe consumer's remote: $(cat "$TEST_TMP/dump-a.txt")"
grep -q "^consumer id=0x29 .* remote=$D_PIPE mac=-$" "$TEST_TMP/dump-a.txt" ||
	fail "dump does not show a pipe consumer without MAC: $(cat "$TEST_TMP/dump-a.txt")"
grep -q '^consumer id=0xc .* paused=0$' "$TEST_TMP/dump-a.txt" ||
	fail "an ordinary consumer shows a remote: $(cat "$TEST_TMP/dump-a.txt")"

# --- media --------------------------------------------------------------------------------
# Everything on the A-B link (headers only), each direction where it arrives: taps do not
# see what net_af_packet sends (it bypasses the qdisc layer).
cap_pids=()
for l in vB0 vA1; do
	[[ $l == vB0 ]] && n=$ns_b || n=$ns_a
	bg ip netns exec "$n" dumpcap -q -P -i "$l" -s 128 -B 32 -w "$TEST_TMP/link-$l.pcap" \
		>"$TEST_TMP/dumpcap-$l.log" 2>&1
	cap_pids+=("$BG_PID")
	wait_for "[[ -s $TEST_TMP/link-$l.pcap ]]" 10 || fail "dumpcap did not start on $l"
done

# pktgen NAME NETNS SOCKET ARGS...: in its dataplane's namespace (memif sockets are abstract)
# shellcheck disable=SC2317 # run through bg
pktgen() {
	local name=$1 netns=$2 sock=$3
	shift 3
	ip netns exec "$netns" "$CASCADE_PKTGEN" -l 0 --no-pci --in-memory --file-prefix "$dpdk_prefix-$name" \
		--vdev "net_memif0,role=client,socket=$sock,rsize=12" -- \
		--video --size 600 --rate "$rate" --duration "$dur" --max-loss 0 --idle-sleep 20 \
		--json "$TEST_TMP/$name.json" "$@"
}
# R first: it sends straight to B's pipe (0x2100 is a pipe producer there, 0x2101 is not)
# for 3 s longer than S, and receives until well after S has stopped sending.
log "pktgen R -> B's pipe, and receiving 0x2002 0x3002 0x2102"
bg pktgen r "$ns_b" "$sock_r" --streams 2 --ssrc-base 0x2100 --src 198.18.2.2:6000 --dst "$B_PIPE" \
	--duration $((dur + 3)) --expect-ssrcs 3 --rx-grace 8 >"$TEST_TMP/pg-r.log" 2>&1
r_pid=$BG_PID
wait_for "grep -q '^cascade-pktgen: lcore' $TEST_TMP/pg-r.log" 30 || fail "pktgen R did not start"
# S: its receive window outlasts R's sending, so the return pipe B -> A -> S is seen whole.
log "pktgen S -> A's producer, and receiving 0x1002 0x5002"
bg pktgen s "$ns_a" "$sock_s" --streams 1 --ssrc-base 0x1000 --src 198.18.0.2:5000 \
	--dst 198.18.0.1:40000 --expect-ssrcs 2 --rx-grace 8 >"$TEST_TMP/pg-s.log" 2>&1
s_pid=$BG_PID
wait_for "grep -q '^cascade-pktgen: lcore' $TEST_TMP/pg-s.log" 30 || fail "pktgen S did not start"
# the return pipe, now that S listens: B's pipe consumer towards A's pipe, no MAC of its own
dpb consumer-add 61 60 10 0x5001 --remote "$A_PIPE" >/dev/null || fail "B's return pipe consumer"

drops() { echo "A: $(dpa stats | grep '^drop_.* [1-9]' | tr '\n' ' ')B: $(dpb stats | grep '^drop_.* [1-9]' | tr '\n' ' ')"; }
wait "$s_pid" || fail "pktgen S: loss, sequence errors or missing SSRCs (exit $?); $(drops)"
log "pktgen S done"
wait "$r_pid" || fail "pktgen R: loss, sequence errors or missing SSRCs (exit $?); $(drops)"
log "pktgen R done"

# Frames from anywhere to A's pipe (vX -> vA2 -> A): RTP of the pipe producer 0x7000, its
# sender reports (forwarded to the pipe consumer 0x7001's remote), one unknown SSRC.
log "raw frames from 198.18.9.9:9000 to A's pipe"
ip netns exec "$ns_a" python3 - vX <<'EOF' || fail "cannot send the raw frames"
import socket, struct, sys, time

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s

def frame(payload, src=("198.18.9.9", 9000), dst=("198.18.1.1", 7000)):
    sip, dip = socket.inet_aton(src[0]), socket.inet_aton(dst[0])
    ulen = 8 + len(payload)
    ck = 0xFFFF - csum(sip + dip + struct.pack("!BBHHHHH", 0, 17, ulen, src[1], dst[1], ulen, 0) + payload)
    udp = struct.pack("!HHHH", src[1], dst[1], ulen, ck or 0xFFFF) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", 0xFFFF - csum(ip)) + ip[12:]
    return bytes.fromhex("020000000a01" "020000000999") + b"\x08\x00" + ip + udp

def rtp(seq, ssrc):
    return struct.pack("!BBHII", 0x80, 96, seq, 1000 + 3000 * seq, ssrc) + bytes(range(100))

def sr(n):  # RFC 3550 6.4.1, no report blocks
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, 0x7000, 0xE0000000 + n, 0, 1000 + 3000 * n, n, 100 * n)

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for p in [rtp(1, 0x7000), rtp(2, 0x7000), rtp(3, 0x7000), sr(3), rtp(4, 0x7777), sr(3)]:
    s.send(frame(p))
    time.sleep(0.05)
EOF
wait_for "[[ \$(ostat dpb producer 72 rtcp_packets) == 2 ]]" 10 ||
	fail "the sender reports did not reach C's pipe producer: $(dpb obj producer 72)"
sleep 0.5
for p in "${cap_pids[@]}"; do
	stop "$p"
done

# --- what went where ---------------------------------------------------------------------
sent_s=$(jq '.tx.packets' "$TEST_TMP/s.json")
sent_r=$(jq '.tx.packets' "$TEST_TMP/r.json")
((sent_s >= rate * dur && sent_r >= 2 * rate * dur)) || fail "pktgen sent only $sent_s / $sent_r packets"
# whole_ssrc FILE SSRC N: SSRC arrived exactly N times, no loss, duplicate or sequence error
whole_ssrc() {
	jq -e --argjson s "$(($2))" --argjson n "$3" '.ssrcs | map(select(.ssrc == $s)) |
		length == 1 and .[0].packets == $n and .[0].lost == 0 and
		.[0].duplicates == 0 and .[0].seq_errors == 0 and .[0].malformed == 0' \
		"$TEST_TMP/$1.json" >/dev/null ||
		fail "$1: ssrc $2 not exactly $3 packets in order: $(jq -c --argjson s "$(($2))" '.ssrcs[] | select(.ssrc == $s)' "$TEST_TMP/$1.json")"
}
p60=$(ostat dpb producer 60 rx_packets)
ret=$(ostat dpb consumer 61 tx_packets)
whole_ssrc r 0x2002 "$sent_s"  # S -> A -> A's pipe -> B's pipe -> R
whole_ssrc r 0x3002 "$sent_s"  # S -> A -> A's pipe -> C's pipe -> R
whole_ssrc r 0x2102 "$p60"     # R -> B's pipe (any source) -> R
whole_ssrc s 0x1002 "$sent_s"  # S -> A -> S, beside the pipes
whole_ssrc s 0x5002 "$ret"     # R -> B's pipe -> A's pipe (B's --peer-mac) -> S
# two hops keep the numbering: each consumer starts with the producer's own sequence numbers
seqs() { jq -r --argjson s "$(($2))" '.ssrcs[] | select(.ssrc == $s) | "\(.rtp_seq_first) \(.rtp_seq_last)"' "$TEST_TMP/$1.json"; }
[[ $(seqs r 0x2002) == "$(seqs s 0x1002)" && $(seqs r 0x3002) == "$(seqs s 0x1002)" ]] ||
	fail "RTP sequence numbers changed across the pipe: $(seqs s 0x1002) / $(seqs r 0x2002) / $(seqs r 0x3002)"
[[ $(seqs s 0x5002 | cut -d' ' -f2) == "$(seqs r 0x2102 | cut -d' ' -f2)" ]] ||
	fail "the return pipe's last sequence number differs: $(seqs s 0x5002) / $(seqs r 0x2102)"
((p60 * 2 == sent_r && ret > rate / 2)) ||
	fail "R sent $sent_r packets in two streams, B's pipe producer got $p60, the return pipe $ret"
((ret == $(ostat dpa producer 51 rx_packets))) || fail "A's pipe producer 0x5001 did not get all $ret"

# per object: pipe consumers count like any other
[[ $(ostat dpa consumer 21 tx_packets) == "$sent_s" && $(ostat dpa consumer 31 tx_packets) == "$sent_s" ]] ||
	fail "A's pipe consumers: $(dpa obj consumer 21 | tr '\n' ' ') / $(dpa obj consumer 31 | tr '\n' ' ')"
[[ $(ostat dpa consumer 41 tx_packets) == 0 && $(ostat dpa consumer 41 drop_packets) == "$sent_s" ]] ||
	fail "A's pipe consumer without a MAC: $(dpa obj consumer 41 | tr '\n' ' ')"
[[ $(ostat dpa consumer 71 tx_packets) == 3 && $(ostat dpa consumer 71 rtcp_packets) == 2 ]] ||
	fail "A's pipe consumer 0x7001: $(dpa obj consumer 71 | tr '\n' ' ')"
[[ $(ostat dpb producer 72 rx_packets) == 3 ]] || fail "C's pipe producer 0x7001: $(dpb obj producer 72 | tr '\n' ' ')"
# pipe transports take every source: B's from A's pipe and from R, A's from B's and
# 198.18.9.9; a transport counts only what it accepted (not R's 0x2101, not 0x7777)
[[ $(ostat dpb transport 10 rx_packets) == $((sent_s + p60)) ]] ||
	fail "B's pipe accepted $(ostat dpb transport 10 rx_packets), want $sent_s from A + $p60 from R"
[[ $(ostat dpa transport 3 rx_packets) == $((ret + 5)) ]] ||
	fail "A's pipe accepted $(ostat dpa transport 3 rx_packets), want $ret from B + 5 from 198.18.9.9"

# drops, by reason: A has no --peer-mac, so D's pipe consumer is no_route; B has no 0x2101
dpa stats >"$TEST_TMP/stats-a.txt"
dpb stats >"$TEST_TMP/stats-b.txt"
sa() { awk -v k="$1" '$1 == k {print $2}' "$TEST_TMP/stats-a.txt"; }
sb() { awk -v k="$1" '$1 == k {print $2}' "$TEST_TMP/stats-b.txt"; }
[[ $(sa drop_no_route) == "$sent_s" && $(sa drop_unknown_ssrc) == 1 &&
	$(sa drop_packets) == $((sent_s + 1)) ]] ||
	{ grep -v ' 0$' "$TEST_TMP/stats-a.txt" >&2; fail "A's drops: want $sent_s no_route and 1 unknown_ssrc only"; }
# (and no_consumer: packets that reached a pipe producer before its consumers did)
[[ $(sb drop_unknown_ssrc) == $((sent_r - p60)) &&
	$(sb drop_packets) == $((sent_r - p60 + $(sb drop_no_consumer))) ]] ||
	{ grep -v ' 0$' "$TEST_TMP/stats-b.txt" >&2; fail "B's drops: want $((sent_r - p60)) unknown_ssrc only"; }

# The A-B link, frame by frame: Ethernet destination, addresses, SSRC, RTP or SR.
python3 - "$TEST_TMP/link-vB0.pcap" "$TEST_TMP/link-vA1.pcap" >"$TEST_TMP/link.txt" <<'EOF' ||
import collections, socket, struct, sys

def frames(path):
    data = open(path, "rb").read()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4, "not a little-endian pcap"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<IIII", data[off:off + 16])[2]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl

tally = collections.Counter()
for fr in (f for path in sys.argv[1:] for f in frames(path)):
    if len(fr) < 14 + 20 + 8 + 8 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
        tally["other"] += 1
        continue
    u = 14 + (fr[14] & 15) * 4
    sport, dport = struct.unpack("!HH", fr[u:u + 4])
    p = fr[u + 8:]
    if 200 <= p[1] <= 204:
        kind, ssrc = "rtcp%d" % p[1], struct.unpack("!I", p[4:8])[0]
    else:
        kind, ssrc = "rtp", struct.unpack("!I", p[8:12])[0]
    mac = ":".join("%02x" % b for b in fr[0:6])
    src = "%s:%d" % (socket.inet_ntoa(fr[26:30]), sport)
    dst = "%s:%d" % (socket.inet_ntoa(fr[30:34]), dport)
    tally["%#x %s %s %s %s" % (ssrc, kind, mac, src, dst)] += 1
for k, n in sorted(tally.items()):
    print(k, n)
EOF
	fail "cannot read the captures"
cat "$TEST_TMP/link.txt" >&2
[[ $(wc -l <"$TEST_TMP/link.txt") == 5 ]] || fail "unexpected frames on the A-B link (see above)"
for want in "0x2001 rtp $MAC_B $A_PIPE $B_PIPE $sent_s" \
	"0x3001 rtp $MAC_C $A_PIPE $C_PIPE $sent_s" \
	"0x5001 rtp 02:00:00:00:0a:ff $B_PIPE $A_PIPE $ret" \
	"0x7001 rtp $MAC_C $A_PIPE $C_PIPE 3" \
	"0x7001 rtcp200 $MAC_C $A_PIPE $C_PIPE 2"; do
	grep -qx "$want" "$TEST_TMP/link.txt" || fail "not on the A-B link: $want"
done

# --- deletes: a pipe consumer alone, then the pipe transport with what is on it ----------
dpa consumer-del 21 >/dev/null || fail "consumer-del of a pipe consumer"
dpa transport-del 3 >/dev/null || fail "transport-del of the pipe transport"
dpa dump >"$TEST_TMP/dump-a.txt"
grep -q '^consumer .* remote=\|^transport id=0x3 \|^producer id=0x33 \|^producer id=0x46 ' "$TEST_TMP/dump-a.txt" &&
	fail "the pipe transport's delete did not cascade: $(cat "$TEST_TMP/dump-a.txt")"
[[ $(grep -c '^consumer' "$TEST_TMP/dump-a.txt") == 1 ]] ||
	fail "A should keep exactly its ordinary consumer 0x1002: $(cat "$TEST_TMP/dump-a.txt")"

stop "$dpb_pid"
((STOP_RC == 0)) || fail "cascade-dp B/C exited $STOP_RC on SIGTERM"
stop "$dpa_pid"
((STOP_RC == 0)) || fail "cascade-dp A exited $STOP_RC on SIGTERM"
[[ ! -e /dev/shm/cascade.$seg_a && ! -e /dev/shm/cascade.$seg_b ]] || fail "segment left behind"
pass "A -> B, C over one pipe port and back: zero loss, in order; any source; SRs; drops by reason"
