/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the shared-memory SPSC ring (include/cascade/ring.h): the
 * argument checks, full and empty, the zero-copy reserve/peek interface,
 * indexes that wrap past 2^32 (head and tail start just below UINT32_MAX),
 * and a two-thread producer/consumer run of a million variable-length
 * messages whose order and every byte the consumer checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <cascade/ring.h>

#define STRESS_MSGS 1000000u
#define STRESS_SLOT 64
#define STRESS_SLOTS 64

/* A ring in fresh memory and a handle on it (freed with ring_free). */
static struct cascade_ring_ref *
ring_new(uint32_t slot_size, uint32_t n_slots)
{
	struct cascade_ring_ref *ref = malloc(sizeof(*ref));
	size_t bytes = cascade_ring_bytes(slot_size, n_slots);
	void *mem = NULL;

	assert_non_null(ref);
	assert_int_equal(posix_memalign(&mem, CASCADE_CACHE_LINE, bytes), 0);
	/* Garbage first: init must not rely on zeroed memory. */
	memset(mem, 0xa5, bytes);
	assert_int_equal(cascade_ring_init(mem, slot_size, n_slots), 0);
	assert_int_equal(cascade_ring_open(ref, mem, bytes, slot_size), 0);
	return ref;
}

static void
ring_free(const struct cascade_ring_ref *r)
{
	free(r->shm);
	free((void *)r);
}

/* Start both indexes at v, as if the ring had carried v messages already. */
static void
ring_set_index(const struct cascade_ring_ref *r, uint32_t v)
{
	atomic_store(&r->shm->head, v);
	atomic_store(&r->shm->tail, v);
}

static void
fill_msg(uint8_t *m, uint32_t len, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		m[i] = (uint8_t)(seq * 131 + i * 7);
}

static void
test_ring_init(void **state)
{
	_Alignas(CASCADE_CACHE_LINE) uint8_t mem[sizeof(struct cascade_ring) + 8 * 16];
	struct cascade_ring *r = (struct cascade_ring *)mem;
	struct cascade_ring_ref ref;

	(void)state;
	assert_int_equal(cascade_ring_bytes(16, 8), 192 + 128);
	assert_int_equal(cascade_ring_init(r, 8, 0), -EINVAL);
	assert_int_equal(cascade_ring_init(r, 8, 3), -EINVAL);
	assert_int_equal(cascade_ring_init(r, 8, 12), -EINVAL);
	assert_int_equal(cascade_ring_init(r, 0, 16), -EINVAL);
	assert_int_equal(cascade_ring_init(r, 12, 16), -EINVAL);
	assert_int_equal(cascade_ring_init(r, 8, 16), 0);
	assert_int_equal(r->slot_size, 8);
	assert_int_equal(r->n_slots, 16);
	assert_int_equal(r->mask, 15);
	assert_int_equal(cascade_ring_open(&ref, mem, sizeof(mem), 8), 0);
	assert_int_equal(cascade_ring_count(&ref), 0);
	/* A handle is refused for another slot size, or when the slots do not fit. */
	assert_int_equal(cascade_ring_open(&ref, mem, sizeof(mem), 16), -EPROTO);
	assert_int_equal(cascade_ring_open(&ref, mem, sizeof(mem) - 1, 8), -EPROTO);
	assert_int_equal(cascade_ring_open(&ref, mem, 100, 8), -EPROTO);
	assert_int_equal(cascade_ring_init(r, 8, 1), 0);
	assert_int_equal(r->mask, 0);
	/* The producer's and consumer's indexes sit on their own cache lines. */
	assert_int_equal(offsetof(struct cascade_ring, head), 64);
	assert_int_equal(offsetof(struct cascade_ring, tail), 128);
	assert_int_equal(offsetof(struct cascade_ring, slots), 192);
}

static void
test_ring_push_pop(void **state)
{
	const struct cascade_ring_ref *r = ring_new(16, 8);
	uint8_t msg[32], out[32];
	uint32_t i;

	(void)state;
	assert_int_equal(cascade_ring_pop(r, out, sizeof(out)), -EAGAIN);
	for (i = 0; i < 8; i++) {
		fill_msg(msg, 16, i);
		assert_int_equal(cascade_ring_push(r, msg, 16), 0);
		assert_int_equal(cascade_ring_count(r), i + 1);
	}
	assert_int_equal(cascade_ring_push(r, msg, 16), -ENOBUFS);
	assert_null(cascade_ring_reserve(r));
	assert_int_equal(cascade_ring_count(r), 8);
	for (i = 0; i < 8; i++) {
		fill_msg(msg, 16, i);
		assert_int_equal(cascade_ring_pop(r, out, sizeof(out)), 0);
		assert_memory_equal(out, msg, 16);
		/* Room again as soon as one slot is released. */
		if (i == 0)
			assert_int_equal(cascade_ring_push(r, msg, 16), 0);
	}
	assert_int_equal(cascade_ring_pop(r, out, sizeof(out)), 0);
	assert_int_equal(cascade_ring_pop(r, out, sizeof(out)), -EAGAIN);
	assert_int_equal(cascade_ring_count(r), 0);

	/* Too big for a slot; a short message; a short read buffer. */
	assert_int_equal(cascade_ring_push(r, msg, 17), -EMSGSIZE);
	assert_int_equal(cascade_ring_count(r), 0);
	fill_msg(msg, 16, 99);
	assert_int_equal(cascade_ring_push(r, msg, 5), 0);
	assert_int_equal(cascade_ring_push(r, msg, 16), 0);
	assert_int_equal(cascade_ring_push(r, msg, 0), 0);
	assert_int_equal(cascade_ring_pop(r, out, sizeof(out)), 0);
	assert_memory_equal(out, msg, 5);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(cascade_ring_pop(r, out, 4), 0);
	assert_memory_equal(out, msg, 4);
	assert_int_equal(out[4], 0xee);
	assert_int_equal(cascade_ring_pop(r, out, 0), 0);
	assert_int_equal(cascade_ring_count(r), 0);
	ring_free(r);
}

static void
test_ring_reserve_peek(void **state)
{
	const struct cascade_ring_ref *r = ring_new(8, 4);
	uint64_t *w;
	const uint64_t *rd;
	uint32_t i;

	(void)state;
	assert_null(cascade_ring_peek(r));
	for (i = 0; i < 4; i++) {
		w = cascade_ring_reserve(r);
		assert_non_null(w);
		assert_ptr_equal(w, r->slots + 8 * i);
		/* Reserved but not committed: invisible to the consumer. */
		*w = 1000 + i;
		if (i == 0)
			assert_null(cascade_ring_peek(r));
		cascade_ring_commit(r);
	}
	assert_null(cascade_ring_reserve(r));
	for (i = 0; i < 4; i++) {
		rd = cascade_ring_peek(r);
		assert_non_null(rd);
		assert_int_equal(*rd, 1000 + i);
		/* Peeking again returns the same slot until it is released. */
		assert_ptr_equal(cascade_ring_peek(r), rd);
		cascade_ring_release(r);
	}
	assert_null(cascade_ring_peek(r));
	ring_free(r);
}

static void
test_ring_index_wrap(void **state)
{
	static const uint32_t starts[] = {UINT32_MAX - 5, UINT32_MAX, UINT32_MAX - 7, 0x7ffffffe};
	const struct cascade_ring_ref *r = ring_new(16, 8);
	uint8_t msg[16], out[16];
	uint32_t s, i, k, seq_in, seq_out, round;

	(void)state;
	for (s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
		ring_set_index(r, starts[s]);
		assert_int_equal(cascade_ring_count(r), 0);
		assert_int_equal(cascade_ring_pop(r, out, sizeof(out)), -EAGAIN);
		/* Fill across the wrap: full is still exactly n_slots. */
		for (i = 0; i < 8; i++) {
			fill_msg(msg, 16, i);
			assert_int_equal(cascade_ring_push(r, msg, 16), 0);
			assert_int_equal(cascade_ring_count(r), i + 1);
		}
		assert_int_equal(cascade_ring_push(r, msg, 16), -ENOBUFS);
		for (i = 0; i < 8; i++) {
			fill_msg(msg, 16, i);
			assert_int_equal(cascade_ring_pop(r, out, sizeof(out)), 0);
			assert_memory_equal(out, msg, 16);
		}
		assert_int_equal(cascade_ring_pop(r, out, sizeof(out)), -EAGAIN);
		assert_int_equal(atomic_load(&r->shm->head), starts[s] + 8);

		/* Uneven bursts back and forth over the wrap point. */
		ring_set_index(r, starts[s] - 20);
		seq_in = seq_out = 0;
		for (round = 0; round < 40; round++) {
			k = (round * 5 + 3) % 9;
			for (i = 0; i < k; i++) {
				fill_msg(msg, 16, seq_in);
				if (cascade_ring_push(r, msg, 16) != 0)
					break;
				seq_in++;
			}
			assert_int_equal(cascade_ring_count(r), seq_in - seq_out);
			assert_true(cascade_ring_count(r) <= 8);
			k = (round * 3 + 1) % 7;
			for (i = 0; i < k && seq_out < seq_in; i++) {
				fill_msg(msg, 16, seq_out);
				assert_int_equal(cascade_ring_pop(r, out, sizeof(out)), 0);
				assert_memory_equal(out, msg, 16);
				seq_out++;
			}
		}
		assert_true(seq_in > 20);
	}
	ring_free(r);
}

/*
 * A peer scribbles on the shared header and the indexes: this side's handle
 * keeps its own geometry, so every slot it touches stays inside the ring (ASan
 * would see a write or read past the buffer), and a header that no longer
 * agrees with itself is refused when a handle is taken.
 */
static void
test_ring_scribbled_header(void **state)
{
	const struct cascade_ring_ref *r = ring_new(16, 8);
	uint8_t msg[16], out[16];
	uint32_t i, bad[] = {0, 1, 7, 8, 9, 0x7fffffff, 0x80000000, UINT32_MAX};
	struct cascade_ring_ref again;

	(void)state;
	memset(msg, 0x5a, sizeof(msg));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r->shm->slot_size = 1u << 30;
		r->shm->n_slots = bad[i];
		r->shm->mask = UINT32_MAX;
		atomic_store(&r->shm->head, bad[i]);
		atomic_store(&r->shm->tail, bad[(i + 3) % 8]);
		if (cascade_ring_reserve(r) != NULL)
			assert_int_equal(cascade_ring_push(r, msg, sizeof(msg)), 0);
		while (cascade_ring_pop(r, out, sizeof(out)) == 0 &&
		       cascade_ring_count(r) < 64)
			;
		assert_int_equal(cascade_ring_open(&again, r->shm, cascade_ring_bytes(16, 8), 16),
				 -EPROTO);
	}
	ring_free(r);
}

struct stress {
	const struct cascade_ring_ref *r;
	uint32_t errors;
	uint32_t received;
};

/* Message: seq (4 bytes), length (1 byte), then length - 5 pattern bytes. */
static uint32_t
stress_len(uint32_t seq)
{
	return 5 + (seq * 2654435761u >> 7) % (STRESS_SLOT - 5 + 1);
}

static void *
stress_producer(void *arg)
{
	struct stress *st = arg;
	uint8_t msg[STRESS_SLOT];
	uint32_t seq, len;

	for (seq = 0; seq < STRESS_MSGS; seq++) {
		len = stress_len(seq);
		memcpy(msg, &seq, 4);
		msg[4] = (uint8_t)len;
		fill_msg(msg + 5, len - 5, seq);
		while (cascade_ring_push(st->r, msg, len) == -ENOBUFS)
			sched_yield();
	}
	return NULL;
}

static void *
stress_consumer(void *arg)
{
	struct stress *st = arg;
	uint8_t out[STRESS_SLOT], expect[STRESS_SLOT];
	uint32_t seq, got, len;

	for (seq = 0; seq < STRESS_MSGS; seq++) {
		while (cascade_ring_pop(st->r, out, sizeof(out)) == -EAGAIN)
			sched_yield();
		memcpy(&got, out, 4);
		len = stress_len(seq);
		fill_msg(expect, len - 5, seq);
		if (got != seq || out[4] != len || memcmp(out + 5, expect, len - 5) != 0)
			st->errors++;
		st->received++;
	}
	return NULL;
}

static void
test_ring_two_threads(void **state)
{
	struct stress st = {.r = ring_new(STRESS_SLOT, STRESS_SLOTS)};
	pthread_t prod, cons;

	(void)state;
	/* Start near the wrap so the run crosses it too. */
	ring_set_index(st.r, UINT32_MAX - 1000);
	assert_int_equal(pthread_create(&cons, NULL, stress_consumer, &st), 0);
	assert_int_equal(pthread_create(&prod, NULL, stress_producer, &st), 0);
	assert_int_equal(pthread_join(prod, NULL), 0);
	assert_int_equal(pthread_join(cons, NULL), 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.received, STRESS_MSGS);
	assert_int_equal(cascade_ring_count(st.r), 0);
	assert_int_equal(atomic_load(&st.r->shm->tail), (uint32_t)(UINT32_MAX - 1000 + STRESS_MSGS));
	ring_free(st.r);
}

int
main(void)
{
	/* One test per line. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_init),
		cmocka_unit_test(test_ring_push_pop),
		cmocka_unit_test(test_ring_reserve_peek),
		cmocka_unit_test(test_ring_index_wrap),
		cmocka_unit_test(test_ring_scribbled_header),
		cmocka_unit_test(test_ring_two_threads),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
