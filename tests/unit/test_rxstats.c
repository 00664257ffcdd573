/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_rxstats: a report block's fields (RFC 3550 6.4.1) after
 * streams built here packet by packet: no loss, gaps (cumulative and per
 * interval), sequence wrap, duplicates (negative loss), a sender restart, the
 * jitter of A.8 against the formula computed independently in doubles, and
 * LSR/DLSR from a sender report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "dp_rxstats.h"

#define MS 1000000ull

struct rb {
	uint32_t ssrc, fraction, ext_max, jitter, lsr, dlsr;
	int32_t lost;
};

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct rb
report(struct dp_rxstats *s, uint64_t now)
{
	uint8_t b[DP_RTCP_RB_LEN];
	struct rb r;

	assert_true(dp_rxstats_report(s, 0xABCD, now, b));
	r.ssrc = rd32(b);
	r.fraction = b[4];
	r.lost = (int32_t)((rd32(b + 4) & 0xffffff) ^ 0x800000) - 0x800000;
	r.ext_max = rd32(b + 8);
	r.jitter = rd32(b + 12);
	r.lsr = rd32(b + 16);
	r.dlsr = rd32(b + 20);
	return r;
}

static void
test_no_packet_no_report(void **state)
{
	struct dp_rxstats s;
	uint8_t b[DP_RTCP_RB_LEN];

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_false(dp_rxstats_report(&s, 1, 0, b));
}

static void
test_loss_and_fraction(void **state)
{
	struct dp_rxstats s;
	struct rb r;
	uint16_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	/* 100 packets from 1000, every tenth missing: 10 lost of 100 expected */
	for (i = 0; i < 100; i++)
		if (i % 10 != 9)
			dp_rxstats_rtp(&s, (uint16_t)(1000 + i), 3000u * i, 10 * MS * (i + 1), 90000);
	r = report(&s, 2000 * MS);
	assert_int_equal(r.ssrc, 0xABCD);
	/* the last one (1099) was missing: highest seen is 1098, so 99 expected, 9 lost */
	assert_int_equal(r.ext_max, 1098);
	assert_int_equal(r.lost, 9);
	assert_int_equal(r.fraction, (9 << 8) / 99);
	/* the next interval: 1099 is known lost only now (1 of its 51 expected) */
	for (i = 100; i < 150; i++)
		dp_rxstats_rtp(&s, (uint16_t)(1000 + i), 3000u * i, 10 * MS * (i + 1), 90000);
	r = report(&s, 3000 * MS);
	assert_int_equal(r.fraction, (1 << 8) / 51);
	assert_int_equal(r.lost, 10);
	assert_int_equal(r.ext_max, 1149);
}

static void
test_wrap_duplicates_restart(void **state)
{
	struct dp_rxstats s;
	struct rb r;
	uint32_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < 20; i++)
		dp_rxstats_rtp(&s, (uint16_t)(65530 + i), 960 * i, 20 * MS * i, 48000);
	r = report(&s, 1000 * MS);
	assert_int_equal(r.ext_max, 65536 + 13); /* one wrap: cycles 1, seq 13 */
	assert_int_equal(r.lost, 0);
	/* duplicates: received exceeds expected, loss goes negative (A.3) */
	dp_rxstats_rtp(&s, 13, 960 * 19, 20 * MS * 20, 48000);
	dp_rxstats_rtp(&s, 12, 960 * 18, 20 * MS * 21, 48000);
	r = report(&s, 1100 * MS);
	assert_int_equal(r.lost, -2);
	assert_int_equal(r.fraction, 0);
	/* a jump far ahead is held back once, then taken as a restart (A.1) */
	dp_rxstats_rtp(&s, 40000, 0, 30 * MS * 40, 48000);
	r = report(&s, 1200 * MS);
	assert_int_equal(r.ext_max, 65536 + 13);
	dp_rxstats_rtp(&s, 40001, 960, 30 * MS * 41, 48000);
	r = report(&s, 1300 * MS);
	assert_int_equal(r.ext_max, 40001);
	assert_int_equal(r.lost, 0);
}

static void
test_jitter_matches_formula(void **state)
{
	struct dp_rxstats s;
	double j = 0, prev = 0;
	uint64_t arrival;
	uint32_t i;
	struct rb r;

	(void)state;
	memset(&s, 0, sizeof(s));
	/* 20 ms packets at 48 kHz whose arrival wobbles by 0, 3, 6 ms */
	for (i = 0; i < 200; i++) {
		double transit;

		arrival = 1000 * MS + 20 * MS * i + (i % 3) * 3 * MS;
		dp_rxstats_rtp(&s, (uint16_t)i, 960 * i, arrival, 48000);
		transit = (double)arrival / 1e9 * 48000 - 960.0 * i;
		if (i > 0)
			j += (fabs(transit - prev) - j) / 16;
		prev = transit;
	}
	r = report(&s, 6000 * MS);
	/* integer arithmetic of A.8 against the real-valued formula: within 2 units */
	assert_true(fabs((double)r.jitter - j) <= 2.0);
	assert_true(r.jitter > 100); /* 3-6 ms of wobble is 144-288 units at 48 kHz */
	/* a constant delay is no jitter at all */
	memset(&s, 0, sizeof(s));
	for (i = 0; i < 50; i++)
		dp_rxstats_rtp(&s, (uint16_t)i, 3000 * i, 7 * MS + 33333333ull * i / 1000 * 1000,
			       90000);
	assert_true(report(&s, 9000 * MS).jitter <= 1);
}

static void
test_lsr_dlsr(void **state)
{
	struct dp_rxstats s;
	struct rb r;

	(void)state;
	memset(&s, 0, sizeof(s));
	dp_rxstats_rtp(&s, 1, 0, 1 * MS, 90000);
	r = report(&s, 2 * MS);
	assert_int_equal(r.lsr, 0);
	assert_int_equal(r.dlsr, 0);
	dp_rxstats_sr(&s, 0xE1234567ABCD0000ull, 100 * MS);
	r = report(&s, 100 * MS + 1500 * MS); /* 1.5 s later */
	assert_int_equal(r.lsr, 0x4567ABCD);
	assert_int_equal(r.dlsr, 98304); /* 1.5 * 65536 */
}

int
main(void)
{
	/* One test per line. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_packet_no_report),
		cmocka_unit_test(test_loss_and_fraction),
		cmocka_unit_test(test_wrap_duplicates_restart),
		cmocka_unit_test(test_jitter_matches_formula),
		cmocka_unit_test(test_lsr_dlsr),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
