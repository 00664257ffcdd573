/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The retransmission buffer (see dp_rtxbuf.h).
 */
#include <string.h>

#include "dp_rtxbuf.h"

#define DEPTH_MIN 2u
#define DEPTH_MAX 32768u

size_t
dp_rtxbuf_size(uint32_t depth)
{
	return sizeof(struct dp_rtxbuf) + (size_t)depth * sizeof(struct dp_rtx_slot);
}

int
dp_rtxbuf_init(struct dp_rtxbuf *b, uint32_t depth, uint64_t max_age)
{
	if (depth < DEPTH_MIN || depth > DEPTH_MAX || (depth & (depth - 1)) != 0)
		return -1;
	memset(b, 0, dp_rtxbuf_size(depth));
	b->mask = depth - 1;
	b->max_age = max_age;
	return 0;
}

void *
dp_rtxbuf_put(struct dp_rtxbuf *b, uint16_t seq, void *pkt, uint64_t now)
{
	struct dp_rtx_slot *s = &b->slot[seq & b->mask];
	void *old = s->pkt;

	if (old != NULL && s->seq == seq)
		return pkt; /* a duplicate: keep the first */
	if (old == NULL) /* read by telemetry from another thread: a gauge */
		__atomic_store_n(&b->held, b->held + 1, __ATOMIC_RELAXED);
	s->pkt = pkt;
	s->seq = seq;
	s->tsc = now;
	return old;
}

void *
dp_rtxbuf_get(const struct dp_rtxbuf *b, uint16_t seq, uint64_t now)
{
	const struct dp_rtx_slot *s = &b->slot[seq & b->mask];

	if (s->pkt == NULL || s->seq != seq || now - s->tsc > b->max_age)
		return NULL;
	return s->pkt;
}

void
dp_rtxbuf_flush(struct dp_rtxbuf *b, void (*release)(void *pkt, void *arg), void *arg)
{
	uint32_t i;

	for (i = 0; i <= b->mask; i++) {
		if (b->slot[i].pkt != NULL) {
			release(b->slot[i].pkt, arg);
			b->slot[i].pkt = NULL;
		}
	}
	__atomic_store_n(&b->held, 0, __ATOMIC_RELAXED);
}
