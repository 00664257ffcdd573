/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore's bookkeeping of who belongs to whom: each producer's
 * consumers, each transport's producers and consumers, and the live
 * transports. Each relation is a vector per owner with O(1) removal (every
 * member remembers its index), so a delete, a re-key or a flush touches only
 * the objects concerned, never every slot of the tables.
 *
 * A producer whose consumer list changed is marked dirty. dp_lists_commit(),
 * once per command batch, publishes every dirty list through a callback (the
 * copy workers read) and stamps the batch's deferred work with a grace-period
 * token only when all of them are live. A list that could not be published
 * (out of memory) stays dirty and is retried at the next commit; until then
 * the batch stays unstamped, so a deleted consumer's slot is neither reused
 * nor its delete acknowledged while a published list may still name it.
 *
 * Leaf module: libc only, so unit tests drive it without EAL. Main lcore only.
 */
#ifndef DP_LISTS_H
#define DP_LISTS_H

#include <stdint.h>

#include "dp_defer.h"

enum dp_rel {
	DP_REL_PROD_CONS, /* owner: producer slot, members: its consumers */
	DP_REL_TP_PROD,   /* owner: transport slot, members: producers received on it */
	DP_REL_TP_CONS,   /* owner: transport slot, members: consumers sending on it */
	DP_REL_LIVE_TP,   /* one owner (0), members: every installed transport */
	DP_REL_MAX,
};

struct dp_slotvec {
	uint32_t n, cap;
	uint32_t *v;
};

struct dp_lists {
	uint32_t max_owner[DP_REL_MAX];  /* owners per relation */
	uint32_t max_member[DP_REL_MAX]; /* members per relation */
	struct dp_slotvec *vec[DP_REL_MAX];
	uint32_t *pos[DP_REL_MAX]; /* [member]: its index in its owner's vector */
	uint32_t *dirty;           /* producers whose consumer list changed */
	uint32_t n_dirty;
	uint8_t *is_dirty;
};

/* Empty relations for tables of these capacities. 0 or -ENOMEM (then call fini). */
int dp_lists_init(struct dp_lists *l, uint32_t max_transports, uint32_t max_producers,
		  uint32_t max_consumers);
void dp_lists_fini(struct dp_lists *l);

/*
 * Add member to owner's vector of rel (a member is in at most one vector of a
 * relation). A producer's consumer list becomes dirty. 0 or -ENOMEM (nothing
 * changed).
 */
int dp_lists_add(struct dp_lists *l, enum dp_rel rel, uint32_t owner, uint32_t member);
/* Remove member from owner's vector of rel (O(1); the order is not kept). */
void dp_lists_del(struct dp_lists *l, enum dp_rel rel, uint32_t owner, uint32_t member);
/* owner's members in rel (valid until the next change), their count in *n. */
const uint32_t *dp_lists_get(const struct dp_lists *l, enum dp_rel rel, uint32_t owner,
			     uint32_t *n);
/* Mark a producer's consumer list dirty (a new or deleted producer publishes it). */
void dp_lists_mark(struct dp_lists *l, uint32_t pslot);

/*
 * Publish each dirty producer's list: publish(ctx, pslot, slots, n) installs a
 * copy and returns 0, or -ENOMEM to leave it dirty for the next commit. When
 * every list is live and q holds unstamped entries, stamp them with
 * token(ctx). Returns 0, or -ENOMEM when a list stays dirty (nothing stamped).
 */
int dp_lists_commit(struct dp_lists *l, struct dp_defer_q *q,
		    int (*publish)(void *ctx, uint32_t pslot, const uint32_t *slots, uint32_t n),
		    uint64_t (*token)(void *ctx), void *ctx);

#endif /* DP_LISTS_H */
