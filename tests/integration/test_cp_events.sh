#!/usr/bin/env bash
# Room event streams are bounded and resumable. A subscriber that stops reading is
# disconnected once it leaves more than the limit unread (said in the log), while one
# that reads gets every event; a client that reconnects with Last-Event-ID gets what it
# missed, from a bounded backlog, and is told when the backlog no longer reaches back.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq /usr/bin/python3

null_node
cp_config "$TEST_TMP/cp.json"
cp_start "$TEST_TMP/cp.json"

ok POST /v1/rooms/R/transports '{"comedia":true}'
t=$(jq -r .id "$TEST_TMP/body")
ok POST "/v1/transports/$t/producers" '{"kind":"audio","rtpParameters":{"codecs":[{"mimeType":"audio/opus","payloadType":111,"clockRate":48000,"channels":2}],"encodings":[{"ssrc":1}]}}'
prod=$(jq -r .id "$TEST_TMP/body")
# flip N: N pause/resume pairs of the producer, over few connections (curl reuses one per call)
flip() {
	local i urls=()
	for ((i = 0; i < $1; i++)); do
		urls+=("$api/v1/producers/$prod/pause" "$api/v1/producers/$prod/resume")
	done
	curl -s -o /dev/null "${auth[@]}" -X POST "${urls[@]}"
}
events() { grep -c '^event: ' "$1" 2>/dev/null || true; }

# --- a reader, and a subscriber that reads nothing --------------------------------------------------
bg curl -sN "${auth[@]}" "$api/v1/rooms/R/events" -o "$TEST_TMP/reader.sse"
wait_for "grep -q subscribed $TEST_TMP/reader.sse" 5 || fail "no event stream"
mkdir -p "$TEST_TMP/lag"
bg /usr/bin/python3 "$SRC_DIR/tests/integration/sselag.py" 127.0.0.1 "$port" /v1/rooms/R/events \
	"$token" "$TEST_TMP/lag"
wait_for "[[ -f $TEST_TMP/lag/ready ]]" 5 || fail "the lagging subscriber did not start"
sent=0
for ((round = 0; round < 40; round++)); do
	flip 100
	sent=$((sent + 200))
	grep -q 'events: a subscriber of room R left .* unread' "$TEST_TMP/cp.log" && break
done
grep -q 'events: a subscriber of room R left .* unread' "$TEST_TMP/cp.log" ||
	fail "after $sent events the subscriber that reads nothing is still connected"
touch "$TEST_TMP/lag/drain"
wait_for "[[ -f $TEST_TMP/lag/result ]]" 15 || fail "the lagging subscriber never finished"
jq -e '.closed' "$TEST_TMP/lag/result" >/dev/null || fail "its stream was not ended: $(cat "$TEST_TMP/lag/result")"
wait_for "(( \$(events $TEST_TMP/reader.sse) == $sent ))" 10 ||
	fail "the reader got $(events "$TEST_TMP/reader.sse") of $sent events"
log "a subscriber that reads nothing was cut after $(jq .bytes "$TEST_TMP/lag/result") bytes ($sent events sent); the reader got all $sent"

# --- Last-Event-ID ---------------------------------------------------------------------------------------
ids=($(sed -n 's/^id: //p' "$TEST_TMP/reader.sse" | tail -4))
last=${ids[0]}
curl -sN -m 2 "${auth[@]}" -H "Last-Event-ID: $last" "$api/v1/rooms/R/events" -o "$TEST_TMP/resumed.sse" || true
got=($(sed -n 's/^id: //p' "$TEST_TMP/resumed.sse"))
[[ "${got[*]}" == "${ids[*]:1}" ]] || fail "resumed after $last: got ids ${got[*]}, want ${ids[*]:1}"
! grep -q 'events.lost' "$TEST_TMP/resumed.sse" || fail "events.lost within the backlog"
# an id from before the backlog: told so first, then what the backlog has
curl -sN -m 2 "${auth[@]}" -H "Last-Event-ID: 1" "$api/v1/rooms/R/events" -o "$TEST_TMP/old.sse" || true
[[ $(grep -m1 '^event: ' "$TEST_TMP/old.sse") == "event: events.lost" ]] ||
	fail "no events.lost for an id the backlog lost: $(head -5 "$TEST_TMP/old.sse")"
n=$(events "$TEST_TMP/old.sse")
((n > 100 && n <= 1025)) || fail "replayed $n events from the backlog"
log "Last-Event-ID $last: the 3 events after it replayed; an id from before the backlog: events.lost, then $((n - 1)) events"

kill -0 "$cp_pid" || fail "cascade-cp died"
stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
pass "event streams: a non-reader cut, readers whole, Last-Event-ID resumes from a bounded backlog"
