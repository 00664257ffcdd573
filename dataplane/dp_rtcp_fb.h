/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP reports and feedback, read: a walk over a compound packet that
 * dp_parse_rtcp() has validated (versions, lengths summing to the datagram,
 * padding on the last packet only) which hands each item it understands to a
 * callback, one call per item: a sender's info, each report block, a PLI, each
 * FIR entry, each generic NACK entry, a REMB, a transport-cc feedback. What it
 * does not know (SDES, BYE, APP, XR, other feedback formats) is skipped;
 * a known packet too short for what its header announces stops the walk with
 * a named reason.
 *
 * Formats: RFC 3550 6.4.1-6.4.2 (SR, RR, report blocks), RFC 4585 6.1-6.3
 * (feedback header, generic NACK, PLI), RFC 5104 4.3.1 (FIR),
 * draft-alvestrand-rmcat-remb-03 2.2 (REMB),
 * draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1 (transport-cc).
 *
 * Leaf module: libc and include/cascade/ only; no state, any thread.
 */
#ifndef DP_RTCP_FB_H
#define DP_RTCP_FB_H

#include <stdbool.h>
#include <stdint.h>

#include <cascade/counters.h>

#define DP_RTCP_PT_SR 200
#define DP_RTCP_PT_RR 201
#define DP_RTCP_PT_RTPFB 205 /* RFC 4585 6.1: transport layer feedback */
#define DP_RTCP_PT_PSFB 206  /* RFC 4585 6.1: payload-specific feedback */
#define DP_RTCP_FMT_NACK 1   /* RTPFB: generic NACK */
#define DP_RTCP_FMT_TWCC 15  /* RTPFB: transport-wide congestion control */
#define DP_RTCP_FMT_PLI 1    /* PSFB */
#define DP_RTCP_FMT_FIR 4    /* PSFB */
#define DP_RTCP_FMT_AFB 15   /* PSFB: application layer feedback (REMB) */

enum dp_rtcp_kind {
	DP_RTCP_SENDER_INFO = 1, /* an SR's sender info */
	DP_RTCP_REPORT,          /* one report block of an SR or RR */
	DP_RTCP_PLI,
	DP_RTCP_FIR,  /* one FIR entry */
	DP_RTCP_NACK, /* one generic NACK entry (PID and BLP: up to 17 lost packets) */
	DP_RTCP_REMB,
	DP_RTCP_TWCC, /* a transport-cc feedback: the FCI, parsed by its reader */
};

/* RFC 3550 6.4.1: one report block. */
struct dp_rtcp_report {
	uint32_t source;       /* the SSRC reported on */
	uint8_t fraction_lost; /* fixed point, /256 */
	int32_t cum_lost;      /* 24-bit signed, sign-extended */
	uint32_t ext_max_seq;
	uint32_t jitter; /* RTP timestamp units */
	uint32_t lsr;    /* middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;   /* 1/65536 s */
};

/* RFC 3550 6.4.1: an SR's sender info. */
struct dp_rtcp_sender {
	uint64_t ntp;
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
};

/* One item of a compound packet. */
struct dp_rtcp_item {
	enum dp_rtcp_kind kind;
	uint32_t sender; /* the packet's sender SSRC (an SR's or RR's own, a feedback's) */
	/*
	 * The SSRC the item is about: a report's source, a PLI's or NACK's or
	 * transport-cc's media source, a FIR entry's target; 0 for sender info and
	 * REMB (whose SSRCs are in remb).
	 */
	uint32_t media;
	union {
		struct dp_rtcp_sender si;
		struct dp_rtcp_report rb;
		struct {
			uint8_t seq; /* RFC 5104 4.3.1.1: a new request has a new number */
		} fir;
		struct {
			uint16_t pid; /* lost packet */
			uint16_t blp; /* bit i set: pid + i + 1 lost too */
		} nack;
		struct {
			uint64_t bitrate_bps; /* mantissa << exp, saturated */
			uint8_t n_ssrcs;
			const uint8_t *ssrcs; /* n_ssrcs SSRCs, network order, 4 bytes each */
		} remb;
		struct {
			const uint8_t *fci; /* from the base sequence number on */
			uint16_t len;
		} twcc;
	} u;
};

/*
 * Walk the compound packet p[0..len) (already valid by dp_parse_rtcp()) and
 * call fn(ctx, item) for each item listed above, in order. Returns 0, or -1
 * with *why (CASCADE_DROP_RTCP_TRUNC) when a known packet is shorter than its
 * counts announce; items before it were delivered.
 */
int dp_rtcp_walk(const uint8_t *p, uint32_t len,
		 void (*fn)(void *ctx, const struct dp_rtcp_item *item), void *ctx,
		 enum cascade_drop *why);

/*
 * The sequence numbers one NACK entry reports lost (RFC 4585 6.2.1: pid, then
 * pid + i + 1 for each bit i of blp, LSB first), in out; returns how many
 * (1..17).
 */
unsigned int dp_rtcp_nack_seqs(uint16_t pid, uint16_t blp, uint16_t out[17]);

/* holmer 3.1: a transport-cc feedback's fixed part. */
struct dp_twcc_fb {
	uint16_t base;	   /* base sequence number */
	uint16_t count;	   /* packet status count */
	int32_t ref_64ms;  /* reference time, 24-bit signed, sign-extended */
	uint8_t fb_count;  /* feedback packet count */
};

/*
 * Read a transport-cc FCI (it.u.twcc of DP_RTCP_TWCC: fci[0..len)): its
 * fixed part into *fb, then fn(ctx, seq, received, delta) for each of the
 * count packets in order, delta in 250 us units (holmer 3.1.5) when received.
 * The chunks (run-length, one-bit and two-bit vectors, 3.1.3-3.1.4) are
 * walked twice, to find where the deltas begin without a buffer. Returns 0,
 * or -1 when the chunks or deltas run past len or a reserved symbol (11)
 * appears (no call is made then). fn may be NULL (a check only). Pure, any
 * thread.
 */
int dp_rtcp_twcc_read(const uint8_t *fci, uint16_t len, struct dp_twcc_fb *fb,
		      void (*fn)(void *ctx, uint16_t seq, bool received, int32_t delta),
		      void *ctx);

/* RFC 3550 6.4.1: the middle 32 bits of a 64-bit NTP timestamp (what LSR echoes). */
static inline uint32_t
dp_ntp_mid(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/*
 * The round trip a report block measures (RFC 3550 6.4.1, A - LSR - DLSR),
 * for an SR whose NTP middle was sent_mid, sent at sent_tsc: the report
 * arrived at arrival_tsc (TSC at tsc_hz) and says lsr and dlsr (1/65536 s).
 * No clock is shared with the receiver: A - LSR is the time since the SR went,
 * on this host's clock. Returns the round trip in microseconds, or -1 when the
 * report measures none: LSR 0 (no SR received yet), an LSR that is not the SR
 * sent (an older one; sent_tsc 0: none sent), or a DLSR longer than the time
 * since it was sent (a bogus or reordered report). Pure, any thread.
 */
int64_t dp_rtcp_rtt_us(uint32_t sent_mid, uint64_t sent_tsc, uint64_t arrival_tsc, uint64_t tsc_hz,
		       uint32_t lsr, uint32_t dlsr);

#endif /* DP_RTCP_FB_H */
