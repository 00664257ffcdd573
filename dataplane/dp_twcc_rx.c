/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport-wide congestion control feedback for a sender (see dp_twcc_rx.h).
 */
#include <string.h>

#include "dp_bytes.h"
#include "dp_twcc_rx.h"

#define MASK (DP_TWCC_RING - 1)
#define TICK_US 250    /* holmer 3.1.5: receive deltas in 250 us */
#define REF_US 64000   /* holmer 3.1: reference time in 64 ms */
#define RUN_MAX 0x1fff /* holmer 3.1.3: 13-bit run length */
#define ONE_BIT_CAP 14 /* holmer 3.1.4: S=0, 14 one-bit symbols */
#define TWO_BIT_CAP 7  /* S=1, 7 two-bit symbols */
#define SYM_NONE 0     /* holmer 3.1.1: packet not received */
#define SYM_SMALL 1    /* received, small delta (1 byte) */
#define SYM_LARGE 2    /* received, large or negative delta (2 bytes) */
#define PT_RTPFB 205
#define FMT_TWCC 15

static inline uint32_t
slot(int64_t ext)
{
	return (uint32_t)((uint64_t)ext & MASK);
}

void
dp_twcc_rx_init(struct dp_twcc_rx *t)
{
	memset(t, 0, sizeof(*t));
}

static inline bool
unreported(const struct dp_twcc_rx *t, int64_t ext)
{
	return t->at_us[slot(ext)] != 0 && !t->reported[slot(ext)];
}

bool
dp_twcc_rx_record(struct dp_twcc_rx *t, uint16_t seq, uint64_t now_us, uint64_t back_window_us)
{
	int64_t ext, s;

	if (!t->started) {
		t->started = true;
		/* far from 0 so that numbers before the first stay positive */
		t->base = t->max = (int64_t)1 << 32 | seq;
		goto set;
	}
	ext = t->max + (int16_t)(uint16_t)(seq - (uint16_t)t->max);
	if (ext > t->max) {
		if (ext - t->max >= (int64_t)DP_TWCC_RING) {
			/* a jump past the ring: whatever waited is lost to the sender anyway */
			memset(t->at_us, 0, sizeof(t->at_us));
			memset(t->reported, 0, sizeof(t->reported));
			t->base = t->max = ext;
			goto set_ext;
		}
		/* the numbers in between are not received (yet); their slots held old ones */
		for (s = t->max + 1; s <= ext; s++) {
			t->at_us[slot(s)] = 0;
			t->reported[slot(s)] = 0;
		}
		t->max = ext;
		if (t->base < t->max - (int64_t)DP_TWCC_RING + 1)
			t->base = t->max - (int64_t)DP_TWCC_RING + 1; /* fell off unreported */
		goto set_ext;
	}
	if (ext <= t->max - (int64_t)DP_TWCC_RING) {
		t->too_late++;
		return false;
	}
	if (t->at_us[slot(ext)] != 0)
		return false; /* a duplicate (RTX of a packet received is a new number) */
	if (ext < t->base) {
		/* reordered behind a feedback: report it again with what followed, if recent */
		for (s = ext + 1; t->at_us[slot(s)] == 0; s++)
			; /* stops at max at the latest: it is received */
		if (now_us + 1 - t->at_us[slot(s)] > back_window_us) {
			t->too_late++;
			return false;
		}
		t->base = ext;
	}
set_ext:
	t->at_us[slot(ext)] = now_us + 1;
	t->reported[slot(ext)] = 0;
	return true;
set:
	t->at_us[slot(t->max)] = now_us + 1;
	t->reported[slot(t->max)] = 0;
	return true;
}

bool
dp_twcc_rx_pending(const struct dp_twcc_rx *t)
{
	int64_t s;

	if (!t->started)
		return false;
	for (s = t->base; s <= t->max; s++)
		if (unreported(t, s))
			return true;
	return false;
}

/*
 * The chunk being filled (libwebrtc's LastChunk): up to 14 symbols kept, or
 * a longer run of one symbol, counted.
 */
struct chunk {
	uint8_t sym[ONE_BIT_CAP];
	uint16_t n;
	bool all_same;
	bool has_large;
};

static bool
chunk_can_add(const struct chunk *c, uint8_t sym)
{
	if (c->n < TWO_BIT_CAP)
		return true;
	if (c->n < ONE_BIT_CAP && !c->has_large && sym != SYM_LARGE)
		return true;
	return c->n < RUN_MAX && c->all_same && c->sym[0] == sym;
}

static void
chunk_add(struct chunk *c, uint8_t sym)
{
	if (c->n == 0) {
		c->all_same = true;
		c->sym[0] = sym;
	} else if (sym != c->sym[0]) {
		c->all_same = false;
	}
	if (c->n < ONE_BIT_CAP)
		c->sym[c->n] = sym;
	c->has_large |= sym == SYM_LARGE;
	c->n++;
}

/* holmer 3.1.3: 0 | symbol (2) | run length (13). */
static uint16_t
run_length(const struct chunk *c)
{
	return (uint16_t)(c->sym[0] << 13 | c->n);
}

/* holmer 3.1.4: 1 | S=1 | 7 two-bit symbols, the first n of c's, the rest 0. */
static uint16_t
two_bit(const struct chunk *c, unsigned int n)
{
	uint16_t v = 0xc000;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (uint16_t)(c->sym[i] << (2 * (TWO_BIT_CAP - 1 - i)));
	return v;
}

/* holmer 3.1.4: 1 | S=0 | 14 one-bit symbols (no large delta among them). */
static uint16_t
one_bit(const struct chunk *c)
{
	uint16_t v = 0x8000;
	unsigned int i;

	for (i = 0; i < c->n; i++)
		v |= (uint16_t)((c->sym[i] & 1) << (ONE_BIT_CAP - 1 - i));
	return v;
}

/* A full chunk: what c holds, or its first 7 symbols (the rest stay). */
static uint16_t
chunk_emit(struct chunk *c)
{
	uint16_t v;
	unsigned int i, left;

	if (c->all_same) {
		v = run_length(c);
		c->n = 0;
		return v;
	}
	if (c->n == ONE_BIT_CAP) {
		v = one_bit(c);
		c->n = 0;
		return v;
	}
	v = two_bit(c, TWO_BIT_CAP); /* 7 <= n < 14 */
	left = c->n - TWO_BIT_CAP;
	c->n = 0;
	c->has_large = false;
	for (i = 0; i < left; i++)
		chunk_add(c, c->sym[TWO_BIT_CAP + i]);
	return v;
}

/* The last, partial chunk (n > 0). */
static uint16_t
chunk_last(const struct chunk *c)
{
	if (c->all_same)
		return run_length(c);
	if (c->n <= TWO_BIT_CAP)
		return two_bit(c, c->n);
	return one_bit(c);
}

/* What the feedback holds so far: restored to the last received packet when it must end. */
struct fb_state {
	struct chunk c;
	unsigned int n_chunks; /* chunks written */
	unsigned int n_deltas; /* delta bytes */
	unsigned int n_recv;
	int64_t end; /* the last number covered */
};

unsigned int
dp_twcc_rx_build(struct dp_twcc_rx *t, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t *out,
		 unsigned int cap, unsigned int *n_received)
{
	uint8_t deltas[2 * DP_TWCC_RING];
	struct fb_state st, good;
	int64_t s, first, ref, prev, units, d;
	unsigned int len, i;
	uint8_t sym;

	*n_received = 0;
	if (cap < 32 || !t->started)
		return 0;
	/* what a reordered packet left reported at the front needs no second word */
	while (t->base < t->max && t->at_us[slot(t->base)] != 0 && t->reported[slot(t->base)])
		t->base++;
	for (first = t->base; first <= t->max && !unreported(t, first); first++)
		;
	if (first > t->max)
		return 0;
	/* holmer 3.1: reference time of the first received, 64 ms units (24 bits, wraps) */
	ref = (int64_t)((t->at_us[slot(first)] - 1) / REF_US);
	prev = ref * (REF_US / TICK_US);
	memset(&st, 0, sizeof(st));
	st.end = t->base - 1;
	good = st;
	for (s = t->base; s <= t->max; s++) {
		sym = SYM_NONE;
		d = 0;
		if (unreported(t, s)) {
			units = (int64_t)((t->at_us[slot(s)] - 1) / TICK_US);
			d = units - prev;
			if (d >= 0 && d <= 0xff)
				sym = SYM_SMALL;
			else if (d >= INT16_MIN && d <= INT16_MAX)
				sym = SYM_LARGE;
			else
				break; /* holmer 3.1.5: does not fit; the next feedback starts here */
		}
		/* worst case: a chunk written, a new one, a 2-byte delta, 3 bytes of padding */
		if (DP_TWCC_FB_HDR_LEN + 2 * (st.n_chunks + 2) + st.n_deltas + 2 + 3 > cap)
			break;
		while (!chunk_can_add(&st.c, sym))
			wr16(out + DP_TWCC_FB_HDR_LEN + 2 * st.n_chunks++, chunk_emit(&st.c));
		chunk_add(&st.c, sym);
		st.end = s;
		if (sym == SYM_NONE)
			continue;
		prev += d;
		if (sym == SYM_SMALL) {
			deltas[st.n_deltas++] = (uint8_t)d;
		} else {
			wr16(deltas + st.n_deltas, (uint16_t)(int16_t)d);
			st.n_deltas += 2;
		}
		st.n_recv++;
		good = st;
	}
	/* end at the last received packet: the next feedback reports what follows */
	st = good;
	len = DP_TWCC_FB_HDR_LEN + 2 * st.n_chunks;
	wr16(out + len, chunk_last(&st.c));
	len += 2;
	memcpy(out + len, deltas, st.n_deltas);
	len += st.n_deltas;
	while (len % 4 != 0)
		out[len++] = 0; /* holmer 3.1: zero padding to 32 bits */
	/* RFC 4585 6.1: V=2, FMT, PT, length; sender and media source SSRCs */
	out[0] = 0x80 | FMT_TWCC;
	out[1] = PT_RTPFB;
	wr16(out + 2, (uint16_t)(len / 4 - 1));
	wr32(out + 4, sender_ssrc);
	wr32(out + 8, media_ssrc);
	/* holmer 3.1: base sequence number, status count, reference time, fb pkt count */
	wr16(out + 12, (uint16_t)t->base);
	wr16(out + 14, (uint16_t)(st.end - t->base + 1));
	wr32(out + 16, (uint32_t)((uint64_t)ref & 0xffffff) << 8 | t->fb_count);
	t->fb_count++;
	for (s = t->base, i = 0; s <= st.end; s++)
		if (unreported(t, s)) {
			t->reported[slot(s)] = 1;
			i++;
		}
	t->base = st.end + 1;
	*n_received = i;
	return len;
}
