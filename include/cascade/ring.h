/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Single-producer / single-consumer ring of fixed-size slots, laid out in
 * memory that two processes share (the dataplane segment). Header-only, libc
 * and C11 atomics only, so the control plane, cascadectl and tests use it
 * without DPDK's EAL.
 *
 * The producer owns `head`, the consumer owns `tail`; each publishes its
 * index with a release store and reads the other's with an acquire load, so a
 * slot's contents are visible before the index that exposes them. Indexes run
 * freely and wrap at 2^32; the slot count is a power of two.
 *
 * Hand-written rather than rte_ring because the peer process has no EAL and
 * the layout must be fixed by this ABI, not by DPDK's version.
 */
#ifndef CASCADE_RING_H
#define CASCADE_RING_H

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CASCADE_CACHE_LINE 64

struct cascade_ring {
	uint32_t slot_size; /* bytes per slot, multiple of 8 */
	uint32_t n_slots;   /* power of two */
	uint32_t mask;      /* n_slots - 1 */
	uint32_t pad0[13];
	_Alignas(CASCADE_CACHE_LINE) _Atomic uint32_t head; /* next slot to write */
	uint32_t pad1[15];
	_Alignas(CASCADE_CACHE_LINE) _Atomic uint32_t tail; /* next slot to read */
	uint32_t pad2[15];
	_Alignas(CASCADE_CACHE_LINE) uint8_t slots[];
};
static_assert(sizeof(struct cascade_ring) == 3 * CASCADE_CACHE_LINE, "ring header layout");

/* Bytes a ring of n_slots slots of slot_size bytes occupies. */
static inline size_t
cascade_ring_bytes(uint32_t slot_size, uint32_t n_slots)
{
	return sizeof(struct cascade_ring) + (size_t)slot_size * n_slots;
}

/*
 * Lay out an empty ring in memory of cascade_ring_bytes() bytes. Called once by
 * the segment's creator before any peer maps it. Returns 0 or -EINVAL.
 */
static inline int
cascade_ring_init(struct cascade_ring *r, uint32_t slot_size, uint32_t n_slots)
{
	if (n_slots == 0 || (n_slots & (n_slots - 1)) != 0 || slot_size == 0 || slot_size % 8 != 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->slot_size = slot_size;
	r->n_slots = n_slots;
	r->mask = n_slots - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return 0;
}

/* Slots in use, as seen from either side (a snapshot). */
static inline uint32_t
cascade_ring_count(const struct cascade_ring *r)
{
	uint32_t h = atomic_load_explicit(&((struct cascade_ring *)r)->head, memory_order_acquire);
	uint32_t t = atomic_load_explicit(&((struct cascade_ring *)r)->tail, memory_order_acquire);
	return h - t;
}

/*
 * Producer side: a pointer to the next free slot, or NULL when the ring is
 * full. Fill it, then cascade_ring_commit(). Only the ring's one producer may
 * call this.
 */
static inline void *
cascade_ring_reserve(struct cascade_ring *r)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	/* pairs with the consumer's release store of tail in cascade_ring_release() */
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (h - t >= r->n_slots)
		return NULL;
	return r->slots + (size_t)(h & r->mask) * r->slot_size;
}

/* Producer side: publish the slot returned by cascade_ring_reserve(). */
static inline void
cascade_ring_commit(struct cascade_ring *r)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	/* pairs with the consumer's acquire load of head in cascade_ring_peek() */
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

/*
 * Producer side: copy len bytes (at most slot_size) into a new slot and
 * publish it. Returns 0, -ENOBUFS when full, -EMSGSIZE when len is too big.
 */
static inline int
cascade_ring_push(struct cascade_ring *r, const void *msg, size_t len)
{
	void *slot;

	if (len > r->slot_size)
		return -EMSGSIZE;
	slot = cascade_ring_reserve(r);
	if (slot == NULL)
		return -ENOBUFS;
	memcpy(slot, msg, len);
	cascade_ring_commit(r);
	return 0;
}

/*
 * Consumer side: a pointer to the oldest published slot, or NULL when empty.
 * The slot stays valid until cascade_ring_release(). Only the ring's one
 * consumer may call this.
 */
static inline const void *
cascade_ring_peek(struct cascade_ring *r)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	/* pairs with the producer's release store of head in cascade_ring_commit() */
	uint32_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	if (h == t)
		return NULL;
	return r->slots + (size_t)(t & r->mask) * r->slot_size;
}

/* Consumer side: hand the slot from cascade_ring_peek() back to the producer. */
static inline void
cascade_ring_release(struct cascade_ring *r)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	/* pairs with the producer's acquire load of tail in cascade_ring_reserve() */
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
}

/*
 * Consumer side: copy the oldest message into buf (cap bytes; the copy is
 * truncated to cap) and release its slot. Returns 0 or -EAGAIN when empty.
 */
static inline int
cascade_ring_pop(struct cascade_ring *r, void *buf, size_t cap)
{
	const void *slot = cascade_ring_peek(r);

	if (slot == NULL)
		return -EAGAIN;
	memcpy(buf, slot, cap < r->slot_size ? cap : r->slot_size);
	cascade_ring_release(r);
	return 0;
}

#endif /* CASCADE_RING_H */
