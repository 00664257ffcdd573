/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the table's command half (dp_table_cmd.c, dp_table_srtp.c) needs from
 * its storage half (dp_table.c): free slots, the relations between slots
 * (dp_lists.h), owners for new producers, and deferred reclamation (released
 * after an RCU grace period). Main lcore only.
 */
#ifndef DP_TABLE_PRIV_H
#define DP_TABLE_PRIV_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_hash.h>

#include <cascade/msg.h>

#include "dp_lists.h"

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

/* Retransmission buffers (dp_table_rtx.c): made at start, taken by video producers. */
int dp_tbl_rtx_init(struct dp_ctx *c);
void dp_tbl_rtx_fini(struct dp_ctx *c);
/* A buffer for a producer of kind, or NULL (not video, or none left). */
struct dp_rtxbuf *dp_tbl_rtx_take(struct dp_ctx *c, uint8_t kind);
/* Give a deleted producer's buffer back once no worker can see it (grace period). */
void dp_tbl_rtx_put(struct dp_rtxbuf *b);

/*
 * Transport-cc (dp_table_twcc.c): give transport tslot its state when it has
 * none (0 or -ENOMEM); take it away at the transport's delete (freed after a
 * grace period).
 */
int dp_tbl_twcc_attach(struct dp_ctx *c, uint32_t tslot);
void dp_tbl_twcc_detach(struct dp_ctx *c, uint32_t tslot);

/* The relations between slots (each producer's consumers, each transport's objects). */
struct dp_lists *dp_tbl_lists(void);

/* The worker owning the fewest producers, counted as its owner from now on. */
uint16_t dp_tbl_owner_take(void);
/* One more producer owned by worker w (chosen for it: a transport's transport-cc owner). */
void dp_tbl_owner_hold(uint16_t w);
/* A producer owned by worker w is gone. */
void dp_tbl_owner_put(uint16_t w);

/*
 * A producer whose inbound SRTP pair has a previous key still accepted (a
 * re-key's overlap): dp_table_housekeep() clears it once the overlap is over.
 * 0 or -ENOMEM (the old key then goes at the producer's next change).
 */
int dp_tbl_rekeyed_add(uint32_t pslot);

/* Refuse a command: r->status = -err, r->message from fmt. Returns -err. */
static inline int dp_tbl_fail(struct cascade_reply *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int
dp_tbl_fail(struct cascade_reply *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	r->status = -err;
	return -err;
}

/* Answer a command with success, naming the object's slot and generation. */
static inline void
dp_tbl_ok(struct cascade_reply *r, uint32_t slot, uint32_t gen)
{
	r->status = 0;
	r->slot = slot;
	r->gen = gen;
}

/* The slot of object id in an id hash. 0 or -ENOENT. */
static inline int
dp_tbl_id_lookup(struct rte_hash *h, uint64_t id, uint32_t *slot)
{
	void *data;

	if (rte_hash_lookup_data(h, &id, &data) < 0)
		return -ENOENT;
	*slot = (uint32_t)(uintptr_t)data;
	return 0;
}

/* ---- dp_table_cons.c: consumers (main lcore) ---- */

/* CONSUMER_ADD and PAUSE/RESUME of a consumer (see msg.h). Return r->status. */
int dp_tbl_consumer_add(struct dp_ctx *c, const struct cascade_cmd_consumer *cmd,
			struct cascade_reply *r);
int dp_tbl_consumer_pause(struct dp_ctx *c, const struct cascade_cmd_obj *o,
			  struct cascade_reply *r);
/* Delete consumer slot cs (its producer's, its transport's or its own delete). */
void dp_tbl_consumer_remove(struct dp_ctx *c, uint32_t cs);

/* ---- dp_table_prod.c: producer commands (main lcore) ---- */
/* PRODUCER_ADD, PRODUCER_PAUSE. Return r->status. */
int dp_tbl_producer_add(struct dp_ctx *c, const struct cascade_cmd_producer *cfg,
			struct cascade_reply *r);
int dp_tbl_producer_pause(struct dp_ctx *c, const struct cascade_cmd_obj *o,
			  struct cascade_reply *r);
/* Delete producer ps and its consumers (what workers may see goes after a grace period). */
void dp_tbl_producer_remove(struct dp_ctx *c, uint32_t ps);

/* ---- dp_table_srtp.c: SRTP keys (main lcore) ---- */

/*
 * The SSRC a new producer's sender hears the node's own RTCP from: the node's
 * on a plain transport; on an SRTP one a fresh value for each producer this
 * dataplane ever installs (the node's, moved by a counter through an odd
 * multiplier: unique for 2^32 installs), so two SRTCP sessions under one key
 * never share an SSRC; on an SRTP pipe the stream's feedback SSRC
 * (cascade_pipe_fb_ssrc(ssrc), under the stream's own key). Main lcore.
 */
uint32_t dp_tbl_rtcp_ssrc(const struct dp_transport *tp, uint32_t ssrc);
/*
 * A consumer's sessions (its outbound one, a pipe consumer's feedback
 * session) go after a grace period: at its delete. Main lcore.
 */
void dp_tbl_consumer_srtp_release(struct dp_consumer *k);
/* Release a transport's receivers' SRTCP sessions after a grace period. */
void dp_tbl_rcv_release(struct dp_transport *tp);
/*
 * A new producer's sessions on an SRTP transport that has its keys: its
 * inbound pair for its SSRC, the outbound SRTCP session for the node's own
 * RTCP to its sender (rtcp_ssrc, the transport's tx key), and its RTX
 * stream's inbound pair when it has one. All NULL when the transport is
 * plain, a pipe, or has no keys yet. 0, or -errno with r filled (nothing
 * made). dp_tbl_producer_srtp_free frees what is there (never published).
 */
struct dp_producer_srtp {
	struct dp_srtp_rx *rx;
	struct cascade_srtp *rtcp_tx;
	struct dp_srtp_rx *rtx_rx;
};
int dp_tbl_producer_srtp(const struct dp_transport *tp, const struct cascade_cmd_producer *cfg,
			 uint32_t rtcp_ssrc, struct dp_producer_srtp *s, struct cascade_reply *r);
void dp_tbl_producer_srtp_free(struct dp_producer_srtp *s);
/* TRANSPORT_SRTP and PIPE_SRTP (see msg.h). Return r->status. */
int dp_tbl_transport_srtp(struct dp_ctx *c, const struct cascade_cmd_transport_srtp *cmd,
			  struct cascade_reply *r);
int dp_tbl_pipe_srtp(struct dp_ctx *c, const struct cascade_cmd_pipe_srtp *cmd,
		     struct cascade_reply *r);

#endif /* DP_TABLE_PRIV_H */
