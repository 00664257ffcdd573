/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deferred reclamation: what the main lcore must not release while a worker
 * may still see it (an old consumer list, a deleted slot or hash key, an SRTP
 * session, a delete's reply) waits in a FIFO until a grace period has passed.
 *
 * Entries are pushed while a batch of commands is applied, unstamped. Once the
 * batch's changes are live (every changed consumer list published), the batch
 * is stamped with one grace-period token; an entry runs when its token is
 * done. Tokens only grow along the FIFO, so running stops at the first entry
 * whose token is not done, or that is not stamped yet: a batch whose lists
 * could not be published holds back everything after it, and nothing it
 * deleted is reused or acknowledged before a list without it is live.
 *
 * Leaf module: libc and include/cascade/ only (the grace-period check and the
 * actions are callbacks), so unit tests drive it without EAL. Main lcore only.
 */
#ifndef DP_DEFER_H
#define DP_DEFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cascade/msg.h>

#define DP_DEFER_UNSTAMPED UINT64_MAX

/* One deferred action: kind and payload are the owner's (dp_table.c). */
struct dp_defer_ent {
	uint64_t token; /* DP_DEFER_UNSTAMPED until its batch is stamped */
	uint8_t kind;
	int32_t pos;
	uint32_t slot;
	void *ptr;
	void *aux;
	void (*fn)(void *);
	struct cascade_reply reply;
};

struct dp_defer_q {
	struct dp_defer_ent *q;
	size_t head, tail, cap; /* head and tail run freely; entries at index % cap */
	size_t stamped;         /* tail when the last batch was stamped */
};

/* An empty queue with room for cap entries (it grows). 0 or -ENOMEM. */
int dp_defer_init(struct dp_defer_q *q, size_t cap);
void dp_defer_fini(struct dp_defer_q *q);

/*
 * A new unstamped entry at the tail, zeroed but for its token, for the caller
 * to fill; NULL when the queue cannot grow (out of memory).
 */
struct dp_defer_ent *dp_defer_push(struct dp_defer_q *q);

/* Whether entries wait for a stamp (the batch being applied deferred something). */
bool dp_defer_has_unstamped(const struct dp_defer_q *q);

/* Stamp every entry pushed since the last stamp with token. */
void dp_defer_stamp(struct dp_defer_q *q, uint64_t token);

/*
 * Run, in FIFO order, every entry whose token done() says is over (or every
 * entry, stamped or not, when all: shutdown), handing each to run() and then
 * removing it. Returns how many ran.
 */
size_t dp_defer_run(struct dp_defer_q *q, bool all, bool (*done)(void *ctx, uint64_t token),
		    void (*run)(void *ctx, struct dp_defer_ent *e), void *ctx);

/* Entries waiting, stamped or not. */
static inline size_t
dp_defer_pending(const struct dp_defer_q *q)
{
	return q->tail - q->head;
}

#endif /* DP_DEFER_H */
