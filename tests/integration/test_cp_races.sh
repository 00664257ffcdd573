#!/usr/bin/env bash
# Changes that cross in flight, against a real dataplane. With the dataplane held
# (SIGSTOP), the first request's command waits in the ring while the second starts on
# an object the first will remove with it; then the dataplane answers both, in its own
# order (a delete's success waits for its grace period, a command that finds nothing is
# answered at once; tests/unit/test_install.c plays every order). The control plane must
# survive (a sanitized build reports nothing), answer each request for what happened (the
# object went: a delete of it succeeded, a pause or a new consumer of it is 404) and keep
# neither half-made objects nor in-flight counts: afterwards everything left can be
# deleted, and the dataplane holds exactly what the API shows.
#   1. DELETE a producer, then DELETE its consumer
#   2. DELETE the producer's transport, then PAUSE its consumer on another transport
#   3. DELETE the producer's transport, then POST a new consumer of it on another transport
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq ss

cp_config "$TEST_TMP/cp.json"
null_node
cp_start "$TEST_TMP/cp.json"
in_dp() { "$CASCADE_DPCTL" -s "$seg_name" dump | grep -cE '^(transport|producer|consumer) ' || true; }

vp8='{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}'
caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000}]}'
ssrc=4096
# scene: a room with transports $ta (producer $p) and $tb (consumer $c of $p)
scene() {
	ok POST /v1/rooms/race/transports '{"comedia":true}'
	ta=$(jq -r .id "$TEST_TMP/body")
	ok POST /v1/rooms/race/transports '{"comedia":true}'
	tb=$(jq -r .id "$TEST_TMP/body")
	ssrc=$((ssrc + 1))
	ok POST "/v1/transports/$ta/producers" \
		"{\"kind\":\"video\",\"rtpParameters\":{\"codecs\":[$vp8],\"encodings\":[{\"ssrc\":$ssrc}]}}"
	p=$(jq -r .id "$TEST_TMP/body")
	ok POST "/v1/transports/$tb/consumers" "{\"producerId\":\"$p\",\"rtpCapabilities\":$caps}"
	c=$(jq -r .id "$TEST_TMP/body")
}

# read_by_cp: every byte sent to the API has been read by cascade-cp (which handles a
# request as soon as it has read it all)
read_by_cp() {
	[[ -z $(ss -Htn state established "( sport = :$port )" | awk '$1 != 0') ]]
}
# inflight N METHOD PATH [BODY]: the request in the background (its status in
# $TEST_TMP/st.N), returning once cascade-cp has read it; with the dataplane stopped,
# its command then waits in the ring
inflight() {
	local n=$1 args=(-s -o "$TEST_TMP/body.$1" -w '%{http_code}' "${auth[@]}" -X "$2" "$api$3"
		--trace-ascii "$TEST_TMP/trace.$1")
	[[ $# -lt 4 ]] || args+=(-d "$4")
	rm -f "$TEST_TMP/trace.$n" "$TEST_TMP/st.$n"
	bg sh -c 'curl "$@" >"$0"' "$TEST_TMP/st.$n" "${args[@]}"
	wait_for "grep -q '^=> Send header' $TEST_TMP/trace.$n && read_by_cp" 5 ||
		fail "cascade-cp did not read $2 $3"
}
answered() { [[ -s $TEST_TMP/st.$1 ]]; }
status() { cat "$TEST_TMP/st.$1"; }
# cross M1 PATH1 M2 PATH2 [BODY2]: first and second request in flight together, then the dataplane answers
cross() {
	kill -STOP "$dp_pid"
	inflight 1 "$1" "$2"
	inflight 2 "${@:3}"
	kill -CONT "$dp_pid"
	wait_for "answered 1 && answered 2" 10 || fail "no answers: $(status 1) $(status 2)"
	kill -0 "$cp_pid" 2>/dev/null || fail "cascade-cp died: $(grep -A 12 -m 1 ERROR "$TEST_TMP/cp.log")"
}
sanitizers_quiet() {
	! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TEST_TMP/cp.log" ||
		fail "sanitizer report: $(grep -A 20 -m 1 -E 'ERROR|runtime error' "$TEST_TMP/cp.log")"
}
# consistent: what the API shows is what the dataplane has, and all of it can go
consistent() {
	local n
	ok GET /v1/rooms/race
	n=$(jq '(.transports | length) + (.producers | length) + (.consumers | length)' "$TEST_TMP/body")
	[[ $(in_dp) == "$n" ]] || fail "$1: the dataplane holds $(in_dp) objects, the API shows $n: $(cat "$TEST_TMP/body")"
	for t in $(jq -r '.transports[].id' "$TEST_TMP/body"); do
		ok DELETE "/v1/transports/$t"
	done
	[[ $(in_dp) == 0 ]] || fail "$1: left in the dataplane: $("$CASCADE_DPCTL" -s "$seg_name" dump)"
}

# --- 1. producer, then its consumer -----------------------------------------------------------
scene
cross DELETE "/v1/producers/$p" DELETE "/v1/consumers/$c"
sanitizers_quiet
[[ $(status 1) == 200 ]] || fail "producer delete: $(status 1) $(cat "$TEST_TMP/body.1")"
[[ $(status 2) == 200 ]] || fail "consumer delete while its producer went: $(status 2) $(cat "$TEST_TMP/body.2")"
[[ $(call GET "/v1/consumers/$c") == 404 ]] || [[ $(call DELETE "/v1/consumers/$c") == 404 ]] ||
	fail "the consumer is still there"
consistent "producer and consumer deleted together"
log "a consumer deleted while its producer's delete was in flight: both 200, nothing left"

# --- 2. the producer's transport, then a pause of its consumer elsewhere -----------------------
scene
cross DELETE "/v1/transports/$ta" POST "/v1/consumers/$c/pause"
sanitizers_quiet
[[ $(status 1) == 200 ]] || fail "transport delete: $(status 1) $(cat "$TEST_TMP/body.1")"
[[ $(status 2) == 404 ]] || fail "pause of a consumer closed meanwhile: $(status 2) $(cat "$TEST_TMP/body.2")"
consistent "transport deleted under a consumer's pause"
log "a consumer paused while its producer's transport went: 404, nothing left"

# --- 3. the producer's transport, then a new consumer of it elsewhere --------------------------
scene
cross DELETE "/v1/transports/$ta" POST "/v1/transports/$tb/consumers" \
	"{\"producerId\":\"$p\",\"rtpCapabilities\":$caps}"
sanitizers_quiet
[[ $(status 1) == 200 ]] || fail "transport delete: $(status 1) $(cat "$TEST_TMP/body.1")"
[[ $(status 2) == 404 ]] || fail "a consumer of a producer closed meanwhile: $(status 2) $(cat "$TEST_TMP/body.2")"
consistent "transport deleted under a new consumer"
log "a consumer made while its producer's transport went: 404, nothing left"

stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
sanitizers_quiet
pass "cp_races: deletes crossing deletes, pauses and creates leave nothing behind"
