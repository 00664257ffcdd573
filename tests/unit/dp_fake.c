/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A dataplane without EAL for the stage tests (see dp_fake.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dp_fake.h"

/* The dataplane's globals, which dp_main.c defines in cascade-dp. */
struct dp_ctx dp;
int dp_logtype;

/* ---- mempools ------------------------------------------------------------------------- */

/* Room before each mbuf for its struct rte_mempool_objhdr, as in a real pool. */
#define ELT_HDR 64

struct pool_store {
	uint8_t *mem;
	size_t stride;
	uint32_t n, n_free, n_held;
	uint32_t *free; /* stack of free element indices */
	uint8_t *is_free;
};

static struct rte_mbuf *
elt(const struct pool_store *st, uint32_t i)
{
	return (struct rte_mbuf *)(st->mem + (size_t)i * st->stride + ELT_HDR);
}

static uint32_t
elt_index(const struct pool_store *st, const void *obj)
{
	const uint8_t *p = obj;
	size_t off;

	if (p < st->mem + ELT_HDR)
		fail_msg("mempool: %p is not one of this pool's mbufs", obj);
	off = (size_t)(p - st->mem - ELT_HDR);
	if (off % st->stride != 0 || off / st->stride >= st->n)
		fail_msg("mempool: %p is not one of this pool's mbufs", obj);
	return (uint32_t)(off / st->stride);
}

static int
ops_alloc(struct rte_mempool *mp)
{
	RTE_SET_USED(mp);
	return 0;
}

static void
ops_free(struct rte_mempool *mp)
{
	RTE_SET_USED(mp);
}

static int
ops_enqueue(struct rte_mempool *mp, void *const *objs, unsigned int n)
{
	struct pool_store *st = mp->pool_data;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t k = elt_index(st, objs[i]);

		if (st->is_free[k])
			fail_msg("mempool %s: mbuf %u freed twice", mp->name, k);
		st->is_free[k] = 1;
		st->free[st->n_free++] = k;
	}
	return 0;
}

static int
ops_dequeue(struct rte_mempool *mp, void **objs, unsigned int n)
{
	struct pool_store *st = mp->pool_data;
	unsigned int i;

	if (st->n_free < n)
		return -ENOBUFS;
	for (i = 0; i < n; i++) {
		uint32_t k = st->free[--st->n_free];

		st->is_free[k] = 0;
		objs[i] = elt(st, k);
	}
	return 0;
}

static unsigned int
ops_get_count(const struct rte_mempool *mp)
{
	const struct pool_store *st = mp->pool_data;

	return st->n_free;
}

static int
pool_ops_index(void)
{
	static const struct rte_mempool_ops ops = {
		.name = "cascade_unit",
		.alloc = ops_alloc,
		.free = ops_free,
		.enqueue = ops_enqueue,
		.dequeue = ops_dequeue,
		.get_count = ops_get_count,
	};
	static int idx = -1;

	if (idx < 0)
		idx = rte_mempool_register_ops(&ops);
	assert_true(idx >= 0);
	return idx;
}

static void *
zalloc_aligned(size_t size)
{
	size_t rounded = (size + RTE_CACHE_LINE_SIZE - 1) & ~(size_t)(RTE_CACHE_LINE_SIZE - 1);
	void *p = aligned_alloc(RTE_CACHE_LINE_SIZE, rounded);

	assert_non_null(p);
	memset(p, 0, rounded);
	return p;
}

struct rte_mempool *
fake_pool_create(const char *name, uint32_t n, uint16_t data_room)
{
	/* cache_size 0: the private area follows the struct directly (RTE_MEMPOOL_HEADER_SIZE) */
	struct rte_mempool *mp =
		zalloc_aligned(sizeof(*mp) + sizeof(struct rte_pktmbuf_pool_private));
	struct rte_pktmbuf_pool_private *priv = rte_mempool_get_priv(mp);
	struct pool_store *st = calloc(1, sizeof(*st));
	uint32_t i;

	assert_ptr_equal(priv, (uint8_t *)mp + sizeof(*mp));
	assert_non_null(st);
	snprintf(mp->name, sizeof(mp->name), "%s", name);
	mp->size = n;
	mp->cache_size = 0;
	mp->elt_size = (uint32_t)(sizeof(struct rte_mbuf) + data_room);
	mp->header_size = ELT_HDR;
	mp->private_data_size = sizeof(*priv);
	mp->ops_index = pool_ops_index();
	mp->pool_data = st;
	mp->populated_size = n;
	priv->mbuf_data_room_size = data_room;
	priv->mbuf_priv_size = 0;

	st->n = n;
	st->stride = (ELT_HDR + sizeof(struct rte_mbuf) + data_room + RTE_CACHE_LINE_SIZE - 1) &
		     ~(size_t)(RTE_CACHE_LINE_SIZE - 1);
	st->mem = zalloc_aligned(st->stride * (n ? n : 1));
	st->free = calloc(n ? n : 1, sizeof(*st->free));
	st->is_free = calloc(n ? n : 1, 1);
	assert_true(st->free != NULL && st->is_free != NULL);
	for (i = 0; i < n; i++) {
		/* what rte_pktmbuf_init() does, without its read of the pool's IOVA table */
		struct rte_mbuf *m = elt(st, i);
		struct rte_mempool_objhdr *oh = (struct rte_mempool_objhdr *)m - 1;

		oh->mp = mp;
		oh->iova = (rte_iova_t)(uintptr_t)m;
		m->priv_size = 0;
		m->buf_addr = (uint8_t *)m + sizeof(*m);
		rte_mbuf_iova_set(m, (rte_iova_t)(uintptr_t)m->buf_addr);
		m->buf_len = data_room;
		m->data_off = RTE_MIN((uint16_t)RTE_PKTMBUF_HEADROOM, data_room);
		m->pool = mp;
		m->nb_segs = 1;
		m->port = RTE_MBUF_PORT_INVALID;
		rte_mbuf_refcnt_set(m, 1);
		m->next = NULL;
		/* low indices come out first */
		st->free[n - 1 - i] = i;
		st->is_free[i] = 1;
	}
	st->n_free = n;
	return mp;
}

void
fake_pool_destroy(struct rte_mempool *mp)
{
	struct pool_store *st;

	if (mp == NULL)
		return;
	st = mp->pool_data;
	free(st->mem);
	free(st->free);
	free(st->is_free);
	free(st);
	free(mp);
}

uint32_t
fake_pool_in_use(const struct rte_mempool *mp)
{
	const struct pool_store *st = mp->pool_data;

	return st->n - st->n_free - st->n_held;
}

void
fake_pool_exhaust(struct rte_mempool *mp)
{
	struct pool_store *st = mp->pool_data;

	st->n_held += st->n_free;
	st->n_free = 0;
}

void
fake_pool_refill(struct rte_mempool *mp)
{
	struct pool_store *st = mp->pool_data;

	st->n_free += st->n_held;
	st->n_held = 0;
}

/* ---- transmit capture ------------------------------------------------------------------ */

struct fake_tx fake_txd[FAKE_MAX_TX];
unsigned int fake_n_tx;

struct txq {
	uint16_t port, queue;
};

static struct {
	struct txq q[FAKE_PORTS][FAKE_WORKERS + 1];
	void *data[FAKE_PORTS][RTE_MAX_QUEUES_PER_PORT];
	void *clbk[RTE_MAX_QUEUES_PER_PORT]; /* no TX callbacks */
	bool refuse;
} tx;

static uint16_t
capture_tx(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	const struct txq *q = queue;
	uint16_t i;

	if (tx.refuse)
		return 0;
	for (i = 0; i < n; i++) {
		if (fake_n_tx == FAKE_MAX_TX)
			fail_msg("more than %u packets transmitted", FAKE_MAX_TX);
		fake_txd[fake_n_tx].port = q->port;
		fake_txd[fake_n_tx].queue = q->queue;
		fake_txd[fake_n_tx].m = pkts[i];
		fake_n_tx++;
	}
	return n;
}

void
fake_tx_refuse(bool refuse)
{
	tx.refuse = refuse;
}

void
fake_tx_free_all(void)
{
	unsigned int i;

	for (i = 0; i < fake_n_tx; i++)
		rte_pktmbuf_free(fake_txd[i].m);
	fake_n_tx = 0;
}

/* ---- lookups: rte_hash_lookup_data() over small arrays --------------------------------- */

struct fake_hash {
	uint32_t key_len;
	uint32_t n;
	struct {
		uint8_t key[32];
		void *data;
	} e[2 * FAKE_SLOTS];
};

static struct fake_hash tp_hash, prod_hash, cons_hash;

static void
hash_add(struct fake_hash *h, const void *key, uintptr_t data)
{
	uint32_t i;

	for (i = 0; i < h->n; i++)
		if (memcmp(h->e[i].key, key, h->key_len) == 0)
			break;
	if (i == h->n) {
		assert_true(h->n < RTE_DIM(h->e));
		h->n++;
	}
	memcpy(h->e[i].key, key, h->key_len);
	h->e[i].data = (void *)data;
}

int
rte_hash_lookup_data(const struct rte_hash *h, const void *key, void **data)
{
	const struct fake_hash *fh = (const struct fake_hash *)(const void *)h;
	uint32_t i;

	for (i = 0; i < fh->n; i++)
		if (memcmp(fh->e[i].key, key, fh->key_len) == 0) {
			*data = fh->e[i].data;
			return (int)i;
		}
	return -ENOENT;
}

/* ---- the context ----------------------------------------------------------------------- */

static struct {
	struct cascade_lcore_stats lstats[FAKE_WORKERS];
	struct cascade_obj_stats tstats[FAKE_WORKERS][FAKE_SLOTS];
	struct cascade_obj_stats pstats[FAKE_WORKERS][FAKE_SLOTS];
	struct cascade_obj_stats cstats[FAKE_WORKERS][FAKE_SLOTS];
	struct cascade_consumer_rtcp crtcp[FAKE_SLOTS];
	struct dp_srtp_rx *rx[FAKE_SLOTS]; /* inbound pairs the helpers made */
} ctx;

struct rte_ring *
fake_ring_make(unsigned int esize, unsigned int count, unsigned int flags)
{
	ssize_t size = rte_ring_get_memsize_elem(esize, count);
	struct rte_ring *r;

	assert_true(size > 0);
	r = zalloc_aligned((size_t)size);
	assert_int_equal(rte_ring_init(r, "fake", count, flags), 0);
	return r;
}

static void
worker_make(uint32_t idx)
{
	struct dp_worker *w = zalloc_aligned(sizeof(*w));

	w->idx = idx;
	w->lcore_id = idx + 1;
	w->stats = &ctx.lstats[idx];
	w->tstats = ctx.tstats[idx];
	w->pstats = ctx.pstats[idx];
	w->cstats = ctx.cstats[idx];
	w->learn_ring =
		fake_ring_make(sizeof(struct dp_learn), 1024, RING_F_SP_ENQ | RING_F_SC_DEQ);
	w->slow_ring = fake_ring_make(sizeof(void *), 1024, RING_F_SP_ENQ | RING_F_SC_DEQ);
	w->handoff = fake_ring_make(sizeof(void *), DP_HANDOFF_RING, RING_F_SC_DEQ);
	w->event_ring = fake_ring_make(sizeof(struct cascade_event), 1024,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	w->rr_list = calloc(FAKE_SLOTS, sizeof(*w->rr_list));
	w->kf_wait = calloc(FAKE_SLOTS, sizeof(*w->kf_wait));
	w->nack_list = calloc(FAKE_SLOTS, sizeof(*w->nack_list));
	assert_non_null(w->rr_list);
	assert_non_null(w->kf_wait);
	assert_non_null(w->nack_list);
	w->slow_tsc_per_pkt = 1000;
	w->now_tsc = 1000000000ull;
	w->now_ns = 1000000000ull;
	dp.workers[idx] = w;
}

static void
worker_free(struct dp_worker *w)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(w->slow_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(w->handoff, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	free(w->learn_ring);
	free(w->slow_ring);
	free(w->handoff);
	free(w->event_ring);
	free(w->rr_list);
	free(w->kf_wait);
	free(w->nack_list);
	free(w);
}

void
fake_port_set(uint16_t port, uint16_t mtu, uint16_t vlan, bool linear)
{
	struct dp_port *p = &dp.ports[port];

	p->port_id = port;
	p->mtu = mtu;
	p->vlan = vlan;
	p->l2_len = (uint16_t)(RTE_ETHER_HDR_LEN + (vlan != DP_VLAN_NONE ? 4 : 0));
	memset(&p->mac, 0, sizeof(p->mac));
	p->mac.addr_bytes[0] = 0x02;
	p->mac.addr_bytes[5] = (uint8_t)(port + 1);
	dp.tx_linear[port] = linear;
}

void
fake_dp_init(void)
{
	uint16_t port, q;
	uint32_t i;

	memset(&dp, 0, sizeof(dp));
	memset(&ctx, 0, sizeof(ctx));
	memset(&tx, 0, sizeof(tx));
	fake_n_tx = 0;
	dp.opt.max_transports = FAKE_SLOTS;
	dp.opt.max_producers = FAKE_SLOTS;
	dp.opt.max_consumers = FAKE_SLOTS;
	dp.opt.copy_below = 256;
	dp.opt.slow_pps = 200;
	/* the sizes dp_port.c gives its three pools */
	dp.pkt_pool = fake_pool_create("pkt", FAKE_POOL_MBUFS, RTE_MBUF_DEFAULT_BUF_SIZE);
	dp.hdr_pool = fake_pool_create("hdr", FAKE_POOL_MBUFS, RTE_PKTMBUF_HEADROOM + 256);
	dp.clone_pool = fake_pool_create("clone", FAKE_POOL_MBUFS, 0);
	dp.n_ports = FAKE_PORTS;
	for (port = 0; port < FAKE_PORTS; port++) {
		fake_port_set(port, RTE_ETHER_MTU, DP_VLAN_NONE, false);
		for (q = 0; q <= FAKE_WORKERS; q++) {
			tx.q[port][q].port = port;
			tx.q[port][q].queue = q;
			tx.data[port][q] = &tx.q[port][q];
		}
		rte_eth_fp_ops[port].tx_pkt_burst = capture_tx;
		rte_eth_fp_ops[port].txq.data = tx.data[port];
		rte_eth_fp_ops[port].txq.clbk = tx.clbk;
	}
	dp.n_workers = FAKE_WORKERS;
	for (i = 0; i < FAKE_WORKERS; i++)
		worker_make(i);
	dp.transports = zalloc_aligned(sizeof(*dp.transports) * FAKE_SLOTS);
	dp.producers = zalloc_aligned(sizeof(*dp.producers) * FAKE_SLOTS);
	dp.consumers = zalloc_aligned(sizeof(*dp.consumers) * FAKE_SLOTS);
	memset(&tp_hash, 0, sizeof(tp_hash));
	memset(&prod_hash, 0, sizeof(prod_hash));
	memset(&cons_hash, 0, sizeof(cons_hash));
	tp_hash.key_len = sizeof(struct dp_addr_key);
	prod_hash.key_len = sizeof(struct dp_prod_key);
	cons_hash.key_len = sizeof(struct dp_cons_key);
	dp.tp_by_addr = (struct rte_hash *)(void *)&tp_hash;
	dp.prod_by_ssrc = (struct rte_hash *)(void *)&prod_hash;
	dp.cons_by_ssrc = (struct rte_hash *)(void *)&cons_hash;
	memset(ctx.crtcp, 0, sizeof(ctx.crtcp));
	dp.consumer_rtcp = ctx.crtcp;
	dp.meta_off = offsetof(struct rte_mbuf, dynfield1);
	dp.tsc_hz = 1000000000ull;
	dp.tx_retry_tsc = 0;
}

static void
rx_free(struct dp_srtp_rx *rx)
{
	if (rx == NULL)
		return;
	cascade_srtp_destroy(rx->rtp);
	cascade_srtp_destroy(rx->rtcp);
	free(rx);
}

uint32_t
fake_dp_fini(void)
{
	uint32_t i, left;
	uint16_t port;

	/* what a burst left staged or buffered goes out, as at the end of a worker's loop */
	for (i = 0; i < FAKE_WORKERS; i++) {
		dp_handoff_flush(dp.workers[i]);
		dp_tx_flush(dp.workers[i]);
	}
	fake_tx_free_all();
	for (i = 0; i < FAKE_WORKERS; i++)
		worker_free(dp.workers[i]);
	for (i = 0; i < FAKE_SLOTS; i++) {
		free(atomic_load(&dp.transports[i].peer));
		free(atomic_load(&dp.producers[i].clist));
		cascade_srtp_destroy(atomic_load(&dp.consumers[i].srtp));
		rx_free(ctx.rx[i]);
	}
	free(dp.transports);
	free(dp.producers);
	free(dp.consumers);
	fake_pool_refill(dp.pkt_pool);
	fake_pool_refill(dp.hdr_pool);
	fake_pool_refill(dp.clone_pool);
	left = fake_pool_in_use(dp.pkt_pool) + fake_pool_in_use(dp.hdr_pool) +
	       fake_pool_in_use(dp.clone_pool);
	fake_pool_destroy(dp.pkt_pool);
	fake_pool_destroy(dp.hdr_pool);
	fake_pool_destroy(dp.clone_pool);
	for (port = 0; port < FAKE_PORTS; port++)
		memset(&rte_eth_fp_ops[port], 0, sizeof(rte_eth_fp_ops[port]));
	memset(&dp, 0, sizeof(dp));
	return left;
}

int
fake_teardown(void **state)
{
	RTE_SET_USED(state);
	/* every mbuf of every pool is back: nothing leaked, nothing freed twice */
	assert_int_equal(fake_dp_fini(), 0);
	return 0;
}

/* ---- tables ---------------------------------------------------------------------------- */

struct cascade_addr
fake_addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct cascade_addr x;

	memset(&x, 0, sizeof(x));
	x.family = CASCADE_AF_INET;
	x.port_be = rte_cpu_to_be_16(port);
	x.ip[0] = a;
	x.ip[1] = b;
	x.ip[2] = c;
	x.ip[3] = d;
	return x;
}

struct cascade_addr
fake_addr6(uint8_t last, uint16_t port)
{
	struct cascade_addr x;

	memset(&x, 0, sizeof(x));
	x.family = CASCADE_AF_INET6;
	x.port_be = rte_cpu_to_be_16(port);
	x.ip[0] = 0x20;
	x.ip[1] = 0x01;
	x.ip[2] = 0x0d;
	x.ip[3] = 0xb8;
	x.ip[15] = last;
	return x;
}

struct dp_transport *
fake_transport(uint32_t slot, uint16_t port, uint8_t flags, uint8_t suite,
	       const struct cascade_addr *local, const struct cascade_addr *local_rtcp)
{
	struct dp_transport *tp = &dp.transports[slot];
	struct dp_addr_key k;

	memset(&tp->cfg, 0, sizeof(tp->cfg));
	tp->cfg.obj_id = 0x100 + slot;
	tp->cfg.port_id = port;
	tp->cfg.flags = flags;
	tp->cfg.srtp_suite = suite;
	tp->cfg.local = *local;
	if (local_rtcp != NULL)
		tp->cfg.local_rtcp = *local_rtcp;
	tp->gen = 1;
	tp->in_use = 1;
	dp_addr_key_make(&k, local);
	hash_add(&tp_hash, &k, slot);
	if (local_rtcp != NULL) {
		dp_addr_key_make(&k, local_rtcp);
		hash_add(&tp_hash, &k, slot | DP_TP_RTCP);
	}
	return tp;
}

void
fake_connect(uint32_t slot, const struct cascade_addr *remote,
	     const struct cascade_addr *remote_rtcp, bool with_mac)
{
	struct dp_transport *tp = &dp.transports[slot];
	struct dp_peer *peer = calloc(1, sizeof(*peer));

	assert_non_null(peer);
	peer->remote = *remote;
	if (remote_rtcp != NULL)
		peer->remote_rtcp = *remote_rtcp;
	if (with_mac) {
		peer->mac.addr_bytes[0] = 0x02;
		peer->mac.addr_bytes[5] = 0x99;
		peer->has_mac = 1;
	}
	free(atomic_load(&tp->peer));
	atomic_store(&tp->peer, peer);
}

struct dp_producer *
fake_producer(uint32_t pslot, uint32_t tslot, uint32_t ssrc, uint16_t owner)
{
	struct dp_producer *p = &dp.producers[pslot];
	struct dp_prod_key key = {.transport = tslot, .ssrc = ssrc, .zero = 0};

	memset(&p->cfg, 0, sizeof(p->cfg));
	p->cfg.obj_id = 0x200 + pslot;
	p->cfg.transport_id = dp.transports[tslot].cfg.obj_id;
	p->cfg.ssrc = ssrc;
	p->cfg.clock_rate = 90000;
	p->cfg.kind = CASCADE_KIND_VIDEO;
	p->transport = tslot;
	p->owner = owner;
	atomic_store(&p->gen, 1);
	p->in_use = 1;
	hash_add(&prod_hash, &key, pslot);
	return p;
}

struct dp_consumer *
fake_consumer(uint32_t cslot, uint32_t pslot, uint32_t tslot, uint32_t ssrc)
{
	struct dp_consumer *k = &dp.consumers[cslot];
	struct dp_cons_key ck;

	memset(&k->cfg, 0, sizeof(k->cfg));
	k->cfg.obj_id = 0x300 + cslot;
	k->cfg.producer_id = dp.producers[pslot].cfg.obj_id;
	k->cfg.transport_id = dp.transports[tslot].cfg.obj_id;
	k->cfg.ssrc = ssrc;
	k->producer = pslot;
	k->transport = tslot;
	k->gen = 1;
	k->has_peer = (dp.transports[tslot].cfg.flags & CASCADE_TRANSPORT_PIPE) != 0;
	k->is_srtp = dp.transports[tslot].cfg.srtp_suite != CASCADE_SUITE_NONE;
	memset(&k->st, 0, sizeof(k->st));
	k->sr_mid = 0;
	k->sr_tsc = 0;
	k->in_use = 1;
	/* found by SSRC on its transport (a pipe's peer is not modelled: zero) */
	memset(&ck, 0, sizeof(ck));
	ck.transport = tslot;
	ck.ssrc = ssrc;
	hash_add(&cons_hash, &ck, cslot);
	return k;
}

void
fake_publish(uint32_t pslot, const uint32_t *cslots, uint32_t n)
{
	struct dp_producer *p = &dp.producers[pslot];
	struct dp_clist *cl = malloc(sizeof(*cl) + (n ? n : 1) * sizeof(uint32_t));

	assert_non_null(cl);
	cl->n = n;
	if (n != 0)
		memcpy(cl->slot, cslots, n * sizeof(uint32_t));
	free(atomic_load(&p->clist));
	atomic_store(&p->clist, cl);
}

struct cascade_srtp *
fake_srtp_session(uint8_t suite, const uint8_t *master, uint32_t ssrc, bool inbound)
{
	struct cascade_srtp_conf conf = {
		.suite = (enum cascade_srtp_suite)(suite - 1),
		.dir = inbound ? CASCADE_SRTP_INBOUND : CASCADE_SRTP_OUTBOUND,
		.any_ssrc = false,
		.ssrc = ssrc,
		.replay_window = inbound ? 1024 : 0,
		.allow_repeat_tx = !inbound,
		.master = master,
		.master_len = cascade_srtp_master_bytes(suite),
	};
	struct cascade_srtp *s = cascade_srtp_create(&conf);

	assert_non_null(s);
	return s;
}

void
fake_srtp_rx_set(uint32_t pslot, uint8_t suite, const uint8_t *master)
{
	struct dp_producer *p = &dp.producers[pslot];
	struct dp_srtp_rx *rx = calloc(1, sizeof(*rx));

	assert_non_null(rx);
	rx->rtp = fake_srtp_session(suite, master, p->cfg.ssrc, true);
	rx->rtcp = fake_srtp_session(suite, master, p->cfg.ssrc, true);
	rx_free(ctx.rx[pslot]);
	ctx.rx[pslot] = rx;
	atomic_store(&p->srtp_rx, rx);
}

void
fake_srtp_tx_set(uint32_t cslot, uint8_t suite, const uint8_t *master)
{
	struct dp_consumer *k = &dp.consumers[cslot];

	cascade_srtp_destroy(atomic_load(&k->srtp));
	atomic_store(&k->srtp, fake_srtp_session(suite, master, k->cfg.ssrc, false));
}

/* ---- frames ---------------------------------------------------------------------------- */

struct rte_mbuf *
fake_frame(const struct fake_frame_opts *o, const uint8_t *payload, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pkt_pool);
	struct frame_spec s = {
		.vlan = o->vlan,
		.src = o->src,
		.dst = o->dst,
		.no_cksum = o->no_cksum,
		.eth_pad = o->eth_pad,
		.src_mac = {0x02, 0, 0, 0, 0, 0xaa},
	};
	uint32_t n;

	assert_non_null(m);
	memcpy(s.dst_mac, dp.ports[o->port].mac.addr_bytes, 6);
	n = frame_build(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m), &s, payload, len);
	assert_true(n != 0);
	m->data_len = (uint16_t)n;
	m->pkt_len = n;
	m->port = o->port;
	return m;
}

void
fake_out_read(struct rte_mbuf *m, struct fake_out *o)
{
	const struct rte_mbuf *s;
	uint16_t type, l2 = 14, l3, udp_len;
	uint8_t *ip, *udp;
	uint32_t off = 0;

	memset(o, 0, sizeof(*o));
	for (s = m; s != NULL; s = s->next) {
		assert_true(off + s->data_len <= sizeof(o->b));
		memcpy(o->b + off, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len);
		off += s->data_len;
		o->nb_segs++;
	}
	assert_int_equal(o->nb_segs, m->nb_segs);
	assert_int_equal(off, m->pkt_len);
	o->len = off;
	assert_true(o->len >= 14 + 20 + 8);
	memcpy(o->dst_mac, o->b, 6);
	type = frame_rd16(o->b + 12);
	o->vlan = -1;
	if (type == 0x8100) {
		o->vlan = frame_rd16(o->b + 14) & 0x0fff;
		type = frame_rd16(o->b + 16);
		l2 = 18;
	}
	ip = o->b + l2;
	if (type == 0x0800) {
		o->family = CASCADE_AF_INET;
		l3 = 20;
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(ip[9], 17);
		assert_int_equal(frame_rd16(ip + 6) & 0x3fff, 0);             /* not a fragment */
		assert_int_equal(frame_fold(frame_sum16(ip, 20, 0)), 0xffff); /* header checksum */
		o->ip_len = frame_rd16(ip + 2);
		o->ttl = ip[8];
		o->src.family = o->dst.family = CASCADE_AF_INET;
		memcpy(o->src.ip, ip + 12, 4);
		memcpy(o->dst.ip, ip + 16, 4);
	} else {
		assert_int_equal(type, 0x86dd);
		o->family = CASCADE_AF_INET6;
		l3 = 40;
		assert_int_equal(ip[0] >> 4, 6);
		assert_int_equal(ip[6], 17);
		o->ip_len = (uint16_t)(40 + frame_rd16(ip + 4));
		o->ttl = ip[7];
		o->src.family = o->dst.family = CASCADE_AF_INET6;
		memcpy(o->src.ip, ip + 8, 16);
		memcpy(o->dst.ip, ip + 24, 16);
	}
	/* the frame is exactly Ethernet + the IP packet: no padding, nothing cut */
	assert_int_equal(o->len, (uint32_t)l2 + o->ip_len);
	udp = ip + l3;
	udp_len = frame_rd16(udp + 4);
	assert_int_equal(udp_len, o->ip_len - l3);
	memcpy(&o->src.port_be, udp, 2);
	memcpy(&o->dst.port_be, udp + 2, 2);
	o->udp_cksum = frame_rd16(udp + 6);
	if (o->udp_cksum == 0)
		assert_int_equal(o->family, CASCADE_AF_INET); /* RFC 8200 8.1: mandatory */
	else
		assert_int_equal(
			frame_fold(frame_udp_sum(o->family, o->src.ip, o->dst.ip, udp, udp_len)),
			0xffff);
	o->payload = udp + 8;
	o->payload_len = (uint16_t)(udp_len - 8);
}
