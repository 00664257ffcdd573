/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A transport's transport-cc state (struct dp_twcc_out, dp.h), made on the main
 * lcore when its first consumer that negotiated transport-cc is added and
 * kept for the transport's life: its sequence counter must not restart while
 * the receiver still reports on earlier numbers, and a transport's consumers
 * come and go. About 80 KiB per such transport, from hugepage memory, never
 * on a worker.
 */
#include <errno.h>

#include <rte_malloc.h>

#include "dp.h"
#include "dp_table_priv.h"

int
dp_tbl_twcc_attach(struct dp_ctx *c, uint32_t tslot)
{
	struct dp_transport *tp = &c->transports[tslot];
	struct dp_twcc_out *t;

	if (atomic_load_explicit(&tp->twcc_out, memory_order_relaxed) != NULL)
		return 0;
	t = rte_zmalloc("dp_twcc_out", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (t == NULL)
		return -ENOMEM;
	rte_spinlock_init(&t->fb_lock);
	dp_twcc_init(&t->tx, 0);
	/* pairs with the workers' acquire loads; the consumer is published after this */
	atomic_store_explicit(&tp->twcc_out, t, memory_order_release);
	return 0;
}

void
dp_tbl_twcc_detach(struct dp_ctx *c, uint32_t tslot)
{
	struct dp_transport *tp = &c->transports[tslot];

	dp_tbl_defer_free(atomic_load_explicit(&tp->twcc_out, memory_order_relaxed));
	atomic_store_explicit(&tp->twcc_out, NULL, memory_order_release);
}
