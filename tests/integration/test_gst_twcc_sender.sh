#!/usr/bin/env bash
# Transport-cc feedback read by an independent sender: GStreamer 1.22 (gsttwcc.py) sends VP8
# with the transport-wide sequence number extension (rtphdrexttwcc) into a producer made
# through the API with rtcpFeedback "transport-cc" and that extension in headerExtensions,
# on a connected transport without rtcp-mux on node 1 of a lab. rtpbin's session parses
# the feedback Cascade sends (RTPFB FMT 15, every 100 ms) into its twcc-stats; the test
# checks from the sender's own view that it received and understood it: its stats were
# updated again and again, each feedback's window counts packets sent and received (no
# more received than sent), a received bitrate, and no loss (there is none on the lab's links). A capture at
# the sender is dissected by tshark: transport-cc feedback is there, without malformed
# packets or warnings. The feedback's bytes per second are measured and logged.
# REMB: the same sender without the extension, into a producer with goog-remb only;
# GStreamer does not parse REMB, so tshark reads it in a capture at the sender: REMB
# about its SSRC, at the dataplane's default --remb-max-kbps (10000) since nothing is
# lost, with the RR, and no transport-cc feedback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gstlib.sh"

need_lab 64 tshark
/usr/bin/python3 -c 'import gi; gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
for e in ("rtpbin", "rtphdrexttwcc", "vp8enc", "rtpvp8pay", "videotestsrc"):
    assert Gst.ElementFactory.find(e), e' 2>/dev/null ||
	fail "GStreamer with python3-gi and the good plugins is missing: run 'tools/run setup'"
GST=$SRC_DIR/tests/integration/gsttwcc.py

lab_use
lab_up 1

SECONDS_SENT=8
SSRC=22220000
EXT_ID=3
SPORT=23000
TWCC_URI=http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
n1ip=$(nq 1 media_ip)
stat() { lab_dpctl 1 stats | awk -v k="$1" '$1 == k { print $2 }'; }
# exited PID: the process has ended (a zombie until stop reaps it)
exited() { ! kill -0 "$1" 2>/dev/null || [[ $(ps -o stat= -p "$1") == Z* ]]; }

room=r-twcc-sender
gst_transport 1 "$c1ip" "$SPORT"
ok 1 POST "/v1/transports/$t/producers" "{\"kind\":\"video\",\"rtpParameters\":{
	\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,
	\"rtcpFeedback\":[{\"type\":\"transport-cc\"},{\"type\":\"nack\",\"parameter\":\"pli\"}]}],
	\"headerExtensions\":[{\"uri\":\"$TWCC_URI\",\"id\":$EXT_ID}],
	\"encodings\":[{\"ssrc\":$SSRC}]}}"
fb0=$(stat twcc_feedback_out)
rep0=$(stat twcc_packets_reported)

# what reaches the sender's RTCP port, captured in its namespace
bg ip netns exec "$c1" tshark -i any -f "udp dst port $((SPORT + 1))" -w "$TEST_TMP/fb.pcap" -q
cpid=$BG_PID
wait_for "[[ -s $TEST_TMP/fb.pcap ]]" 10 || fail "tshark did not start"
bg ip netns exec "$c1" "$PY" "$GST" send "$c1ip" "$SPORT" "$n1ip" "$tport" "$trtcp" "$SSRC" \
	"$EXT_ID" "$SECONDS_SENT" >"$TEST_TMP/send.log" 2>&1
spid=$BG_PID
# it stops itself after SECONDS_SENT: a SIGTERM while it shuts down would be its exit status
wait_for "exited $spid" $((SECONDS_SENT + 20)) ||
	fail "the sender did not finish: $(tail -3 "$TEST_TMP/send.log")"
stop "$spid"
((STOP_RC == 0)) || fail "the sender exited $STOP_RC: $(tail -3 "$TEST_TMP/send.log")"
stop "$cpid"
fb=$(($(stat twcc_feedback_out) - fb0))
rep=$(($(stat twcc_packets_reported) - rep0))
log "node 1: twcc_feedback_out +$fb twcc_packets_reported +$rep" \
	"twcc_feedback_unsent $(stat twcc_feedback_unsent) twcc_packets_late $(stat twcc_packets_late)"
lab_dpctl 1 stats | grep -vw 0 >"$TEST_TMP/stats.log" || true

# the sender's view
updates=$(awk '/^twcc-updates / { print $2 }' "$TEST_TMP/send.log")
last=$(sed -n 's/^twcc-last: //p' "$TEST_TMP/send.log")
log "sender: $updates twcc-stats updates; last: $last"
field() { tr ' ' '\n' <<<"$last" | awk -F= -v k="$1" '$1 == k { print $2 }'; }
psent=$(field packets-sent)
precv=$(field packets-recv)
brecv=$(field bitrate-recv)
loss=$(field packet-loss-pct)
((fb >= 5 * SECONDS_SENT)) || fail "$fb feedback messages in $SECONDS_SENT s (10 a second due)"
((updates >= 2 * SECONDS_SENT)) || fail "the sender's twcc-stats changed $updates times only"
[[ $psent =~ ^[0-9]+$ && $precv =~ ^[0-9]+$ ]] || fail "the sender's stats have no counts: $last"
((precv > 0 && precv <= psent)) || fail "the sender counts $precv received of $psent sent"
[[ $brecv =~ ^[0-9]+$ ]] && ((brecv > 0)) || fail "the sender sees no received bitrate: $last"
awk -v l="$loss" 'BEGIN { exit !(l == 0) }' || fail "the sender sees loss where there is none: $last"

# tshark's reading of what reached the sender (a filter it refuses fails the test)
tsh() {
	tshark -r "$TEST_TMP/fb.pcap" -d "udp.port==$((SPORT + 1)),rtcp" "$@" 2>"$TEST_TMP/tshark.err" ||
		fail "tshark $*: $(grep -v 'Running as user' "$TEST_TMP/tshark.err" | head -2)"
}
tsh -Y 'rtcp.rtpfb.fmt == 15' >"$TEST_TMP/fb.txt"
nfb=$(wc -l <"$TEST_TMP/fb.txt")
((nfb > 0)) || fail "tshark finds no transport-cc feedback in the capture"
tsh -Y '_ws.malformed || _ws.expert.severity >= "Warning"' >"$TEST_TMP/bad.txt"
bad=$(wc -l <"$TEST_TMP/bad.txt")
if ((bad != 0)); then
	tsh -V -Y '_ws.malformed || _ws.expert.severity >= "Warning"' >"$TEST_TMP/bad.txt"
	fail "tshark: $bad packets malformed or with warnings: $(grep -m3 -i 'expert\|malformed' "$TEST_TMP/bad.txt")"
fi
tsh -Y 'rtcp.rtpfb.fmt == 15' -T fields -e udp.length -e frame.time_relative >"$TEST_TMP/fb.txt"
# measured: the UDP payload bytes of the compounds carrying feedback, per second of the capture
read -r bytes span < <(awk 'NR == 1 { t0 = $2 } { b += $1 - 8; t = $2 }
	END { printf "%d %.3f\n", b, t - t0 }' "$TEST_TMP/fb.txt")
log "measured: $nfb feedback compounds, $bytes bytes over ${span} s:" \
	"$(awk -v b="$bytes" -v s="$span" 'BEGIN { printf "%.0f", (s > 0) ? b / s : 0 }') bytes/s," \
	"reporting $(awk -v p="$rep" -v s="$SECONDS_SENT" 'BEGIN { printf "%.0f", p / s }') packets/s"

# REMB for a sender that negotiated goog-remb only
SSRC2=22220002
SPORT2=23010
gst_transport 1 "$c1ip" "$SPORT2"
ok 1 POST "/v1/transports/$t/producers" "{\"kind\":\"video\",\"rtpParameters\":{
	\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,
	\"rtcpFeedback\":[{\"type\":\"goog-remb\"},{\"type\":\"nack\",\"parameter\":\"pli\"}]}],
	\"encodings\":[{\"ssrc\":$SSRC2}]}}"
remb0=$(stat remb_out)
bg ip netns exec "$c1" tshark -i any -f "udp dst port $((SPORT2 + 1))" -w "$TEST_TMP/remb.pcap" -q
cpid=$BG_PID
wait_for "[[ -s $TEST_TMP/remb.pcap ]]" 10 || fail "tshark did not start"
bg ip netns exec "$c1" "$PY" "$GST" send "$c1ip" "$SPORT2" "$n1ip" "$tport" "$trtcp" "$SSRC2" \
	0 4 >"$TEST_TMP/send-remb.log" 2>&1
spid=$BG_PID
wait_for "exited $spid" 24 ||
	fail "the REMB sender did not finish: $(tail -3 "$TEST_TMP/send-remb.log")"
stop "$spid"
((STOP_RC == 0)) || fail "the REMB sender exited $STOP_RC: $(tail -3 "$TEST_TMP/send-remb.log")"
stop "$cpid"
remb=$(($(stat remb_out) - remb0))
tshark -r "$TEST_TMP/remb.pcap" -d "udp.port==$((SPORT2 + 1)),rtcp" -Y 'rtcp.psfb.fmt == 15' \
	-T fields -e rtcp.psfb.remb.fci.br_mantissa -e rtcp.psfb.remb.fci.br_exp -e rtcp.psfb.remb.fci.ssrc -e rtcp.pt \
	>"$TEST_TMP/remb.txt" 2>"$TEST_TMP/tshark.err" || fail "tshark: $(tail -2 "$TEST_TMP/tshark.err")"
log "REMB: node 1 remb_out +$remb; tshark: $(sort "$TEST_TMP/remb.txt" | uniq -c | tr '\n' ' ')"
nremb=$(wc -l <"$TEST_TMP/remb.txt")
((nremb >= 2)) || fail "tshark finds $nremb REMB in 4 s (one a second due)"
# every one: 10 Mbit/s (mantissa << exp) about SSRC2, in a compound that begins with the RR (201)
awk -v s="$(printf '0x%08x' "$SSRC2")" '!($1 * 2 ^ $2 == 10000000 && tolower($3) == s && $4 ~ /^201,/) { bad++ }
	END { exit bad > 0 }' "$TEST_TMP/remb.txt" ||
	fail "REMB not at 10000000 bit/s about $SSRC2 with the RR: $(head -3 "$TEST_TMP/remb.txt")"
tshark -r "$TEST_TMP/remb.pcap" -d "udp.port==$((SPORT2 + 1)),rtcp" \
	-Y '_ws.malformed || _ws.expert.severity >= "Warning" || rtcp.rtpfb.fmt == 15' \
	>"$TEST_TMP/bad.txt" 2>"$TEST_TMP/tshark.err" || fail "tshark: $(tail -2 "$TEST_TMP/tshark.err")"
[[ ! -s $TEST_TMP/bad.txt ]] || fail "REMB capture: malformed, warnings or transport-cc: $(head -3 "$TEST_TMP/bad.txt")"

lab_sanitizers_quiet
pass "REMB at the configured maximum ($nremb in 4 s);" \
	"GStreamer's rtpbin read Cascade's transport-cc feedback: $updates stats updates," \
	"its last window $precv of $psent packets received, no loss; tshark dissects $nfb feedback compounds cleanly"
