/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Table commands for consumers (main lcore): add, pause and resume, delete,
 * with the rules of dp_table_cmd.c (checked whole first, a retry succeeds,
 * what workers may still see is released after a grace period).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_random.h>

#include "dp.h"
#include "dp_check.h"
#include "dp_table_priv.h"

static void
cons_key(struct dp_cons_key *k, uint32_t tslot, const struct dp_transport *tp,
	 const struct cascade_cmd_consumer *cfg)
{
	memset(k, 0, sizeof(*k));
	k->transport = tslot;
	k->ssrc = cfg->ssrc;
	if (tp->cfg.flags & CASCADE_TRANSPORT_PIPE)
		k->peer = dp_addr_norm(&cfg->remote);
}

/*
 * Ask producer pslot's owning worker for a keyframe: a consumer was added or
 * resumed and should not wait for the sender's next natural one. The request
 * travels as a small message mbuf on the owner's hand-off ring; without an
 * mbuf or room it is skipped (the consumer's own PLI will ask). Main lcore.
 */
static void
keyframe_post(struct dp_ctx *c, uint32_t pslot)
{
	struct dp_producer *p = &c->producers[pslot];
	struct rte_mbuf *m;
	struct dp_meta *mt;

	if (p->cfg.kind != CASCADE_KIND_VIDEO || !(p->cfg.fb & (CASCADE_FB_PLI | CASCADE_FB_FIR)) ||
	    c->workers[p->owner] == NULL)
		return;
	m = rte_pktmbuf_alloc(c->hdr_pool);
	if (m == NULL)
		return;
	mt = dp_meta_of(m, c->meta_off);
	memset(mt, 0, sizeof(*mt));
	mt->kind = DP_META_KEYFRAME_MSG;
	mt->pslot = pslot;
	mt->pgen = atomic_load_explicit(&p->gen, memory_order_relaxed);
	if (rte_ring_enqueue(c->workers[p->owner]->handoff, m) != 0)
		rte_pktmbuf_free(m);
}

int
dp_tbl_consumer_add(struct dp_ctx *c, const struct cascade_cmd_consumer *cmd,
		    struct cascade_reply *r)
{
	struct cascade_cmd_consumer cfg = *cmd;
	struct dp_lists *l = dp_tbl_lists();
	struct dp_cons_key ck;
	const struct dp_transport *tp;
	struct dp_consumer *k;
	struct cascade_srtp *srtp = NULL, *rtx_srtp = NULL;
	uint32_t slot, pslot, tslot;
	int rc;

	rc = dp_check_consumer(&cfg, r->message, sizeof(r->message));
	if (rc < 0) {
		r->status = rc;
		return rc;
	}
	if (dp_tbl_id_lookup(c->prod_by_id, cfg.producer_id, &pslot) < 0)
		return dp_tbl_fail(r, ENOENT, "consumer.producer_id: producer 0x%" PRIx64 " not found",
			    cfg.producer_id);
	if (dp_tbl_id_lookup(c->tp_by_id, cfg.transport_id, &tslot) < 0)
		return dp_tbl_fail(r, ENOENT, "consumer.transport_id: transport 0x%" PRIx64 " not found",
			    cfg.transport_id);
	tp = &c->transports[tslot];
	rc = dp_check_consumer_dest(&cfg, &tp->cfg, r->message, sizeof(r->message));
	if (rc < 0) {
		r->status = rc;
		return rc;
	}
	dp_consumer_norm(&cfg);
	if (dp_tbl_id_lookup(c->cons_by_id, cfg.obj_id, &slot) == 0) {
		if (dp_consumer_same(&c->consumers[slot].cfg, &cfg)) {
			dp_tbl_ok(r, slot, c->consumers[slot].gen);
			return 0;
		}
		return dp_tbl_fail(r, EEXIST, "consumer 0x%" PRIx64 " exists with other parameters",
			    cfg.obj_id);
	}
	cons_key(&ck, tslot, tp, &cfg);
	if (rte_hash_lookup(c->cons_by_ssrc, &ck) >= 0)
		return dp_tbl_fail(r, EEXIST, "consumer.ssrc: %u already sent on this transport%s",
				   cfg.ssrc,
				   (tp->cfg.flags & CASCADE_TRANSPORT_PIPE) ? " to this peer" : "");
	if (dp_tbl_slot_get(DP_TBL_CONSUMER, &slot) < 0)
		return dp_tbl_fail(r, ENOSPC, "consumers: table full (%u, see --max-consumers)",
			    c->opt.max_consumers);
	if (tp->has_keys) {
		/* its own outbound session; without keys yet, TRANSPORT_SRTP makes it */
		srtp = dp_srtp_tx_make(tp->cfg.srtp_suite, tp->tx_master, cfg.ssrc);
		/* and its RTX stream's, when it has one */
		if (srtp != NULL && cfg.rtx_ssrc != 0 &&
		    (rtx_srtp = dp_srtp_tx_make(tp->cfg.srtp_suite, tp->tx_master,
						cfg.rtx_ssrc)) == NULL) {
			rc = errno;
			dp_srtp_tx_free(srtp);
			srtp = NULL;
			errno = rc;
		}
		if (srtp == NULL) {
			rc = errno;
			dp_tbl_slot_put(DP_TBL_CONSUMER, slot);
			return dp_tbl_fail(r, ENOMEM, "consumer: srtp session: %s", strerror(rc));
		}
	}
	if ((cfg.twcc_ext_id != 0 && dp_tbl_twcc_attach(c, tslot) < 0) ||
	    dp_lists_add(l, DP_REL_TP_CONS, tslot, slot) < 0) {
		rc = dp_tbl_fail(r, ENOMEM, "consumer: out of memory");
		goto undo_slot;
	}
	if (dp_lists_add(l, DP_REL_PROD_CONS, pslot, slot) < 0) {
		rc = dp_tbl_fail(r, ENOMEM, "consumer: out of memory");
		goto undo_tp;
	}
	if (rte_hash_add_key_data(c->cons_by_id, &cfg.obj_id, (void *)(uintptr_t)slot) < 0) {
		/* never published: the list change is not out yet */
		dp_lists_del(l, DP_REL_PROD_CONS, pslot, slot);
		rc = dp_tbl_fail(r, ENOSPC, "consumers: id table full");
		goto undo_tp;
	}
	k = &c->consumers[slot];
	k->cfg = cfg;
	/* a pipe consumer's own destination, fixed for its life (no worker sees the
	 * slot before the batch's consumer lists are published) */
	memset(&k->peer, 0, sizeof(k->peer));
	k->has_peer = (tp->cfg.flags & CASCADE_TRANSPORT_PIPE) != 0;
	if (k->has_peer) {
		k->peer.remote = cfg.remote;
		if (!dp_mac_is_zero(cfg.remote_mac)) {
			memcpy(k->peer.mac.addr_bytes, cfg.remote_mac, 6);
			k->peer.has_mac = 1;
		}
	}
	k->is_srtp = tp->cfg.srtp_suite != CASCADE_SUITE_NONE;
	atomic_store_explicit(&k->srtp, srtp, memory_order_relaxed);
	atomic_store_explicit(&k->rtx_srtp, rtx_srtp, memory_order_relaxed);
	k->has_key = 0; /* a pipe consumer's key comes with PIPE_SRTP */
	k->producer = pslot;
	k->transport = tslot;
	k->gen++;
	memset(&k->st, 0, sizeof(k->st));
	k->rtx_tokens = 0; /* its retransmission budget starts with its first NACK */
	k->rtx_seen = 0;
	k->rtx_seq = (uint16_t)rte_rand(); /* RFC 4588 4: a random first RTX sequence number */
	k->sr_tsc = 0; /* no SR sent to it yet: its receiver's LSR measures no round trip */
	k->sr_mid = 0;
	k->seen_epoch = atomic_load_explicit(&k->resume_epoch, memory_order_relaxed);
	atomic_store_explicit(&k->paused, cfg.paused, memory_order_relaxed);
	k->in_use = 1;
	/* the release that publishes the filled slot to workers reading feedback */
	if (rte_hash_add_key_data(c->cons_by_ssrc, &ck, (void *)(uintptr_t)slot) < 0) {
		k->in_use = 0;
		rte_hash_del_key(c->cons_by_id, &cfg.obj_id);
		dp_lists_del(l, DP_REL_PROD_CONS, pslot, slot);
		rc = dp_tbl_fail(r, ENOSPC, "consumers: ssrc table full");
		goto undo_tp;
	}
	/* workers see it once the batch's lists are published (dp_table_publish) */
	dp_dir_write_consumer(c, slot);
	if (!cfg.paused)
		keyframe_post(c, pslot);
	dp_tbl_ok(r, slot, k->gen);
	return 0;
undo_tp:
	dp_lists_del(l, DP_REL_TP_CONS, tslot, slot);
undo_slot:
	dp_tbl_slot_put(DP_TBL_CONSUMER, slot);
	dp_srtp_tx_free(srtp);
	dp_srtp_tx_free(rtx_srtp);
	return rc;
}

void
dp_tbl_consumer_remove(struct dp_ctx *c, uint32_t cs)
{
	struct dp_consumer *k = &c->consumers[cs];

	struct dp_cons_key ck;

	dp_lists_del(dp_tbl_lists(), DP_REL_PROD_CONS, k->producer, cs);
	dp_lists_del(dp_tbl_lists(), DP_REL_TP_CONS, k->transport, cs);
	cons_key(&ck, k->transport, &c->transports[k->transport], &k->cfg);
	dp_tbl_defer_key(c->cons_by_ssrc, &ck);
	rte_hash_del_key(c->cons_by_id, &k->cfg.obj_id);
	k->in_use = 0;
	/* a worker may still be protecting with it: destroyed after the grace period,
	 * and left in place until then (consumer_add resets the reused slot) */
	dp_tbl_consumer_srtp_release(k);
	k->has_key = 0;
	memset(k->master, 0, sizeof(k->master));
	dp_tbl_defer_slot(DP_TBL_CONSUMER, cs);
	dp_dir_write_consumer(c, cs);
}

int
dp_tbl_consumer_pause(struct dp_ctx *c, const struct cascade_cmd_obj *o,
		      struct cascade_reply *r)
{
	struct dp_consumer *k;
	uint32_t slot;

	if (o->paused > 1)
		return dp_tbl_fail(r, EINVAL, "pause.paused: must be 0 or 1");
	if (dp_tbl_id_lookup(c->cons_by_id, o->obj_id, &slot) < 0)
		return dp_tbl_fail(r, ENOENT, "consumer 0x%" PRIx64 " not found", o->obj_id);
	k = &c->consumers[slot];
	if (!o->paused && atomic_load_explicit(&k->paused, memory_order_relaxed)) {
		/* the epoch first: a worker that sees paused == 0 also sees the new epoch
		 * (release here pairs with the worker's acquire load of paused) */
		atomic_fetch_add_explicit(&k->resume_epoch, 1, memory_order_relaxed);
	}
	if (!o->paused && atomic_load_explicit(&k->paused, memory_order_relaxed))
		keyframe_post(c, k->producer); /* a resumed consumer wants a picture at once */
	atomic_store_explicit(&k->paused, o->paused, memory_order_release);
	dp_dir_write_consumer(c, slot);
	dp_tbl_ok(r, slot, k->gen);
	return 0;
}
