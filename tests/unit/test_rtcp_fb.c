/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_rtcp_fb: every report and feedback format read back field by
 * field from packets built here (not from the reader's constants), compounds,
 * padding, what is skipped, packets whose counts announce more than they hold,
 * the NACK bitmap expansion, and every truncation of every packet in a heap
 * buffer of exactly that size (ASan catches a read past it). The last test
 * replays the fuzz target's corpus and regressions.
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
#include "fuzz_replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ITEMS 64

struct got {
	unsigned int n;
	struct dp_rtcp_item it[MAX_ITEMS];
};

static void
collect(void *ctx, const struct dp_rtcp_item *item)
{
	struct got *g = ctx;

	assert_true(g->n < MAX_ITEMS);
	g->it[g->n++] = *item;
}

/* A packet being built: bytes and length. */
struct pkt {
	uint8_t b[1500];
	size_t len;
};

static void
put8(struct pkt *p, unsigned int v)
{
	p->b[p->len++] = (uint8_t)v;
}

static void
put16(struct pkt *p, unsigned int v)
{
	put8(p, v >> 8);
	put8(p, v);
}

static void
put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

/* Start an RTCP packet at p's end: returns its offset; finish() writes its length. */
static size_t
start(struct pkt *p, unsigned int cnt, unsigned int pt)
{
	size_t at = p->len;

	put8(p, 0x80 | cnt);
	put8(p, pt);
	put16(p, 0);
	return at;
}

static void
finish(struct pkt *p, size_t at)
{
	size_t words = (p->len - at) / 4 - 1;

	p->b[at + 2] = (uint8_t)(words >> 8);
	p->b[at + 3] = (uint8_t)words;
}

static void
report_block(struct pkt *p, uint32_t src, unsigned int frac, uint32_t cum24)
{
	put32(p, src);
	put8(p, frac);
	put8(p, cum24 >> 16);
	put16(p, cum24 & 0xffff);
	put32(p, 0x00020001); /* extended highest sequence: cycles 2, seq 1 */
	put32(p, 1234);       /* jitter */
	put32(p, 0xAABBCCDD); /* LSR */
	put32(p, 0x00010000); /* DLSR: one second */
}

static int
walk(const struct pkt *p, struct got *g, enum cascade_drop *why)
{
	memset(g, 0, sizeof(*g));
	*why = CASCADE_DROP_MAX;
	return dp_rtcp_walk(p->b, (uint32_t)p->len, collect, g, why);
}

static void
test_sr_rr(void **state)
{
	struct pkt p = {.len = 0};
	enum cascade_drop why;
	struct got g;
	size_t at;

	(void)state;
	at = start(&p, 2, DP_RTCP_PT_SR);
	put32(&p, 0x11111111);
	put32(&p, 0xE1000000);
	put32(&p, 0x80000000);
	put32(&p, 90000);
	put32(&p, 51);
	put32(&p, 40000);
	report_block(&p, 0x22222222, 25, 0x000005);
	report_block(&p, 0x33333333, 0, 0xFFFFFE); /* -2: duplicates */
	finish(&p, at);
	at = start(&p, 1, DP_RTCP_PT_RR);
	put32(&p, 0x44444444);
	report_block(&p, 0x55555555, 255, 0x7FFFFF);
	finish(&p, at);

	assert_int_equal(walk(&p, &g, &why), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.it[0].kind, DP_RTCP_SENDER_INFO);
	assert_int_equal(g.it[0].sender, 0x11111111);
	assert_true(g.it[0].u.si.ntp == 0xE100000080000000ull);
	assert_int_equal(g.it[0].u.si.rtp_ts, 90000);
	assert_int_equal(g.it[0].u.si.packets, 51);
	assert_int_equal(g.it[0].u.si.octets, 40000);
	assert_int_equal(g.it[1].kind, DP_RTCP_REPORT);
	assert_int_equal(g.it[1].sender, 0x11111111);
	assert_int_equal(g.it[1].media, 0x22222222);
	assert_int_equal(g.it[1].u.rb.fraction_lost, 25);
	assert_int_equal(g.it[1].u.rb.cum_lost, 5);
	assert_int_equal(g.it[1].u.rb.ext_max_seq, 0x00020001);
	assert_int_equal(g.it[1].u.rb.jitter, 1234);
	assert_int_equal(g.it[1].u.rb.lsr, 0xAABBCCDD);
	assert_int_equal(g.it[1].u.rb.dlsr, 0x10000);
	assert_int_equal(g.it[2].u.rb.cum_lost, -2);
	assert_int_equal(g.it[3].sender, 0x44444444);
	assert_int_equal(g.it[3].media, 0x55555555);
	assert_int_equal(g.it[3].u.rb.cum_lost, 0x7FFFFF);
	assert_int_equal(g.it[3].u.rb.fraction_lost, 255);
}

static void
test_pli_fir_nack(void **state)
{
	struct pkt p = {.len = 0};
	enum cascade_drop why;
	struct got g;
	size_t at;

	(void)state;
	/* RFC 5506: a reduced-size compound may start with feedback */
	at = start(&p, DP_RTCP_FMT_PLI, DP_RTCP_PT_PSFB);
	put32(&p, 1);
	put32(&p, 0xAAAA0001);
	finish(&p, at);
	at = start(&p, DP_RTCP_FMT_FIR, DP_RTCP_PT_PSFB);
	put32(&p, 2);
	put32(&p, 0); /* RFC 5104 4.3.1.2: media source unused */
	put32(&p, 0xAAAA0002);
	put32(&p, 7u << 24);
	put32(&p, 0xAAAA0003);
	put32(&p, 255u << 24);
	finish(&p, at);
	at = start(&p, DP_RTCP_FMT_NACK, DP_RTCP_PT_RTPFB);
	put32(&p, 3);
	put32(&p, 0xAAAA0004);
	put16(&p, 100);
	put16(&p, 0x8001);
	put16(&p, 65535);
	put16(&p, 0);
	finish(&p, at);

	assert_int_equal(walk(&p, &g, &why), 0);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.it[0].kind, DP_RTCP_PLI);
	assert_int_equal(g.it[0].sender, 1);
	assert_int_equal(g.it[0].media, 0xAAAA0001);
	assert_int_equal(g.it[1].kind, DP_RTCP_FIR);
	assert_int_equal(g.it[1].media, 0xAAAA0002);
	assert_int_equal(g.it[1].u.fir.seq, 7);
	assert_int_equal(g.it[2].media, 0xAAAA0003);
	assert_int_equal(g.it[2].u.fir.seq, 255);
	assert_int_equal(g.it[3].kind, DP_RTCP_NACK);
	assert_int_equal(g.it[3].media, 0xAAAA0004);
	assert_int_equal(g.it[3].u.nack.pid, 100);
	assert_int_equal(g.it[3].u.nack.blp, 0x8001);
	assert_int_equal(g.it[4].u.nack.pid, 65535);
}

static void
test_remb_twcc_and_skipped(void **state)
{
	struct pkt p = {.len = 0};
	enum cascade_drop why;
	struct got g;
	size_t at;

	(void)state;
	at = start(&p, 1, 202); /* SDES: skipped */
	put32(&p, 9);
	put32(&p, 0x01020304);
	finish(&p, at);
	at = start(&p, DP_RTCP_FMT_AFB, DP_RTCP_PT_PSFB);
	put32(&p, 4);
	put32(&p, 0);
	put32(&p, 0x52454d42); /* "REMB" */
	put8(&p, 2);
	/* exp 10, mantissa 0x2_0304: 0x20304 << 10 */
	put8(&p, 10 << 2 | 2);
	put16(&p, 0x0304);
	put32(&p, 0xBBBB0001);
	put32(&p, 0xBBBB0002);
	finish(&p, at);
	at = start(&p, DP_RTCP_FMT_AFB, DP_RTCP_PT_PSFB); /* another AFB: skipped */
	put32(&p, 4);
	put32(&p, 0);
	put32(&p, 0x41424344);
	finish(&p, at);
	at = start(&p, DP_RTCP_FMT_TWCC, DP_RTCP_PT_RTPFB);
	put32(&p, 5);
	put32(&p, 0xCCCC0001);
	put16(&p, 1000); /* base */
	put16(&p, 1);    /* status count */
	put32(&p, 0x00000100); /* reference time 1, fb count 0 */
	put16(&p, 0x2001);     /* run of 1 small delta */
	put8(&p, 4);           /* delta */
	put8(&p, 0);           /* padding to 32 bits */
	finish(&p, at);
	at = start(&p, 0, 203); /* BYE: skipped */
	finish(&p, at);

	assert_int_equal(walk(&p, &g, &why), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.it[0].kind, DP_RTCP_REMB);
	assert_int_equal(g.it[0].sender, 4);
	assert_true(g.it[0].u.remb.bitrate_bps == (uint64_t)0x20304 << 10);
	assert_int_equal(g.it[0].u.remb.n_ssrcs, 2);
	assert_int_equal(g.it[0].u.remb.ssrcs[7], 0x02);
	assert_int_equal(g.it[1].kind, DP_RTCP_TWCC);
	assert_int_equal(g.it[1].media, 0xCCCC0001);
	assert_int_equal(g.it[1].u.twcc.len, 12);
	assert_int_equal(g.it[1].u.twcc.fci[0], 1000 >> 8);
}

static void
test_remb_saturates(void **state)
{
	struct pkt p = {.len = 0};
	enum cascade_drop why;
	struct got g;
	size_t at;

	(void)state;
	at = start(&p, DP_RTCP_FMT_AFB, DP_RTCP_PT_PSFB);
	put32(&p, 4);
	put32(&p, 0);
	put32(&p, 0x52454d42);
	put8(&p, 0);
	put8(&p, 63 << 2 | 3); /* exp 63, mantissa 0x3ffff */
	put16(&p, 0xffff);
	finish(&p, at);
	assert_int_equal(walk(&p, &g, &why), 0);
	assert_true(g.it[0].u.remb.bitrate_bps == UINT64_MAX);
}

/* Counts that promise more than the packet holds, and a padded last packet. */
static void
test_short_packets(void **state)
{
	struct pkt p;
	enum cascade_drop why;
	struct got g;
	size_t at;

	(void)state;
	/* an SR announcing 2 report blocks with room for 1 */
	memset(&p, 0, sizeof(p));
	at = start(&p, 2, DP_RTCP_PT_SR);
	for (int i = 0; i < 6; i++)
		put32(&p, (uint32_t)i);
	report_block(&p, 1, 0, 0);
	finish(&p, at);
	assert_int_equal(walk(&p, &g, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTCP_TRUNC);
	/* a NACK without entries, a FIR with half an entry, a REMB naming SSRCs it lacks */
	memset(&p, 0, sizeof(p));
	at = start(&p, DP_RTCP_FMT_NACK, DP_RTCP_PT_RTPFB);
	put32(&p, 1);
	put32(&p, 2);
	finish(&p, at);
	assert_int_equal(walk(&p, &g, &why), -1);
	memset(&p, 0, sizeof(p));
	at = start(&p, DP_RTCP_FMT_FIR, DP_RTCP_PT_PSFB);
	put32(&p, 1);
	put32(&p, 0);
	put32(&p, 5);
	finish(&p, at);
	assert_int_equal(walk(&p, &g, &why), -1);
	memset(&p, 0, sizeof(p));
	at = start(&p, DP_RTCP_FMT_AFB, DP_RTCP_PT_PSFB);
	put32(&p, 1);
	put32(&p, 0);
	put32(&p, 0x52454d42);
	put32(&p, 3u << 24);
	put32(&p, 7);
	finish(&p, at);
	assert_int_equal(walk(&p, &g, &why), -1);
	/* a feedback message without its media SSRC */
	memset(&p, 0, sizeof(p));
	at = start(&p, DP_RTCP_FMT_PLI, DP_RTCP_PT_PSFB);
	put32(&p, 1);
	finish(&p, at);
	assert_int_equal(walk(&p, &g, &why), -1);
	/* padding (RFC 3550 A.2) is not an entry: a NACK whose only "entry" is padding */
	memset(&p, 0, sizeof(p));
	at = start(&p, DP_RTCP_FMT_NACK, DP_RTCP_PT_RTPFB);
	p.b[at] |= 0x20;
	put32(&p, 1);
	put32(&p, 2);
	put32(&p, 4); /* three bytes of padding, then their count */
	finish(&p, at);
	assert_int_equal(walk(&p, &g, &why), -1);
	/* and one entry, then padding */
	memset(&p, 0, sizeof(p));
	at = start(&p, DP_RTCP_FMT_NACK, DP_RTCP_PT_RTPFB);
	p.b[at] |= 0x20;
	put32(&p, 1);
	put32(&p, 2);
	put16(&p, 10);
	put16(&p, 3);
	put32(&p, 4);
	finish(&p, at);
	assert_int_equal(walk(&p, &g, &why), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.it[0].u.nack.pid, 10);
}

static void
test_nack_seqs(void **state)
{
	uint16_t out[17];
	unsigned int n, i;

	(void)state;
	assert_int_equal(dp_rtcp_nack_seqs(500, 0, out), 1);
	assert_int_equal(out[0], 500);
	n = dp_rtcp_nack_seqs(65530, 0xffff, out);
	assert_int_equal(n, 17);
	for (i = 0; i < 17; i++)
		assert_int_equal(out[i], (uint16_t)(65530 + i));
	n = dp_rtcp_nack_seqs(7, 0x8001, out);
	assert_int_equal(n, 3);
	assert_int_equal(out[1], 8);
	assert_int_equal(out[2], 23);
}

/* Every prefix of a compound, in a buffer of exactly that size: no read past it. */
static void
test_every_truncation(void **state)
{
	struct pkt p = {.len = 0};
	enum cascade_drop why;
	struct got g;
	size_t at, cut;

	(void)state;
	at = start(&p, 1, DP_RTCP_PT_RR);
	put32(&p, 1);
	report_block(&p, 2, 3, 4);
	finish(&p, at);
	at = start(&p, DP_RTCP_FMT_NACK, DP_RTCP_PT_RTPFB);
	put32(&p, 1);
	put32(&p, 2);
	put32(&p, 0x00640003);
	finish(&p, at);
	at = start(&p, DP_RTCP_FMT_AFB, DP_RTCP_PT_PSFB);
	put32(&p, 1);
	put32(&p, 0);
	put32(&p, 0x52454d42);
	put32(&p, 1u << 24 | 1000);
	put32(&p, 3);
	finish(&p, at);
	for (cut = 0; cut <= p.len; cut++) {
		uint8_t *b = malloc(cut ? cut : 1);

		assert_non_null(b);
		memcpy(b, p.b, cut);
		memset(&g, 0, sizeof(g));
		(void)dp_rtcp_walk(b, (uint32_t)cut, collect, &g, &why);
		free(b);
	}
}

static void
test_fuzz_inputs(void **state)
{
	(void)state;
	fuzz_replay_target(CASCADE_FUZZ_DIR, "fuzz_rtcp", LLVMFuzzerTestOneInput);
}

/*
 * RFC 3550 6.4.1's round trip, A - LSR - DLSR, with A on this host's clock:
 * the time since the SR was sent less the receiver's hold (DLSR, 1/65536 s);
 * no round trip without an SR (LSR 0), for another SR than the one sent, for
 * a DLSR longer than the time since; LSRs near the wrap of the NTP middle;
 * long gaps on a fast TSC without overflow.
 */
static void
test_rtt(void **state)
{
	const uint64_t hz = 3000000000ull; /* a 3 GHz TSC */
	const uint64_t t0 = 1000 * hz;     /* the SR went at 1000 s */

	(void)state;
	/* the middle 32 bits of NTP 0xE1234567_89ABCDEF (what test_dp_rr sends) */
	assert_int_equal(dp_ntp_mid(0xE123456789ABCDEFull), 0x456789AB);
	/* 150 ms later, held 100 ms (6553.6 units: 6554 rounds to 100.006 ms): 49.994 ms */
	assert_int_equal(dp_rtcp_rtt_us(0x456789AB, t0, t0 + hz / 1000 * 150, hz, 0x456789AB, 6554),
			 150000 - 100006);
	/* held for 0: the whole gap */
	assert_int_equal(dp_rtcp_rtt_us(0x456789AB, t0, t0 + hz / 1000 * 20, hz, 0x456789AB, 0),
			 20000);
	/* exactly the hold: 0 */
	assert_int_equal(dp_rtcp_rtt_us(7, t0, t0 + hz / 2, hz, 7, 32768), 0);
	/* RFC 3550 6.4.1: LSR 0, no SR received yet */
	assert_int_equal(dp_rtcp_rtt_us(0x456789AB, t0, t0 + hz, hz, 0, 100), -1);
	/* an older SR than the last one sent, or none sent */
	assert_int_equal(dp_rtcp_rtt_us(0x456789AB, t0, t0 + hz, hz, 0x456789AA, 100), -1);
	assert_int_equal(dp_rtcp_rtt_us(0, 0, t0 + hz, hz, 0x456789AB, 100), -1);
	/* a receiver that says it held the SR longer than it has been gone */
	assert_int_equal(dp_rtcp_rtt_us(9, t0, t0 + hz / 10, hz, 9, 65536 / 5), -1);
	/* a report that arrived before the SR went (TSCs of two sockets): none */
	assert_int_equal(dp_rtcp_rtt_us(9, t0, t0 - 1, hz, 9, 0), -1);
	/* the NTP middle wraps every 65536 s: the last values before and the first after */
	assert_int_equal(dp_rtcp_rtt_us(0xFFFFFFFFu, t0, t0 + hz / 100, hz, 0xFFFFFFFFu, 0), 10000);
	assert_int_equal(dp_rtcp_rtt_us(1, t0, t0 + hz / 100, hz, 1, 0), 10000);
	assert_int_equal(dp_rtcp_rtt_us(0xFFFFFFFFu, t0, t0 + hz / 100, hz, 1, 0), -1);
	/* 30 days later at 3 GHz: 7.8e15 ticks, no overflow on the way to microseconds */
	assert_int_equal(dp_rtcp_rtt_us(5, t0, t0 + 30ull * 86400 * hz, hz, 5, 0xFFFFFFFFu),
			 30ll * 86400 * 1000000 - 0xFFFFFFFFll * 1000000 / 65536);
	/* the largest DLSR, 65536 s less one unit, against a gap just longer */
	assert_int_equal(dp_rtcp_rtt_us(5, t0, t0 + 65536 * hz, hz, 5, 0xFFFFFFFFu), 16);
	/* a TSC that is not a whole number of MHz */
	assert_int_equal(dp_rtcp_rtt_us(5, 1, 1 + 2494357 * 3, 2494357000ull, 5, 0), 3000);
}

int
main(void)
{
	/* One test per line. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sr_rr),
		cmocka_unit_test(test_pli_fir_nack),
		cmocka_unit_test(test_remb_twcc_and_skipped),
		cmocka_unit_test(test_remb_saturates),
		cmocka_unit_test(test_short_packets),
		cmocka_unit_test(test_nack_seqs),
		cmocka_unit_test(test_rtt),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_fuzz_inputs),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
