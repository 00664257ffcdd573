/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding tables: transports, producers and consumers, in arrays sized at
 * start and indexed by slot, with rte_hash lookups for the packet path
 * (local address -> transport, transport + SSRC -> producer) and for commands
 * (object id -> slot).
 *
 * Only the main lcore writes. Workers read without locks, so nothing a worker
 * can see is changed in place: a transport's remote tuple (struct dp_peer) and
 * a producer's consumer list (struct dp_clist) are built aside and published
 * with one release store of a pointer; the old copy, a deleted hash key and a
 * deleted slot are reclaimed only after an RCU grace period (rte_rcu_qsbr: every
 * worker reports quiescence once per loop, after flushing its TX buffers and
 * its hand-off stage). A consumer's delete is acknowledged only after that
 * grace period, so no packet reaches a consumer after its delete was
 * acknowledged.
 *
 * Consumer lists change in batches: the commands of one ring drain edit
 * main-private vectors (dp_lists.c), and dp_table_publish() copies each dirty
 * one once; the batch's deferred work (dp_defer.c) is stamped only when every
 * copy is live.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "dp_defer.h"
#include "dp_lists.h"
#include "dp_table_priv.h"

/* What waits for a grace period before it is released (dp_defer_ent.kind). */
enum defer_kind {
	DEFER_FREE_PTR, /* rte_free(ptr) */
	DEFER_HASH_POS, /* rte_hash_free_key_with_position(aux, pos) */
	DEFER_SLOT_TP,  /* transport slot back to its free list */
	DEFER_SLOT_PROD,
	DEFER_SLOT_CONS,
	DEFER_REPLY, /* push reply to the reply ring */
	DEFER_CALL,  /* fn(ptr): SRTP sessions */
};

struct slots {
	uint32_t n;
	uint32_t *free;
};

/* Main-lcore-only bookkeeping. */
static struct {
	struct slots tp, prod, cons;
	struct dp_lists lists;
	struct dp_defer_q q;
	uint32_t owned[DP_MAX_WORKERS]; /* producers each worker owns */
	uint32_t *rekeyed;              /* producers with a previous inbound key still accepted */
	uint32_t n_rekeyed, cap_rekeyed;
} tbl;

static int
slots_init(struct slots *s, uint32_t n)
{
	uint32_t i;

	s->free = calloc(n, sizeof(*s->free));
	if (s->free == NULL)
		return -ENOMEM;
	/* hand out low slots first */
	for (i = 0; i < n; i++)
		s->free[i] = n - 1 - i;
	s->n = n;
	return 0;
}

static int
slot_get(struct slots *s, uint32_t *slot)
{
	if (s->n == 0)
		return -ENOSPC;
	*slot = s->free[--s->n];
	return 0;
}

static void
slot_put(struct slots *s, uint32_t slot)
{
	s->free[s->n++] = slot;
}

static struct rte_hash *
hash_make(const char *name, uint32_t entries, uint32_t key_len, bool concurrent)
{
	struct rte_hash_parameters p = {
		.name = name,
		.entries = entries < 8 ? 8 : entries,
		.key_len = key_len,
		.hash_func = rte_hash_crc, /* the CPU's CRC32 instruction: cheaper than jhash */
		.socket_id = (int)rte_socket_id(),
		/* the extendable bucket table guarantees every one of `entries` keys fits */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE |
			      (concurrent ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0),
	};
	struct rte_hash *h = rte_hash_create(&p);

	if (h == NULL)
		DP_LOG(ERR, "hash %s (%u entries): %s", name, entries, rte_strerror(rte_errno));
	return h;
}

int
dp_tables_init(struct dp_ctx *c)
{
	const struct dp_options *o = &c->opt;
	size_t qsz;

	c->transports = rte_zmalloc("dp_transports", sizeof(*c->transports) * o->max_transports,
				    RTE_CACHE_LINE_SIZE);
	c->producers = rte_zmalloc("dp_producers", sizeof(*c->producers) * o->max_producers,
				   RTE_CACHE_LINE_SIZE);
	c->consumers = rte_zmalloc("dp_consumers", sizeof(*c->consumers) * o->max_consumers,
				   RTE_CACHE_LINE_SIZE);
	/* in the segment, laid out already (zeroed: no consumer has a report) */
	c->consumer_rtcp = cascade_seg_at(&c->seg, c->seg.lay.consumer_rtcp_off);
	c->transport_twcc = cascade_seg_at(&c->seg, c->seg.lay.transport_twcc_off);
	if (c->transports == NULL || c->producers == NULL || c->consumers == NULL) {
		DP_LOG(ERR, "tables: out of hugepage memory (lower --max-* or reserve more)");
		return -ENOMEM;
	}
	c->tp_by_addr = hash_make("dp_tp_addr", o->max_transports * 2, sizeof(struct dp_addr_key),
				  true);
	/* a media SSRC and an RTX SSRC per producer */
	c->prod_by_ssrc =
		hash_make("dp_prod_ssrc", o->max_producers * 2, sizeof(struct dp_prod_key), true);
	c->tp_by_id = hash_make("dp_tp_id", o->max_transports, sizeof(uint64_t), false);
	c->prod_by_id = hash_make("dp_prod_id", o->max_producers, sizeof(uint64_t), false);
	c->cons_by_id = hash_make("dp_cons_id", o->max_consumers, sizeof(uint64_t), false);
	c->cons_by_ssrc =
		hash_make("dp_cons_ssrc", o->max_consumers, sizeof(struct dp_cons_key), true);
	if (c->tp_by_addr == NULL || c->prod_by_ssrc == NULL || c->tp_by_id == NULL ||
	    c->prod_by_id == NULL || c->cons_by_id == NULL || c->cons_by_ssrc == NULL)
		return -ENOMEM;

	qsz = rte_rcu_qsbr_get_memsize(c->n_workers);
	c->qsbr = rte_zmalloc("dp_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (c->qsbr == NULL || rte_rcu_qsbr_init(c->qsbr, c->n_workers) != 0) {
		DP_LOG(ERR, "rcu: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}

	if (slots_init(&tbl.tp, o->max_transports) < 0 ||
	    slots_init(&tbl.prod, o->max_producers) < 0 ||
	    slots_init(&tbl.cons, o->max_consumers) < 0 ||
	    dp_lists_init(&tbl.lists, o->max_transports, o->max_producers, o->max_consumers) < 0 ||
	    dp_defer_init(&tbl.q, 1024) < 0) {
		DP_LOG(ERR, "tables: out of memory for the main lcore's bookkeeping");
		return -ENOMEM;
	}
	return dp_tbl_rtx_init(c);
}

static void defer_run(void *ctx, struct dp_defer_ent *d);

void
dp_tables_free(struct dp_ctx *c)
{
	uint32_t i;

	dp_table_reclaim(c, true);
	for (i = 0; i < c->opt.max_producers && c->producers != NULL; i++) {
		rte_free(atomic_load(&c->producers[i].clist));
		if (c->producers[i].in_use) {
			dp_srtp_rx_free(atomic_load(&c->producers[i].srtp_rx));
			dp_srtp_rx_free(atomic_load(&c->producers[i].srtp_rtx_rx));
			dp_srtp_tx_free(atomic_load(&c->producers[i].rtcp_tx));
		}
		memset(c->producers[i].master, 0, sizeof(c->producers[i].master));
	}
	/* sessions of removed objects went with the deferred work above */
	for (i = 0; i < c->opt.max_transports && c->transports != NULL; i++) {
		rte_free(atomic_load(&c->transports[i].peer));
		memset(c->transports[i].rx_master, 0, sizeof(c->transports[i].rx_master));
		memset(c->transports[i].tx_master, 0, sizeof(c->transports[i].tx_master));
	}
	for (i = 0; i < c->opt.max_consumers && c->consumers != NULL; i++) {
		if (c->consumers[i].in_use) {
			dp_srtp_tx_free(atomic_load(&c->consumers[i].srtp));
			dp_srtp_tx_free(atomic_load(&c->consumers[i].fb_rx));
		}
		memset(c->consumers[i].master, 0, sizeof(c->consumers[i].master));
	}
	dp_tbl_rtx_fini(c);
	dp_lists_fini(&tbl.lists);
	dp_defer_fini(&tbl.q);
	free(tbl.tp.free);
	free(tbl.prod.free);
	free(tbl.cons.free);
	free(tbl.rekeyed);
	memset(&tbl, 0, sizeof(tbl));
	rte_hash_free(c->tp_by_addr);
	rte_hash_free(c->tp_by_id);
	rte_hash_free(c->prod_by_ssrc);
	rte_hash_free(c->prod_by_id);
	rte_hash_free(c->cons_by_id);
	rte_hash_free(c->cons_by_ssrc);
	rte_free(c->qsbr);
	rte_free(c->transports);
	rte_free(c->producers);
	rte_free(c->consumers);
}

/* ---- deferred work ---------------------------------------------------------------- */

static struct dp_defer_ent *
defer_push(uint8_t kind)
{
	struct dp_defer_ent *d = dp_defer_push(&tbl.q);

	if (d != NULL)
		d->kind = kind;
	return d;
}

static void
zero_obj_stats(struct dp_ctx *c, uint64_t off, uint32_t max, uint32_t slot)
{
	struct cascade_obj_stats *st = cascade_seg_at(&c->seg, off);
	uint32_t l;

	for (l = 0; l < c->n_workers; l++)
		memset(&st[(uint64_t)l * max + slot], 0, sizeof(*st));
}

static void
defer_run(void *ctx, struct dp_defer_ent *d)
{
	struct dp_ctx *c = ctx;

	switch (d->kind) {
	case DEFER_FREE_PTR:
		rte_free(d->ptr);
		break;
	case DEFER_HASH_POS:
		rte_hash_free_key_with_position(d->aux, d->pos);
		break;
	case DEFER_SLOT_TP:
		zero_obj_stats(c, c->seg.lay.transport_stats_off, c->opt.max_transports, d->slot);
		memset(&c->transport_twcc[d->slot], 0, sizeof(c->transport_twcc[d->slot]));
		slot_put(&tbl.tp, d->slot);
		break;
	case DEFER_SLOT_PROD:
		zero_obj_stats(c, c->seg.lay.producer_stats_off, c->opt.max_producers, d->slot);
		slot_put(&tbl.prod, d->slot);
		break;
	case DEFER_SLOT_CONS:
		zero_obj_stats(c, c->seg.lay.consumer_stats_off, c->opt.max_consumers, d->slot);
		/* no worker writes it any more: the next consumer starts with no report */
		memset(&c->consumer_rtcp[d->slot], 0, sizeof(c->consumer_rtcp[d->slot]));
		slot_put(&tbl.cons, d->slot);
		break;
	case DEFER_CALL:
		d->fn(d->ptr);
		break;
	case DEFER_REPLY:
		/* the reply ring has as many slots as the cmd ring: a client that keeps at
		 * most that many commands in flight always finds room */
		if (cascade_ring_push(cascade_seg_reply_ring(&c->seg), &d->reply,
				      sizeof(d->reply)) != 0)
			DP_LOG(WARNING, "reply ring full: reply req=%" PRIu64 " lost",
			       d->reply.req_id);
		break;
	}
}

static bool
grace_done(void *ctx, uint64_t token)
{
	const struct dp_ctx *c = ctx;

	return rte_rcu_qsbr_check(c->qsbr, token, false) == 1;
}

/*
 * Run deferred work whose grace period has ended (all of it when `all`, at
 * shutdown after the workers stopped). Main lcore.
 */
void
dp_table_reclaim(struct dp_ctx *c, bool all)
{
	dp_defer_run(&tbl.q, all, grace_done, defer_run, c);
}

bool
dp_table_pending(const struct dp_ctx *c)
{
	RTE_SET_USED(c);
	return dp_defer_pending(&tbl.q) != 0 || tbl.lists.n_dirty != 0;
}

/* ---- consumer lists ---------------------------------------------------------------- */

/* dp_lists_commit's publish: a copy of the list for the workers (release store). */
static int
publish_clist(void *ctx, uint32_t ps, const uint32_t *slots, uint32_t n)
{
	struct dp_ctx *c = ctx;
	struct dp_producer *p = &c->producers[ps];
	struct dp_clist *nl = NULL, *old;

	if (p->in_use && n > 0) {
		nl = rte_malloc("dp_clist", sizeof(*nl) + n * sizeof(uint32_t), RTE_CACHE_LINE_SIZE);
		if (nl == NULL)
			return -ENOMEM;
		nl->n = n;
		memcpy(nl->slot, slots, n * sizeof(uint32_t));
	}
	old = atomic_load_explicit(&p->clist, memory_order_relaxed);
	/* pairs with the worker's acquire load of clist in dp_fanout_rtp() */
	atomic_store_explicit(&p->clist, nl, memory_order_release);
	dp_tbl_defer_free(old);
	return 0;
}

static uint64_t
grace_start(void *ctx)
{
	const struct dp_ctx *c = ctx;

	return rte_rcu_qsbr_start(c->qsbr);
}

/*
 * Publish the consumer lists changed since the last call, then stamp the
 * batch's deferred work with one grace-period token. Main lcore, once per
 * command batch. A list that cannot be copied (out of memory) keeps the old
 * one live and holds the batch's deferred work back until a later call
 * publishes it (logged once per failure streak: it needs an operator).
 */
void
dp_table_publish(struct dp_ctx *c)
{
	static bool failing;

	if (dp_lists_commit(&tbl.lists, &tbl.q, publish_clist, grace_start, c) < 0) {
		if (!failing)
			DP_LOG(ERR, "consumer lists: out of memory; %u wait, with the "
				    "deletes of their batch",
			       tbl.lists.n_dirty);
		failing = true;
		return;
	}
	failing = false;
}

/* Queue a reply to go out after the current batch's grace period. */
int
dp_table_defer_reply(const struct cascade_reply *r)
{
	struct dp_defer_ent *d = defer_push(DEFER_REPLY);

	if (d == NULL)
		return -ENOMEM;
	d->reply = *r;
	return 0;
}

/* ---- what dp_table_cmd.c uses (main lcore only) --------------------------------------- */

static struct slots *
slots_of(enum dp_tbl_kind kind)
{
	return kind == DP_TBL_TRANSPORT ? &tbl.tp : kind == DP_TBL_PRODUCER ? &tbl.prod : &tbl.cons;
}

int
dp_tbl_slot_get(enum dp_tbl_kind kind, uint32_t *slot)
{
	return slot_get(slots_of(kind), slot);
}

void
dp_tbl_slot_put(enum dp_tbl_kind kind, uint32_t slot)
{
	slot_put(slots_of(kind), slot);
}

void
dp_tbl_defer_free(void *p)
{
	struct dp_defer_ent *d;

	if (p == NULL)
		return;
	d = defer_push(DEFER_FREE_PTR);
	if (d == NULL) {
		/* cannot wait safely: leak rather than free under readers */
		DP_LOG(ERR, "defer queue: out of memory, leaking %p", p);
		return;
	}
	d->ptr = p;
}

void
dp_tbl_defer_call(void (*fn)(void *), void *p)
{
	struct dp_defer_ent *d;

	if (p == NULL)
		return;
	d = defer_push(DEFER_CALL);
	if (d == NULL) {
		DP_LOG(ERR, "defer queue: out of memory, leaking an srtp session");
		return;
	}
	d->fn = fn;
	d->ptr = p;
}

void
dp_tbl_defer_key(struct rte_hash *h, const void *key)
{
	int32_t pos = rte_hash_del_key(h, key);
	struct dp_defer_ent *d;

	if (pos < 0)
		return;
	d = defer_push(DEFER_HASH_POS);
	if (d != NULL) {
		d->aux = h;
		d->pos = pos;
	}
}

void
dp_tbl_defer_slot(enum dp_tbl_kind kind, uint32_t slot)
{
	struct dp_defer_ent *d = defer_push(kind == DP_TBL_TRANSPORT  ? DEFER_SLOT_TP
					    : kind == DP_TBL_PRODUCER ? DEFER_SLOT_PROD
								      : DEFER_SLOT_CONS);

	if (d != NULL)
		d->slot = slot;
}

struct dp_lists *
dp_tbl_lists(void)
{
	return &tbl.lists;
}

uint16_t
dp_tbl_owner_take(void)
{
	uint16_t w, best = 0;

	for (w = 1; w < dp.n_workers; w++)
		if (tbl.owned[w] < tbl.owned[best])
			best = w;
	tbl.owned[best]++;
	return best;
}

void
dp_tbl_owner_hold(uint16_t w)
{
	if (w < DP_MAX_WORKERS)
		tbl.owned[w]++;
}

void
dp_tbl_owner_put(uint16_t w)
{
	if (w < DP_MAX_WORKERS && tbl.owned[w] > 0)
		tbl.owned[w]--;
}

int
dp_tbl_rekeyed_add(uint32_t pslot)
{
	uint32_t i;

	for (i = 0; i < tbl.n_rekeyed; i++)
		if (tbl.rekeyed[i] == pslot)
			return 0;
	if (tbl.n_rekeyed == tbl.cap_rekeyed) {
		uint32_t cap = tbl.cap_rekeyed ? tbl.cap_rekeyed * 2 : 64;
		uint32_t *nv = realloc(tbl.rekeyed, cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		tbl.rekeyed = nv;
		tbl.cap_rekeyed = cap;
	}
	tbl.rekeyed[tbl.n_rekeyed++] = pslot;
	return 0;
}

/*
 * Periodic work of the main lcore: end the overlap of re-keyed inbound SRTP
 * pairs whose time is up (the previous key is no longer accepted; its
 * sessions go after a grace period). Main lcore.
 */
void
dp_table_housekeep(struct dp_ctx *c)
{
	uint64_t now = rte_rdtsc();
	uint32_t i = 0;

	while (i < tbl.n_rekeyed) {
		struct dp_producer *p = &c->producers[tbl.rekeyed[i]];
		struct dp_srtp_rx *rx = atomic_load_explicit(&p->srtp_rx, memory_order_relaxed);
		struct dp_srtp_rx *old =
			rx != NULL ? atomic_load_explicit(&rx->old, memory_order_relaxed) : NULL;

		if (p->in_use && old != NULL && now < rx->old_until_tsc) {
			i++;
			continue;
		}
		if (p->in_use && old != NULL) {
			/* pairs with the worker's acquire load of old in srtp_in() */
			atomic_store_explicit(&rx->old, NULL, memory_order_release);
			dp_tbl_defer_call(dp_srtp_rx_free, old);
		}
		tbl.rekeyed[i] = tbl.rekeyed[--tbl.n_rekeyed];
	}
}
