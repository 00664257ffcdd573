#!/usr/bin/env bash
# SRTP and SRTCP on plain transports, end to end through cascade-cp's API:
#   1. the API: enableSrtp with every suite answers srtpParameters with a key of the
#      suite's length; bad suites and bad connect srtpParameters are 400s naming the field;
#   2. ffmpeg (Debian's) sends VP8 over srtp:// (AES_CM_128_HMAC_SHA1_80) into an SRTP
#      producer and plain RTP into a plain one; ffmpeg receivers decode, from SDP files
#      (a=crypto for the SRTP ones), exactly the frames sent: SRTP -> SRTP, SRTP -> plain
#      and plain -> SRTP at once;
#   3. srtp_peer (libcascade_srtp) sends good packets, packets with one bit flipped in
#      the payload, the tag or the header, replays and packets under a wrong key: only
#      the good ones reach the (SRTP) receiver, each bad one is counted under its reason
#      (srtp_auth, srtp_replay) and on the transport; a stranger's packets sent to the
#      comedia SRTP transport first do not make it learn the stranger's tuple;
#   3b. an SRTP sender's RTX stream (its own SSRC) is unprotected with a pair of its own
#      and unwrapped: the repairs reach the consumer's SRTP receiver, nothing is dropped;
#   3c. a consumer's receiver protects RR + NACK + PLI under its own SSRC: the node learns
#      the SSRC from a packet that authenticates, reads the report, answers the NACK (the
#      receiver unprotects the packet again) and asks the sender for a keyframe;
#   3d. the same with RTX negotiated: the lost packet comes as RTX that libsrtp unprotects;
#   4. keys appear in no log, /v1/stats or /metrics; the state file is 0600 and keeps
#      them: after kill -9 of cascade-cp media still flows, no key re-sent.
# The network set-up is test_cp_ffmpeg.sh's: cascade-dp on a veth in a test namespace.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
cp_api_init
SRTP_PEER=$BUILD_DIR/tests/integration/srtp_peer
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL" "$SRTP_PEER"
require_cmd ffmpeg curl jq ip ethtool base64

SECS=4
((CASCADE_SANITIZED == 0)) || SECS=3
FPS=25
SUITE=AES_CM_128_HMAC_SHA1_80

# net_pcap's TX refuses packets while the veth's socket buffer is full, which on a busy
# host loses a keyframe burst as tx_full: let a full queue be retried for up to 5 ms.
# (The senders use 1200-byte packets, as WebRTC does: an SRTP consumer of a plain
# producer adds the 10-byte tag, and ffmpeg's default 1472 would then pass the MTU.)
media_node --tx-retry-us 5000
state=$TEST_TMP/state.json
start_cp() {
	CASCADE_API_TOKEN=$token bg "$CASCADE_CP" --node-id "node-$CASCADE_TEST_ID" --media-ip 198.18.0.1 \
		--port-range 40000-40199 --api-listen "127.0.0.1:$port" \
		--segment "$seg_name" --state-file "$state" >>"$TEST_TMP/cp.log" 2>&1
	cp_pid=$!
	wait_for "[[ \$(curl -s ${auth[*]@Q} $api/v1/node | jq -r .dataplane.state) == running ]]" 15 ||
		fail "cascade-cp did not attach"
}
start_cp

# expect STATUS FIELD METHOD PATH [BODY]: the call answers STATUS with a message naming FIELD
expect() {
	local want=$1 field=$2 s
	shift 2
	s=$(call "$@")
	[[ $s == "$want" ]] || fail "$1 $2 ${3:-}: want $want, got $s $(cat "$TEST_TMP/body")"
	jq -e --arg f "$field" '.error.message | startswith($f)' "$TEST_TMP/body" >/dev/null ||
		fail "$1 $2 ${3:-}: message does not name $field: $(cat "$TEST_TMP/body")"
}
# key_bytes B64: how many bytes a base64 key decodes to
key_bytes() { base64 -d <<<"$1" | wc -c; }
srtp_params() { printf '{"cryptoSuite":"%s","keyBase64":"%s"}' "$1" "$2"; }

# --- 1. the API ---------------------------------------------------------------------------------
declare -A want_len=([AES_CM_128_HMAC_SHA1_80]=30 [AES_CM_128_HMAC_SHA1_32]=30
	[AEAD_AES_128_GCM]=28 [AEAD_AES_256_GCM]=44)
for s in "${!want_len[@]}"; do
	ok POST /v1/rooms/api/transports "{\"enableSrtp\":true,\"srtpCryptoSuite\":\"$s\"}"
	[[ $(jq -r .srtpParameters.cryptoSuite "$TEST_TMP/body") == "$s" ]] ||
		fail "create $s: $(cat "$TEST_TMP/body")"
	k=$(jq -r .srtpParameters.keyBase64 "$TEST_TMP/body")
	(($(key_bytes "$k") == want_len[$s])) || fail "create $s: key of $(key_bytes "$k") bytes"
	ok DELETE "/v1/transports/$(jq -r .id "$TEST_TMP/body")"
done
ok POST /v1/rooms/api/transports '{"enableSrtp":true}'
[[ $(jq -r .srtpParameters.cryptoSuite "$TEST_TMP/body") == "$SUITE" ]] || fail "default suite"
t0=$(jq -r .id "$TEST_TMP/body")
k0=$(jq -r .srtpParameters.keyBase64 "$TEST_TMP/body")
expect 400 srtpCryptoSuite POST /v1/rooms/api/transports '{"enableSrtp":true,"srtpCryptoSuite":"AES_256_CM"}'
expect 400 srtpCryptoSuite POST /v1/rooms/api/transports '{"srtpCryptoSuite":"AEAD_AES_128_GCM"}'
expect 400 enableSrtp POST /v1/rooms/api/transports '{"enableSrtp":"yes"}'
expect 400 srtpParameters POST "/v1/transports/$t0/connect" '{"ip":"198.18.0.2","port":30000}'
expect 400 srtpParameters.cryptoSuite POST "/v1/transports/$t0/connect" \
	"{\"ip\":\"198.18.0.2\",\"port\":30000,\"srtpParameters\":$(srtp_params NOPE "$k0")}"
expect 400 srtpParameters.cryptoSuite POST "/v1/transports/$t0/connect" \
	"{\"ip\":\"198.18.0.2\",\"port\":30000,\"srtpParameters\":$(srtp_params AEAD_AES_128_GCM "$k0")}"
expect 400 srtpParameters.keyBase64 POST "/v1/transports/$t0/connect" \
	"{\"ip\":\"198.18.0.2\",\"port\":30000,\"srtpParameters\":$(srtp_params "$SUITE" 'abc!')}"
expect 400 srtpParameters.keyBase64 POST "/v1/transports/$t0/connect" \
	"{\"ip\":\"198.18.0.2\",\"port\":30000,\"srtpParameters\":$(srtp_params "$SUITE" "$(head -c 16 /dev/urandom | base64)")}"
expect 400 srtpParameters POST "/v1/transports/$t0/connect" \
	'{"ip":"198.18.0.2","port":30000,"srtpParameters":"x"}'
ok POST /v1/rooms/api/transports '{}'
tplain=$(jq -r .id "$TEST_TMP/body")
expect 400 srtpParameters POST "/v1/transports/$tplain/connect" \
	"{\"ip\":\"198.18.0.2\",\"port\":30000,\"srtpParameters\":$(srtp_params "$SUITE" "$k0")}"
ok POST "/v1/transports/$t0/connect" \
	"{\"ip\":\"198.18.0.2\",\"port\":30000,\"srtpParameters\":$(srtp_params "$SUITE" "$k0")}"
ok GET /v1/rooms/api
jq -e --arg t "$t0" '.transports[] | select(.id == $t) | .srtpCryptoSuite == "AES_CM_128_HMAC_SHA1_80" and (has("srtpParameters") | not)' \
	"$TEST_TMP/body" >/dev/null || fail "room view of an SRTP transport: $(cat "$TEST_TMP/body")"
ok DELETE "/v1/transports/$t0"
ok DELETE "/v1/transports/$tplain"
keys=("$k0")
log "API: four suites, default suite, bad bodies named"

# --- 2. ffmpeg: SRTP -> SRTP, SRTP -> plain, plain -> SRTP ----------------------------------------
ksend=$(head -c 30 /dev/urandom | base64)
keys+=("$ksend")
# srtp_producer ROOM TRANSPORT_OPTIONS SENDER_KEY SSRC [RTP_PARAMETERS]: a comedia SRTP
# transport whose connect brings only the sender's key, and a producer on it (VP8 of SSRC
# unless RTP_PARAMETERS are given); sets T, PORT and PROD
srtp_producer() {
	local rtp=${5:-"{\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000}],\"encodings\":[{\"ssrc\":$4}]}"}
	ok POST "/v1/rooms/$1/transports" "{\"comedia\":true,\"enableSrtp\":true$2}"
	T=$(jq -r .id "$TEST_TMP/body"); PORT=$(jq -r .tuple.localPort "$TEST_TMP/body")
	keys+=("$(jq -r .srtpParameters.keyBase64 "$TEST_TMP/body")")
	ok POST "/v1/transports/$T/connect" "{\"srtpParameters\":$(srtp_params "$SUITE" "$3")}"
	ok POST "/v1/transports/$T/producers" "{\"kind\":\"video\",\"rtpParameters\":$rtp}"
	PROD=$(jq -r .id "$TEST_TMP/body")
}
srtp_producer av ',"rtcpMux":false' "$ksend" 4096
psv=$PORT sprod=$PROD
ok POST /v1/rooms/av/transports '{"comedia":true,"rtcpMux":false}'
tpv=$(jq -r .id "$TEST_TMP/body"); ppv=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok POST "/v1/transports/$tpv/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":8192}]}}'
pprod=$(jq -r .id "$TEST_TMP/body")

caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000}]}'
# consume PRODUCER PORT NAME srtp|plain: a transport towards 198.18.0.2:PORT, a consumer,
# and an SDP file (with a=crypto carrying the node's key for an SRTP one: ffmpeg uses one
# key both ways, so connect gives the node that same key for the receiver's RTCP)
consume() {
	local producer=$1 rport=$2 name=$3 kind=$4 t key="" params=""
	if [[ $kind == srtp ]]; then
		ok POST /v1/rooms/av/transports '{"rtcpMux":false,"enableSrtp":true}'
		key=$(jq -r .srtpParameters.keyBase64 "$TEST_TMP/body")
		keys+=("$key")
		params=",\"srtpParameters\":$(srtp_params "$SUITE" "$key")"
	else
		ok POST /v1/rooms/av/transports '{"rtcpMux":false}'
	fi
	t=$(jq -r .id "$TEST_TMP/body")
	ok POST "/v1/transports/$t/connect" "{\"ip\":\"198.18.0.2\",\"port\":$rport,\"rtcpPort\":$((rport + 1))$params}"
	ok POST "/v1/transports/$t/consumers" "{\"producerId\":\"$producer\",\"rtpCapabilities\":$caps}"
	consumer_sdp "$TEST_TMP/body" 198.18.0.1 198.18.0.2 "$rport" ${key:+"$SUITE" "$key"} \
		>"$TEST_TMP/$name.sdp"
}
consume "$sprod" 20000 s2s srtp
consume "$sprod" 20004 s2p plain
consume "$pprod" 20008 p2s srtp

pids=()
for name in s2s s2p p2s; do
	ffmpeg_recv "$ns" "$TEST_TMP/$name.sdp" "$TEST_TMP/$name.crc"
	pids+=("$BG_PID")
done
# receivers listening before the first keyframe
wait_for "udp_bound $ns 20000 20004 20008" 10 || fail "the receivers did not start"
ip netns exec "$ns" ffmpeg -hide_banner -nostdin -re -f lavfi \
	-i "testsrc=size=320x240:rate=$FPS" -t "$SECS" -c:v libvpx -deadline realtime \
	-cpu-used 8 -b:v 300k -g $((FPS * 2)) -f rtp -payload_type 96 -ssrc 4096 -pkt_size 1200 \
	-srtp_out_suite "$SUITE" -srtp_out_params "$ksend" \
	"srtp://198.18.0.1:$psv?localport=5000" >"$TEST_TMP/ssend.log" 2>&1 &
ss=$!
ip netns exec "$ns" ffmpeg -hide_banner -nostdin -re -f lavfi \
	-i "testsrc=size=320x240:rate=$FPS" -t "$SECS" -c:v libvpx -deadline realtime \
	-cpu-used 8 -b:v 300k -g $((FPS * 2)) -f rtp -payload_type 96 -ssrc 8192 -pkt_size 1200 \
	"rtp://198.18.0.1:$ppv?localport=5010" >"$TEST_TMP/psend.log" 2>&1 &
ps=$!
wait "$ss" || fail "ffmpeg SRTP sender failed: $(tail -3 "$TEST_TMP/ssend.log")"
wait "$ps" || fail "ffmpeg RTP sender failed: $(tail -3 "$TEST_TMP/psend.log")"
ffmpeg_wait "${pids[@]}"
"$CASCADE_DPCTL" -s "$seg_name" stats | grep -v ' 0$' >"$TEST_TMP/dpstats-ffmpeg.txt" || true
sent=$((FPS * SECS))
for name in s2s s2p p2s; do
	got=$(frames "$TEST_TMP/$name.crc")
	((got == sent)) || fail "receiver $name decoded $got of $sent frames: $(tail -3 "$TEST_TMP/$name.crc.log")"
done
log "ffmpeg: SRTP->SRTP, SRTP->plain, plain->SRTP each decoded $sent of $sent frames"

# --- 3. tampered, replayed and wrongly keyed packets ------------------------------------------------
khelp=$(head -c 30 /dev/urandom | base64)
kwrong=$(head -c 30 /dev/urandom | base64)
keys+=("$khelp" "$kwrong")
srtp_producer tamper "" "$khelp" 12288
tin=$T pin=$PORT tprod=$PROD
# srtp_consumer ROOM PRODUCER [PORT]: an SRTP transport towards 198.18.0.2:PORT (21000) and a consumer
# on it; sets TOUT, TPORT (its port), KOUT (the node's key, the receiver's) and CSSRC
srtp_consumer() {
	ok POST "/v1/rooms/$1/transports" '{"enableSrtp":true}'
	TOUT=$(jq -r .id "$TEST_TMP/body") TPORT=$(jq -r .tuple.localPort "$TEST_TMP/body")
	KOUT=$(jq -r .srtpParameters.keyBase64 "$TEST_TMP/body")
	keys+=("$KOUT")
	ok POST "/v1/transports/$TOUT/connect" "{\"ip\":\"198.18.0.2\",\"port\":${3:-21000},\"srtpParameters\":$(srtp_params "$SUITE" "$KOUT")}"
	ok POST "/v1/transports/$TOUT/consumers" "{\"producerId\":\"$2\",\"rtpCapabilities\":$caps}"
	CSSRC=$(jq -r '.rtpParameters.encodings[0].ssrc' "$TEST_TMP/body")
}
srtp_consumer tamper "$tprod"
tout=$TOUT kout=$KOUT cssrc=$CSSRC

drop() { ok GET /v1/stats; jq -r ".node.drops.$1" "$TEST_TMP/body"; }
tdrops() { ok GET /v1/stats; jq -r --arg t "$1" '.transports[] | select(.id == $t) | .dropPackets' "$TEST_TMP/body"; }
auth0=$(drop srtp_auth); replay0=$(drop srtp_replay); err0=$(drop srtp_error)

# recv_start NAME [KEY]: an SRTP receiver on 198.18.0.2:21000 with the consumer's key
recv_start() {
	ip netns exec "$ns" "$SRTP_PEER" recv "$SUITE" "${2:-$kout}" 21000 3000 >"$TEST_TMP/$1.out" 2>&1 &
	recv_pid=$!
	_cascade_pids+=($!)
	wait_for "grep -q listening $TEST_TMP/$1.out" 5 || fail "srtp_peer recv did not start"
}
peer_send() { # KEY FIRST_SEQ COUNT MODE
	ip netns exec "$ns" "$SRTP_PEER" send "$SUITE" "$1" 198.18.0.1 "$pin" 5020 12288 "$2" "$3" "$4" \
		>>"$TEST_TMP/peer-send.log" 2>&1 || fail "srtp_peer send $4 failed: $(tail -1 "$TEST_TMP/peer-send.log")"
}
recv_start tamper
# a stranger's packets first, from another port with a wrong key: 10 srtp_auth, and the
# comedia transport must not learn its tuple from them
ip netns exec "$ns" "$SRTP_PEER" send "$SUITE" "$kwrong" 198.18.0.1 "$pin" 5030 12288 900 10 good \
	>>"$TEST_TMP/peer-send.log" 2>&1 || fail "srtp_peer send (stranger) failed"
peer_send "$khelp" 1000 50 good    # 50 forwarded: the sender's tuple is learned
peer_send "$khelp" 1050 10 payload # 10 srtp_auth
peer_send "$khelp" 1060 10 tag     # 10 srtp_auth
peer_send "$khelp" 1070 10 header  # 10 srtp_auth
peer_send "$khelp" 1080 10 replay  # 10 forwarded, their 10 copies srtp_replay
peer_send "$khelp" 1000 10 good    # the first 10 again, byte for byte: 10 srtp_replay
peer_send "$kwrong" 1090 10 good   # 10 srtp_auth
wait "$recv_pid" || true
read -r _ rok _ rbad _ rssrc < <(tail -1 "$TEST_TMP/tamper.out") || fail "srtp_peer recv: $(cat "$TEST_TMP/tamper.out")"
((rok == 60 && rbad == 0)) || fail "receiver got $rok good and $rbad bad packets, want 60 and 0"
((rssrc == cssrc)) || fail "receiver saw SSRC $rssrc, the consumer announced $cssrc"
n_auth=$(($(drop srtp_auth) - auth0)); n_replay=$(($(drop srtp_replay) - replay0))
n_err=$(($(drop srtp_error) - err0))
((n_auth == 50 && n_replay == 20 && n_err == 0)) ||
	fail "drops: srtp_auth $n_auth (want 50), srtp_replay $n_replay (want 20), srtp_error $n_err (want 0)"
td=$(tdrops "$tin")
((td == 70)) || fail "transport $tin counts $td drops, want 70"
log "a stranger's first packets taught the comedia transport nothing; tampered (payload, tag, header), replayed and wrongly keyed packets: none forwarded; srtp_auth 50, srtp_replay 20"

# --- 3b. RTX from an SRTP sender ----------------------------------------------------------------------
# A producer with an RTX stream (SSRC 16385, PT 97 for 96) on a comedia SRTP transport: its RTX
# packets are unprotected with an inbound pair of the RTX SSRC's own (the transport's key), then
# unwrapped as on plain transports; the consumer's SRTP receiver gets the packets they repair,
# under the consumer's SSRC, and nothing is dropped for SRTP.
krtx=$(head -c 30 /dev/urandom | base64)
keys+=("$krtx")
srtp_producer rtx "" "$krtx" 16384 '{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000,"rtcpFeedback":[{"type":"nack"}]},{"mimeType":"video/rtx","payloadType":97,"clockRate":90000,"parameters":{"apt":96}}],"encodings":[{"ssrc":16384,"rtx":{"ssrc":16385}}]}'
prtx=$PORT
srtp_consumer rtx "$PROD"
krout=$KOUT rcssrc=$CSSRC
auth0=$(drop srtp_auth); replay0=$(drop srtp_replay); err0=$(drop srtp_error)
recv_start rtx "$krout"
rtx_send() { # SSRC FIRST_SEQ COUNT MODE
	ip netns exec "$ns" "$SRTP_PEER" send "$SUITE" "$krtx" 198.18.0.1 "$prtx" 5040 "$1" "$2" "$3" "$4" \
		>>"$TEST_TMP/peer-send.log" 2>&1 || fail "srtp_peer send $4 failed: $(tail -1 "$TEST_TMP/peer-send.log")"
}
rtx_send 16384 3000 10 good     # media 3000..3009
rtx_send 16385 500 10 rtx:97:3010 # RTX of 3010..3019, never sent as media: 10 repaired
rtx_send 16385 510 5 rtx:97:3005  # RTX of 3005..3009 again: held already, duplicates
wait "$recv_pid" || true
read -r _ rok _ rbad _ rssrc < <(tail -1 "$TEST_TMP/rtx.out") || fail "srtp_peer recv: $(cat "$TEST_TMP/rtx.out")"
((rok == 20 && rbad == 0 && rssrc == rcssrc)) ||
	fail "RTX from an SRTP sender: the receiver got $rok good and $rbad bad packets of SSRC $rssrc, want 20 and 0 of $rcssrc"
n_auth=$(($(drop srtp_auth) - auth0)); n_replay=$(($(drop srtp_replay) - replay0))
n_err=$(($(drop srtp_error) - err0))
((n_auth == 0 && n_replay == 0 && n_err == 0)) ||
	fail "RTX from an SRTP sender: srtp_auth +$n_auth, srtp_replay +$n_replay, srtp_error +$n_err (want none)"
((rok == 20)) && log "RTX from an SRTP sender: unprotected with its RTX SSRC's pair, unwrapped, 10 repairs forwarded"

# --- 3c. a receiver's SRTCP from its own SSRC ---------------------------------------------------------
# The receiver's SSRC is nobody's: the first packets go to the main lcore, which keeps a session
# for it once one authenticates (srtcp_learned); from then on its RR, NACK and PLI are read.
kfb=$(head -c 30 /dev/urandom | base64)
keys+=("$kfb")
srtp_producer fb "" "$kfb" 20480 '{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000,"rtcpFeedback":[{"type":"nack"},{"type":"nack","parameter":"pli"}]}],"encodings":[{"ssrc":20480}]}'
pfb=$PORT fbprod=$PROD
srtp_consumer fb "$PROD"
stat_of() { "$CASCADE_DPCTL" -s "$seg_name" stats | awk -v k="$1" '$1 == k { print $2 }'; }
# fb_run NAME PORT SSRC FIRST_SEQ: srtp_peer fb on PORT (the last srtp_consumer's receiver,
# SRTCP from SSRC) while the sender sends 20 packets from FIRST_SEQ; sets fok fbad fagain frtx
fb_run() {
	ip netns exec "$ns" "$SRTP_PEER" fb "$SUITE" "$KOUT" "$KOUT" "$2" 198.18.0.1 "$TPORT" "$3" 2000 \
		>"$TEST_TMP/$1.out" 2>&1 &
	fb_pid=$!
	_cascade_pids+=($!)
	wait_for "grep -q listening $TEST_TMP/$1.out" 5 || fail "srtp_peer fb did not start"
	ip netns exec "$ns" "$SRTP_PEER" send "$SUITE" "$kfb" 198.18.0.1 "$pfb" 5050 20480 "$4" 20 good \
		>>"$TEST_TMP/peer-send.log" 2>&1 || fail "srtp_peer send ($1) failed"
	wait "$fb_pid" || true
	read -r _ fok _ fbad _ fagain _ frtx < <(tail -1 "$TEST_TMP/$1.out") || fail "srtp_peer fb: $(cat "$TEST_TMP/$1.out")"
}
learned0=$(stat_of srtcp_learned) retr0=$(stat_of retransmissions_out)
fb_run fb 21000 777 4000
((fok == 20 && fbad == 0 && fagain == 1 && frtx == 0)) ||
	fail "receiver's SRTCP: got $fok good, $fbad bad, $fagain again (want 19 + the lost one again, 0 bad)"
learned=$(($(stat_of srtcp_learned) - learned0)) retr=$(($(stat_of retransmissions_out) - retr0))
((learned == 1 && retr >= 1)) || fail "srtcp_learned +$learned (want 1), retransmissions_out +$retr"
ok GET /v1/stats
fbc=$(jq -c --arg p "$fbprod" '.consumers[] | select(.producerId == $p)' "$TEST_TMP/body")
jq -e '.rtcpPackets > 0 and .rtcp.reportedAt != null' <<<"$fbc" >/dev/null ||
	fail "the consumer shows no receiver RTCP: $fbc"
jq -e --arg p "$fbprod" '.producers[] | select(.id == $p) | .pliCount >= 1' "$TEST_TMP/body" >/dev/null ||
	fail "no keyframe request reached the sender: $(jq -c .producers "$TEST_TMP/body")"
log "receiver's SRTCP from its own SSRC: learned once, report read, NACK answered ($fagain again), PLI forwarded"
# bad receivers' SRTCP: a wrong key teaches nothing; a replay of 777's first index is
# srtp_replay; a flood of new SSRCs fills the transport's 4 sessions, no more
rtcp_send() { # KEY FIRST_SSRC COUNT
	ip netns exec "$ns" "$SRTP_PEER" rtcp "$SUITE" "$1" 198.18.0.1 "$TPORT" 21000 "$2" "$3" \
		>>"$TEST_TMP/peer-send.log" 2>&1 || fail "srtp_peer rtcp failed: $(tail -1 "$TEST_TMP/peer-send.log")"
}
auth0=$(stat_of srtcp_learn_auth) replay0=$(drop srtp_replay) learned0=$(stat_of srtcp_learned)
full0=$(stat_of srtcp_learn_full)
rtcp_send "$kwrong" 800 3
wait_for '(($(stat_of srtcp_learn_auth) - auth0 == 3))' 5 || fail "wrong key: srtcp_learn_auth +$(($(stat_of srtcp_learn_auth) - auth0)), want 3"
rtcp_send "$KOUT" 777 1
wait_for '(($(drop srtp_replay) - replay0 == 1))' 5 || fail "replayed SRTCP: srtp_replay +$(($(drop srtp_replay) - replay0)), want 1"
((($(stat_of srtcp_learned) - learned0) == 0)) || fail "a wrong key or a replay taught an SSRC"
rtcp_send "$KOUT" 1000 8
wait_for '(($(stat_of srtcp_learned) - learned0 == 3 && $(stat_of srtcp_learn_full) - full0 >= 1))' 5 ||
	fail "SSRC flood: srtcp_learned +$(($(stat_of srtcp_learned) - learned0)) (want 3), srtcp_learn_full +$(($(stat_of srtcp_learn_full) - full0))"
log "bad receivers' SRTCP: wrong key learned nothing (srtcp_learn_auth 3), replay srtp_replay, an SSRC flood stopped at 4 sessions (srtcp_learn_full +$(($(stat_of srtcp_learn_full) - full0)))"

# --- 3d. RTX to an SRTP consumer ---------------------------------------------------------------------
# A consumer whose receiver negotiated RTX gets its repairs on its RTX stream, protected with an
# outbound session of the RTX SSRC's own: libsrtp unprotects them, the OSN names the lost packet.
caps_plain=$caps
caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000,"rtcpFeedback":[{"type":"nack"}]},{"kind":"video","mimeType":"video/rtx","preferredPayloadType":101,"clockRate":90000,"parameters":{"apt":100}}]}'
srtp_consumer fb "$fbprod" 21002
caps=$caps_plain
rtx_ssrc=$(jq -r '.rtpParameters.encodings[0].rtx.ssrc // 0' "$TEST_TMP/body")
((rtx_ssrc != 0)) || fail "the consumer got no RTX SSRC: $(cat "$TEST_TMP/body")"
fb_run fbrtx 21002 778 4100
((fok == 20 && fbad == 0 && fagain == 1 && frtx == 1)) ||
	fail "RTX to an SRTP consumer: got $fok good, $fbad bad, $fagain again, $frtx as RTX (want 20, 0, 1, 1)"
log "RTX to an SRTP consumer: the lost packet came again as RTX (SSRC $rtx_ssrc), libsrtp unprotected it, OSN right"

# --- 4. keys stay private and survive a control-plane restart -------------------------------------
[[ $(stat -c %a "$state") == 600 ]] || fail "state file mode $(stat -c %a "$state"), want 600"
call GET /v1/stats >/dev/null; cp "$TEST_TMP/body" "$TEST_TMP/stats.json"
curl -s "${auth[@]}" "$api/metrics" >"$TEST_TMP/metrics.txt"
for k in "${keys[@]}"; do
	for f in "$TEST_TMP/stats.json" "$TEST_TMP/metrics.txt" "$TEST_TMP/cp.log" "$TEST_TMP/dp.log"; do
		! grep -qF -- "$k" "$f" || fail "a key appears in ${f##*/}"
	done
done
grep -qF -- "$kout" "$state" || fail "the state file does not keep the keys"
kill -KILL "$cp_pid"
wait "$cp_pid" 2>/dev/null || true
start_cp
ok GET /v1/rooms/tamper
jq -e --arg t "$tout" '.transports[] | select(.id == $t) | .srtpCryptoSuite' "$TEST_TMP/body" >/dev/null ||
	fail "the SRTP transport did not survive the restart: $(cat "$TEST_TMP/body")"
recv_start restart
peer_send "$khelp" 2000 20 good
wait "$recv_pid" || true
read -r _ rok _ rbad _ < <(tail -1 "$TEST_TMP/restart.out") || true
((rok == 20 && rbad == 0)) || fail "after the restart: $rok good and $rbad bad packets, want 20 and 0"
for k in "${keys[@]}"; do
	! grep -qF -- "$k" "$TEST_TMP/cp.log" || fail "a key appears in cp.log after the restart"
done
pass "SRTP/SRTCP: API, ffmpeg in all three mixes, tampering and replays counted, keys private and kept"
