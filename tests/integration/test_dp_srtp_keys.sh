#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# SRTP state that no sender can grow, and a re-key that loses nothing in flight.
#
# One SRTP transport (AES_CM_128_HMAC_SHA1_80) with one producer, whose packets a plain
# consumer forwards. Inbound sessions are per known SSRC:
#  - SRTP packets of an SSRC no producer has, authentic under the transport's key, are
#    dropped as unknown_ssrc before any crypto (no srtp_* counter moves; the old any-SSRC
#    session took them and added a stream per SSRC); an RTCP report of an unknown SSRC
#    goes up to the main lcore (a receiver's SRTCP is learned there) and, not
#    authentic, teaches nothing (srtcp_learn_auth);
#  - a re-key (transport-srtp with a new remote key, as a second connect does) keeps the
#    previous key accepted for a short overlap: packets still under the old key right
#    after the re-key are forwarded, the new key works at once, and once the overlap is
#    over the old key is refused (srtp_auth);
#  - the node's own RTCP to the SRTP sender (a keyframe request when a consumer is added,
#    receiver reports) is SRTCP that unprotects with the node's key.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
require_cmd python3 ip
SRTP_PEER=$BUILD_DIR/tests/integration/srtp_peer
require_bin "$CASCADE_DP" "$CASCADE_DPCTL" "$SRTP_PEER"
need_hugepages 32

SUITE=AES_CM_128_HMAC_SHA1_80
dpctl() { "$CASCADE_DPCTL" -s "$seg_name" "$@"; }
hexkey() { python3 -c "print(bytes(range($1, $1 + 30)).hex())"; }
b64key() { python3 -c "import base64; print(base64.b64encode(bytes(range($1, $1 + 30))).decode())"; }
stat() { dpctl stats | awk -v k="$1" '$1 == k {print $2}'; }
sent() { dpctl obj consumer 20 | awk '$1 == "tx_packets" {print $2}'; }
send() {
	ip netns exec "$ns" python3 "$SRC_DIR/tests/integration/lcores.py" send \
		--src 198.18.0.2:5000 --dst 198.18.0.1:10000 --dpctl "$CASCADE_DPCTL" \
		--segment "$seg_name" "$@" >/dev/null
}

# the sender's packets, protected by an independent peer: key 1, key 2, another SSRC
"$SRTP_PEER" protect $SUITE "$(b64key 1)" 0x11110000 1000 400 "$TEST_TMP/k1.bin" >/dev/null &&
	"$SRTP_PEER" protect $SUITE "$(b64key 1)" 0x99990000 1 20 "$TEST_TMP/other.bin" >/dev/null &&
	"$SRTP_PEER" protect $SUITE "$(b64key 61)" 0x11110000 1020 20 "$TEST_TMP/k2.bin" >/dev/null ||
	fail "srtp_peer protect"

veth_ns dp 1
ns=$NETNS
pcap_dp
dpctl batch >"$TEST_TMP/setup.log" 2>&1 <<EOF || fail "setup: $(cat "$TEST_TMP/setup.log")"
transport-add 1 198.18.0.1:10000 --mux --remote 198.18.0.2:5000 --mac 02:00:c6:12:10:02 --srtp $SUITE
transport-srtp 1 $SUITE $(hexkey 1) $(hexkey 31)
producer-add 10 1 0x11110000 --clock 90000 --kind video --fb pli
transport-add 2 198.18.0.1:20000 --mux --remote 198.18.2.1:30000 --mac 02:00:c6:12:10:0f
consumer-add 20 10 2 0x22220000
EOF

log "an SSRC no producer has, authentic under the key, and an unknown RTCP report"
send --file "$TEST_TMP/other.bin" || fail "cannot send"
send --rtcp-unknown || fail "cannot send"
# the report may be a receiver's SRTCP under an SSRC of its own: up to the main lcore, which
# learns no SSRC from a packet that does not authenticate
wait_for '[[ $(stat srtcp_learn_auth) == 1 ]]' 10 ||
	fail "the unknown RTCP report was not refused by the main lcore: $(dpctl stats | grep -v ' 0$' | tr '\n' ' ')"
[[ $(stat drop_unknown_ssrc) == 20 && $(stat srtcp_learn_up) == 1 && $(stat srtcp_learned) == 0 &&
	$(stat drop_srtp_auth) == 0 && $(stat drop_srtp_error) == 0 ]] ||
	fail "want 20 unknown_ssrc drops, one report refused and no SRTP work on a worker: $(dpctl stats | grep -v ' 0$' | tr '\n' ' ')"

log "the producer under key 1"
send --file "$TEST_TMP/k1.bin" --first 0 --count 10 || fail "cannot send"
wait_for "[[ \$(sent) == 10 ]]" 10 || fail "consumer sent $(sent) of 10"

log "re-key to key 2; packets under key 1 still in flight, then key 2"
dpctl transport-srtp 1 $SUITE "$(hexkey 61)" "$(hexkey 31)" >/dev/null || fail "re-key"
send --file "$TEST_TMP/k1.bin" --first 10 --count 10 || fail "cannot send"
send --file "$TEST_TMP/k2.bin" || fail "cannot send"
wait_for "[[ \$(sent) == 40 ]]" 10 ||
	fail "consumer sent $(sent) of 40: $(dpctl stats | grep -v ' 0$' | tr '\n' ' ')"
[[ $(stat drop_srtp_auth) == 0 && $(stat drop_srtp_replay) == 0 ]] ||
	fail "packets in flight were refused: $(dpctl stats | grep -v ' 0$' | tr '\n' ' ')"

log "after the overlap, key 1 is refused"
start=$(date +%s.%N)
i=40
while (($(stat drop_srtp_auth) == 0)); do
	((i < 400)) || fail "key 1 was still accepted after $((i - 40)) more packets"
	send --file "$TEST_TMP/k1.bin" --first $i --count 1 || fail "cannot send"
	i=$((i + 1))
	# one packet per tenth of a second: the overlap is what is measured here
	sleep 0.1
done
log "key 1 refused $(python3 -c "print(round($(date +%s.%N) - $start, 2))") s after the re-key's packets"
[[ $(stat drop_srtp_auth) == 1 ]] || fail "want one srtp_auth drop"
before=$(sent)
# key 2 goes on after the numbers key 1's packets took during the overlap (1000 + i - 1
# at most): one that came already would be a duplicate, whatever its key
"$SRTP_PEER" protect $SUITE "$(b64key 61)" 0x11110000 $((1000 + i)) 5 "$TEST_TMP/k2b.bin" >/dev/null
send --file "$TEST_TMP/k2b.bin" || fail "cannot send"
wait_for "[[ \$(sent) == $((before + 5)) ]]" 10 ||
	fail "key 2 stopped working: $(dpctl stats | grep -v ' 0$' | tr '\n' ' ')"

log "the node's own RTCP to the SRTP sender: SRTCP under the node's key"
wait_for "[[ \$(stat receiver_reports_out) -ge 1 && \$(stat keyframe_requests_out) -ge 1 ]]" 10 ||
	fail "no receiver report or keyframe request went to the SRTP sender: $(dpctl stats | grep -E 'keyframe|receiver_reports' | tr '\n' ' ')"
stop "$dp_pid"
((STOP_RC == 0)) || fail "cascade-dp exited $STOP_RC on SIGTERM"
! grep -q 'ERROR: AddressSanitizer\|runtime error:' "$TEST_TMP/dp.log" ||
	fail "sanitizer report in dp.log"
python3 - "$SRC_DIR/tests/integration" "$TEST_TMP/out.pcap" "$TEST_TMP/to-sender.bin" <<'EOF2' ||
import struct, sys
sys.path.insert(0, sys.argv[1])
import rtptool
n = 0
with open(sys.argv[3], "wb") as f:
    for fr in rtptool.pcap_read(sys.argv[2]):
        u = 14 + (fr[14] & 15) * 4
        if fr[30:34] == bytes([198, 18, 0, 2]) and struct.unpack("!H", fr[u + 2:u + 4])[0] == 5000:
            p = fr[u + 8:]
            f.write(struct.pack("!H", len(p)) + p)
            n += 1
sys.exit(0 if n >= 2 else f"{n} packets to the sender")
EOF2
	fail "cannot read the node's RTCP to the sender"
got=$("$SRTP_PEER" unprotect $SUITE "$(b64key 31)" "$TEST_TMP/to-sender.bin")
log "towards the sender: $got"
[[ $got =~ ^ok\ 0\ bad\ 0\ rtcp\ ([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 2)) ||
	fail "the node's RTCP to the sender does not unprotect with its key: $got"
pass "unknown SSRCs refused before crypto; a re-key keeps packets in flight"
