/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API's HTTP plumbing. A request is routed first (cp_route.c) and then
 * authenticated with the credential its route names: the application's
 * bearer token, a request signed with the peer key for /v1/internal (cp_sign.h:
 * within the time window, once; the cluster secret itself is never accepted
 * as a credential, since it never crosses the wire), or nothing for /metrics
 * unless api.metrics_auth. Refused inter-node calls are counted by reason and
 * logged at most once a second. A path no route has needs the application's token
 * before it is told 404, so the route table is no secret for strangers either.
 * Every answer is JSON; every error is {"error":{"code","message"}} with the
 * status from one table.
 *
 * Connections: the listening socket has the kernel's full backlog, the process
 * raises its descriptor limit to the hard limit at start, idle connections are
 * closed after 30 s, and when descriptors run out anyway the listener pauses
 * for 100 ms (instead of spinning on accept) while open connections go on.
 *
 * Layer: api.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include <cascade/segment.h>

#include "cp_http.h"
#include "cp_schema.h"
#include "cp_sign.h"

/* evhttp's own limit is higher than the JSON limit, so that bodies between the two get
 * our JSON 413 rather than evhttp's HTML one; past it evhttp closes the connection. */
#define HARD_BODY_BYTES (16 * 1024 * 1024)
#define ACCEPT_PAUSE_MS 100

static struct {
	const struct cp_config *cfg;
	const struct cp_router *router;
	struct evhttp *http;
	struct evconnlistener *listener;
	struct event *resume;  /* re-enables the listener after a descriptor shortage */
	uint64_t last_warn_ns; /* the shortage is logged at most once a second */
	uint64_t shortages;
	struct cp_sign_key peer_key;     /* inter-node requests are signed with it */
	struct cp_sign_replay *replay;   /* the signatures seen lately */
	uint64_t peer_refused[CP_PEER_AUTH_MAX];
	uint64_t peer_logged_ns;
} h;

/* The error table: -errno -> status and stable code. */
static const struct {
	int err, status;
	const char *code;
} errs[] = {
	{EINVAL, 400, "bad_request"},    {EACCES, 401, "unauthorized"},
	{ENOENT, 404, "not_found"},      {EOPNOTSUPP, 405, "method_not_allowed"},
	{EBUSY, 409, "conflict"},        {EEXIST, 409, "conflict"},
	{EADDRINUSE, 409, "conflict"},   {EMSGSIZE, 413, "too_large"},
	{ENOTCONN, 503, "unavailable"},  {ETIMEDOUT, 503, "unavailable"},
	{ENOSPC, 503, "unavailable"},    {EAGAIN, 503, "unavailable"},
	{ENOBUFS, 503, "unavailable"},
};

int
cp_http_status(int code)
{
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].err == -code)
			return errs[i].status;
	return 500;
}

/* The stable code for a status (the error table's, "internal" for 500, "OK" otherwise). */
static const char *
status_code(int status)
{
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].status == status)
			return errs[i].code;
	return status == 500 ? "internal" : "OK";
}

void
cp_http_json(struct evhttp_request *req, int status, json_t *body)
{
	struct evbuffer *buf = evbuffer_new();
	char *text = json_dumps(body, JSON_COMPACT);

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	if (buf != NULL && text != NULL) {
		evbuffer_add(buf, text, strlen(text));
		evbuffer_add(buf, "\n", 1);
	}
	evhttp_send_reply(req, status, status_code(status), buf);
	free(text);
	if (buf != NULL)
		evbuffer_free(buf);
	json_decref(body);
}

static void
fail_status(struct evhttp_request *req, int status, const char *msg)
{
	cp_http_json(req, status,
		     json_pack("{s:{s:s,s:s}}", "error", "code", status_code(status), "message", msg));
}

void
cp_http_fail(struct evhttp_request *req, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_status(req, cp_http_status(code), msg);
}

void
cp_http_fail_err(struct evhttp_request *req, const struct cp_err *err)
{
	fail_status(req, cp_http_status(err->code), err->msg);
}

json_t *
cp_http_body(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct cp_err err;
	json_t *j;

	if (len > CP_SCHEMA_MAX_BYTES) {
		cp_http_fail(req, -EMSGSIZE, "body over %d bytes", CP_SCHEMA_MAX_BYTES);
		return NULL;
	}
	j = cp_schema_load((const char *)evbuffer_pullup(in, (ssize_t)len), len, "body", &err);
	if (j == NULL)
		cp_http_fail_err(req, &err);
	return j;
}

static void
on_hold_close(struct evhttp_connection *conn, void *arg)
{
	struct evhttp_request **slot = arg;

	(void)conn;
	*slot = NULL;
}

void
cp_http_hold(struct evhttp_request *req, struct evhttp_request **slot)
{
	*slot = req;
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_hold_close, slot);
}

void
cp_http_release(struct evhttp_request *req)
{
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
}

/* ---- authentication ------------------------------------------------------------------------ */

/* Constant-time comparison, so the token cannot be guessed byte by byte. */
static bool
token_ok(struct evhttp_request *req, const char *want)
{
	const char *auth =
		evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	size_t n, i;
	unsigned char diff = 0;

	if (want[0] == '\0' || auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
		return false;
	auth += 7;
	n = strlen(want);
	if (strlen(auth) != n)
		return false;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(auth[i] ^ want[i]);
	return diff == 0;
}

const char *
cp_http_peer_refusal_name(enum cp_peer_auth_refusal r)
{
	static const char *const names[] = {
#define X(e, name) [CP_PEER_AUTH_##e] = name,
		CP_PEER_AUTH_REFUSALS(X)
#undef X
	};

	return r < CP_PEER_AUTH_MAX ? names[r] : "?";
}

uint64_t
cp_http_peer_refused(enum cp_peer_auth_refusal r)
{
	return r < CP_PEER_AUTH_MAX ? h.peer_refused[r] : 0;
}

static void
peer_refuse(struct evhttp_request *req, enum cp_peer_auth_refusal r, const struct cp_err *err)
{
	h.peer_refused[r]++;
	/* anyone who reaches the port decides how often: at most one line a second */
	if (cp_err_log_now(&h.peer_logged_ns))
		fprintf(stderr, "cascade-cp: api: refused an inter-node call (%s): %s (%" PRIu64
				" for this reason so far)\n",
			cp_http_peer_refusal_name(r), err->msg, h.peer_refused[r]);
	cp_http_fail_err(req, err);
}

/*
 * A node's request: signed with the peer key by the node it names, for this
 * node, method, path (the request target as sent), body and a time within
 * the window, and not seen before.
 */
static bool
peer_ok(struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(body);
	struct cp_sign_peer p;
	struct cp_err err = {0};
	int64_t now = cp_sign_now_ms();
	const char *node = evhttp_find_header(in, CP_SIGN_HDR_NODE);
	const char *time = evhttp_find_header(in, CP_SIGN_HDR_TIME);
	const char *sig = evhttp_find_header(in, CP_SIGN_HDR_SIG);
	int rc;

	if (h.cfg->cluster_secret[0] == '\0' || h.replay == NULL) {
		cp_err_set(&err, -EACCES, "this node is not in a cluster");
		peer_refuse(req, CP_PEER_AUTH_MISSING, &err);
		return false;
	}
	if (cp_sign_peer_parse(node, time, sig, &p, &err) < 0) {
		peer_refuse(req, node == NULL && time == NULL && sig == NULL ? CP_PEER_AUTH_MISSING
									 : CP_PEER_AUTH_MALFORMED,
			    &err);
		return false;
	}
	rc = cp_sign_peer_check(&h.peer_key, &p, h.cfg->node_id,
				cp_method_name(evhttp_request_get_command(req)),
				evhttp_request_get_uri(req),
				len > 0 ? evbuffer_pullup(body, (ssize_t)len) : NULL, len, now, &err);
	if (rc < 0) {
		err.code = -EACCES;
		peer_refuse(req, rc == -ESTALE ? CP_PEER_AUTH_STALE : CP_PEER_AUTH_SIGNATURE, &err);
		return false;
	}
	if (cp_sign_replay_seen(h.replay, p.mac, now)) {
		cp_err_set(&err, -EACCES, "inter-node call already seen (a replay)");
		peer_refuse(req, CP_PEER_AUTH_REPLAY, &err);
		return false;
	}
	return true;
}

/* Whether req carries what auth needs; answers 401 when it does not. */
static bool
authenticated(struct evhttp_request *req, enum cp_auth auth)
{
	if (auth == CP_AUTH_PEER)
		return peer_ok(req); /* node to node: never the application's token */
	if ((auth == CP_AUTH_METRICS && !h.cfg->metrics_auth) || token_ok(req, h.cfg->api_token))
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
	cp_http_fail(req, -EACCES, "missing or wrong bearer token");
	return false;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct evhttp_uri *parsed = evhttp_uri_parse(evhttp_request_get_uri(req));
	const char *path = parsed != NULL ? evhttp_uri_get_path(parsed) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct cp_route *route;
	struct cp_args *args = NULL;
	char allow[64];

	(void)arg;
	if (path == NULL) {
		cp_http_fail(req, -EINVAL, "request target is not a valid URI");
		goto out;
	}
	args = malloc(sizeof(*args));
	if (args == NULL) {
		cp_http_fail(req, -ENOMEM, "out of memory");
		goto out;
	}
	switch (cp_router_match(h.router, method, path, &route, args, allow, sizeof(allow))) {
	case CP_MATCH_OK:
		if (authenticated(req, route->auth))
			route->handler(req, args);
		break;
	case CP_MATCH_NO_METHOD:
		if (!authenticated(req, route->auth))
			break;
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
		cp_http_fail(req, -EOPNOTSUPP, "%s allows %s only", path, allow);
		break;
	case CP_MATCH_NO_PATH:
		if (authenticated(req, CP_AUTH_APP))
			cp_http_fail(req, -ENOENT, "no such endpoint: %s", path);
		break;
	}
out:
	free(args);
	if (parsed != NULL)
		evhttp_uri_free(parsed);
}

/* ---- the listener --------------------------------------------------------------------------- */

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	evconnlistener_enable(h.listener);
}

/* accept() failed for a reason other than a retriable one: usually EMFILE/ENFILE. */
static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};
	int err = EVUTIL_SOCKET_ERROR();
	uint64_t now = cascade_now_ns();

	(void)arg;
	h.shortages++;
	if (now - h.last_warn_ns > 1000000000ull) {
		fprintf(stderr, "cascade-cp: api: accept: %s; not accepting for %d ms (%" PRIu64
				" times so far)\n",
			strerror(err), ACCEPT_PAUSE_MS, h.shortages);
		h.last_warn_ns = now;
	}
	evconnlistener_disable(l);
	evtimer_add(h.resume, &tv);
}

/* Every connection is a descriptor: take what the hard limit allows. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fprintf(stderr, "cascade-cp: cannot raise the descriptor limit: %s\n",
				strerror(errno));
	}
}

static int
listen_socket(const char *host, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else {
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
cp_http_init(struct event_base *base, const struct cp_config *cfg, const struct cp_router *router)
{
	struct evhttp_bound_socket *bound;
	int fd;

	h.cfg = cfg;
	h.router = router;
	if (cfg->cluster_secret[0] != '\0') {
		h.replay = calloc(1, sizeof(*h.replay));
		if (h.replay == NULL || cp_sign_derive(cfg->cluster_secret, CP_SIGN_PEERS, &h.peer_key) < 0) {
			fprintf(stderr, "cascade-cp: api: cannot derive the peer key\n");
			return -1;
		}
	}
	raise_fd_limit();
	h.http = evhttp_new(base);
	h.resume = evtimer_new(base, on_resume, NULL);
	if (h.http == NULL || h.resume == NULL)
		return -1;
	evhttp_set_max_body_size(h.http, HARD_BODY_BYTES);
	evhttp_set_max_headers_size(h.http, 16 * 1024);
	evhttp_set_timeout(h.http, 30);
	evhttp_set_allowed_methods(h.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(h.http, on_request, NULL);
	fd = listen_socket(cfg->api_host, cfg->api_port);
	if (fd < 0) {
		fprintf(stderr, "cascade-cp: api.listen: cannot listen on %s:%u: %s\n", cfg->api_host,
			cfg->api_port, strerror(errno));
		return -1;
	}
	bound = evhttp_accept_socket_with_handle(h.http, fd);
	if (bound == NULL) {
		close(fd);
		return -1;
	}
	h.listener = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(h.listener, on_accept_error);
	return 0;
}

void
cp_http_fini(void)
{
	if (h.http != NULL)
		evhttp_free(h.http);
	if (h.resume != NULL)
		event_free(h.resume);
	h.http = NULL;
	h.resume = NULL;
	h.listener = NULL;
	free(h.replay);
	h.replay = NULL;
	explicit_bzero(&h.peer_key, sizeof(h.peer_key));
}
