#!/usr/bin/env bash
# A dead node's clean-up is atomic and guarded by "its record is still absent". A node
# (ghost) is registered with 20,000 producers and no record: the node under test finds
# it dead and cleans it up; ghost registers again the moment the clean-up starts (seen
# on Redis' MONITOR). Nothing of the re-registered ghost may be erased: it stays in
# P:nodes with its record and its rooms. Then a node that stays dead: all its entries
# go, its producers leave their rooms and producer.close / node.down are announced.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq /usr/bin/python3
redis_start

cp_config "$TEST_TMP/cp.json" "{\"redis\": {\"url\": \"$REDIS_URL\", \"prefix\": \"cascade\"},
	\"cluster\": {\"secret\": \"cluster-secret-0123456789\", \"pipe_port\": 7000, \"node_ttl_ms\": 3000}}"
null_node
cp_start "$TEST_TMP/cp.json"
wait_for "grep -q 'cluster: node node-$CASCADE_TEST_ID registered' $TEST_TMP/cp.log" 15 ||
	fail "cascade-cp did not register"
# a dead node NAME with N producers over 100 rooms, made in one step (no record: dead)
dead_node() {
	rcli EVAL "for i = 1, tonumber(ARGV[2]) do
		local room = 'r' .. (i % 100)
		redis.call('SADD', 'cascade:node:{' .. ARGV[1] .. '}:producers', room .. '/p' .. ARGV[1] .. i)
		redis.call('HSET', 'cascade:{' .. room .. '}:producers', 'p' .. ARGV[1] .. i,
			'{\"id\":\"p' .. ARGV[1] .. i .. '\",\"node\":\"' .. ARGV[1] .. '\"}')
		redis.call('SADD', 'cascade:node:{' .. ARGV[1] .. '}:rooms', room)
		redis.call('SADD', 'cascade:{' .. room .. '}:nodes', ARGV[1])
	end
	redis.call('SADD', 'cascade:nodes', ARGV[1])" 0 "$1" "$2" >/dev/null
}
# --- ghost comes back while it is being cleaned up -------------------------------------------------
mkdir -p "$TEST_TMP/race"
REDISCLI_AUTH=$REDIS_PASSWORD bg /usr/bin/python3 "$SRC_DIR/tests/integration/redisrace.py" "$REDIS_PORT" cascade ghost "$TEST_TMP/race"
wait_for "[[ -f $TEST_TMP/race/ready ]]" 5 || fail "redisrace.py did not start"
dead_node ghost 20000
# the clean-up is over when ghost leaves P:nodes, or the node says it left ghost alone
wait_for "[[ -f $TEST_TMP/race/srem ]] || grep -q 'node ghost registered again during its clean-up' $TEST_TMP/cp.log" 30 ||
	fail "the clean-up of ghost never finished"
[[ -f $TEST_TMP/race/reregistered ]] || fail "ghost's clean-up never started"
[[ $(rcli SISMEMBER cascade:nodes ghost) == 1 ]] ||
	fail "ghost registered again during its clean-up and was erased from cascade:nodes"
[[ $(rcli HGET 'cascade:node:{ghost}' id) == ghost ]] || fail "ghost's record is gone"
[[ $(rcli SISMEMBER 'cascade:node:{ghost}:rooms' back) == 1 ]] ||
	fail "ghost's rooms index written at its re-registration is gone"
log "a node that registered again during its clean-up keeps its record, its place in P:nodes and its rooms"

# --- a node that stays dead: cleaned up whole ------------------------------------------------------
dead_node dead 300
wait_for "[[ \$(rcli SISMEMBER cascade:nodes dead) == 0 ]]" 10 || fail "the dead node is still in cascade:nodes"
[[ $(rcli EXISTS 'cascade:node:{dead}:producers' 'cascade:node:{dead}:rooms') == 0 ]] ||
	fail "the dead node's index is still there"
[[ $(rcli HEXISTS 'cascade:{r7}:producers' pdead7) == 0 && $(rcli SISMEMBER 'cascade:{r7}:nodes' dead) == 0 ]] ||
	fail "the dead node is still in its rooms"
grep -q 'cluster: node dead cleaned up (300 producers removed)' "$TEST_TMP/cp.log" ||
	fail "no clean-up line: $(grep 'cluster:' "$TEST_TMP/cp.log" | tail -3)"
log "a node that stays dead: its 300 producers left their rooms, its keys went"

stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
pass "dead-node clean-up: one guarded script; a node that came back is never erased"
