/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_rtxbuf, the retransmission buffer: what a get finds after
 * puts that wrap the buffer and the 16-bit sequence number, what a put hands
 * back (the packet it replaced, or a duplicate itself), the age limit, the
 * depths it accepts, and a flush that gives back every packet exactly once.
 * Packets are stand-in pointers: the buffer never looks at them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dp_rtxbuf.h"

static char pkts[70000]; /* &pkts[i]: packet i */

static struct dp_rtxbuf *
make(uint32_t depth, uint64_t max_age)
{
	struct dp_rtxbuf *b = malloc(dp_rtxbuf_size(depth));

	assert_non_null(b);
	assert_int_equal(dp_rtxbuf_init(b, depth, max_age), 0);
	return b;
}

static void
test_depths(void **state)
{
	struct dp_rtxbuf *b = malloc(dp_rtxbuf_size(65536));

	(void)state;
	assert_non_null(b);
	assert_int_equal(dp_rtxbuf_init(b, 0, 1), -1);
	assert_int_equal(dp_rtxbuf_init(b, 1, 1), -1);
	assert_int_equal(dp_rtxbuf_init(b, 3, 1), -1);
	assert_int_equal(dp_rtxbuf_init(b, 1000, 1), -1);
	assert_int_equal(dp_rtxbuf_init(b, 65536, 1), -1);
	assert_int_equal(dp_rtxbuf_init(b, 2, 1), 0);
	assert_int_equal(dp_rtxbuf_init(b, 32768, 1), 0);
	free(b);
}

/* The last depth packets are found; the one before is handed back as replaced. */
static void
test_window_and_replace(void **state)
{
	struct dp_rtxbuf *b = make(8, 1000);
	uint32_t i;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_null(dp_rtxbuf_put(b, (uint16_t)(100 + i), &pkts[i], 1));
	assert_int_equal(b->held, 8);
	for (i = 0; i < 8; i++)
		assert_ptr_equal(dp_rtxbuf_get(b, (uint16_t)(100 + i), 2), &pkts[i]);
	/* seq 108 takes 100's slot: 100 comes back to be released */
	assert_ptr_equal(dp_rtxbuf_put(b, 108, &pkts[8], 2), &pkts[0]);
	assert_null(dp_rtxbuf_get(b, 100, 2));
	assert_ptr_equal(dp_rtxbuf_get(b, 108, 2), &pkts[8]);
	assert_int_equal(b->held, 8);
	/* never seen, or a number sharing a slot with a held one */
	assert_null(dp_rtxbuf_get(b, 99, 2));
	assert_null(dp_rtxbuf_get(b, 116, 2));
	free(b);
}

/* Across the 16-bit wrap the slot's full number decides. */
static void
test_seq_wrap(void **state)
{
	struct dp_rtxbuf *b = make(16, 1000);
	uint32_t i;

	(void)state;
	for (i = 0; i < 16; i++)
		dp_rtxbuf_put(b, (uint16_t)(65528 + i), &pkts[i], 5);
	for (i = 0; i < 16; i++)
		assert_ptr_equal(dp_rtxbuf_get(b, (uint16_t)(65528 + i), 5), &pkts[i]);
	assert_ptr_equal(dp_rtxbuf_get(b, 65535, 5), &pkts[7]);
	assert_ptr_equal(dp_rtxbuf_get(b, 0, 5), &pkts[8]);
	/* a number that shares a slot with a held packet is not that packet */
	assert_null(dp_rtxbuf_get(b, (uint16_t)(65528 + 16), 5));
	free(b);
}

/* A duplicate keeps the first copy and hands the second back. */
static void
test_duplicate(void **state)
{
	struct dp_rtxbuf *b = make(4, 1000);

	(void)state;
	assert_null(dp_rtxbuf_put(b, 7, &pkts[1], 1));
	assert_ptr_equal(dp_rtxbuf_put(b, 7, &pkts[2], 1), &pkts[2]);
	assert_ptr_equal(dp_rtxbuf_get(b, 7, 1), &pkts[1]);
	assert_int_equal(b->held, 1);
	free(b);
}

/* Older than the age limit: not found, though still held until replaced or flushed. */
static void
test_age(void **state)
{
	struct dp_rtxbuf *b = make(4, 100);

	(void)state;
	dp_rtxbuf_put(b, 1, &pkts[1], 1000);
	assert_ptr_equal(dp_rtxbuf_get(b, 1, 1100), &pkts[1]);
	assert_null(dp_rtxbuf_get(b, 1, 1101));
	assert_int_equal(b->held, 1);
	free(b);
}

static unsigned int released[70000];

static void
release(void *pkt, void *arg)
{
	(void)arg;
	released[(char *)pkt - pkts]++;
}

/* A flush gives each held packet back once; what was replaced earlier is not given again. */
static void
test_flush(void **state)
{
	struct dp_rtxbuf *b = make(64, 1000);
	uint32_t i;
	void *old;

	(void)state;
	memset(released, 0, sizeof(released));
	for (i = 0; i < 100; i++) {
		old = dp_rtxbuf_put(b, (uint16_t)i, &pkts[i], 1);
		if (old != NULL)
			release(old, NULL);
	}
	dp_rtxbuf_flush(b, release, NULL);
	for (i = 0; i < 100; i++)
		assert_int_equal(released[i], 1);
	assert_int_equal(b->held, 0);
	for (i = 0; i < 100; i++)
		assert_null(dp_rtxbuf_get(b, (uint16_t)i, 1));
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depths),	  cmocka_unit_test(test_window_and_replace),
		cmocka_unit_test(test_seq_wrap),  cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_age),	  cmocka_unit_test(test_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
