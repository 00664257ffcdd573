/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_nackgen, what Cascade asks a sender for again: gaps put
 * numbers on the list (across the 16-bit wrap too), late packets take them
 * off, a number is asked for at once and every retry interval, given up
 * after max_tries or max_age; a gap longer than the list or a restart clears
 * it; a full list drops its oldest. dp_nack_pack against the reader's
 * dp_rtcp_nack_seqs: random sets of numbers survive the round trip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dp_nackgen.h"
#include "dp_rtcp_fb.h"

static struct dp_nackgen g;

static unsigned int
due(uint64_t now, uint16_t *out)
{
	return dp_nackgen_due(&g, now, 100, 3, 1000, out, 256);
}

static void
test_gap_and_retries(void **state)
{
	uint16_t out[256];

	(void)state;
	dp_nackgen_init(&g);
	assert_int_equal(dp_nackgen_rtp(&g, 100, 0), DP_NACKGEN_OK);
	assert_int_equal(dp_nackgen_rtp(&g, 101, 0), DP_NACKGEN_OK);
	assert_int_equal(dp_nackgen_rtp(&g, 105, 10), DP_NACKGEN_OK); /* 102-104 missing */
	assert_int_equal(g.n, 3);
	assert_int_equal(due(10, out), 3);
	assert_int_equal(out[0], 102);
	assert_int_equal(out[2], 104);
	assert_int_equal(due(50, out), 0);   /* not again before the retry interval */
	assert_int_equal(dp_nackgen_rtp(&g, 103, 60), DP_NACKGEN_RECOVERED);
	assert_int_equal(dp_nackgen_rtp(&g, 103, 61), DP_NACKGEN_OK); /* not on the list any more */
	assert_int_equal(due(110, out), 2); /* 102 and 104, the second time */
	assert_int_equal(due(210, out), 2); /* the third */
	assert_int_equal(due(310, out), 0); /* given up after 3 tries */
	assert_int_equal(g.n, 0);
}

static void
test_age_and_wrap(void **state)
{
	uint16_t out[256];

	(void)state;
	dp_nackgen_init(&g);
	dp_nackgen_rtp(&g, 65534, 0);
	dp_nackgen_rtp(&g, 2, 0); /* 65535, 0, 1 missing */
	assert_int_equal(due(0, out), 3);
	assert_int_equal(out[0], 65535);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], 1);
	assert_int_equal(dp_nackgen_due(&g, 1001, 100, 10, 1000, out, 256), 0); /* too old */
	assert_int_equal(g.n, 0);
}

static void
test_reset_and_full(void **state)
{
	uint16_t out[256];
	uint32_t i;

	(void)state;
	dp_nackgen_init(&g);
	dp_nackgen_rtp(&g, 1000, 0);
	dp_nackgen_rtp(&g, 1003, 0);
	assert_int_equal(dp_nackgen_rtp(&g, (uint16_t)(1004 + DP_NACKGEN_MAX + 1), 0),
			 DP_NACKGEN_RESET); /* a gap longer than the list */
	assert_int_equal(g.n, 0);
	assert_int_equal(dp_nackgen_rtp(&g, 40000, 0), DP_NACKGEN_RESET); /* a restart */
	assert_int_equal(g.highest, 40000);
	/* gaps of two, until the list is full: the oldest go */
	for (i = 1; i <= DP_NACKGEN_MAX; i++)
		dp_nackgen_rtp(&g, (uint16_t)(40000 + 2 * i), 0);
	assert_int_equal(g.n, DP_NACKGEN_MAX);
	assert_int_equal(due(0, out), DP_NACKGEN_MAX);
	assert_int_equal(out[0], 40001);
	dp_nackgen_rtp(&g, (uint16_t)(40000 + 2 * DP_NACKGEN_MAX + 2), 0);
	assert_int_equal(g.n, DP_NACKGEN_MAX);
	assert_int_equal(g.e[0].seq, 40003);
}

static void
test_pack_round_trip(void **state)
{
	uint16_t seqs[200], back[17];
	uint8_t fci[4 * 200];
	unsigned int r, i, n, k, e, m, at;

	(void)state;
	srand(7);
	for (r = 0; r < 2000; r++) {
		uint16_t s = (uint16_t)rand();

		n = 1 + (unsigned int)rand() % 200;
		for (i = 0; i < n; i++) {
			s = (uint16_t)(s + 1 + (unsigned int)rand() % (r % 3 == 0 ? 40 : 3));
			seqs[i] = s;
		}
		k = dp_nack_pack(seqs, n, fci, 200);
		at = 0;
		for (e = 0; e < k; e++) {
			uint16_t pid = (uint16_t)(fci[4 * e] << 8 | fci[4 * e + 1]);
			uint16_t blp = (uint16_t)(fci[4 * e + 2] << 8 | fci[4 * e + 3]);

			m = dp_rtcp_nack_seqs(pid, blp, back);
			for (i = 0; i < m; i++)
				assert_int_equal(back[i], seqs[at++]);
		}
		assert_int_equal(at, n);
	}
	/* the room runs out: the first entries are written, no more */
	for (i = 0; i < 10; i++)
		seqs[i] = (uint16_t)(100 * i);
	assert_int_equal(dp_nack_pack(seqs, 10, fci, 4), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gap_and_retries),
		cmocka_unit_test(test_age_and_wrap),
		cmocka_unit_test(test_reset_and_full),
		cmocka_unit_test(test_pack_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
