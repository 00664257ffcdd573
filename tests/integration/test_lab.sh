#!/usr/bin/env bash
# tools/lab, the namespace lab of DESIGN.md section 5, with Cascade's own XDP program: a
# 2-node lab (its own state dir and name prefix, so it never meets another lab or test)
# describes itself in the documented JSON shape and refuses a second `up`; ICMP and TCP
# reach the nodes' kernels through the XDP program (ping, the API with curl from a client
# namespace), UDP outside the media range and pipe port reaches a kernel socket, UDP
# inside it does not (it goes to the dataplane); RTP from client 1 to an API-created
# producer on node 1 reaches client 2 through net_af_xdp with zero loss and the right
# SSRC, payload type, sequence, timestamps and payload at two receivers (connected
# transports, next-hop MACs from the kernel, one copy and one in-place). No process of the
# lab has a secret on its command line. `tools/lab down` then leaves no
# namespace, process, segment, DPDK runtime dir or hugepage file behind.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
CASCADE_CP=$BUILD_DIR/controlplane/cascade-cp
require_bin "$CASCADE_DP" "$CASCADE_CP"
[[ -f $BUILD_DIR/dataplane/bpf/cascade_xdp.o ]] ||
	fail "$BUILD_DIR/dataplane/bpf/cascade_xdp.o is not built: run 'tools/run build'"
require_cmd curl jq ip ethtool redis-server redis-cli ping
# Debian's python3 (the stdlib is all the packet side needs), whatever else is on PATH
PY=/usr/bin/python3
[[ -x $PY ]] || fail "$PY is missing: run 'tools/run setup'"

lab_use

"$LAB" up 2 --json >"$TEST_TMP/lab.json" 2>"$TEST_TMP/lab-up.log" ||
	fail "tools/lab up 2 failed: $(tail -n 30 "$TEST_TMP/lab-up.log")"

# --- the description ----------------------------------------------------------------------
jq -e '(keys == ["clients", "nodes", "redis"]) and (.redis | test("^redis://[0-9.]+:[0-9]+$"))
	and (.nodes | length) == 2 and (.clients | length) >= 2
	and all(.nodes[]; keys == ["api", "id", "media_ip", "netns", "pipe_port", "token"]
		and (.api | test("^http://[0-9.]+:[0-9]+$")) and (.token | length) >= 16
		and (.pipe_port | type) == "number" and (.media_ip | test("^198\\.1[89]\\.")))
	and ([.nodes[].id] | unique | length) == 2 and ([.nodes[].media_ip] | unique | length) == 2
	and all(.clients[]; keys == ["ip", "netns"] and (.ip | test("^198\\.1[89]\\.")))' \
	"$TEST_TMP/lab.json" >/dev/null || fail "tools/lab up --json: $(cat "$TEST_TMP/lab.json")"
"$LAB" status --json >"$TEST_TMP/status.json" 2>/dev/null || fail "tools/lab status failed"
cmp -s <(jq -S . "$TEST_TMP/lab.json") <(jq -S . "$TEST_TMP/status.json") ||
	fail "status --json differs from up --json"
if "$LAB" up 1 >/dev/null 2>"$TEST_TMP/again.log"; then
	fail "a second tools/lab up on the same state dir succeeded"
fi
grep -q "already up" "$TEST_TMP/again.log" || fail "second up: $(cat "$TEST_TMP/again.log")"

L=$TEST_TMP/lab.json
labq() { jq -r ".nodes[$1].$2" "$L"; }
c1=$(jq -r '.clients[0].netns' "$L")
c1ip=$(jq -r '.clients[0].ip' "$L")
c2=$(jq -r '.clients[1].netns' "$L")
c2ip=$(jq -r '.clients[1].ip' "$L")
n1=$(labq 0 netns)
n1ip=$(labq 0 media_ip)

# --- ICMP and TCP go to the kernel --------------------------------------------------------
for i in 0 1; do
	ip netns exec "$c1" ping -c 2 -i 0.2 -W 2 "$(labq "$i" media_ip)" >"$TEST_TMP/ping.log" 2>&1 ||
		fail "ping from $c1 to node $i: $(cat "$TEST_TMP/ping.log")"
	s=$(ip netns exec "$c1" curl -s -o "$TEST_TMP/body" -w '%{http_code}' -m 5 \
		-H "Authorization: Bearer $(labq "$i" token)" "$(labq "$i" api)/v1/node")
	if [[ $s != 200 ]] || ! jq -e '.dataplane.state == "running"' "$TEST_TMP/body" >/dev/null; then
		fail "GET /v1/node of node $i from $c1: $s $(cat "$TEST_TMP/body")"
	fi
	s=$(ip netns exec "$c1" curl -s -o /dev/null -w '%{http_code}' -m 5 "$(labq "$i" api)/v1/node")
	[[ $s == 401 ]] || fail "GET /v1/node of node $i without the token: $s"
done

# The API from client 1, as an application would call it.
api=$(labq 0 api)
auth=(-H "Authorization: Bearer $(labq 0 token)")
call() {
	local args=(-s -m 10 -o "$TEST_TMP/body" -w '%{http_code}' "${auth[@]}" -X "$1" "$api$2")
	[[ $# -lt 3 ]] || args+=(-d "$3")
	ip netns exec "$c1" curl "${args[@]}"
}

# The packet side, with kernel sockets in the client and node namespaces.
UDP=$SRC_DIR/tests/integration/udprtp.py

# --- UDP: outside the ranges to the kernel, inside them to the dataplane ------------------
ok GET /v1/stats
rx0=$(jq '.node.rx_packets' "$TEST_TMP/body")
pipe_port=$(labq 0 pipe_port)
bg ip netns exec "$n1" "$PY" "$UDP" listen 0.0.0.0 7000 \
	"$TEST_TMP/k7000.out" "$TEST_TMP/k7000.ready"
bg ip netns exec "$n1" "$PY" "$UDP" listen 0.0.0.0 45555 \
	"$TEST_TMP/k45555.out" "$TEST_TMP/k45555.ready"
bg ip netns exec "$n1" "$PY" "$UDP" listen 0.0.0.0 "$pipe_port" \
	"$TEST_TMP/kpipe.out" "$TEST_TMP/kpipe.ready"
wait_for "[[ -f $TEST_TMP/k7000.ready && -f $TEST_TMP/k45555.ready && -f $TEST_TMP/kpipe.ready ]]" 10 ||
	fail "UDP listeners in $n1 did not start"
for i in 1 2 3; do
	ip netns exec "$c1" "$PY" "$UDP" one "$n1ip" 7000 "kernel-$i"
	ip netns exec "$c1" "$PY" "$UDP" one "$n1ip" 45555 "media-$i"
	ip netns exec "$c1" "$PY" "$UDP" one "$n1ip" "$pipe_port" "pipe-$i"
done
wait_for "[[ \$(grep -c kernel- $TEST_TMP/k7000.out) == 3 ]]" 5 ||
	fail "UDP to port 7000 (outside the ranges) did not reach the kernel of $n1"
# the dataplane's own receive counter: what the XDP program redirected
dp_rx() { call GET /v1/stats >/dev/null && jq '.node.rx_packets' "$TEST_TMP/body"; }
wait_for "(( \$(dp_rx) >= rx0 + 6 ))" 5 ||
	fail "UDP to port 45555 and the pipe port did not reach the dataplane (rx_packets $(dp_rx), was $rx0)"
[[ ! -s $TEST_TMP/k45555.out && ! -s $TEST_TMP/kpipe.out ]] ||
	fail "UDP inside the media range or to the pipe port reached the kernel of $n1"

# --- media through AF_XDP: client 1 -> producer on node 1 -> consumer -> client 2 ----------
ok POST /v1/rooms/lab/transports '{"comedia":true,"rtcpMux":true}'
jq -e --arg ip "$n1ip" '.tuple.localIp == $ip' "$TEST_TMP/body" >/dev/null ||
	fail "transport not on the node's media address: $(cat "$TEST_TMP/body")"
pin=$(jq -r .tuple.localPort "$TEST_TMP/body")
tin=$(jq -r .id "$TEST_TMP/body")
vp8='{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}'
ok POST "/v1/transports/$tin/producers" \
	"{\"kind\":\"video\",\"rtpParameters\":{\"codecs\":[$vp8],\"encodings\":[{\"ssrc\":4096}],\"rtcp\":{\"cname\":\"lab\"}}}"
prod=$(jq -r .id "$TEST_TMP/body")
# two receivers (so one gets a copy and one the ingress packet rewritten in place), each
# behind a transport connected to it: cascade-cp gives the dataplane the next hop's MAC
# from the node's neighbour table, so nothing needs to come from the receivers first
caps='{"codecs":[{"kind":"video","mimeType":"video/VP8","preferredPayloadType":100,"clockRate":90000}]}'
declare -A cssrc
for rc in "$c2ip:6000" "$c1ip:6002"; do
	ok POST /v1/rooms/lab/transports '{"rtcpMux":true}'
	tout=$(jq -r .id "$TEST_TMP/body")
	ok POST "/v1/transports/$tout/connect" "{\"ip\":\"${rc%:*}\",\"port\":${rc#*:}}"
	ok POST "/v1/transports/$tout/consumers" "{\"producerId\":\"$prod\",\"rtpCapabilities\":$caps}"
	cssrc[$rc]=$(jq -r '.rtpParameters.encodings[0].ssrc' "$TEST_TMP/body")
	cpt=$(jq -r '.rtpParameters.codecs[0].payloadType' "$TEST_TMP/body")
	[[ $cpt == 100 ]] || fail "consumer payload type $cpt, wanted 100"
done

count=300
rate=400
bg ip netns exec "$c2" "$PY" "$UDP" recv "$c2ip" 6000 \
	"$count" "$TEST_TMP/recv2.json" "$TEST_TMP/recv2.ready"
recv2_pid=$BG_PID
bg ip netns exec "$c1" "$PY" "$UDP" recv "$c1ip" 6002 \
	"$count" "$TEST_TMP/recv1.json" "$TEST_TMP/recv1.ready"
recv1_pid=$BG_PID
wait_for "[[ -f $TEST_TMP/recv1.ready && -f $TEST_TMP/recv2.ready ]]" 10 || fail "receivers did not start"
ip netns exec "$c1" "$PY" "$UDP" send "$c1ip" 5000 "$n1ip" "$pin" \
	"$count" "$rate" || fail "RTP sender in $c1 failed"
wait "$recv2_pid" || fail "RTP receiver in $c2 failed"
wait "$recv1_pid" || fail "RTP receiver in $c1 failed"
for r in "2 $c2ip:6000" "1 $c1ip:6002"; do
	set -- $r
	jq -e --argjson n "$count" --argjson ssrc "${cssrc[$2]}" '.packets == $n and .missing == 0 and
		.bad == 0 and .seq_errors == 0 and .ts_errors == 0 and .ssrcs == [$ssrc] and .pts == [100]' \
		"$TEST_TMP/recv$1.json" >/dev/null ||
		fail "receiver $2 did not get its consumer's stream whole: $(cat "$TEST_TMP/recv$1.json")"
done
ok GET /v1/stats
jq -e --argjson n "$count" '.producers[0].rxPackets == $n and (.consumers | length) == 2 and
	all(.consumers[]; .txPackets == $n)' \
	"$TEST_TMP/body" >/dev/null || fail "/v1/stats after media: $(head -c 800 "$TEST_TMP/body")"
log "media: $count RTP packets client 1 -> node 1 (AF_XDP) -> 2 consumers, none lost or altered"

# --- down leaves nothing ----------------------------------------------------------------
mapfile -t lab_ns < <(ip netns list | awk -v p="$CASCADE_LAB_PREFIX-" 'index($1, p) == 1 {print $1}')
((${#lab_ns[@]} >= 5)) || fail "expected at least 5 lab namespaces, found: ${lab_ns[*]}"
lab_pids=()
for ns in "${lab_ns[@]}"; do
	mapfile -t -O "${#lab_pids[@]}" lab_pids < <(ip netns pids "$ns")
done
((${#lab_pids[@]} >= 5)) || fail "expected redis + 2 x (cascade-dp, cascade-cp), found ${#lab_pids[@]} pids"
# no secret on any lab process's command line (every user can read /proc/PID/cmdline)
secrets=("$(cat "$CASCADE_LAB_DIR/redis-password")" "$(cat "$CASCADE_LAB_DIR/cluster-secret")")
mapfile -t -O 2 secrets < <(jq -r '.nodes[].token' "$L")
for p in "${lab_pids[@]}"; do
	[[ -r /proc/$p/cmdline ]] || continue
	for k in "${secrets[@]}"; do
		[[ ${#k} -ge 16 ]] || fail "a lab secret is shorter than 16 characters"
		! tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$k" ||
			fail "a secret is on the command line of pid $p ($(ps -o comm= -p "$p"))"
	done
done
log "no token, cluster secret or Redis password on the command line of the lab's ${#lab_pids[@]} processes"
"$LAB" down 2>"$TEST_TMP/down.log" || fail "tools/lab down: $(cat "$TEST_TMP/down.log")"
left=$(ip netns list | awk -v p="$CASCADE_LAB_PREFIX-" 'index($1, p) == 1')
[[ -z $left ]] || fail "namespaces left after down: $left"
for p in "${lab_pids[@]}"; do
	# a zombie waiting for its reaper has exited
	[[ $(ps -o stat= -p "$p" 2>/dev/null || true) == Z* || ! -e /proc/$p ]] ||
		fail "pid $p ($(ps -o comm= -p "$p")) still runs after down"
done
shopt -s nullglob
left=(/dev/shm/cascade."$CASCADE_LAB_PREFIX"-* /dev/hugepages/cascade-"$CASCADE_LAB_PREFIX"-*
	/var/run/dpdk/cascade-"$CASCADE_LAB_PREFIX"-*)
shopt -u nullglob
((${#left[@]} == 0)) || fail "left after down: ${left[*]}"
[[ ! -e $CASCADE_LAB_DIR ]] || fail "state dir $CASCADE_LAB_DIR left after down"
pass "2-node lab: JSON, ping, API, kernel/dataplane UDP split, RTP over AF_XDP without loss, clean down"
