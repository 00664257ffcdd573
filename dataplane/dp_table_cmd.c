/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Table commands: add, connect and delete transports, and the command entry
 * for every object, applied on the main lcore. Every command is checked whole
 * before anything changes, so a refused command
 * leaves nothing half-made, and the reply's message names the bad field (the
 * checks that need no table live in the leaf dp_check.c, unit-tested). An
 * add of an existing id with the same parameters is a retry and succeeds.
 * Deletes cascade (a transport takes its producers and consumers with it,
 * found through the transport's own lists, never by scanning the tables) and
 * hand whatever workers may still see to the deferred reclamation of
 * dp_table.c, which releases it after an RCU grace period. Producers are
 * dp_table_prod.c's, consumers dp_table_cons.c's, SRTP keys dp_table_srtp.c's,
 * the workers' learn requests dp_table_learn.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "dp.h"
#include "dp_check.h"
#include "dp_table_priv.h"

/* ---- helpers ------------------------------------------------------------------------ */

static struct dp_peer *
peer_make(const struct cascade_addr *remote, const struct cascade_addr *remote_rtcp,
	  const uint8_t mac[6])
{
	struct dp_peer *p = rte_zmalloc("dp_peer", sizeof(*p), RTE_CACHE_LINE_SIZE);

	if (p == NULL)
		return NULL;
	p->remote = dp_addr_norm(remote);
	if (remote_rtcp->family != CASCADE_AF_NONE)
		p->remote_rtcp = dp_addr_norm(remote_rtcp);
	if (mac != NULL && !dp_mac_is_zero(mac)) {
		memcpy(p->mac.addr_bytes, mac, 6);
		p->has_mac = 1;
	}
	return p;
}

/* A consumer's key in cons_by_ssrc: its transport, SSRC and, on a pipe, its peer. */
/* ---- transports ---------------------------------------------------------------------- */

static int
transport_add(struct dp_ctx *c, const struct cascade_cmd_transport *cfg, struct cascade_reply *r)
{
	struct cascade_cmd_transport t = *cfg;
	struct dp_addr_key k, krtcp;
	struct dp_transport *tp;
	struct dp_peer *peer = NULL;
	uint32_t slot;
	int rc;

	rc = dp_check_transport(&t, c->n_ports, r->message, sizeof(r->message));
	if (rc < 0) {
		r->status = rc;
		return rc;
	}
	t.local = dp_addr_norm(&t.local);
	if (t.flags & CASCADE_TRANSPORT_RTCP_MUX)
		memset(&t.local_rtcp, 0, sizeof(t.local_rtcp));
	else
		t.local_rtcp = dp_addr_norm(&t.local_rtcp);
	if (dp_tbl_id_lookup(c->tp_by_id, t.obj_id, &slot) == 0) {
		const struct cascade_cmd_transport *have = &c->transports[slot].cfg;
		if (memcmp(&have->local, &t.local, sizeof(t.local)) == 0 &&
		    memcmp(&have->local_rtcp, &t.local_rtcp, sizeof(t.local_rtcp)) == 0 &&
		    have->flags == t.flags && have->port_id == t.port_id &&
		    have->srtp_suite == t.srtp_suite) {
			dp_tbl_ok(r, slot, c->transports[slot].gen);
			return 0; /* a retry */
		}
		return dp_tbl_fail(r, EEXIST, "transport 0x%" PRIx64 " exists with other parameters",
			    t.obj_id);
	}
	dp_addr_key_make(&k, &t.local);
	dp_addr_key_make(&krtcp, &t.local_rtcp);
	if (rte_hash_lookup(c->tp_by_addr, &k) >= 0 ||
	    (!(t.flags & CASCADE_TRANSPORT_RTCP_MUX) && rte_hash_lookup(c->tp_by_addr, &krtcp) >= 0))
		return dp_tbl_fail(r, EADDRINUSE, "transport.local: address and port already in use");
	if (dp_tbl_slot_get(DP_TBL_TRANSPORT, &slot) < 0)
		return dp_tbl_fail(r, ENOSPC, "transports: table full (%u, see --max-transports)",
			    c->opt.max_transports);
	if (t.remote.port_be != 0) {
		peer = peer_make(&t.remote, &t.remote_rtcp, t.remote_mac);
		if (peer == NULL) {
			dp_tbl_slot_put(DP_TBL_TRANSPORT, slot);
			return dp_tbl_fail(r, ENOMEM, "transport: out of memory");
		}
	}
	tp = &c->transports[slot];
	tp->cfg = t;
	tp->gen++;
	tp->learn_posted = 0;
	tp->has_keys = 0;
	atomic_store_explicit(&tp->peer, peer, memory_order_relaxed);
	if (dp_lists_add(dp_tbl_lists(), DP_REL_LIVE_TP, 0, slot) < 0) {
		rte_free(peer);
		atomic_store_explicit(&tp->peer, NULL, memory_order_relaxed);
		dp_tbl_slot_put(DP_TBL_TRANSPORT, slot);
		return dp_tbl_fail(r, ENOMEM, "transport: out of memory");
	}
	tp->in_use = 1;
	/* the hash insert is the release that publishes the slot's contents to workers */
	if (rte_hash_add_key_data(c->tp_by_addr, &k, (void *)(uintptr_t)slot) < 0)
		goto nomem;
	if (!(t.flags & CASCADE_TRANSPORT_RTCP_MUX) &&
	    rte_hash_add_key_data(c->tp_by_addr, &krtcp, (void *)(uintptr_t)(slot | DP_TP_RTCP)) <
		    0) {
		dp_tbl_defer_key(c->tp_by_addr, &k);
		goto nomem_deferred;
	}
	if (rte_hash_add_key_data(c->tp_by_id, &t.obj_id, (void *)(uintptr_t)slot) < 0) {
		dp_tbl_defer_key(c->tp_by_addr, &k);
		if (!(t.flags & CASCADE_TRANSPORT_RTCP_MUX))
			dp_tbl_defer_key(c->tp_by_addr, &krtcp);
		goto nomem_deferred;
	}
	dp_dir_write_transport(c, slot);
	dp_tbl_ok(r, slot, tp->gen);
	return 0;

nomem:
	tp->in_use = 0;
	dp_lists_del(dp_tbl_lists(), DP_REL_LIVE_TP, 0, slot);
	atomic_store(&tp->peer, NULL);
	rte_free(peer);
	dp_tbl_slot_put(DP_TBL_TRANSPORT, slot);
	return dp_tbl_fail(r, ENOSPC, "transport: address table full");
nomem_deferred:
	/* a worker may already have seen the slot: release it after a grace period */
	tp->in_use = 0;
	dp_lists_del(dp_tbl_lists(), DP_REL_LIVE_TP, 0, slot);
	atomic_store_explicit(&tp->peer, NULL, memory_order_release);
	dp_tbl_defer_free(peer);
	dp_tbl_defer_slot(DP_TBL_TRANSPORT, slot);
	return dp_tbl_fail(r, ENOSPC, "transport: table full");
}

static int
transport_connect(struct dp_ctx *c, const struct cascade_cmd_transport *cfg,
		  struct cascade_reply *r)
{
	struct dp_transport *tp;
	struct dp_peer *peer, *old;
	uint32_t slot;

	if (dp_tbl_id_lookup(c->tp_by_id, cfg->obj_id, &slot) < 0)
		return dp_tbl_fail(r, ENOENT, "transport 0x%" PRIx64 " not found", cfg->obj_id);
	tp = &c->transports[slot];
	if (tp->cfg.flags & CASCADE_TRANSPORT_PIPE)
		return dp_tbl_fail(r, EINVAL,
			    "connect: transport 0x%" PRIx64 " is a pipe (see consumer.remote)",
			    cfg->obj_id);
	if (!dp_addr_valid(&cfg->remote, true) || cfg->remote.family != tp->cfg.local.family)
		return dp_tbl_fail(r, EINVAL, "connect.remote: needs a port and the local family");
	if (cfg->remote_rtcp.port_be != 0 && cfg->remote_rtcp.family != tp->cfg.local.family)
		return dp_tbl_fail(r, EINVAL, "connect.remote_rtcp: family differs from local");
	peer = peer_make(&cfg->remote, &cfg->remote_rtcp, cfg->remote_mac);
	if (peer == NULL)
		return dp_tbl_fail(r, ENOMEM, "connect: out of memory");
	old = atomic_load_explicit(&tp->peer, memory_order_relaxed);
	if (old != NULL && !peer->has_mac && old->has_mac &&
	    memcmp(&old->remote, &peer->remote, sizeof(peer->remote)) == 0) {
		peer->mac = old->mac; /* keep a MAC learned for the same remote */
		peer->has_mac = 1;
	}
	/* pairs with the worker's acquire load of peer */
	atomic_store_explicit(&tp->peer, peer, memory_order_release);
	dp_tbl_defer_free(old);
	tp->cfg.remote = peer->remote;
	tp->cfg.remote_rtcp = peer->remote_rtcp;
	memcpy(tp->cfg.remote_mac, cfg->remote_mac, 6);
	dp_dir_write_transport(c, slot);
	dp_tbl_ok(r, slot, tp->gen);
	return 0;
}


static void
transport_remove(struct dp_ctx *c, uint32_t slot)
{
	struct dp_lists *l = dp_tbl_lists();
	struct dp_transport *tp = &c->transports[slot];
	struct dp_addr_key k;
	const uint32_t *v;
	uint32_t n;

	/* cascade through its own lists: consumers sending on it, producers received on it */
	while ((v = dp_lists_get(l, DP_REL_TP_CONS, slot, &n)), n > 0)
		dp_tbl_consumer_remove(c, v[n - 1]);
	while ((v = dp_lists_get(l, DP_REL_TP_PROD, slot, &n)), n > 0)
		dp_tbl_producer_remove(c, v[n - 1]);
	dp_addr_key_make(&k, &tp->cfg.local);
	dp_tbl_defer_key(c->tp_by_addr, &k);
	if (!(tp->cfg.flags & CASCADE_TRANSPORT_RTCP_MUX)) {
		dp_addr_key_make(&k, &tp->cfg.local_rtcp);
		dp_tbl_defer_key(c->tp_by_addr, &k);
	}
	rte_hash_del_key(c->tp_by_id, &tp->cfg.obj_id);
	dp_lists_del(l, DP_REL_LIVE_TP, 0, slot);
	tp->in_use = 0;
	dp_tbl_defer_free(atomic_load_explicit(&tp->peer, memory_order_relaxed));
	atomic_store_explicit(&tp->peer, NULL, memory_order_release);
	dp_tbl_twcc_detach(c, slot);
	tp->has_keys = 0;
	dp_tbl_rcv_release(tp);
	memset(tp->rx_master, 0, sizeof(tp->rx_master));
	memset(tp->tx_master, 0, sizeof(tp->tx_master));
	dp_tbl_defer_slot(DP_TBL_TRANSPORT, slot);
	dp_dir_write_transport(c, slot);
}

/* ---- command entry ------------------------------------------------------------------- */

static int
obj_del(struct dp_ctx *c, struct rte_hash *ids, const char *what, uint64_t id,
	struct cascade_reply *r, void (*rm)(struct dp_ctx *, uint32_t))
{
	uint32_t slot;

	if (dp_tbl_id_lookup(ids, id, &slot) < 0)
		return dp_tbl_fail(r, ENOENT, "%s 0x%" PRIx64 " not found", what, id);
	rm(c, slot);
	dp_tbl_ok(r, slot, 0);
	return 0;
}

static void
flush_all(struct dp_ctx *c)
{
	const uint32_t *v;
	uint32_t n;

	/* every installed transport, through the live list; producers and consumers
	 * can only exist on transports: all gone after */
	while ((v = dp_lists_get(dp_tbl_lists(), DP_REL_LIVE_TP, 0, &n)), n > 0)
		transport_remove(c, v[n - 1]);
}

/*
 * Apply one command on the main lcore. Fills *r (status, slot, message).
 * *needs_grace is set when the reply must wait for an RCU grace period
 * (deletes), in which case the caller hands r to dp_table_defer_reply().
 */
int
dp_table_apply(struct dp_ctx *c, const struct cascade_cmd *cmd, struct cascade_reply *r,
	       bool *needs_grace)
{
	memset(r, 0, sizeof(*r));
	r->req_id = cmd->req_id;
	r->slot = UINT32_MAX;
	*needs_grace = false;

	switch (cmd->type) {
	case CASCADE_CMD_PING:
		snprintf(r->message, sizeof(r->message), "cascade-dp %s", CASCADE_DP_VERSION);
		return 0;
	case CASCADE_CMD_TRANSPORT_ADD:
		return transport_add(c, &cmd->u.transport, r);
	case CASCADE_CMD_TRANSPORT_CONNECT:
		return transport_connect(c, &cmd->u.transport, r);
	case CASCADE_CMD_TRANSPORT_DEL:
		*needs_grace = true;
		return obj_del(c, c->tp_by_id, "transport", cmd->u.obj.obj_id, r, transport_remove);
	case CASCADE_CMD_PRODUCER_ADD:
		return dp_tbl_producer_add(c, &cmd->u.producer, r);
	case CASCADE_CMD_PRODUCER_DEL:
		*needs_grace = true;
		return obj_del(c, c->prod_by_id, "producer", cmd->u.obj.obj_id, r, dp_tbl_producer_remove);
	case CASCADE_CMD_PRODUCER_PAUSE:
		*needs_grace = cmd->u.obj.paused != 0;
		return dp_tbl_producer_pause(c, &cmd->u.obj, r);
	case CASCADE_CMD_CONSUMER_ADD:
		return dp_tbl_consumer_add(c, &cmd->u.consumer, r);
	case CASCADE_CMD_CONSUMER_DEL:
		*needs_grace = true;
		return obj_del(c, c->cons_by_id, "consumer", cmd->u.obj.obj_id, r,
			       dp_tbl_consumer_remove);
	case CASCADE_CMD_CONSUMER_PAUSE:
		*needs_grace = cmd->u.obj.paused != 0;
		return dp_tbl_consumer_pause(c, &cmd->u.obj, r);
	case CASCADE_CMD_TRANSPORT_SRTP:
		/* old sessions are destroyed after the grace period; the reply need not wait */
		return dp_tbl_transport_srtp(c, &cmd->u.srtp, r);
	case CASCADE_CMD_PIPE_SRTP:
		return dp_tbl_pipe_srtp(c, &cmd->u.pipe_srtp, r);
	case CASCADE_CMD_FLUSH:
		*needs_grace = true;
		flush_all(c);
		return 0;
	default:
		return dp_tbl_fail(r, EINVAL, "cmd.type: unknown command %u", cmd->type);
	}
}
