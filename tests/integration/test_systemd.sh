#!/usr/bin/env bash
# tools/systemd's units, run the way systemd would run them, without systemd: the
# dataplane's unit comes first (its ExecStartPost waits until the segment answers), the
# control plane's unit Requires= and is After= it, both restart on failure. The test
# makes an /etc/cascade of its own laid out as the README says (cascade-dp.env,
# cascade-cp.json from the shipped example, credentials/ 0700 with 0600 files), takes
# ExecStart, ExecStartPost and LoadCredential= from the unit files (tests/integration/
# unitcmd.py expands them with the EnvironmentFile as systemd does), and starts both on
# the null PMD, with a real Redis that wants a password. The credentials are copied
# where systemd would put them ($CREDENTIALS_DIRECTORY): the control plane must find the
# dataplane, join Redis and answer the API with the token from the credential file; no
# secret is on either command line. The shipped cascade-dp.env expands to a sane
# command, and `systemd-analyze verify` accepts the units where it is installed.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq install
redis_start
UNITS=$SRC_DIR/tools/systemd
UNITCMD=$SRC_DIR/tests/integration/unitcmd.py
dp_unit=$UNITS/cascade-dp.service
cp_unit=$UNITS/cascade-cp.service

# --- the units' contract ----------------------------------------------------------------------
grep -qx 'Requires=cascade-dp.service' "$cp_unit" || fail "cascade-cp.service does not require cascade-dp.service"
grep -Eqx 'After=(.* )?cascade-dp.service( .*)?' "$cp_unit" || fail "cascade-cp.service does not start after cascade-dp.service"
for u in "$dp_unit" "$cp_unit"; do
	grep -qx 'Restart=on-failure' "$u" || fail "${u##*/}: no Restart=on-failure"
	! grep -Eq -- '--api-token|--cluster-secret|password' <(grep '^Exec' "$u") ||
		fail "${u##*/}: a secret on a command line"
done
for id in api-token cluster-secret redis-password; do
	grep -qx "LoadCredential=$id:/etc/cascade/credentials/$id" "$cp_unit" ||
		fail "cascade-cp.service does not load the credential $id"
done

# --- an /etc/cascade of the test's -------------------------------------------------------------
etc=$TEST_TMP/etc/cascade
mkdir -p "$etc" "$TEST_TMP/bin" "$TEST_TMP/state"
mkdir -m 700 "$etc/credentials"
secret=cluster-secret-$RANDOM-0123456789
secret_file "$etc/credentials/api-token" "$token"
secret_file "$etc/credentials/cluster-secret" "$secret"
secret_file "$etc/credentials/redis-password" "$REDIS_PASSWORD"
cat >"$etc/cascade-dp.env" <<EOF
# the null PMD: the control plane's view of a dataplane, no NIC
CASCADE_DP_EAL=-l 0-1 --no-pci --file-prefix $dpdk_prefix --vdev net_null0,no-rx=1
CASCADE_SEGMENT=$seg_name
CASCADE_DP_OPTIONS=--max-transports 16 --max-producers 16 --max-consumers 16
EOF
# the shipped configuration with this test's addresses (no media interface: no NIC here)
jq --arg id "node-$CASCADE_TEST_ID" --arg listen "127.0.0.1:$port" --arg seg "$seg_name" \
	--arg redis "$REDIS_URL" --arg state "$TEST_TMP/state/state.json" '
	.node_id = $id | .media.ips = ["198.18.0.1"] | del(.media.interface) | .api.listen = $listen
	| .dataplane.segment = $seg | .redis.url = $redis | .state.file = $state' \
	"$UNITS/cascade-cp.json" >"$etc/cascade-cp.json" || fail "tools/systemd/cascade-cp.json is not JSON"
! grep -Eq '"(token|secret|password)' "$etc/cascade-cp.json" ||
	fail "the shipped cascade-cp.json holds a secret or names a secret file"
# /usr/local/bin: where `meson install` puts the binaries
for b in "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"; do
	ln -s "$b" "$TEST_TMP/bin/${b##*/}"
done
paths=("/etc/cascade=$etc" "/usr/local/bin=$TEST_TMP/bin")
# unit_cmd UNIT KEY: the unit's first KEY command line, one argument per line
unit_cmd() { "$UNITCMD" "$1" "$2" "${paths[@]}" | sed '/^$/q' | sed '/^$/d'; }

# --- the shipped cascade-dp.env makes a sane command --------------------------------------
"$UNITCMD" "$dp_unit" ExecStart "/etc/cascade/cascade-dp.env=$UNITS/cascade-dp.env" >"$TEST_TMP/shipped.argv" ||
	fail "no ExecStart in cascade-dp.service"
[[ $(sed -n 1p "$TEST_TMP/shipped.argv") == /usr/local/bin/cascade-dp ]] &&
	grep -qx -- '--' "$TEST_TMP/shipped.argv" && grep -qx -- '--segment' "$TEST_TMP/shipped.argv" &&
	grep -qx 'default' "$TEST_TMP/shipped.argv" && grep -q '^net_af_xdp0,iface=' "$TEST_TMP/shipped.argv" ||
	fail "the shipped cascade-dp.env expands to: $(tr '\n' ' ' <"$TEST_TMP/shipped.argv")"

# --- the dataplane's unit first ------------------------------------------------------------
mapfile -t dp_argv < <(unit_cmd "$dp_unit" ExecStart)
mapfile -t dp_post < <(unit_cmd "$dp_unit" ExecStartPost)
((${#dp_argv[@]} > 3 && ${#dp_post[@]} > 1)) || fail "cascade-dp.service: ExecStart ${dp_argv[*]}, ExecStartPost ${dp_post[*]}"
log "cascade-dp.service: ${dp_argv[*]}"
bg "${dp_argv[@]}" >"$TEST_TMP/dp.log" 2>&1
dp_pid=$BG_PID
"${dp_post[@]}" || fail "cascade-dp.service's ExecStartPost failed: the dataplane did not come up"

# --- then the control plane's, with its credentials where systemd puts them ------------------
creds=$TEST_TMP/run-credentials
mkdir -m 700 "$creds"
while read -r id path; do
	install -m 0400 "$path" "$creds/$id" || fail "credential $id: cannot read $path"
done < <("$UNITCMD" "$cp_unit" LoadCredential "${paths[@]}")
mapfile -t cp_argv < <(unit_cmd "$cp_unit" ExecStart)
log "cascade-cp.service: ${cp_argv[*]}"
CREDENTIALS_DIRECTORY=$creds bg "${cp_argv[@]}" >"$TEST_TMP/cp.log" 2>&1
cp_pid=$BG_PID
node_json() { curl -s "${auth[@]}" "$api/v1/node"; }
wait_for "node_json | jq -e '.dataplane.state == \"running\"'" 20 ||
	fail "the control plane does not see the dataplane, or refuses the credential's token: $(node_json) $(tail -3 "$TEST_TMP/cp.log")"
wait_for "node_json | jq -e '.cluster.state == \"connected\"'" 15 ||
	fail "the control plane did not join Redis with the credential's password: $(node_json)"
[[ $(rcli SISMEMBER cascade:nodes "node-$CASCADE_TEST_ID") == 1 ]] || fail "the node is not registered in Redis"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$api/v1/node") == 401 ]] || fail "the API answers without the token"
! grep -q warning "$TEST_TMP/cp.log" || fail "cascade-cp warns: $(grep warning "$TEST_TMP/cp.log")"
for p in "$dp_pid" "$cp_pid"; do
	args=$(tr '\0' ' ' <"/proc/$p/cmdline")
	for k in "$token" "$secret" "$REDIS_PASSWORD"; do
		[[ $args != *"$k"* ]] || fail "a secret is on the command line: $args"
	done
done
log "both started from their units: the control plane sees the dataplane, Redis and its token"

# --- systemd's own check, where it is installed -----------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$TEST_TMP/units"
	for u in "$dp_unit" "$cp_unit"; do
		sed "s|/usr/local/bin/|$TEST_TMP/bin/|g" "$u" >"$TEST_TMP/units/${u##*/}"
	done
	systemd-analyze verify "$TEST_TMP/units/cascade-dp.service" "$TEST_TMP/units/cascade-cp.service" \
		>"$TEST_TMP/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$TEST_TMP/verify.log")"
	! grep -q 'cascade-[dc]p.service' "$TEST_TMP/verify.log" ||
		fail "systemd-analyze verify: $(cat "$TEST_TMP/verify.log")"
	log "systemd-analyze verify accepts both units"
fi

stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
stop "$dp_pid" 30
((STOP_RC == 0)) || fail "cascade-dp exited $STOP_RC on SIGTERM"
pass "systemd units: dataplane first, control plane after it with its credentials"
