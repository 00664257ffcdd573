/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The /v1 HTTP API (libevent's evhttp). Every request is authenticated with the
 * node's bearer token (except /metrics unless configured), routed by method and
 * path, and answered with JSON; every error is {"error":{"code","message"}}
 * with the status from one table. Calls that need the dataplane wait for its
 * reply without blocking the loop: the request is kept and answered from the
 * driver's callback, or with 503 when the dataplane is absent or silent.
 *
 * Connections: the listening socket has the kernel's full backlog, the process
 * raises its descriptor limit to the hard limit at start, idle connections are
 * closed after 30 s, and when descriptors run out anyway the listener pauses
 * for 100 ms (instead of spinning on accept) while open connections go on.
 */
#include <errno.h>
#include <inttypes.h>
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
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "cp.h"
#include "cp_cluster.h"
#include "cp_objects.h"

#define MAX_BODY_BYTES (1024 * 1024)
/* evhttp's own limit is higher, so that bodies between the two get our JSON 413
 * rather than evhttp's HTML one; past it evhttp closes the connection. */
#define HARD_BODY_BYTES (16 * 1024 * 1024)
#define DP_TIMEOUT_MS 1000

#define ACCEPT_PAUSE_MS 100

static struct {
	const struct cp_config *cfg;
	struct evhttp *http;
	uint64_t start_ns;
	struct evconnlistener *listener;
	struct event *resume;  /* re-enables the listener after a descriptor shortage */
	uint64_t last_warn_ns; /* the shortage is logged at most once a second */
	uint64_t shortages;
} h;

static const struct {
	int status;
	const char *code;
} api_errs[] = {
	[CP_API_BAD_REQUEST] = {400, "bad_request"},   [CP_API_UNAUTHORIZED] = {401, "unauthorized"},
	[CP_API_NOT_FOUND] = {404, "not_found"},       [CP_API_METHOD] = {405, "method_not_allowed"},
	[CP_API_CONFLICT] = {409, "conflict"},         [CP_API_TOO_LARGE] = {413, "too_large"},
	[CP_API_UNAVAILABLE] = {503, "unavailable"},   [CP_API_INTERNAL] = {500, "internal"},
};

/* The reason phrase for a status: the error table's code, or "OK". */
static const char *
reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(api_errs) / sizeof(api_errs[0]); i++)
		if (api_errs[i].status == status)
			return api_errs[i].code;
	return "OK";
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
	evhttp_send_reply(req, status, reason(status), buf);
	free(text);
	if (buf != NULL)
		evbuffer_free(buf);
	json_decref(body);
}

void
cp_http_error(struct evhttp_request *req, enum cp_api_err e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cp_http_json(req, api_errs[e].status,
		     json_pack("{s:{s:s,s:s}}", "error", "code", api_errs[e].code, "message", msg));
}

void
cp_http_dp_error(struct evhttp_request *req, int status, const char *message)
{
	switch (-status) {
	case EINVAL:
		cp_http_error(req, CP_API_BAD_REQUEST, "%s", message);
		break;
	case ENOENT:
		cp_http_error(req, CP_API_NOT_FOUND, "%s", message);
		break;
	case EEXIST:
	case EADDRINUSE:
		cp_http_error(req, CP_API_CONFLICT, "%s", message);
		break;
	case ENOSPC:
	case ENOMEM:
		cp_http_error(req, CP_API_UNAVAILABLE, "dataplane full: %s", message);
		break;
	default:
		cp_http_error(req, CP_API_INTERNAL, "dataplane: %s", message);
	}
}

json_t *
cp_http_body(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_error_t err;
	json_t *j;

	if (len > MAX_BODY_BYTES) {
		cp_http_error(req, CP_API_TOO_LARGE, "body over %d bytes", MAX_BODY_BYTES);
		return NULL;
	}
	j = json_loadb((const char *)evbuffer_pullup(in, (ssize_t)len), len,
		       JSON_REJECT_DUPLICATES, &err);
	if (j == NULL) {
		cp_http_error(req, CP_API_BAD_REQUEST, "body is not JSON: %s (at %d)", err.text,
			      err.position);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		cp_http_error(req, CP_API_BAD_REQUEST, "body must be a JSON object");
		return NULL;
	}
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

/* ---- GET /v1/node ------------------------------------------------------------------- */

struct node_call {
	struct evhttp_request *req; /* NULL once the client went away */
};

static json_t *
node_json(const struct cascade_reply *ping)
{
	const struct cp_config *c = h.cfg;
	const struct cascade_seg *seg = cp_dp_seg();
	json_t *ips = json_array(), *dp, *node;
	char api[96], epoch[24];
	unsigned int i;

	for (i = 0; i < c->n_media_ips; i++)
		json_array_append_new(ips, json_string(c->media_ips[i]));
	snprintf(api, sizeof(api), "%s:%u", c->api_host, c->api_port);
	if (seg != NULL && ping != NULL && ping->status == 0) {
		struct cascade_lcore_stats s;
		cascade_seg_lcore_stats(seg, &s);
		snprintf(epoch, sizeof(epoch), "%016" PRIx64, seg->hdr->epoch);
		dp = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:{s:i,s:i,s:i},s:{s:I,s:I,s:I}}", "state",
			       "running", "segment", c->segment, "epoch", epoch, "version",
			       seg->hdr->version, "srtp_backend", seg->hdr->srtp_backend, "workers",
			       (int)seg->hdr->n_lcores, "capacity", "transports",
			       (int)seg->hdr->max_transports, "producers", (int)seg->hdr->max_producers,
			       "consumers", (int)seg->hdr->max_consumers, "packets", "rx",
			       (json_int_t)s.ctr[CASCADE_LC_RX_PKTS], "tx",
			       (json_int_t)s.ctr[CASCADE_LC_TX_PKTS], "dropped",
			       (json_int_t)s.ctr[CASCADE_LC_DROP_PKTS]);
	} else {
		dp = json_pack("{s:s,s:s}", "state",
			       seg == NULL ? "absent" : "not answering", "segment", c->segment);
	}
	node = json_pack("{s:s,s:s,s:I,s:{s:s,s:o,s:[i,i]},s:o}", "id", c->node_id, "version",
			 CASCADE_CP_VERSION, "uptime_s",
			 (json_int_t)((cascade_now_ns() - h.start_ns) / 1000000000ull), "addresses",
			 "api", api, "media", ips, "port_range", (int)c->port_min, (int)c->port_max,
			 "dataplane", dp);
	json_object_set_new(node, "cluster", cp_cluster_node_json());
	return node;
}

static void
on_ping(const struct cascade_reply *r, void *arg)
{
	struct node_call *nc = arg;

	if (nc->req != NULL) {
		cp_http_release(nc->req);
		cp_http_json(nc->req, 200, node_json(r));
	}
	free(nc);
}

static void
get_node(struct evhttp_request *req)
{
	struct node_call *nc;
	struct cascade_cmd cmd;

	if (cp_dp_state() != CP_DP_RUNNING) {
		cp_http_json(req, 200, node_json(NULL));
		return;
	}
	nc = calloc(1, sizeof(*nc));
	if (nc == NULL) {
		cp_http_error(req, CP_API_INTERNAL, "out of memory");
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_PING;
	if (cp_dp_call(&cmd, DP_TIMEOUT_MS, on_ping, nc) < 0) {
		free(nc);
		cp_http_json(req, 200, node_json(NULL));
		return;
	}
	cp_http_hold(req, &nc->req);
}

/* ---- routing ------------------------------------------------------------------------ */

static void
not_allowed(struct evhttp_request *req, const char *path, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	cp_http_error(req, CP_API_METHOD, "%s allows %s only", path, allow);
}

/*
 * Dispatch by method and path segments. Returns 0 when the request was
 * answered (or is pending), -1 when no endpoint has this path.
 */
static int
route(struct evhttp_request *req, enum evhttp_cmd_type method, const char *path)
{
	char buf[512], *seg[6], *save = NULL, *tok;
	int n = 0;

	if (strlen(path) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
		if (n == 6)
			return -1;
		seg[n++] = tok;
	}
	if (n == 1 && strcmp(seg[0], "metrics") == 0) {
		if (method != EVHTTP_REQ_GET)
			not_allowed(req, path, "GET");
		else
			cp_api_metrics(req, h.cfg->node_id);
		return 0;
	}
	if (n < 2 || strcmp(seg[0], "v1") != 0)
		return -1;
	if (n == 2 && strcmp(seg[1], "stats") == 0) {
		if (method != EVHTTP_REQ_GET)
			not_allowed(req, path, "GET");
		else
			cp_api_stats(req);
		return 0;
	}
	if (n == 2 && strcmp(seg[1], "node") == 0) {
		if (method != EVHTTP_REQ_GET)
			not_allowed(req, path, "GET");
		else
			get_node(req);
		return 0;
	}
	if (n == 3 && strcmp(seg[1], "node") == 0 && strcmp(seg[2], "drain") == 0) {
		/* POST drains (no new assignments), DELETE takes the node back */
		if (method != EVHTTP_REQ_POST && method != EVHTTP_REQ_DELETE)
			not_allowed(req, path, "POST, DELETE");
		else
			cp_api_node_drain(req, method == EVHTTP_REQ_POST);
		return 0;
	}
	if (n == 3 && strcmp(seg[1], "cluster") == 0) {
		if (method != EVHTTP_REQ_GET) {
			not_allowed(req, path, "GET");
		} else if (strcmp(seg[2], "nodes") == 0) {
			cp_api_cluster_nodes(req);
		} else if (strcmp(seg[2], "assign") == 0) {
			struct evkeyvalq q;
			const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
			if (query == NULL || evhttp_parse_query_str(query, &q) != 0) {
				cp_api_cluster_assign(req, NULL);
			} else {
				cp_api_cluster_assign(req, evhttp_find_header(&q, "room"));
				evhttp_clear_headers(&q);
			}
		} else {
			return -1;
		}
		return 0;
	}
	if (strcmp(seg[1], "internal") == 0 && n >= 3 && strcmp(seg[2], "pipes") == 0) {
		if (n == 3 && method == EVHTTP_REQ_POST)
			cp_api_internal_pipe_add(req);
		else if (n == 5 && method == EVHTTP_REQ_DELETE)
			cp_api_internal_pipe_del(req, seg[3], seg[4]);
		else
			not_allowed(req, path, n == 3 ? "POST" : "DELETE");
		return 0;
	}
	if (strcmp(seg[1], "rooms") == 0) {
		if (n == 4 && strcmp(seg[3], "events") == 0) {
			if (method != EVHTTP_REQ_GET)
				not_allowed(req, path, "GET");
			else if (!cp_room_name_ok(seg[2]))
				cp_http_error(req, CP_API_BAD_REQUEST,
					      "room: 1 to 64 letters, digits, '-', '_' or '.'");
			else
				cp_api_events(req, seg[2]);
			return 0;
		}
		if (n == 2 || n == 3) {
			if (method != EVHTTP_REQ_GET)
				not_allowed(req, path, "GET");
			else if (n == 2)
				cp_api_rooms_list(req);
			else
				cp_api_room_get(req, seg[2]);
			return 0;
		}
		if (n == 4 && strcmp(seg[3], "transports") == 0) {
			if (method != EVHTTP_REQ_POST)
				not_allowed(req, path, "POST");
			else
				cp_api_transport_create(req, seg[2]);
			return 0;
		}
		return -1;
	}
	if (strcmp(seg[1], "transports") == 0) {
		if (n == 3) {
			if (method != EVHTTP_REQ_DELETE)
				not_allowed(req, path, "DELETE");
			else
				cp_api_transport_delete(req, seg[2]);
			return 0;
		}
		if (n == 4 && strcmp(seg[3], "connect") == 0) {
			if (method != EVHTTP_REQ_POST)
				not_allowed(req, path, "POST");
			else
				cp_api_transport_connect(req, seg[2]);
			return 0;
		}
		if (n == 4 && (strcmp(seg[3], "producers") == 0 || strcmp(seg[3], "consumers") == 0)) {
			if (method != EVHTTP_REQ_POST)
				not_allowed(req, path, "POST");
			else if (seg[3][0] == 'p')
				cp_api_producer_create(req, seg[2]);
			else
				cp_api_consumer_create(req, seg[2]);
			return 0;
		}
		return -1;
	}
	if (strcmp(seg[1], "producers") == 0 || strcmp(seg[1], "consumers") == 0) {
		bool is_producer = seg[1][0] == 'p';

		if (n == 3) {
			if (method != EVHTTP_REQ_DELETE)
				not_allowed(req, path, "DELETE");
			else
				cp_api_media_delete(req, is_producer, seg[2]);
			return 0;
		}
		if (n == 4 && (strcmp(seg[3], "pause") == 0 || strcmp(seg[3], "resume") == 0)) {
			if (method != EVHTTP_REQ_POST)
				not_allowed(req, path, "POST");
			else
				cp_api_media_pause(req, is_producer, seg[2], seg[3][0] == 'p');
			return 0;
		}
	}
	return -1;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	struct evhttp_uri *parsed = evhttp_uri_parse(uri);
	const char *path = parsed != NULL ? evhttp_uri_get_path(parsed) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);

	(void)arg;
	if (path == NULL) {
		cp_http_error(req, CP_API_BAD_REQUEST, "request target is not a valid URI");
		goto out;
	}
	if (strncmp(path, "/v1/internal/", 13) == 0) {
		/* node to node: the cluster secret, never the application's token */
		if (!token_ok(req, h.cfg->cluster_secret)) {
			cp_http_error(req, CP_API_UNAUTHORIZED, "inter-node call without the cluster secret");
			goto out;
		}
	} else if ((strcmp(path, "/metrics") != 0 || h.cfg->metrics_auth) &&
		   !token_ok(req, h.cfg->api_token)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
				  "Bearer");
		cp_http_error(req, CP_API_UNAUTHORIZED, "missing or wrong bearer token");
		goto out;
	}
	if (route(req, method, path) == 0)
		goto out;
	cp_http_error(req, CP_API_NOT_FOUND, "no such endpoint: %s", path);
out:
	if (parsed != NULL)
		evhttp_uri_free(parsed);
}

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
cp_http_init(struct event_base *base, const struct cp_config *cfg, uint64_t start_ns)
{
	struct evhttp_bound_socket *bound;
	int fd;

	h.cfg = cfg;
	h.start_ns = start_ns;
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
}
