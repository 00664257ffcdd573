/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Retransmission buffers for producers (dp_rtxbuf.h), main lcore only. All
 * --rtx-buffers of them are made at start, so a buffer never costs an
 * allocation once the dataplane runs, and the packets they can hold
 * (--rtx-buffers x --rtx-depth ingress mbufs, at most half the pool, checked
 * by the options) are the most they take from receiving. A video producer
 * takes one when it is added, while any is left (its consumers' NACKs go
 * unanswered otherwise: counted as retransmissions_missing); its delete gives
 * it back after the grace period, when no worker can be putting into it, and
 * only then are the packets it held released.
 */
#include <stdatomic.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "dp_table_priv.h"

int
dp_tbl_rtx_init(struct dp_ctx *c)
{
	const struct dp_options *o = &c->opt;
	uint64_t max_age = c->tsc_hz / 1000 * o->rtx_ms;
	/* the buffer, then what its sender is missing (dp_rtx_nackgen) */
	size_t size = RTE_ALIGN_CEIL(dp_rtxbuf_size(o->rtx_depth), RTE_CACHE_LINE_SIZE) +
		      sizeof(struct dp_nackgen);
	uint32_t i;

	c->n_rtx_free = 0;
	if (o->rtx_buffers == 0)
		return 0;
	c->rtx_free = rte_zmalloc("dp_rtx_free", sizeof(*c->rtx_free) * o->rtx_buffers, 0);
	if (c->rtx_free == NULL)
		goto nomem;
	for (i = 0; i < o->rtx_buffers; i++) {
		struct dp_rtxbuf *b = rte_malloc("dp_rtxbuf", size, RTE_CACHE_LINE_SIZE);

		if (b == NULL)
			goto nomem;
		dp_rtxbuf_init(b, o->rtx_depth, max_age);
		c->rtx_free[c->n_rtx_free++] = b;
	}
	DP_LOG(INFO, "retransmission buffers: %u of %u packets, up to %u ms", o->rtx_buffers,
	       o->rtx_depth, o->rtx_ms);
	return 0;
nomem:
	DP_LOG(ERR, "retransmission buffers: out of hugepage memory (lower --rtx-buffers or "
		    "--rtx-depth, or reserve more)");
	return -ENOMEM;
}

static void
release_mbuf(void *pkt, void *arg)
{
	RTE_SET_USED(arg);
	rte_pktmbuf_free(pkt);
}

void
dp_tbl_rtx_fini(struct dp_ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->opt.max_producers && c->producers != NULL; i++) {
		struct dp_rtxbuf *b = atomic_load_explicit(&c->producers[i].rtx, memory_order_relaxed);

		if (b != NULL) {
			dp_rtxbuf_flush(b, release_mbuf, NULL);
			rte_free(b);
			atomic_store_explicit(&c->producers[i].rtx, NULL, memory_order_relaxed);
		}
	}
	while (c->n_rtx_free > 0)
		rte_free(c->rtx_free[--c->n_rtx_free]);
	rte_free(c->rtx_free);
	c->rtx_free = NULL;
}

struct dp_rtxbuf *
dp_tbl_rtx_take(struct dp_ctx *c, uint8_t kind)
{
	struct dp_rtxbuf *b;

	if (kind != CASCADE_KIND_VIDEO || c->n_rtx_free == 0)
		return NULL;
	b = c->rtx_free[--c->n_rtx_free];
	dp_nackgen_init(dp_rtx_nackgen(b)); /* a new stream: nothing missing yet */
	return b;
}

/* After the grace period: nobody puts into b any more. */
static void
rtx_give_back(void *arg)
{
	struct dp_rtxbuf *b = arg;

	dp_rtxbuf_flush(b, release_mbuf, NULL);
	dp.rtx_free[dp.n_rtx_free++] = b;
}

void
dp_tbl_rtx_put(struct dp_rtxbuf *b)
{
	dp_tbl_defer_call(rtx_give_back, b);
}
