/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receiver statistics of one RTP stream (see dp_rxstats.h), after RFC 3550
 * appendix A.1 (sequence), A.3 (loss) and A.8 (jitter).
 */
#include <string.h>

#include "dp_rxstats.h"

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000 /* RFC 3550 A.1 */
#define MAX_MISORDER 100

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
restart(struct dp_rxstats *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1;
	s->cycles = 0;
	s->received = 0;
	s->expected_prior = 0;
	s->received_prior = 0;
}

void
dp_rxstats_rtp(struct dp_rxstats *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_ns,
	       uint32_t clock_rate)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);
	/* arrival in the stream's clock (A.8), kept modulo 2^32 like the timestamps */
	uint32_t arrival = (uint32_t)((arrival_ns / 1000) * clock_rate / 1000000);
	int64_t transit, d;

	if (!s->started) {
		restart(s, seq); /* the first packet starts the stream */
		s->started = true;
	} else if (udelta < MAX_DROPOUT) {
		/* in order, with a permissible gap (A.1) */
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD; /* wrapped */
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* a very large jump: a restart if the next packet follows it (A.1) */
		if (seq == s->bad_seq) {
			restart(s, seq);
		} else {
			s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
			return;
		}
	}
	/* else a duplicate or reordered packet: counted as received (A.3) */
	s->received++;
	/* A.8: D(i-1, i) = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16, kept << 4 */
	transit = (int64_t)(int32_t)(arrival - rtp_ts);
	if (s->received > 1) {
		d = transit - s->transit;
		if (d < 0)
			d = -d;
		if (d > UINT32_MAX / 2)
			d = UINT32_MAX / 2; /* a timestamp jump is not jitter worth wrapping on */
		s->jitter16 += (uint32_t)d - ((s->jitter16 + 8) >> 4);
	}
	s->transit = transit;
}

void
dp_rxstats_sr(struct dp_rxstats *s, uint64_t ntp, uint64_t arrival_ns)
{
	/* RFC 3550 6.4.1: LSR is the middle 32 bits of the SR's 64-bit NTP time */
	s->lsr = (uint32_t)(ntp >> 16);
	s->lsr_arrival_ns = arrival_ns;
}

bool
dp_rxstats_report(struct dp_rxstats *s, uint32_t ssrc, uint64_t now_ns,
		  uint8_t out[DP_RTCP_RB_LEN])
{
	uint32_t ext_max, expected, exp_i, rec_i, fraction = 0, dlsr = 0;
	int64_t lost, lost_i;

	if (!s->started)
		return false;
	/* A.3 */
	ext_max = s->cycles + s->max_seq;
	expected = ext_max - s->base_seq + 1;
	lost = (int64_t)expected - (int64_t)s->received;
	if (lost > 0x7fffff)
		lost = 0x7fffff; /* clamped to 24 signed bits */
	else if (lost < -0x800000)
		lost = -0x800000;
	exp_i = expected - s->expected_prior;
	rec_i = s->received - s->received_prior;
	s->expected_prior = expected;
	s->received_prior = s->received;
	lost_i = (int64_t)exp_i - (int64_t)rec_i;
	if (exp_i != 0 && lost_i > 0)
		fraction = (uint32_t)((lost_i << 8) / exp_i);
	if (fraction > 255)
		fraction = 255;
	/* DLSR: since the last SR, in 1/65536 s (6.4.1) */
	if (s->lsr != 0 && now_ns > s->lsr_arrival_ns)
		dlsr = (uint32_t)((now_ns - s->lsr_arrival_ns) * 65536 / 1000000000ull);
	wr32(out, ssrc);
	wr32(out + 4, fraction << 24 | ((uint32_t)lost & 0xffffff));
	wr32(out + 8, ext_max);
	wr32(out + 12, s->jitter16 >> 4);
	wr32(out + 16, s->lsr);
	wr32(out + 20, s->lsr != 0 ? dlsr : 0);
	return true;
}
