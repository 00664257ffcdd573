#!/usr/bin/env bash
# cascade-cp's secrets and its Redis credentials, against a real redis-server with a
# password (requirepass, protected mode on):
#   1. a wrong password, a missing or empty password file, and no password for a Redis
#      that wants one each stop cascade-cp at start with a message naming
#      redis.password_file; --api-token and --cluster-secret are refused;
#   2. with the right password it registers; none of its secrets is on its command line
#      (/proc/PID/cmdline); a secret file others can read gets a warning;
#   3. Redis changing its password under a running node: the refusal is logged, shown in
#      GET /v1/node (cluster.redis_error) and counted in /metrics; once Redis takes the
#      node's password again the node is back without a restart;
#   4. /metrics needs the token by default and not with "metrics_auth": false; the token
#      also comes from CASCADE_API_TOKEN and from a systemd credential;
#   5. redis.username: an ACL user logs in with its own password, not with another's.
. "$(dirname "$0")/lib.sh"

need_root
need_hugepages 64
cp_api_init
require_bin "$CASCADE_DP" "$CASCADE_CP" "$CASCADE_DPCTL"
require_cmd curl jq timeout
redis_start

secret=cluster-secret-$RANDOM-0123456789
secret_file "$TEST_TMP/cluster-secret" "$secret"
cluster() {
	echo "{\"redis\": {\"url\": \"$REDIS_URL\", \"prefix\": \"cascade\"$1},
		\"cluster\": {\"secret_file\": \"$TEST_TMP/cluster-secret\", \"pipe_port\": 7000}}"
}

# --- 1. what stops it at start --------------------------------------------------------------
# refused CASE WANT CONFIG [FLAGS...]: cascade-cp exits 1 at once with a line holding WANT
refused() {
	local what=$1 want=$2 rc=0
	shift 2
	timeout 20 "$CASCADE_CP" --config "$@" >"$TEST_TMP/refused.log" 2>&1 || rc=$?
	((rc == 1)) || fail "$what: cascade-cp exited $rc, want 1: $(cat "$TEST_TMP/refused.log")"
	grep -qF -- "$want" "$TEST_TMP/refused.log" ||
		fail "$what: no '$want' in: $(cat "$TEST_TMP/refused.log")"
}
secret_file "$TEST_TMP/wrong-password" "not-the-password-0123456789"
cp_config "$TEST_TMP/wrong.json" "$(cluster ", \"password_file\": \"$TEST_TMP/wrong-password\"")"
refused "a wrong password" "redis.password_file" "$TEST_TMP/wrong.json"
grep -q "refused the password" "$TEST_TMP/refused.log" || fail "wrong password: $(cat "$TEST_TMP/refused.log")"
cp_config "$TEST_TMP/missing.json" "$(cluster ", \"password_file\": \"$TEST_TMP/no-such-file\"")"
refused "a missing password file" "redis.password_file: $TEST_TMP/no-such-file: No such file" \
	"$TEST_TMP/missing.json"
: >"$TEST_TMP/empty-password"
chmod 600 "$TEST_TMP/empty-password"
cp_config "$TEST_TMP/empty.json" "$(cluster ", \"password_file\": \"$TEST_TMP/empty-password\"")"
refused "an empty password file" "redis.password_file: $TEST_TMP/empty-password: empty" "$TEST_TMP/empty.json"
REDIS_PASSWORD_FILE='' cp_config "$TEST_TMP/none.json" "$(cluster "")"
refused "no password for a Redis that wants one" "redis.password_file" "$TEST_TMP/none.json"
grep -q "NOAUTH" "$TEST_TMP/refused.log" || fail "no password: $(cat "$TEST_TMP/refused.log")"
REDIS_PASSWORD_FILE='' cp_config "$TEST_TMP/user.json" "$(cluster ", \"username\": \"cascade\"")"
refused "a username without a password" "redis.password_file: required with redis.username" \
	"$TEST_TMP/user.json"
cp_config "$TEST_TMP/ok.json" "$(cluster "")"
refused "--api-token" "--api-token: removed" "$TEST_TMP/ok.json" --api-token "$token"
refused "--cluster-secret" "--cluster-secret: removed" "$TEST_TMP/ok.json" --cluster-secret "$secret"
log "wrong, missing and empty password files, NOAUTH and secret flags stop cascade-cp at start"

# --- 2. the right password; no secret in argv -----------------------------------------------
null_node
chmod 644 "$TEST_TMP/cluster-secret" # readable by all: a warning, not a refusal
cp_start "$TEST_TMP/ok.json"
chmod 600 "$TEST_TMP/cluster-secret"
wait_for "grep -q 'cluster: node node-$CASCADE_TEST_ID registered' $TEST_TMP/cp.log" 15 ||
	fail "cascade-cp did not register: $(tail -5 "$TEST_TMP/cp.log")"
[[ $(rcli SISMEMBER cascade:nodes "node-$CASCADE_TEST_ID") == 1 ]] || fail "the node is not in cascade:nodes"
grep -q "cluster.secret_file: warning: $TEST_TMP/cluster-secret is accessible to group or others" \
	"$TEST_TMP/cp.log" || fail "no warning for a secret file others can read: $(head -5 "$TEST_TMP/cp.log")"
cmdline=$(tr '\0' ' ' <"/proc/$cp_pid/cmdline")
[[ $cmdline == *"$CASCADE_CP"* ]] || fail "pid $cp_pid is not cascade-cp: $cmdline"
for k in "$token" "$secret" "$REDIS_PASSWORD"; do
	[[ $cmdline != *"$k"* ]] || fail "a secret is on cascade-cp's command line: $cmdline"
done
redis_cmd=$(tr '\0' ' ' <"/proc/$REDIS_PID/cmdline")
[[ $redis_cmd != *"$REDIS_PASSWORD"* ]] || fail "the Redis password is on redis-server's command line"
[[ $(rcli CONFIG GET protected-mode | tail -1) == yes ]] || fail "redis runs without protected mode"
log "the right password registers the node; no secret on the command line of cascade-cp or redis"

# --- 3. Redis refuses the node's password while it runs -----------------------------------
node_json() { curl -s "${auth[@]}" "$api/v1/node"; }
rcli CONFIG SET requirepass "new-$REDIS_PASSWORD" >/dev/null
REDIS_PASSWORD=new-$REDIS_PASSWORD
rcli CLIENT KILL TYPE normal >/dev/null
rcli CLIENT KILL TYPE pubsub >/dev/null
wait_for "grep -q 'refused the credentials (redis.username, redis.password_file): WRONGPASS' $TEST_TMP/cp.log" 15 ||
	fail "no log line for the refused password: $(tail -5 "$TEST_TMP/cp.log")"
wait_for "node_json | jq -e '.cluster.state == \"redis unreachable\" and (.cluster.redis_error | startswith(\"WRONGPASS\"))'" 10 ||
	fail "GET /v1/node does not show the refusal: $(node_json)"
curl -s "${auth[@]}" "$api/metrics" >"$TEST_TMP/metrics"
grep -Eq "^cascade_redis_auth_failures_total\{node=\"node-$CASCADE_TEST_ID\"\} [1-9]" "$TEST_TMP/metrics" &&
	grep -q "^cascade_redis_up{node=\"node-$CASCADE_TEST_ID\"} 0" "$TEST_TMP/metrics" ||
	fail "/metrics: $(grep cascade_redis "$TEST_TMP/metrics")"
# Redis takes the node's password again: the node comes back by itself
rcli CONFIG SET requirepass "$(cat "$REDIS_PASSWORD_FILE")" >/dev/null
REDIS_PASSWORD=$(cat "$REDIS_PASSWORD_FILE")
wait_for "node_json | jq -e '.cluster.state == \"connected\" and .cluster.redis_error == null'" 15 ||
	fail "the node did not come back: $(node_json)"
grep -q "accepted the credentials again" "$TEST_TMP/cp.log" || fail "no log line for the recovery"
log "a refused password is logged, shown in /v1/node and /metrics, and recovered from"

# --- 4. /metrics and the token's other sources ----------------------------------------------
[[ $(curl -s -o /dev/null -w '%{http_code}' "$api/metrics") == 401 ]] ||
	fail "/metrics answered without the token (api.metrics_auth is on by default)"
stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
cp_config "$TEST_TMP/open.json" '{"api": {"metrics_auth": false}}'
cp_start "$TEST_TMP/open.json"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$api/metrics") == 200 ]] ||
	fail "/metrics needs the token with \"metrics_auth\": false"
stop "$cp_pid"
# the token from the environment, then from a credential, none in the configuration
jq 'del(.api.token_file)' "$TEST_TMP/open.json" >"$TEST_TMP/bare.json"
CASCADE_API_TOKEN=$token cp_start "$TEST_TMP/bare.json"
stop "$cp_pid"
mkdir -m 700 "$TEST_TMP/credentials"
secret_file "$TEST_TMP/credentials/api-token" "$token"
CREDENTIALS_DIRECTORY=$TEST_TMP/credentials cp_start "$TEST_TMP/bare.json"
stop "$cp_pid"
refused "no token anywhere" "api.token_file: required" "$TEST_TMP/bare.json"
log "/metrics: 401 by default, open with metrics_auth false; the token from the environment and a credential"

# --- 5. an ACL user ------------------------------------------------------------------------
acl_pw=acl-pw-$RANDOM-0123456789
secret_file "$TEST_TMP/acl-password" "$acl_pw"
rcli ACL SETUSER cascade on ">$acl_pw" '~*' '&*' +@all >/dev/null
cp_config "$TEST_TMP/acl.json" "$(cluster ", \"username\": \"cascade\", \"password_file\": \"$TEST_TMP/acl-password\"")"
cp_config "$TEST_TMP/acl-wrong.json" "$(cluster ", \"username\": \"cascade\", \"password_file\": \"$REDIS_PASSWORD_FILE\"")"
refused "an ACL user with another's password" "refused the password of redis.username" "$TEST_TMP/acl-wrong.json"
: >"$TEST_TMP/cp.log"
cp_start "$TEST_TMP/acl.json"
wait_for "grep -q 'cluster: node node-$CASCADE_TEST_ID registered' $TEST_TMP/cp.log" 15 ||
	fail "cascade-cp did not register as the ACL user cascade: $(tail -5 "$TEST_TMP/cp.log")"
rcli CLIENT LIST | grep -q ' user=cascade ' || fail "no connection of the ACL user cascade: $(rcli CLIENT LIST)"
stop "$cp_pid"
((STOP_RC == 0)) || fail "cascade-cp exited $STOP_RC on SIGTERM"
log "an ACL user (redis.username) with its password registers; with another password it is refused"
pass "redis password at start and at reconnect; secrets from files, environment and credentials only"
