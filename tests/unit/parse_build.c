/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets for the parser's unit tests (parse_build.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "parse_build.h"

const uint8_t ip4_src[4] = {198, 18, 0, 1};
const uint8_t ip4_dst[4] = {198, 18, 0, 2};
const uint8_t ip6_src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
const uint8_t ip6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static uint16_t
cksum_of(uint32_t sum)
{
	return (uint16_t)~frame_fold(sum);
}

uint32_t
build_rtp(uint8_t *b, const struct rtp_opts *o, struct rtp_layout *lay)
{
	uint32_t off = 12, i;

	b[0] = (uint8_t)((o->version << 6) | (o->pad ? 0x20 : 0) | (o->ext ? 0x10 : 0) | o->cc);
	b[1] = (uint8_t)((o->marker ? 0x80 : 0) | o->pt);
	frame_wr16(b + 2, o->seq);
	frame_wr32(b + 4, o->ts);
	frame_wr32(b + 8, o->ssrc);
	for (i = 0; i < o->cc; i++, off += 4)
		frame_wr32(b + off, 0x0c000000u + i);
	lay->csrc_end = off;
	if (o->ext) {
		frame_wr16(b + off, o->ext_profile);
		frame_wr16(b + off + 2, o->ext_words);
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

void
build_frame(struct frame *f, uint16_t vlan_tpid, bool ipv6, const uint8_t *payload, uint32_t plen)
{
	uint8_t *ip, *udp;
	uint32_t off = 12, sum;

	memset(f, 0, sizeof(*f));
	memcpy(f->b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (vlan_tpid != VLAN_NONE) {
		frame_wr16(f->b + off, vlan_tpid);
		frame_wr16(f->b + off + 2, 0x2064); /* PCP 1, VID 100 */
		off += 4;
	}
	frame_wr16(f->b + off, ipv6 ? 0x86dd : 0x0800);
	off += 2;
	f->l3_off = off;
	ip = f->b + off;
	if (!ipv6) {
		ip[0] = 0x45;
		frame_wr16(ip + 2, (uint16_t)(20 + 8 + plen));
		frame_wr16(ip + 4, 0x1234);
		frame_wr16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, ip4_src, 4);
		memcpy(ip + 16, ip4_dst, 4);
		frame_wr16(ip + 10, cksum_of(frame_sum16(ip, 20, 0)));
		off += 20;
	} else {
		frame_wr32(ip, 0x60000000);
		frame_wr16(ip + 4, (uint16_t)(8 + plen));
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, ip6_src, 16);
		memcpy(ip + 24, ip6_dst, 16);
		off += 40;
	}
	f->l4_off = off;
	udp = f->b + off;
	frame_wr16(udp, 40000);
	frame_wr16(udp + 2, 50000);
	frame_wr16(udp + 4, (uint16_t)(8 + plen));
	memcpy(udp + 8, payload, plen);
	/* RFC 768 / RFC 8200 8.1: pseudo-header, then the datagram. */
	sum = ipv6 ? frame_sum16(ip + 8, 32, 0) : frame_sum16(ip + 12, 8, 0);
	sum += 17 + 8 + plen;
	sum = frame_sum16(udp, 8 + plen, sum);
	frame_wr16(udp + 6, cksum_of(sum) == 0 ? 0xffff : cksum_of(sum));
	f->payload_off = off + 8;
	f->payload_len = plen;
	f->len = off + 8 + plen;
	f->ipv6 = ipv6;
}

uint8_t *
ip_of(struct frame *f)
{
	return f->b + f->l3_off;
}

int
parse_l4(const struct frame *f, uint32_t len, struct dp_l4 *l4, enum cascade_drop *why)
{
	*why = CASCADE_DROP_MAX;
	return dp_parse_l4(f->b, len, l4, why);
}

void
assert_l4_drop(const struct frame *f, enum cascade_drop expect)
{
	struct dp_l4 l4;
	enum cascade_drop why;

	assert_int_equal(parse_l4(f, f->len, &l4, &why), -1);
	assert_int_equal(why, expect);
}

uint32_t
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

uint32_t
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

uint32_t
rtp_padded(uint8_t *b, struct rtp_layout *lay)
{
	struct rtp_opts o = {
		.version = 2, .pt = 100, .seq = 1, .ts = 2, .ssrc = 3, .payload_len = 20, .pad = 8};
	return build_rtp(b, &o, lay);
}

uint32_t
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

uint32_t
put_sr(uint8_t *b, uint32_t ssrc, uint8_t rc)
{
	uint32_t len = 28 + 24u * rc, i;

	b[0] = (uint8_t)(0x80 | rc);
	b[1] = 200;
	frame_wr16(b + 2, (uint16_t)(len / 4 - 1));
	frame_wr32(b + 4, ssrc);
	for (i = 8; i < len; i++)
		b[i] = (uint8_t)i;
	return len;
}

uint32_t
put_rr(uint8_t *b, uint32_t ssrc, uint8_t rc)
{
	uint32_t len = 8 + 24u * rc, i;

	b[0] = (uint8_t)(0x80 | rc);
	b[1] = 201;
	frame_wr16(b + 2, (uint16_t)(len / 4 - 1));
	frame_wr32(b + 4, ssrc);
	for (i = 8; i < len; i++)
		b[i] = (uint8_t)i;
	return len;
}

uint32_t
put_sdes(uint8_t *b, uint32_t ssrc)
{
	static const char cname[] = "cascade@198.18.0.1";
	uint32_t len = 4 + 4 + 2 + (uint32_t)strlen(cname) + 1;

	len = (len + 3) & ~3u;
	memset(b, 0, len);
	b[0] = 0x81;
	b[1] = 202;
	frame_wr16(b + 2, (uint16_t)(len / 4 - 1));
	frame_wr32(b + 4, ssrc);
	b[8] = 1; /* CNAME */
	b[9] = (uint8_t)strlen(cname);
	memcpy(b + 10, cname, strlen(cname));
	return len;
}

uint32_t
put_bye(uint8_t *b, uint32_t ssrc)
{
	b[0] = 0x81;
	b[1] = 203;
	frame_wr16(b + 2, 1);
	frame_wr32(b + 4, ssrc);
	return 8;
}

uint32_t
put_pli(uint8_t *b, uint32_t sender, uint32_t media)
{
	b[0] = 0x81;
	b[1] = 206;
	frame_wr16(b + 2, 2);
	frame_wr32(b + 4, sender);
	frame_wr32(b + 8, media);
	return 12;
}

uint32_t
rtcp_sr_sdes(uint8_t *b)
{
	uint32_t len = put_sr(b, 0x11223344, 1);

	return len + put_sdes(b + len, 0x11223344);
}

uint8_t *
exact_copy(const uint8_t *p, uint32_t n)
{
	uint8_t *c = malloc(n);

	assert_true(c != NULL || n == 0);
	if (n)
		memcpy(c, p, n);
	return c;
}
