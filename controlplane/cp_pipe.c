/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipes between nodes (DESIGN.md §4, step 4). Every node has one pipe
 * transport in its dataplane, on media_ips[0]:cluster.pipe_port, which takes
 * RTP and RTCP from any node and sends to any node: each pipe consumer carries
 * its own destination (the far node's pipe address).
 *
 * Node B piping producer P from node A: B looks P up in the room's Redis hash,
 * picks a pipe SSRC that is unique among the producers of its own pipe
 * transport (so streams from every node can share B's port), installs the
 * pipe producer (same id, A's rtpParameters with that SSRC), then asks A
 * (POST /v1/internal/pipes, cluster secret) to add a consumer of P on A's pipe
 * transport towards B's pipe address with that SSRC. A answers once its
 * dataplane has it: media flows, and B's consume call goes on. Concurrent
 * calls for the same P on B wait for the one pipe being made. When the last
 * consumer of a pipe producer on B goes, B removes it and tells A to remove
 * its end. A's producer close reaches B on the room channel; a dead node's
 * pipes go when the cluster watch declares it dead.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cascade_srtp.h"
#include "cp.h"
#include "cp_cluster.h"
#include "cp_map.h"
#include "cp_objects.h"

#define DP_TIMEOUT_MS 2000
#define PEER_TIMEOUT_S 3

struct waiter {
	cp_pipe_cb cb;
	void *arg;
	struct waiter *next;
};

/* A pipe being made on this node (the B side), by producer id. */
struct ensure {
	char id[40];
	char room[CP_NAME_MAX + 1];
	struct waiter *waiters;
	struct cp_producer *p; /* built, installed in the dataplane, not yet in the registry */
	uint8_t key[CASCADE_SRTP_MASTER_MAX]; /* SRTP pipes: the stream's key, until sent */
};

struct peer_conn {
	char key[CP_ID_MAX + 96]; /* node id + api address: a node moving is a new connection */
	struct evhttp_connection *conn;
};

static struct {
	struct event_base *base;
	const struct cp_config *cfg;
	struct cp_map pending; /* id -> struct ensure */
	struct cp_map conns;   /* key -> struct peer_conn */
	bool making_transport;
} pp;

/* ---- calls to other nodes ----------------------------------------------------------------- */

typedef void (*peer_cb)(int status, json_t *body, void *arg);

struct peer_call {
	peer_cb cb;
	void *arg;
};

static void
on_peer_reply(struct evhttp_request *req, void *arg)
{
	struct peer_call *pc = arg;
	int status = req != NULL ? evhttp_request_get_response_code(req) : 0;
	json_t *body = NULL;

	if (req != NULL && status != 0) {
		struct evbuffer *b = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(b);
		const char *data = (const char *)evbuffer_pullup(b, (ssize_t)n);
		body = data != NULL ? json_loadb(data, n, 0, NULL) : NULL;
	}
	pc->cb(status, body, pc->arg);
	json_decref(body);
	free(pc);
}

static struct evhttp_connection *
peer_conn(const char *node, const char *api)
{
	char key[sizeof(((struct peer_conn *)0)->key)], host[64];
	struct peer_conn *c;
	unsigned int port;

	snprintf(key, sizeof(key), "%s %s", node, api);
	c = cp_map_get(&pp.conns, key);
	if (c != NULL)
		return c->conn;
	if (sscanf(api, "http://%63[^:/]:%u", host, &port) != 2 || port == 0 || port > 65535)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->conn = evhttp_connection_base_new(pp.base, NULL, host, (uint16_t)port);
	if (c->conn == NULL || cp_map_put(&pp.conns, c->key, c) < 0) {
		if (c->conn != NULL)
			evhttp_connection_free(c->conn);
		free(c);
		return NULL;
	}
	evhttp_connection_set_timeout(c->conn, PEER_TIMEOUT_S);
	/* a kept-alive connection the peer closed meanwhile fails at once: try again on a
	 * new one (the inter-node calls are idempotent) */
	evhttp_connection_set_retries(c->conn, 2);
	return c->conn;
}

/* Call node's inter-node API. 0, or -1 when the node is unknown or unreachable now. */
static int
peer_call(const char *node, enum evhttp_cmd_type method, const char *path, json_t *body,
	  peer_cb cb, void *arg)
{
	json_t *rec = cp_cluster_node(node);
	const char *a = rec != NULL ? json_string_value(json_object_get(rec, "api")) : NULL;
	struct evhttp_connection *conn;
	struct peer_call *pc;
	struct evhttp_request *req;
	struct evkeyvalq *h;
	char auth[300], hostport[96], api[96];
	char *s;

	snprintf(api, sizeof(api), "%s", a != NULL ? a : "");
	json_decref(rec);
	if (strncmp(api, "http://", 7) != 0)
		return -1;
	conn = peer_conn(node, api);
	if (conn == NULL || (pc = calloc(1, sizeof(*pc))) == NULL)
		return -1;
	pc->cb = cb;
	pc->arg = arg;
	req = evhttp_request_new(on_peer_reply, pc);
	if (req == NULL) {
		free(pc);
		return -1;
	}
	h = evhttp_request_get_output_headers(req);
	snprintf(auth, sizeof(auth), "Bearer %s", pp.cfg->cluster_secret);
	snprintf(hostport, sizeof(hostport), "%s", api + strlen("http://"));
	evhttp_add_header(h, "Host", hostport);
	evhttp_add_header(h, "Authorization", auth);
	if (body != NULL) {
		s = json_dumps(body, JSON_COMPACT);
		evhttp_add_header(h, "Content-Type", "application/json");
		if (s != NULL)
			evbuffer_add(evhttp_request_get_output_buffer(req), s, strlen(s));
		free(s);
	}
	/* a connection that fails calls back with NULL (status 0), like a peer that is down */
	(void)evhttp_make_request(conn, req, method, path);
	return 0;
}

/* ---- the pipe transport ------------------------------------------------------------------- */

struct transport_call {
	struct cp_transport *t;
};

static void
on_transport(const struct cascade_reply *rep, void *arg)
{
	struct transport_call *tc = arg;

	pp.making_transport = false;
	if (rep != NULL && rep->status == 0) {
		tc->t->slot = rep->slot;
		if (cp_transport_add_pipe(tc->t) == 0) {
			fprintf(stderr, "cascade-cp: pipes: transport on %s:%u (%s)\n", tc->t->ip,
				tc->t->port,
				tc->t->srtp_suite == CASCADE_SUITE_NONE
					? "plain RTP"
					: cp_suite_name(tc->t->srtp_suite));
			free(tc);
			return;
		}
	}
	fprintf(stderr, "cascade-cp: pipes: cannot install the pipe transport on %s:%u: %s\n",
		tc->t->ip, tc->t->port,
		rep == NULL ? "dataplane did not answer" : rep->message);
	free(tc->t);
	free(tc);
}

void
cp_pipe_on_attach(void)
{
	struct transport_call *tc;
	struct cascade_cmd cmd;
	struct cp_transport *t;

	t = cp_pipe_transport();
	if (t != NULL && t->srtp_suite != pp.cfg->pipe_srtp)
		/* the dataplane kept the pipe transport across a control-plane restart */
		fprintf(stderr,
			"cascade-cp: pipes: cluster.pipe_srtp says %s, the running pipe transport "
			"has %s: it keeps that until the dataplane restarts\n",
			cp_suite_name(pp.cfg->pipe_srtp), cp_suite_name(t->srtp_suite));
	if (!cp_cluster_enabled() || t != NULL || pp.making_transport)
		return;
	t = calloc(1, sizeof(*t));
	tc = calloc(1, sizeof(*tc));
	if (t == NULL || tc == NULL) {
		free(t);
		free(tc);
		return;
	}
	snprintf(t->id, sizeof(t->id), "pipe-%.34s", pp.cfg->node_id);
	snprintf(t->ip, sizeof(t->ip), "%s", pp.cfg->media_ips[0]);
	t->port = pp.cfg->pipe_port;
	t->rtcp_mux = true;
	t->pipe = true;
	t->dp_id = cp_next_dp_id();
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_TRANSPORT_ADD;
	cmd.u.transport.obj_id = t->dp_id;
	cmd.u.transport.flags = CASCADE_TRANSPORT_PIPE | CASCADE_TRANSPORT_RTCP_MUX;
	cmd.u.transport.srtp_suite = t->srtp_suite = pp.cfg->pipe_srtp;
	t->family = cp_addr_make(&cmd.u.transport.local, t->ip, t->port);
	tc->t = t;
	if (cp_dp_call(&cmd, DP_TIMEOUT_MS, on_transport, tc) < 0) {
		free(t);
		free(tc);
		return;
	}
	pp.making_transport = true;
}

/* ---- B: making a pipe --------------------------------------------------------------------- */

static void
finish(struct ensure *e, struct cp_producer *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
finish(struct ensure *e, struct cp_producer *p, int err, const char *fmt, ...)
{
	struct waiter *w = e->waiters, *next;
	char msg[300] = "";
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	cp_map_del(&pp.pending, e->id);
	explicit_bzero(e, sizeof(*e));
	free(e);
	for (; w != NULL; w = next) {
		next = w->next;
		w->cb(p, err, msg, w->arg);
		free(w);
	}
}

static void
on_dp_del(const struct cascade_reply *rep, void *arg)
{
	(void)arg;
	if (rep == NULL || (rep->status != 0 && rep->status != -ENOENT))
		fprintf(stderr, "cascade-cp: pipes: dataplane kept an object it was asked to delete: "
				"%s (the next reconciliation removes it)\n",
			rep == NULL ? "no answer" : rep->message);
}

/* Delete an object the registry never held; the answer only matters for the log. */
static void
dp_del(uint16_t type, uint64_t dp_id)
{
	struct cascade_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = type;
	cmd.u.obj.obj_id = dp_id;
	cp_dp_call(&cmd, DP_TIMEOUT_MS, on_dp_del, NULL);
}

static void
on_far_end(int status, json_t *body, void *arg)
{
	struct ensure *e = arg;
	struct cp_producer *p = e->p;
	const char *msg = json_string_value(json_object_get(json_object_get(body, "error"), "message"));

	if (status == 200) {
		if (cp_media_add_producer(p) == 0) {
			fprintf(stderr, "cascade-cp: pipes: %s from node %s in (ssrc %08x)\n", p->id,
				p->node, p->ssrc);
			finish(e, p, 0, NULL);
			return;
		}
		status = 500;
		msg = "out of memory";
	}
	/* the far end refused or did not answer: take ours back */
	dp_del(CASCADE_CMD_PRODUCER_DEL, p->dp_id);
	if (status == 404)
		finish(e, NULL, -ENOENT, "producer %s: node %s no longer has it", p->id, p->node);
	else
		finish(e, NULL, -ENOTCONN, "producer %s: node %s %s%s", p->id, p->node,
		       status == 0 ? "did not answer" : "refused the pipe: ",
		       status == 0 ? "" : (msg != NULL ? msg : "error"));
	cp_producer_free(p);
}

/* ---- SRTP pipes ------------------------------------------------------------------------------- */

/*
 * Give a pipe stream its key in the dataplane (CASCADE_CMD_PIPE_SRTP): kind
 * says whether dp_id is the pipe producer (B, inbound) or the pipe consumer
 * (A, outbound). The command is wiped here; the dataplane wipes its ring slot.
 */
static int
send_key(uint8_t kind, uint64_t dp_id, uint8_t suite, const uint8_t *key, cp_dp_cb cb, void *arg)
{
	struct cascade_cmd cmd;
	int rc;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_PIPE_SRTP;
	cmd.u.pipe_srtp.obj_id = dp_id;
	cmd.u.pipe_srtp.kind = kind;
	cmd.u.pipe_srtp.suite = suite;
	memcpy(cmd.u.pipe_srtp.master, key, cascade_srtp_master_bytes(suite));
	rc = cp_dp_call(&cmd, DP_TIMEOUT_MS, cb, arg);
	explicit_bzero(&cmd, sizeof(cmd));
	return rc;
}

/* ---- B: making a pipe (continued) --------------------------------------------------------------- */

/* Ask the source node for its end; with SRTP pipes the request carries the stream's key. */
static void
call_far_end(struct ensure *e)
{
	struct cp_producer *p = e->p;
	uint8_t suite = p->t->srtp_suite;
	char b64[CASCADE_SRTP_KEY_BASE64_MAX + 1];
	json_t *body;

	body = json_pack("{s:s,s:s,s:s,s:i,s:I}", "producerId", p->id, "node", pp.cfg->node_id,
			 "ip", pp.cfg->media_ips[0], "port", (int)pp.cfg->pipe_port, "ssrc",
			 (json_int_t)p->ssrc);
	if (body != NULL && suite != CASCADE_SUITE_NONE &&
	    cascade_srtp_key_to_base64(e->key, cascade_srtp_master_bytes(suite), b64, sizeof(b64)) >
		    0)
		json_object_set_new(body, "srtp",
				    json_pack("{s:s,s:s}", "cryptoSuite", cp_suite_name(suite),
					      "keyBase64", b64));
	explicit_bzero(b64, sizeof(b64));
	explicit_bzero(e->key, sizeof(e->key));
	if (body == NULL ||
	    peer_call(p->node, EVHTTP_REQ_POST, "/v1/internal/pipes", body, on_far_end, e) < 0)
		on_far_end(0, NULL, e);
	json_decref(body);
}

static void
on_producer_key(const struct cascade_reply *rep, void *arg)
{
	struct ensure *e = arg;
	struct cp_producer *p = e->p;

	if (rep == NULL || rep->status != 0) {
		dp_del(CASCADE_CMD_PRODUCER_DEL, p->dp_id);
		finish(e, NULL, -ENOTCONN, "pipe producer %s: SRTP key: dataplane: %s", p->id,
		       rep == NULL ? "did not answer" : rep->message);
		cp_producer_free(p);
		return;
	}
	call_far_end(e);
}

static void
on_pipe_producer(const struct cascade_reply *rep, void *arg)
{
	struct ensure *e = arg;
	struct cp_producer *p = e->p;
	uint8_t suite = p->t->srtp_suite;

	if (rep == NULL || rep->status != 0) {
		finish(e, NULL, -ENOTCONN, "pipe producer %s: dataplane: %s", p->id,
		       rep == NULL ? "did not answer" : rep->message);
		cp_producer_free(p);
		return;
	}
	p->slot = rep->slot;
	if (suite == CASCADE_SUITE_NONE) {
		call_far_end(e);
		return;
	}
	/* a fresh key for this stream alone: a pipe made again never reuses one */
	if (cascade_srtp_key_generate((enum cascade_srtp_suite)(suite - 1), e->key,
				      sizeof(e->key)) < 0 ||
	    send_key(CASCADE_PIPE_SRTP_PRODUCER, p->dp_id, suite, e->key, on_producer_key, e) < 0) {
		dp_del(CASCADE_CMD_PRODUCER_DEL, p->dp_id);
		finish(e, NULL, -ENOTCONN, "pipe producer %s: cannot set its SRTP key", p->id);
		cp_producer_free(p);
	}
}

/* A copy of rtpParameters whose first encoding has ssrc (a pipe stream's). */
static json_t *
rtp_with_ssrc(json_t *rtp, uint32_t ssrc)
{
	json_t *copy = json_deep_copy(rtp);
	json_t *enc = json_array_get(json_object_get(copy, "encodings"), 0);

	if (enc != NULL)
		json_object_set_new(enc, "ssrc", json_integer(ssrc));
	return copy;
}

struct ssrc_walk {
	const struct cp_transport *t;
	uint32_t ssrc;
	bool taken;
};

static void
ssrc_check(const struct cp_producer *p, void *arg)
{
	struct ssrc_walk *w = arg;

	if (p->t == w->t && p->ssrc == w->ssrc)
		w->taken = true;
}

/* A pipe SSRC no producer of this node's pipe transport has (pending ones included). */
static uint32_t
pipe_ssrc(const struct cp_transport *t)
{
	struct ssrc_walk w = {.t = t};

	do {
		if (getrandom(&w.ssrc, sizeof(w.ssrc), 0) != (ssize_t)sizeof(w.ssrc))
			w.ssrc = (uint32_t)cascade_now_ns();
		w.taken = w.ssrc == 0;
		cp_producers_each(ssrc_check, &w);
	} while (w.taken);
	return w.ssrc;
}

static void
on_found(json_t *rec, int err, void *arg)
{
	struct ensure *e = arg;
	struct cp_transport *t = cp_pipe_transport();
	struct cp_producer *p;
	struct cascade_cmd cmd;
	const char *node, *kind;
	json_t *rtp, *codec0;
	json_int_t rate;
	int paused = 0;

	if (rec == NULL) {
		if (err == -ENOENT)
			finish(e, NULL, -ENOENT, "producer %s not found in room %s on any node", e->id,
			       e->room);
		else
			finish(e, NULL, -ENOTCONN, "redis unreachable: cannot find producer %s", e->id);
		return;
	}
	if (json_unpack(rec, "{s:s,s:s,s:o,s?b}", "node", &node, "kind", &kind, "rtpParameters",
			&rtp, "paused", &paused) < 0 ||
	    strlen(node) >= CP_ID_MAX || strcmp(node, pp.cfg->node_id) == 0 ||
	    (codec0 = json_array_get(json_object_get(rtp, "codecs"), 0)) == NULL ||
	    (rate = json_integer_value(json_object_get(codec0, "clockRate"))) <= 0 ||
	    (strcmp(kind, "audio") != 0 && strcmp(kind, "video") != 0) ||
	    !json_is_array(json_object_get(rtp, "encodings"))) {
		json_decref(rec);
		finish(e, NULL, -ENOENT, "producer %s: its cluster record is not usable", e->id);
		return;
	}
	if (t == NULL || cp_dp_state() != CP_DP_RUNNING) {
		json_decref(rec);
		finish(e, NULL, -ENOTCONN, "dataplane not running (no pipe transport)");
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		json_decref(rec);
		finish(e, NULL, -ENOMEM, "out of memory");
		return;
	}
	snprintf(p->id, sizeof(p->id), "%s", e->id);
	snprintf(p->room, sizeof(p->room), "%s", e->room);
	snprintf(p->node, sizeof(p->node), "%s", node);
	p->pipe = true;
	p->t = t;
	p->kind = kind[0] == 'a' ? CASCADE_KIND_AUDIO : CASCADE_KIND_VIDEO;
	p->clock_rate = (uint32_t)rate;
	p->paused = paused;
	p->ssrc = pipe_ssrc(t);
	p->dp_id = cp_next_dp_id();
	p->slot = UINT32_MAX;
	/* the source's parameters, as the far end will send them: with the pipe SSRC */
	p->rtp = rtp_with_ssrc(rtp, p->ssrc);
	json_decref(rec);
	e->p = p;
	cp_producer_add_cmd(p, &cmd);
	if (cp_dp_call(&cmd, DP_TIMEOUT_MS, on_pipe_producer, e) < 0) {
		e->p = NULL;
		cp_producer_free(p);
		finish(e, NULL, -ENOTCONN, "dataplane not running");
	}
}

void
cp_pipe_ensure(const char *room, const char *id, cp_pipe_cb cb, void *arg)
{
	struct cp_producer *p = cp_producer_get(id);
	struct ensure *e;
	struct waiter *w;

	if (p != NULL && p->pipe) {
		if (p->busy)
			cb(NULL, -EAGAIN, "the pipe of this producer is closing; try again", arg);
		else if (strcmp(p->room, room) != 0)
			cb(NULL, -ENOENT, "producer is in another room", arg);
		else
			cb(p, 0, "", arg);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		cb(NULL, -ENOMEM, "out of memory", arg);
		return;
	}
	w->cb = cb;
	w->arg = arg;
	e = cp_map_get(&pp.pending, id);
	if (e != NULL) {
		/* another call is making this pipe: wait for it (one pipe stream, not two) */
		if (strcmp(e->room, room) != 0) {
			free(w);
			cb(NULL, -ENOENT, "producer is in another room", arg);
			return;
		}
		w->next = e->waiters;
		e->waiters = w;
		return;
	}
	if (!cp_cluster_ready()) {
		free(w);
		cb(NULL, -ENOTCONN, "redis unreachable: producers of other nodes cannot be found",
		   arg);
		return;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		free(w);
		cb(NULL, -ENOMEM, "out of memory", arg);
		return;
	}
	snprintf(e->id, sizeof(e->id), "%s", id);
	snprintf(e->room, sizeof(e->room), "%s", room);
	e->waiters = w;
	if (cp_map_put(&pp.pending, e->id, e) < 0) {
		free(e);
		free(w);
		cb(NULL, -ENOMEM, "out of memory", arg);
		return;
	}
	cp_cluster_find_producer(room, id, on_found, e);
}

/* ---- B: closing a pipe ----------------------------------------------------------------------- */

struct close_call {
	char id[40];
	char node[CP_ID_MAX];
	bool tell_source; /* the source still has its end: ask it to remove it */
};

static void
on_far_end_gone(int status, json_t *body, void *arg)
{
	(void)status, (void)body, (void)arg;
}

static void
on_pipe_producer_gone(const struct cascade_reply *rep, void *arg)
{
	struct close_call *cc = arg;
	struct cp_producer *p = cp_producer_get(cc->id);
	char path[160];

	if (p != NULL && p->pipe) {
		if (rep != NULL && (rep->status == 0 || rep->status == -ENOENT))
			cp_media_forget_producer(p); /* its consumers went with it */
		else
			p->busy = false;
	}
	if (cc->tell_source) {
		snprintf(path, sizeof(path), "/v1/internal/pipes/%s/%s", cc->id, pp.cfg->node_id);
		peer_call(cc->node, EVHTTP_REQ_DELETE, path, NULL, on_far_end_gone, NULL);
	}
	free(cc);
}

static void
close_pipe_producer(struct cp_producer *p, bool tell_source)
{
	struct close_call *cc;
	struct cascade_cmd cmd;

	if (p->busy)
		return;
	cc = calloc(1, sizeof(*cc));
	if (cc == NULL)
		return;
	snprintf(cc->id, sizeof(cc->id), "%s", p->id);
	snprintf(cc->node, sizeof(cc->node), "%s", p->node);
	cc->tell_source = tell_source;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_PRODUCER_DEL;
	cmd.u.obj.obj_id = p->dp_id;
	if (cp_dp_call(&cmd, DP_TIMEOUT_MS, on_pipe_producer_gone, cc) < 0) {
		free(cc);
		return;
	}
	p->busy = true;
}

struct idle_check {
	struct event *ev;
	char id[40];
};

static void
on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct idle_check *ic = arg;
	struct cp_producer *p = cp_producer_get(ic->id);

	(void)fd, (void)what;
	/* still unwanted (no consumer came meanwhile): the pipe goes, quietly */
	if (p != NULL && p->pipe && p->n_consumers == 0 && p->n_pending == 0 && !p->busy) {
		p->quiet = true;
		close_pipe_producer(p, true);
	}
	event_free(ic->ev);
	free(ic);
}

void
cp_pipe_idle(struct cp_producer *p)
{
	struct timeval now = {0, 0};
	struct idle_check *ic = calloc(1, sizeof(*ic));

	if (ic == NULL)
		return;
	snprintf(ic->id, sizeof(ic->id), "%s", p->id);
	ic->ev = evtimer_new(pp.base, on_idle, ic);
	if (ic->ev == NULL) {
		free(ic);
		return;
	}
	evtimer_add(ic->ev, &now);
}

bool
cp_pipe_producer_closed(const char *id, const char *node)
{
	struct cp_producer *p = cp_producer_get(id);

	if (p == NULL || !p->pipe || strcmp(p->node, node) != 0)
		return false;
	close_pipe_producer(p, false); /* the source closed it (no-op when already closing) */
	return true;
}

void
cp_pipe_producer_paused(const char *id, bool paused)
{
	struct cp_producer *p = cp_producer_get(id);

	if (p != NULL && p->pipe && p->paused != paused) {
		p->paused = paused;
		cp_state_dirty();
	}
}

/* ---- A: the far end of a pipe ---------------------------------------------------------------- */

struct consumer_walk {
	const char *producer, *node; /* NULL: any */
	struct cp_ptrs found;
};

static void
find_pipe_consumer(const struct cp_consumer *c, void *arg)
{
	struct consumer_walk *w = arg;

	if (c->pipe_node[0] != '\0' && (w->node == NULL || strcmp(c->pipe_node, w->node) == 0) &&
	    (w->producer == NULL || strcmp(c->p->id, w->producer) == 0))
		cp_ptrs_push(&w->found, (void *)c);
}

struct del_call {
	struct evhttp_request *req;
	char id[40];
};

static void
on_pipe_consumer_gone(const struct cascade_reply *rep, void *arg)
{
	struct del_call *dc = arg;
	struct cp_consumer *c = cp_consumer_get(dc->id);
	bool ok = rep != NULL && (rep->status == 0 || rep->status == -ENOENT);

	if (c != NULL) {
		if (ok)
			cp_media_forget_consumer(c);
		else
			c->busy = false;
	}
	if (dc->req != NULL) {
		cp_http_release(dc->req);
		if (ok)
			cp_http_json(dc->req, 200, json_object());
		else
			cp_http_error(dc->req, CP_API_UNAVAILABLE, "dataplane: %s",
				      rep == NULL ? "did not answer" : rep->message);
	}
	free(dc);
}

/* Remove a pipe consumer; answers req (may be NULL) when the dataplane did. */
static void
del_pipe_consumer(struct cp_consumer *c, struct evhttp_request *req)
{
	struct del_call *dc = calloc(1, sizeof(*dc));
	struct cascade_cmd cmd;

	if (dc == NULL || c->busy) {
		free(dc);
		if (req != NULL)
			cp_http_error(req, dc == NULL ? CP_API_INTERNAL : CP_API_CONFLICT,
				      "consumer %s: busy or out of memory", c->id);
		return;
	}
	snprintf(dc->id, sizeof(dc->id), "%s", c->id);
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_CONSUMER_DEL;
	cmd.u.obj.obj_id = c->dp_id;
	if (cp_dp_call(&cmd, DP_TIMEOUT_MS, on_pipe_consumer_gone, dc) < 0) {
		free(dc);
		if (req != NULL)
			cp_http_error(req, CP_API_UNAVAILABLE, "dataplane not running");
		return;
	}
	c->busy = true;
	if (req != NULL) {
		dc->req = req;
		cp_http_hold(req, &dc->req);
	}
}

struct add_call {
	struct evhttp_request *req;
	char producer[40], node[CP_ID_MAX], ip[64];
	uint16_t port;
	uint32_t ssrc;
	struct cp_consumer *c;
	uint8_t suite; /* SRTP pipes: the stream's suite and key (the far node chose it) */
	uint8_t key[CASCADE_SRTP_MASTER_MAX];
};

static void
add_call_free(struct add_call *ac)
{
	explicit_bzero(ac, sizeof(*ac));
	free(ac);
}

static void
add_answer(struct add_call *ac, int status, const char *msg)
{
	if (ac->req != NULL) {
		cp_http_release(ac->req);
		if (status == 200)
			cp_http_json(ac->req, 200,
				     json_pack("{s:s,s:I}", "consumerId", ac->c->id, "ssrc",
					       (json_int_t)ac->c->ssrc));
		else
			cp_http_error(ac->req,
				      status == 404   ? CP_API_NOT_FOUND
				      : status == 409 ? CP_API_CONFLICT
						      : CP_API_UNAVAILABLE,
				      "%s", msg);
	}
}

/* The pipe consumer is in the dataplane, keyed when SRTP: enter it and answer. */
static void
pipe_consumer_done(struct add_call *ac, const char *err)
{
	struct cp_consumer *c = ac->c;

	c->p->n_pending--;
	if (err == NULL && cp_media_add_consumer(c) == 0) {
		fprintf(stderr, "cascade-cp: pipes: %s out to node %s (ssrc %08x%s%s)\n", c->p->id,
			c->pipe_node, c->ssrc, ac->suite != CASCADE_SUITE_NONE ? ", SRTP " : "",
			ac->suite != CASCADE_SUITE_NONE ? cp_suite_name(ac->suite) : "");
		add_answer(ac, 200, NULL);
	} else {
		if (err != NULL && c->slot != UINT32_MAX)
			dp_del(CASCADE_CMD_CONSUMER_DEL, c->dp_id); /* installed but not keyed */
		add_answer(ac, 503, err != NULL ? err : "out of memory");
		cp_consumer_free(c);
	}
	add_call_free(ac);
}

static void
on_consumer_key(const struct cascade_reply *rep, void *arg)
{
	struct add_call *ac = arg;

	pipe_consumer_done(ac, rep == NULL	   ? "dataplane did not answer (SRTP key)"
			       : rep->status != 0 ? rep->message
						  : NULL);
}

static void
on_pipe_consumer(const struct cascade_reply *rep, void *arg)
{
	struct add_call *ac = arg;
	struct cp_consumer *c = ac->c;

	if (rep == NULL || rep->status != 0) {
		pipe_consumer_done(ac, rep == NULL ? "dataplane did not answer" : rep->message);
		return;
	}
	c->slot = rep->slot;
	if (ac->suite == CASCADE_SUITE_NONE) {
		pipe_consumer_done(ac, NULL);
		return;
	}
	if (send_key(CASCADE_PIPE_SRTP_CONSUMER, c->dp_id, ac->suite, ac->key, on_consumer_key,
		     ac) < 0)
		pipe_consumer_done(ac, "dataplane not running (SRTP key)");
	explicit_bzero(ac->key, sizeof(ac->key));
}

static void
on_far_mac(const uint8_t *mac, void *arg)
{
	struct add_call *ac = arg;
	struct cp_producer *p = cp_producer_get(ac->producer);
	struct cp_transport *t = cp_pipe_transport();
	struct cascade_cmd cmd;
	struct cp_consumer *c;

	if (p == NULL || p->pipe || p->busy) {
		add_answer(ac, 404, "producer not found on this node");
		add_call_free(ac);
		return;
	}
	if (t == NULL || cp_dp_state() != CP_DP_RUNNING) {
		add_answer(ac, 503, "dataplane not running (no pipe transport)");
		add_call_free(ac);
		return;
	}
	if (t->srtp_suite != ac->suite) {
		add_answer(ac, 409, "pipe SRTP differs from this node's pipe transport");
		add_call_free(ac);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		add_answer(ac, 503, "out of memory");
		add_call_free(ac);
		return;
	}
	cp_uuid4(c->id);
	c->t = t;
	c->p = p;
	c->ssrc = ac->ssrc;
	c->dp_id = cp_next_dp_id();
	c->slot = UINT32_MAX;
	snprintf(c->pipe_node, sizeof(c->pipe_node), "%s", ac->node);
	c->rtp = rtp_with_ssrc(p->rtp, c->ssrc);
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_CONSUMER_ADD;
	cmd.u.consumer.obj_id = c->dp_id;
	cmd.u.consumer.producer_id = p->dp_id;
	cmd.u.consumer.transport_id = t->dp_id;
	cmd.u.consumer.ssrc = c->ssrc; /* payload types and extension ids pass unchanged */
	cp_addr_make(&cmd.u.consumer.remote, ac->ip, ac->port);
	if (mac != NULL)
		memcpy(cmd.u.consumer.remote_mac, mac, 6);
	ac->c = c;
	if (cp_dp_call(&cmd, DP_TIMEOUT_MS, on_pipe_consumer, ac) < 0) {
		add_answer(ac, 503, "dataplane not running");
		cp_consumer_free(c);
		add_call_free(ac);
		return;
	}
	p->n_pending++;
}

/*
 * The request's "srtp" ({"cryptoSuite","keyBase64"}: the stream's key, chosen
 * by the far node), which must match this node's pipes: absent for plain
 * pipes, the same suite as cluster.pipe_srtp otherwise. 0, or -1 after
 * answering 400 or 409.
 */
static int
pipe_srtp_of(struct evhttp_request *req, json_t *body, uint8_t *suite, uint8_t *key)
{
	const struct cp_transport *t = cp_pipe_transport();
	uint8_t ours = t != NULL ? t->srtp_suite : pp.cfg->pipe_srtp;
	json_t *v = json_object_get(body, "srtp");
	const char *name, *b64;
	enum cascade_srtp_suite ws;
	int rc;

	*suite = CASCADE_SUITE_NONE;
	if (v != NULL &&
	    (json_unpack(v, "{s:s,s:s}", "cryptoSuite", &name, "keyBase64", &b64) < 0 ||
	     cascade_srtp_suite_from_name(name, &ws) < 0)) {
		cp_http_error(req, CP_API_BAD_REQUEST,
			      "srtp: an object {\"cryptoSuite\",\"keyBase64\"} with a known suite");
		return -1;
	}
	if (v != NULL)
		*suite = (uint8_t)(ws + 1);
	if (*suite != ours) {
		cp_http_error(req, CP_API_CONFLICT,
			      "srtp: this node pipes %s, the request %s: cluster.pipe_srtp must be "
			      "the same on every node",
			      ours == CASCADE_SUITE_NONE ? "plain RTP" : cp_suite_name(ours),
			      *suite == CASCADE_SUITE_NONE ? "plain RTP" : cp_suite_name(*suite));
		return -1;
	}
	if (v == NULL)
		return 0;
	rc = cascade_srtp_key_from_base64(ws, b64, key, CASCADE_SRTP_MASTER_MAX);
	if (rc < 0) {
		cp_http_error(req, CP_API_BAD_REQUEST, "srtp.keyBase64: %s", cascade_srtp_strerror(rc));
		return -1;
	}
	return 0;
}

void
cp_api_internal_pipe_add(struct evhttp_request *req)
{
	json_t *body = cp_http_body(req);
	const char *producer, *node, *ip;
	json_int_t port, ssrc;
	struct consumer_walk w = {0};
	struct cp_producer *p;
	struct add_call *ac;
	struct cascade_addr a;
	uint8_t key[CASCADE_SRTP_MASTER_MAX] = {0};
	uint8_t suite = CASCADE_SUITE_NONE;

	if (body == NULL)
		return;
	if (json_unpack(body, "{s:s,s:s,s:s,s:I,s:I}", "producerId", &producer, "node", &node, "ip",
			&ip, "port", &port, "ssrc", &ssrc) < 0 ||
	    strlen(producer) >= 40 || strlen(node) >= CP_ID_MAX || port < 1 || port > 65535 ||
	    ssrc < 1 || ssrc > UINT32_MAX || cp_addr_make(&a, ip, 1) == 0) {
		cp_http_error(req, CP_API_BAD_REQUEST,
			      "producerId, node, ip, port (1..65535) and ssrc (1..2^32-1) required");
		goto out;
	}
	if (pipe_srtp_of(req, body, &suite, key) < 0)
		goto out;
	p = cp_producer_get(producer);
	if (p == NULL || p->pipe) {
		cp_http_error(req, CP_API_NOT_FOUND, "producer %s is not produced on this node",
			      producer);
		goto out;
	}
	/* one pipe stream per producer and node: the same request again is answered as is */
	w.producer = producer;
	w.node = node;
	cp_consumers_each(find_pipe_consumer, &w);
	if (w.found.n > 0) {
		struct cp_consumer *c = w.found.v[0];
		if (c->ssrc == (uint32_t)ssrc) {
			cp_http_json(req, 200, json_pack("{s:s,s:I}", "consumerId", c->id, "ssrc",
							 (json_int_t)c->ssrc));
			goto out;
		}
		/* the far node lost its end (a restart) and asks anew: replace ours */
		del_pipe_consumer(c, NULL);
	}
	ac = calloc(1, sizeof(*ac));
	if (ac == NULL) {
		cp_http_error(req, CP_API_INTERNAL, "out of memory");
		goto out;
	}
	snprintf(ac->producer, sizeof(ac->producer), "%s", producer);
	snprintf(ac->node, sizeof(ac->node), "%s", node);
	snprintf(ac->ip, sizeof(ac->ip), "%s", ip);
	ac->port = (uint16_t)port;
	ac->ssrc = (uint32_t)ssrc;
	ac->suite = suite;
	memcpy(ac->key, key, sizeof(key));
	ac->req = req;
	cp_http_hold(req, &ac->req);
	cp_neigh_resolve(ac->ip, on_far_mac, ac);
out:
	explicit_bzero(key, sizeof(key));
	cp_ptrs_free(&w.found);
	json_decref(body);
}

void
cp_api_internal_pipe_del(struct evhttp_request *req, const char *producer, const char *node)
{
	struct consumer_walk w = {.producer = producer, .node = node};
	size_t i;

	cp_consumers_each(find_pipe_consumer, &w);
	if (w.found.n == 0) {
		cp_http_error(req, CP_API_NOT_FOUND, "no pipe of producer %s towards node %s",
			      producer, node);
	} else {
		for (i = 1; i < w.found.n; i++)
			del_pipe_consumer(w.found.v[i], NULL);
		del_pipe_consumer(w.found.v[0], req);
	}
	cp_ptrs_free(&w.found);
}

/* ---- a node died -------------------------------------------------------------------------------- */

struct node_walk {
	const char *node;
	struct cp_ptrs producers;
};

static void
find_from_node(const struct cp_producer *p, void *arg)
{
	struct node_walk *w = arg;

	if (p->pipe && strcmp(p->node, w->node) == 0)
		cp_ptrs_push(&w->producers, (void *)p);
}

void
cp_pipe_node_down(const char *node)
{
	struct node_walk nw = {.node = node};
	struct consumer_walk cw = {.node = node};
	size_t i;

	cp_producers_each(find_from_node, &nw);
	for (i = 0; i < nw.producers.n; i++)
		close_pipe_producer(nw.producers.v[i], false);
	cp_ptrs_free(&nw.producers);
	cp_consumers_each(find_pipe_consumer, &cw);
	for (i = 0; i < cw.found.n; i++)
		del_pipe_consumer(cw.found.v[i], NULL);
	cp_ptrs_free(&cw.found);
	/* its connection stays: freeing it would drop requests in flight without an answer;
	 * they fail on their own (timeout), and a node that comes back reuses it */
}

/* ---- stats and life ----------------------------------------------------------------------------- */

static void
stat_in(const struct cp_producer *p, void *arg)
{
	if (p->pipe)
		json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:I,s:i}", "producerId", p->id,
						     "node", p->node, "room", p->room, "ssrc",
						     (json_int_t)p->ssrc, "consumers",
						     (int)p->n_consumers));
}

static void
stat_out(const struct cp_consumer *c, void *arg)
{
	if (c->pipe_node[0] != '\0')
		json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:I}", "consumerId", c->id,
						     "producerId", c->p->id, "node", c->pipe_node,
						     "ssrc", (json_int_t)c->ssrc));
}

json_t *
cp_pipe_stats(void)
{
	struct cp_transport *t = cp_pipe_transport();
	json_t *in = json_array(), *out = json_array();

	cp_producers_each(stat_in, in);
	cp_consumers_each(stat_out, out);
	return json_pack("{s:o,s:o,s:o}", "transport",
			 t != NULL ? json_pack("{s:s,s:s,s:i,s:s}", "id", t->id, "ip", t->ip, "port",
					       (int)t->port, "srtp", cp_suite_name(t->srtp_suite))
				   : json_null(),
			 "in", in, "out", out);
}

int
cp_pipe_init(struct event_base *base, const struct cp_config *cfg)
{
	pp.base = base;
	pp.cfg = cfg;
	return 0;
}

static void
free_conn(const char *k, void *v, void *arg)
{
	struct peer_conn *c = v;

	(void)k, (void)arg;
	evhttp_connection_free(c->conn);
	free(c);
}

static void
free_ensure(const char *k, void *v, void *arg)
{
	(void)k, (void)arg;
	free(v); /* waiters' requests are freed by evhttp with their connections */
}

void
cp_pipe_fini(void)
{
	cp_map_each(&pp.conns, free_conn, NULL);
	cp_map_free(&pp.conns);
	cp_map_each(&pp.pending, free_ensure, NULL);
	cp_map_free(&pp.pending);
}
