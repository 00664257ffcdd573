/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Relations between table slots, and the commit that publishes changed
 * consumer lists (see dp_lists.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_lists.h"

int
dp_lists_init(struct dp_lists *l, uint32_t max_transports, uint32_t max_producers,
	      uint32_t max_consumers)
{
	const uint32_t owners[DP_REL_MAX] = {max_producers, max_transports, max_transports, 1};
	const uint32_t members[DP_REL_MAX] = {max_consumers, max_producers, max_consumers,
					      max_transports};
	unsigned int r;

	memset(l, 0, sizeof(*l));
	for (r = 0; r < DP_REL_MAX; r++) {
		l->max_owner[r] = owners[r];
		l->max_member[r] = members[r];
		l->vec[r] = calloc(owners[r], sizeof(*l->vec[r]));
		l->pos[r] = calloc(members[r] ? members[r] : 1, sizeof(*l->pos[r]));
		if (l->vec[r] == NULL || l->pos[r] == NULL)
			return -ENOMEM;
	}
	l->dirty = calloc(max_producers ? max_producers : 1, sizeof(*l->dirty));
	l->is_dirty = calloc(max_producers ? max_producers : 1, 1);
	if (l->dirty == NULL || l->is_dirty == NULL)
		return -ENOMEM;
	return 0;
}

void
dp_lists_fini(struct dp_lists *l)
{
	unsigned int r;
	uint32_t o;

	for (r = 0; r < DP_REL_MAX; r++) {
		for (o = 0; l->vec[r] != NULL && o < l->max_owner[r]; o++)
			free(l->vec[r][o].v);
		free(l->vec[r]);
		free(l->pos[r]);
	}
	free(l->dirty);
	free(l->is_dirty);
	memset(l, 0, sizeof(*l));
}

void
dp_lists_mark(struct dp_lists *l, uint32_t pslot)
{
	if (!l->is_dirty[pslot]) {
		l->is_dirty[pslot] = 1;
		l->dirty[l->n_dirty++] = pslot;
	}
}

int
dp_lists_add(struct dp_lists *l, enum dp_rel rel, uint32_t owner, uint32_t member)
{
	struct dp_slotvec *v = &l->vec[rel][owner];

	if (v->n == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 8;
		uint32_t *nv = realloc(v->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	l->pos[rel][member] = v->n;
	v->v[v->n++] = member;
	if (rel == DP_REL_PROD_CONS)
		dp_lists_mark(l, owner);
	return 0;
}

void
dp_lists_del(struct dp_lists *l, enum dp_rel rel, uint32_t owner, uint32_t member)
{
	struct dp_slotvec *v = &l->vec[rel][owner];
	uint32_t i = l->pos[rel][member], last;

	if (i >= v->n || v->v[i] != member)
		return; /* not a member: nothing to remove */
	last = v->v[--v->n];
	v->v[i] = last;
	l->pos[rel][last] = i;
	if (rel == DP_REL_PROD_CONS)
		dp_lists_mark(l, owner);
}

const uint32_t *
dp_lists_get(const struct dp_lists *l, enum dp_rel rel, uint32_t owner, uint32_t *n)
{
	*n = l->vec[rel][owner].n;
	return l->vec[rel][owner].v;
}

int
dp_lists_commit(struct dp_lists *l, struct dp_defer_q *q,
		int (*publish)(void *ctx, uint32_t pslot, const uint32_t *slots, uint32_t n),
		uint64_t (*token)(void *ctx), void *ctx)
{
	uint32_t i, kept = 0;

	for (i = 0; i < l->n_dirty; i++) {
		uint32_t ps = l->dirty[i];
		const struct dp_slotvec *v = &l->vec[DP_REL_PROD_CONS][ps];

		if (publish(ctx, ps, v->v, v->n) < 0) {
			l->dirty[kept++] = ps; /* stays dirty: retried at the next commit */
			continue;
		}
		l->is_dirty[ps] = 0;
	}
	l->n_dirty = kept;
	if (kept != 0)
		return -ENOMEM;
	if (dp_defer_has_unstamped(q))
		dp_defer_stamp(q, token(ctx));
	return 0;
}
