/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_parse's RTP and RTCP parsers and the whole path from a
 * frame to a classified packet (test_parse_l4.c has the layers below). Packets
 * come from parse_build.c and are cut at every length into heap buffers of
 * exactly that size, for ASan to guard. The last test replays the fuzzer's
 * corpus and regression inputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cascade/counters.h>
#include <cascade/msg.h>

#include "dp_parse.h"
#include "frame.h"
#include "fuzz_replay.h"
#include "parse_build.h"

/* The fuzz target, linked in to replay its corpus (tests/fuzz/fuzz_parse.c). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- RTP ---- */

static void
test_rtp_fields(void **state)
{
	uint8_t b[BUF_SIZE];
	struct rtp_layout lay;
	struct dp_rtp rtp;
	enum cascade_drop why;
	uint32_t n;

	(void)state;
	n = rtp_plain(b, &lay);
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), 0);
	assert_int_equal(rtp.hdr_len, 12);
	assert_int_equal(rtp.payload_len, 160);
	assert_int_equal(rtp.pad_len, 0);
	assert_int_equal(rtp.pt, 111);
	assert_int_equal(rtp.marker, 0);
	assert_int_equal(rtp.csrc_count, 0);
	assert_int_equal(rtp.seq, 4660);
	assert_int_equal(rtp.ts, 0xdeadbeef);
	assert_int_equal(rtp.ssrc, 0x11223344);
	assert_int_equal(rtp.ext_off, 0);
	assert_int_equal(rtp.ext_len, 0);

	n = rtp_full(b, &lay);
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), 0);
	assert_int_equal(rtp.hdr_len, 12 + 12 + 4 + 8);
	assert_int_equal(rtp.payload_len, 37);
	assert_int_equal(rtp.pad_len, 3);
	assert_int_equal(rtp.pt, 96);
	assert_int_equal(rtp.marker, 1);
	assert_int_equal(rtp.csrc_count, 3);
	assert_int_equal(rtp.seq, 65535);
	assert_int_equal(rtp.ts, 90000);
	assert_int_equal(rtp.ssrc, 0xcafebabe);
	assert_int_equal(rtp.ext_off, 24);
	assert_int_equal(rtp.ext_len, 8);
	assert_int_equal(rtp.ext_profile, 0xbede);
	assert_int_equal(rtp.hdr_len + rtp.payload_len + rtp.pad_len, n);

	n = rtp_empty_ext(b, &lay);
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), 0);
	assert_int_equal(rtp.hdr_len, 12 + 4 + 4);
	assert_int_equal(rtp.ext_off, 16);
	assert_int_equal(rtp.ext_len, 0);
	assert_int_equal(rtp.ext_profile, 0x1000);
	assert_int_equal(rtp.payload_len, 5);

	/* A header and nothing else is a valid (empty) packet. */
	assert_int_equal(dp_parse_rtp(b, 12 + 4 + 4, &rtp, &why), 0);
	assert_int_equal(rtp.payload_len, 0);
}

/* What dp_parse_rtp() must answer for a packet cut at n bytes. */
static int
rtp_cut_expect(const struct rtp_layout *lay, const uint8_t *p, uint32_t n, enum cascade_drop *why)
{
	if (n < 12)
		*why = CASCADE_DROP_RTP_TRUNC;
	else if (n < lay->csrc_end)
		*why = CASCADE_DROP_RTP_CSRC;
	else if (n < lay->ext_end)
		*why = CASCADE_DROP_RTP_EXT;
	else if (lay->pad && (p[n - 1] == 0 || p[n - 1] > n - lay->ext_end))
		*why = CASCADE_DROP_RTP_PADDING;
	else
		return 0;
	return -1;
}

static void
check_rtp_cuts(const uint8_t *p, const struct rtp_layout *lay)
{
	struct dp_rtp rtp;
	enum cascade_drop why, expect;
	uint32_t n;
	uint8_t *c;
	int rc;

	for (n = 0; n < lay->len; n++) {
		c = exact_copy(p, n);
		why = CASCADE_DROP_MAX;
		rc = dp_parse_rtp(c, n, &rtp, &why);
		if (rtp_cut_expect(lay, p, n, &expect) == 0) {
			if (rc != 0)
				fail_msg("cut at %u of %u refused (%d)", n, lay->len, why);
			assert_int_equal(rtp.hdr_len + rtp.payload_len + rtp.pad_len, n);
		} else if (rc != -1 || why != expect) {
			fail_msg("cut at %u of %u: rc %d reason %d, expected %d", n, lay->len, rc,
				 why, expect);
		}
		/* A padded packet cut anywhere has no valid count at its end. */
		if (lay->pad)
			assert_int_equal(rc, -1);
		free(c);
	}
}

/* RFC 8285 elements found by id in both forms; padding skipped; malformed blocks refused. */
static void
test_rtp_ext_find(void **state)
{
	/* one-byte: id 1 len 1, padding, id 3 len 2 (a transport-wide number), 15 stops */
	uint8_t one[] = {0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xbe, 0xde, 0, 2,
			 0x10, 0xaa, 0x00, 0x31, 0x12, 0x34, 0xf0, 0x52};
	/* two-byte: id 3 len 2, id 200 len 0, id 7 len 1 */
	uint8_t two[] = {0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0x10, 0x00, 0, 2,
			 3, 2, 0xab, 0xcd, 200, 0, 7, 1};
	enum cascade_drop why;
	struct dp_rtp rtp;
	const uint8_t *e;
	uint8_t len;

	(void)state;
	assert_int_equal(dp_parse_rtp(one, sizeof(one), &rtp, &why), 0);
	e = dp_rtp_ext_find(one, &rtp, 3, &len);
	assert_non_null(e);
	assert_int_equal(len, 2);
	assert_int_equal(e[0] << 8 | e[1], 0x1234);
	e = dp_rtp_ext_find(one, &rtp, 1, &len);
	assert_non_null(e);
	assert_int_equal(len, 1);
	assert_int_equal(e[0], 0xaa);
	assert_null(dp_rtp_ext_find(one, &rtp, 5, &len)); /* after the stop id 15 */
	assert_null(dp_rtp_ext_find(one, &rtp, 0, &len));
	assert_int_equal(dp_parse_rtp(two, sizeof(two), &rtp, &why), 0);
	e = dp_rtp_ext_find(two, &rtp, 3, &len);
	assert_non_null(e);
	assert_int_equal(len, 2);
	assert_int_equal(e[0] << 8 | e[1], 0xabcd);
	assert_null(dp_rtp_ext_find(two, &rtp, 7, &len)); /* its 1 byte is past the block */
	e = dp_rtp_ext_find(two, &rtp, 200, &len);
	assert_non_null(e);
	assert_int_equal(len, 0);
	/* another profile: opaque */
	two[12] = 0x12;
	assert_int_equal(dp_parse_rtp(two, sizeof(two), &rtp, &why), 0);
	assert_null(dp_rtp_ext_find(two, &rtp, 3, &len));
}

static void
test_rtp_truncations(void **state)
{
	uint8_t b[BUF_SIZE];
	struct rtp_layout lay;

	(void)state;
	rtp_plain(b, &lay);
	check_rtp_cuts(b, &lay);
	rtp_full(b, &lay);
	check_rtp_cuts(b, &lay);
	rtp_padded(b, &lay);
	check_rtp_cuts(b, &lay);
	rtp_empty_ext(b, &lay);
	check_rtp_cuts(b, &lay);
}

static void
test_rtp_version(void **state)
{
	uint8_t b[BUF_SIZE];
	struct rtp_layout lay;
	struct dp_rtp rtp;
	enum cascade_drop why;
	uint32_t n = rtp_full(b, &lay);
	uint8_t v;

	(void)state;
	for (v = 0; v < 4; v++) {
		if (v == 2)
			continue;
		b[0] = (uint8_t)((b[0] & 0x3f) | v << 6);
		assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), -1);
		assert_int_equal(why, CASCADE_DROP_RTP_VERSION);
	}
}

static void
test_rtp_lengths_past_end(void **state)
{
	struct rtp_opts o = {.version = 2, .pt = 96, .seq = 1, .ts = 1, .ssrc = 1};
	uint8_t b[BUF_SIZE];
	struct rtp_layout lay;
	struct dp_rtp rtp;
	enum cascade_drop why;
	uint32_t n;

	(void)state;
	/* CC 15 needs 72 bytes. */
	o.cc = 15;
	n = build_rtp(b, &o, &lay);
	assert_int_equal(n, 72);
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), 0);
	assert_int_equal(dp_parse_rtp(b, 71, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_CSRC);
	/* 12 bytes claiming CSRCs. */
	b[0] = 0x81;
	assert_int_equal(dp_parse_rtp(b, 12, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_CSRC);

	/* X set, the extension header missing or partial. */
	o.cc = 2;
	o.ext = true;
	o.ext_profile = 0xbede;
	o.ext_words = 1;
	n = build_rtp(b, &o, &lay);
	assert_int_equal(dp_parse_rtp(b, 20, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_EXT);
	assert_int_equal(dp_parse_rtp(b, 23, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_EXT);
	/* The length word says more than there is. */
	frame_wr16(b + 22, 2);
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_EXT);
	frame_wr16(b + 22, 0xffff);
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_EXT);
	frame_wr16(b + 22, 1);
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), 0);
	assert_int_equal(rtp.hdr_len, n);
}

static void
test_rtp_padding(void **state)
{
	struct rtp_opts o = {
		.version = 2, .pt = 96, .seq = 1, .ts = 1, .ssrc = 1, .payload_len = 10, .pad = 4};
	uint8_t b[BUF_SIZE];
	struct rtp_layout lay;
	struct dp_rtp rtp;
	enum cascade_drop why;
	uint32_t n = build_rtp(b, &o, &lay);

	(void)state;
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), 0);
	assert_int_equal(rtp.pad_len, 4);
	assert_int_equal(rtp.payload_len, 10);
	/* A zero count. */
	b[n - 1] = 0;
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_PADDING);
	/* All of the payload is padding: allowed. */
	b[n - 1] = 14;
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), 0);
	assert_int_equal(rtp.payload_len, 0);
	assert_int_equal(rtp.pad_len, 14);
	/* One more would reach into the header. */
	b[n - 1] = 15;
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_PADDING);
	b[n - 1] = 255;
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_PADDING);
	/* P set on a bare header: the count would be the last SSRC byte. */
	b[11] = 1;
	assert_int_equal(dp_parse_rtp(b, 12, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_PADDING);
	/* Padding past a CSRC list and extension. */
	o.cc = 1;
	o.ext = true;
	o.ext_profile = 0xbede;
	o.ext_words = 1;
	o.payload_len = 0;
	o.pad = 4;
	n = build_rtp(b, &o, &lay);
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), 0);
	assert_int_equal(rtp.hdr_len, 24);
	assert_int_equal(rtp.payload_len, 0);
	b[n - 1] = 5;
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_PADDING);
}

static void
test_rtp_too_long(void **state)
{
	struct rtp_opts o = {.version = 2,
			     .pt = 96,
			     .seq = 1,
			     .ts = 1,
			     .ssrc = 1,
			     .ext = true,
			     .ext_profile = 0xbede};
	struct rtp_layout lay;
	struct dp_rtp rtp;
	enum cascade_drop why;
	uint8_t *b = calloc(1, 70000);

	(void)state;
	assert_non_null(b);
	build_rtp(b, &o, &lay);
	/* The largest extension that fits a UDP payload. */
	frame_wr16(b + 14, (65535 - 16) / 4);
	assert_int_equal(dp_parse_rtp(b, 65535, &rtp, &why), 0);
	assert_int_equal(rtp.hdr_len, 16 + (65535 - 16) / 4 * 4);
	assert_int_equal(rtp.ext_len, (65535 - 16) / 4 * 4);
	assert_int_equal(rtp.payload_len, 65535 - rtp.hdr_len);
	/* No UDP payload is longer; the uint16_t fields could not say so either. */
	assert_int_equal(dp_parse_rtp(b, 65536, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_TRUNC);
	frame_wr16(b + 14, 0xffff);
	assert_int_equal(dp_parse_rtp(b, 65535, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_EXT);
	free(b);
}

/* ---- RTCP ---- */

static void
assert_rtcp(const uint8_t *p, uint32_t len, bool reduced, int rc, enum cascade_drop expect)
{
	struct dp_rtcp rtcp;
	enum cascade_drop why = CASCADE_DROP_MAX;
	uint8_t *c = exact_copy(p, len);

	assert_int_equal(dp_parse_rtcp(c, len, reduced, &rtcp, &why), rc);
	if (rc != 0)
		assert_int_equal(why, expect);
	free(c);
}

static void
test_rtcp_valid(void **state)
{
	uint8_t b[BUF_SIZE];
	struct dp_rtcp rtcp;
	enum cascade_drop why;
	uint32_t n;
	int reduced;

	(void)state;
	for (reduced = 0; reduced < 2; reduced++) {
		n = put_sr(b, 0xa1a2a3a4, 0);
		assert_int_equal(dp_parse_rtcp(b, n, reduced, &rtcp, &why), 0);
		assert_int_equal(rtcp.ssrc, 0xa1a2a3a4);
		assert_int_equal(rtcp.first_pt, 200);
		assert_int_equal(rtcp.n_packets, 1);

		n = put_rr(b, 0x01020304, 0);
		assert_int_equal(dp_parse_rtcp(b, n, reduced, &rtcp, &why), 0);
		assert_int_equal(rtcp.ssrc, 0x01020304);
		assert_int_equal(rtcp.first_pt, 201);

		n = rtcp_sr_sdes(b);
		assert_int_equal(dp_parse_rtcp(b, n, reduced, &rtcp, &why), 0);
		assert_int_equal(rtcp.ssrc, 0x11223344);
		assert_int_equal(rtcp.n_packets, 2);

		n = put_rr(b, 5, 2);
		n += put_rr(b + n, 5, 31); /* more report blocks follow in another RR */
		n += put_sdes(b + n, 5);
		n += put_pli(b + n, 5, 6);
		n += put_bye(b + n, 5);
		assert_int_equal(dp_parse_rtcp(b, n, reduced, &rtcp, &why), 0);
		assert_int_equal(rtcp.n_packets, 5);
		assert_int_equal(rtcp.ssrc, 5);
	}
}

static void
test_rtcp_first_packet(void **state)
{
	uint8_t b[BUF_SIZE];
	struct dp_rtcp rtcp;
	enum cascade_drop why;
	uint32_t n;

	(void)state;
	/* RFC 3550 A.2: SDES, PLI, BYE first are not compound packets... */
	n = put_sdes(b, 7);
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	n = put_pli(b, 7, 8);
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	n = put_bye(b, 7);
	n += put_rr(b + n, 7, 0);
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	/* ...but they are reduced-size ones (RFC 5506). */
	n = put_pli(b, 7, 8);
	assert_int_equal(dp_parse_rtcp(b, n, true, &rtcp, &why), 0);
	assert_int_equal(rtcp.first_pt, 206);
	assert_int_equal(rtcp.ssrc, 7);
	n = put_sdes(b, 9);
	n += put_bye(b + n, 9);
	assert_int_equal(dp_parse_rtcp(b, n, true, &rtcp, &why), 0);
	assert_int_equal(rtcp.n_packets, 2);
	/* A BYE with no SSRC is 4 bytes: no sender SSRC to report. */
	frame_wr16(b, 0x8000 | 203);
	frame_wr16(b + 2, 0);
	assert_int_equal(dp_parse_rtcp(b, 4, true, &rtcp, &why), 0);
	assert_int_equal(rtcp.ssrc, 0);
	/* Reduced-size still wants an RTCP packet type (RFC 5761 section 4). */
	n = put_pli(b, 7, 8);
	b[1] = 191;
	assert_rtcp(b, n, true, -1, CASCADE_DROP_RTCP_TRUNC);
	b[1] = 224;
	assert_rtcp(b, n, true, -1, CASCADE_DROP_RTCP_TRUNC);
	b[1] = 192;
	assert_rtcp(b, n, true, 0, 0);
	b[1] = 223;
	assert_rtcp(b, n, true, 0, 0);
}

static void
test_rtcp_version(void **state)
{
	uint8_t b[BUF_SIZE];
	uint32_t n;

	(void)state;
	n = rtcp_sr_sdes(b);
	b[0] = (uint8_t)((b[0] & 0x3f) | 0x40);
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTP_VERSION);
	n = rtcp_sr_sdes(b);
	b[52] = (uint8_t)((b[52] & 0x3f) | 0xc0); /* second packet version 3 */
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTP_VERSION);
	assert_rtcp(b, n, true, -1, CASCADE_DROP_RTP_VERSION);
	/* Trailing zero words are a packet with version 0, not ignored. */
	n = rtcp_sr_sdes(b);
	memset(b + n, 0, 4);
	assert_rtcp(b, n + 4, false, -1, CASCADE_DROP_RTP_VERSION);
}

static void
test_rtcp_lengths(void **state)
{
	uint8_t b[BUF_SIZE];
	uint32_t n, i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_rtcp(b, i, false, -1, CASCADE_DROP_RTCP_TRUNC);
	/* Not a whole number of 32-bit words. */
	n = rtcp_sr_sdes(b);
	for (i = 1; i < 4; i++)
		assert_rtcp(b, n + i, false, -1, CASCADE_DROP_RTCP_TRUNC);
	/* A length past the end, and one that leaves bytes over. */
	frame_wr16(b + 2, (uint16_t)(frame_rd16(b + 2) + 20));
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	n = rtcp_sr_sdes(b);
	frame_wr16(b + 54, 0xffff);
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	n = rtcp_sr_sdes(b);
	frame_wr16(b + 2, (uint16_t)(frame_rd16(b + 2) - 1)); /* SR now one word short */
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	/* RC says more report blocks than the SR holds. */
	n = put_sr(b, 1, 1);
	b[0] = 0x82;
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	n = put_rr(b, 1, 0);
	b[0] = 0x81;
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	/* An SR without sender info, an RR without SSRC. */
	frame_wr16(b, 0x8000 | 200);
	frame_wr16(b + 2, 5);
	assert_rtcp(b, 24, false, -1, CASCADE_DROP_RTCP_TRUNC);
	frame_wr16(b, 0x8000 | 201);
	frame_wr16(b + 2, 0);
	assert_rtcp(b, 4, false, -1, CASCADE_DROP_RTCP_TRUNC);
	assert_rtcp(b, 4, true, -1, CASCADE_DROP_RTCP_TRUNC);
	/* The same short RR later in a compound. */
	n = put_rr(b, 1, 0);
	frame_wr16(b + n, 0x8000 | 201);
	frame_wr16(b + n + 2, 0);
	assert_rtcp(b, n + 4, false, -1, CASCADE_DROP_RTCP_TRUNC);
}

static void
test_rtcp_padding(void **state)
{
	uint8_t b[BUF_SIZE];
	uint32_t n, sr;

	(void)state;
	/* Padding on the last packet: allowed. */
	sr = put_sr(b, 1, 0);
	n = sr + put_sdes(b + sr, 1);
	b[sr] |= 0x20;
	memset(b + n, 0, 8);
	b[n + 7] = 8;
	frame_wr16(b + sr + 2, (uint16_t)(frame_rd16(b + sr + 2) + 2));
	assert_rtcp(b, n + 8, false, 0, 0);
	/* The count may be as large as the packet minus its header. */
	b[n + 7] = (uint8_t)(n + 8 - sr - 4);
	assert_rtcp(b, n + 8, false, 0, 0);
	b[n + 7] = (uint8_t)(n + 8 - sr - 3);
	assert_rtcp(b, n + 8, false, -1, CASCADE_DROP_RTCP_TRUNC);
	b[n + 7] = 0;
	assert_rtcp(b, n + 8, false, -1, CASCADE_DROP_RTCP_TRUNC);
	/* On the first of two: refused. */
	b[n + 7] = 8;
	b[0] |= 0x20;
	assert_rtcp(b, n + 8, false, -1, CASCADE_DROP_RTCP_TRUNC);
	/* A lone padded RR (first and last): allowed, if the RR still fits. */
	n = put_rr(b, 1, 1);
	b[0] |= 0x20;
	memset(b + n, 0, 4);
	b[n + 3] = 4;
	frame_wr16(b + 2, (uint16_t)(frame_rd16(b + 2) + 1));
	assert_rtcp(b, n + 4, false, 0, 0);
	b[n + 3] = 8; /* eats into the report block */
	assert_rtcp(b, n + 4, false, -1, CASCADE_DROP_RTCP_TRUNC);
}

static void
test_rtcp_truncations(void **state)
{
	uint8_t b[BUF_SIZE];
	uint32_t n, cut, sr;
	int rc;

	(void)state;
	sr = put_sr(b, 0x11223344, 1);
	n = sr + put_sdes(b + sr, 0x11223344);
	n += put_bye(b + n, 0x11223344);
	for (cut = 0; cut < n; cut++) {
		/* A cut on a packet boundary leaves a shorter valid compound. */
		rc = cut == sr || cut == n - 8 ? 0 : -1;
		assert_rtcp(b, cut, false, rc, CASCADE_DROP_RTCP_TRUNC);
		assert_rtcp(b, cut, true, rc, CASCADE_DROP_RTCP_TRUNC);
	}
}

static void
test_rtcp_many_packets(void **state)
{
	uint8_t *b = malloc(8 * 300);
	struct dp_rtcp rtcp;
	enum cascade_drop why;
	uint32_t n = 0, i;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < 300; i++)
		n += put_rr(b + n, i, 0);
	assert_int_equal(dp_parse_rtcp(b, n, false, &rtcp, &why), 0);
	assert_int_equal(rtcp.n_packets, 255);
	assert_int_equal(rtcp.ssrc, 0);
	free(b);
}

/* ---- The whole path, and the fuzzer's inputs ---- */

static void
test_pipeline(void **state)
{
	uint8_t pl[BUF_SIZE];
	struct rtp_layout lay;
	struct frame f;
	struct dp_l4 l4;
	struct dp_rtp rtp;
	struct dp_rtcp rtcp;
	enum cascade_drop why;
	uint32_t n;

	(void)state;
	n = rtp_full(pl, &lay);
	build_frame(&f, VLAN_8021Q, true, pl, n);
	assert_int_equal(dp_parse_l4(f.b, f.len, &l4, &why), 0);
	assert_int_equal(dp_parse_demux(f.b + l4.payload_off, l4.payload_len), DP_CLASS_RTP);
	assert_int_equal(dp_parse_rtp(f.b + l4.payload_off, l4.payload_len, &rtp, &why), 0);
	assert_int_equal(rtp.ssrc, 0xcafebabe);

	n = rtcp_sr_sdes(pl);
	build_frame(&f, VLAN_NONE, false, pl, n);
	assert_int_equal(dp_parse_l4(f.b, f.len, &l4, &why), 0);
	assert_int_equal(dp_parse_demux(f.b + l4.payload_off, l4.payload_len), DP_CLASS_RTCP);
	assert_int_equal(dp_parse_rtcp(f.b + l4.payload_off, l4.payload_len, false, &rtcp, &why),
			 0);
	assert_int_equal(rtcp.n_packets, 2);

	/* STUN binding request header. */
	memcpy(pl, "\x00\x01\x00\x00\x21\x12\xa4\x42", 8);
	memset(pl + 8, 0x5a, 12);
	build_frame(&f, VLAN_NONE, false, pl, 20);
	assert_int_equal(dp_parse_l4(f.b, f.len, &l4, &why), 0);
	assert_int_equal(dp_parse_demux(f.b + l4.payload_off, l4.payload_len), DP_CLASS_STUN);
}

static void
test_fuzz_inputs(void **state)
{
	(void)state;
	/* Every crasher the fuzzer found lives on as a regression input. */
	fuzz_replay_target(CASCADE_FUZZ_DIR, "fuzz_parse", LLVMFuzzerTestOneInput);
}

int
main(void)
{
	/* One test per line. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_fields),
		cmocka_unit_test(test_rtp_ext_find),
		cmocka_unit_test(test_rtp_truncations),
		cmocka_unit_test(test_rtp_version),
		cmocka_unit_test(test_rtp_lengths_past_end),
		cmocka_unit_test(test_rtp_padding),
		cmocka_unit_test(test_rtp_too_long),
		cmocka_unit_test(test_rtcp_valid),
		cmocka_unit_test(test_rtcp_first_packet),
		cmocka_unit_test(test_rtcp_version),
		cmocka_unit_test(test_rtcp_lengths),
		cmocka_unit_test(test_rtcp_padding),
		cmocka_unit_test(test_rtcp_truncations),
		cmocka_unit_test(test_rtcp_many_packets),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_fuzz_inputs),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
