/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Redis connections (hiredis' async API on the node's libevent loop): one for
 * commands, one for the room subscriptions (a subscribed connection can do
 * nothing else). Both reconnect with a backoff from 100 ms to 2 s; a connect
 * that does not finish in 2 s is abandoned and retried. While either is down
 * the cluster is "down": cp_redis_cmd() refuses with -ENOTCONN and the callers
 * answer 503 where they need Redis. Media never waits for Redis.
 *
 * With a password configured, AUTH is the first command of every connection
 * and a connection counts as up only once Redis accepted it. A refusal is kept
 * (cp_redis_auth_error, shown by GET /v1/node), logged when it starts or its
 * text changes, and the connection is dropped and retried like any other
 * failure: an operator who fixes the ACL needs no restart. At start,
 * cp_redis_probe asks once, synchronously, so that a wrong password stops the
 * process with a message instead of a retry loop.
 *
 * When both connections are up again the owner's on_up callback runs (once per
 * recovery): that is where the node re-registers, re-publishes its producers
 * and re-subscribes to its rooms. Commands in flight when a connection drops
 * get their callback with a NULL reply, as hiredis promises.
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <cascade/segment.h>

#include "cp_addr.h"
#include "cp_redis.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define CONNECT_TIMEOUT_MS 2000

struct conn {
	const char *name;
	redisAsyncContext *ac;
	bool up;
	unsigned int backoff_ms;
	struct event *retry;   /* reconnect after backoff */
	struct event *timeout; /* a connect that hangs */
};

static struct {
	struct event_base *base;
	char host[CP_IP_MAX];
	int port;
	char url[CP_URL_MAX];
	struct conn cmd, sub;
	bool was_up; /* both connections up and on_up called */
	void (*on_up)(void);
	void (*on_down)(void);
	cp_redis_msg_cb on_msg;
	uint64_t down_since_ns;
	bool stopping;
	char user[128], password[256]; /* AUTH [user] password; "" = no AUTH */
	char auth_error[160];          /* Redis' last refusal, "" once accepted */
	uint64_t auth_failures;
} rd;

static void conn_start(struct conn *c);

static void
arm(struct event *ev, unsigned int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

static void
check_up(void)
{
	bool up = rd.cmd.up && rd.sub.up;

	if (up && !rd.was_up) {
		rd.was_up = true;
		fprintf(stderr, "cascade-cp: redis: connected to %s\n", rd.url);
		if (rd.on_up != NULL)
			rd.on_up();
	} else if (!up && rd.was_up) {
		rd.was_up = false;
		rd.down_since_ns = cascade_now_ns();
		fprintf(stderr,
			"cascade-cp: redis: lost %s; media keeps flowing, calls that need Redis "
			"get 503 until it is back\n",
			rd.url);
		if (rd.on_down != NULL)
			rd.on_down();
	}
}

static void
conn_lost(struct conn *c)
{
	c->ac = NULL;
	c->up = false;
	evtimer_del(c->timeout);
	check_up();
	if (rd.stopping)
		return;
	arm(c->retry, c->backoff_ms);
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static struct conn *
conn_of(const redisAsyncContext *ac)
{
	if (ac == rd.cmd.ac)
		return &rd.cmd;
	if (ac == rd.sub.ac)
		return &rd.sub;
	return NULL; /* an abandoned context */
}

/*
 * The first command of a connection: AUTH [user] password, or PING without a
 * password, so that a Redis that wants one (NOAUTH) is noticed the same way.
 * Fills argv, returns argc.
 */
static int
first_cmd(const char *argv[3])
{
	int n = 0;

	if (rd.password[0] == '\0') {
		argv[n++] = "PING";
		return n;
	}
	argv[n++] = "AUTH";
	if (rd.user[0] != '\0')
		argv[n++] = rd.user;
	argv[n++] = rd.password;
	return n;
}

/* An error Redis gives while it cannot serve yet (loading, a busy script): an outage. */
static bool
is_transient(const char *err)
{
	return strncmp(err, "LOADING", 7) == 0 || strncmp(err, "BUSY", 4) == 0 ||
	       strncmp(err, "MASTERDOWN", 10) == 0;
}

static void
conn_ready(struct conn *c)
{
	evtimer_del(c->timeout);
	c->up = true;
	c->backoff_ms = BACKOFF_MIN_MS;
	check_up();
}

/* Redis' answer to AUTH: up, or refused (kept, logged on change) and dropped to retry. */
static void
on_auth(redisAsyncContext *ac, void *reply, void *priv)
{
	struct conn *c = conn_of(ac);
	redisReply *r = reply;

	(void)priv;
	if (c == NULL || r == NULL)
		return; /* abandoned, or dropped: the disconnect callback retries */
	if (r->type == REDIS_REPLY_ERROR && is_transient(r->str)) {
		redisAsyncDisconnect(ac); /* not ready yet: retried after the backoff */
		return;
	}
	if (r->type != REDIS_REPLY_ERROR) {
		if (rd.auth_error[0] != '\0')
			fprintf(stderr, "cascade-cp: redis: %s accepted the credentials again\n",
				rd.url);
		rd.auth_error[0] = '\0';
		conn_ready(c);
		return;
	}
	rd.auth_failures++;
	if (strncmp(rd.auth_error, r->str, sizeof(rd.auth_error) - 1) != 0) {
		snprintf(rd.auth_error, sizeof(rd.auth_error), "%s", r->str);
		fprintf(stderr,
			"cascade-cp: redis: %s refused the credentials (redis.username, "
			"redis.password_file): %s; retrying\n",
			rd.url, rd.auth_error);
	}
	redisAsyncDisconnect(ac); /* on_disconnect retries after the backoff */
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct conn *c = conn_of(ac);

	if (c == NULL)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback */
		conn_lost(c);
		return;
	}
	/* AUTH (or PING), queued at the start, answers in on_auth; the timeout still runs */
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct conn *c = conn_of(ac);

	(void)status;
	if (c != NULL)
		conn_lost(c);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	redisAsyncContext *ac = c->ac;

	(void)fd, (void)what;
	if (ac == NULL || c->up)
		return;
	c->ac = NULL; /* the callbacks of the freed context find no owner */
	redisAsyncFree(ac);
	conn_lost(c);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	conn_start(arg);
}

static void
on_sub_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;

	(void)ac, (void)priv;
	/* ["message", channel, payload]; subscribe/unsubscribe confirmations are skipped */
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0 ||
	    r->element[1]->type != REDIS_REPLY_STRING || r->element[2]->type != REDIS_REPLY_STRING)
		return;
	if (rd.on_msg != NULL)
		rd.on_msg(r->element[1]->str, r->element[2]->str, r->element[2]->len);
}

static void
conn_start(struct conn *c)
{
	const char *argv[3];
	redisAsyncContext *ac;
	int argc;

	if (rd.stopping)
		return;
	ac = redisAsyncConnect(rd.host, rd.port);
	if (ac == NULL || ac->err) {
		if (ac != NULL)
			redisAsyncFree(ac);
		c->ac = NULL;
		conn_lost(c);
		return;
	}
	c->ac = ac;
	if (redisLibeventAttach(ac, rd.base) != REDIS_OK) {
		c->ac = NULL;
		redisAsyncFree(ac);
		conn_lost(c);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* the first command, sent as soon as the connection is made */
	argc = first_cmd(argv);
	if (redisAsyncCommandArgv(ac, on_auth, NULL, argc, argv, NULL) != REDIS_OK) {
		c->ac = NULL;
		redisAsyncFree(ac);
		conn_lost(c);
		return;
	}
	arm(c->timeout, CONNECT_TIMEOUT_MS);
}

void
cp_redis_set_auth(const char *user, const char *password)
{
	snprintf(rd.user, sizeof(rd.user), "%s", user != NULL ? user : "");
	snprintf(rd.password, sizeof(rd.password), "%s", password != NULL ? password : "");
}

const char *
cp_redis_auth_error(void)
{
	return rd.auth_error[0] != '\0' ? rd.auth_error : NULL;
}

uint64_t
cp_redis_auth_failures(void)
{
	return rd.auth_failures;
}

int
cp_redis_probe(const char *host, uint16_t port, char *why, size_t cap)
{
	struct timeval tv = {CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000};
	redisContext *ctx = redisConnectWithTimeout(host, port, tv);
	const char *argv[3];
	redisReply *r;
	int argc, rc = 0;

	why[0] = '\0';
	if (ctx == NULL || ctx->err) {
		snprintf(why, cap, "%s", ctx != NULL ? ctx->errstr : "out of memory");
		redisFree(ctx);
		return 0; /* unreachable now: the loop keeps trying */
	}
	redisSetTimeout(ctx, tv);
	argc = first_cmd(argv);
	r = redisCommandArgv(ctx, argc, argv, NULL);
	if (r == NULL)
		snprintf(why, cap, "%s", ctx->errstr);
	else if (r->type == REDIS_REPLY_ERROR)
		snprintf(why, cap, "%s", r->str), rc = is_transient(r->str) ? 0 : -EACCES;
	freeReplyObject(r);
	redisFree(ctx);
	return rc;
}

int
cp_redis_init(struct event_base *base, const char *host, uint16_t port, void (*on_up)(void),
	      void (*on_down)(void), cp_redis_msg_cb on_msg)
{
	rd.base = base;
	rd.on_up = on_up;
	rd.on_down = on_down;
	rd.on_msg = on_msg;
	rd.down_since_ns = cascade_now_ns();
	snprintf(rd.host, sizeof(rd.host), "%s", host);
	rd.port = port;
	cp_url_format(rd.url, sizeof(rd.url), "redis", host, port);
	rd.cmd.name = "commands";
	rd.sub.name = "subscriptions";
	rd.cmd.backoff_ms = rd.sub.backoff_ms = BACKOFF_MIN_MS;
	rd.cmd.retry = evtimer_new(base, on_retry, &rd.cmd);
	rd.sub.retry = evtimer_new(base, on_retry, &rd.sub);
	rd.cmd.timeout = evtimer_new(base, on_timeout, &rd.cmd);
	rd.sub.timeout = evtimer_new(base, on_timeout, &rd.sub);
	if (rd.cmd.retry == NULL || rd.sub.retry == NULL || rd.cmd.timeout == NULL ||
	    rd.sub.timeout == NULL)
		return -1;
	conn_start(&rd.cmd);
	conn_start(&rd.sub);
	return 0;
}

static void
conn_fini(struct conn *c)
{
	redisAsyncContext *ac = c->ac;

	c->ac = NULL;
	c->up = false;
	if (ac != NULL)
		redisAsyncFree(ac); /* pending callbacks run with NULL replies */
	if (c->retry != NULL)
		event_free(c->retry);
	if (c->timeout != NULL)
		event_free(c->timeout);
	c->retry = c->timeout = NULL;
}

void
cp_redis_fini(void)
{
	rd.stopping = true;
	conn_fini(&rd.cmd);
	conn_fini(&rd.sub);
}

/* Drop both connections and reconnect (a connection that stopped answering). */
void
cp_redis_reset(void)
{
	struct conn *cs[2] = {&rd.cmd, &rd.sub};
	unsigned int i;

	for (i = 0; i < 2; i++) {
		redisAsyncContext *ac = cs[i]->ac;

		if (ac == NULL)
			continue;
		cs[i]->ac = NULL; /* its callbacks find no owner */
		redisAsyncFree(ac);
		conn_lost(cs[i]);
	}
}

bool
cp_redis_up(void)
{
	return rd.was_up;
}

int
cp_redis_cmdv(cp_redis_cb cb, void *arg, int argc, const char **argv, const size_t *argvlen)
{
	if (!rd.cmd.up || rd.cmd.ac == NULL)
		return -ENOTCONN;
	if (redisAsyncCommandArgv(rd.cmd.ac, (redisCallbackFn *)cb, arg, argc, argv, argvlen) !=
	    REDIS_OK)
		return -EIO;
	return 0;
}

int
cp_redis_cmd(cp_redis_cb cb, void *arg, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (!rd.cmd.up || rd.cmd.ac == NULL)
		return -ENOTCONN;
	va_start(ap, fmt);
	rc = redisvAsyncCommand(rd.cmd.ac, (redisCallbackFn *)cb, arg, fmt, ap);
	va_end(ap);
	return rc == REDIS_OK ? 0 : -EIO;
}

int
cp_redis_subscribe(const char *channel, bool on)
{
	if (!rd.sub.up || rd.sub.ac == NULL)
		return -ENOTCONN;
	if (redisAsyncCommand(rd.sub.ac, on ? on_sub_reply : NULL, NULL,
			      on ? "SUBSCRIBE %s" : "UNSUBSCRIBE %s", channel) != REDIS_OK)
		return -EIO;
	return 0;
}
