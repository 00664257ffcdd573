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
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"

/* What waits for a grace period before it is released. */
enum defer_kind {
	DEFER_FREE_PTR,     /* rte_free(ptr) */
	DEFER_HASH_POS,     /* rte_hash_free_key_with_position(h, pos) */
	DEFER_SLOT_TP,      /* transport slot back to its free list */
	DEFER_SLOT_PROD,
	DEFER_SLOT_CONS,
	DEFER_REPLY,        /* push reply to the reply ring */
};

struct defer {
	uint64_t token;
	uint8_t kind;
	int32_t pos;
	uint32_t slot;
	void *ptr;
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
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = concurrent ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0,
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
	c->tp_by_addr = hash_make("dp_tp_addr", o->max_transports * 2, sizeof(struct cascade_addr),
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
	for (i = 0; i < c->opt.max_producers && c->producers != NULL; i++)
		rte_free(atomic_load(&c->producers[i].clist));
	for (i = 0; i < c->opt.max_transports && c->transports != NULL; i++)
		rte_free(atomic_load(&c->transports[i].peer));
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
		zero_obj_stats(c, c->seg.hdr->transport_stats_off, c->opt.max_transports, d->slot);
		slot_put(&m.tp, d->slot);
		break;
	case DEFER_SLOT_PROD:
		zero_obj_stats(c, c->seg.hdr->producer_stats_off, c->opt.max_producers, d->slot);
		slot_put(&m.prod, d->slot);
		break;
	case DEFER_SLOT_CONS:
		zero_obj_stats(c, c->seg.hdr->consumer_stats_off, c->opt.max_consumers, d->slot);
		slot_put(&m.cons, d->slot);
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

/* ---- helpers ------------------------------------------------------------------------ */

static int
fail(struct cascade_reply *r, int err, const char *fmt, ...) __rte_format_printf(3, 4);

static int
fail(struct cascade_reply *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	r->status = -err;
	return -err;
}

static int
id_lookup(struct rte_hash *h, uint64_t id, uint32_t *slot)
{
	void *data;

	if (rte_hash_lookup_data(h, &id, &data) < 0)
		return -ENOENT;
	*slot = (uint32_t)(uintptr_t)data;
	return 0;
}

static bool
addr_valid(const struct cascade_addr *a, bool need_port)
{
	if (a->family != CASCADE_AF_INET && a->family != CASCADE_AF_INET6)
		return false;
	if (need_port && a->port_be == 0)
		return false;
	return true;
}

/* The hash key for an address: padding and unused bytes zeroed. */
static struct cascade_addr
addr_key(const struct cascade_addr *a)
{
	struct cascade_addr k;

	memset(&k, 0, sizeof(k));
	k.family = a->family;
	k.port_be = a->port_be;
	memcpy(k.ip, a->ip, a->family == CASCADE_AF_INET ? 4 : 16);
	return k;
}

static bool
mac_is_zero(const uint8_t mac[6])
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

static struct dp_peer *
peer_make(const struct cascade_addr *remote, const struct cascade_addr *remote_rtcp,
	  const uint8_t mac[6])
{
	struct dp_peer *p = rte_zmalloc("dp_peer", sizeof(*p), RTE_CACHE_LINE_SIZE);

	if (p == NULL)
		return NULL;
	p->remote = addr_key(remote);
	if (remote_rtcp->family != CASCADE_AF_NONE)
		p->remote_rtcp = addr_key(remote_rtcp);
	if (mac != NULL && !mac_is_zero(mac)) {
		memcpy(p->mac.addr_bytes, mac, 6);
		p->has_mac = 1;
	}
	return p;
}

static void
ok(struct cascade_reply *r, uint32_t slot, uint32_t gen)
{
	r->status = 0;
	r->slot = slot;
	r->gen = gen;
}

/* ---- transports ---------------------------------------------------------------------- */

static int
transport_check(struct dp_ctx *c, const struct cascade_cmd_transport *t, struct cascade_reply *r)
{
	bool mux = t->flags & CASCADE_TRANSPORT_RTCP_MUX;

	if (t->obj_id == 0)
		return fail(r, EINVAL, "transport.obj_id: must not be 0");
	if (t->flags & ~(CASCADE_TRANSPORT_COMEDIA | CASCADE_TRANSPORT_RTCP_MUX))
		return fail(r, EINVAL, "transport.flags: unknown bits 0x%x", t->flags);
	if (t->port_id >= c->n_ports)
		return fail(r, EINVAL, "transport.port_id: %u, dataplane has %u ports", t->port_id,
			    c->n_ports);
	if (!addr_valid(&t->local, true))
		return fail(r, EINVAL, "transport.local: family must be 4 or 6 and port non-zero");
	if (!mux && (!addr_valid(&t->local_rtcp, true) || t->local_rtcp.family != t->local.family))
		return fail(r, EINVAL,
			    "transport.local_rtcp: required without rtcp-mux, same family as local");
	if (!mux && t->local_rtcp.port_be == t->local.port_be &&
	    memcmp(t->local_rtcp.ip, t->local.ip, 16) == 0)
		return fail(r, EINVAL, "transport.local_rtcp: must differ from local");
	if (t->remote.port_be != 0 && t->remote.family != t->local.family)
		return fail(r, EINVAL, "transport.remote: family differs from local");
	if (t->remote_rtcp.port_be != 0 && t->remote_rtcp.family != t->local.family)
		return fail(r, EINVAL, "transport.remote_rtcp: family differs from local");
	return 0;
}

static int
transport_add(struct dp_ctx *c, const struct cascade_cmd_transport *cfg, struct cascade_reply *r)
{
	struct cascade_cmd_transport t = *cfg;
	struct cascade_addr k, krtcp;
	struct dp_transport *tp;
	struct dp_peer *peer = NULL;
	uint32_t slot;
	int rc;

	rc = transport_check(c, &t, r);
	if (rc < 0)
		return rc;
	t.local = addr_key(&t.local);
	if (t.flags & CASCADE_TRANSPORT_RTCP_MUX)
		memset(&t.local_rtcp, 0, sizeof(t.local_rtcp));
	else
		t.local_rtcp = addr_key(&t.local_rtcp);
	if (id_lookup(c->tp_by_id, t.obj_id, &slot) == 0) {
		const struct cascade_cmd_transport *have = &c->transports[slot].cfg;
		if (memcmp(&have->local, &t.local, sizeof(t.local)) == 0 &&
		    memcmp(&have->local_rtcp, &t.local_rtcp, sizeof(t.local_rtcp)) == 0 &&
		    have->flags == t.flags && have->port_id == t.port_id) {
			ok(r, slot, c->transports[slot].gen);
			return 0; /* a retry */
		}
		return fail(r, EEXIST, "transport 0x%" PRIx64 " exists with other parameters",
			    t.obj_id);
	}
	k = t.local;
	krtcp = t.local_rtcp;
	if (rte_hash_lookup(c->tp_by_addr, &k) >= 0 ||
	    (!(t.flags & CASCADE_TRANSPORT_RTCP_MUX) && rte_hash_lookup(c->tp_by_addr, &krtcp) >= 0))
		return fail(r, EADDRINUSE, "transport.local: address and port already in use");
	if (slot_get(&m.tp, &slot) < 0)
		return fail(r, ENOSPC, "transports: table full (%u, see --max-transports)",
			    c->opt.max_transports);
	if (t.remote.port_be != 0) {
		peer = peer_make(&t.remote, &t.remote_rtcp, t.remote_mac);
		if (peer == NULL) {
			slot_put(&m.tp, slot);
			return fail(r, ENOMEM, "transport: out of memory");
		}
	}
	tp = &c->transports[slot];
	tp->cfg = t;
	tp->gen++;
	tp->learn_posted = 0;
	atomic_store_explicit(&tp->peer, peer, memory_order_relaxed);
	tp->in_use = 1;
	/* the hash insert is the release that publishes the slot's contents to workers */
	if (rte_hash_add_key_data(c->tp_by_addr, &k, (void *)(uintptr_t)slot) < 0)
		goto nomem;
	if (!(t.flags & CASCADE_TRANSPORT_RTCP_MUX) &&
	    rte_hash_add_key_data(c->tp_by_addr, &krtcp, (void *)(uintptr_t)(slot | DP_TP_RTCP)) <
		    0) {
		defer_hash(c->tp_by_addr, &k);
		goto nomem_deferred;
	}
	if (rte_hash_add_key_data(c->tp_by_id, &t.obj_id, (void *)(uintptr_t)slot) < 0) {
		defer_hash(c->tp_by_addr, &k);
		if (!(t.flags & CASCADE_TRANSPORT_RTCP_MUX))
			defer_hash(c->tp_by_addr, &krtcp);
		goto nomem_deferred;
	}
	dp_dir_write_transport(c, slot);
	ok(r, slot, tp->gen);
	return 0;

nomem:
	tp->in_use = 0;
	atomic_store(&tp->peer, NULL);
	rte_free(peer);
	slot_put(&m.tp, slot);
	return fail(r, ENOSPC, "transport: address table full");
nomem_deferred:
	/* a worker may already have seen the slot: release it after a grace period */
	tp->in_use = 0;
	atomic_store_explicit(&tp->peer, NULL, memory_order_release);
	defer_ptr(peer);
	defer_slot(DEFER_SLOT_TP, slot);
	return fail(r, ENOSPC, "transport: table full");
}

static int
transport_connect(struct dp_ctx *c, const struct cascade_cmd_transport *cfg,
		  struct cascade_reply *r)
{
	struct dp_transport *tp;
	struct dp_peer *peer, *old;
	uint32_t slot;

	if (id_lookup(c->tp_by_id, cfg->obj_id, &slot) < 0)
		return fail(r, ENOENT, "transport 0x%" PRIx64 " not found", cfg->obj_id);
	tp = &c->transports[slot];
	if (!addr_valid(&cfg->remote, true) || cfg->remote.family != tp->cfg.local.family)
		return fail(r, EINVAL, "connect.remote: needs a port and the local family");
	if (cfg->remote_rtcp.port_be != 0 && cfg->remote_rtcp.family != tp->cfg.local.family)
		return fail(r, EINVAL, "connect.remote_rtcp: family differs from local");
	peer = peer_make(&cfg->remote, &cfg->remote_rtcp, cfg->remote_mac);
	if (peer == NULL)
		return fail(r, ENOMEM, "connect: out of memory");
	old = atomic_load_explicit(&tp->peer, memory_order_relaxed);
	if (old != NULL && !peer->has_mac && old->has_mac &&
	    memcmp(&old->remote, &peer->remote, sizeof(peer->remote)) == 0) {
		peer->mac = old->mac; /* keep a MAC learned for the same remote */
		peer->has_mac = 1;
	}
	/* pairs with the worker's acquire load of peer */
	atomic_store_explicit(&tp->peer, peer, memory_order_release);
	defer_ptr(old);
	tp->cfg.remote = peer->remote;
	tp->cfg.remote_rtcp = peer->remote_rtcp;
	memcpy(tp->cfg.remote_mac, cfg->remote_mac, 6);
	dp_dir_write_transport(c, slot);
	ok(r, slot, tp->gen);
	return 0;
}

static void consumer_remove(struct dp_ctx *c, uint32_t cs);
static void producer_remove(struct dp_ctx *c, uint32_t ps);

static void
transport_remove(struct dp_ctx *c, uint32_t slot)
{
	struct dp_transport *tp = &c->transports[slot];
	struct cascade_addr k;
	uint32_t i;

	/* cascade: consumers sending on it, producers received on it */
	for (i = 0; i < c->opt.max_consumers; i++)
		if (c->consumers[i].in_use && c->consumers[i].transport == slot)
			consumer_remove(c, i);
	for (i = 0; i < c->opt.max_producers; i++)
		if (c->producers[i].in_use && c->producers[i].transport == slot)
			producer_remove(c, i);
	k = tp->cfg.local;
	defer_hash(c->tp_by_addr, &k);
	if (!(tp->cfg.flags & CASCADE_TRANSPORT_RTCP_MUX)) {
		k = tp->cfg.local_rtcp;
		defer_hash(c->tp_by_addr, &k);
	}
	rte_hash_del_key(c->tp_by_id, &tp->cfg.obj_id);
	tp->in_use = 0;
	defer_ptr(atomic_load_explicit(&tp->peer, memory_order_relaxed));
	atomic_store_explicit(&tp->peer, NULL, memory_order_release);
	defer_slot(DEFER_SLOT_TP, slot);
	dp_dir_write_transport(c, slot);
}

/* ---- producers ----------------------------------------------------------------------- */

static int
producer_add(struct dp_ctx *c, const struct cascade_cmd_producer *cfg, struct cascade_reply *r)
{
	struct dp_prod_key key;
	struct dp_producer *p;
	uint32_t slot, tslot;

	if (cfg->obj_id == 0)
		return fail(r, EINVAL, "producer.obj_id: must not be 0");
	if (cfg->kind != CASCADE_KIND_AUDIO && cfg->kind != CASCADE_KIND_VIDEO)
		return fail(r, EINVAL, "producer.kind: must be 1 (audio) or 2 (video)");
	if (cfg->clock_rate < 1000 || cfg->clock_rate > 1000000)
		return fail(r, EINVAL, "producer.clock_rate: %u outside [1000, 1000000]",
			    cfg->clock_rate);
	if (cfg->paused > 1)
		return fail(r, EINVAL, "producer.paused: must be 0 or 1");
	if (id_lookup(c->tp_by_id, cfg->transport_id, &tslot) < 0)
		return fail(r, ENOENT, "producer.transport_id: transport 0x%" PRIx64 " not found",
			    cfg->transport_id);
	if (id_lookup(c->prod_by_id, cfg->obj_id, &slot) == 0) {
		const struct cascade_cmd_producer *h = &c->producers[slot].cfg;
		if (h->transport_id == cfg->transport_id && h->ssrc == cfg->ssrc &&
		    h->clock_rate == cfg->clock_rate && h->kind == cfg->kind) {
			ok(r, slot, c->producers[slot].gen);
			return 0;
		}
		return fail(r, EEXIST, "producer 0x%" PRIx64 " exists with other parameters",
			    cfg->obj_id);
	}
	key.transport = tslot;
	key.ssrc = cfg->ssrc;
	if (rte_hash_lookup(c->prod_by_ssrc, &key) >= 0)
		return fail(r, EEXIST, "producer.ssrc: %u already produced on this transport",
			    cfg->ssrc);
	if (slot_get(&m.prod, &slot) < 0)
		return fail(r, ENOSPC, "producers: table full (%u, see --max-producers)",
			    c->opt.max_producers);
	p = &c->producers[slot];
	p->cfg = *cfg;
	memset(p->cfg.pad, 0, sizeof(p->cfg.pad));
	p->transport = tslot;
	p->gen++;
	atomic_store_explicit(&p->paused, cfg->paused, memory_order_relaxed);
	atomic_store_explicit(&p->clist, NULL, memory_order_relaxed);
	m.prod_cons[slot].n = 0;
	p->in_use = 1;
	if (rte_hash_add_key_data(c->prod_by_id, &cfg->obj_id, (void *)(uintptr_t)slot) < 0) {
		p->in_use = 0;
		slot_put(&m.prod, slot);
		return fail(r, ENOSPC, "producers: id table full");
	}
	/* the hash insert is the release that publishes the slot to workers */
	if (rte_hash_add_key_data(c->prod_by_ssrc, &key, (void *)(uintptr_t)slot) < 0) {
		rte_hash_del_key(c->prod_by_id, &cfg->obj_id);
		p->in_use = 0;
		slot_put(&m.prod, slot);
		return fail(r, ENOSPC, "producers: ssrc table full");
	}
	dp_dir_write_producer(c, slot);
	ok(r, slot, p->gen);
	return 0;
}

static void
producer_remove(struct dp_ctx *c, uint32_t ps)
{
	struct dp_producer *p = &c->producers[ps];
	struct vec *v = &m.prod_cons[ps];
	struct dp_prod_key key = {.transport = p->transport, .ssrc = p->cfg.ssrc};

	while (v->n > 0)
		consumer_remove(c, v->v[v->n - 1]);
	defer_hash(c->prod_by_ssrc, &key);
	rte_hash_del_key(c->prod_by_id, &p->cfg.obj_id);
	p->in_use = 0;
	mark_dirty(ps); /* publishes an empty list */
	defer_slot(DEFER_SLOT_PROD, ps);
	dp_dir_write_producer(c, ps);
}

/* ---- consumers ----------------------------------------------------------------------- */

static int
consumer_add(struct dp_ctx *c, const struct cascade_cmd_consumer *cfg, struct cascade_reply *r)
{
	struct dp_consumer *k;
	uint32_t slot, pslot, tslot, i;

	if (cfg->obj_id == 0)
		return fail(r, EINVAL, "consumer.obj_id: must not be 0");
	if (cfg->n_pt_map > CASCADE_MAX_PT_MAP)
		return fail(r, EINVAL, "consumer.n_pt_map: %u > %u", cfg->n_pt_map,
			    CASCADE_MAX_PT_MAP);
	for (i = 0; i < cfg->n_pt_map; i++)
		if (cfg->pt_map[i].in_pt > 127 || cfg->pt_map[i].out_pt > 127)
			return fail(r, EINVAL, "consumer.pt_map[%u]: payload types are 0..127", i);
	for (i = 0; i <= CASCADE_MAX_EXT_ID + 1; i++)
		if (cfg->ext_map[i] > CASCADE_MAX_EXT_ID || (i == 0 && cfg->ext_map[i] != 0) ||
		    (i == CASCADE_MAX_EXT_ID + 1 && cfg->ext_map[i] != 0))
			return fail(r, EINVAL, "consumer.ext_map[%u]: ids are 1..14", i);
	if (cfg->paused > 1)
		return fail(r, EINVAL, "consumer.paused: must be 0 or 1");
	if (id_lookup(c->prod_by_id, cfg->producer_id, &pslot) < 0)
		return fail(r, ENOENT, "consumer.producer_id: producer 0x%" PRIx64 " not found",
			    cfg->producer_id);
	if (id_lookup(c->tp_by_id, cfg->transport_id, &tslot) < 0)
		return fail(r, ENOENT, "consumer.transport_id: transport 0x%" PRIx64 " not found",
			    cfg->transport_id);
	if (id_lookup(c->cons_by_id, cfg->obj_id, &slot) == 0) {
		const struct cascade_cmd_consumer *h = &c->consumers[slot].cfg;
		if (h->producer_id == cfg->producer_id && h->transport_id == cfg->transport_id &&
		    h->ssrc == cfg->ssrc && h->n_pt_map == cfg->n_pt_map &&
		    memcmp(h->pt_map, cfg->pt_map, sizeof(h->pt_map)) == 0 &&
		    memcmp(h->ext_map, cfg->ext_map, sizeof(h->ext_map)) == 0) {
			ok(r, slot, c->consumers[slot].gen);
			return 0;
		}
		return fail(r, EEXIST, "consumer 0x%" PRIx64 " exists with other parameters",
			    cfg->obj_id);
	}
	if (slot_get(&m.cons, &slot) < 0)
		return fail(r, ENOSPC, "consumers: table full (%u, see --max-consumers)",
			    c->opt.max_consumers);
	if (vec_add(&m.prod_cons[pslot], slot) < 0) {
		slot_put(&m.cons, slot);
		return fail(r, ENOMEM, "consumer: out of memory");
	}
	if (rte_hash_add_key_data(c->cons_by_id, &cfg->obj_id, (void *)(uintptr_t)slot) < 0) {
		vec_del(&m.prod_cons[pslot], slot);
		slot_put(&m.cons, slot);
		return fail(r, ENOSPC, "consumers: id table full");
	}
	k = &c->consumers[slot];
	k->cfg = *cfg;
	memset(k->cfg.pad0, 0, sizeof(k->cfg.pad0));
	k->producer = pslot;
	k->transport = tslot;
	k->gen++;
	memset(&k->st, 0, sizeof(k->st));
	k->seen_epoch = atomic_load_explicit(&k->resume_epoch, memory_order_relaxed);
	atomic_store_explicit(&k->paused, cfg->paused, memory_order_relaxed);
	k->in_use = 1;
	mark_dirty(pslot); /* workers see it once the batch's lists are published */
	dp_dir_write_consumer(c, slot);
	ok(r, slot, k->gen);
	return 0;
}

static void
consumer_remove(struct dp_ctx *c, uint32_t cs)
{
	struct dp_consumer *k = &c->consumers[cs];

	vec_del(&m.prod_cons[k->producer], cs);
	mark_dirty(k->producer);
	rte_hash_del_key(c->cons_by_id, &k->cfg.obj_id);
	k->in_use = 0;
	defer_slot(DEFER_SLOT_CONS, cs);
	dp_dir_write_consumer(c, cs);
}

static int
consumer_pause(struct dp_ctx *c, const struct cascade_cmd_obj *o, struct cascade_reply *r)
{
	struct dp_consumer *k;
	uint32_t slot;

	if (o->paused > 1)
		return fail(r, EINVAL, "pause.paused: must be 0 or 1");
	if (id_lookup(c->cons_by_id, o->obj_id, &slot) < 0)
		return fail(r, ENOENT, "consumer 0x%" PRIx64 " not found", o->obj_id);
	k = &c->consumers[slot];
	if (!o->paused && atomic_load_explicit(&k->paused, memory_order_relaxed)) {
		/* the epoch first: a worker that sees paused == 0 also sees the new epoch
		 * (release here pairs with the worker's acquire load of paused) */
		atomic_fetch_add_explicit(&k->resume_epoch, 1, memory_order_relaxed);
	}
	atomic_store_explicit(&k->paused, o->paused, memory_order_release);
	dp_dir_write_consumer(c, slot);
	ok(r, slot, k->gen);
	return 0;
}

static int
producer_pause(struct dp_ctx *c, const struct cascade_cmd_obj *o, struct cascade_reply *r)
{
	struct dp_producer *p;
	uint32_t slot, i;

	if (o->paused > 1)
		return fail(r, EINVAL, "pause.paused: must be 0 or 1");
	if (id_lookup(c->prod_by_id, o->obj_id, &slot) < 0)
		return fail(r, ENOENT, "producer 0x%" PRIx64 " not found", o->obj_id);
	p = &c->producers[slot];
	if (!o->paused && atomic_load_explicit(&p->paused, memory_order_relaxed)) {
		/* consumers re-base on the producer's resume too: no gap, no jump */
		struct vec *v = &m.prod_cons[slot];
		for (i = 0; i < v->n; i++)
			atomic_fetch_add_explicit(&c->consumers[v->v[i]].resume_epoch, 1,
						  memory_order_relaxed);
	}
	atomic_store_explicit(&p->paused, o->paused, memory_order_release);
	dp_dir_write_producer(c, slot);
	ok(r, slot, p->gen);
	return 0;
}

/* ---- command entry ------------------------------------------------------------------- */

static int
obj_del(struct dp_ctx *c, struct rte_hash *ids, const char *what, uint64_t id,
	struct cascade_reply *r, void (*rm)(struct dp_ctx *, uint32_t))
{
	uint32_t slot;

	if (id_lookup(ids, id, &slot) < 0)
		return fail(r, ENOENT, "%s 0x%" PRIx64 " not found", what, id);
	rm(c, slot);
	ok(r, slot, 0);
	return 0;
}

static void
flush_all(struct dp_ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->opt.max_transports; i++)
		if (c->transports[i].in_use)
			transport_remove(c, i);
	/* producers and consumers can only exist on transports: all gone now */
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
		return producer_add(c, &cmd->u.producer, r);
	case CASCADE_CMD_PRODUCER_DEL:
		*needs_grace = true;
		return obj_del(c, c->prod_by_id, "producer", cmd->u.obj.obj_id, r, producer_remove);
	case CASCADE_CMD_PRODUCER_PAUSE:
		*needs_grace = cmd->u.obj.paused != 0;
		return producer_pause(c, &cmd->u.obj, r);
	case CASCADE_CMD_CONSUMER_ADD:
		return consumer_add(c, &cmd->u.consumer, r);
	case CASCADE_CMD_CONSUMER_DEL:
		*needs_grace = true;
		return obj_del(c, c->cons_by_id, "consumer", cmd->u.obj.obj_id, r, consumer_remove);
	case CASCADE_CMD_CONSUMER_PAUSE:
		*needs_grace = cmd->u.obj.paused != 0;
		return consumer_pause(c, &cmd->u.obj, r);
	case CASCADE_CMD_FLUSH:
		*needs_grace = true;
		flush_all(c);
		return 0;
	default:
		return fail(r, EINVAL, "cmd.type: unknown command %u", cmd->type);
	}
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

/*
 * A worker heard a transport's remote: record what was missing (comedia
 * remote tuple, or the next-hop MAC) and tell the control plane. Main lcore.
 */
int
dp_table_learn(struct dp_ctx *c, const struct dp_learn *l)
{
	struct dp_transport *tp;
	struct dp_peer *old, *peer;
	struct cascade_event ev;

	if (l->transport >= c->opt.max_transports)
		return -EINVAL;
	tp = &c->transports[l->transport];
	tp->learn_posted = 0;
	if (!tp->in_use || tp->gen != l->gen)
		return -ESTALE;
	old = atomic_load_explicit(&tp->peer, memory_order_relaxed);
	peer = rte_zmalloc("dp_peer", sizeof(*peer), RTE_CACHE_LINE_SIZE);
	if (peer == NULL)
		return -ENOMEM;
	if (old != NULL)
		*peer = *old;
	if (tp->cfg.flags & CASCADE_TRANSPORT_COMEDIA) {
		if (l->is_rtcp && !(tp->cfg.flags & CASCADE_TRANSPORT_RTCP_MUX)) {
			if (peer->remote_rtcp.port_be == 0)
				peer->remote_rtcp = l->src;
		} else if (peer->remote.port_be == 0) {
			peer->remote = l->src;
		}
	}
	if (!peer->has_mac) {
		peer->mac = l->mac;
		peer->has_mac = 1;
	}
	if (old != NULL && memcmp(old, peer, sizeof(*peer)) == 0) {
		rte_free(peer);
		return 0;
	}
	/* pairs with the worker's acquire load of peer */
	atomic_store_explicit(&tp->peer, peer, memory_order_release);
	defer_ptr(old);
	dp_dir_write_transport(c, l->transport);

	memset(&ev, 0, sizeof(ev));
	ev.type = CASCADE_EV_REMOTE_LEARNED;
	ev.obj_id = tp->cfg.obj_id;
	ev.addr = l->src;
	ev.value = l->is_rtcp;
	ev.tsc = rte_rdtsc();
	cascade_ring_push(cascade_seg_event_ring(&c->seg), &ev, sizeof(ev));
	return 0;
}
