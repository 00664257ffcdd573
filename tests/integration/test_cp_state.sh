#!/usr/bin/env bash
# The state file (state.file). A save writes a new file next to it, opened with
# O_EXCL|O_NOFOLLOW under a name of its own (a symlink planted at the old fixed name
# ".tmp" is never followed), fsync()s it and the directory before the rename and the
# directory after it (checked with strace); a save of a few thousand objects spans
# several loop turns instead of holding the loop; a file that is not a state file is
# moved aside with a clear line and the node starts from the dataplane's tables (an
# object only the dataplane has is deleted), serving.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq strace

state=$TEST_TMP/state/cp-state.json
mkdir -p "$TEST_TMP/state"
null_node
cp_config "$TEST_TMP/cp.json" "{\"state\": {\"file\": \"$state\"}}"
saved() { jq -e "$1" "$state" >/dev/null 2>&1; }

# --- a symlink where the old code wrote its temporary file ---------------------------------------
echo precious >"$TEST_TMP/victim"
ln -s "$TEST_TMP/victim" "$state.tmp"
cp_start "$TEST_TMP/cp.json"
ok POST /v1/rooms/r/transports '{"comedia":true}'
t=$(jq -r .id "$TEST_TMP/body")
wait_for "saved '.transports | length == 1'" 5 || fail "the state file was not written"
[[ $(cat "$TEST_TMP/victim") == precious && -L $state.tmp && ! -L $state ]] ||
	fail "the save went through the symlink: victim '$(head -c 60 "$TEST_TMP/victim")'"
[[ $(stat -c %a "$state") == 600 ]] || fail "state file mode $(stat -c %a "$state")"
log "a symlink at STATE.tmp: neither followed nor replaced"

# --- how a save writes: strace on the running control plane --------------------------------------
ok POST "/v1/transports/$t/producers" '{"kind":"video","rtpParameters":{"codecs":[{"mimeType":"video/VP8","payloadType":96,"clockRate":90000}],"encodings":[{"ssrc":1}]}}'
prod=$(jq -r .id "$TEST_TMP/body")
ok POST /v1/rooms/r/transports '{}'
t2=$(jq -r .id "$TEST_TMP/body")
# 1500 consumers, in one curl: a save of them takes several batches
args=()
for ((i = 0; i < 1500; i++)); do
	((i == 0)) || args+=(--next)
	args+=(-s -o /dev/null "${auth[@]}" -X POST "$api/v1/transports/$t2/consumers" -d "{\"producerId\":\"$prod\"}")
done
curl "${args[@]}"
wait_for "saved '.consumers | length == 1500'" 15 || fail "1500 consumers not saved"
bg strace -f -tt -e trace=openat,fsync,rename,epoll_wait -o "$TEST_TMP/strace.txt" -p "$cp_pid"
strace_pid=$BG_PID
wait_for "grep -q epoll_wait $TEST_TMP/strace.txt" 10 || fail "strace did not attach"
ok POST /v1/rooms/r/transports '{}' # one more change: one more save
wait_for "grep -q 'rename(' $TEST_TMP/strace.txt" 10 || fail "no save seen by strace"
stop "$strace_pid"
# the save: from the open of its new file to the rename
awk '/openat\(.*cp-state\.json\.tmp-/ {on = 1} on {print} /rename\(/ {if (on) exit}' "$TEST_TMP/strace.txt" \
	| sed 's/^[0-9]* *[0-9:.]* //' >"$TEST_TMP/save.txt"
open_line=$(head -1 "$TEST_TMP/save.txt")
[[ $open_line == *O_CREAT*O_EXCL*O_NOFOLLOW* && $open_line == *0600* ]] ||
	fail "the new file is not opened O_CREAT|O_EXCL|O_NOFOLLOW, 0600: $open_line"
fd=$(sed -n 's/.* = \([0-9]*\)$/\1/p' <<<"$open_line")
grep -Eq "^fsync\($fd\) *= 0" "$TEST_TMP/save.txt" || fail "the new file is not fsync()ed before the rename: $(cat "$TEST_TMP/save.txt" | grep -v epoll)"
grep -q 'O_DIRECTORY' "$TEST_TMP/save.txt" || fail "the directory is not fsync()ed before the rename"
awk '/rename\(/ {on = 1} on' "$TEST_TMP/strace.txt" | grep -q 'O_DIRECTORY' ||
	fail "the directory is not fsync()ed after the rename"
turns=$(grep -c 'epoll_wait' "$TEST_TMP/save.txt" || true)
((turns >= 3)) || fail "a save of 1500 objects took $turns loop turns"
log "a save: new file O_EXCL|O_NOFOLLOW 0600, fsync, directory fsync, rename, directory fsync; $turns loop turns for 1500 objects"

# --- a state file that is not one -------------------------------------------------------------------
ok DELETE "/v1/transports/$t2" # the 1500 consumers go; a few objects stay in the dataplane
stop "$cp_pid"
printf '{"version": 1, "transports": [' >"$state" # cut short
cp_start "$TEST_TMP/cp.json"
grep -q "state.file: $state is not a usable state file (.*); moved it to $state.corrupt-[0-9]* and starting from the dataplane's tables" \
	"$TEST_TMP/cp.log" || fail "no clear line for the corrupt file: $(grep state.file "$TEST_TMP/cp.log")"
aside=$(ls "$state".corrupt-* 2>/dev/null | head -1)
[[ -n $aside && $(cat "$aside") == '{"version": 1, "transports": [' ]] || fail "the corrupt file was not kept aside"
wait_for "[[ -z \$($CASCADE_DPCTL -s $seg_name dump | grep -E '^(producer|consumer|transport) ') ]]" 15 ||
	fail "what the dataplane held is still there: $("$CASCADE_DPCTL" -s "$seg_name" dump | head -3)"
ok GET /v1/rooms
jq -e '.rooms == []' "$TEST_TMP/body" >/dev/null || fail "rooms after a corrupt state file: $(cat "$TEST_TMP/body")"
ok POST /v1/rooms/r/transports '{}'
wait_for "saved '.transports | length == 1'" 5 || fail "no new state file"
log "a corrupt state file: moved aside, said so, the dataplane's tables reconciled, serving"

stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
pass "state file: O_EXCL|O_NOFOLLOW, fsync with its directory, bounded per loop turn, corrupt file moved aside"
