/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipes between nodes, the node's pipe transport and the B side (piping in).
 * Every node has one pipe transport in its dataplane, on
 * media_ips[0]:cluster.pipe_port, which takes RTP and RTCP from any node and
 * sends to any node: each pipe consumer carries its own destination.
 *
 * Node B piping producer P from node A: B reads P's record from the room's
 * Redis hash (checked like an API body: cp_schema.c), picks a pipe SSRC that
 * is unique among the producers of its own pipe transport, installs the pipe
 * producer (same id, A's rtpParameters with that SSRC; held, not yet in the
 * registry), gives it a fresh SRTP key when pipes are SRTP, then asks A
 * (POST /v1/internal/pipes, cp_peer.c) to add a consumer of P on A's pipe
 * transport towards B's pipe address with that SSRC (and key). A answers once
 * its dataplane has it; B checks the answer, enters the pipe producer, and the
 * consume calls waiting for it go on. Concurrent calls for the same P wait for
 * the one pipe being made.
 *
 * A pipe producer nobody consumes any more goes quietly (no producer.close),
 * and B tells A to remove its end: at once when its last consumer goes, or at
 * the next sweep (every second) after a consume that never came. A's
 * producer close, pause and resume reach B on the room channel; a dead node's
 * pipes go when the cluster says so. A close the dataplane cannot take yet
 * (consumers of the pipe being installed) is retried by the sweep, which also
 * makes the pipe transport again after a dataplane restart.
 *
 * Layer: service.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cascade_srtp.h"
#include "cp_cluster.h"
#include "cp_dp.h"
#include "cp_install.h"
#include "cp_map.h"
#include "cp_peer.h"
#include "cp_pipe.h"

#define PEER_TIMEOUT_S 3
#define SWEEP_MS 1000

struct waiter {
	cp_pipe_cb cb;
	void *arg;
	struct waiter *next;
};

/* A pipe being made on this node (the B side), by producer id. */
struct ensure {
	char id[CP_OBJ_ID_MAX];
	char room[CP_NAME_MAX + 1];
	struct waiter *waiters;
	struct cp_producer *p; /* installed in the dataplane, held, not yet in the registry */
	uint64_t pipe_dp;      /* the pipe transport it was made on (it may go meanwhile) */
	uint8_t suite;         /* and that transport's SRTP suite */
	uint8_t key[CASCADE_SRTP_MASTER_MAX]; /* SRTP pipes: the stream's key, until sent */
};

/* A pipe producer to close (the sweep retries what the dataplane could not take yet). */
struct closing {
	char id[CP_OBJ_ID_MAX];
	char node[CP_ID_MAX];
	bool tell_source; /* the source still has its end: ask it to remove it */
	bool in_flight;
};

static struct {
	struct event_base *base;
	const struct cp_config *cfg;
	struct cp_map pending; /* id -> struct ensure */
	struct cp_map closing; /* id -> struct closing */
	bool making_transport;
	struct event *sweep;
} pp;

static void
sweep_soon(void)
{
	struct timeval now = {0, 0};

	evtimer_add(pp.sweep, &now);
}

/* ---- the pipe transport --------------------------------------------------------------------- */

static void
on_transport(const struct cp_err *err, void *obj, void *arg)
{
	struct cp_transport *t = obj;

	(void)arg;
	pp.making_transport = false;
	if (err != NULL) {
		fprintf(stderr, "cascade-cp: pipes: cannot install the pipe transport on %s:%u: %s\n",
			pp.cfg->media_ips[0], pp.cfg->pipe_port, err->msg);
		return;
	}
	fprintf(stderr, "cascade-cp: pipes: transport on %s:%u (%s)\n", t->ip, t->port,
		t->srtp_suite == CASCADE_SUITE_NONE ? "plain RTP" : cp_suite_name(t->srtp_suite));
}

static void
transport_ensure(void)
{
	struct cp_transport *t;
	struct cp_err err;

	if (!cp_cluster_enabled() || cp_registry_pipe_transport() != NULL || pp.making_transport ||
	    cp_dp_state() != CP_DP_RUNNING)
		return;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return;
	snprintf(t->id, sizeof(t->id), "pipe-%.*s", CP_OBJ_ID_MAX - 6, pp.cfg->node_id);
	snprintf(t->ip, sizeof(t->ip), "%s", pp.cfg->media_ips[0]);
	t->port = pp.cfg->pipe_port;
	t->rtcp_mux = true;
	t->pipe = true;
	t->srtp_suite = pp.cfg->pipe_srtp;
	pp.making_transport = true;
	if (cp_install_transport(t, on_transport, NULL, &err) < 0) {
		pp.making_transport = false;
		fprintf(stderr, "cascade-cp: pipes: cannot install the pipe transport: %s\n", err.msg);
	}
}

void
cp_pipe_on_attach(void)
{
	const struct cp_transport *t = cp_registry_pipe_transport();

	if (t != NULL && t->srtp_suite != pp.cfg->pipe_srtp)
		/* the dataplane kept the pipe transport across a control-plane restart */
		fprintf(stderr,
			"cascade-cp: pipes: cluster.pipe_srtp says %s, the running pipe transport "
			"has %s: it keeps that until the dataplane restarts\n",
			cp_suite_name(pp.cfg->pipe_srtp), cp_suite_name(t->srtp_suite));
	transport_ensure();
}

/* ---- B: making a pipe ----------------------------------------------------------------------- */

/* The pipe is made (p) or not (err): every call waiting for it goes on. */
static void
finish(struct ensure *e, struct cp_producer *p, const struct cp_err *err)
{
	struct waiter *w = e->waiters, *next;

	cp_map_del(&pp.pending, e->id);
	explicit_bzero(e, sizeof(*e));
	free(e);
	for (; w != NULL; w = next) {
		next = w->next;
		w->cb(p, err, w->arg);
		free(w);
	}
}

static void
fail(struct ensure *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The pipe is not made: its producer (if installed) goes, every waiter hears why. */
static void
fail(struct ensure *e, int code, const char *fmt, ...)
{
	struct cp_err err = {.code = code};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
	va_end(ap);
	if (e->p != NULL)
		cp_install_forget_producer(e->p);
	e->p = NULL;
	finish(e, NULL, &err);
}

static void
on_far_end(int status, const json_t *body, void *arg)
{
	struct ensure *e = arg;
	struct cp_producer *p = e->p;
	struct cp_pipe_answer ans = {0};
	struct cp_err err = {0};
	char msg[200];

	if (status == 200 && (cp_schema_pipe_answer(body, &ans, &err) < 0 || ans.ssrc != p->ssrc)) {
		if (ans.ssrc != p->ssrc && err.code == 0)
			cp_err_set(&err, -EINVAL, "ssrc: %u, not the pipe's %u", ans.ssrc, p->ssrc);
		fail(e, -ENOTCONN, "producer %s: node %s answered the pipe request with %s", p->id,
		     p->node, err.msg);
		return;
	}
	if (status == 200) {
		struct cp_transport *t = cp_registry_pipe_transport();

		/* held, it counted on nothing: the pipe transport may have gone (a dataplane restart) */
		if (t == NULL || t->dp_id != e->pipe_dp) {
			p->t = NULL;
			fail(e, -ENOTCONN, "producer %s: the pipe transport went meanwhile", p->id);
			return;
		}
		if (cp_registry_add_producer(p) < 0) {
			fail(e, -ENOMEM, "out of memory");
			return;
		}
		fprintf(stderr, "cascade-cp: pipes: %s from node %s in (ssrc %08x)\n", p->id, p->node,
			p->ssrc);
		e->p = NULL;
		finish(e, p, NULL);
		return;
	}
	/* the far end refused or did not answer: ours goes */
	if (status == 404)
		fail(e, -ENOENT, "producer %s: node %s no longer has it", p->id, p->node);
	else if (status == 0)
		fail(e, -ENOTCONN, "producer %s: node %s did not answer", p->id, p->node);
	else
		fail(e, -ENOTCONN, "producer %s: node %s refused the pipe: %s", p->id, p->node,
		     cp_schema_error_message(body, msg, sizeof(msg)) != NULL ? msg : "error");
}

/* Ask the source node for its end; with SRTP pipes the request carries the stream's key. */
static void
call_far_end(struct ensure *e)
{
	struct cp_producer *p = e->p;
	const struct cp_node_rec *node = cp_cluster_node(p->node);
	uint8_t suite = e->suite;
	char b64[CASCADE_SRTP_KEY_BASE64_MAX + 1];
	json_t *body;
	int rc = -1;

	body = json_pack("{s:s,s:s,s:s,s:i,s:I}", "producerId", p->id, "node", pp.cfg->node_id,
			 "ip", pp.cfg->media_ips[0], "port", (int)pp.cfg->pipe_port, "ssrc",
			 (json_int_t)p->ssrc);
	if (body != NULL && suite != CASCADE_SUITE_NONE &&
	    cascade_srtp_key_to_base64(e->key, cascade_srtp_master_bytes(suite), b64, sizeof(b64)) > 0)
		json_object_set_new(body, "srtp",
				    json_pack("{s:s,s:s}", "cryptoSuite", cp_suite_name(suite),
					      "keyBase64", b64));
	explicit_bzero(b64, sizeof(b64));
	explicit_bzero(e->key, sizeof(e->key));
	if (body != NULL && node != NULL)
		rc = cp_peer_call(p->node, node->api_host, node->api_port, EVHTTP_REQ_POST,
				  "/v1/internal/pipes", body, on_far_end, e);

	if (body != NULL) {
		/* the body held the key: wipe its text before it goes */
		json_t *srtp = json_object_get(body, "srtp");
		if (srtp != NULL)
			json_object_set_new(srtp, "keyBase64", json_string(""));
	}
	json_decref(body);
	if (rc == -EACCES)
		fail(e, -ENOTCONN, "producer %s: node %s is at %s, outside cluster.peer_networks", p->id,
		     p->node, node->api_host);
	else if (rc < 0)
		on_far_end(0, NULL, e);
}

static void
on_producer_key(const struct cascade_reply *rep, void *arg)
{
	struct ensure *e = arg;

	if (rep == NULL || rep->status != 0) {
		fail(e, -ENOTCONN, "pipe producer %s: SRTP key: dataplane: %s", e->id,
		     rep == NULL ? "did not answer" : rep->message);
		return;
	}
	call_far_end(e);
}

static void
on_pipe_producer(const struct cp_err *err, void *obj, void *arg)
{
	struct ensure *e = arg;
	struct cp_producer *p = obj;
	uint8_t suite;

	if (err != NULL) {
		e->p = NULL; /* freed by the install */
		fail(e, -ENOTCONN, "pipe producer %s: %s", e->id, err->msg);
		return;
	}
	suite = e->suite;
	if (suite == CASCADE_SUITE_NONE) {
		call_far_end(e);
		return;
	}
	/* a fresh key for this stream alone: a pipe made again never reuses one */
	if (cascade_srtp_key_generate((enum cascade_srtp_suite)(suite - 1), e->key, sizeof(e->key)) < 0 ||
	    cp_install_pipe_key(CASCADE_PIPE_SRTP_PRODUCER, p->dp_id, suite, e->key, on_producer_key,
				e) < 0)
		fail(e, -ENOTCONN, "pipe producer %s: cannot set its SRTP key", p->id);
}

struct ssrc_walk {
	const struct cp_transport *t;
	uint32_t ssrc;
	bool taken;
};

static void
ssrc_check(struct cp_producer *p, void *arg)
{
	struct ssrc_walk *w = arg;

	if (p->t == w->t && p->ssrc == w->ssrc)
		w->taken = true;
}

static void
ssrc_check_pending(const char *k, void *v, void *arg)
{
	const struct ensure *e = v;
	struct ssrc_walk *w = arg;

	(void)k;
	if (e->p != NULL && e->p->ssrc == w->ssrc)
		w->taken = true;
}

/*
 * A pipe SSRC no producer of this node's pipe transport has (pipes in the
 * making included), with CASCADE_PIPE_FB_BIT clear: the SSRCs the bit set
 * names are the streams' feedback SSRCs (msg.h, PIPE_SRTP).
 */
static uint32_t
pipe_ssrc(const struct cp_transport *t)
{
	struct ssrc_walk w = {.t = t};

	do {
		w.ssrc = cp_random_ssrc() & ~CASCADE_PIPE_FB_BIT;
		w.taken = w.ssrc == 0;
		cp_registry_each_producer(ssrc_check, &w);
		cp_map_each(&pp.pending, ssrc_check_pending, &w);
	} while (w.taken);
	return w.ssrc;
}

static void
on_found(const struct cp_producer_rec *rec, const struct cp_err *err, void *arg)
{
	struct ensure *e = arg;
	struct cp_transport *t = cp_registry_pipe_transport();
	struct cp_producer *p;
	struct cp_err ierr;

	if (rec == NULL) {
		finish(e, NULL, err);
		return;
	}
	if (t == NULL || cp_dp_state() != CP_DP_RUNNING) {
		fail(e, -ENOTCONN, "dataplane not running (no pipe transport)");
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		fail(e, -ENOMEM, "out of memory");
		return;
	}
	snprintf(p->id, sizeof(p->id), "%s", e->id);
	snprintf(p->room, sizeof(p->room), "%s", e->room);
	snprintf(p->node, sizeof(p->node), "%s", rec->node);
	p->pipe = true;
	p->t = t;
	p->kind = rec->kind;
	p->clock_rate = rec->info.clock_rate;
	p->paused = rec->paused;
	p->ssrc = pipe_ssrc(t);
	/* the source's parameters, as the far end will send them: with the pipe SSRC */
	p->rtp = cp_rtp_with_ssrc(rec->rtp, p->ssrc);
	if (p->rtp == NULL) {
		free(p);
		fail(e, -ENOMEM, "out of memory");
		return;
	}
	e->p = p;
	e->pipe_dp = t->dp_id;
	e->suite = t->srtp_suite;
	if (cp_install_producer(p, false, on_pipe_producer, e, &ierr) < 0) {
		e->p = NULL; /* freed by the install */
		fail(e, ierr.code, "%s", ierr.msg);
	}
}

void
cp_pipe_ensure(const char *room, const char *id, cp_pipe_cb cb, void *arg)
{
	struct cp_producer *p = cp_registry_producer(id);
	struct cp_err err = {0};
	struct ensure *e;
	struct waiter *w;

	if (p != NULL) {
		if (strcmp(p->room, room) != 0)
			cp_err_set(&err, -ENOENT, "producer %s is not in room %s", id, room);
		else if (p->busy)
			cp_err_set(&err, -EAGAIN, "the pipe of producer %s is closing; try again", id);
		cb(err.code != 0 ? NULL : p, err.code != 0 ? &err : NULL, arg);
		return;
	}
	e = cp_map_get(&pp.pending, id);
	if (e != NULL && strcmp(e->room, room) != 0) {
		cp_err_set(&err, -ENOENT, "producer %s is not in room %s", id, room);
		cb(NULL, &err, arg);
		return;
	}
	if (e == NULL && !cp_cluster_ready()) {
		cp_err_set(&err, -ENOTCONN, "redis unreachable: producers of other nodes cannot be found");
		cb(NULL, &err, arg);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL || (e == NULL && (e = calloc(1, sizeof(*e))) == NULL)) {
		free(w);
		cp_err_set(&err, -ENOMEM, "out of memory");
		cb(NULL, &err, arg);
		return;
	}
	w->cb = cb;
	w->arg = arg;
	w->next = e->waiters;
	e->waiters = w;
	if (e->id[0] != '\0')
		return; /* another call is making this pipe: wait for it (one pipe stream, not two) */
	snprintf(e->id, sizeof(e->id), "%s", id);
	snprintf(e->room, sizeof(e->room), "%s", room);
	if (cp_map_put(&pp.pending, e->id, e) < 0) {
		free(e);
		free(w);
		cp_err_set(&err, -ENOMEM, "out of memory");
		cb(NULL, &err, arg);
		return;
	}
	cp_cluster_find_producer(room, id, on_found, e);
}

/* ---- B: closing a pipe ----------------------------------------------------------------------- */

static void
on_far_end_gone(int status, const json_t *body, void *arg)
{
	(void)status, (void)body, (void)arg;
}

static void
on_pipe_gone(const struct cp_err *err, void *obj, void *arg)
{
	struct closing *cc = arg;
	const struct cp_node_rec *node;
	char path[160];

	(void)obj;
	cc->in_flight = false;
	if (err != NULL)
		return; /* still in the registry: the sweep tries again */
	if (cc->tell_source && (node = cp_cluster_node(cc->node)) != NULL) {
		snprintf(path, sizeof(path), "/v1/internal/pipes/%s/%s", cc->id, pp.cfg->node_id);
		cp_peer_call(cc->node, node->api_host, node->api_port, EVHTTP_REQ_DELETE, path, NULL,
			     on_far_end_gone, NULL);
	}
	cp_map_del(&pp.closing, cc->id);
	free(cc);
}

/* Close pipe producer p (its consumers go with it); tell_source: ask its node to drop its end. */
static void
close_pipe_producer(struct cp_producer *p, bool tell_source)
{
	struct closing *cc = cp_map_get(&pp.closing, p->id);
	struct cp_err err;
	int rc;

	if (cc == NULL) {
		cc = calloc(1, sizeof(*cc));
		if (cc == NULL)
			return;
		snprintf(cc->id, sizeof(cc->id), "%s", p->id);
		snprintf(cc->node, sizeof(cc->node), "%s", p->node);
		if (cp_map_put(&pp.closing, cc->id, cc) < 0) {
			free(cc);
			return;
		}
	}
	cc->tell_source |= tell_source;
	if (cc->in_flight || p->busy)
		return;
	rc = cp_producer_delete(p, on_pipe_gone, cc, &err);
	if (rc == 0)
		cc->in_flight = true;
	else if (rc != -EBUSY && cp_dp_state() != CP_DP_RUNNING) {
		/* no dataplane: the reconciliation at the next attach has it */
		cp_map_del(&pp.closing, cc->id);
		free(cc);
	}
}

struct idle_walk {
	struct cp_ptrs idle;
};

static void
find_idle(struct cp_producer *p, void *arg)
{
	struct idle_walk *w = arg;

	if (p->pipe && p->n_consumers == 0 && p->n_pending == 0 && !p->busy &&
	    cp_map_get(&pp.closing, p->id) == NULL)
		cp_ptrs_push(&w->idle, p);
}

static void
retry_closing(const char *k, void *v, void *arg)
{
	struct closing *cc = v;

	(void)k;
	if (!cc->in_flight)
		cp_ptrs_push(arg, cc);
}

/* Every second (and at once when a pipe lost its last consumer): close what nobody needs. */
static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = {SWEEP_MS / 1000, (SWEEP_MS % 1000) * 1000};
	struct idle_walk w = {0};
	struct cp_ptrs retry = {0};
	size_t i;

	(void)fd, (void)what, (void)arg;
	transport_ensure();
	cp_registry_each_producer(find_idle, &w);
	for (i = 0; i < w.idle.n; i++) {
		struct cp_producer *p = w.idle.v[i];
		p->quiet = true; /* still unwanted: the pipe goes, quietly */
		close_pipe_producer(p, true);
	}
	cp_ptrs_free(&w.idle);
	cp_map_each(&pp.closing, retry_closing, &retry);
	for (i = 0; i < retry.n; i++) {
		struct closing *cc = retry.v[i];
		struct cp_producer *p = cp_registry_producer(cc->id);

		if (p == NULL || !p->pipe) {
			cp_map_del(&pp.closing, cc->id);
			free(cc);
		} else {
			close_pipe_producer(p, false);
		}
	}
	cp_ptrs_free(&retry);
	evtimer_add(pp.sweep, &tv);
}

static void
on_registry(const struct cp_reg_event *ev, void *arg)
{
	(void)arg;
	/* the last consumer of a pipe producer goes (its count still includes it) */
	if (ev->type == CP_EV_CONSUMER_CLOSED && !ev->cascade && ev->p->pipe &&
	    ev->p->n_consumers == 1)
		sweep_soon();
}

struct node_walk {
	const char *node;
	struct cp_ptrs producers;
};

static void
find_from_node(struct cp_producer *p, void *arg)
{
	struct node_walk *w = arg;

	if (p->pipe && strcmp(p->node, w->node) == 0)
		cp_ptrs_push(&w->producers, p);
}

static void
on_cluster(const struct cp_cluster_event *ev, void *arg)
{
	struct node_walk nw = {.node = ev->node};
	struct cp_producer *p;
	size_t i;

	(void)arg;
	switch (ev->type) {
	case CP_CL_PRODUCER_CLOSED:
		p = cp_registry_producer(ev->producer_id);
		if (p != NULL && p->pipe && strcmp(p->node, ev->node) == 0) {
			p->quiet = false; /* the source closed it: clients hear of it */
			close_pipe_producer(p, false);
		}
		break;
	case CP_CL_PRODUCER_PAUSED:
		p = cp_registry_producer(ev->producer_id);
		if (p != NULL && p->pipe && strcmp(p->node, ev->node) == 0)
			cp_registry_producer_paused(p, ev->paused); /* recorded: the source stops */
		break;
	case CP_CL_NODE_DOWN:
		/* pipes from it and towards it go */
		cp_registry_each_producer(find_from_node, &nw);
		for (i = 0; i < nw.producers.n; i++)
			close_pipe_producer(nw.producers.v[i], false);
		cp_ptrs_free(&nw.producers);
		cp_pipe_out_node_down(ev->node);
		break;
	default:
		break;
	}
}

uint8_t
cp_pipe_srtp(void)
{
	const struct cp_transport *t = cp_registry_pipe_transport();

	return t != NULL ? t->srtp_suite : pp.cfg->pipe_srtp;
}

/* ---- stats and life ------------------------------------------------------------------------- */

static void
stat_in(struct cp_producer *p, void *arg)
{
	if (p->pipe)
		json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:I,s:i}", "producerId", p->id,
						     "node", p->node, "room", p->room, "ssrc",
						     (json_int_t)p->ssrc, "consumers",
						     (int)p->n_consumers));
}

static void
stat_out(struct cp_consumer *c, void *arg)
{
	if (c->pipe_node[0] != '\0')
		json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s,s:I}", "consumerId", c->id,
						     "producerId", c->p->id, "room", c->p->room,
						     "node", c->pipe_node, "ssrc", (json_int_t)c->ssrc));
}

json_t *
cp_pipe_stats(void)
{
	const struct cp_transport *t = cp_registry_pipe_transport();
	json_t *in = json_array(), *out = json_array();

	cp_registry_each_producer(stat_in, in);
	cp_registry_each_consumer(stat_out, out);
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
	if (!cp_cluster_enabled())
		return 0;
	pp.sweep = evtimer_new(base, on_sweep, NULL);
	if (pp.sweep == NULL || cp_peer_init(base, cfg, PEER_TIMEOUT_S) < 0 ||
	    cp_registry_watch(CP_EV_CONSUMER_CLOSED, on_registry, NULL) < 0 ||
	    cp_cluster_watch(on_cluster, NULL) < 0)
		return -1;
	sweep_soon();
	return 0;
}

static void
free_ensure(const char *k, void *v, void *arg)
{
	struct ensure *e = v;

	(void)k, (void)arg;
	if (e->p != NULL)
		cp_producer_free(e->p);
	while (e->waiters != NULL) {
		struct waiter *w = e->waiters;
		e->waiters = w->next;
		free(w); /* waiters' requests are freed by evhttp with their connections */
	}
	explicit_bzero(e, sizeof(*e));
	free(e);
}

static void
free_closing(const char *k, void *v, void *arg)
{
	(void)k, (void)arg;
	free(v);
}

void
cp_pipe_fini(void)
{
	if (pp.sweep != NULL)
		event_free(pp.sweep);
	pp.sweep = NULL;
	cp_peer_fini();
	cp_map_each(&pp.pending, free_ensure, NULL);
	cp_map_free(&pp.pending);
	cp_map_each(&pp.closing, free_closing, NULL);
	cp_map_free(&pp.closing);
}
