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
 * worker reports quiescence once per loop, after flushing its TX buffers). A
 * consumer's delete is acknowledged only after that grace period, so no packet
 * reaches a consumer after its delete was acknowledged.
 *
 * Consumer lists change in batches: the commands of one ring drain edit
 * main-private vectors, and dp_table_publish() copies each dirty one once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "dp_table_priv.h"

/* What waits for a grace period before it is released. */
enum defer_kind {
	DEFER_FREE_PTR,     /* rte_free(ptr) */
	DEFER_HASH_POS,     /* rte_hash_free_key_with_position(h, pos) */
	DEFER_SLOT_TP,      /* transport slot back to its free list */
	DEFER_SLOT_PROD,
	DEFER_SLOT_CONS,
	DEFER_REPLY,        /* push reply to the reply ring */
	DEFER_CALL,         /* fn(ptr): SRTP sessions */
};

struct defer {
	uint64_t token;
	uint8_t kind;
	int32_t pos;
	uint32_t slot;
	void *ptr;
	void (*fn)(void *);
	struct rte_hash *h;
	struct cascade_reply reply;
};

struct vec {
	uint32_t n, cap;
	uint32_t *v;
};

struct slots {
	uint32_t n;
	uint32_t *free;
};

/* Main-lcore-only bookkeeping. */
static struct {
	struct slots tp, prod, cons;
	struct vec *prod_cons; /* per producer: its consumer slots */
	uint32_t *dirty;       /* producers whose list changed this batch */
	uint32_t n_dirty;
	uint8_t *is_dirty;
	struct defer *q; /* FIFO of deferred work, tokens non-decreasing */
	size_t q_head, q_tail, q_cap;
	bool batch_deletes; /* something in this batch needs a grace period */
	size_t batch_start; /* q_tail when the batch began: entries that get its token */
} m;

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
	if (c->transports == NULL || c->producers == NULL || c->consumers == NULL) {
		DP_LOG(ERR, "tables: out of hugepage memory (lower --max-* or reserve more)");
		return -ENOMEM;
	}
	c->tp_by_addr = hash_make("dp_tp_addr", o->max_transports * 2, sizeof(struct dp_addr_key),
				  true);
	c->prod_by_ssrc =
		hash_make("dp_prod_ssrc", o->max_producers, sizeof(struct dp_prod_key), true);
	c->tp_by_id = hash_make("dp_tp_id", o->max_transports, sizeof(uint64_t), false);
	c->prod_by_id = hash_make("dp_prod_id", o->max_producers, sizeof(uint64_t), false);
	c->cons_by_id = hash_make("dp_cons_id", o->max_consumers, sizeof(uint64_t), false);
	if (c->tp_by_addr == NULL || c->prod_by_ssrc == NULL || c->tp_by_id == NULL ||
	    c->prod_by_id == NULL || c->cons_by_id == NULL)
		return -ENOMEM;

	qsz = rte_rcu_qsbr_get_memsize(c->n_workers);
	c->qsbr = rte_zmalloc("dp_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (c->qsbr == NULL || rte_rcu_qsbr_init(c->qsbr, c->n_workers) != 0) {
		DP_LOG(ERR, "rcu: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}

	if (slots_init(&m.tp, o->max_transports) < 0 || slots_init(&m.prod, o->max_producers) < 0 ||
	    slots_init(&m.cons, o->max_consumers) < 0)
		return -ENOMEM;
	m.prod_cons = calloc(o->max_producers, sizeof(*m.prod_cons));
	m.dirty = calloc(o->max_producers, sizeof(*m.dirty));
	m.is_dirty = calloc(o->max_producers, 1);
	m.q_cap = 1024;
	m.q = calloc(m.q_cap, sizeof(*m.q));
	if (m.prod_cons == NULL || m.dirty == NULL || m.is_dirty == NULL || m.q == NULL)
		return -ENOMEM;
	return 0;
}

void
dp_tables_free(struct dp_ctx *c)
{
	uint32_t i;

	dp_table_reclaim(c, true);
	for (i = 0; i < c->opt.max_producers && c->producers != NULL; i++) {
		rte_free(atomic_load(&c->producers[i].clist));
		if (c->producers[i].in_use)
			dp_srtp_rx_free(atomic_load(&c->producers[i].srtp_rx));
		memset(c->producers[i].master, 0, sizeof(c->producers[i].master));
	}
	/* sessions of removed objects went with the deferred work above */
	for (i = 0; i < c->opt.max_transports && c->transports != NULL; i++) {
		rte_free(atomic_load(&c->transports[i].peer));
		if (c->transports[i].in_use)
			dp_srtp_rx_free(atomic_load(&c->transports[i].srtp_rx));
		memset(c->transports[i].rx_master, 0, sizeof(c->transports[i].rx_master));
		memset(c->transports[i].tx_master, 0, sizeof(c->transports[i].tx_master));
	}
	for (i = 0; i < c->opt.max_consumers && c->consumers != NULL; i++) {
		if (c->consumers[i].in_use)
			dp_srtp_tx_free(atomic_load(&c->consumers[i].srtp));
		memset(c->consumers[i].master, 0, sizeof(c->consumers[i].master));
	}
	for (i = 0; m.prod_cons != NULL && i < c->opt.max_producers; i++)
		free(m.prod_cons[i].v);
	free(m.prod_cons);
	free(m.dirty);
	free(m.is_dirty);
	free(m.q);
	free(m.tp.free);
	free(m.prod.free);
	free(m.cons.free);
	memset(&m, 0, sizeof(m));
	rte_hash_free(c->tp_by_addr);
	rte_hash_free(c->prod_by_ssrc);
	rte_hash_free(c->tp_by_id);
	rte_hash_free(c->prod_by_id);
	rte_hash_free(c->cons_by_id);
	rte_free(c->qsbr);
	rte_free(c->transports);
	rte_free(c->producers);
	rte_free(c->consumers);
}

/* ---- deferred work ---------------------------------------------------------------- */

static struct defer *
defer_push(uint8_t kind)
{
	struct defer *d;

	if (m.q_tail - m.q_head == m.q_cap) {
		/* grow: compact into a buffer twice the size (main lcore, not the fast path) */
		size_t n = m.q_tail - m.q_head, i;
		struct defer *nq = calloc(m.q_cap * 2, sizeof(*nq));
		if (nq == NULL)
			return NULL;
		for (i = 0; i < n; i++)
			nq[i] = m.q[(m.q_head + i) % m.q_cap];
		free(m.q);
		m.q = nq;
		m.batch_start -= m.q_head;
		m.q_head = 0;
		m.q_tail = n;
		m.q_cap *= 2;
	}
	d = &m.q[m.q_tail % m.q_cap];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->token = UINT64_MAX; /* set when the batch is published */
	m.q_tail++;
	m.batch_deletes = true;
	return d;
}

static void
defer_ptr(void *p)
{
	struct defer *d;

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

static void
defer_hash(struct rte_hash *h, const void *key)
{
	int32_t pos = rte_hash_del_key(h, key);
	struct defer *d;

	if (pos < 0)
		return;
	d = defer_push(DEFER_HASH_POS);
	if (d != NULL) {
		d->h = h;
		d->pos = pos;
	}
}

static void
defer_slot(uint8_t kind, uint32_t slot)
{
	struct defer *d = defer_push(kind);

	if (d != NULL)
		d->slot = slot;
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
defer_run(struct dp_ctx *c, struct defer *d)
{
	switch (d->kind) {
	case DEFER_FREE_PTR:
		rte_free(d->ptr);
		break;
	case DEFER_HASH_POS:
		rte_hash_free_key_with_position(d->h, d->pos);
		break;
	case DEFER_SLOT_TP:
		zero_obj_stats(c, c->seg.lay.transport_stats_off, c->opt.max_transports, d->slot);
		slot_put(&m.tp, d->slot);
		break;
	case DEFER_SLOT_PROD:
		zero_obj_stats(c, c->seg.lay.producer_stats_off, c->opt.max_producers, d->slot);
		slot_put(&m.prod, d->slot);
		break;
	case DEFER_SLOT_CONS:
		zero_obj_stats(c, c->seg.lay.consumer_stats_off, c->opt.max_consumers, d->slot);
		slot_put(&m.cons, d->slot);
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

/*
 * Run deferred work whose grace period has ended (all of it when `all`, at
 * shutdown after the workers stopped). Main lcore.
 */
void
dp_table_reclaim(struct dp_ctx *c, bool all)
{
	while (m.q_head != m.q_tail) {
		struct defer *d = &m.q[m.q_head % m.q_cap];

		if (d->token == UINT64_MAX && !all)
			break; /* batch not published yet */
		if (!all && rte_rcu_qsbr_check(c->qsbr, d->token, false) != 1)
			break;
		defer_run(c, d);
		m.q_head++;
	}
	if (m.q_head == m.q_tail) {
		m.q_head = m.q_tail = 0;
		m.batch_start = 0;
	}
}

bool
dp_table_pending(const struct dp_ctx *c)
{
	RTE_SET_USED(c);
	return m.q_head != m.q_tail;
}

/* ---- consumer lists ---------------------------------------------------------------- */

static void
mark_dirty(uint32_t pslot)
{
	if (!m.is_dirty[pslot]) {
		m.is_dirty[pslot] = 1;
		m.dirty[m.n_dirty++] = pslot;
	}
}

static int
vec_add(struct vec *v, uint32_t x)
{
	if (v->n == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 8;
		uint32_t *nv = realloc(v->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	return 0;
}

static void
vec_del(struct vec *v, uint32_t x)
{
	uint32_t i;

	for (i = 0; i < v->n; i++)
		if (v->v[i] == x) {
			v->v[i] = v->v[--v->n];
			return;
		}
}

/*
 * Publish every consumer list changed since the last call, then stamp the
 * batch's deferred work with one grace-period token. Main lcore, once per
 * command batch.
 */
void
dp_table_publish(struct dp_ctx *c)
{
	uint32_t i;
	uint64_t token;
	size_t k;

	for (i = 0; i < m.n_dirty; i++) {
		uint32_t ps = m.dirty[i];
		struct dp_producer *p = &c->producers[ps];
		struct vec *v = &m.prod_cons[ps];
		struct dp_clist *nl = NULL, *old;

		m.is_dirty[ps] = 0;
		if (p->in_use && v->n > 0) {
			nl = rte_malloc("dp_clist", sizeof(*nl) + v->n * sizeof(uint32_t),
					RTE_CACHE_LINE_SIZE);
			if (nl == NULL) {
				/* keep the old list: consumers added in this batch get no media
				 * until the next change; logged because it needs an operator */
				DP_LOG(ERR, "consumer list for producer slot %u: out of memory", ps);
				continue;
			}
			nl->n = v->n;
			memcpy(nl->slot, v->v, v->n * sizeof(uint32_t));
		}
		old = atomic_load_explicit(&p->clist, memory_order_relaxed);
		/* pairs with the worker's acquire load of clist in dp_fanout_rtp() */
		atomic_store_explicit(&p->clist, nl, memory_order_release);
		if (old != NULL)
			defer_ptr(old);
	}
	m.n_dirty = 0;
	if (!m.batch_deletes)
		return;
	token = rte_rcu_qsbr_start(c->qsbr);
	for (k = m.batch_start; k != m.q_tail; k++)
		m.q[k % m.q_cap].token = token;
	m.batch_start = m.q_tail;
	m.batch_deletes = false;
}

/* Queue a reply to go out after the current batch's grace period. */
int
dp_table_defer_reply(const struct cascade_reply *r)
{
	struct defer *d = defer_push(DEFER_REPLY);

	if (d == NULL)
		return -ENOMEM;
	d->reply = *r;
	return 0;
}

/* ---- what dp_table_cmd.c uses (main lcore only) --------------------------------------- */

static struct slots *
slots_of(enum dp_tbl_kind kind)
{
	return kind == DP_TBL_TRANSPORT ? &m.tp : kind == DP_TBL_PRODUCER ? &m.prod : &m.cons;
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
	defer_ptr(p);
}

void
dp_tbl_defer_call(void (*fn)(void *), void *p)
{
	struct defer *d;

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
	defer_hash(h, key);
}

void
dp_tbl_defer_slot(enum dp_tbl_kind kind, uint32_t slot)
{
	defer_slot(kind == DP_TBL_TRANSPORT ? DEFER_SLOT_TP
		   : kind == DP_TBL_PRODUCER ? DEFER_SLOT_PROD
					     : DEFER_SLOT_CONS,
		   slot);
}

int
dp_tbl_consumer_link(uint32_t pslot, uint32_t cslot)
{
	int rc = vec_add(&m.prod_cons[pslot], cslot);

	if (rc == 0)
		mark_dirty(pslot);
	return rc;
}

void
dp_tbl_consumer_unlink(uint32_t pslot, uint32_t cslot)
{
	vec_del(&m.prod_cons[pslot], cslot);
	mark_dirty(pslot);
}

const uint32_t *
dp_tbl_consumers_of(uint32_t pslot, uint32_t *n)
{
	*n = m.prod_cons[pslot].n;
	return m.prod_cons[pslot].v;
}

void
dp_tbl_producer_reset(uint32_t pslot)
{
	m.prod_cons[pslot].n = 0;
	mark_dirty(pslot);
}
