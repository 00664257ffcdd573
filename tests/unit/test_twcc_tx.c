/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_twcc_tx, transport-wide congestion control towards a
 * receiver: the feedback reader on hand-made FCIs of every chunk kind
 * (run length, 1-bit and 2-bit vectors), small, large and negative deltas,
 * the reference time's sign, the base sequence number's wrap, and every
 * malformed kind; then the estimator on a simulated link of known capacity
 * (a sender that sends at the estimate through a bottleneck queue, feedback
 * every 100 ms built by this file's encoder): it converges near the
 * capacity, falls after the capacity halves, and loss lowers it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dp_bytes.h"
#include "fuzz_replay.h"
#include "dp_twcc_tx.h"

struct got {
	uint32_t n;
	uint16_t seq[512];
	bool rx[512];
	int64_t at[512];
};

static void
collect(void *ctx, uint16_t seq, bool received, int64_t arrival_us)
{
	struct got *g = ctx;

	if (g->n < 512) {
		g->seq[g->n] = seq;
		g->rx[g->n] = received;
		g->at[g->n] = arrival_us;
	}
	g->n++;
}

static void
hdr(uint8_t *p, uint16_t base, uint16_t count, int32_t ref, uint8_t fbc)
{
	wr16(p, base);
	wr16(p + 2, count);
	wr32(p + 4, ((uint32_t)ref & 0xffffff) << 8 | fbc);
}

/* One run-length chunk: 5 received with small deltas, base wrapping past 65535. */
static void
test_run_length(void **state)
{
	uint8_t f[32];
	struct got g = {0};
	struct dp_twcc_fb_hdr h;

	(void)state;
	hdr(f, 65533, 5, 2, 7);
	wr16(f + 8, 0x2000 | 5); /* 0 | 01 | run 5 */
	f[10] = 4, f[11] = 0, f[12] = 1, f[13] = 255, f[14] = 8;
	assert_int_equal(dp_twcc_parse(f, 15, &h, collect, &g), DP_TWCC_OK);
	assert_int_equal(h.base_seq, 65533);
	assert_int_equal(h.status_count, 5);
	assert_int_equal(h.ref_time, 2);
	assert_int_equal(h.fb_count, 7);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.seq[0], 65533);
	assert_int_equal(g.seq[3], 0);
	assert_int_equal(g.seq[4], 1);
	assert_true(g.rx[0] && g.rx[4]);
	assert_int_equal(g.at[0], 128000 + 1000);
	assert_int_equal(g.at[1], 129000);
	assert_int_equal(g.at[2], 129250);
	assert_int_equal(g.at[3], 129250 + 255 * 250);
	assert_int_equal(g.at[4], 129250 + 263 * 250);
	/* a run of "not received" needs no delta; its run may pass the count */
	memset(&g, 0, sizeof(g));
	wr16(f + 8, 0x0000 | 100);
	assert_int_equal(dp_twcc_parse(f, 10, NULL, collect, &g), DP_TWCC_OK);
	assert_int_equal(g.n, 5);
	assert_false(g.rx[2]);
}

/* A 1-bit vector: 14 symbols, those past the count are padding. */
static void
test_vector_1bit(void **state)
{
	uint8_t f[32];
	struct got g = {0};

	(void)state;
	hdr(f, 10, 4, 0, 0);
	wr16(f + 8, 0x8000 | 0x2000 | 0x0800 | 0x0400 | 0x0001); /* 1 0 | 1 0 1 1 ... 1 */
	f[10] = 1, f[11] = 2, f[12] = 3;
	assert_int_equal(dp_twcc_parse(f, 16, NULL, collect, &g), DP_TWCC_OK);
	assert_int_equal(g.n, 4);
	assert_true(g.rx[0]);
	assert_false(g.rx[1]);
	assert_true(g.rx[2] && g.rx[3]);
	assert_int_equal(g.at[0], 250);
	assert_int_equal(g.at[2], 750);
	assert_int_equal(g.at[3], 1500);
	/* missing one delta byte */
	assert_int_equal(dp_twcc_parse(f, 12, NULL, collect, &g), DP_TWCC_SHORT);
}

/* A 2-bit vector with a large and a negative delta, negative reference time. */
static void
test_vector_2bit(void **state)
{
	uint8_t f[32];
	struct got g = {0};
	struct dp_twcc_fb_hdr h;

	(void)state;
	hdr(f, 100, 4, -1, 1);
	/* 1 1 | 01 10 00 10 00 00 00 */
	wr16(f + 8, 0xc000 | 1 << 12 | 2 << 10 | 0 << 8 | 2 << 6);
	f[10] = 10;
	wr16(f + 11, 4000);           /* +1 s */
	wr16(f + 13, (uint16_t)-100); /* -25 ms */
	assert_int_equal(dp_twcc_parse(f, 16, &h, collect, &g), DP_TWCC_OK);
	assert_int_equal(h.ref_time, -1);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.at[0], -64000 + 2500);
	assert_int_equal(g.at[1], -64000 + 2500 + 1000000);
	assert_false(g.rx[2]);
	assert_int_equal(g.at[3], -64000 + 2500 + 1000000 - 25000);
	assert_int_equal(dp_twcc_parse(f, 14, NULL, collect, &g), DP_TWCC_SHORT);
}

static void
test_malformed(void **state)
{
	uint8_t f[32] = {0};

	(void)state;
	assert_int_equal(dp_twcc_parse(f, 7, NULL, NULL, NULL), DP_TWCC_SHORT);
	hdr(f, 1, 0, 0, 0);
	assert_int_equal(dp_twcc_parse(f, 12, NULL, NULL, NULL), DP_TWCC_EMPTY);
	hdr(f, 1, 3, 0, 0);
	assert_int_equal(dp_twcc_parse(f, 9, NULL, NULL, NULL), DP_TWCC_SHORT); /* half a chunk */
	wr16(f + 8, 0x2000);                                                    /* run 0 */
	assert_int_equal(dp_twcc_parse(f, 12, NULL, NULL, NULL), DP_TWCC_RUN_ZERO);
	wr16(f + 8, 0x6000 | 3); /* run of the reserved symbol */
	assert_int_equal(dp_twcc_parse(f, 12, NULL, NULL, NULL), DP_TWCC_RESERVED);
	wr16(f + 8, 0xc000 | 3 << 10); /* reserved symbol in a 2-bit vector */
	assert_int_equal(dp_twcc_parse(f, 16, NULL, NULL, NULL), DP_TWCC_RESERVED);
	/* a reserved symbol past the count is padding: fine */
	wr16(f + 8, 0xc000 | 3);
	assert_int_equal(dp_twcc_parse(f, 16, NULL, NULL, NULL), DP_TWCC_OK);
	/* chunks for 3 packets, needing a second chunk that is not there */
	wr16(f + 8, 0x2000 | 1);
	f[10] = 0;
	assert_int_equal(dp_twcc_parse(f, 11, NULL, NULL, NULL), DP_TWCC_SHORT);
}

/* ---- the encoder (what a receiver does), for the link simulation ---- */

struct pkt {
	uint16_t seq;
	bool rx;
	int64_t at_us;
};

/*
 * Encode n reported packets (consecutive seqs from p[0].seq) into f: runs of
 * 14 or more equal symbols as run length, else 1-bit vectors when they fit,
 * else 2-bit vectors. Returns the length (padded to 4).
 */
static uint32_t
encode(uint8_t *f, const struct pkt *p, uint32_t n, uint8_t fbc)
{
	uint8_t sym[4096];
	int64_t ref_us = 0, last;
	uint32_t pos = 8, i = 0, k;
	bool have = false;

	for (k = 0; k < n; k++) {
		if (!p[k].rx) {
			sym[k] = 0;
			continue;
		}
		if (!have) {
			ref_us = (p[k].at_us / 64000) * 64000;
			last = ref_us;
			have = true;
		}
		int64_t d = (p[k].at_us - last) / 250;

		sym[k] = d >= 0 && d <= 255 ? 1 : 2;
		last += d * 250;
	}
	hdr(f, p[0].seq, (uint16_t)n, (int32_t)(ref_us / 64000), fbc);
	while (i < n) {
		uint32_t run = 1, cnt;
		bool small = true;

		while (i + run < n && sym[i + run] == sym[i] && run < 8191)
			run++;
		if (run >= 14) {
			wr16(f + pos, (uint16_t)(sym[i] << 13 | run));
			pos += 2;
			i += run;
			continue;
		}
		cnt = n - i < 14 ? n - i : 14;
		for (k = 0; k < cnt; k++)
			small = small && sym[i + k] <= 1;
		if (small) {
			uint16_t c = 0x8000;

			for (k = 0; k < cnt; k++)
				c |= (uint16_t)(sym[i + k] << (13 - k));
			wr16(f + pos, c);
			i += cnt;
		} else {
			uint16_t c = 0xc000;

			cnt = cnt < 7 ? cnt : 7;
			for (k = 0; k < cnt; k++)
				c |= (uint16_t)(sym[i + k] << (12 - 2 * k));
			wr16(f + pos, c);
			i += cnt;
		}
		pos += 2;
	}
	last = ref_us;
	for (k = 0; k < n; k++) {
		int64_t d;

		if (!sym[k])
			continue;
		d = (p[k].at_us - last) / 250;
		last += d * 250;
		if (sym[k] == 1) {
			f[pos++] = (uint8_t)d;
		} else {
			wr16(f + pos, (uint16_t)(int16_t)d);
			pos += 2;
		}
	}
	while (pos % 4)
		f[pos++] = 0;
	return pos;
}

/* The encoder's output reads back as what went in. */
static void
test_encode_roundtrip(void **state)
{
	static struct pkt p[300];
	static uint8_t f[4096];
	struct got g = {0};
	uint32_t len;

	(void)state;
	srand(7);
	for (uint32_t k = 0; k < 300; k++) {
		p[k].seq = (uint16_t)(65400 + k);
		p[k].rx = k < 40 || k > 80 ? rand() % 10 != 0 : false;
		p[k].at_us =
			1000000 + k * 1000 + (k % 50 == 0 ? 300000 : 0) - (k % 33 == 0 ? 5000 : 0);
	}
	len = encode(f, p, 300, 3);
	assert_int_equal(dp_twcc_parse(f, len, NULL, collect, &g), DP_TWCC_OK);
	assert_int_equal(g.n, 300);
	for (uint32_t k = 0; k < 300; k++) {
		assert_int_equal(g.seq[k], p[k].seq);
		assert_int_equal(g.rx[k], p[k].rx);
		if (p[k].rx)
			assert_true(llabs(g.at[k] - p[k].at_us) < 250);
	}
}

/* ---- the simulated link ---- */

#define PKT_BYTES 1200
#define FB_US 100000
#define PROP_US 20000

struct link {
	struct dp_twcc_tx *t;
	uint64_t cap_bps;
	uint32_t loss_pct;
	int64_t now_us;
	int64_t next_send_us;
	int64_t queue_free_us; /* when the bottleneck is free again */
	uint8_t fbc;
	uint32_t n; /* packets in flight since the last feedback */
	struct pkt fl[4096];
};

/* Run the link for dur_us: send at the estimate, feedback every FB_US. */
static void
run(struct link *l, int64_t dur_us)
{
	static uint8_t f[16384];
	int64_t end = l->now_us + dur_us;

	while (l->now_us < end) {
		int64_t tick = l->now_us + FB_US;

		while (l->next_send_us < tick && l->n < 4096) {
			int64_t s = l->next_send_us;
			uint16_t seq = dp_twcc_stamp(l->t, PKT_BYTES, (uint64_t)s);
			int64_t tx_us = (int64_t)((uint64_t)PKT_BYTES * 8 * 1000000 / l->cap_bps);
			int64_t start = s > l->queue_free_us ? s : l->queue_free_us;
			struct pkt *p = &l->fl[l->n++];

			l->queue_free_us = start + tx_us;
			p->seq = seq;
			p->at_us = start + tx_us + PROP_US;
			p->rx = (uint32_t)(rand() % 100) >= l->loss_pct;
			l->next_send_us = s + (int64_t)((uint64_t)PKT_BYTES * 8 * 1000000 /
							dp_twcc_estimate(l->t));
		}
		l->now_us = tick;
		/* report what has arrived by now, in order; the rest waits */
		uint32_t k = 0;

		while (k < l->n && (l->fl[k].at_us <= tick || !l->fl[k].rx))
			k++;
		if (k > 0) {
			uint32_t len = encode(f, l->fl, k, l->fbc++);

			assert_int_equal(dp_twcc_feedback(l->t, f, len, (uint64_t)tick),
					 DP_TWCC_OK);
			memmove(l->fl, l->fl + k, (l->n - k) * sizeof(l->fl[0]));
			l->n -= k;
		}
	}
}

static struct link lk;

static void
link_start(uint64_t cap_bps, uint32_t loss_pct)
{
	static struct dp_twcc_tx t;

	memset(&lk, 0, sizeof(lk));
	dp_twcc_init(&t, 0);
	lk.t = &t;
	lk.cap_bps = cap_bps;
	lk.loss_pct = loss_pct;
	lk.now_us = lk.next_send_us = 5000000;
	srand(1);
}

static void
test_converges_and_falls(void **state)
{
	uint64_t e, lo = UINT64_MAX, hi = 0;

	(void)state;
	link_start(2000000, 0);
	run(&lk, 40000000);
	/* after 40 s, 10 more seconds stay near 2 Mbit/s */
	for (int k = 0; k < 100; k++) {
		run(&lk, FB_US);
		e = dp_twcc_estimate(lk.t);
		lo = e < lo ? e : lo;
		hi = e > hi ? e : hi;
	}
	print_message("capacity 2000 kbit/s: estimate %lu..%lu kbit/s, acked %lu kbit/s\n",
		      lo / 1000, hi / 1000, atomic_load(&lk.t->acked_bps) / 1000);
	assert_true(lo >= 1300000);
	assert_true(hi <= 2600000);
	/* the capacity halves: within 5 s the estimate is near the new one */
	lk.cap_bps = 1000000;
	run(&lk, 5000000);
	lo = UINT64_MAX, hi = 0;
	for (int k = 0; k < 50; k++) {
		run(&lk, FB_US);
		e = dp_twcc_estimate(lk.t);
		lo = e < lo ? e : lo;
		hi = e > hi ? e : hi;
	}
	print_message("capacity 1000 kbit/s: estimate %lu..%lu kbit/s\n", lo / 1000, hi / 1000);
	assert_true(hi <= 1300000);
	assert_true(lo >= 500000);
	assert_true(atomic_load(&lk.t->feedbacks) > 500);
	assert_int_equal(atomic_load(&lk.t->lost), 0);
}

static void
test_loss_lowers(void **state)
{
	uint64_t clean, lossy;

	(void)state;
	link_start(2000000, 0);
	run(&lk, 30000000);
	clean = dp_twcc_estimate(lk.t);
	link_start(2000000, 20);
	run(&lk, 30000000);
	lossy = dp_twcc_estimate(lk.t);
	print_message("no loss: %lu kbit/s, 20%% loss: %lu kbit/s\n", clean / 1000, lossy / 1000);
	assert_true(lossy < clean / 2);
	assert_true(atomic_load(&lk.t->lost) > 0);
	/* 5 % loss (between 2 and 10): the loss-based part holds, the delay-based decides */
	link_start(2000000, 5);
	run(&lk, 30000000);
	print_message("5%% loss: %lu kbit/s\n", dp_twcc_estimate(lk.t) / 1000);
	assert_true(dp_twcc_estimate(lk.t) >= DP_TWCC_MIN_BPS);
}

/* Feedback on packets never sent (or long gone) changes nothing but the count. */
static void
test_unknown_packets(void **state)
{
	static struct dp_twcc_tx t;
	struct pkt p[30];
	uint8_t f[256];
	uint32_t len;

	(void)state;
	dp_twcc_init(&t, 500000);
	for (int k = 0; k < 30; k++)
		p[k] = (struct pkt){.seq = (uint16_t)(1000 + k), .rx = true, .at_us = k * 1000};
	len = encode(f, p, 30, 0);
	assert_int_equal(dp_twcc_feedback(&t, f, len, 1), DP_TWCC_OK);
	assert_int_equal(atomic_load(&t.reported), 0);
	assert_int_equal(dp_twcc_estimate(&t), 500000);
	assert_int_equal(dp_twcc_feedback(&t, f, 7, 1), DP_TWCC_SHORT);
	assert_int_equal(atomic_load(&t.feedbacks), 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fuzz target's seeds and regressions. */
static void
test_fuzz_corpus(void **state)
{
	(void)state;
	fuzz_replay_target(CASCADE_FUZZ_DIR, "fuzz_twcc", LLVMFuzzerTestOneInput);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_length),          cmocka_unit_test(test_vector_1bit),
		cmocka_unit_test(test_vector_2bit),         cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_encode_roundtrip),    cmocka_unit_test(test_unknown_packets),
		cmocka_unit_test(test_converges_and_falls), cmocka_unit_test(test_loss_lowers),
		cmocka_unit_test(test_fuzz_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
