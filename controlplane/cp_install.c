/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registry objects through the dataplane (see cp_install.h). Each change is
 * a cp_op (cp_op.h) that lives from the first command to its callback.
 *
 * Layer: registry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cascade_srtp.h"
#include "cp_dp.h"
#include "cp_install.h"
#include "cp_neigh.h"

static struct {
	const struct cp_config *cfg;
} ins;

int
cp_install_init(const struct cp_config *cfg)
{
	ins.cfg = cfg;
	return cp_op_init();
}

/* ---- transports --------------------------------------------------------------------------- */

static void
ports_release(const struct cp_transport *t)
{
	if (t->pipe)
		return;
	cp_ports_put(cp_registry_ports(), t->port);
	if (!t->rtcp_mux)
		cp_ports_put(cp_registry_ports(), t->rtcp_port);
}

static void
transport_drop(struct cp_transport *t)
{
	ports_release(t);
	cp_transport_free(t);
}

static void
on_transport_added(const struct cascade_reply *rep, void *arg)
{
	struct cp_op *o = arg;
	struct cp_transport *t = o->t;
	struct cp_err err;

	if (rep == NULL || rep->status != 0) {
		/* nothing was installed, or the driver deletes what may have been */
		transport_drop(t);
		cp_op_finish_reply(o, rep);
		return;
	}
	t->slot = rep->slot;
	t->busy = false;
	if (cp_registry_add_transport(t) < 0) {
		cp_op_dp_del(CASCADE_CMD_TRANSPORT_DEL, t->dp_id);
		transport_drop(t);
		cp_err_set(&err, -ENOMEM, "out of memory");
		cp_op_finish(o, &err, NULL);
		return;
	}
	cp_op_finish(o, NULL, t);
}

int
cp_install_transport(struct cp_transport *t, cp_op_cb cb, void *arg, struct cp_err *err)
{
	struct cascade_cmd cmd;
	struct cp_op *o;

	if (cp_op_need_dp(err) < 0 || (o = cp_op_new(CP_OP_ADD, cb, arg, err)) == NULL)
		goto fail;
	if (t->dp_id == 0)
		t->dp_id = cp_registry_next_dp_id();
	t->slot = UINT32_MAX;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_TRANSPORT_ADD;
	cmd.u.transport.obj_id = t->dp_id;
	cmd.u.transport.flags = (uint8_t)((t->comedia ? CASCADE_TRANSPORT_COMEDIA : 0) |
					  (t->rtcp_mux ? CASCADE_TRANSPORT_RTCP_MUX : 0) |
					  (t->pipe ? CASCADE_TRANSPORT_PIPE : 0));
	cmd.u.transport.srtp_suite = t->srtp_suite;
	t->family = cp_addr_make(&cmd.u.transport.local, t->ip, t->port);
	if (!t->rtcp_mux)
		cp_addr_make(&cmd.u.transport.local_rtcp, t->ip, t->rtcp_port);
	o->t = t;
	if (cp_op_send(&cmd, on_transport_added, o, err) < 0) {
		cp_op_free(o);
		goto fail;
	}
	t->busy = true;
	return 0;
fail:
	transport_drop(t);
	return err->code;
}

int
cp_transport_create(const char *room, const struct cp_transport_req *rq, cp_op_cb cb, void *arg,
		    struct cp_err *err)
{
	const struct cp_config *cfg = ins.cfg;
	struct cp_transport *t;
	unsigned int i, n = rq->rtcp_mux ? 1 : 2;
	int rc;

	if (!cp_room_name_ok(room))
		return cp_err_set(err, -EINVAL, "room: 1 to 64 letters, digits, '-', '_' or '.'");
	if (cp_op_need_dp(err) < 0)
		return err->code;
	for (i = 0; rq->listen_ip != NULL && i < cfg->n_media_ips; i++)
		if (strcmp(rq->listen_ip, cfg->media_ips[i]) == 0)
			break;
	if (i == cfg->n_media_ips)
		return cp_err_set(err, -EINVAL, "listenIp: not one of this node's media addresses");
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return cp_err_set(err, -ENOMEM, "out of memory");
	t->comedia = rq->comedia;
	t->rtcp_mux = rq->rtcp_mux;
	t->srtp_suite = rq->srtp_suite;
	if (t->srtp_suite != CASCADE_SUITE_NONE &&
	    cascade_srtp_key_generate((enum cascade_srtp_suite)(t->srtp_suite - 1), t->local_key,
				      sizeof(t->local_key)) < 0) {
		cp_transport_free(t);
		return cp_err_set(err, -EIO, "enableSrtp: cannot generate a key");
	}
	snprintf(t->ip, sizeof(t->ip), "%s", rq->listen_ip != NULL ? rq->listen_ip : cfg->media_ips[0]);
	if (rq->port != 0) {
		/* a requested port (and the next one for RTCP without rtcp-mux) */
		rc = cp_ports_take(cp_registry_ports(), n, rq->port);
		if (rc == -ERANGE) {
			cp_transport_free(t);
			return cp_err_set(err, -EINVAL, "port: %u%s is outside %u-%u", rq->port,
					  n == 1 ? "" : " (and the next, for RTCP)", cfg->port_min,
					  cfg->port_max);
		}
		if (rc == -EBUSY) {
			cp_transport_free(t);
			return cp_err_set(err, -EBUSY, "port: %u%s already in use", rq->port,
					  n == 1 ? " is" : " or the next is");
		}
		t->port = rq->port;
	} else if (cp_ports_get(cp_registry_ports(), n, &t->port) < 0) {
		cp_transport_free(t);
		return cp_err_set(err, -ENOSPC, "no free port left in %u-%u", cfg->port_min,
				  cfg->port_max);
	}
	if (!t->rtcp_mux)
		t->rtcp_port = (uint16_t)(t->port + 1);
	cp_uuid4(t->id);
	snprintf(t->room, sizeof(t->room), "%s", room);
	return cp_install_transport(t, cb, arg, err);
}

static void
connected(struct cp_op *o)
{
	struct cp_transport *t = o->t;

	t->busy = false;
	if (o->has_tuple) {
		snprintf(t->remote_ip, sizeof(t->remote_ip), "%s", o->remote_ip);
		t->remote_port = o->remote_port;
		t->remote_rtcp_port = o->remote_rtcp_port;
		t->connected = true;
	}
	cp_registry_transport_connected(t);
	cp_op_finish(o, NULL, t);
}

static void
on_connected(const struct cascade_reply *rep, void *arg)
{
	struct cp_op *o = arg;

	if (o->gone) {
		cp_op_finish_gone(o);
		return;
	}
	if (rep != NULL && rep->status == 0) {
		connected(o);
		return;
	}
	o->t->busy = false;
	cp_op_finish_reply(o, rep);
}

/*
 * The next hop's MAC is known (or not): set the remote tuple. A dataplane that
 * restarted meanwhile may have cost the transport its place in the registry
 * (the reconciliation drops what the new dataplane lacks): it is looked up
 * again, not trusted.
 */
static void
on_next_hop(const uint8_t *mac, void *arg)
{
	struct cp_op *o = arg;
	struct cp_err err;

	if (o->gone) {
		cp_op_finish_gone(o);
		return;
	}
	o->t = cp_registry_transport(o->id);
	if (o->t == NULL) {
		cp_err_set(&err, -ENOENT, "transport %s is gone (the dataplane restarted)", o->id);
		cp_op_finish(o, &err, NULL);
		return;
	}
	if (mac != NULL)
		memcpy(o->cmd.u.transport.remote_mac, mac, 6);
	if (cp_op_need_dp(&err) < 0 || cp_op_send(&o->cmd, on_connected, o, &err) < 0) {
		o->t->busy = false;
		cp_op_finish(o, &err, NULL);
	}
}

/* The dataplane has the keys (or refused them): keep the remote's, then the tuple. */
static void
on_srtp_set(const struct cascade_reply *rep, void *arg)
{
	struct cp_op *o = arg;
	struct cp_transport *t = o->t;

	if (o->gone) {
		cp_op_finish_gone(o);
		return;
	}
	if (rep == NULL || rep->status != 0) {
		t->busy = false;
		cp_op_finish_reply(o, rep);
		return;
	}
	memcpy(t->remote_key, o->srtp.u.srtp.rx_master, sizeof(t->remote_key));
	t->has_remote_key = true;
	explicit_bzero(&o->srtp, sizeof(o->srtp));
	if (o->has_tuple)
		cp_neigh_resolve(o->remote_ip, on_next_hop, o);
	else
		connected(o);
}

int
cp_transport_connect(struct cp_transport *t, struct cp_connect_req *rq, cp_op_cb cb, void *arg,
		     struct cp_err *err)
{
	struct cp_op *o = NULL;
	int rc = -EINVAL;

	if (t->busy || t->n_pending != 0) {
		rc = cp_err_set(err, -EBUSY, "transport %s: another change is in progress", t->id);
		goto out;
	}
	if ((rc = cp_op_need_dp(err)) < 0 || (o = cp_op_new(CP_OP_CONNECT, cb, arg, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	o->t = t;
	o->what = "transport";
	snprintf(o->id, sizeof(o->id), "%s", t->id);
	o->has_tuple = rq->has_tuple;
	if (rq->has_tuple) {
		snprintf(o->remote_ip, sizeof(o->remote_ip), "%s", rq->ip);
		o->remote_port = rq->port;
		o->remote_rtcp_port = rq->rtcp_port;
		o->cmd.type = CASCADE_CMD_TRANSPORT_CONNECT;
		o->cmd.u.transport.obj_id = t->dp_id;
		cp_addr_make(&o->cmd.u.transport.remote, rq->ip, rq->port);
		if (rq->rtcp_port != 0)
			cp_addr_make(&o->cmd.u.transport.remote_rtcp, rq->ip, rq->rtcp_port);
	}
	t->busy = true;
	if (!rq->has_key) {
		/* the next hop's MAC first (from the kernel, when the port is a kernel interface) */
		cp_neigh_resolve(o->remote_ip, on_next_hop, o);
		rc = 0;
		goto out;
	}
	/* the keys first, so media flows as soon as the remote tuple is set */
	o->srtp.type = CASCADE_CMD_TRANSPORT_SRTP;
	o->srtp.u.srtp.obj_id = t->dp_id;
	o->srtp.u.srtp.suite = t->srtp_suite;
	memcpy(o->srtp.u.srtp.rx_master, rq->key, CASCADE_SRTP_MASTER_MAX);
	memcpy(o->srtp.u.srtp.tx_master, t->local_key, CASCADE_SRTP_MASTER_MAX);
	rc = cp_op_send(&o->srtp, on_srtp_set, o, err);
	if (rc < 0) {
		t->busy = false;
		cp_op_free(o);
	}
out:
	explicit_bzero(rq->key, sizeof(rq->key));
	return rc;
}

/* ---- producers ------------------------------------------------------------------------------ */

void
cp_producer_add_cmd(const struct cp_producer *p, struct cascade_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = CASCADE_CMD_PRODUCER_ADD;
	cmd->u.producer.obj_id = p->dp_id;
	cmd->u.producer.transport_id = p->t->dp_id;
	cmd->u.producer.ssrc = p->ssrc;
	cmd->u.producer.clock_rate = p->clock_rate;
	cmd->u.producer.kind = p->kind;
	cmd->u.producer.fb = cp_rtp_feedback(p->rtp);
	/* a pipe's source sends what it sends again on the media stream: no RTX there */
	if (!p->pipe) {
		cp_rtp_rtx(p->rtp, &cmd->u.producer);
		/* the sender's transport-cc is answered by the node it sends to, not over pipes */
		cp_rtp_congestion(p->rtp, &cmd->u.producer);
	}
	/* a pipe producer's pause is its source's (that node stops sending); here it is
	 * only recorded, so the dataplane never holds it paused */
	cmd->u.producer.paused = p->paused && !p->pipe;
}

static void
on_producer_added(const struct cascade_reply *rep, void *arg)
{
	struct cp_op *o = arg;
	struct cp_producer *p = o->p;
	struct cp_err err;

	if (o->gone) {
		/* its transport went: the dataplane took it along or never made it */
		if (rep != NULL && rep->status == 0)
			cp_op_dp_del(CASCADE_CMD_PRODUCER_DEL, p->dp_id);
		cp_producer_free(p);
		cp_op_finish_gone(o);
		return;
	}
	p->t->n_pending--;
	if (rep == NULL || rep->status != 0) {
		cp_producer_free(p);
		cp_op_finish_reply(o, rep);
		return;
	}
	p->slot = rep->slot;
	if (!o->enter) {
		cp_registry_hold(p->dp_id);
	} else if (cp_registry_add_producer(p) < 0) {
		cp_op_dp_del(CASCADE_CMD_PRODUCER_DEL, p->dp_id);
		cp_producer_free(p);
		cp_err_set(&err, -ENOMEM, "out of memory");
		cp_op_finish(o, &err, NULL);
		return;
	}
	cp_op_finish(o, NULL, p);
}

int
cp_install_producer(struct cp_producer *p, bool enter, cp_op_cb cb, void *arg, struct cp_err *err)
{
	struct cascade_cmd cmd;
	struct cp_op *o;

	if (cp_op_need_dp(err) < 0 || (o = cp_op_new(CP_OP_ADD, cb, arg, err)) == NULL) {
		cp_producer_free(p);
		return err->code;
	}
	o->what = "transport";
	snprintf(o->id, sizeof(o->id), "%s", p->t->id);
	if (p->dp_id == 0)
		p->dp_id = cp_registry_next_dp_id();
	p->slot = UINT32_MAX;
	cp_producer_add_cmd(p, &cmd);
	o->p = p;
	o->enter = enter;
	if (cp_op_send(&cmd, on_producer_added, o, err) < 0) {
		cp_op_free(o);
		cp_producer_free(p);
		return err->code;
	}
	p->t->n_pending++;
	return 0;
}

int
cp_producer_create(struct cp_transport *t, const struct cp_producer_req *rq, cp_op_cb cb,
		   void *arg, struct cp_err *err)
{
	struct cp_producer *p;

	if (t->busy)
		return cp_err_set(err, -EBUSY, "transport %s: another change is in progress", t->id);
	if (cp_op_need_dp(err) < 0)
		return err->code;
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->rtp = json_deep_copy(rq->rtp)) == NULL) {
		free(p);
		return cp_err_set(err, -ENOMEM, "out of memory");
	}
	cp_uuid4(p->id);
	p->t = t;
	p->kind = rq->kind;
	p->paused = rq->paused;
	p->ssrc = rq->info.ssrc;
	p->clock_rate = rq->info.clock_rate;
	snprintf(p->room, sizeof(p->room), "%s", t->room);
	snprintf(p->node, sizeof(p->node), "%s", ins.cfg->node_id);
	return cp_install_producer(p, true, cb, arg, err);
}

void
cp_install_forget_producer(struct cp_producer *p)
{
	cp_op_dp_del(CASCADE_CMD_PRODUCER_DEL, p->dp_id);
	cp_registry_unhold(p->dp_id);
	cp_producer_free(p);
}

/* ---- consumers ------------------------------------------------------------------------------ */

static void
on_consumer_added(const struct cascade_reply *rep, void *arg)
{
	struct cp_op *o = arg;
	struct cp_consumer *c = o->c;
	struct cp_err err;

	if (o->gone) {
		/* its producer or transport went: the dataplane took it along or never made it */
		if (rep != NULL && rep->status == 0)
			cp_op_dp_del(CASCADE_CMD_CONSUMER_DEL, c->dp_id);
		cp_consumer_free(c);
		cp_op_finish_gone(o);
		return;
	}
	c->t->n_pending--;
	c->p->n_pending--;
	if (rep == NULL || rep->status != 0) {
		cp_consumer_free(c);
		cp_op_finish_reply(o, rep);
		return;
	}
	c->slot = rep->slot;
	if (!o->enter) {
		cp_registry_hold(c->dp_id);
	} else if (cp_registry_add_consumer(c) < 0) {
		cp_op_dp_del(CASCADE_CMD_CONSUMER_DEL, c->dp_id);
		cp_consumer_free(c);
		cp_err_set(&err, -ENOMEM, "out of memory");
		cp_op_finish(o, &err, NULL);
		return;
	}
	cp_op_finish(o, NULL, c);
}

int
cp_install_consumer(struct cp_consumer *c, struct cascade_cmd *cmd, bool enter, cp_op_cb cb,
		    void *arg, struct cp_err *err)
{
	struct cp_op *o;

	if (cp_op_need_dp(err) < 0 || (o = cp_op_new(CP_OP_ADD, cb, arg, err)) == NULL) {
		cp_consumer_free(c);
		return err->code;
	}
	o->what = "producer";
	snprintf(o->id, sizeof(o->id), "%s", c->p->id);
	if (c->dp_id == 0)
		c->dp_id = cp_registry_next_dp_id();
	c->slot = UINT32_MAX;
	cmd->type = CASCADE_CMD_CONSUMER_ADD;
	cmd->u.consumer.obj_id = c->dp_id;
	cmd->u.consumer.producer_id = c->p->dp_id;
	cmd->u.consumer.transport_id = c->t->dp_id;
	cmd->u.consumer.ssrc = c->ssrc;
	cmd->u.consumer.paused = c->paused;
	o->c = c;
	o->enter = enter;
	if (cp_op_send(cmd, on_consumer_added, o, err) < 0) {
		cp_op_free(o);
		cp_consumer_free(c);
		return err->code;
	}
	c->t->n_pending++;
	c->p->n_pending++;
	return 0;
}

int
cp_consumer_create(struct cp_transport *t, struct cp_producer *p, const struct cp_consumer_req *rq,
		   cp_op_cb cb, void *arg, struct cp_err *err)
{
	struct cascade_cmd cmd;
	struct cp_consumer *c;
	uint32_t rtx_ssrc;

	/* rooms isolate: a consumer only ever consumes a producer of its own room */
	if (t->pipe || strcmp(t->room, p->room) != 0)
		return cp_err_set(err, -ENOENT, "producer %s is not in room %s", p->id, t->room);
	if (t->busy || p->busy)
		return cp_err_set(err, -EBUSY,
				  "transport or producer %s: another change is in progress", p->id);
	if (cp_op_need_dp(err) < 0)
		return err->code;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cp_err_set(err, -ENOMEM, "out of memory");
	memset(&cmd, 0, sizeof(cmd));
	c->ssrc = cp_random_ssrc();
	do
		rtx_ssrc = cp_random_ssrc(); /* for RTX, if the receiver can take it */
	while (rtx_ssrc == c->ssrc);
	if (cp_rtp_negotiate(p->rtp, p->kind, rq->caps, c->ssrc, rtx_ssrc, t->rtcp_mux,
			     &cmd.u.consumer, &c->rtp, err) < 0) {
		free(c);
		return err->code;
	}
	cp_uuid4(c->id);
	c->t = t;
	c->p = p;
	c->paused = rq->paused;
	return cp_install_consumer(c, &cmd, true, cb, arg, err);
}

void
cp_install_forget_consumer(struct cp_consumer *c)
{
	cp_op_dp_del(CASCADE_CMD_CONSUMER_DEL, c->dp_id);
	cp_registry_unhold(c->dp_id);
	cp_consumer_free(c);
}

int
cp_install_pipe_key(uint8_t kind, uint64_t dp_id, uint8_t suite, const uint8_t *key, cp_dp_cb cb,
		    void *arg)
{
	struct cascade_cmd cmd;
	int rc;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_PIPE_SRTP;
	cmd.u.pipe_srtp.obj_id = dp_id;
	cmd.u.pipe_srtp.kind = kind;
	cmd.u.pipe_srtp.suite = suite;
	memcpy(cmd.u.pipe_srtp.master, key, cascade_srtp_master_bytes(suite));
	rc = cp_dp_call(&cmd, CP_OP_TIMEOUT_MS, cb, arg);
	explicit_bzero(&cmd, sizeof(cmd));
	return rc < 0 ? -ENOTCONN : 0;
}

/* ---- pause, resume, delete ------------------------------------------------------------------ */

/*
 * A change of one object may start: nothing else in flight on it, the
 * dataplane there. While it is in flight the object is busy and its parents
 * count it pending, so neither can be deleted under it.
 */
static struct cp_op *
change_begin(enum cp_op_kind kind, bool busy, const char *what, const char *id, cp_op_cb cb,
	     void *arg, struct cp_err *err)
{
	struct cp_op *o;

	if (busy) {
		cp_err_set(err, -EBUSY, "%s %s: another change is in progress", what, id);
		return NULL;
	}
	if (cp_op_need_dp(err) < 0 || (o = cp_op_new(kind, cb, arg, err)) == NULL)
		return NULL;
	o->what = what;
	snprintf(o->id, sizeof(o->id), "%s", id);
	return o;
}

static int
change_send(struct cp_op *o, uint16_t type, uint64_t dp_id, bool paused, cp_dp_cb cb,
	    struct cp_err *err)
{
	struct cascade_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = type;
	cmd.u.obj.obj_id = dp_id;
	cmd.u.obj.paused = paused;
	if (cp_op_send(&cmd, cb, o, err) < 0) {
		cp_op_free(o);
		return err->code;
	}
	cp_op_hold(o, true);
	return 0;
}

static void
on_paused(const struct cascade_reply *rep, void *arg)
{
	struct cp_op *o = arg;

	if (o->gone) {
		cp_op_finish_gone(o); /* even if applied first: it is not there to be paused */
		return;
	}
	cp_op_hold(o, false);
	if (rep == NULL || rep->status != 0) {
		cp_op_finish_reply(o, rep);
		return;
	}
	if (o->p != NULL) {
		cp_registry_producer_paused(o->p, o->pause);
		cp_op_finish(o, NULL, o->p);
	} else {
		cp_registry_consumer_paused(o->c, o->pause);
		cp_op_finish(o, NULL, o->c);
	}
}

int
cp_producer_pause(struct cp_producer *p, bool pause, cp_op_cb cb, void *arg, struct cp_err *err)
{
	struct cp_op *o =
		change_begin(CP_OP_PAUSE, p->busy || p->n_pending != 0, "producer", p->id, cb, arg, err);

	if (o == NULL)
		return err->code;
	o->p = p;
	o->pause = pause;
	return change_send(o, CASCADE_CMD_PRODUCER_PAUSE, p->dp_id, pause, on_paused, err);
}

int
cp_consumer_pause(struct cp_consumer *c, bool pause, cp_op_cb cb, void *arg, struct cp_err *err)
{
	struct cp_op *o = change_begin(CP_OP_PAUSE, c->busy, "consumer", c->id, cb, arg, err);

	if (o == NULL)
		return err->code;
	o->c = c;
	o->pause = pause;
	return change_send(o, CASCADE_CMD_CONSUMER_PAUSE, c->dp_id, pause, on_paused, err);
}

static void
on_deleted(const struct cascade_reply *rep, void *arg)
{
	struct cp_op *o = arg;

	if (o->gone) {
		cp_op_finish(o, NULL, NULL); /* it went with its parent: what was asked */
		return;
	}
	cp_op_unlink(o); /* the removal below is this op's own */
	cp_op_hold(o, false);
	if (!cp_op_ok_or_gone(rep)) {
		cp_op_finish_reply(o, rep);
		return;
	}
	/* the dataplane removed what hung off it too */
	if (o->t != NULL)
		cp_registry_remove_transport(o->t);
	else if (o->p != NULL)
		cp_registry_remove_producer(o->p);
	else
		cp_registry_remove_consumer(o->c);
	cp_op_finish(o, NULL, NULL);
}

int
cp_transport_delete(struct cp_transport *t, cp_op_cb cb, void *arg, struct cp_err *err)
{
	/* children's changes in flight do not hold a delete up: they end as their objects go */
	struct cp_op *o = change_begin(CP_OP_DELETE, t->busy, "transport", t->id, cb, arg, err);

	if (o == NULL)
		return err->code;
	o->t = t;
	return change_send(o, CASCADE_CMD_TRANSPORT_DEL, t->dp_id, false, on_deleted, err);
}

int
cp_producer_delete(struct cp_producer *p, cp_op_cb cb, void *arg, struct cp_err *err)
{
	struct cp_op *o = change_begin(CP_OP_DELETE, p->busy, "producer", p->id, cb, arg, err);

	if (o == NULL)
		return err->code;
	o->p = p;
	return change_send(o, CASCADE_CMD_PRODUCER_DEL, p->dp_id, false, on_deleted, err);
}

int
cp_consumer_delete(struct cp_consumer *c, cp_op_cb cb, void *arg, struct cp_err *err)
{
	struct cp_op *o = change_begin(CP_OP_DELETE, c->busy, "consumer", c->id, cb, arg, err);

	if (o == NULL)
		return err->code;
	o->c = c;
	return change_send(o, CASCADE_CMD_CONSUMER_DEL, c->dp_id, false, on_deleted, err);
}
