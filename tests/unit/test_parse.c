/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_parse: Ethernet/VLAN/IPv4/IPv6/UDP, the RFC 7983 and RFC
 * 5761 demux, RTP and RTCP. Packets are built field by field here (not taken
 * from the parser's own constants), then cut at every length: each cut is
 * copied into a heap buffer of exactly that size, so under ASan a read past
 * the end fails the test even when the parser's answer happens to be right.
 * The last test replays the fuzzer's corpus and regression inputs.
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
#include "fuzz_replay.h"

/* The fuzz target, linked in to replay its corpus (tests/fuzz/fuzz_parse.c). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BUF_SIZE 2048

enum {
	VLAN_NONE = 0,
	VLAN_8021Q = 0x8100,
	VLAN_8021AD = 0x88a8
};

/* A frame and where its layers start, as the builder laid them out. */
struct frame {
	uint8_t b[BUF_SIZE];
	uint32_t len;
	uint32_t l3_off, l4_off, payload_off, payload_len;
	bool ipv6;
};

/* Where an RTP packet's parts end, as the builder laid them out. */
struct rtp_layout {
	uint32_t len;
	uint32_t csrc_end; /* 12 + 4 * CC */
	uint32_t ext_end;  /* end of the extension data; csrc_end without X */
	uint32_t pad;      /* padding bytes, 0 without P */
};

struct rtp_opts {
	uint8_t version;
	uint8_t pt;
	uint8_t marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t cc;
	bool ext;
	uint16_t ext_profile;
	uint16_t ext_words;
	uint32_t payload_len;
	uint8_t pad;
};

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

static const uint8_t ip4_src[4] = {198, 18, 0, 1};
static const uint8_t ip4_dst[4] = {198, 18, 0, 2};
static const uint8_t ip6_src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t ip6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/*
 * Build an RTP packet into b. Payload bytes are 0xee: read as a padding count
 * they are larger than any payload here, so a cut inside the payload of a
 * padded packet must be refused.
 */
static uint32_t
build_rtp(uint8_t *b, const struct rtp_opts *o, struct rtp_layout *lay)
{
	uint32_t off = 12, i;

	b[0] = (uint8_t)((o->version << 6) | (o->pad ? 0x20 : 0) | (o->ext ? 0x10 : 0) | o->cc);
	b[1] = (uint8_t)((o->marker ? 0x80 : 0) | o->pt);
	put16(b + 2, o->seq);
	put32(b + 4, o->ts);
	put32(b + 8, o->ssrc);
	for (i = 0; i < o->cc; i++, off += 4)
		put32(b + off, 0x0c000000u + i);
	lay->csrc_end = off;
	if (o->ext) {
		put16(b + off, o->ext_profile);
		put16(b + off + 2, o->ext_words);
		off += 4;
		for (i = 0; i < 4u * o->ext_words; i++)
			b[off + i] = (uint8_t)(0x11 + i);
		off += 4u * o->ext_words;
	}
	lay->ext_end = off;
	memset(b + off, 0xee, o->payload_len);
	off += o->payload_len;
	if (o->pad) {
		memset(b + off, 0, o->pad);
		off += o->pad;
		b[off - 1] = o->pad;
	}
	lay->pad = o->pad;
	lay->len = off;
	return off;
}

static uint32_t
cksum_add(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Build Ethernet (+ tag) / IPv4 or IPv6 / UDP around payload[0..plen). */
static void
build_frame(struct frame *f, uint16_t vlan_tpid, bool ipv6, const uint8_t *payload, uint32_t plen)
{
	uint8_t *ip, *udp;
	uint32_t off = 12, sum;

	memset(f, 0, sizeof(*f));
	memcpy(f->b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (vlan_tpid != VLAN_NONE) {
		put16(f->b + off, vlan_tpid);
		put16(f->b + off + 2, 0x2064); /* PCP 1, VID 100 */
		off += 4;
	}
	put16(f->b + off, ipv6 ? 0x86dd : 0x0800);
	off += 2;
	f->l3_off = off;
	ip = f->b + off;
	if (!ipv6) {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + 8 + plen));
		put16(ip + 4, 0x1234);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, ip4_src, 4);
		memcpy(ip + 16, ip4_dst, 4);
		put16(ip + 10, cksum_fold(cksum_add(ip, 20, 0)));
		off += 20;
	} else {
		put32(ip, 0x60000000);
		put16(ip + 4, (uint16_t)(8 + plen));
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, ip6_src, 16);
		memcpy(ip + 24, ip6_dst, 16);
		off += 40;
	}
	f->l4_off = off;
	udp = f->b + off;
	put16(udp, 40000);
	put16(udp + 2, 50000);
	put16(udp + 4, (uint16_t)(8 + plen));
	memcpy(udp + 8, payload, plen);
	/* RFC 768 / RFC 8200 8.1: pseudo-header, then the datagram. */
	sum = ipv6 ? cksum_add(ip + 8, 32, 0) : cksum_add(ip + 12, 8, 0);
	sum += 17 + 8 + plen;
	sum = cksum_add(udp, 8 + plen, sum);
	put16(udp + 6, cksum_fold(sum) == 0 ? 0xffff : cksum_fold(sum));
	f->payload_off = off + 8;
	f->payload_len = plen;
	f->len = off + 8 + plen;
	f->ipv6 = ipv6;
}

/* The IP header of f, for tests that break one of its fields. */
static uint8_t *
ip_of(struct frame *f)
{
	return f->b + f->l3_off;
}

static int
parse_l4(const struct frame *f, uint32_t len, struct dp_l4 *l4, enum cascade_drop *why)
{
	*why = CASCADE_DROP_MAX;
	return dp_parse_l4(f->b, len, l4, why);
}

static void
assert_l4_drop(const struct frame *f, enum cascade_drop expect)
{
	struct dp_l4 l4;
	enum cascade_drop why;

	assert_int_equal(parse_l4(f, f->len, &l4, &why), -1);
	assert_int_equal(why, expect);
}

/* Plain RTP, 160 bytes of payload, as an audio packet would be. */
static uint32_t
rtp_plain(uint8_t *b, struct rtp_layout *lay)
{
	struct rtp_opts o = {.version = 2,
			     .pt = 111,
			     .seq = 4660,
			     .ts = 0xdeadbeef,
			     .ssrc = 0x11223344,
			     .payload_len = 160};
	return build_rtp(b, &o, lay);
}

/* CSRCs, a one-byte extension block, marker, padding: every optional part. */
static uint32_t
rtp_full(uint8_t *b, struct rtp_layout *lay)
{
	struct rtp_opts o = {.version = 2,
			     .pt = 96,
			     .marker = 1,
			     .seq = 65535,
			     .ts = 90000,
			     .ssrc = 0xcafebabe,
			     .cc = 3,
			     .ext = true,
			     .ext_profile = 0xbede,
			     .ext_words = 2,
			     .payload_len = 37,
			     .pad = 3};
	return build_rtp(b, &o, lay);
}

/* Padding only: the P-bit check runs right after the fixed header. */
static uint32_t
rtp_padded(uint8_t *b, struct rtp_layout *lay)
{
	struct rtp_opts o = {
		.version = 2, .pt = 100, .seq = 1, .ts = 2, .ssrc = 3, .payload_len = 20, .pad = 8};
	return build_rtp(b, &o, lay);
}

/* Extension with zero words: the block is just its 4-byte header. */
static uint32_t
rtp_empty_ext(uint8_t *b, struct rtp_layout *lay)
{
	struct rtp_opts o = {.version = 2,
			     .pt = 97,
			     .seq = 7,
			     .ts = 8,
			     .ssrc = 9,
			     .cc = 1,
			     .ext = true,
			     .ext_profile = 0x1000,
			     .ext_words = 0,
			     .payload_len = 5};
	return build_rtp(b, &o, lay);
}

/* RFC 3550 6.4.1: SR, sender SSRC, 20 bytes of sender info, rc report blocks. */
static uint32_t
put_sr(uint8_t *b, uint32_t ssrc, uint8_t rc)
{
	uint32_t len = 28 + 24u * rc, i;

	b[0] = (uint8_t)(0x80 | rc);
	b[1] = 200;
	put16(b + 2, (uint16_t)(len / 4 - 1));
	put32(b + 4, ssrc);
	for (i = 8; i < len; i++)
		b[i] = (uint8_t)i;
	return len;
}

/* RFC 3550 6.4.2: RR, sender SSRC, rc report blocks. */
static uint32_t
put_rr(uint8_t *b, uint32_t ssrc, uint8_t rc)
{
	uint32_t len = 8 + 24u * rc, i;

	b[0] = (uint8_t)(0x80 | rc);
	b[1] = 201;
	put16(b + 2, (uint16_t)(len / 4 - 1));
	put32(b + 4, ssrc);
	for (i = 8; i < len; i++)
		b[i] = (uint8_t)i;
	return len;
}

/* RFC 3550 6.5: one chunk with a CNAME item, null-terminated, padded to 32 bits. */
static uint32_t
put_sdes(uint8_t *b, uint32_t ssrc)
{
	static const char cname[] = "cascade@198.18.0.1";
	uint32_t len = 4 + 4 + 2 + (uint32_t)strlen(cname) + 1;

	len = (len + 3) & ~3u;
	memset(b, 0, len);
	b[0] = 0x81;
	b[1] = 202;
	put16(b + 2, (uint16_t)(len / 4 - 1));
	put32(b + 4, ssrc);
	b[8] = 1; /* CNAME */
	b[9] = (uint8_t)strlen(cname);
	memcpy(b + 10, cname, strlen(cname));
	return len;
}

/* RFC 3550 6.6: BYE for one SSRC. */
static uint32_t
put_bye(uint8_t *b, uint32_t ssrc)
{
	b[0] = 0x81;
	b[1] = 203;
	put16(b + 2, 1);
	put32(b + 4, ssrc);
	return 8;
}

/* RFC 4585 6.3.1: PLI, the usual reduced-size packet. */
static uint32_t
put_pli(uint8_t *b, uint32_t sender, uint32_t media)
{
	b[0] = 0x81;
	b[1] = 206;
	put16(b + 2, 2);
	put32(b + 4, sender);
	put32(b + 8, media);
	return 12;
}

static uint32_t
rtcp_sr_sdes(uint8_t *b)
{
	uint32_t len = put_sr(b, 0x11223344, 1);

	return len + put_sdes(b + len, 0x11223344);
}

/*
 * A copy of p[0..n) in a heap block of exactly n bytes, for ASan to guard.
 * malloc(0) gives a block where even p[0] is out of bounds (or NULL, which a
 * parser given len 0 must not touch either).
 */
static uint8_t *
exact_copy(const uint8_t *p, uint32_t n)
{
	uint8_t *c = malloc(n);

	assert_true(c != NULL || n == 0);
	if (n)
		memcpy(c, p, n);
	return c;
}

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
	assert_int_equal(get16((const uint8_t *)&l4.src_port_be), 40000);
	assert_int_equal(get16((const uint8_t *)&l4.dst_port_be), 50000);
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
		assert_int_equal(get16((const uint8_t *)&l4.dst_port_be), 50000);
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
	put16(f.b + 12, 0x0806); /* ARP */
	assert_l4_drop(&f, CASCADE_DROP_ETH_TYPE);
	put16(f.b + 12, 0x88cc); /* LLDP */
	assert_l4_drop(&f, CASCADE_DROP_ETH_TYPE);
	/* Two tags (QinQ): only one is accepted; the inner TPID is not an IP type. */
	build_frame(&f, VLAN_8021AD, false, rtp, n);
	memmove(f.b + 20, f.b + 16, f.len - 16);
	put16(f.b + 16, VLAN_8021Q);
	put16(f.b + 18, 0x0005);
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
	put16(ip_of(&f) + 2, 19);
	assert_l4_drop(&f, CASCADE_DROP_IP4_HDR);
	/* Total length past the frame. */
	put16(ip_of(&f) + 2, (uint16_t)(f.len - 14 + 1));
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
	put16(ip_of(&f) + 2, (uint16_t)(24 + 8 + n));
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
		put16(ip_of(&f) + 6, cases[i].frag);
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
	put16(ip_of(&f) + 4, (uint16_t)(8 + n + 1));
	assert_l4_drop(&f, CASCADE_DROP_IP6_TRUNC);
	/* RFC 2675 jumbogram marker (payload length 0) has no room for UDP. */
	put16(ip_of(&f) + 4, 0);
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
		put16(f.b + f.l4_off + 4, 7);
		assert_l4_drop(&f, CASCADE_DROP_UDP_LEN);
		put16(f.b + f.l4_off + 4, 0);
		assert_l4_drop(&f, CASCADE_DROP_UDP_LEN);
		put16(f.b + f.l4_off + 4, (uint16_t)(8 + n + 1));
		assert_l4_drop(&f, CASCADE_DROP_UDP_TRUNC);
		/* UDP shorter than the IP payload: the UDP length wins. */
		put16(f.b + f.l4_off + 4, 8 + 12);
		assert_int_equal(parse_l4(&f, f.len, &l4, &why), 0);
		assert_int_equal(l4.payload_len, 12);
		put16(f.b + f.l4_off + 4, 8);
		assert_int_equal(parse_l4(&f, f.len, &l4, &why), 0);
		assert_int_equal(l4.payload_len, 0);
	}
	/* IP payload too short for a UDP header. */
	build_frame(&f, VLAN_NONE, false, rtp, n);
	put16(ip_of(&f) + 2, 20 + 7);
	assert_l4_drop(&f, CASCADE_DROP_UDP_TRUNC);
	build_frame(&f, VLAN_NONE, true, rtp, n);
	put16(ip_of(&f) + 4, 7);
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
	put16(b + 22, 2);
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_EXT);
	put16(b + 22, 0xffff);
	assert_int_equal(dp_parse_rtp(b, n, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_EXT);
	put16(b + 22, 1);
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
	put16(b + 14, (65535 - 16) / 4);
	assert_int_equal(dp_parse_rtp(b, 65535, &rtp, &why), 0);
	assert_int_equal(rtp.hdr_len, 16 + (65535 - 16) / 4 * 4);
	assert_int_equal(rtp.ext_len, (65535 - 16) / 4 * 4);
	assert_int_equal(rtp.payload_len, 65535 - rtp.hdr_len);
	/* No UDP payload is longer; the uint16_t fields could not say so either. */
	assert_int_equal(dp_parse_rtp(b, 65536, &rtp, &why), -1);
	assert_int_equal(why, CASCADE_DROP_RTP_TRUNC);
	put16(b + 14, 0xffff);
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
	put16(b, 0x8000 | 203);
	put16(b + 2, 0);
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
	put16(b + 2, (uint16_t)(get16(b + 2) + 20));
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	n = rtcp_sr_sdes(b);
	put16(b + 54, 0xffff);
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	n = rtcp_sr_sdes(b);
	put16(b + 2, (uint16_t)(get16(b + 2) - 1)); /* SR now one word short */
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	/* RC says more report blocks than the SR holds. */
	n = put_sr(b, 1, 1);
	b[0] = 0x82;
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	n = put_rr(b, 1, 0);
	b[0] = 0x81;
	assert_rtcp(b, n, false, -1, CASCADE_DROP_RTCP_TRUNC);
	/* An SR without sender info, an RR without SSRC. */
	put16(b, 0x8000 | 200);
	put16(b + 2, 5);
	assert_rtcp(b, 24, false, -1, CASCADE_DROP_RTCP_TRUNC);
	put16(b, 0x8000 | 201);
	put16(b + 2, 0);
	assert_rtcp(b, 4, false, -1, CASCADE_DROP_RTCP_TRUNC);
	assert_rtcp(b, 4, true, -1, CASCADE_DROP_RTCP_TRUNC);
	/* The same short RR later in a compound. */
	n = put_rr(b, 1, 0);
	put16(b + n, 0x8000 | 201);
	put16(b + n + 2, 0);
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
	put16(b + sr + 2, (uint16_t)(get16(b + sr + 2) + 2));
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
	put16(b + 2, (uint16_t)(get16(b + 2) + 1));
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
		cmocka_unit_test(test_rtp_fields),
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
