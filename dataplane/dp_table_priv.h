/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the table's command half (dp_table_cmd.c) needs from its storage half
 * (dp_table.c): free slots, the main lcore's per-producer consumer vectors, and
 * deferred reclamation (released after an RCU grace period). Main lcore only.
 */
#ifndef DP_TABLE_PRIV_H
#define DP_TABLE_PRIV_H

#include <stdint.h>

#include <rte_hash.h>

enum dp_tbl_kind {
	DP_TBL_TRANSPORT,
	DP_TBL_PRODUCER,
	DP_TBL_CONSUMER,
};

/* A free slot of kind, or -ENOSPC when the table is full. */
int dp_tbl_slot_get(enum dp_tbl_kind kind, uint32_t *slot);
/* Return a slot no worker can have seen (never published). */
void dp_tbl_slot_put(enum dp_tbl_kind kind, uint32_t slot);
/* Release a slot, rte_free() a pointer, or delete a hash key after a grace period. */
void dp_tbl_defer_slot(enum dp_tbl_kind kind, uint32_t slot);
void dp_tbl_defer_free(void *p);
void dp_tbl_defer_key(struct rte_hash *h, const void *key);
/* Call fn(p) after a grace period (an SRTP session's destructor); p NULL is a no-op. */
void dp_tbl_defer_call(void (*fn)(void *), void *p);

/* Add or remove a consumer in its producer's list; published by dp_table_publish(). */
int dp_tbl_consumer_link(uint32_t pslot, uint32_t cslot);
void dp_tbl_consumer_unlink(uint32_t pslot, uint32_t cslot);
/* The producer's consumer slots as the main lcore sees them (valid until the next change). */
const uint32_t *dp_tbl_consumers_of(uint32_t pslot, uint32_t *n);
/* Empty a producer's list and publish that (new or deleted producer). */
void dp_tbl_producer_reset(uint32_t pslot);

#endif /* DP_TABLE_PRIV_H */
