#!/usr/bin/env bash
# End to end with independent implementations: ffmpeg (Debian's) sends VP8 video and
# Opus audio over RTP into producers made through cascade-cp's API; consumers made
# through the API send to ffmpeg receivers that decode from an SDP file written from
# the consumer's rtpParameters. Every receiver decodes exactly the frames that were
# sent: with 1 receiver and with 20 at once. The dataplane sits on a veth in a test
# namespace (net_pcap on the interface); the clients are the kernel's sockets behind
# the veth's other end.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd ffmpeg curl jq ip ethtool

SECS=4
((CASCADE_SANITIZED == 0)) || SECS=3
FPS=25

media_node
cp_config "$TEST_TMP/cp.json"
cp_start "$TEST_TMP/cp.json"

# --- producers: VP8 (PT 96) and Opus (PT 111), each on a comedia transport ---------------------
# ffmpeg sends RTCP to the next port: producer transports without rtcp-mux
ok POST /v1/rooms/av/transports '{"comedia":true,"rtcpMux":false}'
tv=$(jq -r .id "$TEST_TMP/body"); pv=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok POST "/v1/transports/$tv/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":4096}]}}'
vprod=$(jq -r .id "$TEST_TMP/body")
ok POST /v1/rooms/av/transports '{"comedia":true,"rtcpMux":false}'
ta=$(jq -r .id "$TEST_TMP/body"); pa=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok POST "/v1/transports/$ta/producers" '{"kind":"audio","rtpParameters":{"codecs":[{"mimeType":"audio/opus","payloadType":111,"clockRate":48000,"channels":2}],"encodings":[{"ssrc":8192}]}}'
aprod=$(jq -r .id "$TEST_TMP/body")

caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000},{"kind":"audio","mimeType":"audio/opus","preferredPayloadType":101,"clockRate":48000,"channels":2}]}'

# consume PRODUCER PORT NAME: a transport towards 198.18.0.2:PORT, a consumer, and an SDP
# file for ffmpeg written from the answer's rtpParameters
consume() {
	local producer=$1 rport=$2 name=$3 t
	ok POST /v1/rooms/av/transports '{"rtcpMux":false}'
	t=$(jq -r .id "$TEST_TMP/body")
	ok POST "/v1/transports/$t/connect" "{\"ip\":\"198.18.0.2\",\"port\":$rport,\"rtcpPort\":$((rport + 1))}"
	ok POST "/v1/transports/$t/consumers" "{\"producerId\":\"$producer\",\"rtpCapabilities\":$caps}"
	consumer_sdp "$TEST_TMP/body" 198.18.0.1 198.18.0.2 "$rport" >"$TEST_TMP/$name.sdp"
}

# run_round N BASE: N video and N audio receivers on ports from BASE, one sender each,
# frames counted
run_round() {
	local n=$1 base=$2 i k pids=() ports=() vsent asent got
	for ((i = 0; i < n; i++)); do
		consume "$vprod" $((base + 4 * i)) "v$n-$i"
		consume "$aprod" $((base + 2 + 4 * i)) "a$n-$i"
		ports+=($((base + 4 * i)) $((base + 2 + 4 * i)))
	done
	for ((i = 0; i < n; i++)); do
		for k in v a; do
			ffmpeg_recv "$ns" "$TEST_TMP/$k$n-$i.sdp" "$TEST_TMP/$k$n-$i.crc"
			pids+=("$BG_PID")
		done
	done
	if [[ -n ${CAPTURE:-} ]]; then
		bg ip netns exec "$ns" tshark -i cdpb -w "$TEST_TMP/cdpb$n.pcap" -q
		wait_for "[[ -s $TEST_TMP/cdpb$n.pcap ]]" 10 || fail "tshark did not start"
	fi
	# receivers listening before the first (key)frame
	wait_for "udp_bound $ns ${ports[*]}" 20 || fail "the $((2 * n)) receivers did not all start"
	ip netns exec "$ns" ffmpeg -hide_banner -nostdin -re -f lavfi \
		-i "testsrc=size=320x240:rate=$FPS" -t "$SECS" -c:v libvpx -deadline realtime \
		-cpu-used 8 -b:v 300k -g $((FPS * 2)) -f rtp -payload_type 96 -ssrc 4096 \
		"rtp://198.18.0.1:$pv?localport=5000" >"$TEST_TMP/vsend$n.log" 2>&1 &
	local vs=$!
	ip netns exec "$ns" ffmpeg -hide_banner -nostdin -re -f lavfi \
		-i "sine=frequency=440:sample_rate=48000" -t "$SECS" -ac 2 -c:a libopus \
		-frame_duration 20 -b:a 64k -f rtp -payload_type 111 -ssrc 8192 \
		"rtp://198.18.0.1:$pa?localport=5002" >"$TEST_TMP/asend$n.log" 2>&1 &
	local as=$!
	wait "$vs" || fail "ffmpeg video sender failed: $(tail -3 "$TEST_TMP/vsend$n.log")"
	wait "$as" || fail "ffmpeg audio sender failed: $(tail -3 "$TEST_TMP/asend$n.log")"
	ffmpeg_wait "${pids[@]}"
	"$CASCADE_DPCTL" -s "$seg_name" stats | grep -v ' 0$' >"$TEST_TMP/dpstats$n.txt" || true
	vsent=$((FPS * SECS))
	asent=$((SECS * 50))
	for ((i = 0; i < n; i++)); do
		got=$(frames "$TEST_TMP/v$n-$i.crc")
		((got == vsent)) || fail "receiver v$n-$i decoded $got of $vsent video frames: $(tail -3 "$TEST_TMP/v$n-$i.crc.log")"
		got=$(frames "$TEST_TMP/a$n-$i.crc")
		((got >= asent - 2 && got <= asent + 2)) ||
			fail "receiver a$n-$i decoded $got of $asent audio frames: $(tail -3 "$TEST_TMP/a$n-$i.crc.log")"
	done
	log "$n receiver(s) of each kind: every one decoded $vsent video and ~$asent audio frames"
}

run_round 1 20000
run_round 20 21000
drops=$("$CASCADE_DPCTL" -s "$seg_name" stats | awk '$1 == "drop_packets" {print $2}')
log "dataplane drops (ARP, IPv6 and the like from the kernel count here): $drops"
pass "ffmpeg VP8 + Opus through API-made producers and consumers: exact frame counts, 1 and 20 receivers"
