# shellcheck shell=bash
# lib.sh: sourced by every integration test (`. "$SRC_DIR/tests/integration/lib.sh"`, or
# relative to the script). It gives each test a unique id and names derived from it, a
# temp dir, and one cleanup that runs on EXIT, INT and TERM. The cleanup stops every
# background process the test started with `bg`, then removes what the test owned:
# hugepage files and DPDK runtime dirs under its file-prefix, its /dev/shm segments, its
# memif sockets and temp dir, and its network namespaces. `tools/run clean-stale` mops up
# after a test that was SIGKILLed (for example by meson's timeout).
#
# Exit codes: 0 pass, 1 fail, 77 skip (meson's convention). Skip only when a prerequisite
# truly cannot exist on the host; a missing binary or a broken set-up is a failure.
#
# Names a test should use:
#   CASCADE_TEST_ID   t<pid>: unique among running tests
#   dpdk_prefix       cascade-t<pid>: the DPDK --file-prefix; a test that starts several
#                     DPDK processes uses "$dpdk_prefix-NAME" for each
#   seg_name          t<pid>: cascade-dp --segment (the segment is /dev/shm/cascade.t<pid>);
#                     several segments: "$seg_name-NAME"
#   TEST_TMP          private temp dir (logs, pcaps, memif sockets: see memif_sock)
#   CASCADE_DP, CASCADE_PKTGEN, CASCADE_DPCTL   the binaries under BUILD_DIR
set -euo pipefail

# Where things are. meson passes BUILD_DIR and SRC_DIR; by hand, default to the tree
# this file lives in and its build/.
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
CASCADE_DP=$BUILD_DIR/dataplane/cascade-dp
CASCADE_PKTGEN=$BUILD_DIR/tools/pktgen/cascade-pktgen
CASCADE_DPCTL=$BUILD_DIR/tools/dpctl/cascade-dpctl
export SRC_DIR BUILD_DIR CASCADE_DP CASCADE_PKTGEN CASCADE_DPCTL

# CASCADE_SANITIZED=1 when the binaries are built with AddressSanitizer: they run several
# times slower, so load tests scale their packet rates down (behaviour is what they
# check, never speed).
CASCADE_SANITIZED=0
# (grep reads all of ldd's output: an early exit would kill ldd with SIGPIPE, and
# pipefail would then call a sanitized build unsanitized)
if [[ -x $CASCADE_DP ]] && grep -q libasan < <(ldd "$CASCADE_DP" 2>/dev/null); then
	CASCADE_SANITIZED=1
fi
export CASCADE_SANITIZED
# sanitized binaries take longer to exit (LeakSanitizer scans their memory)
((CASCADE_SANITIZED == 0)) || CASCADE_KILL_TIMEOUT=${CASCADE_KILL_TIMEOUT_SANITIZED:-20}

CASCADE_TEST_NAME=$(basename "$0" .sh)
CASCADE_TEST_ID=t$$
dpdk_prefix=cascade-$CASCADE_TEST_ID
seg_name=$CASCADE_TEST_ID
# Seconds a process gets between SIGTERM and SIGKILL at cleanup.
CASCADE_KILL_TIMEOUT=${CASCADE_KILL_TIMEOUT:-5}

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cascade-$CASCADE_TEST_ID.XXXXXX")

_cascade_pids=()
_cascade_netns=()
_cascade_segs=("$seg_name")
_cascade_cleaned=0

# log MSG...: a timestamped line on stderr (meson keeps it in the test log).
log() {
	printf '[%s %s] %s\n' "$(date +%H:%M:%S.%3N)" "$CASCADE_TEST_NAME" "$*" >&2
}

# fail MSG...: report the failure and exit 1 (cleanup runs from the EXIT trap).
fail() {
	printf 'FAIL: %s: %s\n' "$CASCADE_TEST_NAME" "$*" >&2
	exit 1
}

# pass [MSG...]: report success and exit 0.
pass() {
	printf 'PASS: %s%s\n' "$CASCADE_TEST_NAME" "${*:+: $*}"
	exit 0
}

# skip MSG...: exit 77 with the reason. Only for prerequisites that truly cannot exist.
skip() {
	printf 'SKIP: %s: %s\n' "$CASCADE_TEST_NAME" "$*"
	exit 77
}

# need_root: skip unless root (namespaces, hugepages, AF_XDP need it).
need_root() {
	[[ $(id -u) -eq 0 ]] || skip "needs root (run 'tools/run test' as root)"
}

# need_cmd CMD...: skip if a command cannot exist here. Anything tools/run setup installs
# is not such a command: check those with require_cmd, which fails instead.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "'$c' is not available on this host"
	done
}

# require_cmd CMD...: fail if a command that tools/run setup installs is missing.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || fail "'$c' is missing: run 'tools/run setup'"
	done
}

# require_bin PATH...: fail unless each built binary exists and is executable.
require_bin() {
	local b
	for b in "$@"; do
		[[ -x $b ]] || fail "$b is not built: run 'tools/run build'"
	done
}

# need_hugepages [N]: fail unless at least N (default 64) free 2 MB hugepages exist.
need_hugepages() {
	local want=${1:-64} free
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	((${free:-0} >= want)) ||
		fail "only ${free:-0} free hugepages, need $want: run 'tools/run setup' (and" \
			"'tools/run clean-stale' if a crashed run holds them)"
}

# bg CMD [ARGS...]: start CMD in the background and track it for cleanup; its pid is
# left in BG_PID. Redirections on the call apply to CMD:
#   bg "$CASCADE_DP" -l 0-1 --file-prefix "$dpdk_prefix" ... >"$TEST_TMP/dp.log" 2>&1
#   dp_pid=$BG_PID
# (This shadows bash's job-control builtin `bg`, which scripts do not use.)
BG_PID=
bg() {
	"$@" &
	BG_PID=$!
	_cascade_pids+=("$BG_PID")
}

# stop PID [TIMEOUT]: SIGTERM PID and its descendants, SIGKILL what is left after TIMEOUT
# seconds (default CASCADE_KILL_TIMEOUT), and reap it. Leaves PID's exit status in
# STOP_RC (0 if it was not our child; 137 if it needed SIGKILL) and returns 0, so a test
# can check that a process shuts down cleanly:
#   stop "$dp_pid"; ((STOP_RC == 0)) || fail "cascade-dp exited $STOP_RC on SIGTERM"
STOP_RC=
# shellcheck disable=SC2034 # STOP_RC is read by the tests
stop() {
	local pid=$1 timeout=${2:-$CASCADE_KILL_TIMEOUT}
	STOP_RC=0
	_kill_tree "$timeout" "$pid"
	wait "$pid" 2>/dev/null || STOP_RC=$?
	return 0
}

# _descendants PID: the pids of PID's children, grandchildren, ...
_descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		_descendants "$c"
	done
}

# _kill_tree TIMEOUT PID...: SIGTERM the PIDs and all their descendants, wait up to
# TIMEOUT seconds for all to exit, then SIGKILL the rest.
_kill_tree() {
	local timeout=$1 p all=() alive i
	shift
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null || continue
		all+=("$p")
		while read -r i; do
			all+=("$i")
		done < <(_descendants "$p")
	done
	((${#all[@]} > 0)) || return 0
	kill -TERM "${all[@]}" 2>/dev/null || true
	for ((i = 0; i < timeout * 10; i++)); do
		alive=0
		for p in "${all[@]}"; do
			# A reaped or zombie process counts as gone.
			if kill -0 "$p" 2>/dev/null &&
				[[ $(ps -o stat= -p "$p" 2>/dev/null) != Z* ]]; then
				alive=1
				break
			fi
		done
		((alive)) || return 0
		sleep 0.1
	done
	for p in "${all[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			log "cleanup: pid $p ignored SIGTERM for ${timeout}s: SIGKILL"
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
}

# ns_name NAME: the full name of this test's namespace NAME (cascade-<id>-NAME).
ns_name() {
	echo "cascade-$CASCADE_TEST_ID-$1"
}

# netns_add NAME: create namespace cascade-<id>-NAME with loopback up, track it for
# cleanup, and leave its full name in NETNS.
NETNS=
netns_add() {
	NETNS=$(ns_name "$1")
	ip netns add "$NETNS" || fail "ip netns add $NETNS failed"
	_cascade_netns+=("$NETNS")
	ip -n "$NETNS" link set lo up || fail "cannot bring up lo in $NETNS"
}

# veth_ns NAME PAIRS [MAC_PREFIX]: a namespace ($NETNS) without IPv6, so that nothing but
# the test's frames cross it, holding veth pairs a0|b0 .. aN|bN, all up; aI has the MAC
# MAC_PREFIX:0(I+1), by default 02:00:c6:12:10:0(I+1).
veth_ns() {
	local i
	netns_add "$1"
	ip netns exec "$NETNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || fail "cannot disable IPv6 in $NETNS"
	for ((i = 0; i < $2; i++)); do
		ip -n "$NETNS" link add "a$i" type veth peer name "b$i" || fail "cannot create veth a$i|b$i"
		ip -n "$NETNS" link set "a$i" address "${3:-02:00:c6:12:10}:0$((i + 1))"
		ip -n "$NETNS" link set "a$i" up
		ip -n "$NETNS" link set "b$i" up
	done
}

# pcap_dp [OPTION...]: cascade-dp in $NETNS with small tables, reading a0 and writing what
# it sends to $TEST_TMP/out.pcap; OPTIONs go after the others. Sets dp_pid; returns once
# cascade-dp answers on $seg_name.
pcap_dp() {
	bg ip netns exec "$NETNS" "$CASCADE_DP" -l 0-1 --file-prefix "$dpdk_prefix" --no-pci \
		--vdev "net_pcap0,rx_iface_in=a0,tx_pcap=$TEST_TMP/out.pcap" -- --segment "$seg_name" \
		--max-transports 16 --max-producers 16 --max-consumers 16 --mbufs 2047 \
		--hdr-mbufs 2047 --clone-mbufs 2047 "$@" >"$TEST_TMP/dp.log" 2>&1
	# shellcheck disable=SC2034 # the caller stops it
	dp_pid=$BG_PID
	"$CASCADE_DPCTL" -s "$seg_name" --timeout-ms 15000 wait ||
		fail "cascade-dp did not come up (see dp.log)"
}

# dp_sigint PID: stop cascade-dp with SIGINT (the workers stop, the ports close and
# net_pcap flushes its files) and fail unless it exits 0 within 30 s.
dp_sigint() {
	local pid=$1 rc=0
	kill -INT "$pid"
	wait_for "! kill -0 $pid 2>/dev/null || [[ \$(ps -o stat= -p $pid) == Z* ]]" 30 ||
		fail "cascade-dp still running 30 s after SIGINT"
	wait "$pid" || rc=$?
	((rc == 0)) || fail "cascade-dp exited $rc on SIGINT"
}

# seg_track NAME: also remove /dev/shm/cascade.NAME at cleanup ($seg_name is tracked
# already; use this for other segment names the test passes to cascade-dp --segment).
seg_track() {
	_cascade_segs+=("$1")
}

# free_tcp_port: a loopback TCP port nothing listens on, below the kernel's ephemeral
# range (32768+), where client connections would otherwise take it first.
free_tcp_port() {
	local p tries
	for ((tries = 0; tries < 200; tries++)); do
		p=$((20000 + (RANDOM + $$ + tries * 7919) % 12000))
		if python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $p))" 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# secret_file FILE VALUE: VALUE on one line in FILE, readable by its owner only (how
# cascade-cp takes its secrets: never on the command line, where any user can read them).
secret_file() {
	(umask 077 && printf '%s\n' "$2" >"$1") || fail "cannot write $1"
}

# cp_api_init: for tests of cascade-cp's API: a token, a free port, CASCADE_CP and
# these, all set in the caller's shell:
#   token port api auth(array)   the API's address and the curl arguments for the token
#   token_file                   the token in a file (api.token_file); a cascade-cp started
#                                with flags takes it from the environment instead:
#                                  CASCADE_API_TOKEN=$token bg "$CASCADE_CP" ...
#   call METHOD PATH [BODY]      status on stdout, the body in $TEST_TMP/body
#   ok METHOD PATH [BODY]        call, failing the test unless the status is 200
cp_api_init() {
	CASCADE_CP=$BUILD_DIR/controlplane/cascade-cp
	token=test-token-$RANDOM-0123456789
	token_file=$TEST_TMP/api-token
	secret_file "$token_file" "$token"
	port=$(free_tcp_port) || fail "no free TCP port"
	api=http://127.0.0.1:$port
	auth=(-H "Authorization: Bearer $token")
}
call() {
	local args=(-s -o "$TEST_TMP/body" -w '%{http_code}' "${auth[@]}" -X "$1" "$api$2")
	[[ $# -lt 3 ]] || args+=(-d "$3")
	curl "${args[@]}"
}
ok() {
	local s
	s=$(call "$@")
	[[ $s == 200 ]] || fail "$1 $2: $s $(cat "$TEST_TMP/body")"
}

# null_node [CASCADE-DP OPTIONS...]: cascade-dp on net_null (it receives nothing: for
# tests of the control plane alone); returns once it runs; sets dp_pid.
null_node() {
	bg "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix" --vdev net_null0,no-rx=1 \
		-- --segment "$seg_name" "$@" >>"$TEST_TMP/dp.log" 2>&1
	dp_pid=$BG_PID
	"$CASCADE_DPCTL" -s "$seg_name" --timeout-ms 20000 wait || fail "cascade-dp did not start"
}

# cp_config FILE [JSON]: a cascade-cp configuration for this test (after cp_api_init):
# node-<id>, media 198.18.0.1 ports 40000-40999, the API on loopback with the token from
# token_file, the test's segment, and after redis_start the Redis password's file; JSON,
# when given, is merged over it (jq's *). The file is its owner's only: it may hold a
# secret inline.
cp_config() {
	(umask 077 && jq -n --arg id "node-$CASCADE_TEST_ID" --arg listen "127.0.0.1:$port" \
		--arg tokf "$token_file" --arg seg "$seg_name" --arg rpw "${REDIS_PASSWORD_FILE:-}" \
		--argjson extra "${2:-"{}"}" '({node_id: $id,
		media: {ips: ["198.18.0.1"], port_min: 40000, port_max: 40999},
		api: {listen: $listen, token_file: $tokf}, dataplane: {segment: $seg}}
		+ if $rpw != "" then {redis: {password_file: $rpw}} else {} end)
		* $extra' >"$1") || fail "cannot write $1"
}

# cp_start CONFIG: cascade-cp on CONFIG (its log appended to TEST_TMP/cp.log); returns once
# its API reports the dataplane running; sets cp_pid.
cp_start() {
	bg "$CASCADE_CP" --config "$1" >>"$TEST_TMP/cp.log" 2>&1
	cp_pid=$BG_PID
	wait_for "[[ \$(curl -s ${auth[*]@Q} $api/v1/node 2>/dev/null | jq -r .dataplane.state) == running ]]" 15 ||
		fail "cascade-cp did not start: $(tail -3 "$TEST_TMP/cp.log")"
}

# redis_start: a redis-server of the test's own on loopback (a free port, no persistence,
# protected mode on, a password; its log in TEST_TMP/redis.log). The password is in a
# file only (redis.conf holds it, not the command line); sets REDIS_PID, REDIS_PORT,
# REDIS_URL, REDIS_PASSWORD and REDIS_PASSWORD_FILE (cp_config puts it in redis.password_file) and
# defines
#   rcli ARGS...   redis-cli against it, authenticated (REDISCLI_AUTH, not -a)
redis_start() {
	require_cmd redis-server redis-cli
	REDIS_PORT=$(free_tcp_port) || fail "no free TCP port for redis"
	[[ $REDIS_PORT != "${port:-}" ]] || REDIS_PORT=$(free_tcp_port) || fail "no free TCP port"
	REDIS_URL=redis://127.0.0.1:$REDIS_PORT
	REDIS_PASSWORD=redis-pw-$RANDOM$RANDOM-0123456789
	REDIS_PASSWORD_FILE=$TEST_TMP/redis-password
	secret_file "$REDIS_PASSWORD_FILE" "$REDIS_PASSWORD"
	mkdir -p "$TEST_TMP/redis"
	secret_file "$TEST_TMP/redis.conf" "bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
requirepass $REDIS_PASSWORD
save \"\"
appendonly no
dir $TEST_TMP/redis"
	bg redis-server "$TEST_TMP/redis.conf" >"$TEST_TMP/redis.log" 2>&1
	REDIS_PID=$BG_PID
	rcli() { REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -p "$REDIS_PORT" "$@"; }
	wait_for "[[ \$(rcli ping) == PONG ]]" 10 || fail "redis-server did not answer"
}

# lab_use: this test runs a tools/lab lab of its own (state in TEST_TMP/lab, namespaces
# prefixed cl-<test id>, so it never meets another lab or test): sets LAB,
# CASCADE_LAB_DIR and CASCADE_LAB_PREFIX, and makes the lab go first on exit, whatever
# happened, before the usual cleanup (which keeps the exit status and shows the logs of
# a failed run: the lab's are copied next to them).
lab_use() {
	LAB=$SRC_DIR/tools/lab
	export CASCADE_LAB_DIR=$TEST_TMP/lab CASCADE_LAB_PREFIX=cl-$CASCADE_TEST_ID
	trap _lab_cleanup EXIT
}
# shellcheck disable=SC2317 # run by the EXIT trap
_lab_cleanup() {
	local rc=$? f
	set +e # (exit "$rc") below must hand the status on, not end the shell
	if [[ -d $CASCADE_LAB_DIR ]]; then
		if ((rc != 0 && rc != 77)); then
			for f in "$CASCADE_LAB_DIR"/*.log; do
				[[ -f $f ]] && cp "$f" "$TEST_TMP/lab-${f##*/}"
			done
		fi
		"$LAB" down >>"$TEST_TMP/lab-down.log" 2>&1 || true
	fi
	(exit "$rc")
	cleanup
}

# media_node [CASCADE-DP OPTIONS...]: cascade-dp on net_pcap over one end (cdpa, no
# kernel address) of a veth whose other end (cdpb, 198.18.0.2/24) is in a namespace of
# the test's, where the clients run; the dataplane's addresses are 198.18.0.x. Sets ns,
# mac_a and mac_b, and returns once the dataplane runs (its log: TEST_TMP/dp.log).
media_node() {
	netns_add media
	ns=$NETNS
	ip link add cdpa type veth peer name cdpb netns "$ns" || fail "cannot create the veth pair"
	ip link set cdpa netns "$ns"
	ip -n "$ns" link set cdpa up
	ip -n "$ns" link set cdpb up
	ip -n "$ns" addr add 198.18.0.2/24 dev cdpb
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	mac_a=$(ip -n "$ns" -j link show cdpa | jq -r '.[0].address')
	mac_b=$(ip -n "$ns" -j link show cdpb | jq -r '.[0].address')
	# the dataplane answers no ARP (cascade's XDP program passes ARP to the kernel in the
	# lab; here there is no kernel address on cdpa): a static neighbour instead
	ip -n "$ns" neigh add 198.18.0.1 lladdr "$mac_a" dev cdpb nud permanent
	# veth passes the kernel's partial (offloaded) UDP checksums on unfinished: a real NIC
	# would complete them. Have the kernel compute them, so what reaches the dataplane is
	# what a wire would carry (cascade derives egress checksums from ingress ones).
	ip netns exec "$ns" ethtool -K cdpb tx off >/dev/null
	bg ip netns exec "$ns" "$CASCADE_DP" -l 0-1 --no-pci --file-prefix "$dpdk_prefix" \
		--vdev "net_pcap0,rx_iface_in=cdpa,tx_iface=cdpa" -- --segment "$seg_name" \
		--peer-mac "$mac_b" "$@" >"$TEST_TMP/dp.log" 2>&1
	"$CASCADE_DPCTL" -s "$seg_name" --timeout-ms 20000 wait || fail "cascade-dp did not start"
}

# need_lab HUGEPAGES_MB [CMD...]: what a test on a tools/lab lab needs (root, hugepages,
# cascade-dp, cascade-cp, the XDP program, curl, jq, ip, redis-server, Debian's python3
# and CMD...); sets CASCADE_CP, PY and UDP (udprtp.py).
need_lab() {
	need_root
	need_hugepages "$1"
	shift
	CASCADE_CP=$BUILD_DIR/controlplane/cascade-cp
	require_bin "$CASCADE_DP" "$CASCADE_CP"
	[[ -f $BUILD_DIR/dataplane/bpf/cascade_xdp.o ]] || fail "cascade_xdp.o is not built"
	require_cmd curl jq ip redis-server /usr/bin/python3 "$@"
	PY=/usr/bin/python3
	UDP=$SRC_DIR/tests/integration/udprtp.py
}

# lab_up N [UP OPTIONS...]: `tools/lab up N --json` (after lab_use), described in
# $TEST_TMP/lab.json (L); sets c1, c1ip, c2, c2ip (the first two clients' namespaces and
# addresses) and defines, for the test:
#   nq N FIELD                  node N's (1-based) FIELD of the description
#   api N METHOD PATH [BODY]    call node N's API from client 1; prints the status, the
#                               body is in $TEST_TMP/body
#   ok N METHOD PATH [BODY]     the same, and fail unless 200
lab_up() {
	local n=$1
	shift
	"$LAB" up "$n" "$@" --json >"$TEST_TMP/lab.json" 2>"$TEST_TMP/lab-up.log" ||
		fail "tools/lab up $n $*: $(tail -n 30 "$TEST_TMP/lab-up.log")"
	L=$TEST_TMP/lab.json
	c1=$(jq -r '.clients[0].netns' "$L")
	c1ip=$(jq -r '.clients[0].ip' "$L")
	c2=$(jq -r '.clients[1].netns' "$L")
	c2ip=$(jq -r '.clients[1].ip' "$L")
	nq() { jq -r ".nodes[$(($1 - 1))].$2" "$L"; }
	api() {
		local args
		args=(-gs -m 10 -o "$TEST_TMP/body" -w '%{http_code}'
			-H "Authorization: Bearer $(nq "$1" token)" -X "$2" "$(nq "$1" api)$3")
		[[ $# -lt 4 ]] || args+=(-d "$4")
		ip netns exec "$c1" curl "${args[@]}" || true
	}
	ok() {
		local s
		s=$(api "$@")
		[[ $s == 200 ]] || fail "node $1: $2 $3: $s $(cat "$TEST_TMP/body")"
	}
}

# lab_transport ROOM IP PORT: a connected transport without rtcp-mux on node 1 of the lab
# (lab_up) in ROOM, towards IP:PORT (RTCP from PORT + 1); sets t, tport and trtcp (its id
# and its RTP and RTCP ports)
lab_transport() {
	ok 1 POST "/v1/rooms/$1/transports" '{"comedia":false,"rtcpMux":false}'
	t=$(jq -r .id "$TEST_TMP/body")
	tport=$(jq -r .tuple.localPort "$TEST_TMP/body")
	trtcp=$(jq -r .rtcpTuple.localPort "$TEST_TMP/body")
	ok 1 POST "/v1/transports/$t/connect" "{\"ip\":\"$2\",\"port\":$3,\"rtcpPort\":$(($3 + 1))}"
}

# lab_dpctl N ARGS...: cascade-dpctl on node N's dataplane (its segment is the lab's
# PREFIX-nN; /dev/shm is shared by the namespaces)
lab_dpctl() {
	local n=$1
	shift
	"$CASCADE_DPCTL" -s "$CASCADE_LAB_PREFIX-n$n" "$@"
}

# lab_cluster_formed N: every one of the lab's N nodes lists N live nodes (it waits up to
# 30 s), or the test fails naming the node
lab_cluster_formed() {
	local n=$1 i
	for ((i = 1; i <= n; i++)); do
		wait_for "[[ \$(api $i GET /v1/cluster/nodes) == 200 ]] && (( \$(jq '.nodes | length' $TEST_TMP/body) == $n ))" 30 ||
			fail "node $i does not see $n nodes: $(cat "$TEST_TMP/body")"
	done
}

# memif_sock NAME: a memif socket path in the test's temp dir (removed at cleanup).
memif_sock() {
	echo "$TEST_TMP/$1.sock"
}

# wait_for CMD [TIMEOUT]: poll CMD (a string, run with eval, so functions work) every
# 0.1 s until it succeeds (return 0) or TIMEOUT seconds (default 10, fractions allowed)
# pass (return 1).
#   wait_for "[[ -S $(memif_sock dp) ]]" 10 || fail "dataplane socket never appeared"
wait_for() {
	local cmd=$1 timeout=${2:-10} i n
	n=$(awk -v t="$timeout" 'BEGIN { printf "%d", t * 10 }')
	for ((i = 0; i < n; i++)); do
		if eval "$cmd" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	eval "$cmd" >/dev/null 2>&1
}

# lab_sanitizers_quiet: fail if a lab process (a sanitized build's dataplane or control
# plane) reported a memory error or undefined behaviour in its log so far
lab_sanitizers_quiet() {
	local re='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' f=()
	mapfile -t f < <(grep -lE "$re" "$CASCADE_LAB_DIR"/*.log)
	((${#f[@]} == 0)) || fail "a sanitizer report in ${f[*]}: $(grep -hE -m 3 -A 5 "$re" "${f[@]}")"
}

# udp_bound NETNS PORT...: whether a UDP socket is bound to each PORT in NETNS. A receiver
# started in the background is ready once it is, before its sender starts:
#   wait_for "udp_bound $ns 20000 20004" 10 || fail "the receivers did not start"
udp_bound() {
	local ns=$1 p bound
	shift
	bound=$(ip netns exec "$ns" ss -Hnul | awk '{ n = split($4, a, ":"); print a[n] }')
	for p in "$@"; do
		grep -qx "$p" <<<"$bound" || return 1
	done
}

# ffmpeg_recv NETNS SDP OUT [FORMAT [SILENCE]]: an ffmpeg receiver in NETNS, in the
# background, decoding the stream SDP describes (RTP or SRTP) and writing one line per
# decoded frame to OUT in FORMAT (framecrc, the default, or framemd5); its log is OUT.log
# and its pid is left in BG_PID. One decoding thread: frame threading would hold the last
# frame back. It ends by itself, every frame written, once no packet came for SILENCE
# seconds (default 10; ffmpeg's listen_timeout, which runs before the first packet too:
# start the sender within that time). Wait for that with ffmpeg_wait: a SIGINT would not
# end it sooner (ffmpeg acts on it only when its blocking read returns), and a second one
# aborts the writing of the last frames.
ffmpeg_recv() {
	bg ip netns exec "$1" ffmpeg -hide_banner -nostdin -threads 1 \
		-protocol_whitelist file,udp,rtp,srtp -listen_timeout "${5:-10}" -i "$2" \
		-fps_mode passthrough -flush_packets 1 -f "${4:-framecrc}" "$3" >"$3.log" 2>&1
}

# ffmpeg_wait PID...: wait for ffmpeg receivers (ffmpeg_recv) to end by themselves, after
# their sender ended; fail if one still runs 30 s later.
ffmpeg_wait() {
	local p
	for p in "$@"; do
		wait_for "! kill -0 $p" 30 || fail "an ffmpeg receiver (pid $p) still runs 30 s after its stream"
		wait "$p" 2>/dev/null || true
	done
}

# consumer_sdp ANSWER ORIGIN_IP DEST_IP PORT [SUITE KEY]: on stdout, the SDP an ffmpeg
# receiver on DEST_IP:PORT (RTCP on PORT + 1) needs for the consumer whose API answer is
# the file ANSWER (its kind and the first codec of its rtpParameters); with SUITE and KEY,
# SRTP (a=crypto with the key inline: ffmpeg uses one key both ways).
consumer_sdp() {
	local answer=$1 origin=$2 dest=$3 port=$4 suite=${5:-} key=${6:-} kind pt codec rate ch
	kind=$(jq -r .kind "$answer")
	pt=$(jq -r '.rtpParameters.codecs[0].payloadType' "$answer")
	codec=$(jq -r '.rtpParameters.codecs[0].mimeType | split("/")[1]' "$answer")
	rate=$(jq -r '.rtpParameters.codecs[0].clockRate' "$answer")
	ch=$(jq -r '.rtpParameters.codecs[0].channels // empty' "$answer")
	printf 'v=0\no=- 0 0 IN IP4 %s\ns=cascade consumer\nc=IN IP4 %s\nt=0 0\n' "$origin" "$dest"
	if [[ -n $suite ]]; then
		printf 'm=%s %d RTP/SAVP %d\na=crypto:1 %s inline:%s\n' "$kind" "$port" "$pt" "$suite" "$key"
	else
		printf 'm=%s %d RTP/AVP %d\n' "$kind" "$port" "$pt"
	fi
	printf 'a=rtpmap:%d %s/%d%s\na=rtcp:%d\n' "$pt" "$codec" "$rate" "${ch:+/$ch}" $((port + 1))
}

# frames OUT: how many decoded frames an ffmpeg framecrc or framemd5 file lists so far
# (0 before the file exists).
frames() {
	local n
	n=$(grep -c '^0,' "$1" 2>/dev/null) || true
	echo "${n:-0}"
}

# cleanup: the EXIT trap. Idempotent, never fails, keeps the test's exit status.
cleanup() {
	local rc=$? p f ns
	((_cascade_cleaned == 0)) || return "$rc"
	_cascade_cleaned=1
	set +e
	trap - INT TERM

	# Processes first: they hold the hugepages, segments and namespaces.
	_kill_tree "$CASCADE_KILL_TIMEOUT" "${_cascade_pids[@]}"
	for p in "${_cascade_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	for ns in "${_cascade_netns[@]}"; do
		# Anything still running inside one of our namespaces is ours too.
		# shellcheck disable=SC2046 # word splitting of the pid list is intended
		_kill_tree "$CASCADE_KILL_TIMEOUT" $(ip netns pids "$ns" 2>/dev/null)
	done

	# On failure, show the tail of every log the test kept, since TEST_TMP goes away.
	if ((rc != 0 && rc != 77)); then
		for f in "$TEST_TMP"/*.log; do
			[[ -f $f ]] || continue
			printf '\n--- %s (last 40 lines) ---\n' "${f##*/}" >&2
			tail -n 40 "$f" >&2
		done
	fi

	for ns in "${_cascade_netns[@]}"; do
		ip netns delete "$ns" 2>/dev/null
	done
	rm -f /dev/hugepages/"$dpdk_prefix"map_* /dev/hugepages/"$dpdk_prefix"-*
	rm -rf /var/run/dpdk/"$dpdk_prefix" /var/run/dpdk/"$dpdk_prefix"-*
	for f in "${_cascade_segs[@]}"; do
		rm -f "/dev/shm/cascade.$f"
	done
	rm -f "$TEST_TMP"/*.sock
	if [[ ${CASCADE_KEEP_TMP:-0} == 1 ]]; then
		log "cleanup: kept $TEST_TMP"
	else
		rm -rf "$TEST_TMP"
	fi
	return "$rc"
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
