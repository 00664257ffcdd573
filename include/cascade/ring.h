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
 *
 * Each process works through a struct cascade_ring_ref, its private copy of
 * the geometry: the shared header is read once, at cascade_ring_open().
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

/*
 * A process's handle on a ring: where it lies and its geometry, read and
 * checked once (cascade_ring_open) when the segment is laid out or attached,
 * then kept privately. Every operation below indexes slots with this copy,
 * never with the shared header, so a peer that scribbles on the header (or on
 * head and tail) cannot make this process read or write outside the ring: at
 * worst it sees garbage messages, which every reader validates anyway.
 */
struct cascade_ring_ref {
	struct cascade_ring *shm;
	uint8_t *slots;
	uint32_t slot_size;
	uint32_t n_slots;
	uint32_t mask;
	uint32_t pad;
};

/*
 * Take a handle on the ring at mem, of which avail bytes are mapped, whose
 * slots must be slot_size bytes (the message type this side expects): the
 * shared header must say slot_size and a power-of-two slot count, and the
 * slots must fit in avail. Returns 0 and fills ref, or -EPROTO.
 */
static inline int
cascade_ring_open(struct cascade_ring_ref *ref, void *mem, size_t avail, uint32_t slot_size)
{
	struct cascade_ring *r = (struct cascade_ring *)mem;
	uint32_t n;

	memset(ref, 0, sizeof(*ref));
	if (avail < sizeof(*r) || slot_size == 0 || slot_size % 8 != 0)
		return -EPROTO;
	n = r->n_slots;
	if (r->slot_size != slot_size || n == 0 || (n & (n - 1)) != 0 || r->mask != n - 1 ||
	    cascade_ring_bytes(slot_size, n) > avail)
		return -EPROTO;
	ref->shm = r;
	ref->slots = r->slots;
	ref->slot_size = slot_size;
	ref->n_slots = n;
	ref->mask = n - 1;
	return 0;
}

static inline uint8_t *
cascade_ring_slot(const struct cascade_ring_ref *r, uint32_t idx)
{
	return r->slots + (size_t)(idx & r->mask) * r->slot_size;
}

/* Slots in use, as seen from either side (a snapshot; a scribbled index may exceed n_slots). */
static inline uint32_t
cascade_ring_count(const struct cascade_ring_ref *r)
{
	uint32_t h = atomic_load_explicit(&r->shm->head, memory_order_acquire);
	uint32_t t = atomic_load_explicit(&r->shm->tail, memory_order_acquire);
	return h - t;
}

/*
 * Producer side: a pointer to the next free slot, or NULL when the ring is
 * full. Fill it, then cascade_ring_commit(). Only the ring's one producer may
 * call this.
 */
static inline void *
cascade_ring_reserve(const struct cascade_ring_ref *r)
{
	uint32_t h = atomic_load_explicit(&r->shm->head, memory_order_relaxed);
	/* pairs with the consumer's release store of tail in cascade_ring_release() */
	uint32_t t = atomic_load_explicit(&r->shm->tail, memory_order_acquire);
	if (h - t >= r->n_slots)
		return NULL;
	return cascade_ring_slot(r, h);
}

/* Producer side: publish the slot returned by cascade_ring_reserve(). */
static inline void
cascade_ring_commit(const struct cascade_ring_ref *r)
{
	uint32_t h = atomic_load_explicit(&r->shm->head, memory_order_relaxed);
	/* pairs with the consumer's acquire load of head in cascade_ring_peek() */
	atomic_store_explicit(&r->shm->head, h + 1, memory_order_release);
}

/*
 * Producer side: copy len bytes (at most slot_size) into a new slot and
 * publish it. Returns 0, -ENOBUFS when full, -EMSGSIZE when len is too big.
 */
static inline int
cascade_ring_push(const struct cascade_ring_ref *r, const void *msg, size_t len)
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
cascade_ring_peek(const struct cascade_ring_ref *r)
{
	uint32_t t = atomic_load_explicit(&r->shm->tail, memory_order_relaxed);
	/* pairs with the producer's release store of head in cascade_ring_commit() */
	uint32_t h = atomic_load_explicit(&r->shm->head, memory_order_acquire);
	if (h == t)
		return NULL;
	return cascade_ring_slot(r, t);
}

/* Consumer side: hand the slot from cascade_ring_peek() back to the producer. */
static inline void
cascade_ring_release(const struct cascade_ring_ref *r)
{
	uint32_t t = atomic_load_explicit(&r->shm->tail, memory_order_relaxed);
	/* pairs with the producer's acquire load of tail in cascade_ring_reserve() */
	atomic_store_explicit(&r->shm->tail, t + 1, memory_order_release);
}

/*
 * Consumer side: copy the oldest message into buf (cap bytes; the copy is
 * truncated to cap) and release its slot. Returns 0 or -EAGAIN when empty.
 */
static inline int
cascade_ring_pop(const struct cascade_ring_ref *r, void *buf, size_t cap)
{
	const void *slot = cascade_ring_peek(r);

	if (slot == NULL)
		return -EAGAIN;
	memcpy(buf, slot, cap < r->slot_size ? cap : r->slot_size);
	cascade_ring_release(r);
	return 0;
}

#endif /* CASCADE_RING_H */
