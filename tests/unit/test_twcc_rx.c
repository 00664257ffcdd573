/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_twcc_rx, the transport-cc feedback Cascade sends a
 * sender. What it builds is read back independently: dp_parse_rtcp() checks
 * the packet, dp_rtcp_walk() finds the feedback and dp_rtcp_twcc_read()
 * decodes its chunks and deltas; the arrival times rebuilt from the
 * reference time and the deltas must be the recorded ones to 250 us. Cases:
 * each chunk kind (run-length of each symbol, one-bit and two-bit vectors),
 * gaps, reordering within a feedback (a negative delta) and behind one (the
 * late packet re-reported, the ones already reported not counted twice), the
 * back window, the 16-bit wrap, a delta past 16 bits, more feedback than one
 * buffer holds, the feedback count's wrap and a jump past the ring.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dp_parse.h"
#include "dp_rtcp_fb.h"
#include "dp_twcc_rx.h"

#define WIN DP_TWCC_BACK_WINDOW_US

static struct dp_twcc_rx t;

/* What the feedback said, per sequence number. */
static struct {
	uint8_t seen;     /* times reported at all */
	uint8_t received; /* times reported received */
	int64_t at_us;    /* arrival rebuilt */
} rep[65536];

static struct {
	int64_t cur_us; /* the running time of the feedback being read */
	uint16_t kinds; /* bit 0 run-length, 1 one-bit, 2 two-bit: chunk kinds seen */
	unsigned int n_fb, n_recv;
	int last_fb_count;
} rd;

static void
on_status(void *ctx, uint16_t seq, bool received, int32_t delta)
{
	(void)ctx;
	rep[seq].seen++;
	if (!received)
		return;
	rd.cur_us += (int64_t)delta * 250;
	rep[seq].received++;
	rep[seq].at_us = rd.cur_us;
	rd.n_recv++;
}

static void
on_item(void *ctx, const struct dp_rtcp_item *it)
{
	struct dp_twcc_fb fb;
	unsigned int off, left, n;

	(void)ctx;
	assert_int_equal(it->kind, DP_RTCP_TWCC);
	assert_int_equal(it->sender, 0x11111111);
	assert_int_equal(it->media, 0x22222222);
	/* the chunk kinds, from the raw chunks */
	memset(&fb, 0, sizeof(fb));
	fb.count = (uint16_t)(it->u.twcc.fci[2] << 8 | it->u.twcc.fci[3]);
	for (off = 8, left = fb.count; left > 0; off += 2) {
		uint16_t c = (uint16_t)(it->u.twcc.fci[off] << 8 | it->u.twcc.fci[off + 1]);

		if (!(c & 0x8000)) {
			rd.kinds |= 1;
			n = c & 0x1fff;
		} else if (!(c & 0x4000)) {
			rd.kinds |= 2;
			n = 14;
		} else {
			rd.kinds |= 4;
			n = 7;
		}
		left -= n < left ? n : left;
	}
	assert_int_equal(dp_rtcp_twcc_read(it->u.twcc.fci, it->u.twcc.len, &fb, NULL, NULL), 0);
	rd.cur_us = (int64_t)fb.ref_64ms * 64000;
	if (rd.last_fb_count >= 0)
		assert_int_equal(fb.fb_count, (uint8_t)(rd.last_fb_count + 1));
	rd.last_fb_count = fb.fb_count;
	rd.n_fb++;
	assert_int_equal(dp_rtcp_twcc_read(it->u.twcc.fci, it->u.twcc.len, &fb, on_status, NULL),
			 0);
}

static void
reset(void)
{
	dp_twcc_rx_init(&t);
	memset(rep, 0, sizeof(rep));
	memset(&rd, 0, sizeof(rd));
	rd.last_fb_count = -1;
}

/* Build and read back every feedback waiting, with buffers of cap bytes. */
static unsigned int
drain(unsigned int cap)
{
	uint8_t buf[1500];
	unsigned int len, n, total = 0, fbs = 0;
	enum cascade_drop why;
	struct dp_rtcp rtcp;

	assert_true(cap <= sizeof(buf));
	while (dp_twcc_rx_pending(&t)) {
		len = dp_twcc_rx_build(&t, 0x11111111, 0x22222222, buf, cap, &n);
		assert_true(len > 0 && len <= cap && len % 4 == 0);
		assert_int_equal(dp_parse_rtcp(buf, len, true, &rtcp, &why), 0);
		assert_int_equal(dp_rtcp_walk(buf, len, on_item, NULL, &why), 0);
		total += n;
		assert_true(++fbs < 10000);
	}
	assert_int_equal(dp_twcc_rx_build(&t, 1, 2, buf, cap, &n), 0);
	return total;
}

static void
rec(uint16_t seq, uint64_t at_us)
{
	assert_true(dp_twcc_rx_record(&t, seq, at_us, WIN));
}

/* seq was reported received once, at at_us to the 250 us tick. */
static void
assert_at(uint16_t seq, uint64_t at_us)
{
	assert_int_equal(rep[seq].received, 1);
	assert_int_equal(rep[seq].at_us, (int64_t)(at_us / 250 * 250));
}

static void
test_runs_and_vectors(void **state)
{
	unsigned int i;

	(void)state;
	/* 100 packets 1 ms apart: one run of small deltas */
	reset();
	for (i = 0; i < 100; i++)
		rec((uint16_t)(1000 + i), 5000000 + 1000 * i + 37);
	assert_int_equal(drain(1200), 100);
	assert_int_equal(rd.n_fb, 1);
	assert_int_equal(rd.kinds, 1);
	for (i = 0; i < 100; i++)
		assert_at((uint16_t)(1000 + i), 5000000 + 1000 * i + 37);

	/* 30 packets 100 ms apart: a run of large deltas */
	reset();
	for (i = 0; i < 30; i++)
		rec((uint16_t)(7 + i), 1000 + 100000 * i);
	assert_int_equal(drain(1200), 30);
	assert_true(rd.kinds & 1); /* after the first (small) delta */
	for (i = 0; i < 30; i++)
		assert_at((uint16_t)(7 + i), 1000 + 100000 * i);

	/* every other packet lost, small deltas: one-bit vectors */
	reset();
	for (i = 0; i < 60; i += 2)
		rec((uint16_t)(500 + i), 2000000 + 3000 * i);
	assert_int_equal(drain(1200), 30);
	assert_true(rd.kinds & 2); /* the last 3 in a two-bit vector */
	for (i = 0; i < 59; i++) {
		assert_int_equal(rep[500 + i].seen, 1);
		assert_int_equal(rep[500 + i].received, i % 2 == 0);
	}

	/* losses and a large delta among small ones: two-bit vectors */
	reset();
	for (i = 0; i < 40; i++)
		if (i % 3 != 1)
			rec((uint16_t)(60000 + i),
			    9000000 + (i % 5 == 0 ? 80000 : 0) * i + 500 * i);
	assert_int_equal(drain(1200), 27);
	assert_true(rd.kinds & 4);
	for (i = 0; i < 40; i++)
		if (i % 3 != 1)
			assert_at((uint16_t)(60000 + i),
				  9000000 + (i % 5 == 0 ? 80000 : 0) * i + 500 * i);
		else
			assert_int_equal(rep[60000 + i].received, 0);
}

static void
test_gap_run_and_wrap(void **state)
{
	unsigned int i;

	(void)state;
	reset();
	/* across the 16-bit wrap, with 300 lost in a row: a run of "not received" */
	for (i = 0; i < 10; i++)
		rec((uint16_t)(65530 + i), 100000 + 1000 * i);
	for (i = 310; i < 320; i++)
		rec((uint16_t)(65530 + i), 100000 + 1000 * i);
	assert_int_equal(drain(1200), 20);
	assert_int_equal(rd.n_fb, 1);
	for (i = 10; i < 310; i++) {
		assert_int_equal(rep[(uint16_t)(65530 + i)].seen, 1);
		assert_int_equal(rep[(uint16_t)(65530 + i)].received, 0);
	}
	assert_at(65535, 105000);
	assert_at(0, 106000);
	assert_at((uint16_t)(65530 + 319), 100000 + 319000);
	/* the next feedback goes on from there */
	rec((uint16_t)(65530 + 320), 500000);
	assert_int_equal(drain(1200), 1);
	assert_at((uint16_t)(65530 + 320), 500000);
}

static void
test_reordering(void **state)
{
	(void)state;
	reset();
	/* within a feedback: 3 after 4, a negative delta */
	rec(1, 1000);
	rec(2, 2000);
	rec(4, 3000);
	rec(3, 4000);
	rec(5, 5000);
	assert_int_equal(drain(1200), 5);
	assert_at(3, 4000);
	assert_at(4, 3000);
	assert_true(rd.kinds & 4); /* the negative delta needs a two-bit vector */

	/* behind a feedback: 7 comes after 6 and 8 were reported */
	rec(6, 6000);
	rec(8, 8000);
	assert_int_equal(drain(1200), 2);
	assert_int_equal(rep[7].seen, 1);
	assert_int_equal(rep[7].received, 0);
	rec(7, 9000);
	assert_int_equal(drain(1200), 1); /* 7, the feedback ends there */
	assert_at(7, 9000);
	rec(10, 9100);
	assert_int_equal(drain(1200), 1); /* then 9 lost and 10: 8 is not reported twice */
	assert_int_equal(rep[8].received, 1);
	assert_int_equal(rep[8].seen, 1);
	assert_int_equal(rep[9].seen, 1);
	assert_at(10, 9100);
	/* a duplicate is ignored */
	assert_false(dp_twcc_rx_record(&t, 7, 9500, WIN));
	assert_false(dp_twcc_rx_pending(&t));

	/* 9 behind 10 (reported) and 12: 10 is told "not received" there, not twice received */
	rec(12, 9300);
	rec(9, 9400);
	assert_int_equal(drain(1200), 2);
	assert_at(9, 9400);
	assert_at(12, 9300);
	assert_int_equal(rep[10].received, 1);
	assert_int_equal(rep[10].seen, 2);
	assert_int_equal(rep[11].received, 0);
	/* a packet later than the back window behind what followed it is too late */
	assert_false(dp_twcc_rx_record(&t, 11, 9300 + WIN + 1000, WIN));
	assert_int_equal(t.too_late, 1);
	assert_false(dp_twcc_rx_pending(&t));
	/* and one older than the ring */
	for (uint16_t s = 13; s < 13 + DP_TWCC_RING; s++)
		rec(s, 20000 + s);
	assert_false(dp_twcc_rx_record(&t, 11, 30000, WIN));
	assert_int_equal(t.too_late, 2);
}

static void
test_split(void **state)
{
	unsigned int i;

	(void)state;
	/* 8.2 s between two packets: past a 16-bit delta, so two feedbacks */
	reset();
	t.fb_count = 250; /* and the count wraps on the way */
	rd.last_fb_count = 249;
	rec(100, 1000);
	rec(101, 1000 + 8200000);
	assert_int_equal(drain(1200), 2);
	assert_int_equal(rd.n_fb, 2);
	assert_at(100, 1000);
	assert_at(101, 8201000);

	/* 1000 packets, some lost, with 100-byte buffers: many feedbacks, each ending received */
	reset();
	for (i = 0; i < 1000; i++)
		if (i % 7 != 3)
			rec((uint16_t)(40000 + i), 3000000 + 1100 * i + (i % 11 == 0 ? 70000 : 0));
	assert_int_equal(drain(100), 1000 - 143);
	assert_true(rd.n_fb > 10);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(rep[40000 + i].seen, 1);
		if (i % 7 != 3)
			assert_at((uint16_t)(40000 + i),
				  3000000 + 1100 * i + (i % 11 == 0 ? 70000 : 0));
	}
	for (i = 0; i < 300; i++) {
		rec((uint16_t)(41000 + i), 9000000 + i);
		assert_true(drain(32) >= 1);
	}
	assert_int_equal(t.fb_count, (uint8_t)rd.n_fb);
}

static void
test_jump(void **state)
{
	(void)state;
	reset();
	rec(10, 1000);
	rec(10 + 3 * DP_TWCC_RING, 2000); /* a restart: what waited before is gone */
	assert_int_equal(drain(1200), 1);
	assert_int_equal(rep[10].seen, 0);
	assert_at(10 + 3 * DP_TWCC_RING, 2000);
	/* numbers that fell off the ring unreported are not reported */
	reset();
	rec(0, 1000);
	rec((uint16_t)(DP_TWCC_RING + 5), 2000);
	assert_int_equal(drain(1500), 1);
	assert_int_equal(rep[0].seen, 0);
}

static void
test_read_malformed(void **state)
{
	/* base 0, 20 statuses: a run of 10 received, then nothing: chunks run out */
	uint8_t fci[32] = {0, 0, 0, 20, 0, 0, 0, 0, 0x20, 10};
	struct dp_twcc_fb fb;

	(void)state;
	assert_int_equal(dp_rtcp_twcc_read(fci, 10, &fb, on_status, NULL), -1);
	/* 10 statuses: a run of 10 small deltas needs 10 bytes of them */
	fci[3] = 10;
	assert_int_equal(dp_rtcp_twcc_read(fci, 19, &fb, on_status, NULL), -1);
	assert_int_equal(dp_rtcp_twcc_read(fci, 20, &fb, on_status, NULL), 0);
	/* a reserved symbol */
	fci[8] = 0x60;
	assert_int_equal(dp_rtcp_twcc_read(fci, 20, &fb, on_status, NULL), -1);
	/* a run of 0 */
	fci[8] = 0x20;
	fci[9] = 0;
	assert_int_equal(dp_rtcp_twcc_read(fci, 20, &fb, on_status, NULL), -1);
	/* the reference time is signed */
	fci[4] = 0xff;
	fci[5] = 0xff;
	fci[6] = 0xfe;
	fci[3] = 0;
	assert_int_equal(dp_rtcp_twcc_read(fci, 8, &fb, on_status, NULL), 0);
	assert_int_equal(fb.ref_64ms, -2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_and_vectors),
		cmocka_unit_test(test_gap_run_and_wrap),
		cmocka_unit_test(test_reordering),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_jump),
		cmocka_unit_test(test_read_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
