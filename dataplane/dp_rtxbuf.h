/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A producer's retransmission buffer: its last packets, by sequence number,
 * for answering receivers' NACKs (RFC 4585 6.2.1) without asking the sender.
 * It holds references (an ingress mbuf the fan-out did not rewrite), never
 * copies, and indexes them by the low bits of the sequence number, so a put
 * and a get are one slot each: a packet is found while no later packet with
 * the same low bits has replaced it (depth packets, a power of two) and while
 * it is younger than the age limit. Wrap of the 16-bit sequence needs nothing
 * special: the slot keeps the full number and a get compares it.
 *
 * What a put replaces (the packet depth sequence numbers back, or a duplicate
 * of the one put) is handed back to the caller to release; a buffer owns no
 * memory beyond its slots, and knows nothing of mbufs.
 *
 * Leaf module: libc only. One buffer is touched by one thread at a time (the
 * producer's owning lcore; the main lcore only once no worker can see it).
 */
#ifndef DP_RTXBUF_H
#define DP_RTXBUF_H

#include <stddef.h>
#include <stdint.h>

struct dp_rtx_slot {
	void *pkt;    /* the packet held, or NULL */
	uint64_t tsc; /* when it was put */
	uint16_t seq;
	uint16_t pad[3];
};

struct dp_rtxbuf {
	uint32_t mask;       /* depth - 1 */
	uint32_t held;       /* slots holding a packet (others may read it, relaxed) */
	uint64_t max_age;    /* in the caller's clock units (TSC cycles) */
	struct dp_rtx_slot slot[];
};

/* Bytes for a buffer of depth packets (a power of two, 2..32768). */
size_t dp_rtxbuf_size(uint32_t depth);
/* Make an empty buffer in mem (dp_rtxbuf_size(depth) bytes). 0, or -1 if depth is not allowed. */
int dp_rtxbuf_init(struct dp_rtxbuf *b, uint32_t depth, uint64_t max_age);

/*
 * Hold pkt as sequence number seq, put at now. Returns what the caller must
 * release now: the packet it replaced (NULL if none), or pkt itself when the
 * buffer holds seq already (a duplicate: the first copy stays).
 */
void *dp_rtxbuf_put(struct dp_rtxbuf *b, uint16_t seq, void *pkt, uint64_t now);

/* The packet held as seq and not older than the age limit at now, or NULL. */
void *dp_rtxbuf_get(const struct dp_rtxbuf *b, uint16_t seq, uint64_t now);

/*
 * Empty the buffer, giving every packet held to release(pkt, arg) (at a
 * producer's delete, or to reuse the buffer for another producer).
 */
void dp_rtxbuf_flush(struct dp_rtxbuf *b, void (*release)(void *pkt, void *arg), void *arg);

#endif /* DP_RTXBUF_H */
