/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the transport-wide sequence number in dp_rewrite: the
 * sender's own element (ext_map CASCADE_EXT_TWCC) is blanked to padding and
 * never reaches a consumer, and dp_rtp_twcc_room() finds a place for
 * Cascade's: where a blanked element was, in a block's trailing padding,
 * appended to a one-byte or two-byte block, or in a new block; never in a
 * block of another profile.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dp_bytes.h"
#include "dp_rewrite.h"

/* A 12-byte RTP header, then (profile != 0) an extension block ext[0..ext_len). */
static uint16_t
hdr(uint8_t *b, uint16_t profile, const uint8_t *ext, uint16_t ext_len)
{
	memset(b, 0xee, 96);
	b[0] = (uint8_t)(0x80 | (profile ? 0x10 : 0));
	b[1] = 96;
	wr16(b + 2, 1111);
	wr32(b + 4, 22222222);
	wr32(b + 8, 0x33333333);
	if (!profile)
		return 12;
	wr16(b + 12, profile);
	wr16(b + 14, (uint16_t)(ext_len / 4));
	memcpy(b + 16, ext, ext_len);
	return (uint16_t)(16 + ext_len);
}

/* The sender's element (id 3 here) is blanked; the others are renamed as before. */
static void
test_sender_twcc_blanked(void **state)
{
	static const uint8_t ext[8] = {0x10, 0xaa, 0x31, 0x12, 0x34, 0x00, 0x00, 0x00};
	uint8_t b[96], map[CASCADE_MAX_EXT_ID + 2] = {0};
	uint16_t n, at;

	(void)state;
	map[1] = 4;
	map[3] = CASCADE_EXT_TWCC;
	n = hdr(b, 0xbede, ext, sizeof(ext));
	assert_int_equal(dp_rtp_rewrite(b, n, 96, 1, 2, 3, map), 0);
	assert_memory_equal(b + 16, "\x40\xaa\x00\x00\x00\x00\x00\x00", 8);
	/* a consumer without transport-cc: nothing of the sender's number is left */
	assert_int_equal(b[17], 0xaa);
	/* one with it: Cascade's goes where the sender's was */
	assert_int_equal(dp_rtp_twcc_room(b, n, 7, &at), n);
	assert_int_equal(at, 19);
	wr16(b + at, 0xbeef);
	assert_memory_equal(b + 16, "\x40\xaa\x71\xbe\xef\x00\x00\x00", 8);
}

/* No block: a new one-byte block of one word. */
static void
test_room_new_block(void **state)
{
	uint8_t b[96];
	uint16_t n, at;

	(void)state;
	n = hdr(b, 0, NULL, 0);
	assert_int_equal(dp_rtp_twcc_room(b, n, 5, &at), 20);
	assert_int_equal(b[0], 0x90);
	assert_int_equal(at, 17);
	wr16(b + at, 0x0102);
	assert_memory_equal(b + 12, "\xbe\xde\x00\x01\x51\x01\x02\x00", 8);
	/* the result is a valid header: the rewrite accepts it */
	assert_int_equal(dp_rtp_rewrite(b, 20, 96, 1, 2, 3, NULL), 0);
}

/* A full one-byte block: one word appended, its length updated. */
static void
test_room_append(void **state)
{
	static const uint8_t ext[4] = {0x22, 0x01, 0x02, 0x03};
	static const uint8_t two[4] = {0x01, 0x02, 0xaa, 0xbb};
	static const uint8_t trail[8] = {0x22, 0x01, 0x02, 0x03, 0x10, 0x09, 0x00, 0x00};
	uint8_t b[96];
	uint16_t n, at;

	(void)state;
	n = hdr(b, 0xbede, ext, sizeof(ext));
	assert_int_equal(dp_rtp_twcc_room(b, n, 9, &at), n + 4);
	assert_int_equal(rd16(b + 14), 2);
	assert_int_equal(at, n + 1);
	assert_int_equal(b[n], 0x91);
	assert_int_equal(b[n + 3], 0);
	assert_int_equal(dp_rtp_rewrite(b, n + 4, 96, 1, 2, 3, NULL), 0);
	/* two padding bytes at the end are not enough: appended */
	n = hdr(b, 0xbede, trail, sizeof(trail));
	assert_int_equal(dp_rtp_twcc_room(b, n, 9, &at), n + 4);
	/* the two-byte form: id, length 2, data */
	n = hdr(b, 0x1000, two, sizeof(two));
	assert_int_equal(dp_rtp_twcc_room(b, n, 9, &at), n + 4);
	assert_int_equal(b[n], 9);
	assert_int_equal(b[n + 1], 2);
	assert_int_equal(at, n + 2);
	assert_int_equal(rd16(b + 14), 2);
	/* another profile: no room; a bad id: none either */
	n = hdr(b, 0xabcd, two, sizeof(two));
	assert_int_equal(dp_rtp_twcc_room(b, n, 9, &at), -1);
	n = hdr(b, 0, NULL, 0);
	assert_int_equal(dp_rtp_twcc_room(b, n, 15, &at), -1);
	assert_int_equal(dp_rtp_twcc_room(b, n, 0, &at), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sender_twcc_blanked),
		cmocka_unit_test(test_room_new_block),
		cmocka_unit_test(test_room_append),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
