/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Producer commands: add, pause and delete, on the main lcore, with the rules
 * of dp_table_cmd.c (checked whole first, a retry succeeds, deletes hand what
 * workers may still see to the deferred reclamation). Adding one chooses its
 * owning worker: the least loaded, except that the producers of a transport
 * whose senders negotiated transport-cc share one (the transport's feedback
 * state, dp_twcc_in.c, is touched by that lcore only).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_check.h"
#include "dp_table_priv.h"

/*
 * The owner of a new producer cfg on transport tp (slot tslot, new producer
 * slot ps): with FB_TWCC the transport's feedback owner, its state made on
 * the first (here, on the main lcore, never on a worker), else the least
 * loaded worker. -ENOMEM when the state cannot be made.
 */
static int
owner_choose(struct dp_ctx *c, struct dp_transport *tp, const struct cascade_cmd_producer *cfg,
	     uint32_t ps, uint16_t *owner)
{
	static uint32_t twcc_ids;
	struct dp_twcc_in *tw;

	(void)c;
	if (!(cfg->fb & CASCADE_FB_TWCC) || (tp->cfg.flags & CASCADE_TRANSPORT_PIPE)) {
		*owner = dp_tbl_owner_take();
		return 0;
	}
	if (tp->twcc_users == 0) {
		tw = rte_zmalloc("dp_twcc_in", sizeof(*tw), RTE_CACHE_LINE_SIZE);
		if (tw == NULL)
			return -ENOMEM;
		dp_twcc_rx_init(&tw->rx);
		tw->id = ++twcc_ids;
		atomic_store_explicit(&tw->via, ps, memory_order_relaxed);
		tp->twcc_owner = dp_tbl_owner_take();
		/* pairs with the owner's acquire load: the state is whole before it is seen */
		atomic_store_explicit(&tp->twcc_in, tw, memory_order_release);
	} else {
		dp_tbl_owner_hold(tp->twcc_owner);
	}
	tp->twcc_users++;
	*owner = tp->twcc_owner;
	return 0;
}

/*
 * Producer ps (on transport tp, FB_TWCC) is going: the feedback goes on
 * through another of the transport's FB_TWCC producers, and the state goes
 * a grace period after the last (its owner may be using it).
 */
static void
twcc_leave(struct dp_ctx *c, struct dp_transport *tp, uint32_t tslot, uint32_t ps)
{
	struct dp_twcc_in *tw = atomic_load_explicit(&tp->twcc_in, memory_order_relaxed);
	const uint32_t *v;
	uint32_t n, i;

	if (tw == NULL || tp->twcc_users == 0)
		return;
	if (--tp->twcc_users == 0) {
		atomic_store_explicit(&tp->twcc_in, NULL, memory_order_release);
		dp_tbl_defer_call(rte_free, tw);
		return;
	}
	if (atomic_load_explicit(&tw->via, memory_order_relaxed) != ps)
		return;
	v = dp_lists_get(dp_tbl_lists(), DP_REL_TP_PROD, tslot, &n);
	for (i = 0; i < n; i++)
		if (v[i] != ps && (c->producers[v[i]].cfg.fb & CASCADE_FB_TWCC)) {
			/* pairs with the owner's acquire load of via */
			atomic_store_explicit(&tw->via, v[i], memory_order_release);
			return;
		}
}

int
dp_tbl_producer_add(struct dp_ctx *c, const struct cascade_cmd_producer *cfg,
		    struct cascade_reply *r)
{
	struct dp_producer_srtp ss;
	struct dp_transport *tp;
	struct dp_prod_key key, rtx_key;
	struct dp_producer *p;
	uint32_t slot, tslot, rtcp_ssrc;
	uint16_t owner;
	int rc;

	if (cfg->obj_id == 0)
		return dp_tbl_fail(r, EINVAL, "producer.obj_id: must not be 0");
	if (cfg->kind != CASCADE_KIND_AUDIO && cfg->kind != CASCADE_KIND_VIDEO)
		return dp_tbl_fail(r, EINVAL, "producer.kind: must be 1 (audio) or 2 (video)");
	if (cfg->clock_rate < 1000 || cfg->clock_rate > 1000000)
		return dp_tbl_fail(r, EINVAL, "producer.clock_rate: %u outside [1000, 1000000]",
				   cfg->clock_rate);
	if (cfg->paused > 1)
		return dp_tbl_fail(r, EINVAL, "producer.paused: must be 0 or 1");
	rc = dp_check_producer_fb(cfg, r->message, sizeof(r->message));
	if (rc == 0)
		rc = dp_check_producer_rtx(cfg, r->message, sizeof(r->message));
	if (rc < 0) {
		r->status = rc;
		return rc;
	}
	if (dp_tbl_id_lookup(c->tp_by_id, cfg->transport_id, &tslot) < 0)
		return dp_tbl_fail(r, ENOENT,
				   "producer.transport_id: transport 0x%" PRIx64 " not found",
				   cfg->transport_id);
	if (dp_tbl_id_lookup(c->prod_by_id, cfg->obj_id, &slot) == 0) {
		const struct cascade_cmd_producer *h = &c->producers[slot].cfg;
		if (h->transport_id == cfg->transport_id && h->ssrc == cfg->ssrc &&
		    h->clock_rate == cfg->clock_rate && h->kind == cfg->kind && h->fb == cfg->fb &&
		    h->twcc_ext_id == cfg->twcc_ext_id && dp_producer_rtx_same(h, cfg)) {
			dp_tbl_ok(r, slot, atomic_load(&c->producers[slot].gen));
			return 0;
		}
		return dp_tbl_fail(r, EEXIST, "producer 0x%" PRIx64 " exists with other parameters",
				   cfg->obj_id);
	}
	memset(&key, 0, sizeof(key));
	key.transport = tslot;
	key.ssrc = cfg->ssrc;
	if (rte_hash_lookup(c->prod_by_ssrc, &key) >= 0)
		return dp_tbl_fail(r, EEXIST,
				   "producer.ssrc: %u already produced on this transport",
				   cfg->ssrc);
	rtx_key = key;
	rtx_key.ssrc = cfg->rtx_ssrc;
	if (cfg->rtx_ssrc != 0 && rte_hash_lookup(c->prod_by_ssrc, &rtx_key) >= 0)
		return dp_tbl_fail(r, EEXIST,
				   "producer.rtx_ssrc: %u already produced on this transport",
				   cfg->rtx_ssrc);
	tp = &c->transports[tslot];
	rtcp_ssrc = dp_tbl_rtcp_ssrc(tp, cfg->ssrc);
	rc = dp_tbl_producer_srtp(tp, cfg, rtcp_ssrc, &ss, r);
	if (rc < 0)
		return rc;
	if (dp_tbl_slot_get(DP_TBL_PRODUCER, &slot) < 0) {
		dp_tbl_producer_srtp_free(&ss);
		return dp_tbl_fail(r, ENOSPC, "producers: table full (%u, see --max-producers)",
				   c->opt.max_producers);
	}
	if (dp_lists_add(dp_tbl_lists(), DP_REL_TP_PROD, tslot, slot) < 0) {
		dp_tbl_producer_srtp_free(&ss);
		dp_tbl_slot_put(DP_TBL_PRODUCER, slot);
		return dp_tbl_fail(r, ENOMEM, "producer: out of memory");
	}
	if (owner_choose(c, tp, cfg, slot, &owner) < 0) {
		dp_lists_del(dp_tbl_lists(), DP_REL_TP_PROD, tslot, slot);
		dp_tbl_producer_srtp_free(&ss);
		dp_tbl_slot_put(DP_TBL_PRODUCER, slot);
		return dp_tbl_fail(r, ENOMEM, "producer: out of memory (transport-cc state)");
	}
	p = &c->producers[slot];
	p->cfg = *cfg;
	memset(p->cfg.pad, 0, sizeof(p->cfg.pad));
	p->transport = tslot;
	p->owner = owner;
	p->cfg.lcore = p->owner; /* the directory shows which worker owns it */
	atomic_fetch_add_explicit(&p->gen, 1, memory_order_relaxed);
	atomic_store_explicit(&p->paused, cfg->paused, memory_order_relaxed);
	atomic_store_explicit(&p->clist, NULL, memory_order_relaxed);
	/* a reused slot's old session went after its grace period (producer_remove) */
	atomic_store_explicit(&p->srtp_rx, ss.rx, memory_order_relaxed);
	atomic_store_explicit(&p->srtp_rtx_rx, ss.rtx_rx, memory_order_relaxed);
	p->rtcp_ssrc = rtcp_ssrc;
	atomic_store_explicit(&p->rtcp_tx, ss.rtcp_tx, memory_order_relaxed);
	p->has_key = 0;
	p->kf_next_tsc = 0;
	p->kf_pending = 0;
	p->fir_seq = 0;
	/* a new stream: statistics from its first packet, the first report a second in */
	memset(&p->rxs, 0, sizeof(p->rxs));
	p->rr_next_tsc = rte_rdtsc() + c->tsc_hz;
	p->rr_last_rx_tsc = 0;
	p->rr_listed = 0;
	p->remb_bps = 0;
	p->nack_listed = 0;
	memset(&p->pipe_src, 0, sizeof(p->pipe_src));
	/* a reused slot's buffer went back at its delete's grace period */
	atomic_store_explicit(&p->rtx, dp_tbl_rtx_take(c, cfg->kind), memory_order_relaxed);
	p->in_use = 1;
	if (rte_hash_add_key_data(c->prod_by_id, &cfg->obj_id, (void *)(uintptr_t)slot) < 0) {
		rc = dp_tbl_fail(r, ENOSPC, "producers: id table full");
		goto undo;
	}
	/* the hash insert is the release that publishes the slot to workers */
	if (rte_hash_add_key_data(c->prod_by_ssrc, &key, (void *)(uintptr_t)slot) < 0) {
		rte_hash_del_key(c->prod_by_id, &cfg->obj_id);
		rc = dp_tbl_fail(r, ENOSPC, "producers: ssrc table full");
		goto undo;
	}
	if (cfg->rtx_ssrc != 0 &&
	    rte_hash_add_key_data(c->prod_by_ssrc, &rtx_key,
				  (void *)(uintptr_t)(slot | DP_PROD_RTX)) < 0) {
		/* published a moment: what a worker may have seen goes after the grace period */
		rte_hash_del_key(c->prod_by_id, &cfg->obj_id);
		p->cfg.rtx_ssrc = 0;
		dp_tbl_producer_remove(c, slot);
		return dp_tbl_fail(r, ENOSPC, "producers: ssrc table full (rtx_ssrc)");
	}
	dp_dir_write_producer(c, slot);
	dp_tbl_ok(r, slot, atomic_load_explicit(&p->gen, memory_order_relaxed));
	return 0;
undo:
	/* never published: no worker can have seen the slot (nor put into its buffer) */
	p->in_use = 0;
	if (atomic_load_explicit(&p->rtx, memory_order_relaxed) != NULL)
		c->rtx_free[c->n_rtx_free++] = atomic_load_explicit(&p->rtx, memory_order_relaxed);
	atomic_store_explicit(&p->rtx, NULL, memory_order_relaxed);
	atomic_store_explicit(&p->srtp_rx, NULL, memory_order_relaxed);
	atomic_store_explicit(&p->srtp_rtx_rx, NULL, memory_order_relaxed);
	atomic_store_explicit(&p->rtcp_tx, NULL, memory_order_relaxed);
	dp_tbl_producer_srtp_free(&ss);
	dp_tbl_owner_put(p->owner);
	dp_lists_del(dp_tbl_lists(), DP_REL_TP_PROD, tslot, slot);
	if (cfg->fb & CASCADE_FB_TWCC)
		twcc_leave(c, tp, tslot, slot);
	dp_tbl_slot_put(DP_TBL_PRODUCER, slot);
	return rc;
}

void
dp_tbl_producer_remove(struct dp_ctx *c, uint32_t ps)
{
	struct dp_lists *l = dp_tbl_lists();
	struct dp_producer *p = &c->producers[ps];
	struct dp_prod_key key = {.transport = p->transport, .ssrc = p->cfg.ssrc};
	const uint32_t *cons;
	uint32_t n;

	while ((cons = dp_lists_get(l, DP_REL_PROD_CONS, ps, &n)), n > 0)
		dp_tbl_consumer_remove(c, cons[n - 1]);
	dp_tbl_defer_key(c->prod_by_ssrc, &key);
	if (p->cfg.rtx_ssrc != 0) {
		key.ssrc = p->cfg.rtx_ssrc;
		dp_tbl_defer_key(c->prod_by_ssrc, &key);
	}
	rte_hash_del_key(c->prod_by_id, &p->cfg.obj_id);
	dp_lists_del(l, DP_REL_TP_PROD, p->transport, ps);
	if (p->cfg.fb & CASCADE_FB_TWCC)
		twcc_leave(c, &c->transports[p->transport], p->transport, ps);
	p->in_use = 0;
	/*
	 * A packet handed to the owner before this point carries the old
	 * generation and is dropped as producer_gone (pairs with the owner's
	 * acquire load of gen in dp_classify_owned()).
	 */
	atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
	dp_tbl_owner_put(p->owner);
	/* a worker may still be unprotecting with it: destroyed after the grace period */
	dp_tbl_defer_call(dp_srtp_rx_free, atomic_load_explicit(&p->srtp_rx, memory_order_relaxed));
	dp_tbl_defer_call(dp_srtp_rx_free,
			  atomic_load_explicit(&p->srtp_rtx_rx, memory_order_relaxed));
	dp_tbl_defer_call(dp_srtp_tx_free, atomic_load_explicit(&p->rtcp_tx, memory_order_relaxed));
	/* its owner may still be putting into the buffer: given back after the grace period */
	if (atomic_load_explicit(&p->rtx, memory_order_relaxed) != NULL)
		dp_tbl_rtx_put(atomic_load_explicit(&p->rtx, memory_order_relaxed));
	atomic_store_explicit(&p->rtx, NULL, memory_order_relaxed);
	p->has_key = 0;
	memset(p->master, 0, sizeof(p->master));
	dp_lists_mark(l, ps); /* publishes an empty list */
	dp_tbl_defer_slot(DP_TBL_PRODUCER, ps);
	dp_dir_write_producer(c, ps);
}

int
dp_tbl_producer_pause(struct dp_ctx *c, const struct cascade_cmd_obj *o, struct cascade_reply *r)
{
	struct dp_producer *p;
	uint32_t slot, i;

	if (o->paused > 1)
		return dp_tbl_fail(r, EINVAL, "pause.paused: must be 0 or 1");
	if (dp_tbl_id_lookup(c->prod_by_id, o->obj_id, &slot) < 0)
		return dp_tbl_fail(r, ENOENT, "producer 0x%" PRIx64 " not found", o->obj_id);
	p = &c->producers[slot];
	if (!o->paused && atomic_load_explicit(&p->paused, memory_order_relaxed)) {
		/* consumers re-base on the producer's resume too: no gap, no jump */
		uint32_t n;
		const uint32_t *cons = dp_lists_get(dp_tbl_lists(), DP_REL_PROD_CONS, slot, &n);

		for (i = 0; i < n; i++)
			atomic_fetch_add_explicit(&c->consumers[cons[i]].resume_epoch, 1,
						  memory_order_relaxed);
	}
	atomic_store_explicit(&p->paused, o->paused, memory_order_release);
	dp_dir_write_producer(c, slot);
	dp_tbl_ok(r, slot, atomic_load_explicit(&p->gen, memory_order_relaxed));
	return 0;
}
