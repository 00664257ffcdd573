#!/usr/bin/env bash
# tools/demo, the README's main job: the cluster demo (a 3-node lab, pktgen and ffmpeg
# producers on node 1, consumers on all three nodes). Run for a few seconds it stops by
# itself: its banner, a live table with ingress and egress on every node and pipes
# between them, a summary with every receiver whole (no loss, duplicate or malformed
# packet) and frames decoded by ffmpeg, exit 0, and nothing left behind (namespaces,
# processes, segments, hugepage files, DPDK runtime directories, its temp dir). Then a
# run stopped by Ctrl-C (SIGINT to its process group), during which cascadectl pointed
# at nodes 2 and 3 shows the whole cluster: the demo stops in order, reports zero loss
# and has removed everything within 30 s.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 96
CASCADE_CP=$BUILD_DIR/controlplane/cascade-cp
CTL=$BUILD_DIR/tools/cascadectl/cascadectl
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_PKTGEN" "$CASCADE_DPCTL" "$CTL"
[[ -f $BUILD_DIR/dataplane/bpf/cascade_xdp.o ]] || fail "cascade_xdp.o is not built"
require_cmd jq curl ip ffmpeg redis-server

# Sanitized builds run several times slower on the same two cores: fewer, slower
# streams, and a longer run (a row of the table takes longer to gather).
P=3 C=9 RATE=900 SECS=6
((CASCADE_SANITIZED == 0)) || { P=2 C=6 RATE=300 SECS=10; }
DEMO_ENV=(DEMO_PRODUCERS="$P" DEMO_CONSUMERS="$C" DEMO_RATE="$RATE" BUILD_DIR="$BUILD_DIR"
	TMPDIR="$TEST_TMP")

# The demo's temp dirs (and with them its lab's state) live under TEST_TMP, so that a
# demo that died half-way can still be torn down here.
DEMO_PID=
# shellcheck disable=SC2317 # run by the EXIT trap
demo_cleanup() {
	local rc=$? d
	if [[ -n $DEMO_PID ]] && kill -0 "$DEMO_PID" 2>/dev/null; then
		kill -INT -- "-$DEMO_PID" 2>/dev/null || true
		wait_for "! kill -0 $DEMO_PID 2>/dev/null" 60 || kill -KILL -- "-$DEMO_PID" 2>/dev/null || true
	fi
	for d in "$TEST_TMP"/cascade-demo.*; do
		[[ -d $d ]] || continue
		if [[ -d $d/lab ]]; then
			log "cleanup: the demo left its lab in $d/lab: tools/lab down"
			CASCADE_LAB_DIR=$d/lab "$SRC_DIR/tools/lab" down >/dev/null 2>&1 || true
		fi
		# its pktgens' DPDK runtime directories (cascade-demo-XXXXXX-rx1, ...)
		rm -rf /var/run/dpdk/cascade-demo-"${d##*.}"-*
	done
	(exit "$rc")
	cleanup
}
trap demo_cleanup EXIT

# prefix_of FILE: the lab prefix the demo announced (demo-XXXXXX)
prefix_of() {
	sed -n 's/^demo: bringing up a 3-node lab (\(demo-[A-Za-z0-9]*\):.*/\1/p' "$1" | head -n 1
}

# nothing_left PREFIX WHAT: no namespace, process, segment, hugepage file, DPDK runtime
# dir or temp dir of the demo that announced PREFIX
nothing_left() {
	local prefix=$1 what=$2 suffix=${1#demo-} f
	[[ -z $(ip netns list | awk -v p="$prefix-" 'index($1, p) == 1') ]] ||
		fail "$what left namespaces: $(ip netns list | grep -- "$prefix-")"
	! pgrep -f -- "$prefix|cascade-demo\.$suffix" >/dev/null ||
		fail "$what left processes: $(pgrep -af -- "$prefix|cascade-demo\.$suffix")"
	for f in /dev/shm/cascade."$prefix"-* /dev/hugepages/cascade-"$prefix"-* \
		/var/run/dpdk/cascade-"$prefix"-* "$TEST_TMP/cascade-demo.$suffix"; do
		[[ ! -e $f ]] || fail "$what left $f behind"
	done
}

# --- 1. a run that ends by itself ----------------------------------------------------------------
out=$TEST_TMP/demo.out
log "tools/demo: $P producers x $C consumers at $RATE packets/s, $SECS s"
rc=0
env "${DEMO_ENV[@]}" DEMO_SECONDS=$SECS timeout 300 "$SRC_DIR/tools/demo" >"$out" 2>&1 || rc=$?
cat "$out" >&2
((rc == 0)) || fail "tools/demo exited $rc"
prefix=$(prefix_of "$out")
[[ -n $prefix ]] || fail "the demo did not name its lab"
grep -q "^cascade cluster demo: 3 nodes, $P pktgen producers x $C consumers" "$out" || fail "no banner"
grep -q "cascadectl --api http://[0-9.:]* --token [0-9a-f]* nodes" "$out" ||
	fail "the banner does not say how to look with cascadectl"

# the table: "TIME NODE IN/S OUT/S PIPES-IN PIPES-OUT CONSUMERS LOSSY LOST RECV/S FRAMES"
for n in 1 2 3; do
	rows=$(awk -v node="node-$n" '$1 ~ /^[0-9]+s$/ && $2 == node && $3 > 0 && $4 > 0' "$out" | wc -l)
	((rows >= 2)) || fail "the table shows ingress and egress on node-$n in only $rows rows"
done
awk '$1 ~ /^[0-9]+s$/ && $2 == "node-1" && $6 > 0' "$out" | grep -q . ||
	fail "the table shows no pipe out of node-1"
for n in 2 3; do
	awk -v node="node-$n" '$1 ~ /^[0-9]+s$/ && $2 == node && $5 > 0' "$out" | grep -q . ||
		fail "the table shows no pipe into node-$n"
done
awk '$1 ~ /^[0-9]+s$/ && $8 != 0' "$out" | grep -q . && fail "the table shows consumers with loss"

# the summary: every receiver whole, ffmpeg decoded frames, zero loss overall
for n in 1 2 3; do
	grep -Eq "^summary: node-$n receiver [^ ]+: ([0-9]+) of \1 SSRCs, [1-9][0-9]* packets, lost 0, duplicates 0, malformed 0$" "$out" ||
		fail "the summary of node-$n's receiver is not whole"
done
frames=$(sed -n 's/^summary: ffmpeg on [^ ]* decoded \([0-9]*\) VP8 frames.*/\1/p' "$out")
((${frames:-0} > 0)) || fail "ffmpeg decoded no frame"
grep -q '^result: ok' "$out" || fail "the demo did not report success"
nothing_left "$prefix" "the demo"
log "$SECS s run: three nodes forwarding, pipes, zero loss, $frames frames decoded, nothing left"

# --- 2. Ctrl-C, with cascadectl on nodes 2 and 3 meanwhile -------------------------------------
out=$TEST_TMP/int.out
# As from a terminal: the demo in a process group of its own, with SIGINT not ignored
# (without job control, bash starts background commands with SIGINT ignored, and a
# script cannot trap a signal ignored at its start).
set -m
env "${DEMO_ENV[@]}" "$SRC_DIR/tools/demo" >"$out" 2>&1 &
DEMO_PID=$!
set +m
wait_for "grep -Eq '^ +[2-9]s node-3 ' $out || ! kill -0 $DEMO_PID" 180
grep -Eq '^ +[2-9]s node-3 ' "$out" || { cat "$out" >&2; fail "the demo's table never reached 2 s"; }
prefix=$(prefix_of "$out")
client=$prefix-c1
# node N's --api and --token as the banner prints them
for n in 2 3; do
	read -r api tok < <(sed -n "s/^ *node-$n: --api \([^ ]*\) --token \([^ ]*\)$/\1 \2/p" "$out")
	[[ -n $api && -n $tok ]] || fail "the banner does not give node-$n's address and token"
	ctl=(ip netns exec "$client" "$CTL" --api "$api" --token "$tok")
	"${ctl[@]}" nodes >"$TEST_TMP/nodes$n.txt" || fail "cascadectl nodes on node-$n: exit $?"
	[[ $(grep -c '^node-[123] ' "$TEST_TMP/nodes$n.txt") == 3 ]] && grep -q "^node-$n \*" "$TEST_TMP/nodes$n.txt" ||
		fail "cascadectl nodes on node-$n: $(cat "$TEST_TMP/nodes$n.txt")"
	"${ctl[@]}" --json nodes | jq -e '.nodes | length == 3' >/dev/null || fail "cascadectl --json nodes on node-$n"
	"${ctl[@]}" rooms >"$TEST_TMP/rooms$n.txt" || fail "cascadectl rooms on node-$n: exit $?"
	grep -Eq '^demo +[0-9]+ +(node-[123],){2}node-[123]$' "$TEST_TMP/rooms$n.txt" ||
		fail "cascadectl rooms on node-$n does not show the room on 3 nodes: $(cat "$TEST_TMP/rooms$n.txt")"
	"${ctl[@]}" room demo | grep -q '^nodes: ' || fail "cascadectl room demo on node-$n names no nodes"
done
log "cascadectl on node-2 and node-3: 3 nodes, the room on all of them"

t0=$(date +%s)
kill -INT -- "-$DEMO_PID" || fail "could not signal the demo's process group"
wait_for "! kill -0 $DEMO_PID 2>/dev/null" 30 || { cat "$out" >&2; fail "the demo still runs 30 s after Ctrl-C"; }
rc=0
wait "$DEMO_PID" || rc=$?
DEMO_PID=
secs=$(($(date +%s) - t0))
cat "$out" >&2
((rc == 0)) || fail "the demo exited $rc after Ctrl-C"
grep -Eq 'Segmentation|core dumped|Aborted|AddressSanitizer' "$out" && fail "a process crashed on Ctrl-C"
grep -q '^result: ok' "$out" || fail "no summary with zero loss after Ctrl-C"
grep -q '^demo: removed the lab' "$out" || fail "the demo did not say it removed its lab"
nothing_left "$prefix" "Ctrl-C"
pass "the cluster demo: 3 nodes, pipes, zero loss, decoded video, cascadectl on any node; Ctrl-C clean in $secs s"
