#!/usr/bin/env bash
# Keyframes on request with independent endpoints, across nodes: the GStreamer sender of
# gst_repair (gstrtx.py: rtpbin in the AVPF profile, VP8 with one keyframe unless asked
# for: vp8enc's keyframe-max-dist is beyond the stream; rtpbin turns a PLI or FIR into a
# force-key-unit event that vp8enc answers) publishes on node 1 of a 2-node lab. Six
# GStreamer receivers (rtpbin, AVPF; rtpvp8depay waits for a keyframe and, for every frame
# it cannot use until then, asks for one: a PLI from rtpsession) listen on client 2, each
# on a connected transport of its own, three on node 1 and three on node 2 (which pipes the
# producer in). Once the sender has encoded 5 s of video they join at once, as a room's
# viewers do: the six consumers are made by parallel API calls. Each receiver must decode
# its first frame (a keyframe made on request: the sender's only natural one is 5 s old),
# and the next 30 frames, each identical to the sender's own decoding of what it encoded
# and in order.
#
# For each receiver the time from the joins' start (the API calls) to its first decoded
# frame is printed, and the time from its consumer's API answer; the issue asks for 1 s.
# The test fails only when the second is over 3 s (GST_JOIN_MAX): the API calls themselves
# take up to a second or more when six run at once on a small host, a build with ASan or
# a loaded host is slower, and what the test checks is that the picture comes at once
# rather than never (without a request it would come never).
#
# Merging: the receivers' PLIs and FIRs (their rtpsession's count), node 1's and node 2's
# keyframe requests in and out (dataplane counters), and the requests the sender's
# rtpsession received are printed. The sender must have received at least one, at most
# one per keyframe_request_interval (500 ms) from the joins to its end and one more (the
# first goes at once), and fewer than the receivers sent (Cascade's own asks for the new
# consumers come on top). Measured: the first frame 0.16 to 0.50 s after the consumer's
# API answer (1.1 to 3.5 s after the joins began: the six API calls are answered one
# after another, over 2.3 to 6.4 s); 19 to 60 receivers' requests became 3 to 11 at the
# sender in the release build, 72 to 319 became 6 to 17 under ASan. No lab
# process may report a sanitizer error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gstlib.sh"

need_lab 96
need_gst

lab_use
lab_up 2
lab_cluster_formed 2

GST_JOIN_MAX=${GST_JOIN_MAX:-3}
FRAMES=900 # 30 s at most: the sender is stopped once the receivers are done
# the payload types the receivers expect: what the consumers' rtpCapabilities prefer
PT=100
RTX_PT=101
room=kf # (gst_producer's and gst_transport's room)
sport=21030
gst_producer 1
bg ip netns exec "$c1" "$PY" "$GST" send "$c1ip" "$sport" "$(nq 1 media_ip)" "${send_to[@]}" \
	"$GST_SSRC" "$GST_RTX_SSRC" "$FRAMES" "$TEST_TMP/ref.md5" >"$TEST_TMP/send.log" 2>&1
spid=$BG_PID

# the receivers, listening before they join: receiver i on client 2's port 22030 + 10 i,
# towards node (i < 3 ? 1 : 2)
rnode=() rport=() rtp=() rpid=()
for i in 0 1 2 3 4 5; do
	rnode[i]=$((i < 3 ? 1 : 2))
	rport[i]=$((22030 + 10 * i))
	gst_transport "${rnode[i]}" "$c2ip" "${rport[i]}"
	rtp[i]=$t
	bg ip netns exec "$c2" "$PY" "$GST" recv "$c2ip" "${rport[i]}" "$(nq "${rnode[i]}" media_ip)" \
		"$trtcp" "$PT" "$RTX_PT" "$TEST_TMP/recv$i.md5" kf >"$TEST_TMP/recv$i.log" 2>&1
	rpid[i]=$BG_PID
done
for i in 0 1 2 3 4 5; do
	wait_for "udp_bound $c2 ${rport[i]} $((rport[i] + 1))" 10 || fail "receiver $i did not start"
done
wait_for "(( \$(wc -l <$TEST_TMP/ref.md5) >= 150 ))" 30 ||
	fail "the sender did not encode 5 s of video: $(tail -3 "$TEST_TMP/send.log")"
kf_in=() kf_out=()
for n in 1 2; do
	kf_in[n]=$(gst_stat "$n" keyframe_requests_in)
	kf_out[n]=$(gst_stat "$n" keyframe_requests_out)
done

# join I: receiver I's consumer, made in the background (API answer in join$I/body, and
# the time of the answer in join$I/answered)
join() {
	local TEST_TMP=$TEST_TMP/join$1
	mkdir -p "$TEST_TMP"
	[[ $(api "${rnode[$1]}" POST "/v1/transports/${rtp[$1]}/consumers" \
		"{\"producerId\":\"$prod\",\"rtpCapabilities\":$GST_CAPS}") == 200 ]] || return 1
	date +%s.%N >"$TEST_TMP/answered"
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
t0=$(date +%s.%N)
jpid=() t1=()
for i in 0 1 2 3 4 5; do
	join "$i" &
	jpid[i]=$!
done
for i in 0 1 2 3 4 5; do
	wait "${jpid[i]}" || fail "consumer $i: $(cat "$TEST_TMP/join$i/body")"
	[[ $(jq -r '.rtpParameters.codecs[0].payloadType' "$TEST_TMP/join$i/body") == "$PT" ]] ||
		fail "consumer $i: not payload type $PT: $(cat "$TEST_TMP/join$i/body")"
	t1[i]=$(cat "$TEST_TMP/join$i/answered")
done
log "6 consumers made in $(elapsed "$t0" "$(date +%s.%N)") s"

first() { awk '/^first-frame / { print $2 }' "$TEST_TMP/recv$1.log"; }
for i in 0 1 2 3 4 5; do
	wait_for "[[ -n \$(first $i) ]]" 15 ||
		fail "receiver $i (node ${rnode[i]}) decoded nothing: $(tail -3 "$TEST_TMP/recv$i.log")"
done
for i in 0 1 2 3 4 5; do
	wait_for "(( \$(wc -l <$TEST_TMP/recv$i.md5) >= 31 ))" 15 ||
		fail "receiver $i decoded $(wc -l <"$TEST_TMP/recv$i.md5") frames, not 31"
done
for i in 0 1 2 3 4 5; do
	stop "${rpid[i]}"
	((STOP_RC == 0)) || fail "receiver $i exited $STOP_RC: $(tail -3 "$TEST_TMP/recv$i.log")"
done
t_end=$(date +%s.%N)
stop "$spid"
((STOP_RC == 0)) || fail "the sender exited $STOP_RC: $(tail -3 "$TEST_TMP/send.log")"

sent_req=0
for i in 0 1 2 3 4 5; do
	dt=$(elapsed "$t0" "$(first "$i")")
	since=$(elapsed "${t1[i]}" "$(first "$i")")
	read -r decoded same _ < <(gst_compare "$TEST_TMP/ref.md5" "$TEST_TMP/recv$i.md5")
	plis=$(gst_count "recv$i" sent-pli-count)
	firs=$(gst_count "recv$i" sent-fir-count)
	sent_req=$((sent_req + plis + firs))
	log "receiver $i on node ${rnode[i]}: first frame ${dt} s after the joins began, $since s after its consumer's API answer; $decoded frames" \
		"decoded, $same identical to sent ones; $plis PLIs and $firs FIRs sent"
	((same == decoded)) || fail "receiver $i: $((decoded - same)) of $decoded frames differ from the sender's"
	awk -v d="$since" -v m="$GST_JOIN_MAX" 'BEGIN { exit !(d <= m) }' ||
		fail "receiver $i on node ${rnode[i]}: its first frame came $since s after its consumer was made (more than $GST_JOIN_MAX s)"
done
got_pli=$(gst_count send recv-pli-count)
got_fir=$(gst_count send recv-fir-count)
keyframes=$(gst_count send keyframes)
for n in 1 2; do
	log "node $n: keyframe requests in +$(($(gst_stat "$n" keyframe_requests_in) - kf_in[n]))," \
		"out +$(($(gst_stat "$n" keyframe_requests_out) - kf_out[n]))"
done
log "the receivers sent $sent_req keyframe requests; the sender received $got_pli PLIs and" \
	"$got_fir FIRs and encoded $keyframes keyframes"
((got_pli + got_fir >= 1)) || fail "the sender received no keyframe request"
intervals=$(awk -v d="$(elapsed "$t0" "$t_end")" 'BEGIN { printf "%d", d / 0.5 + 1 }')
((got_pli + got_fir <= intervals + 1)) ||
	fail "the sender received $((got_pli + got_fir)) requests in $intervals intervals of 500 ms"
((got_pli + got_fir < sent_req)) ||
	fail "not merged: the sender received $((got_pli + got_fir)) requests, the receivers sent $sent_req"
lab_sanitizers_quiet
pass "6 GStreamer receivers joining on two nodes decoded at once; $sent_req requests of theirs" \
	"reached the sender as $((got_pli + got_fir))"
