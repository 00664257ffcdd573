/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-SSRC receive statistics, all in memory sized at start.
 *
 * Loss, duplicates and reordering use the probe's 64-bit sequence, which no hop rewrites:
 * a bitmap remembers the last PG_WIN_BITS sequences below the highest seen, so a repeat is a
 * duplicate, a new sequence below the highest is reordered, and
 * lost = (highest - lowest + 1) - distinct sequences seen. Loss before the first or after
 * the last packet received is invisible by construction. A packet older than the window is
 * counted as new ("late"); with 8192 sequences of window that takes a very deep reordering.
 *
 * Latency goes into a log-linear histogram (HDR-like): values below 64 ns are exact, above
 * that each power of two is split into 32 buckets, so a reported quantile is within about
 * 1.6% of the truth; 1024 counters per SSRC cover 68 s.
 *
 * Jitter is RFC 3550 A.8's estimator, J += (|D| - J) / 16, kept times 16 in an integer as the
 * RFC's sample code does, on transit = arrival (in timestamp units) - RTP timestamp. The
 * estimate is a 16-packet moving average, so the value at the end describes the end of the
 * run; the mean of the estimate over all packets is kept as well.
 *
 * Malformed packets (pg_rx.c) still count as packets of their SSRC, with their RTP sequence
 * and receive time, but their probe feeds loss, latency and jitter only when it was found
 * with the right magic and the UDP checksum did not fail; otherwise it may be garbage, and
 * its sequence shows as lost instead.
 *
 * Memory: about 9.5 KiB per SSRC (most of it the histogram). The table is allocated with
 * calloc() at start; the kernel backs only the pages of SSRCs that arrive, so a large
 * --max-ssrcs costs address space, not memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"

#define HIST_SUB (1u << PG_HIST_SUB_BITS)

int
pg_table_init(struct pg_ssrc_table *t, uint32_t max)
{
	uint32_t slots = 2;

	while (slots < 2 * max)
		slots <<= 1;
	t->entries = calloc(max, sizeof(*t->entries));
	t->index = calloc(slots, sizeof(*t->index));
	if (t->entries == NULL || t->index == NULL) {
		pg_table_fini(t);
		return -ENOMEM;
	}
	t->mask = slots - 1;
	t->cap = max;
	t->used = 0;
	t->overflow = 0;
	return 0;
}

void
pg_table_fini(struct pg_ssrc_table *t)
{
	free(t->entries);
	free(t->index);
	t->entries = NULL;
	t->index = NULL;
}

struct pg_ssrc *
pg_table_get(struct pg_ssrc_table *t, uint32_t ssrc)
{
	uint32_t h = (uint32_t)(ssrc * 2654435761u); /* Knuth's multiplicative hash */

	for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
		uint32_t e = t->index[i];
		if (e == 0)
			break;
		if (t->entries[e - 1].ssrc == ssrc)
			return &t->entries[e - 1];
		/* the index is at most half full, so an empty slot always ends the probe */
		if (((i + 1) & t->mask) == (h & t->mask))
			break;
	}
	if (t->used == t->cap) {
		t->overflow++;
		return NULL;
	}
	uint32_t i = h & t->mask;
	while (t->index[i] != 0)
		i = (i + 1) & t->mask;
	struct pg_ssrc *s = &t->entries[t->used];
	s->ssrc = ssrc;
	t->index[i] = t->used + 1;
	__atomic_store_n(&t->used, t->used + 1, __ATOMIC_RELAXED); /* read by the progress line */
	return s;
}

uint32_t
pg_hist_bucket(uint64_t v_ns)
{
	if (v_ns < 2 * HIST_SUB)
		return (uint32_t)v_ns;
	uint32_t msb = 63 - (uint32_t)__builtin_clzll(v_ns);
	uint32_t e = msb - PG_HIST_SUB_BITS;
	uint64_t b = (uint64_t)e * HIST_SUB + (v_ns >> e);
	return b < PG_HIST_BUCKETS ? (uint32_t)b : PG_HIST_BUCKETS - 1;
}

/* Lowest value and width of bucket b. */
static void
bucket_range(uint32_t b, uint64_t *low, uint64_t *width)
{
	if (b < 2 * HIST_SUB) {
		*low = b;
		*width = 1;
		return;
	}
	uint32_t e = b / HIST_SUB - 1;
	*low = (uint64_t)(b % HIST_SUB + HIST_SUB) << e;
	*width = 1ull << e;
}

uint64_t
pg_hist_quantile(const uint64_t *hist, uint64_t n, double q, uint64_t max_ns)
{
	if (n == 0)
		return 0;
	/* the rank of the quantile sample, 1-based, nearest-rank definition */
	uint64_t rank = (uint64_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (uint32_t b = 0; b < PG_HIST_BUCKETS; b++) {
		seen += hist[b];
		if (seen >= rank) {
			uint64_t low, width;
			bucket_range(b, &low, &width);
			uint64_t v = low + width / 2;
			return v < max_ns ? v : max_ns;
		}
	}
	return max_ns;
}

/* Track probe sequence seq; count duplicates and reordering. Returns false for a duplicate. */
static bool
track_seq(struct pg_ssrc *s, uint64_t seq)
{
	if (s->distinct == 0) {
		s->min_seq = s->max_seq = seq;
	} else if (seq > s->max_seq) {
		uint64_t d = seq - s->max_seq;
		if (d >= PG_WIN_BITS) {
			memset(s->win, 0, sizeof(s->win));
		} else {
			for (uint64_t q = s->max_seq + 1; q < seq; q++)
				s->win[(q / 64) % (PG_WIN_BITS / 64)] &= ~(1ull << (q % 64));
		}
		s->max_seq = seq;
	} else if (s->max_seq - seq < PG_WIN_BITS) {
		uint64_t *w = &s->win[(seq / 64) % (PG_WIN_BITS / 64)];
		if (*w & (1ull << (seq % 64))) {
			s->duplicates++;
			return false;
		}
		s->reordered++;
		if (seq < s->min_seq)
			s->min_seq = seq;
	} else {
		s->reordered++;
		s->late++;
		if (seq < s->min_seq)
			s->min_seq = seq;
		s->distinct++;
		return true;
	}
	s->win[(seq / 64) % (PG_WIN_BITS / 64)] |= 1ull << (seq % 64);
	s->distinct++;
	return true;
}

void
pg_ssrc_update(struct pg_ssrc *s, const struct pg_sample *p)
{
	if (s->packets == 0) {
		s->pt = p->pt;
		s->first_rtp_seq = p->rtp_seq;
		s->first_rx_ns = p->rx_ns;
	} else if (p->rtp_seq != (uint16_t)(s->last_rtp_seq + 1)) {
		s->seq_errors++;
	}
	s->last_rtp_seq = p->rtp_seq;
	s->last_rx_ns = p->rx_ns;
	s->packets++;
	s->bytes += p->bytes;
	if (unlikely(p->bad != 0)) {
		s->malformed++;
		for (uint32_t b = 0; b < PG_BAD_COUNT; b++)
			s->bad[b] += (p->bad >> b) & 1;
	}
	if (unlikely(!p->probe_ok))
		return; /* its probe sequence will show as lost */
	if (!s->has_probe) {
		s->stream = p->stream;
		s->has_probe = true;
	}
	s->probed++;
	track_seq(s, p->probe_seq);

	if (p->latency_ns < 0) {
		s->lat_negative++;
	} else {
		uint64_t l = (uint64_t)p->latency_ns;
		s->hist[pg_hist_bucket(l)]++;
		s->lat_count++;
		s->lat_sum_ns += l;
		if (l > s->lat_max_ns)
			s->lat_max_ns = l;
	}

	/* RFC 3550 A.8 */
	uint32_t transit = p->arrival_ts - p->rtp_ts;
	if (s->has_transit) {
		int32_t d = (int32_t)(transit - s->last_transit);
		uint32_t ad = (uint32_t)(d < 0 ? -(int64_t)d : d);
		s->jitter_x16 += ad - ((s->jitter_x16 + 8) >> 4);
	}
	s->last_transit = transit;
	s->has_transit = true;
	s->jitter_x16_sum += s->jitter_x16;
}

uint64_t
pg_ssrc_expected(const struct pg_ssrc *s)
{
	if (s->distinct == 0)
		return 0;
	uint64_t span = s->max_seq - s->min_seq;
	return span == UINT64_MAX ? UINT64_MAX : span + 1; /* only a forged probe gets there */
}

uint64_t
pg_ssrc_lost(const struct pg_ssrc *s)
{
	uint64_t expected = pg_ssrc_expected(s);
	return expected > s->distinct ? expected - s->distinct : 0;
}

double
pg_ssrc_loss_fraction(const struct pg_ssrc *s)
{
	uint64_t expected = pg_ssrc_expected(s);
	return expected != 0 ? (double)pg_ssrc_lost(s) / (double)expected : 0;
}
