# shellcheck shell=bash
# shellcheck disable=SC2154 # c1, c1ip, c2, c2ip: set by lab_up
# gstlib.sh: what the tests with GStreamer endpoints (gstrtx.py) share, sourced after lib.sh
# by a test on a tools/lab lab (after need_lab, lab_use and lab_up):
#   need_gst                     fail unless GStreamer, python3-gi and the good plugins are
#                                here; sets GST (gstrtx.py)
#   gst_transport N IP PORT      a connected transport without rtcp-mux on node N towards
#                                IP:PORT (RTCP from PORT + 1) in room $room; sets t, tport
#                                and trtcp (its RTP and RTCP ports)
#   gst_producer N               gst_transport on node N for the sender on client 1's
#                                $sport, and a producer on it ($GST_PRODUCER); sets prod and
#                                send_to (the transport's RTP and RTCP ports)
#   gst_consumer N IP PORT       gst_transport on node N towards a receiver on IP:PORT, and
#                                a consumer of $prod on it ($GST_CAPS, with RTX); sets pt,
#                                rtx_pt, cssrc and crtx
#   gst_count NAME COUNT         COUNT as gstrtx.py printed it at its end in NAME.log
#   gst_round NAME SPORT RPORT   one loss-repair round (see below)
# The sender's SSRC is GST_SSRC (RTX GST_RTX_SSRC); it declares VP8 with NACK and PLI and
# RTX bound to it; a consumer offers the same with RTX.

GST_SSRC=11110000
GST_RTX_SSRC=11110001
GST_PRODUCER="{\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,
	\"rtcpFeedback\":[{\"type\":\"nack\"},{\"type\":\"nack\",\"parameter\":\"pli\"}]},
	{\"mimeType\":\"video/rtx\",\"payloadType\":97,\"clockRate\":90000,\"parameters\":{\"apt\":96}}],
	\"encodings\":[{\"ssrc\":$GST_SSRC,\"rtx\":{\"ssrc\":$GST_RTX_SSRC}}]}"
GST_CAPS='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000,
	"rtcpFeedback":[{"type":"nack"},{"type":"nack","parameter":"pli"}]},
	{"kind":"video","mimeType":"video/rtx","preferredPayloadType":101,"clockRate":90000,
	"parameters":{"apt":100}}]}'

need_gst() {
	/usr/bin/python3 -c 'import gi; gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
for e in ("rtpbin", "rtprtxsend", "rtprtxreceive", "vp8enc", "vp8dec", "videotestsrc"):
    assert Gst.ElementFactory.find(e), e' 2>/dev/null ||
		fail "GStreamer with python3-gi and the good plugins is missing: run 'tools/run setup'"
	GST=$SRC_DIR/tests/integration/gstrtx.py
}

gst_transport() {
	ok "$1" POST "/v1/rooms/$room/transports" '{"comedia":false,"rtcpMux":false}'
	t=$(jq -r .id "$TEST_TMP/body")
	tport=$(jq -r .tuple.localPort "$TEST_TMP/body")
	trtcp=$(jq -r .rtcpTuple.localPort "$TEST_TMP/body")
	ok "$1" POST "/v1/transports/$t/connect" "{\"ip\":\"$2\",\"port\":$3,\"rtcpPort\":$(($3 + 1))}"
}

gst_producer() {
	gst_transport "$1" "$c1ip" "$sport"
	ok "$1" POST "/v1/transports/$t/producers" "{\"kind\":\"video\",\"rtpParameters\":$GST_PRODUCER}"
	prod=$(jq -r .id "$TEST_TMP/body")
	send_to=("$tport" "$trtcp")
}

gst_consumer() {
	gst_transport "$@"
	ok "$1" POST "/v1/transports/$t/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":$GST_CAPS}"
	pt=$(jq -r '.rtpParameters.codecs[0].payloadType' "$TEST_TMP/body")
	rtx_pt=$(jq -r '.rtpParameters.codecs[] | select(.mimeType == "video/rtx") | .payloadType' \
		"$TEST_TMP/body")
	cssrc=$(jq -r '.rtpParameters.encodings[0].ssrc' "$TEST_TMP/body")
	crtx=$(jq -r '.rtpParameters.encodings[0].rtx.ssrc // empty' "$TEST_TMP/body")
}

gst_count() {
	local v
	v=$(grep -o "$2=[0-9]*" "$TEST_TMP/$1.log" | cut -d= -f2)
	echo "${v:-0}"
}

# ---- loss-repair rounds ------------------------------------------------------------------
# gst_round NAME SPORT RPORT: the sender on client 1's SPORT (RTCP SPORT + 1) publishes on
# node 1, the receiver on client 2's RPORT consumes (on node 2 in the pipe round, else on
# node 1); 5% of the packets are dropped at random (iptables' statistic match, in a
# namespace of the test's lab) on the way NAME says:
#   down  Cascade -> receiver: every RTP packet (and RTX) arriving at the receiver's port;
#         Cascade answers the receiver's NACKs from its buffer (retransmissions_out), as
#         RTX that rtprtxreceive takes (num-rtx-assoc-packets)
#   up    sender -> Cascade: every packet leaving the sender's RTP port; Cascade NACKs the
#         sender (nacks_out), and rtprtxsend's RTX (num-rtx-packets) is unwrapped and fills
#         the gaps (nack_recovered). The gaps reach the receiver first, whose NACKs Cascade
#         answers once the packet is in its buffer.
#   pipe  node 1 -> node 2: every UDP packet the lab's bridge forwards from node 1's port to
#         node 2's (the pipe's media and retransmissions; the nodes' dataplanes take them
#         with XDP, before their own kernels' netfilter, so the rule is in the bridge's
#         namespace, where br_netfilter hands bridged frames to iptables' FORWARD chain).
#         Node 2 NACKs the pipe (nacks_out), node 1's pipe consumer answers from its buffer
#         (retransmissions_out) and node 2 takes them (nack_recovered)
# The encoder makes one keyframe unless one is asked for, so every unrepaired loss costs
# frames. The receiver must decode at least 99% of the frames sent, each byte-identical to
# the sender's own decoding of what it encoded and in order; the figures are logged.

GST_FRAMES=300
GST_LOSS=0.05
# the nodes' counters of the repair, logged for each round
GST_COUNTERS=(retransmissions_out nacked_packets_in nacks_out nacked_packets_out nack_recovered
	retransmissions_missing retransmissions_limited drop_rtp_duplicate)

# gst_stat N NAME: node N's dataplane counter NAME
gst_stat() {
	lab_dpctl "$1" stats | awk -v k="$2" '$1 == k { print $2 }'
}
# gst_counters N: node N's GST_COUNTERS, one line, "name value" pairs
gst_counters() {
	local k line=
	for k in "${GST_COUNTERS[@]}"; do
		line+=" $k $(gst_stat "$1" "$k")"
	done
	echo "$line"
}
# gst_delta BEFORE AFTER NAME: how much NAME grew between two gst_counters lines
gst_delta() {
	awk -v k="$3" -v b="$1" -v a="$2" 'BEGIN {
		n = split(b, x, " "); for (i = 1; i < n; i += 2) if (x[i] == k) v = -x[i + 1]
		n = split(a, x, " "); for (i = 1; i < n; i += 2) if (x[i] == k) v += x[i + 1]
		print v + 0 }'
}
# gst_compare REF GOT: "decoded identical sent": GOT's frames, how many of them are REF's
# frames in REF's order (a greedy match of GOT as a subsequence of REF), and REF's frames
gst_compare() {
	awk 'NR == FNR { ref[++m] = $1; next }
		{ n++; for (k = j + 1; k <= m && ref[k] != $1; k++) ; if (k <= m) { j = k; same++ } }
		END { print n + 0, same + 0, m + 0 }' "$1" "$2"
}
# gst_loss_rule NAME: where round NAME drops: sets loss_ns, loss_chain and loss_match (the
# namespace, the iptables chain and the rule's match)
gst_loss_rule() {
	case $1 in
	down)
		loss_ns=$c2 loss_chain=INPUT
		loss_match=(-p udp --dport "$rport")
		;;
	up)
		loss_ns=$c1 loss_chain=OUTPUT
		loss_match=(-p udp --sport "$sport")
		;;
	pipe)
		loss_ns=$CASCADE_LAB_PREFIX-br loss_chain=FORWARD
		loss_match=(-m physdev --physdev-in n1 --physdev-out n2 -p udp --dport "$(nq 2 pipe_port)")
		;;
	esac
}

gst_round() {
	local name=$1 sport=$2 rport=$3 room=r-$1 t tport trtcp prod pt rtx_pt cssrc crtx send_to
	local spid rpid sent decoded same total lost cnode=1 n nodes=(1) loss_ns loss_chain
	local loss_match=() before=() after=()
	[[ $name != pipe ]] || cnode=2 nodes=(1 2)
	gst_producer 1
	gst_consumer "$cnode" "$c2ip" "$rport"
	[[ -n $rtx_pt && -n $crtx ]] || fail "$name: the consumer got no RTX: $(cat "$TEST_TMP/body")"
	log "$name: producer SSRC $GST_SSRC (RTX $GST_RTX_SSRC) on node 1, consumer on node" \
		"$cnode SSRC $cssrc PT $pt (RTX $crtx PT $rtx_pt)"
	for n in "${nodes[@]}"; do
		before[n]=$(gst_counters "$n")
	done

	bg ip netns exec "$c2" "$PY" "$GST" recv "$c2ip" "$rport" "$(nq "$cnode" media_ip)" "$trtcp" \
		"$pt" "$rtx_pt" "$TEST_TMP/$name-recv.md5" >"$TEST_TMP/$name-recv.log" 2>&1
	rpid=$BG_PID
	wait_for "udp_bound $c2 $rport $((rport + 1))" 10 || fail "$name: the receiver did not start"
	bg ip netns exec "$c1" "$PY" "$GST" send "$c1ip" "$sport" "$(nq 1 media_ip)" "${send_to[@]}" \
		"$GST_SSRC" "$GST_RTX_SSRC" "$GST_FRAMES" "$TEST_TMP/$name-ref.md5" \
		>"$TEST_TMP/$name-send.log" 2>&1
	spid=$BG_PID
	# the loss starts once the first frames are out: no NACK can ask for the first packets
	# of a stream (a receiver knows of a packet only from a later one), and without its
	# first keyframe a decoder decodes nothing
	wait_for "(( \$(wc -l <$TEST_TMP/$name-ref.md5) >= 3 ))" 20 ||
		fail "$name: the sender did not start: $(tail -3 "$TEST_TMP/$name-send.log")"
	gst_loss_rule "$name"
	ip netns exec "$loss_ns" iptables -A "$loss_chain" "${loss_match[@]}" \
		-m statistic --mode random --probability "$GST_LOSS" -j DROP
	# the sender has encoded every frame (10 s of them) ...
	wait_for "grep -q '^sent ' $TEST_TMP/$name-send.log" 60 ||
		fail "$name: the sender did not finish: $(tail -3 "$TEST_TMP/$name-send.log")"
	sent=$(awk '/^sent / { print $2 }' "$TEST_TMP/$name-send.log")
	# ... and the receiver has decoded them all, or stopped decoding (the jitter buffer
	# holds 2 s)
	wait_for "(( \$(wc -l <$TEST_TMP/$name-recv.md5) >= sent ))" 10 ||
		log "$name: the receiver has decoded $(wc -l <"$TEST_TMP/$name-recv.md5") of $sent frames"
	stop "$rpid"
	((STOP_RC == 0)) || fail "$name: the receiver exited $STOP_RC: $(tail -3 "$TEST_TMP/$name-recv.log")"
	stop "$spid"
	((STOP_RC == 0)) || fail "$name: the sender exited $STOP_RC: $(tail -3 "$TEST_TMP/$name-send.log")"
	for n in "${nodes[@]}"; do
		after[n]=$(gst_counters "$n")
		# the node's counters whole, for a failure's log
		lab_dpctl "$n" stats | grep -vw 0 >"$TEST_TMP/$name-n$n-stats.log" || true
	done
	lost=$(ip netns exec "$loss_ns" iptables -vnxL "$loss_chain" | awk '$3 == "DROP" { print $1 }')
	ip netns exec "$loss_ns" iptables -F "$loss_chain"

	read -r decoded same total < <(gst_compare "$TEST_TMP/$name-ref.md5" "$TEST_TMP/$name-recv.md5")
	log "$name: $sent frames sent, $decoded decoded, $same of them identical to a sent frame" \
		"in order; $lost packets dropped"
	for n in "${nodes[@]}"; do
		log "$name: node $n:$(awk -v b="${before[n]}" '{ split(b, x, " ")
			for (i = 1; i < NF; i += 2) printf " %s +%d", $i, $(i + 1) - x[i + 1] }' <<<"${after[n]}")"
	done
	log "$name: $(grep -h '^rtp[a-z]*:' "$TEST_TMP/$name-send.log" "$TEST_TMP/$name-recv.log" | tr '\n' ' ')"
	((total == sent && sent == GST_FRAMES)) || fail "$name: the reference holds $total frames, $sent sent"
	((lost > 0)) || fail "$name: no packet was dropped"
	((same * 100 >= sent * 99)) || fail "$name: $same of $sent frames decoded identical"
	case $name in
	down)
		(($(gst_delta "${before[1]}" "${after[1]}" retransmissions_out) > 0)) ||
			fail "$name: no retransmission"
		(($(gst_count "$name-recv" num-rtx-assoc-packets) > 0)) ||
			fail "$name: rtprtxreceive took none of Cascade's RTX"
		;;
	up)
		(($(gst_delta "${before[1]}" "${after[1]}" nacks_out) > 0)) || fail "$name: no NACK to the sender"
		(($(gst_count "$name-send" num-rtx-packets) > 0)) || fail "$name: the sender sent no RTX"
		(($(gst_delta "${before[1]}" "${after[1]}" nack_recovered) > 0)) ||
			fail "$name: nothing recovered from the sender"
		;;
	pipe)
		(($(gst_delta "${before[2]}" "${after[2]}" nacks_out) > 0)) || fail "$name: node 2 did not NACK the pipe"
		(($(gst_delta "${before[1]}" "${after[1]}" retransmissions_out) > 0)) ||
			fail "$name: node 1 retransmitted nothing over the pipe"
		(($(gst_delta "${before[2]}" "${after[2]}" nack_recovered) > 0)) ||
			fail "$name: node 2 recovered nothing from the pipe"
		;;
	esac
}
