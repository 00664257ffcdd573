/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The deferred-reclamation FIFO (see dp_defer.h): a ring of entries that
 * doubles when full, with the index of the last stamp so that a batch is
 * stamped as a whole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_defer.h"

int
dp_defer_init(struct dp_defer_q *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->q = calloc(cap, sizeof(*q->q));
	if (q->q == NULL)
		return -ENOMEM;
	q->cap = cap;
	return 0;
}

void
dp_defer_fini(struct dp_defer_q *q)
{
	free(q->q);
	memset(q, 0, sizeof(*q));
}

/* Double the ring, compacting it to start at index 0. */
static int
grow(struct dp_defer_q *q)
{
	size_t n = q->tail - q->head, i;
	struct dp_defer_ent *nq = calloc(q->cap * 2, sizeof(*nq));

	if (nq == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		nq[i] = q->q[(q->head + i) % q->cap];
	free(q->q);
	q->q = nq;
	q->stamped -= q->head;
	q->head = 0;
	q->tail = n;
	q->cap *= 2;
	return 0;
}

struct dp_defer_ent *
dp_defer_push(struct dp_defer_q *q)
{
	struct dp_defer_ent *e;

	if (q->tail - q->head == q->cap && grow(q) < 0)
		return NULL;
	e = &q->q[q->tail % q->cap];
	memset(e, 0, sizeof(*e));
	e->token = DP_DEFER_UNSTAMPED;
	q->tail++;
	return e;
}

bool
dp_defer_has_unstamped(const struct dp_defer_q *q)
{
	return q->stamped != q->tail;
}

void
dp_defer_stamp(struct dp_defer_q *q, uint64_t token)
{
	size_t k;

	for (k = q->stamped; k != q->tail; k++)
		q->q[k % q->cap].token = token;
	q->stamped = q->tail;
}

size_t
dp_defer_run(struct dp_defer_q *q, bool all, bool (*done)(void *ctx, uint64_t token),
	     void (*run)(void *ctx, struct dp_defer_ent *e), void *ctx)
{
	size_t n = 0;

	while (q->head != q->tail) {
		struct dp_defer_ent *e = &q->q[q->head % q->cap];

		if (!all && (e->token == DP_DEFER_UNSTAMPED || !done(ctx, e->token)))
			break;
		run(ctx, e);
		q->head++;
		n++;
	}
	if (q->head == q->tail) {
		q->head = q->tail = 0;
		q->stamped = 0;
	} else if (q->stamped < q->head) {
		q->stamped = q->head; /* an unstamped entry ran (all) */
	}
	return n;
}
