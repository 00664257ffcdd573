#!/usr/bin/env bash
# The cluster on a 3-node lab (tools/lab: net_af_xdp, Cascade's XDP program, one Redis):
# a producer on node 1 with consumers on nodes 2 and 3 reaches both receivers whole
# through the pipes; 50 concurrent consume calls for one remote producer make one pipe
# stream; 100 rooms spread over the nodes use exactly one pipe transport (one port) per
# node; a Redis restart and a cascade-cp restart mid-stream lose no packet; a producer
# close on node 1 closes the consumers on nodes 2 and 3, with SSE events (the time it
# took is logged, not judged); a node killed with SIGKILL is noticed by the others within
# the heartbeat TTL + 1 s (node.down, producer.close, its pipes gone).
. "$(dirname "$0")/lib.sh"

need_lab 96 ffmpeg
# the nodes' heartbeat lifetime; sanitized builds on a loaded 2-core host get longer, so
# that a node is never declared dead for being slow
TTL_MS=3000
((CASCADE_SANITIZED == 0)) || TTL_MS=8000
export CASCADE_LAB_NODE_TTL_MS=$TTL_MS
lab_use
lab_up 3 --clients 3

stats() { ok "$1" GET /v1/stats && cat "$TEST_TMP/body"; }

lab_cluster_formed 3

vp8='{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}'
# producer ROOM NODE: a comedia transport and a producer (SSRC 4096) on NODE; sets
# PORT and PROD
producer() {
	ok "$2" POST "/v1/rooms/$1/transports" '{"comedia":true}'
	PORT=$(jq -r .tuple.localPort "$TEST_TMP/body")
	local t
	t=$(jq -r .id "$TEST_TMP/body")
	ok "$2" POST "/v1/transports/$t/producers" \
		"{\"kind\":\"video\",\"rtpParameters\":{\"codecs\":[$vp8],\"encodings\":[{\"ssrc\":4096}],\"rtcp\":{\"cname\":\"c\"}}}"
	PROD=$(jq -r .id "$TEST_TMP/body")
}
# consumer ROOM NODE IP PORT PRODUCER: a transport on NODE connected to IP:PORT and a
# consumer of PRODUCER on it; sets CONS, SSRC and TOUT
consumer() {
	ok "$2" POST "/v1/rooms/$1/transports" '{}'
	TOUT=$(jq -r .id "$TEST_TMP/body")
	ok "$2" POST "/v1/transports/$TOUT/connect" "{\"ip\":\"$3\",\"port\":$4}"
	ok "$2" POST "/v1/transports/$TOUT/consumers" "{\"producerId\":\"$5\"}"
	CONS=$(jq -r .id "$TEST_TMP/body")
	SSRC=$(jq -r '.rtpParameters.encodings[0].ssrc' "$TEST_TMP/body")
}
# forwarded NODE CONSUMER: how many packets CONSUMER on NODE has sent
forwarded() {
	ok "$1" GET /v1/stats >/dev/null && jq -r --arg c "$2" '.consumers[] | select(.id == $c) | .txPackets' "$TEST_TMP/body"
}
# recv NAME NETNS IP PORT COUNT: a receiver in the background (result in NAME.json)
recv() {
	rm -f "$TEST_TMP/$1.json" "$TEST_TMP/$1.ready"
	bg ip netns exec "$2" "$PY" "$UDP" recv "$3" "$4" "$5" "$TEST_TMP/$1.json" "$TEST_TMP/$1.ready"
	RECV_PID=$BG_PID
	wait_for "[[ -f $TEST_TMP/$1.ready ]]" 10 || fail "receiver $1 did not start"
}
# whole NAME COUNT SSRC: the receiver got COUNT packets of SSRC, none missing or altered
whole() {
	jq -e --argjson n "$2" --argjson ssrc "$3" '.packets == $n and .missing == 0 and .bad == 0 and
		.seq_errors == 0 and .ts_errors == 0 and .ssrcs == [$ssrc]' "$TEST_TMP/$1.json" >/dev/null ||
		fail "receiver $1: $(cat "$TEST_TMP/$1.json" 2>/dev/null)"
}
# sse NAME NODE ROOM: the room's events on NODE, collected in the background into NAME.sse
sse() {
	bg ip netns exec "$c1" curl -s -N -H "Authorization: Bearer $(nq "$2" token)" \
		"$(nq "$2" api)/v1/rooms/$3/events" -o "$TEST_TMP/$1.sse"
	wait_for "grep -q subscribed $TEST_TMP/$1.sse 2>/dev/null" 5 || fail "SSE $1 did not start"
}

# --- 1. one producer on node 1, consumers on nodes 2 and 3, across restarts ----------------
producer r1 1
p1=$PROD
pin=$PORT
consumer r1 2 "$c2ip" 6000 "$p1"
ssrc2=$SSRC
cons2=$CONS
consumer r1 3 "$c2ip" 6002 "$p1"
ssrc3=$SSRC
ok 1 GET /v1/stats
jq -e '(.pipes.out | length) == 2 and ([.pipes.out[].node] | sort) == ["node-2", "node-3"]' \
	"$TEST_TMP/body" >/dev/null || fail "node 1 pipes: $(jq -c .pipes "$TEST_TMP/body")"
# 6 s at 400 packets/s (10 s in sanitized builds, whose API calls are slower): Redis and a
# control plane restart meanwhile
count=2400
((CASCADE_SANITIZED == 0)) || count=4000
recv b2 "$c2" "$c2ip" 6000 "$count"
r2=$RECV_PID
recv b3 "$c2" "$c2ip" 6002 "$count"
r3=$RECV_PID
bg ip netns exec "$c1" "$PY" "$UDP" send "$c1ip" 5000 "$(nq 1 media_ip)" "$pin" "$count" 400
sender=$BG_PID
# each restart once more of the stream has gone through node 2
wait_for "(( \$(forwarded 2 $cons2) >= 400 ))" 15 || fail "the stream does not reach node 2's consumer"
at_redis=$(forwarded 2 "$cons2")
"$LAB" restart redis 2>>"$TEST_TMP/restarts.log" || fail "redis restart: $(cat "$TEST_TMP/restarts.log")"
wait_for "(( \$(forwarded 2 $cons2) >= at_redis + 200 ))" 15 || fail "the stream stopped after the Redis restart"
at_cp=$(forwarded 2 "$cons2")
"$LAB" restart cp 2 2>>"$TEST_TMP/restarts.log" || fail "cp restart: $(cat "$TEST_TMP/restarts.log")"
after_cp=$(forwarded 2 "$cons2")
log "node 2's consumer had forwarded $at_redis of $count packets at the Redis restart, $at_cp at" \
	"cascade-cp 2's restart, $after_cp once it was back"
wait "$sender" || fail "sender failed"
wait "$r2" || fail "receiver on client 2 (node 2) failed"
wait "$r3" || fail "receiver on client 2 (node 3) failed"
whole b2 "$count" "$ssrc2"
whole b3 "$count" "$ssrc3"
log "$count packets node 1 -> nodes 2 and 3, none lost across a Redis and a cascade-cp restart"
# the cluster came back whole: every node registered again, node 2's consumer still known
lab_cluster_formed 3
ok 2 GET /v1/stats
jq -e --arg c "$p1" '(.pipes.in | length) == 1 and .pipes.in[0].producerId == $c and
	.pipes.in[0].consumers == 1' "$TEST_TMP/body" >/dev/null ||
	fail "node 2 after its restart: $(jq -c .pipes "$TEST_TMP/body")"

# --- 1b. ffmpeg: VP8 from client 1 into node 1, decoded behind nodes 2 and 3 -----------------
SECS=4
FPS=25
ok 1 POST /v1/rooms/av/transports '{"comedia":true,"rtcpMux":false}'
tv=$(jq -r .id "$TEST_TMP/body")
pv=$(jq -r .tuple.localPort "$TEST_TMP/body")
ok 1 POST "/v1/transports/$tv/producers" \
	'{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":4096}]}}'
vprod=$(jq -r .id "$TEST_TMP/body")
caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000}]}'
fpids=()
for n in 2 3; do
	rport=$((20000 + 10 * n))
	ok "$n" POST /v1/rooms/av/transports '{"rtcpMux":false}'
	t=$(jq -r .id "$TEST_TMP/body")
	ok "$n" POST "/v1/transports/$t/connect" "{\"ip\":\"$c2ip\",\"port\":$rport,\"rtcpPort\":$((rport + 1))}"
	ok "$n" POST "/v1/transports/$t/consumers" "{\"producerId\":\"$vprod\",\"rtpCapabilities\":$caps}"
	consumer_sdp "$TEST_TMP/body" "$(nq "$n" media_ip)" "$c2ip" "$rport" >"$TEST_TMP/v$n.sdp"
	ffmpeg_recv "$c2" "$TEST_TMP/v$n.sdp" "$TEST_TMP/v$n.crc"
	fpids+=("$BG_PID")
done
# receivers listening before the first (key)frame
wait_for "udp_bound $c2 20020 20030" 10 || fail "the ffmpeg receivers did not start"
ip netns exec "$c1" ffmpeg -hide_banner -nostdin -re -f lavfi -i "testsrc=size=320x240:rate=$FPS" \
	-t "$SECS" -c:v libvpx -deadline realtime -cpu-used 8 -b:v 300k -g $((FPS * 2)) -f rtp \
	-payload_type 96 -ssrc 4096 "rtp://$(nq 1 media_ip):$pv?localport=5100" \
	>"$TEST_TMP/vsend.log" 2>&1 || fail "ffmpeg sender: $(tail -3 "$TEST_TMP/vsend.log")"
ffmpeg_wait "${fpids[@]}"
for n in 2 3; do
	got=$(frames "$TEST_TMP/v$n.crc")
	((got == FPS * SECS)) ||
		fail "ffmpeg behind node $n decoded $got of $((FPS * SECS)) frames: $(tail -3 "$TEST_TMP/v$n.crc.log")"
done
log "ffmpeg VP8 from node 1 decoded whole behind nodes 2 and 3 ($((FPS * SECS)) frames each)"

# --- 2. 50 concurrent consume calls for one remote producer: one pipe stream ---------------
producer r2 1
p2=$PROD
ok 3 POST /v1/rooms/r2/transports '{}'
tc=$(jq -r .id "$TEST_TMP/body")
ok 3 POST "/v1/transports/$tc/connect" "{\"ip\":\"$c2ip\",\"port\":7000}"
tok3=$(nq 3 token)
api3=$(nq 3 api)
for i in $(seq 50); do
	ip netns exec "$c1" curl -s -m 20 -o "$TEST_TMP/cc$i" -w '%{http_code}\n' \
		-H "Authorization: Bearer $tok3" -X POST "$api3/v1/transports/$tc/consumers" \
		-d "{\"producerId\":\"$p2\"}" >"$TEST_TMP/cc$i.status" &
done
wait_for "(( \$(cat $TEST_TMP/cc*.status 2>/dev/null | wc -l) == 50 ))" 30 || fail "the 50 calls did not all return"
[[ $(sort -u "$TEST_TMP"/cc*.status) == 200 ]] || fail "consume calls: $(sort "$TEST_TMP"/cc*.status | uniq -c)"
ok 3 GET /v1/stats
jq -e --arg p "$p2" '[.pipes.in[] | select(.producerId == $p)] | length == 1 and .[0].consumers == 50' \
	"$TEST_TMP/body" >/dev/null || fail "node 3 pipes for 50 consumers: $(jq -c .pipes "$TEST_TMP/body")"
ok 1 GET /v1/stats
jq -e --arg p "$p2" '[.pipes.out[] | select(.producerId == $p)] | length == 1' "$TEST_TMP/body" >/dev/null ||
	fail "node 1 sends $p2 more than once: $(jq -c .pipes "$TEST_TMP/body")"
log "50 concurrent consume calls on node 3 for a producer on node 1: one pipe stream"

# --- 3. 100 rooms across 3 nodes: one pipe transport per node -------------------------------
for i in $(seq 100); do
	src=$((i % 3 + 1))
	dst=$(((i + 1) % 3 + 1))
	producer "m$i" "$src"
	consumer "m$i" "$dst" "$c2ip" $((8000 + i)) "$PROD"
done
total=0
for n in 1 2 3; do
	ok "$n" GET /v1/stats
	jq -e --argjson port "$(nq "$n" pipe_port)" '.pipes.transport.port == $port and
		([.transports[] | select(.pipe)] | length) == 1' "$TEST_TMP/body" >/dev/null ||
		fail "node $n: not one pipe transport: $(jq -c '.pipes.transport' "$TEST_TMP/body")"
	total=$((total + $(jq '[.pipes.in[] | select(.room | startswith("m"))] | length' "$TEST_TMP/body")))
done
((total == 100)) || fail "100 rooms made $total incoming pipe streams"
log "100 rooms over 3 nodes: 100 pipe streams, one pipe transport (port) per node"

# --- 4. a producer closed on node 1: its consumers on nodes 2 and 3 go ------------------------
# (what is checked is that the close reaches them; how long it took is measured and logged)
sse e2 2 r1
sse e3 3 r1
t0=$(date +%s%N)
ok 1 DELETE "/v1/producers/$p1"
gone() { ok "$1" GET /v1/stats >/dev/null && ! jq -e --arg p "$p1" 'any(.consumers[]; .producerId == $p)' "$TEST_TMP/body" >/dev/null; }
wait_for "gone 2 && gone 3" 30 || fail "consumers of the closed producer still on nodes 2/3 30 s after the close"
ms=$((($(date +%s%N) - t0) / 1000000))
for e in e2 e3; do
	wait_for "grep -q 'event: producer.close' $TEST_TMP/$e.sse" 10 ||
		fail "no producer.close event in $e: $(cat "$TEST_TMP/$e.sse")"
	grep -A1 'event: producer.close' "$TEST_TMP/$e.sse" | grep -q "\"$p1\"" ||
		fail "producer.close in $e is not about $p1: $(cat "$TEST_TMP/$e.sse")"
done
log "producer close on node 1: consumers on nodes 2 and 3 gone $ms ms after the DELETE (polled every 0.1 s), SSE events sent"

# --- 5. node choice, draining, and a Redis outage -----------------------------------------
[[ $(api 1 GET /v1/cluster/assign) == 400 ]] || fail "assign without a room: $(cat "$TEST_TMP/body")"
ok 1 GET "/v1/cluster/assign?room=r2"
jq -e '.inRoom and (.node == "node-1" or .node == "node-3")' "$TEST_TMP/body" >/dev/null ||
	fail "assign for r2 (on nodes 1 and 3) chose: $(cat "$TEST_TMP/body")"
ok 3 POST /v1/node/drain
assigned() { ok 1 GET "/v1/cluster/assign?room=new$1" >/dev/null && jq -r .node "$TEST_TMP/body"; }
wait_for "ok 1 GET /v1/cluster/nodes && jq -e '.nodes[] | select(.id == \"node-3\") | .draining' $TEST_TMP/body" 5 ||
	fail "node 1 never saw node 3 draining: $(cat "$TEST_TMP/body")"
for i in $(seq 20); do
	[[ $(assigned "$i") != node-3 ]] || fail "a draining node was assigned: $(cat "$TEST_TMP/body")"
done
ok 3 DELETE /v1/node/drain
producer r4 1
p4=$PROD
ok 2 POST /v1/rooms/r4/transports '{}'
t4=$(jq -r .id "$TEST_TMP/body")
"$LAB" stop redis 2>>"$TEST_TMP/restarts.log" || fail "tools/lab stop redis failed"
wait_for "[[ \$(api 2 GET /v1/cluster/nodes) == 503 ]]" 5 || fail "cluster/nodes without Redis: $(cat "$TEST_TMP/body")"
[[ $(api 2 POST "/v1/transports/$t4/consumers" "{\"producerId\":\"$p4\"}") == 503 ]] ||
	fail "a remote consume without Redis: $(cat "$TEST_TMP/body")"
jq -r .error.message "$TEST_TMP/body" | grep -qi redis || fail "503 does not name Redis: $(cat "$TEST_TMP/body")"
ok 2 GET /v1/stats # local calls go on
"$LAB" restart redis 2>>"$TEST_TMP/restarts.log" || fail "tools/lab restart redis failed"
wait_for "[[ \$(api 2 POST /v1/transports/$t4/consumers '{\"producerId\":\"$p4\"}') == 200 ]]" 10 ||
	fail "remote consume after Redis came back: $(cat "$TEST_TMP/body")"
log "assign prefers the room's nodes and skips a draining one; without Redis remote calls get 503"

# --- 6. node 2 dies: nodes 1 and 3 clean up within TTL + 1 s --------------------------------
# node 2 produces in room r3, consumed on node 3; node 1 sends r2... to node 3 and m* to 2
producer r3 2
p3=$PROD
consumer r3 3 "$c2ip" 9000 "$p3"
sse d1 1 r2
sse d3 3 r3
t0=$(date +%s%N)
"$LAB" kill 2 2>>"$TEST_TMP/restarts.log" || fail "tools/lab kill 2 failed"
clean1() { ok 1 GET /v1/stats >/dev/null && ! jq -e 'any(.pipes.out[]; .node == "node-2")' "$TEST_TMP/body" >/dev/null; }
clean3() { ok 3 GET /v1/stats >/dev/null && ! jq -e 'any(.pipes.in[]; .node == "node-2")' "$TEST_TMP/body" >/dev/null &&
	! jq -e --arg p "$p3" 'any(.consumers[]; .producerId == $p)' "$TEST_TMP/body" >/dev/null; }
limit=$(((TTL_MS + 1000) / 1000))
wait_for "clean1 && clean3" "$limit" || fail "nodes 1/3 still hold node 2's pipes after $limit s"
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q 'event: node.down' "$TEST_TMP/d3.sse" || fail "no node.down on node 3: $(cat "$TEST_TMP/d3.sse")"
grep -A1 'event: producer.close' "$TEST_TMP/d3.sse" | grep -q "\"$p3\"" ||
	fail "no producer.close for node 2's producer on node 3: $(cat "$TEST_TMP/d3.sse")"
grep -q 'event: node.down' "$TEST_TMP/d1.sse" || fail "no node.down on node 1: $(cat "$TEST_TMP/d1.sse")"
for n in 1 3; do
	ok "$n" GET /v1/cluster/nodes
	jq -e '[.nodes[].id] | index("node-2") == null' "$TEST_TMP/body" >/dev/null ||
		fail "node $n still lists node 2: $(cat "$TEST_TMP/body")"
done
log "node 2 killed: nodes 1 and 3 cleaned up in $ms ms (TTL $TTL_MS ms)"

pass "3 nodes: pipes whole across restarts, one pipe per producer and node, one pipe port, close and death propagate"
