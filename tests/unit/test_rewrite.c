/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_rewrite: sequence/timestamp continuity across pauses,
 * source switches, reordering and 16-bit wrap; payload type and extension id
 * mapping; the header rewrite; and the RFC 1624 checksum update, checked
 * against a full recomputation of the UDP checksum (IPv4 and IPv6 pseudo
 * headers) after random changes to the fields the fan-out rewrites.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include <cascade/msg.h>

#include "dp_rewrite.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- Helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	/* xorshift64: deterministic, so a failure reproduces. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Map one packet of a 90 kHz stream. */
static int
map(struct dp_seq_state *st, uint16_t seq, uint32_t ts, uint64_t now, uint16_t *oseq, uint32_t *ots)
{
	return dp_seq_map(st, seq, ts, now, 90000, oseq, ots);
}

/* ---- Sequence and timestamp ---- */

static void
test_seq_first_packet(void **state)
{
	struct dp_seq_state st;
	uint16_t seq;
	uint32_t ts, i;

	(void)state;
	memset(&st, 0, sizeof(st));
	map(&st, 1000, 5000, 7 * SEC, &seq, &ts);
	assert_int_equal(seq, 1000);
	assert_int_equal(ts, 5000);
	assert_int_equal(st.started, 1);
	assert_int_equal(st.last_out_seq, 1000);
	assert_int_equal(st.last_out_ts, 5000);
	assert_int_equal(st.last_out_ns, 7 * SEC);
	for (i = 1; i < 10; i++) {
		map(&st, (uint16_t)(1000 + i), 5000 + 3000 * i, 7 * SEC + i * 33 * MS, &seq, &ts);
		assert_int_equal(seq, 1000 + i);
		assert_int_equal(ts, 5000 + 3000 * i);
	}

	/* A resync requested before any packet is just a first packet. */
	memset(&st, 0, sizeof(st));
	dp_seq_resync(&st);
	map(&st, 42, 4242, SEC, &seq, &ts);
	assert_int_equal(seq, 42);
	assert_int_equal(ts, 4242);
	assert_int_equal(st.need_resync, 0);
}

static void
test_seq_pause_resume(void **state)
{
	struct dp_seq_state st;
	uint16_t seq, in_seq = 20000;
	uint32_t ts, in_ts = 123456, i;
	uint64_t now = 100 * SEC;

	(void)state;
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 50; i++, in_seq++, in_ts += 3000, now += 33 * MS)
		map(&st, in_seq, in_ts, now, &seq, &ts);
	assert_int_equal(seq, 20049);
	assert_int_equal(ts, 123456 + 49 * 3000);

	/* Paused 2.5 s; the producer went on meanwhile. */
	dp_seq_resync(&st);
	in_seq += 75;
	in_ts += 75 * 3000;
	now += 2500 * MS - 33 * MS;
	map(&st, in_seq, in_ts, now, &seq, &ts);
	assert_int_equal(seq, 20050);
	assert_int_equal(ts, 123456 + 49 * 3000 + 225000); /* 2.5 s at 90 kHz */
	assert_int_equal(st.need_resync, 0);
	/* The following packets keep the new offsets. */
	map(&st, (uint16_t)(in_seq + 1), in_ts + 3000, now + 33 * MS, &seq, &ts);
	assert_int_equal(seq, 20051);
	assert_int_equal(ts, 123456 + 49 * 3000 + 225000 + 3000);
	/* A gap in the input stays a gap in the output (loss is not hidden). */
	map(&st, (uint16_t)(in_seq + 5), in_ts + 15000, now + 5 * 33 * MS, &seq, &ts);
	assert_int_equal(seq, 20055);
}

static void
test_seq_source_switch(void **state)
{
	struct dp_seq_state st;
	uint16_t seq;
	uint32_t ts;

	(void)state;
	memset(&st, 0, sizeof(st));
	map(&st, 100, 1000, SEC, &seq, &ts);
	map(&st, 101, 4000, SEC + 33 * MS, &seq, &ts);
	/* A new source with unrelated numbering, 100 ms later. */
	dp_seq_resync(&st);
	map(&st, 50000, 3000000000u, SEC + 133 * MS, &seq, &ts);
	assert_int_equal(seq, 102);
	assert_int_equal(ts, 4000 + 9000);
	map(&st, 50001, 3000003000u, SEC + 166 * MS, &seq, &ts);
	assert_int_equal(seq, 103);
	assert_int_equal(ts, 4000 + 9000 + 3000);
	/* Two resyncs before the next packet are one. */
	dp_seq_resync(&st);
	dp_seq_resync(&st);
	map(&st, 7, 7, SEC + 266 * MS, &seq, &ts);
	assert_int_equal(seq, 104);
	assert_int_equal(ts, 4000 + 9000 + 3000 + 9000);
}

static void
test_seq_wrap(void **state)
{
	struct dp_seq_state st;
	uint16_t seq, expect;
	uint32_t ts, i;

	(void)state;
	/* Input crosses 65535 -> 0 with a non-zero offset. */
	memset(&st, 0, sizeof(st));
	map(&st, 10, 0, SEC, &seq, &ts);
	dp_seq_resync(&st);
	map(&st, 65530, 0, 2 * SEC, &seq, &ts);
	assert_int_equal(seq, 11);
	for (i = 1; i < 12; i++) {
		map(&st, (uint16_t)(65530 + i), 0, 2 * SEC + i, &seq, &ts);
		assert_int_equal(seq, 11 + i);
	}
	assert_int_equal(st.last_out_seq, 22);

	/* Output crosses 65535 -> 0 while the input does not. */
	memset(&st, 0, sizeof(st));
	map(&st, 65533, 0, SEC, &seq, &ts);
	dp_seq_resync(&st);
	map(&st, 300, 0, 2 * SEC, &seq, &ts);
	assert_int_equal(seq, 65534);
	expect = 65534;
	for (i = 1; i < 6; i++) {
		map(&st, (uint16_t)(300 + i), 0, 2 * SEC + i, &seq, &ts);
		expect++;
		assert_int_equal(seq, expect);
	}
	assert_int_equal(st.last_out_seq, 3);

	/* A resync right at the wrap: last 65535, next 0. */
	memset(&st, 0, sizeof(st));
	map(&st, 65535, 0, SEC, &seq, &ts);
	dp_seq_resync(&st);
	map(&st, 1234, 0, 2 * SEC, &seq, &ts);
	assert_int_equal(seq, 0);
	assert_int_equal(st.last_out_seq, 0);

	/* Timestamps wrap at 2^32 the same way. */
	memset(&st, 0, sizeof(st));
	map(&st, 1, 4294967000u, SEC, &seq, &ts);
	map(&st, 2, 4294967000u + 3000, SEC + 33 * MS, &seq, &ts);
	assert_int_equal(ts, (uint32_t)(4294967000u + 3000));
	dp_seq_resync(&st);
	map(&st, 9, 5, SEC + 1033 * MS, &seq, &ts);
	assert_int_equal(ts, (uint32_t)(4294967000u + 3000 + 90000));
}

static void
test_seq_reorder(void **state)
{
	struct dp_seq_state st;
	uint16_t seq;
	uint32_t ts;

	(void)state;
	memset(&st, 0, sizeof(st));
	map(&st, 10, 1000, SEC, &seq, &ts);
	map(&st, 12, 7000, SEC + 66 * MS, &seq, &ts);
	/* 11 arrives late: mapped with the same offsets, but not the newest. */
	map(&st, 11, 4000, SEC + 70 * MS, &seq, &ts);
	assert_int_equal(seq, 11);
	assert_int_equal(ts, 4000);
	assert_int_equal(st.last_out_seq, 12);
	assert_int_equal(st.last_out_ts, 7000);
	assert_int_equal(st.last_out_ns, SEC + 66 * MS);
	/* A duplicate of the newest does not move it either. */
	map(&st, 12, 7000, SEC + 80 * MS, &seq, &ts);
	assert_int_equal(st.last_out_ns, SEC + 66 * MS);
	/* So a resync continues from 12, timed from 12's arrival. */
	dp_seq_resync(&st);
	map(&st, 900, 1, SEC + 166 * MS, &seq, &ts);
	assert_int_equal(seq, 13);
	assert_int_equal(ts, 7000 + 9000);

	/* Reordering across the wrap: 65535, 1, 0, 65534. */
	memset(&st, 0, sizeof(st));
	map(&st, 65535, 0, SEC, &seq, &ts);
	map(&st, 1, 6000, SEC + 1, &seq, &ts);
	map(&st, 0, 3000, SEC + 2, &seq, &ts);
	map(&st, 65534, 0, SEC + 3, &seq, &ts);
	assert_int_equal(seq, 65534);
	assert_int_equal(st.last_out_seq, 1);
	assert_int_equal(st.last_out_ts, 6000);
	/* A jump beyond RFC 3550's MAX_DROPOUT (3000) is a source restart: the
	 * output continues from the last packet sent, no gap, no jump. */
	map(&st, 1 + 5000, 9000, SEC + 4, &seq, &ts);
	assert_int_equal(seq, 2);
	assert_int_equal(st.last_out_seq, 2);
	/* The numbering then follows the new source. */
	map(&st, 5002, 12000, SEC + 5, &seq, &ts);
	assert_int_equal(seq, 3);
	/* A jump back beyond MAX_MISORDER (100) is a restart too. */
	map(&st, 4000, 15000, SEC + 6, &seq, &ts);
	assert_int_equal(seq, 4);
	/* A late packet from before that restart would reuse a number already
	 * sent (4 - 50): it is refused, and nothing moves. */
	assert_int_equal(map(&st, 3950, 0, SEC + 7, &seq, &ts), -1);
	assert_int_equal(st.last_out_seq, 4);
	/* Once the stream is past MAX_MISORDER beyond the restart, lateness is
	 * plain reordering again: mapped, not the newest. */
	assert_int_equal(map(&st, 4000 + 150, 16000, SEC + 7, &seq, &ts), 0);
	assert_int_equal(seq, 4 + 150);
	assert_int_equal(map(&st, 4000 + 140, 16000, SEC + 7, &seq, &ts), 0);
	assert_int_equal(seq, 4 + 140);
	assert_int_equal(st.last_out_seq, 4 + 150);
	/* Up to MAX_DROPOUT - 1 ahead is loss, not a restart: the gap shows. */
	map(&st, 4150 + 2999, 18000, SEC + 8, &seq, &ts);
	assert_int_equal(seq, 154 + 2999);
	assert_int_equal(st.last_out_seq, 154 + 2999);
}

static uint32_t
ref_ticks(uint64_t elapsed, uint32_t rate)
{
	return (uint32_t)((unsigned __int128)elapsed * rate / SEC);
}

static void
test_seq_resync_clock(void **state)
{
	static const struct {
		uint64_t elapsed;
		uint32_t rate;
	} cases[] = {
		{1, 90000},
		{11111, 90000}, /* less than a tick */
		{11112, 90000}, /* one tick and a bit */
		{SEC, 48000},
		{SEC + 1, 8000},
		{20 * MS, 48000},
		{100ull * 3600 * SEC, 90000}, /* 100 h: wraps the 32-bit timestamp */
		{UINT64_MAX / 2, 90000},
		{12345678901234ull, 4294967295u},
		{7 * SEC, 0}, /* a bogus rate still moves by one tick */
	};
	struct dp_seq_state st;
	uint16_t seq;
	uint32_t ts, i, expect;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&st, 0, sizeof(st));
		dp_seq_map(&st, 1, 1000, 5, cases[i].rate, &seq, &ts);
		dp_seq_resync(&st);
		dp_seq_map(&st, 77, 77, 5 + cases[i].elapsed, cases[i].rate, &seq, &ts);
		expect = ref_ticks(cases[i].elapsed, cases[i].rate);
		if (expect == 0)
			expect = 1;
		if (ts != (uint32_t)(1000 + expect))
			fail_msg("case %u: ts %u, expected %u", i, ts, 1000 + expect);
		assert_int_equal(seq, 2);
	}

	/* No time passed, or the clock went back: still one tick forward. */
	memset(&st, 0, sizeof(st));
	map(&st, 1, 1000, 10 * SEC, &seq, &ts);
	dp_seq_resync(&st);
	map(&st, 50, 50, 10 * SEC, &seq, &ts);
	assert_int_equal(ts, 1001);
	dp_seq_resync(&st);
	map(&st, 60, 60, 9 * SEC, &seq, &ts);
	assert_int_equal(ts, 1002);
	assert_int_equal(seq, 3);
}

/* ---- Payload types ---- */

/*
 * Which output numbers a NACK may name for a retransmission: those sent under
 * the offsets in force, not newer than the last sent, not from before a
 * re-base; after half the sequence space under one offset, all behind.
 */
static void
test_seq_sent(void **state)
{
	struct dp_seq_state st;
	uint16_t seq;
	uint32_t ts, i;
	uint64_t now = SEC;

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_false(dp_seq_sent(&st, 0)); /* nothing sent */
	for (i = 0; i < 10; i++, now += MS)
		map(&st, (uint16_t)(65530 + i), 3000 * i, now, &seq, &ts);
	assert_int_equal(seq, 3); /* across the wrap */
	assert_true(dp_seq_sent(&st, 65530));
	assert_true(dp_seq_sent(&st, 0));
	assert_true(dp_seq_sent(&st, 3));
	assert_false(dp_seq_sent(&st, 4));     /* not sent yet */
	assert_false(dp_seq_sent(&st, 65529)); /* before the first packet */

	/* a resume: nothing goes again until the new offsets are set, then only theirs */
	dp_seq_resync(&st);
	assert_false(dp_seq_sent(&st, 3));
	map(&st, 5000, 900000, now + SEC, &seq, &ts);
	assert_int_equal(seq, 4);
	map(&st, 5001, 903000, now + SEC + MS, &seq, &ts);
	assert_true(dp_seq_sent(&st, 4));
	assert_true(dp_seq_sent(&st, 5));
	assert_false(dp_seq_sent(&st, 3));

	/* 40,000 packets later the re-base is far behind: every number behind is the offsets' */
	for (i = 0; i < 40000; i++)
		map(&st, (uint16_t)(5002 + i), 906000 + 3000 * i, now + 2 * SEC, &seq, &ts);
	assert_int_equal(st.map_long, 1);
	assert_true(dp_seq_sent(&st, (uint16_t)(seq - 30000)));
	assert_false(dp_seq_sent(&st, (uint16_t)(seq + 1)));
}

static void
test_pt_map(void **state)
{
	struct cascade_cmd_consumer c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(dp_pt_map(&c, 96), 96);
	assert_int_equal(dp_pt_map(&c, 0), 0);
	c.n_pt_map = 2;
	c.pt_map[0] = (struct cascade_pt_map){.in_pt = 96, .out_pt = 100};
	c.pt_map[1] = (struct cascade_pt_map){.in_pt = 111, .out_pt = 109};
	c.pt_map[2] = (struct cascade_pt_map){.in_pt = 97, .out_pt = 98}; /* beyond n */
	assert_int_equal(dp_pt_map(&c, 96), 100);
	assert_int_equal(dp_pt_map(&c, 111), 109);
	assert_int_equal(dp_pt_map(&c, 97), -1);
	assert_int_equal(dp_pt_map(&c, 100), -1);
	assert_int_equal(dp_pt_map(&c, 0), -1);
	/* A full table, and a count past it that must not read beyond. */
	c.n_pt_map = CASCADE_MAX_PT_MAP;
	c.pt_map[CASCADE_MAX_PT_MAP - 1] = (struct cascade_pt_map){.in_pt = 35, .out_pt = 36};
	assert_int_equal(dp_pt_map(&c, 35), 36);
	c.n_pt_map = 200;
	assert_int_equal(dp_pt_map(&c, 35), 36);
	assert_int_equal(dp_pt_map(&c, 34), -1);
}

/* ---- Header rewrite ---- */

/* An RTP header with cc CSRCs and an extension block ext[0..ext_len). */
static uint16_t
build_hdr(uint8_t *b, uint8_t marker, uint8_t cc, uint16_t profile, const uint8_t *ext,
	  uint16_t ext_len)
{
	uint16_t off = 12, i;

	b[0] = (uint8_t)(0x80 | (ext ? 0x10 : 0) | cc);
	b[1] = (uint8_t)(marker << 7 | 96);
	put16(b + 2, 1111);
	put32(b + 4, 22222222);
	put32(b + 8, 0x33333333);
	for (i = 0; i < cc; i++, off += 4)
		put32(b + off, 0xc5c5c500u + i);
	if (ext) {
		put16(b + off, profile);
		put16(b + off + 2, (uint16_t)(ext_len / 4));
		memcpy(b + off + 4, ext, ext_len);
		off = (uint16_t)(off + 4 + ext_len);
	}
	return off;
}

static void
test_rewrite_fixed(void **state)
{
	uint8_t b[64], m;
	uint16_t n;

	(void)state;
	for (m = 0; m < 2; m++) {
		n = build_hdr(b, m, 2, 0, NULL, 0);
		assert_int_equal(dp_rtp_rewrite(b, n, 100, 65535, 0xfffffffe, 0xabcdef01, NULL), 0);
		assert_int_equal(b[0], 0x82);
		assert_int_equal(b[1], m << 7 | 100);
		assert_int_equal(get16(b + 2), 65535);
		assert_int_equal(get32(b + 4), 0xfffffffe);
		assert_int_equal(get32(b + 8), 0xabcdef01);
		assert_int_equal(get32(b + 12), 0xc5c5c500); /* CSRCs untouched */
		/* A PT with the top bit set cannot clear or set the marker. */
		assert_int_equal(dp_rtp_rewrite(b, n, 0xff, 1, 2, 3, NULL), 0);
		assert_int_equal(b[1], m << 7 | 0x7f);
	}
	/* Too short to be a header: nothing written. */
	n = build_hdr(b, 0, 0, 0, NULL, 0);
	assert_int_equal(dp_rtp_rewrite(b, 11, 100, 1, 2, 3, NULL), -1);
	assert_int_equal(b[1], 96);
	assert_int_equal(get16(b + 2), 1111);
}

static void
test_rewrite_ext_one_byte(void **state)
{
	/*
	 * RFC 8285 4.2 elements: id 1 (1 byte), a padding byte, id 3 (2 bytes),
	 * id 2 (3 bytes), two padding bytes, id 15 (stop), then bytes that look
	 * like elements but must not be touched.
	 */
	/* One element per line. */
	/* clang-format off */
	static const uint8_t ext[16] = {
		0x10, 0xaa,
		0x00,
		0x31, 0xbb, 0xcc,
		0x22, 0x01, 0x02, 0x03,
		0x00, 0x00,
		0xf0,
		0x10, 0x20, 0x30,
	};
	/* clang-format on */
	uint8_t b[64], ref[64], ext_map[CASCADE_MAX_EXT_ID + 2] = {0};
	uint16_t n;

	(void)state;
	ext_map[1] = 5;
	ext_map[2] = 14;
	ext_map[3] = 7;
	ext_map[4] = 9; /* not present */
	n = build_hdr(b, 1, 1, 0xbede, ext, sizeof(ext));
	memcpy(ref, b, n);
	assert_int_equal(dp_rtp_rewrite(b, n, 97, 2, 3, 4, ext_map), 0);
	ref[1] = 0x80 | 97;
	put16(ref + 2, 2);
	put32(ref + 4, 3);
	put32(ref + 8, 4);
	ref[20] = 0x50;
	ref[23] = 0x71;
	ref[26] = 0xe2;
	assert_memory_equal(b, ref, n);

	/* 0 keeps an id; values past 15 keep it too (15 blanks: test_rewrite_twcc). */
	memset(ext_map, 0, sizeof(ext_map));
	ext_map[1] = 16;
	ext_map[3] = 0x17;
	n = build_hdr(b, 0, 1, 0xbede, ext, sizeof(ext));
	memcpy(ref, b, n);
	assert_int_equal(dp_rtp_rewrite(b, n, 96, 1111, 22222222, 0x33333333, ext_map), 0);
	assert_memory_equal(b, ref, n);

	/* ID 0 with a non-zero len nibble is still one padding byte. */
	ext_map[1] = 6;
	n = build_hdr(b, 0, 0, 0xbede, (const uint8_t *)"\x05\x10\xaa\x00", 4);
	assert_int_equal(dp_rtp_rewrite(b, n, 96, 1, 2, 3, ext_map), 0);
	assert_memory_equal(b + 16, "\x05\x60\xaa\x00", 4);

	/* No map: ids stay, the fixed fields still change. */
	n = build_hdr(b, 0, 0, 0xbede, ext, sizeof(ext));
	memcpy(ref, b, n);
	assert_int_equal(dp_rtp_rewrite(b, n, 96, 1, 22222222, 0x33333333, NULL), 0);
	assert_memory_equal(b + 16, ref + 16, n - 16);
	assert_int_equal(get16(b + 2), 1);
}

static void
test_rewrite_ext_other_profiles(void **state)
{
	static const uint8_t ext[8] = {0x01, 0x02, 0x12, 0x34, 0x10, 0xaa, 0x00, 0x00};
	static const uint16_t profiles[] = {0x1000, 0x1001, 0x100f, 0xabcd, 0xbedf, 0x0000};
	uint8_t b[64], ref[64], ext_map[CASCADE_MAX_EXT_ID + 2];
	uint16_t n;
	uint32_t i;

	(void)state;
	for (i = 0; i < sizeof(ext_map); i++)
		ext_map[i] = (uint8_t)(14 - i % 14);
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		n = build_hdr(b, 0, 0, profiles[i], ext, sizeof(ext));
		memcpy(ref, b, n);
		assert_int_equal(dp_rtp_rewrite(b, n, 96, 5, 6, 7, ext_map), 0);
		/* The two-byte form (RFC 8285 4.3) and other profiles are opaque. */
		assert_memory_equal(b + 12, ref + 12, n - 12);
		assert_int_equal(get16(b + 2), 5);
	}
}

static void
test_rewrite_ext_malformed(void **state)
{
	/* id 1 claims 4 data bytes; only 3 remain in the block. */
	static const uint8_t bad[4] = {0x13, 0x01, 0x02, 0x03};
	/* Padding then an element whose data runs past the block... */
	static const uint8_t bad2[8] = {0x00, 0x00, 0x10, 0x01, 0x25, 1, 2, 3};
	/* ...and the same with an element that ends exactly at the block's end. */
	static const uint8_t good2[8] = {0x00, 0x00, 0x10, 0x01, 0x22, 1, 2, 3};
	uint8_t b[64], ref[64], ext_map[CASCADE_MAX_EXT_ID + 2] = {0, 2, 3};
	uint16_t n;

	(void)state;
	n = build_hdr(b, 1, 0, 0xbede, bad, sizeof(bad));
	memcpy(ref, b, n);
	assert_int_equal(dp_rtp_rewrite(b, n, 100, 9, 9, 9, ext_map), -1);
	assert_memory_equal(b, ref, n);
	n = build_hdr(b, 1, 2, 0xbede, bad2, sizeof(bad2));
	memcpy(ref, b, n);
	assert_int_equal(dp_rtp_rewrite(b, n, 100, 9, 9, 9, ext_map), -1);
	assert_memory_equal(b, ref, n);
	n = build_hdr(b, 1, 2, 0xbede, good2, sizeof(good2));
	assert_int_equal(dp_rtp_rewrite(b, n, 100, 9, 9, 9, ext_map), 0);
	assert_int_equal(b[12 + 8 + 4 + 2], 0x20);
	assert_int_equal(b[12 + 8 + 4 + 4], 0x32);

	/* hdr_len that disagrees with the header: nothing written. */
	n = build_hdr(b, 0, 1, 0xbede, good2, sizeof(good2));
	memcpy(ref, b, n);
	assert_int_equal(dp_rtp_rewrite(b, (uint16_t)(n - 4), 100, 9, 9, 9, ext_map), -1);
	assert_int_equal(dp_rtp_rewrite(b, (uint16_t)(n + 4), 100, 9, 9, 9, ext_map), -1);
	assert_int_equal(dp_rtp_rewrite(b, 16, 100, 9, 9, 9, ext_map), -1);
	assert_int_equal(dp_rtp_rewrite(b, 19, 100, 9, 9, 9, ext_map), -1);
	assert_memory_equal(b, ref, n);
}

/* ---- Checksum ---- */

/* A UDP datagram in IPv4 or IPv6 carrying RTP, and where its parts are. */
struct cpkt {
	uint8_t b[512];
	uint32_t len;
	uint32_t udp_off, rtp_off;
	uint16_t rtp_hdr_len;
	bool v6;
};

static uint32_t
sum_words(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* One's complement sum of the pseudo-header and datagram, checksum field as is. */
static uint16_t
udp_sum(const struct cpkt *k)
{
	uint32_t ulen = k->len - k->udp_off;
	uint32_t sum;

	/* RFC 768 (IPv4) and RFC 8200 section 8.1 (IPv6) pseudo-headers. */
	sum = k->v6 ? sum_words(k->b + 8, 32, 0) : sum_words(k->b + 12, 8, 0);
	sum += 17 + ulen;
	return fold(sum_words(k->b + k->udp_off, ulen, sum));
}

/* The checksum computed from scratch, RFC 768's zero rule applied. */
static uint16_t
udp_cksum_full(struct cpkt *k)
{
	uint8_t saved[2];
	uint16_t c;

	memcpy(saved, k->b + k->udp_off + 6, 2);
	memset(k->b + k->udp_off + 6, 0, 2);
	c = (uint16_t)~udp_sum(k);
	memcpy(k->b + k->udp_off + 6, saved, 2);
	return c == 0 ? 0xffff : c;
}

static void
build_cpkt(struct cpkt *k, bool v6, uint32_t payload_len)
{
	static const uint8_t ext[8] = {0x10, 0xaa, 0x21, 0xbb, 0xcc, 0x00, 0x00, 0x00};
	uint32_t i;
	uint8_t *udp;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < sizeof(k->b); i++)
		k->b[i] = (uint8_t)rng();
	k->v6 = v6;
	k->udp_off = v6 ? 40 : 20;
	k->rtp_off = k->udp_off + 8;
	k->rtp_hdr_len = build_hdr(k->b + k->rtp_off, (uint8_t)(rng() & 1), (uint8_t)(rng() % 3),
				   0xbede, ext, sizeof(ext));
	k->len = k->rtp_off + k->rtp_hdr_len + payload_len;
	if (v6) {
		put32(k->b, 0x60000000);
		put16(k->b + 4, (uint16_t)(k->len - 40));
		k->b[6] = 17;
	} else {
		k->b[0] = 0x45;
		put16(k->b + 2, (uint16_t)k->len);
		k->b[9] = 17;
	}
	udp = k->b + k->udp_off;
	put16(udp + 4, (uint16_t)(k->len - k->udp_off));
	put16(udp + 6, udp_cksum_full(k));
}

/* A field the fan-out rewrites: offset and length (even, 16-bit aligned). */
struct field {
	uint32_t off, len;
};

static uint32_t
fields_of(const struct cpkt *k, struct field *f)
{
	uint32_t n = 0, r = k->rtp_off;

	if (k->v6) {
		f[n++] = (struct field){8, 16};  /* source address */
		f[n++] = (struct field){24, 16}; /* destination address */
		f[n++] = (struct field){8, 2};   /* one word of it */
	} else {
		f[n++] = (struct field){12, 4};
		f[n++] = (struct field){16, 4};
		f[n++] = (struct field){14, 2};
	}
	f[n++] = (struct field){k->udp_off, 2};             /* source port */
	f[n++] = (struct field){k->udp_off + 2, 2};         /* destination port */
	f[n++] = (struct field){r, 2};                      /* V/P/X/CC, M/PT */
	f[n++] = (struct field){r + 2, 2};                  /* sequence */
	f[n++] = (struct field){r + 4, 4};                  /* timestamp */
	f[n++] = (struct field){r + 8, 4};                  /* SSRC */
	f[n++] = (struct field){r + 2, 10};                 /* all three at once */
	f[n++] = (struct field){r + k->rtp_hdr_len - 8, 8}; /* extension data */
	f[n++] = (struct field){r + k->rtp_hdr_len - 8, 1}; /* an odd tail */
	return n;
}

static void
check_cksum_random(bool v6)
{
	struct field f[16];
	struct cpkt k;
	uint8_t old[16], *p;
	uint16_t c;
	uint32_t trial, step, nf, i, which;

	for (trial = 0; trial < 200; trial++) {
		build_cpkt(&k, v6, (uint32_t)(rng() % 300));
		nf = fields_of(&k, f);
		/* Chain many updates on one packet: any error would accumulate. */
		for (step = 0; step < 50; step++) {
			which = (uint32_t)(rng() % nf);
			p = k.b + f[which].off;
			memcpy(old, p, f[which].len);
			for (i = 0; i < f[which].len; i++)
				p[i] = (uint8_t)rng();
			/* Sometimes write extreme words: 0x0000 and 0xffff. */
			if ((rng() & 7) == 0)
				memset(p, (rng() & 1) ? 0xff : 0x00, f[which].len);
			c = get16(k.b + k.udp_off + 6);
			c = dp_cksum_update(c, old, p, f[which].len);
			put16(k.b + k.udp_off + 6, c);
			if (c != udp_cksum_full(&k))
				fail_msg("v6 %d trial %u step %u field %u: %04x, expected %04x", v6,
					 trial, step, which, c, udp_cksum_full(&k));
			/* And the receiver's check: everything sums to -0. */
			assert_int_equal(udp_sum(&k), 0xffff);
		}
	}
}

static void
test_cksum_random_ipv4(void **state)
{
	(void)state;
	check_cksum_random(false);
}

static void
test_cksum_random_ipv6(void **state)
{
	(void)state;
	check_cksum_random(true);
}

/* The fan-out's real use: rewrite a header copy, update over the whole header. */
static void
test_cksum_after_rewrite(void **state)
{
	uint8_t ext_map[CASCADE_MAX_EXT_ID + 2] = {0, 4, 6};
	uint8_t old[64];
	struct cpkt k;
	uint16_t c;
	uint32_t trial;
	uint8_t *rtp;

	(void)state;
	for (trial = 0; trial < 500; trial++) {
		build_cpkt(&k, trial & 1, (uint32_t)(rng() % 200));
		rtp = k.b + k.rtp_off;
		memcpy(old, rtp, k.rtp_hdr_len);
		assert_int_equal(dp_rtp_rewrite(rtp, k.rtp_hdr_len, (uint8_t)rng(), (uint16_t)rng(),
						(uint32_t)rng(), (uint32_t)rng(), ext_map),
				 0);
		assert_int_equal(rtp[k.rtp_hdr_len - 8] >> 4, 4); /* id 1 -> 4 */
		c = get16(k.b + k.udp_off + 6);
		c = dp_cksum_update(c, old, rtp, k.rtp_hdr_len);
		put16(k.b + k.udp_off + 6, c);
		assert_int_equal(c, udp_cksum_full(&k));
	}
}

static void
test_cksum_edges(void **state)
{
	uint8_t a[4] = {0x12, 0x34, 0x56, 0x78}, b[4] = {0xff, 0xff, 0x00, 0x00};
	struct cpkt k;
	uint16_t c, s, w_new;
	uint32_t off;

	(void)state;
	/* RFC 768: no checksum (IPv4) stays none. */
	assert_int_equal(dp_cksum_update(0, a, b, 4), 0);
	/* No change, no change: for every non-zero value (0xffff is -0). */
	for (c = 1; c != 0; c++)
		if (dp_cksum_update(c, a, a, 4) != c)
			fail_msg("identity update changed %04x", c);
	/* Empty update. */
	assert_int_equal(dp_cksum_update(0x1234, a, b, 0), 0x1234);

	/* Steer a payload word so the new sum is exactly -0: checksum 0 -> 0xffff. */
	build_cpkt(&k, false, 40);
	off = k.rtp_off + k.rtp_hdr_len + 10;
	put16(k.b + off, 0);
	memset(k.b + k.udp_off + 6, 0, 2);
	s = udp_sum(&k); /* the data's sum, checksum field zero */
	put16(k.b + k.udp_off + 6, udp_cksum_full(&k));
	w_new = (uint16_t)(0xffff - s);
	put16(a, 0);
	put16(b, w_new);
	put16(k.b + off, w_new);
	c = dp_cksum_update(get16(k.b + k.udp_off + 6), a, b, 2);
	assert_int_equal(c, 0xffff);
	assert_int_equal(udp_cksum_full(&k), 0xffff);
	put16(k.b + k.udp_off + 6, c);
	/* And from 0xffff onwards the updates stay exact. */
	put16(a, w_new);
	put16(b, 0x1234);
	put16(k.b + off, 0x1234);
	c = dp_cksum_update(c, a, b, 2);
	assert_int_equal(c, udp_cksum_full(&k));
}

int
main(void)
{
	/* One test per line. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_first_packet),
		cmocka_unit_test(test_seq_pause_resume),
		cmocka_unit_test(test_seq_source_switch),
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_seq_reorder),
		cmocka_unit_test(test_seq_resync_clock),
		cmocka_unit_test(test_seq_sent),
		cmocka_unit_test(test_pt_map),
		cmocka_unit_test(test_rewrite_fixed),
		cmocka_unit_test(test_rewrite_ext_one_byte),
		cmocka_unit_test(test_rewrite_ext_other_profiles),
		cmocka_unit_test(test_rewrite_ext_malformed),
		cmocka_unit_test(test_cksum_random_ipv4),
		cmocka_unit_test(test_cksum_random_ipv6),
		cmocka_unit_test(test_cksum_after_rewrite),
		cmocka_unit_test(test_cksum_edges),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
