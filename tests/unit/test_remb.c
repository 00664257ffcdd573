/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_remb: the loss-based estimate (start at the maximum, down
 * by half the loss above 10%, hold from 2 to 10%, up 5% below 2%, never above
 * the maximum nor below the floor) and the REMB message, read back with
 * dp_parse_rtcp() and dp_rtcp_walk() (exact where the mantissa holds the
 * bitrate, rounded down otherwise).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dp_parse.h"
#include "dp_remb.h"
#include "dp_rtcp_fb.h"

static void
test_estimate(void **state)
{
	unsigned int i;
	uint64_t e;

	(void)state;
	assert_int_equal(dp_remb_update(0, 2000000, 0), 2000000); /* starts at the maximum */
	e = dp_remb_update(2000000, 2000000, 51);                 /* 20%: x (1 - 0.1) */
	assert_int_equal(e, 2000000 * (512 - 51) / 512);
	assert_int_equal(dp_remb_update(e, 2000000, 26), e * (512 - 26) / 512); /* just over 10% */
	assert_int_equal(dp_remb_update(e, 2000000, 25), e);                    /* 9.8%: hold */
	assert_int_equal(dp_remb_update(e, 2000000, 6), e);                     /* 2.3%: hold */
	assert_int_equal(dp_remb_update(e, 2000000, 5), e + e / 20);            /* 1.95%: +5% */
	assert_int_equal(dp_remb_update(1990000, 2000000, 0),
			 2000000); /* never above the maximum */
	assert_int_equal(dp_remb_update(5000000, 2000000, 0), 2000000); /* a lowered maximum */
	/* all lost, again and again: down to the floor, not to 0 */
	for (i = 0, e = 2000000; i < 100; i++)
		e = dp_remb_update(e, 2000000, 255);
	assert_int_equal(e, DP_REMB_MIN_BPS);
	assert_int_equal(dp_remb_update(0, 10000, 255), 10000); /* a maximum under the floor */
}

static uint64_t got_bps;
static uint32_t got_ssrc, got_sender;

static void
on_item(void *ctx, const struct dp_rtcp_item *it)
{
	(void)ctx;
	assert_int_equal(it->kind, DP_RTCP_REMB);
	assert_int_equal(it->u.remb.n_ssrcs, 1);
	got_bps = it->u.remb.bitrate_bps;
	got_sender = it->sender;
	got_ssrc = (uint32_t)it->u.remb.ssrcs[0] << 24 | (uint32_t)it->u.remb.ssrcs[1] << 16 |
		   (uint32_t)it->u.remb.ssrcs[2] << 8 | it->u.remb.ssrcs[3];
}

static uint64_t
round_trip(uint64_t bps)
{
	uint8_t out[DP_REMB_LEN];
	enum cascade_drop why;
	struct dp_rtcp rtcp;

	memset(out, 0xee, sizeof(out));
	dp_remb_build(out, 0x1234, 0xabcdef01, bps);
	assert_int_equal(dp_parse_rtcp(out, sizeof(out), true, &rtcp, &why), 0);
	got_bps = UINT64_MAX;
	assert_int_equal(dp_rtcp_walk(out, sizeof(out), on_item, NULL, &why), 0);
	assert_int_equal(got_sender, 0x1234);
	assert_int_equal(got_ssrc, 0xabcdef01);
	return got_bps;
}

static void
test_message(void **state)
{
	uint64_t bps, got;
	unsigned int i;

	(void)state;
	assert_int_equal(round_trip(10000000), 10000000); /* 156250 << 6 */
	assert_int_equal(round_trip(262143), 262143);     /* the largest without exponent */
	assert_int_equal(round_trip(0), 0);
	for (i = 0, bps = 1; i < 60; i++, bps = bps * 7 / 3 + 1) {
		got = round_trip(bps);
		assert_true(got <= bps);
		assert_true(bps - got < bps / 0x20000 + 1); /* within one step of 18 bits */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_estimate),
		cmocka_unit_test(test_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
