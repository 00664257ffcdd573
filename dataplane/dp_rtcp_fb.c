/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading RTCP reports and feedback (see dp_rtcp_fb.h). The compound's
 * structure was checked by dp_parse_rtcp(); here each packet of a known type
 * is checked against its own counts before its fields are read, with the RFC
 * section at the check, and every multi-byte field is read byte by byte (the
 * buffer lies at any offset of an mbuf).
 */
#include <stddef.h>
#include <string.h>

#include "dp_bytes.h"
#include "dp_rtcp_fb.h"

#define HDR_LEN 4      /* RFC 3550 6.4.1: V, P, RC/FMT, PT, length */
#define SR_INFO_LEN 20 /* NTP 8, RTP timestamp 4, packet count 4, octet count 4 */
#define RB_LEN 24
#define FB_LEN 12 /* RFC 4585 6.1: header, sender SSRC, media source SSRC */
#define REMB_MAGIC 0x52454d42u /* "REMB" */

/* RFC 3550 6.4.1: report blocks, rc of them, at p (checked to fit by the caller). */
static void
reports(const uint8_t *p, unsigned int rc, uint32_t sender,
	void (*fn)(void *, const struct dp_rtcp_item *), void *ctx)
{
	struct dp_rtcp_item it;
	unsigned int i;

	for (i = 0; i < rc; i++, p += RB_LEN) {
		memset(&it, 0, sizeof(it));
		it.kind = DP_RTCP_REPORT;
		it.sender = sender;
		it.media = rd32(p);
		it.u.rb.source = it.media;
		it.u.rb.fraction_lost = p[4];
		/* 24-bit two's complement (RFC 3550 6.4.1: "signed") */
		it.u.rb.cum_lost = (int32_t)((rd32(p + 4) & 0xffffff) ^ 0x800000) - 0x800000;
		it.u.rb.ext_max_seq = rd32(p + 8);
		it.u.rb.jitter = rd32(p + 12);
		it.u.rb.lsr = rd32(p + 16);
		it.u.rb.dlsr = rd32(p + 20);
		fn(ctx, &it);
	}
}

/* One packet of the compound: p[0..body) without its padding. -1 when too short. */
static int
one(const uint8_t *p, uint32_t body, void (*fn)(void *, const struct dp_rtcp_item *), void *ctx)
{
	unsigned int cnt = p[0] & 0x1f, pt = p[1], i;
	struct dp_rtcp_item it;
	uint32_t sender;

	memset(&it, 0, sizeof(it));
	switch (pt) {
	case DP_RTCP_PT_SR:
		/* RFC 3550 6.4.1: SSRC, sender info, RC report blocks */
		if (body < HDR_LEN + 4 + SR_INFO_LEN + RB_LEN * cnt)
			return -1;
		sender = rd32(p + 4);
		it.kind = DP_RTCP_SENDER_INFO;
		it.sender = sender;
		it.u.si.ntp = (uint64_t)rd32(p + 8) << 32 | rd32(p + 12);
		it.u.si.rtp_ts = rd32(p + 16);
		it.u.si.packets = rd32(p + 20);
		it.u.si.octets = rd32(p + 24);
		fn(ctx, &it);
		reports(p + 28, cnt, sender, fn, ctx);
		return 0;
	case DP_RTCP_PT_RR:
		/* RFC 3550 6.4.2: SSRC, RC report blocks */
		if (body < HDR_LEN + 4 + RB_LEN * cnt)
			return -1;
		reports(p + 8, cnt, rd32(p + 4), fn, ctx);
		return 0;
	case DP_RTCP_PT_RTPFB:
	case DP_RTCP_PT_PSFB:
		/* RFC 4585 6.1: every feedback message has both SSRCs */
		if (body < FB_LEN)
			return -1;
		it.sender = rd32(p + 4);
		it.media = rd32(p + 8);
		break;
	default:
		return 0; /* SDES, BYE, APP, XR, ...: not ours to read */
	}
	if (pt == DP_RTCP_PT_RTPFB && cnt == DP_RTCP_FMT_NACK) {
		/* RFC 4585 6.2.1: one or more 4-byte entries (PID, BLP) */
		if (body == FB_LEN || (body - FB_LEN) % 4 != 0)
			return -1;
		it.kind = DP_RTCP_NACK;
		for (i = FB_LEN; i < body; i += 4) {
			it.u.nack.pid = rd16(p + i);
			it.u.nack.blp = rd16(p + i + 2);
			fn(ctx, &it);
		}
	} else if (pt == DP_RTCP_PT_RTPFB && cnt == DP_RTCP_FMT_TWCC) {
		/* holmer 3.1: base seq 2, status count 2, reference time 3, fb count 1, ... */
		if (body < FB_LEN + 8)
			return -1;
		it.kind = DP_RTCP_TWCC;
		it.u.twcc.fci = p + FB_LEN;
		it.u.twcc.len = (uint16_t)(body - FB_LEN);
		fn(ctx, &it);
	} else if (pt == DP_RTCP_PT_PSFB && cnt == DP_RTCP_FMT_PLI) {
		/* RFC 4585 6.3.1: no FCI */
		it.kind = DP_RTCP_PLI;
		fn(ctx, &it);
	} else if (pt == DP_RTCP_PT_PSFB && cnt == DP_RTCP_FMT_FIR) {
		/* RFC 5104 4.3.1.1: 8-byte entries (SSRC, seq nr, 3 reserved); media SSRC 0 */
		if (body == FB_LEN || (body - FB_LEN) % 8 != 0)
			return -1;
		it.kind = DP_RTCP_FIR;
		for (i = FB_LEN; i < body; i += 8) {
			it.media = rd32(p + i);
			it.u.fir.seq = p[i + 4];
			fn(ctx, &it);
		}
	} else if (pt == DP_RTCP_PT_PSFB && cnt == DP_RTCP_FMT_AFB && body >= FB_LEN + 4 &&
		   rd32(p + FB_LEN) == REMB_MAGIC) {
		/* remb 2.2: "REMB", num SSRC 8, BR exp 6, BR mantissa 18, the SSRCs */
		unsigned int n, exp;
		uint64_t mant;

		if (body < FB_LEN + 8)
			return -1;
		n = p[FB_LEN + 4];
		if (body < FB_LEN + 8 + 4u * n)
			return -1;
		exp = p[FB_LEN + 5] >> 2;
		mant = (uint64_t)(p[FB_LEN + 5] & 3) << 16 | rd16(p + FB_LEN + 6);
		it.kind = DP_RTCP_REMB;
		it.media = 0;
		/* 18 bits shifted by up to 63: saturate rather than wrap */
		it.u.remb.bitrate_bps = exp > 46 && (mant >> (64 - exp)) != 0 ? UINT64_MAX
									       : mant << exp;
		it.u.remb.n_ssrcs = (uint8_t)n;
		it.u.remb.ssrcs = p + FB_LEN + 8;
		fn(ctx, &it);
	}
	return 0;
}

int
dp_rtcp_walk(const uint8_t *p, uint32_t len,
	     void (*fn)(void *ctx, const struct dp_rtcp_item *item), void *ctx,
	     enum cascade_drop *why)
{
	uint32_t off = 0, pkt_len, body;

	while (len - off >= HDR_LEN) {
		/* RFC 3550 6.4.1: length is the packet's 32-bit words minus one */
		pkt_len = 4u * ((uint32_t)rd16(p + off + 2) + 1);
		if (pkt_len > len - off)
			goto trunc; /* dp_parse_rtcp() refuses these: defence in depth */
		body = pkt_len;
		/* RFC 3550 A.2: padding on the last packet only; its last byte counts it */
		if ((p[off] & 0x20) && off + pkt_len == len) {
			if (p[len - 1] > pkt_len - HDR_LEN)
				goto trunc;
			body -= p[len - 1];
		}
		if (one(p + off, body, fn, ctx) < 0)
			goto trunc;
		off += pkt_len;
	}
	return 0;
trunc:
	*why = CASCADE_DROP_RTCP_TRUNC;
	return -1;
}

/*
 * holmer 3.1.3-3.1.4: the symbol of the i-th status a chunk holds, and how
 * many it holds (n of a run, 14 or 7 of a vector). -1: reserved symbol.
 */
static int
chunk_sym(uint16_t c, unsigned int i)
{
	int sym;

	if (!(c & 0x8000))
		sym = (c >> 13) & 3; /* run length: T=0, symbol, 13-bit length */
	else if (!(c & 0x4000))
		sym = (c >> (13 - i)) & 1; /* one-bit vector */
	else
		sym = (c >> (2 * (6 - i))) & 3; /* two-bit vector */
	return sym == 3 ? -1 : sym;
}

static unsigned int
chunk_n(uint16_t c)
{
	if (!(c & 0x8000))
		return c & 0x1fff;
	return c & 0x4000 ? 7 : 14;
}

int
dp_rtcp_twcc_read(const uint8_t *fci, uint16_t len, struct dp_twcc_fb *fb,
		  void (*fn)(void *ctx, uint16_t seq, bool received, int32_t delta), void *ctx)
{
	unsigned int off, d_off, left, n, i, pass;
	uint16_t c, seq;
	int sym;

	if (len < 8)
		return -1;
	fb->base = rd16(fci);
	fb->count = rd16(fci + 2);
	/* 24-bit two's complement */
	fb->ref_64ms = (int32_t)((rd32(fci + 4) >> 8) ^ 0x800000) - 0x800000;
	fb->fb_count = fci[7];
	d_off = 0;
	/* pass 0 checks everything and finds the deltas; pass 1 reports */
	for (pass = 0; pass < 2; pass++) {
		unsigned int dp = d_off;

		off = 8;
		left = fb->count;
		seq = fb->base;
		while (left > 0) {
			if (off + 2 > len)
				return -1;
			c = rd16(fci + off);
			off += 2;
			n = chunk_n(c);
			if (n == 0)
				return -1; /* a run of nothing says no packet: malformed */
			for (i = 0; i < n && left > 0; i++, left--, seq++) {
				int32_t delta = 0;

				sym = chunk_sym(c, (c & 0x8000) ? i : 0);
				if (sym < 0)
					return -1;
				if (pass == 0) {
					d_off += (unsigned int)sym; /* 0, 1 or 2 bytes */
					continue;
				}
				if (sym == 1)
					delta = fci[dp++];
				else if (sym == 2) {
					delta = (int16_t)rd16(fci + dp);
					dp += 2;
				}
				if (fn != NULL)
					fn(ctx, seq, sym != 0, delta);
			}
		}
		if (pass == 0) {
			if (d_off + off > len)
				return -1; /* deltas past the end */
			d_off = off;
			/* next pass: d_off is where the deltas begin */
			continue;
		}
	}
	return 0;
}

unsigned int
dp_rtcp_nack_seqs(uint16_t pid, uint16_t blp, uint16_t out[17])
{
	unsigned int n = 0, i;

	out[n++] = pid;
	for (i = 0; i < 16; i++)
		if (blp & (1u << i))
			out[n++] = (uint16_t)(pid + i + 1);
	return n;
}

int64_t
dp_rtcp_rtt_us(uint32_t sent_mid, uint64_t sent_tsc, uint64_t arrival_tsc, uint64_t tsc_hz,
	       uint32_t lsr, uint32_t dlsr)
{
	uint64_t elapsed, elapsed_us, dlsr_us;

	/* RFC 3550 6.4.1: LSR 0 means no SR has been received */
	if (lsr == 0 || sent_tsc == 0 || lsr != sent_mid || arrival_tsc < sent_tsc || tsc_hz == 0)
		return -1;
	elapsed = arrival_tsc - sent_tsc;
	/* in two parts, so a long gap times 10^6 cannot overflow */
	elapsed_us = elapsed / tsc_hz * 1000000u + elapsed % tsc_hz * 1000000u / tsc_hz;
	dlsr_us = (uint64_t)dlsr * 1000000u / 65536u;
	if (dlsr_us > elapsed_us)
		return -1;
	return (int64_t)(elapsed_us - dlsr_us);
}
