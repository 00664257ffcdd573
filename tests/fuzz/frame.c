/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames for the dataplane's tests (see frame.h).
 */
#include <string.h>

#include "frame.h"

void
frame_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
frame_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint16_t
frame_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
frame_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint32_t
frame_sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

uint16_t
frame_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint32_t
frame_udp_sum(uint8_t family, const uint8_t *src_ip, const uint8_t *dst_ip, const uint8_t *udp,
	      uint16_t udp_len)
{
	size_t iplen = family == CASCADE_AF_INET ? 4 : 16;
	uint32_t sum = 0;

	sum = frame_sum16(src_ip, iplen, sum);
	sum = frame_sum16(dst_ip, iplen, sum);
	sum += 17; /* the protocol, UDP */
	sum += udp_len;
	return frame_sum16(udp, udp_len, sum);
}

uint32_t
frame_build(uint8_t *buf, uint32_t cap, const struct frame_spec *s, const uint8_t *payload,
	    uint16_t len)
{
	bool v4 = s->src.family == CASCADE_AF_INET;
	uint32_t l2 = s->vlan >= 0 ? 18 : 14, l3 = v4 ? 20 : 40, udp_len = 8u + len;
	uint32_t total = l2 + l3 + udp_len + s->eth_pad;
	uint8_t *ip = buf + l2, *udp = ip + l3;
	uint16_t ck;

	if (total > cap || udp_len > UINT16_MAX - l3)
		return 0;
	memset(buf, 0, l2 + l3 + 8);
	memcpy(buf, s->dst_mac, 6);
	memcpy(buf + 6, s->src_mac, 6);
	if (s->vlan >= 0) {
		frame_wr16(buf + 12, 0x8100);
		frame_wr16(buf + 14, (uint16_t)s->vlan);
		frame_wr16(buf + 16, v4 ? 0x0800 : 0x86dd);
	} else {
		frame_wr16(buf + 12, v4 ? 0x0800 : 0x86dd);
	}
	if (v4) {
		ip[0] = 0x45;
		frame_wr16(ip + 2, (uint16_t)(l3 + udp_len));
		frame_wr16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, s->src.ip, 4);
		memcpy(ip + 16, s->dst.ip, 4);
		frame_wr16(ip + 10, (uint16_t)~frame_fold(frame_sum16(ip, 20, 0)));
	} else {
		ip[0] = 0x60;
		frame_wr16(ip + 4, (uint16_t)udp_len);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, s->src.ip, 16);
		memcpy(ip + 24, s->dst.ip, 16);
	}
	memcpy(udp, &s->src.port_be, 2);
	memcpy(udp + 2, &s->dst.port_be, 2);
	frame_wr16(udp + 4, (uint16_t)udp_len);
	memcpy(udp + 8, payload, len);
	if (!(v4 && s->no_cksum)) {
		ck = (uint16_t)~frame_fold(
			frame_udp_sum(s->src.family, s->src.ip, s->dst.ip, udp, (uint16_t)udp_len));
		frame_wr16(udp + 6, ck == 0 ? 0xffff : ck);
	}
	memset(udp + udp_len, 0, s->eth_pad);
	return total;
}

uint16_t
frame_rtp(uint8_t *p, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc, uint16_t payload_len)
{
	uint16_t i;

	p[0] = 0x80;
	p[1] = pt;
	frame_wr16(p + 2, seq);
	frame_wr32(p + 4, ts);
	frame_wr32(p + 8, ssrc);
	for (i = 0; i < payload_len; i++)
		p[12 + i] = (uint8_t)(seq + i);
	return (uint16_t)(12 + payload_len);
}

uint16_t
frame_rr(uint8_t *p, uint32_t ssrc)
{
	p[0] = 0x80; /* V=2, RC=0 */
	p[1] = 201;
	frame_wr16(p + 2, 1);
	frame_wr32(p + 4, ssrc);
	return 8;
}

uint16_t
frame_sr_compound(uint8_t *p, uint32_t ssrc, uint32_t rtp_ts)
{
	uint16_t i;

	/* RFC 3550 6.4.1: SR with one report block: 28 + 24 bytes, length 12 words - 1 */
	p[0] = 0x81;
	p[1] = 200;
	frame_wr16(p + 2, 12);
	frame_wr32(p + 4, ssrc);
	frame_wr32(p + 8, 0xe1000000u);  /* NTP seconds */
	frame_wr32(p + 12, 0x80000000u); /* NTP fraction */
	frame_wr32(p + 16, rtp_ts);
	frame_wr32(p + 20, 7);
	frame_wr32(p + 24, 7000);
	for (i = 28; i < 52; i++)
		p[i] = (uint8_t)(0xa0 + i); /* the report block */
	/* RFC 3550 6.5: SDES with one chunk: CNAME "ab", then the end, padded to 4 */
	p[52] = 0x81;
	p[53] = 202;
	frame_wr16(p + 54, 2);
	frame_wr32(p + 56, ssrc);
	p[60] = 1;
	p[61] = 2;
	p[62] = 'a';
	p[63] = 'b';
	return 64;
}
