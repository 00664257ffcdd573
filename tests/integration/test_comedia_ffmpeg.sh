#!/usr/bin/env bash
# A comedia transport with rtcp-mux fed by the ffmpeg command line mediasoup's examples use:
#
#   ffmpeg -re -f lavfi -i testsrc=size=640x360:rate=30 -c:v libvpx ... \
#     -f rtp -payload_type 96 -ssrc 287454020 "rtp://NODE_IP:PORT?rtcpport=PORT&pkt_size=1200"
#
# ffmpeg sends RTP from one local port and RTCP from the next one, both to the transport's
# one port, and its first packet is an RTCP sender report from the second port. The
# transport must learn the RTP port as its remote (from the first RTP packet, once) and
# take the RTCP port as its RTCP remote, so that nothing after the first packets is
# dropped as remote_mismatch. Once with rtp:// and once with srtp://
# (AES_CM_128_HMAC_SHA1_80: a comedia SRTP transport connected with the sender's key),
# into a producer on node 1 of a 2-node lab, with a consumer on node 1 (one node) and one
# on node 2 (through the pipe), each received by an ffmpeg that decodes from an SDP file
# written from the consumer's rtpParameters. Each receiver must decode at least 90% of the
# frames sent, every one byte-identical to a sent frame and in order (framemd5); node 1's
# dataplane must show ffmpeg's RTP port as the transport's remote and its RTCP port as the
# RTCP remote, and no remote_mismatch drop; no lab process may report a sanitizer error.
#
# What was sent: the sending ffmpeg also writes two more encodings with the same settings
# to files, in the same process; the frames sent are the first file's, decoded. libvpx is
# deterministic at a fixed speed: realtime mode with a cpu-used >= 0 picks its speed from
# how long frames take to encode, so -cpu-used is negative here, and the test checks the
# two files are identical byte for byte.
. "$(dirname "$0")/lib.sh"

need_lab 96 ffmpeg ss base64 cmp

TTL_MS=3000
((CASCADE_SANITIZED == 0)) || TTL_MS=8000
export CASCADE_LAB_NODE_TTL_MS=$TTL_MS
lab_use
lab_up 2
lab_cluster_formed 2

# Six seconds: ffmpeg sends a sender report with its first packet and the next one 5 s
# later, which is the first the transport can learn its RTCP remote from.
SECS=6
# a receiver ends once no packet came for this long (also before the first: the sender
# starts right after the receivers)
SILENCE=5
SSRC=287454020
SUITE=AES_CM_128_HMAC_SHA1_80
# the encoder's settings, for the RTP output and the two reference files alike; a keyframe
# every half second, so that a packet lost on a loaded host costs at most 15 frames (the
# decoder skips to the next keyframe), within the 10% the test allows
ENC=(-deadline realtime -cpu-used -8 -threads 1 -g 15 -b:v 1M -t "$SECS")
n1ip=$(nq 1 media_ip)
vp8='{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}'
caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000}]}'
srtp_params() { printf '{"cryptoSuite":"%s","keyBase64":"%s"}' "$SUITE" "$1"; }
mismatch() { ok 1 GET /v1/stats && jq -r .node.drops.remote_mismatch "$TEST_TMP/body"; }
# the UDP ports of the ffmpeg that sends from client 1, lowest first
sender_ports() {
	ip netns exec "$c1" ss -Hnuap | awk '/"ffmpeg"/ { n = split($4, a, ":"); print a[n] }' | sort -n
}
# compare REF GOT: "decoded sent bad": GOT's frames, REF's, and how many of GOT's are no
# frame of REF or come out of REF's order (framemd5: the hash is the last field). A
# receiver that never saw a stream wrote no GOT.
compare() {
	[[ -f $2 ]] || : >"$2"
	awk -F', *' 'NR == FNR { if ($1 == "0") idx[$NF] = ++m; next }
		$1 == "0" { n++; i = idx[$NF]; if (!i || i <= last) bad++; else last = i }
		END { print n + 0, m + 0, bad + 0 }' "$1" "$2"
}

# consume NODE PRODUCER PORT NAME MODE: on NODE, a transport towards client 2's PORT (RTCP
# on PORT + 1), SRTP when MODE is srtp, a consumer of PRODUCER on it, and NAME.sdp for the
# receiver
consume() {
	local node=$1 prod=$2 rport=$3 name=$4 mode=$5 t key params="" crypto=()
	if [[ $mode == srtp ]]; then
		ok "$node" POST "/v1/rooms/r-$mode/transports" '{"rtcpMux":false,"enableSrtp":true}'
		key=$(jq -r .srtpParameters.keyBase64 "$TEST_TMP/body")
		params=",\"srtpParameters\":$(srtp_params "$key")"
		crypto=("$SUITE" "$key")
	else
		ok "$node" POST "/v1/rooms/r-$mode/transports" '{"rtcpMux":false}'
	fi
	t=$(jq -r .id "$TEST_TMP/body")
	ok "$node" POST "/v1/transports/$t/connect" \
		"{\"ip\":\"$c2ip\",\"port\":$rport,\"rtcpPort\":$((rport + 1))$params}"
	ok "$node" POST "/v1/transports/$t/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":$caps}"
	consumer_sdp "$TEST_TMP/body" "$(nq "$node" media_ip)" "$c2ip" "$rport" "${crypto[@]}" \
		>"$TEST_TMP/$name.sdp"
}

# round MODE BASE: the producer on node 1 (plain or srtp), receivers behind nodes 1 and 2
# on client 2's ports BASE and BASE + 10, the ffmpeg sender on client 1
round() {
	local mode=$1 base=$2 t port prod key url sopts=() n rpids=() spid ports rtp_port
	local mm0 mm line remote remote_rtcp got decoded sent bad
	if [[ $mode == srtp ]]; then
		ok 1 POST "/v1/rooms/r-$mode/transports" '{"comedia":true,"rtcpMux":true,"enableSrtp":true}'
	else
		ok 1 POST "/v1/rooms/r-$mode/transports" '{"comedia":true,"rtcpMux":true}'
	fi
	t=$(jq -r .id "$TEST_TMP/body")
	port=$(jq -r .tuple.localPort "$TEST_TMP/body")
	url="rtp://$n1ip:$port?rtcpport=$port&pkt_size=1200"
	if [[ $mode == srtp ]]; then
		key=$(head -c 30 /dev/urandom | base64)
		# comedia: the key alone, the tuple is learned
		ok 1 POST "/v1/transports/$t/connect" "{\"srtpParameters\":$(srtp_params "$key")}"
		url="s$url"
		sopts=(-srtp_out_suite "$SUITE" -srtp_out_params "$key")
	fi
	ok 1 POST "/v1/transports/$t/producers" \
		"{\"kind\":\"video\",\"rtpParameters\":{\"codecs\":[$vp8],\"encodings\":[{\"ssrc\":$SSRC}]}}"
	prod=$(jq -r .id "$TEST_TMP/body")
	for n in 1 2; do
		consume "$n" "$prod" $((base + 10 * (n - 1))) "$mode-n$n" "$mode"
	done
	mm0=$(mismatch)
	for n in 1 2; do
		ffmpeg_recv "$c2" "$TEST_TMP/$mode-n$n.sdp" "$TEST_TMP/$mode-n$n.md5" framemd5 "$SILENCE"
		rpids+=("$BG_PID")
	done
	wait_for "udp_bound $c2 $base $((base + 10))" 10 || fail "$mode: the receivers did not start"

	# the command line of the issue; "..." holds the encoder's settings, and two more
	# outputs write the same encoding to files
	# shellcheck disable=SC2217 # bg passes its redirections on to ffmpeg
	bg ip netns exec "$c1" ffmpeg -re -f lavfi -i testsrc=size=640x360:rate=30 -c:v libvpx \
		"${ENC[@]}" -f rtp -payload_type 96 -ssrc "$SSRC" "${sopts[@]}" "$url" \
		-c:v libvpx "${ENC[@]}" -f ivf "$TEST_TMP/$mode-ref.ivf" \
		-c:v libvpx "${ENC[@]}" -f ivf "$TEST_TMP/$mode-ref2.ivf" \
		</dev/null >"$TEST_TMP/$mode-send.log" 2>&1
	spid=$BG_PID
	wait_for "(( \$(sender_ports | wc -l) == 2 ))" 10 || fail "$mode: the sender's UDP ports: $(sender_ports)"
	ports=$(sender_ports | tr '\n' ' ')
	rtp_port=${ports%% *}
	# ffmpeg's RTCP port is its RTP port + 1 (its rtp protocol's localrtcpport default)
	[[ $ports == "$rtp_port $((rtp_port + 1)) " ]] || fail "$mode: the sender's UDP ports: $ports"
	wait "$spid" || fail "$mode: the ffmpeg sender failed: $(tail -3 "$TEST_TMP/$mode-send.log")"

	cmp -s "$TEST_TMP/$mode-ref.ivf" "$TEST_TMP/$mode-ref2.ivf" ||
		fail "$mode: libvpx encoded the same input twice differently: no reference"
	ffmpeg -hide_banner -nostdin -i "$TEST_TMP/$mode-ref.ivf" -fps_mode passthrough \
		-f framemd5 "$TEST_TMP/$mode-ref.md5" >"$TEST_TMP/$mode-ref.log" 2>&1 ||
		fail "$mode: cannot decode the reference: $(tail -3 "$TEST_TMP/$mode-ref.log")"
	ffmpeg_wait "${rpids[@]}"
	mm=$(($(mismatch) - mm0))
	line=$(lab_dpctl 1 dump | grep "^transport .* local=$n1ip:$port ") ||
		fail "$mode: node 1's dataplane has no transport on port $port"
	remote=$(sed -n 's/.* remote=\([^ ]*\) .*/\1/p' <<<"$line")
	remote_rtcp=$(sed -n 's/.* remote_rtcp=\([^ ]*\) .*/\1/p' <<<"$line")
	log "$mode: ffmpeg sent from $c1ip:$rtp_port (RTP) and :$((rtp_port + 1)) (RTCP); node 1" \
		"learned remote=$remote remote_rtcp=${remote_rtcp:--}; remote_mismatch +$mm"
	got=()
	for n in 1 2; do
		read -r decoded sent bad < <(compare "$TEST_TMP/$mode-ref.md5" "$TEST_TMP/$mode-n$n.md5")
		log "$mode: receiver behind node $n decoded $decoded of $sent frames sent, $bad not" \
			"identical to a sent one or out of order"
		got+=("$decoded $sent $bad")
	done
	[[ $remote == "$c1ip:$rtp_port" ]] ||
		fail "$mode: the transport's remote is $remote, not ffmpeg's RTP port $c1ip:$rtp_port"
	[[ $remote_rtcp == "$c1ip:$((rtp_port + 1))" ]] ||
		fail "$mode: the transport's RTCP remote is '$remote_rtcp', not ffmpeg's RTCP port $((rtp_port + 1))"
	((mm == 0)) || fail "$mode: $mm packets dropped as remote_mismatch"
	ok 1 GET /v1/stats
	jq -e --arg t "$t" '.transports[] | select(.id == $t) | .rtcpPackets >= 2 and .dropPackets == 0' \
		"$TEST_TMP/body" >/dev/null ||
		fail "$mode: the transport's counters: $(jq -c --arg t "$t" '.transports[] | select(.id == $t)' "$TEST_TMP/body")"
	for n in 1 2; do
		read -r decoded sent bad <<<"${got[n - 1]}"
		((sent >= 30 * SECS)) || fail "$mode: the reference holds $sent frames, want $((30 * SECS))"
		((bad == 0)) || fail "$mode: behind node $n, $bad decoded frames are no sent frame or out of order"
		((decoded * 10 >= sent * 9)) || fail "$mode: behind node $n, $decoded of $sent frames decoded"
	done
}

round plain 20000
round srtp 20100
lab_sanitizers_quiet
pass "ffmpeg's rtp:// and srtp:// with rtcpport = port into a comedia rtcp-mux transport: RTP port learned, RTCP accepted, frames identical behind nodes 1 and 2"
