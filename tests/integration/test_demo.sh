#!/usr/bin/env bash
# tools/demo, the README's main job, runs for a few seconds and stops by itself: its
# table shows traffic, its summary shows every consumer received every packet, and it
# leaves no process, segment or hugepage file behind.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 128
require_bin "$CASCADE_DP" "$CASCADE_PKTGEN" "$CASCADE_DPCTL"
require_cmd jq

before_shm=$(ls /dev/shm | grep -c '^cascade\.demo' || true)
DEMO_SECONDS=4 DEMO_PRODUCERS=3 DEMO_CONSUMERS=20 BUILD_DIR=$BUILD_DIR \
	timeout 120 "$SRC_DIR/tools/demo" >"$TEST_TMP/demo.out" 2>&1 ||
	{ cat "$TEST_TMP/demo.out" >&2; fail "tools/demo exited non-zero"; }
cat "$TEST_TMP/demo.out" >&2

grep -q '^cascade demo: 3 producers x 20 consumers' "$TEST_TMP/demo.out" || fail "no banner"
rows=$(awk '$1 ~ /^[0-9]+s$/ && $3 > 0' "$TEST_TMP/demo.out" | wc -l)
((rows >= 2)) || fail "the live table showed egress in only $rows rows"
grep -Eq 'on 60 consumer SSRCs, lost 0, duplicates 0' "$TEST_TMP/demo.out" ||
	fail "summary does not show 60 consumers with zero loss"
grep -q 'dataplane drop_' "$TEST_TMP/demo.out" && fail "the dataplane dropped packets"

after_shm=$(ls /dev/shm | grep -c '^cascade\.demo' || true)
((after_shm == before_shm)) || fail "demo left a shared segment behind"
if ls /dev/hugepages 2>/dev/null | grep -q '^cascade-demo'; then
	fail "demo left hugepage files behind"
fi
pgrep -f 'file-prefix cascade-demo' >/dev/null && fail "demo left processes behind"
pass "demo ran, zero loss, clean exit"
