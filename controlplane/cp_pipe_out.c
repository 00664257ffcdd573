/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipes between nodes, the A side (piping out). A node that pipes in one of
 * this node's producers asks, with its request checked like any input
 * (cp_schema_pipe_req()), for a consumer of the producer on this node's pipe
 * transport towards its pipe address with its pipe SSRC (and, for SRTP
 * pipes, the stream's key). The consumer carries the producer's payload types
 * and extension ids unchanged. The far node's MAC comes from the kernel when
 * the pipe port shares a kernel interface. One pipe stream per producer and
 * far node: the same request again is answered as is; another SSRC (the far
 * node lost its end and asks anew) replaces it.
 *
 * Layer: service.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_dp.h"
#include "cp_install.h"
#include "cp_map.h"
#include "cp_neigh.h"
#include "cp_pipe.h"

struct add_call {
	cp_pipe_out_cb cb;
	void *arg;
	char producer[CP_OBJ_ID_MAX], node[CP_ID_MAX], ip[CP_IP_MAX];
	uint16_t port;
	uint32_t ssrc;
	uint8_t suite; /* SRTP pipes: the stream's suite and key (the far node chose it) */
	uint8_t key[CASCADE_SRTP_MASTER_MAX];
	struct cp_consumer *c; /* installed, held until keyed */
	uint64_t producer_dp;  /* its producer's dataplane id: the producer may go meanwhile */
};

static void
add_done(struct add_call *ac, const struct cp_consumer *c, int code, const char *msg)
{
	struct cp_err err;

	if (c == NULL)
		cp_err_set(&err, code, "%s", msg);
	ac->cb(c, c == NULL ? &err : NULL, ac->arg);
	explicit_bzero(ac, sizeof(*ac));
	free(ac);
}

/* The pipe consumer is keyed (add: enter it now) or was entered at install. */
static void
entered(struct add_call *ac, bool add)
{
	struct cp_consumer *c = ac->c;
	struct cp_producer *p = cp_registry_producer(ac->producer);

	/* held, the consumer counted on nothing: its producer may have gone while it was keyed */
	if (add && (p == NULL || p->dp_id != ac->producer_dp)) {
		c->p = NULL;
		cp_install_forget_consumer(c);
		add_done(ac, NULL, -ENOENT, "producer not found on this node");
		return;
	}
	if (add && cp_registry_add_consumer(c) < 0) {
		cp_install_forget_consumer(c);
		add_done(ac, NULL, -ENOMEM, "out of memory");
		return;
	}
	fprintf(stderr, "cascade-cp: pipes: %s out to node %s (ssrc %08x%s%s)\n", c->p->id,
		c->pipe_node, c->ssrc, ac->suite != CASCADE_SUITE_NONE ? ", SRTP " : "",
		ac->suite != CASCADE_SUITE_NONE ? cp_suite_name(ac->suite) : "");
	add_done(ac, c, 0, NULL);
}

static void
on_consumer_key(const struct cascade_reply *rep, void *arg)
{
	struct add_call *ac = arg;

	if (rep == NULL || rep->status != 0) {
		cp_install_forget_consumer(ac->c); /* installed but not keyed */
		add_done(ac, NULL, -ENOTCONN,
			 rep == NULL ? "dataplane did not answer (SRTP key)" : rep->message);
		return;
	}
	entered(ac, true);
}

static void
on_installed(const struct cp_err *err, void *obj, void *arg)
{
	struct add_call *ac = arg;

	if (err != NULL) {
		add_done(ac, NULL, err->code, err->msg);
		return;
	}
	ac->c = obj;
	if (ac->suite == CASCADE_SUITE_NONE) {
		entered(ac, false);
		return;
	}
	if (cp_install_pipe_key(CASCADE_PIPE_SRTP_CONSUMER, ac->c->dp_id, ac->suite, ac->key,
				on_consumer_key, ac) < 0) {
		cp_install_forget_consumer(ac->c);
		add_done(ac, NULL, -ENOTCONN, "dataplane not running (SRTP key)");
		return;
	}
	explicit_bzero(ac->key, sizeof(ac->key));
}

static void
on_far_mac(const uint8_t *mac, void *arg)
{
	struct add_call *ac = arg;
	struct cp_producer *p = cp_registry_producer(ac->producer);
	struct cp_transport *t = cp_registry_pipe_transport();
	struct cascade_cmd cmd;
	struct cp_consumer *c;
	struct cp_err err;

	if (p == NULL || p->pipe || p->busy) {
		add_done(ac, NULL, -ENOENT, "producer not found on this node");
		return;
	}
	if (t == NULL || cp_dp_state() != CP_DP_RUNNING) {
		add_done(ac, NULL, -ENOTCONN, "dataplane not running (no pipe transport)");
		return;
	}
	if (t->srtp_suite != ac->suite) {
		add_done(ac, NULL, -EEXIST, "pipe SRTP differs from this node's pipe transport");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->rtp = cp_rtp_with_ssrc(p->rtp, ac->ssrc)) == NULL) {
		free(c);
		add_done(ac, NULL, -ENOMEM, "out of memory");
		return;
	}
	cp_uuid4(c->id);
	c->t = t;
	c->p = p;
	ac->producer_dp = p->dp_id;
	c->ssrc = ac->ssrc;
	snprintf(c->pipe_node, sizeof(c->pipe_node), "%s", ac->node);
	memset(&cmd, 0, sizeof(cmd)); /* payload types and extension ids pass unchanged */
	cp_addr_make(&cmd.u.consumer.remote, ac->ip, ac->port);
	if (mac != NULL)
		memcpy(cmd.u.consumer.remote_mac, mac, 6);
	/* plain: in the registry at once; SRTP: held until its key is set */
	if (cp_install_consumer(c, &cmd, ac->suite == CASCADE_SUITE_NONE, on_installed, ac, &err) < 0)
		add_done(ac, NULL, err.code, err.msg);
}

struct consumer_walk {
	const char *node;
	struct cp_ptrs found;
};

static void
find_towards(struct cp_consumer *c, void *arg)
{
	struct consumer_walk *w = arg;

	if (c->pipe_node[0] != '\0' && strcmp(c->pipe_node, w->node) == 0)
		cp_ptrs_push(&w->found, c);
}

static void
on_replaced(const struct cp_err *err, void *obj, void *arg)
{
	(void)err, (void)obj, (void)arg; /* a failure leaves it to the node-down or a later call */
}

int
cp_pipe_out_add(struct cp_pipe_req *rq, cp_pipe_out_cb cb, void *arg, struct cp_err *err)
{
	struct consumer_walk w = {.node = rq->node};
	uint8_t ours = cp_pipe_srtp();
	struct cp_producer *p;
	struct add_call *ac;
	struct cp_err ignored;
	size_t i;
	int rc = 0;

	if (rq->suite != ours) {
		rc = cp_err_set(err, -EEXIST,
				"srtp: this node pipes %s, the request %s: cluster.pipe_srtp must be "
				"the same on every node",
				ours == CASCADE_SUITE_NONE ? "plain RTP" : cp_suite_name(ours),
				rq->suite == CASCADE_SUITE_NONE ? "plain RTP" : cp_suite_name(rq->suite));
		goto out;
	}
	p = cp_registry_producer(rq->producer_id);
	if (p == NULL || p->pipe) {
		rc = cp_err_set(err, -ENOENT, "producer %s is not produced on this node",
				rq->producer_id);
		goto out;
	}
	cp_producer_each_consumer(p, find_towards, &w);
	for (i = 0; i < w.found.n; i++) {
		struct cp_consumer *c = w.found.v[i];

		if (c->ssrc == rq->ssrc) {
			cb(c, NULL, arg); /* the same request again */
			goto out;
		}
		/* the far node lost its end (a restart) and asks anew: replace ours */
		cp_consumer_delete(c, on_replaced, NULL, &ignored);
	}
	ac = calloc(1, sizeof(*ac));
	if (ac == NULL) {
		rc = cp_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	ac->cb = cb;
	ac->arg = arg;
	snprintf(ac->producer, sizeof(ac->producer), "%s", rq->producer_id);
	snprintf(ac->node, sizeof(ac->node), "%s", rq->node);
	snprintf(ac->ip, sizeof(ac->ip), "%s", rq->ip);
	ac->port = rq->port;
	ac->ssrc = rq->ssrc;
	ac->suite = rq->suite;
	memcpy(ac->key, rq->key, sizeof(ac->key));
	cp_neigh_resolve(ac->ip, on_far_mac, ac);
out:
	explicit_bzero(rq->key, sizeof(rq->key));
	cp_ptrs_free(&w.found);
	return rc;
}

struct del_call {
	cp_pipe_out_cb cb;
	void *arg;
};

static void
on_deleted(const struct cp_err *err, void *obj, void *arg)
{
	struct del_call *dc = arg;

	(void)obj;
	dc->cb(NULL, err, dc->arg);
	free(dc);
}

int
cp_pipe_out_del(const char *producer, const char *node, cp_pipe_out_cb cb, void *arg,
		struct cp_err *err)
{
	struct consumer_walk w = {.node = node};
	struct cp_producer *p = cp_registry_producer(producer);
	struct del_call *dc;
	struct cp_err ignored;
	size_t i;
	int rc;

	if (p != NULL && !p->pipe)
		cp_producer_each_consumer(p, find_towards, &w);
	if (w.found.n == 0) {
		cp_ptrs_free(&w.found);
		return cp_err_set(err, -ENOENT, "no pipe of producer %s towards node %s", producer,
				  node);
	}
	for (i = 1; i < w.found.n; i++)
		cp_consumer_delete(w.found.v[i], on_replaced, NULL, &ignored);
	dc = calloc(1, sizeof(*dc));
	if (dc == NULL) {
		cp_ptrs_free(&w.found);
		return cp_err_set(err, -ENOMEM, "out of memory");
	}
	dc->cb = cb;
	dc->arg = arg;
	rc = cp_consumer_delete(w.found.v[0], on_deleted, dc, err);
	if (rc < 0)
		free(dc);
	cp_ptrs_free(&w.found);
	return rc;
}

void
cp_pipe_out_node_down(const char *node)
{
	struct consumer_walk w = {.node = node};
	struct cp_err ignored;
	size_t i;

	cp_registry_each_consumer(find_towards, &w);
	for (i = 0; i < w.found.n; i++)
		cp_consumer_delete(w.found.v[i], on_replaced, NULL, &ignored);
	cp_ptrs_free(&w.found);
}
