/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_parse's lower layers: Ethernet, VLAN tags, IPv4, IPv6 and
 * UDP, and the RFC 7983 / RFC 5761 demux of the first payload bytes. Packets
 * come from parse_build.c and are cut at every length: each cut is copied into
 * a heap buffer of exactly that size, so under ASan a read past the end fails
 * the test even when the parser's answer happens to be right.
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
#include "parse_build.h"

/* ---- Ethernet, VLAN, IP, UDP ---- */

static void
test_l4_ipv4(void **state)
{
	uint8_t rtp[BUF_SIZE];
	struct rtp_layout lay;
	struct frame f;
	struct dp_l4 l4;
	enum cascade_drop why;
	uint32_t n = rtp_plain(rtp, &lay);

	(void)state;
	build_frame(&f, VLAN_NONE, false, rtp, n);
	assert_int_equal(parse_l4(&f, f.len, &l4, &why), 0);
	assert_int_equal(l4.l3_off, 14);
	assert_int_equal(l4.l4_off, 34);
	assert_int_equal(l4.payload_off, 42);
	assert_int_equal(l4.payload_len, n);
	assert_int_equal(l4.has_vlan, 0);
	assert_int_equal(l4.family, CASCADE_AF_INET);
	assert_memory_equal(l4.src_ip, ip4_src, 4);
	assert_memory_equal(l4.dst_ip, ip4_dst, 4);
	for (n = 4; n < 16; n++)
		assert_true(l4.src_ip[n] == 0 && l4.dst_ip[n] == 0);
	assert_int_equal(frame_rd16((const uint8_t *)&l4.src_port_be), 40000);
	assert_int_equal(frame_rd16((const uint8_t *)&l4.dst_port_be), 50000);
	assert_memory_equal(f.b + l4.payload_off, rtp, l4.payload_len);
}

static void
test_l4_vlan_ipv6(void **state)
{
	static const uint16_t tpids[] = {VLAN_8021Q, VLAN_8021AD};
	uint8_t rtp[BUF_SIZE];
	struct rtp_layout lay;
	struct frame f;
	struct dp_l4 l4;
	enum cascade_drop why;
	uint32_t n = rtp_full(rtp, &lay), i;

	(void)state;
	for (i = 0; i < 2; i++) {
		build_frame(&f, tpids[i], true, rtp, n);
		assert_int_equal(parse_l4(&f, f.len, &l4, &why), 0);
		assert_int_equal(l4.has_vlan, 1);
		assert_int_equal(l4.vlan_tci, 0x2064);
		assert_int_equal(l4.l3_off, 18);
		assert_int_equal(l4.l4_off, 58);
		assert_int_equal(l4.payload_off, 66);
		assert_int_equal(l4.payload_len, n);
		assert_int_equal(l4.family, CASCADE_AF_INET6);
		assert_memory_equal(l4.src_ip, ip6_src, 16);
		assert_memory_equal(l4.dst_ip, ip6_dst, 16);
		assert_int_equal(frame_rd16((const uint8_t *)&l4.dst_port_be), 50000);
	}
}

static void
test_l4_ethertype(void **state)
{
	uint8_t rtp[BUF_SIZE];
	struct rtp_layout lay;
	struct frame f;
	uint32_t n = rtp_plain(rtp, &lay);

	(void)state;
	build_frame(&f, VLAN_NONE, false, rtp, n);
	frame_wr16(f.b + 12, 0x0806); /* ARP */
	assert_l4_drop(&f, CASCADE_DROP_ETH_TYPE);
	frame_wr16(f.b + 12, 0x88cc); /* LLDP */
	assert_l4_drop(&f, CASCADE_DROP_ETH_TYPE);
	/* Two tags (QinQ): only one is accepted; the inner TPID is not an IP type. */
	build_frame(&f, VLAN_8021AD, false, rtp, n);
	memmove(f.b + 20, f.b + 16, f.len - 16);
	frame_wr16(f.b + 16, VLAN_8021Q);
	frame_wr16(f.b + 18, 0x0005);
	f.len += 4;
	assert_l4_drop(&f, CASCADE_DROP_ETH_TYPE);
}

static void
test_l4_ethernet_padding(void **state)
{
	uint8_t pl[4] = {0x80, 0x00, 0x00, 0x01};
	struct frame f;
	struct dp_l4 l4;
	enum cascade_drop why;
	int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		/* A short datagram in a 60-byte minimum frame: the tail is padding. */
		build_frame(&f, VLAN_NONE, v6, pl, sizeof(pl));
		memset(f.b + f.len, 0xaa, 40);
		assert_int_equal(parse_l4(&f, f.len + 40, &l4, &why), 0);
		assert_int_equal(l4.payload_len, sizeof(pl));
		assert_int_equal(l4.payload_off, f.payload_off);
	}
}

static void
test_l4_ipv4_header(void **state)
{
	uint8_t rtp[BUF_SIZE];
	struct rtp_layout lay;
	struct frame f;
	struct dp_l4 l4;
	enum cascade_drop why;
	uint32_t n = rtp_plain(rtp, &lay);
	uint8_t *ip;

	(void)state;
	build_frame(&f, VLAN_NONE, false, rtp, n);
	ip = ip_of(&f);
	ip[0] = 0x65; /* version 6 under the IPv4 EtherType */
	assert_l4_drop(&f, CASCADE_DROP_IP4_HDR);
	ip[0] = 0x44; /* IHL 4 */
	assert_l4_drop(&f, CASCADE_DROP_IP4_HDR);
	ip[0] = 0x40;
	assert_l4_drop(&f, CASCADE_DROP_IP4_HDR);

	/* Total length shorter than the header. */
	build_frame(&f, VLAN_NONE, false, rtp, n);
	frame_wr16(ip_of(&f) + 2, 19);
	assert_l4_drop(&f, CASCADE_DROP_IP4_HDR);
	/* Total length past the frame. */
	frame_wr16(ip_of(&f) + 2, (uint16_t)(f.len - 14 + 1));
	assert_l4_drop(&f, CASCADE_DROP_IP4_TRUNC);
	/* IHL past the frame: a 24-byte frame payload with IHL 15. */
	build_frame(&f, VLAN_NONE, false, rtp, 0);
	ip_of(&f)[0] = 0x4f;
	f.len = 14 + 59;
	assert_l4_drop(&f, CASCADE_DROP_IP4_TRUNC);

	/* Options (IHL 6): the UDP header moves by 4 bytes. */
	build_frame(&f, VLAN_NONE, false, rtp, n);
	memmove(f.b + 38, f.b + 34, f.len - 34);
	memcpy(f.b + 34, "\x01\x01\x01\x00", 4); /* NOP, NOP, NOP, EOL */
	ip_of(&f)[0] = 0x46;
	frame_wr16(ip_of(&f) + 2, (uint16_t)(24 + 8 + n));
	f.len += 4;
	assert_int_equal(parse_l4(&f, f.len, &l4, &why), 0);
	assert_int_equal(l4.l4_off, 38);
	assert_int_equal(l4.payload_off, 46);
	assert_int_equal(l4.payload_len, n);
}

static void
test_l4_ipv4_fragments(void **state)
{
	static const struct {
		uint16_t frag;
		int ok;
	} cases[] = {
		{0x0000, 1}, {0x4000, 1}, /* DF only is not a fragment */
		{0x2000, 0}, {0x6000, 0}, /* MF */
		{0x0001, 0}, {0x1fff, 0}, /* offset */
		{0x20b9, 0}, {0x8000, 1}, /* reserved bit alone is not a fragment */
	};
	uint8_t rtp[BUF_SIZE];
	struct rtp_layout lay;
	struct frame f;
	struct dp_l4 l4;
	enum cascade_drop why;
	uint32_t n = rtp_plain(rtp, &lay), i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build_frame(&f, VLAN_8021Q, false, rtp, n);
		frame_wr16(ip_of(&f) + 6, cases[i].frag);
		if (cases[i].ok) {
			assert_int_equal(parse_l4(&f, f.len, &l4, &why), 0);
		} else {
			assert_int_equal(parse_l4(&f, f.len, &l4, &why), -1);
			assert_int_equal(why, CASCADE_DROP_IP4_FRAG);
		}
	}
}

static void
test_l4_not_udp(void **state)
{
	static const uint8_t v4[] = {1, 6, 47, 50, 132, 136, 255};
	static const uint8_t v6[] = {6, 58, 59, 132, 136, 4, 41};
	uint8_t rtp[BUF_SIZE];
	struct rtp_layout lay;
	struct frame f;
	uint32_t n = rtp_plain(rtp, &lay), i;

	(void)state;
	for (i = 0; i < sizeof(v4); i++) {
		build_frame(&f, VLAN_NONE, false, rtp, n);
		ip_of(&f)[9] = v4[i];
		assert_l4_drop(&f, CASCADE_DROP_NOT_UDP);
	}
	for (i = 0; i < sizeof(v6); i++) {
		build_frame(&f, VLAN_NONE, true, rtp, n);
		ip_of(&f)[6] = v6[i];
		assert_l4_drop(&f, CASCADE_DROP_NOT_UDP);
	}
}

static void
test_l4_ipv6_header(void **state)
{
	static const uint8_t ext[] = {0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254};
	uint8_t rtp[BUF_SIZE];
	struct rtp_layout lay;
	struct frame f;
	uint32_t n = rtp_plain(rtp, &lay), i;

	(void)state;
	for (i = 0; i < sizeof(ext); i++) {
		build_frame(&f, VLAN_8021Q, true, rtp, n);
		ip_of(&f)[6] = ext[i];
		assert_l4_drop(&f, CASCADE_DROP_IP6_HDR);
	}
	build_frame(&f, VLAN_NONE, true, rtp, n);
	ip_of(&f)[0] = 0x40; /* version 4 under the IPv6 EtherType */
	assert_l4_drop(&f, CASCADE_DROP_IP6_HDR);
	build_frame(&f, VLAN_NONE, true, rtp, n);
	frame_wr16(ip_of(&f) + 4, (uint16_t)(8 + n + 1));
	assert_l4_drop(&f, CASCADE_DROP_IP6_TRUNC);
	/* RFC 2675 jumbogram marker (payload length 0) has no room for UDP. */
	frame_wr16(ip_of(&f) + 4, 0);
	assert_l4_drop(&f, CASCADE_DROP_UDP_TRUNC);
}

static void
test_l4_udp_lengths(void **state)
{
	uint8_t rtp[BUF_SIZE];
	struct rtp_layout lay;
	struct frame f;
	struct dp_l4 l4;
	enum cascade_drop why;
	uint32_t n = rtp_plain(rtp, &lay);
	int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		build_frame(&f, VLAN_NONE, v6, rtp, n);
		frame_wr16(f.b + f.l4_off + 4, 7);
		assert_l4_drop(&f, CASCADE_DROP_UDP_LEN);
		frame_wr16(f.b + f.l4_off + 4, 0);
		assert_l4_drop(&f, CASCADE_DROP_UDP_LEN);
		frame_wr16(f.b + f.l4_off + 4, (uint16_t)(8 + n + 1));
		assert_l4_drop(&f, CASCADE_DROP_UDP_TRUNC);
		/* UDP shorter than the IP payload: the UDP length wins. */
		frame_wr16(f.b + f.l4_off + 4, 8 + 12);
		assert_int_equal(parse_l4(&f, f.len, &l4, &why), 0);
		assert_int_equal(l4.payload_len, 12);
		frame_wr16(f.b + f.l4_off + 4, 8);
		assert_int_equal(parse_l4(&f, f.len, &l4, &why), 0);
		assert_int_equal(l4.payload_len, 0);
	}
	/* IP payload too short for a UDP header. */
	build_frame(&f, VLAN_NONE, false, rtp, n);
	frame_wr16(ip_of(&f) + 2, 20 + 7);
	assert_l4_drop(&f, CASCADE_DROP_UDP_TRUNC);
	build_frame(&f, VLAN_NONE, true, rtp, n);
	frame_wr16(ip_of(&f) + 4, 7);
	assert_l4_drop(&f, CASCADE_DROP_UDP_TRUNC);
}

/* The reason a frame cut at n bytes must give: the IP lengths catch every cut. */
static enum cascade_drop
frame_cut_reason(const struct frame *f, uint32_t n)
{
	if (n < f->l3_off)
		return CASCADE_DROP_ETH_TRUNC;
	return f->ipv6 ? CASCADE_DROP_IP6_TRUNC : CASCADE_DROP_IP4_TRUNC;
}

static void
check_frame_cuts(const struct frame *f)
{
	struct dp_l4 l4;
	enum cascade_drop why;
	uint32_t n;
	uint8_t *c;

	for (n = 0; n < f->len; n++) {
		c = exact_copy(f->b, n);
		why = CASCADE_DROP_MAX;
		assert_int_equal(dp_parse_l4(c, n, &l4, &why), -1);
		if (why != frame_cut_reason(f, n))
			fail_msg("cut at %u of %u: reason %d, expected %d", n, f->len, why,
				 frame_cut_reason(f, n));
		free(c);
	}
	c = exact_copy(f->b, f->len);
	assert_int_equal(dp_parse_l4(c, f->len, &l4, &why), 0);
	assert_int_equal(l4.payload_off, f->payload_off);
	assert_int_equal(l4.payload_len, f->payload_len);
	free(c);
}

static void
test_l4_truncations(void **state)
{
	uint8_t pl[BUF_SIZE];
	struct rtp_layout lay;
	struct frame f;
	uint32_t n;

	(void)state;
	n = rtp_plain(pl, &lay);
	build_frame(&f, VLAN_NONE, false, pl, n);
	check_frame_cuts(&f);
	n = rtp_full(pl, &lay);
	build_frame(&f, VLAN_8021Q, true, pl, n);
	check_frame_cuts(&f);
	build_frame(&f, VLAN_8021AD, false, pl, n);
	check_frame_cuts(&f);
	n = rtcp_sr_sdes(pl);
	build_frame(&f, VLAN_NONE, false, pl, n);
	check_frame_cuts(&f);
	build_frame(&f, VLAN_NONE, true, pl, n);
	check_frame_cuts(&f);
	build_frame(&f, VLAN_NONE, false, pl, 0);
	check_frame_cuts(&f);
}

/* ---- Demux ---- */

static enum dp_class
expected_class(uint8_t b0, uint8_t b1, uint32_t len)
{
	if (b0 <= 3)
		return DP_CLASS_STUN;
	if (b0 >= 20 && b0 <= 63)
		return DP_CLASS_DTLS;
	if (b0 >= 128 && b0 <= 191)
		return len >= 2 && b1 >= 192 && b1 <= 223 ? DP_CLASS_RTCP : DP_CLASS_RTP;
	return DP_CLASS_UNKNOWN;
}

static void
test_demux_first_byte(void **state)
{
	uint8_t p[2], *one;
	unsigned int b0, b1;
	enum dp_class c;

	(void)state;
	assert_int_equal(dp_parse_demux(NULL, 0), DP_CLASS_UNKNOWN);
	for (b0 = 0; b0 < 256; b0++) {
		p[0] = (uint8_t)b0;
		one = exact_copy(p, 1);
		c = dp_parse_demux(one, 1);
		assert_int_equal(c, expected_class(p[0], 0, 1));
		free(one);
		for (b1 = 0; b1 < 256; b1++) {
			p[1] = (uint8_t)b1;
			c = dp_parse_demux(p, 2);
			if (c != expected_class(p[0], p[1], 2))
				fail_msg("bytes %u %u: class %d", b0, b1, c);
		}
	}
	/* The RFC 7983 boundaries, spelled out. */
	p[1] = 0;
	p[0] = 3;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_STUN);
	p[0] = 4;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_UNKNOWN);
	p[0] = 16; /* ZRTP */
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_UNKNOWN);
	p[0] = 19;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_UNKNOWN);
	p[0] = 20;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_DTLS);
	p[0] = 63;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_DTLS);
	p[0] = 64; /* TURN channel */
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_UNKNOWN);
	p[0] = 79;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_UNKNOWN);
	p[0] = 127;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_UNKNOWN);
	p[0] = 128;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_RTP);
	p[0] = 191;
	p[1] = 191;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_RTP);
	p[1] = 192;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_RTCP);
	p[1] = 223;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_RTCP);
	p[1] = 224;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_RTP);
	p[0] = 192;
	assert_int_equal(dp_parse_demux(p, 2), DP_CLASS_UNKNOWN);
}

int
main(void)
{
	/* One test per line. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l4_ipv4),
		cmocka_unit_test(test_l4_vlan_ipv6),
		cmocka_unit_test(test_l4_ethertype),
		cmocka_unit_test(test_l4_ethernet_padding),
		cmocka_unit_test(test_l4_ipv4_header),
		cmocka_unit_test(test_l4_ipv4_fragments),
		cmocka_unit_test(test_l4_not_udp),
		cmocka_unit_test(test_l4_ipv6_header),
		cmocka_unit_test(test_l4_udp_lengths),
		cmocka_unit_test(test_l4_truncations),
		cmocka_unit_test(test_demux_first_byte),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
