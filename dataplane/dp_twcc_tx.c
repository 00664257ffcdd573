/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport-wide congestion control towards a receiver (see dp_twcc_tx.h).
 */
#include <math.h>
#include <string.h>

#include "dp_bytes.h"
#include "dp_twcc_tx.h"

/* holmer 3.1.1: status symbols */
enum {
	SYM_NONE = 0,
	SYM_SMALL = 1,
	SYM_LARGE = 2,
	SYM_RESERVED = 3
};

#define DELTA_US 250         /* holmer 3.1.5: deltas are multiples of 250 us */
#define REF_US 64000         /* holmer 3.1: reference time, multiples of 64 ms */
#define BURST_US 5000        /* gcc 5.2: packets sent within 5 ms are one group */
#define ACK_WINDOW_US 500000 /* acknowledged bitrate: at least this much arrival time */
#define TREND_SMOOTHING 0.9
#define TREND_GAIN 4.0
#define TREND_MAX_DELTAS 60
#define THRESHOLD_START_MS 12.5
#define THRESHOLD_MIN_MS 6.0
#define THRESHOLD_MAX_MS 600.0
#define K_UP 0.0087
#define K_DOWN 0.039
#define MAX_ADAPT_OFFSET_MS 15.0
#define OVERUSE_TIME_MS 10.0
#define BETA 0.85              /* gcc 5.5: decrease to beta x acknowledged */
#define DECREASE_GAP_US 300000 /* one decrease per round of feedback, about an RTT */
#define ETA_PER_S 1.08         /* gcc 5.5: +8 % a second */
#define ACKED_HEADROOM 1.5     /* gcc 5.5: never above 1.5 x acknowledged */

/*
 * Walk the status chunks of fci[8..len) for count packets; per packet call
 * sym_fn(ctx, index, symbol). Returns the offset after the last chunk, or 0
 * with *err set (a chunk past len, a reserved symbol, an empty run). holmer
 * 3.1.2-3.1.4: a chunk's symbols past the status count are padding.
 */
static uint32_t
walk_chunks(const uint8_t *fci, uint32_t len, uint32_t count, enum dp_twcc_err *err,
	    void (*sym_fn)(void *ctx, uint32_t i, unsigned int sym), void *ctx)
{
	uint32_t pos = 8, i = 0;

	while (i < count) {
		uint16_t c;

		if (pos + 2 > len) {
			*err = DP_TWCC_SHORT;
			return 0;
		}
		c = rd16(fci + pos);
		pos += 2;
		if (!(c & 0x8000)) { /* 3.1.3 run length: 0 | symbol (2) | run (13) */
			unsigned int sym = (c >> 13) & 3;
			uint32_t run = c & 0x1fff;

			if (run == 0) {
				*err = DP_TWCC_RUN_ZERO;
				return 0;
			}
			if (sym == SYM_RESERVED) {
				*err = DP_TWCC_RESERVED;
				return 0;
			}
			for (uint32_t k = 0; k < run && i < count; k++, i++)
				if (sym_fn)
					sym_fn(ctx, i, sym);
		} else if (!(c & 0x4000)) { /* 3.1.4 vector, 14 x 1 bit */
			for (int b = 13; b >= 0 && i < count; b--, i++)
				if (sym_fn)
					sym_fn(ctx, i, (c >> b) & 1);
		} else { /* 3.1.4 vector, 7 x 2 bits */
			for (int b = 12; b >= 0 && i < count; b -= 2, i++) {
				unsigned int sym = (c >> b) & 3;

				if (sym == SYM_RESERVED) {
					*err = DP_TWCC_RESERVED;
					return 0;
				}
				if (sym_fn)
					sym_fn(ctx, i, sym);
			}
		}
	}
	return pos;
}

struct delta_bytes {
	uint32_t n;
};

static void
count_delta(void *ctx, uint32_t i, unsigned int sym)
{
	struct delta_bytes *d = ctx;

	(void)i;
	d->n += sym == SYM_SMALL ? 1 : sym == SYM_LARGE ? 2 : 0;
}

struct deliver {
	const uint8_t *fci;
	uint32_t dpos;
	uint16_t base;
	int64_t arrival_us;
	void (*fn)(void *ctx, uint16_t seq, bool received, int64_t arrival_us);
	void *ctx;
};

static void
deliver_one(void *ctx, uint32_t i, unsigned int sym)
{
	struct deliver *d = ctx;
	uint16_t seq = (uint16_t)(d->base + i);

	if (sym == SYM_NONE) {
		d->fn(d->ctx, seq, false, 0);
		return;
	}
	if (sym == SYM_SMALL) { /* 3.1.5: uint8 */
		d->arrival_us += (int64_t)d->fci[d->dpos] * DELTA_US;
		d->dpos += 1;
	} else { /* 3.1.5: int16, may be negative (reordering) */
		d->arrival_us += (int64_t)(int16_t)rd16(d->fci + d->dpos) * DELTA_US;
		d->dpos += 2;
	}
	d->fn(d->ctx, seq, true, d->arrival_us);
}

enum dp_twcc_err
dp_twcc_parse(const uint8_t *fci, uint32_t len, struct dp_twcc_fb_hdr *h,
	      void (*fn)(void *ctx, uint16_t seq, bool received, int64_t arrival_us), void *ctx)
{
	enum dp_twcc_err err = DP_TWCC_OK;
	struct dp_twcc_fb_hdr hd;
	struct delta_bytes db = {0};
	uint32_t end;

	if (len < 8) /* 3.1: base seq 16, count 16, reference time 24, fb count 8 */
		return DP_TWCC_SHORT;
	hd.base_seq = rd16(fci);
	hd.status_count = rd16(fci + 2);
	hd.ref_time = (int32_t)(rd32(fci + 4) >> 8);
	if (hd.ref_time & 0x800000)
		hd.ref_time -= 0x1000000; /* 24-bit signed */
	hd.fb_count = fci[7];
	if (hd.status_count == 0)
		return DP_TWCC_EMPTY;
	end = walk_chunks(fci, len, hd.status_count, &err, count_delta, &db);
	if (end == 0)
		return err;
	if (end + db.n > len)
		return DP_TWCC_SHORT;
	if (h)
		*h = hd;
	if (fn) {
		struct deliver d = {
			.fci = fci,
			.dpos = end,
			.base = hd.base_seq,
			.arrival_us = (int64_t)hd.ref_time * REF_US,
			.fn = fn,
			.ctx = ctx,
		};

		walk_chunks(fci, len, hd.status_count, &err, deliver_one, &d);
	}
	return DP_TWCC_OK;
}

void
dp_twcc_init(struct dp_twcc_tx *t, uint64_t start_bps)
{
	memset(t, 0, sizeof(*t));
	if (start_bps == 0)
		start_bps = DP_TWCC_START_BPS;
	t->delay_bps = (double)start_bps;
	t->loss_bps = (double)start_bps;
	t->threshold_ms = THRESHOLD_START_MS;
	t->overusing_ms = -1;
	atomic_store_explicit(&t->estimate_bps, start_bps, memory_order_relaxed);
}

/* The send record of seq, if the history still has it: reader side of dp_twcc_stamp's lock. */
static bool
lookup(struct dp_twcc_tx *t, uint16_t seq, uint32_t *size, int64_t *send_us)
{
	struct dp_twcc_sent *s = &t->sent[seq % DP_TWCC_HIST];
	uint32_t tag = atomic_load_explicit(&s->tag, memory_order_acquire);

	if (tag != (seq | DP_TWCC_VALID))
		return false;
	*size = s->size;
	*send_us = (int64_t)s->send_us;
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&s->tag, memory_order_relaxed) == tag;
}

/* Least-squares slope of the trendline's points (libwebrtc LinearFitSlope). */
static double
trend_slope(const struct dp_twcc_tx *t)
{
	double sx = 0, sy = 0, num = 0, den = 0;
	uint32_t n = t->trend_n;

	for (uint32_t k = 0; k < n; k++) {
		sx += t->trend_x[k];
		sy += t->trend_y[k];
	}
	sx /= n;
	sy /= n;
	for (uint32_t k = 0; k < n; k++) {
		num += (t->trend_x[k] - sx) * (t->trend_y[k] - sy);
		den += (t->trend_x[k] - sx) * (t->trend_x[k] - sx);
	}
	return den == 0 ? 0 : num / den;
}

/* gcc 5.4: the adaptive threshold follows |trend| (slowly up, faster down). */
static void
threshold_update(struct dp_twcc_tx *t, double trend, int64_t now_us)
{
	double dt_ms, k;

	if (t->last_threshold_us == 0)
		t->last_threshold_us = now_us;
	if (fabs(trend) > t->threshold_ms + MAX_ADAPT_OFFSET_MS) {
		t->last_threshold_us = now_us; /* a spike: do not let it drag the threshold */
		return;
	}
	k = fabs(trend) < t->threshold_ms ? K_DOWN : K_UP;
	dt_ms = (double)(now_us - t->last_threshold_us) / 1000.0;
	if (dt_ms > 100)
		dt_ms = 100;
	t->threshold_ms += k * (fabs(trend) - t->threshold_ms) * dt_ms;
	if (t->threshold_ms < THRESHOLD_MIN_MS)
		t->threshold_ms = THRESHOLD_MIN_MS;
	if (t->threshold_ms > THRESHOLD_MAX_MS)
		t->threshold_ms = THRESHOLD_MAX_MS;
	t->last_threshold_us = now_us;
}

/* gcc 5.3-5.4: one inter-group delay variation d_ms, the later group arriving at arrival_ms. */
static void
trend_add(struct dp_twcc_tx *t, double d_ms, double send_delta_ms, double arrival_ms)
{
	double trend;

	if (t->num_deltas == 0)
		t->first_arrival_ms = arrival_ms;
	if (t->num_deltas < TREND_MAX_DELTAS)
		t->num_deltas++;
	t->acc_delay_ms += d_ms;
	t->smoothed_ms = TREND_SMOOTHING * t->smoothed_ms + (1 - TREND_SMOOTHING) * t->acc_delay_ms;
	t->trend_x[t->trend_i] = arrival_ms - t->first_arrival_ms;
	t->trend_y[t->trend_i] = t->smoothed_ms;
	t->trend_i = (t->trend_i + 1) % DP_TWCC_TREND_WIN;
	if (t->trend_n < DP_TWCC_TREND_WIN) {
		t->trend_n++;
		if (t->trend_n < DP_TWCC_TREND_WIN)
			return; /* libwebrtc: no verdict before the window is full */
	}
	trend = trend_slope(t) * t->num_deltas * TREND_GAIN;
	if (trend > t->threshold_ms) {
		if (t->overusing_ms < 0)
			t->overusing_ms = send_delta_ms / 2;
		else
			t->overusing_ms += send_delta_ms;
		t->overuse_count++;
		if (t->overusing_ms > OVERUSE_TIME_MS && t->overuse_count > 1 &&
		    trend >= t->prev_trend) {
			t->overusing_ms = 0;
			t->overuse_count = 0;
			t->signal = DP_TWCC_OVERUSE;
		}
	} else if (trend < -t->threshold_ms) {
		t->overusing_ms = -1;
		t->overuse_count = 0;
		t->signal = DP_TWCC_UNDERUSE;
	} else {
		t->overusing_ms = -1;
		t->overuse_count = 0;
		t->signal = DP_TWCC_NORMAL;
	}
	t->prev_trend = trend;
	threshold_update(t, trend, (int64_t)(arrival_ms * 1000.0));
}

/* gcc 5.2: packet sent at send_us arrived at arrival_us (receiver clock). */
static void
group_add(struct dp_twcc_tx *t, int64_t send_us, int64_t arrival_us)
{
	struct dp_twcc_group *c = &t->cur;

	if (c->in_use && send_us < c->first_send_us)
		return; /* reordered from an earlier group: it cannot be placed */
	if (c->in_use && send_us - c->first_send_us <= BURST_US) {
		if (send_us > c->last_send_us)
			c->last_send_us = send_us;
		if (arrival_us > c->last_arrival_us)
			c->last_arrival_us = arrival_us;
		return;
	}
	if (c->in_use && t->prev.in_use) {
		double send_ms = (double)(c->last_send_us - t->prev.last_send_us) / 1000.0;
		double arr_ms = (double)(c->last_arrival_us - t->prev.last_arrival_us) / 1000.0;

		trend_add(t, arr_ms - send_ms, send_ms, (double)c->last_arrival_us / 1000.0);
	}
	if (c->in_use)
		t->prev = *c;
	c->in_use = true;
	c->first_send_us = c->last_send_us = send_us;
	c->last_arrival_us = arrival_us;
}

/* Acknowledged bitrate: bytes over at least ACK_WINDOW_US of arrival time, smoothed. */
static void
acked_add(struct dp_twcc_tx *t, uint32_t size, int64_t arrival_us)
{
	int64_t span;

	if (!t->win_started || arrival_us < t->win_start_us) {
		t->win_started = true;
		t->win_start_us = arrival_us;
		t->win_bytes = 0;
	}
	t->win_bytes += size;
	span = arrival_us - t->win_start_us;
	if (span >= ACK_WINDOW_US) {
		double r = (double)t->win_bytes * 8e6 / (double)span;

		t->acked = t->acked == 0 ? r : 0.5 * t->acked + 0.5 * r;
		t->win_start_us = arrival_us;
		t->win_bytes = 0;
		atomic_store_explicit(&t->acked_bps, (uint64_t)t->acked, memory_order_relaxed);
	}
}

struct fb_ctx {
	struct dp_twcc_tx *t;
};

static void
on_packet(void *ctx, uint16_t seq, bool received, int64_t arrival_us)
{
	struct dp_twcc_tx *t = ((struct fb_ctx *)ctx)->t;
	uint32_t *acked = &t->acked_tag[seq % DP_TWCC_HIST];
	uint32_t size;
	int64_t send_us;

	if (!lookup(t, seq, &size, &send_us))
		return; /* not sent by us, or long gone from the history */
	if (*acked == (seq | DP_TWCC_VALID))
		return; /* reported received already */
	t->fb_reported++;
	if (!received) {
		t->fb_lost++;
		return;
	}
	*acked = seq | DP_TWCC_VALID;
	arrival_us += t->ref_base_us;
	acked_add(t, size, arrival_us);
	group_add(t, send_us, arrival_us);
}

static double
clamp_bps(double v)
{
	if (v < DP_TWCC_MIN_BPS)
		return DP_TWCC_MIN_BPS;
	if (v > (double)DP_TWCC_MAX_BPS)
		return (double)DP_TWCC_MAX_BPS;
	return v;
}

/* gcc 5.5: AIMD on the detector's signal. */
static void
rate_update(struct dp_twcc_tx *t)
{
	int64_t now = t->now_us;

	switch (t->signal) {
	case DP_TWCC_OVERUSE:
		if (now - t->last_decrease_us >= DECREASE_GAP_US) {
			double base = t->acked > 0 ? t->acked : t->delay_bps;

			if (BETA * base < t->delay_bps)
				t->delay_bps = BETA * base;
			t->last_decrease_us = now;
		}
		t->holding = true;
		t->last_increase_us = now;
		break;
	case DP_TWCC_UNDERUSE:
		t->holding = true; /* the queues drain: hold (gcc 5.5) */
		t->last_increase_us = now;
		break;
	case DP_TWCC_NORMAL:
		if (t->holding) {
			t->holding = false;
			t->last_increase_us = now;
			break;
		}
		if (t->last_increase_us != 0) {
			double dt = (double)(now - t->last_increase_us) / 1e6;

			if (dt > 1)
				dt = 1;
			if (dt > 0)
				t->delay_bps *= pow(ETA_PER_S, dt);
		}
		t->last_increase_us = now;
		break;
	}
	if (t->acked > 0 && t->delay_bps > ACKED_HEADROOM * t->acked + 10000)
		t->delay_bps = ACKED_HEADROOM * t->acked + 10000;
	t->delay_bps = clamp_bps(t->delay_bps);
}

/*
 * gcc 6: the loss-based part, once the feedback since the last update has
 * reported DP_TWCC_LOSS_MIN packets (one feedback of a slow stream reports
 * only a few).
 */
static void
loss_update(struct dp_twcc_tx *t)
{
	double loss;

	t->loss_reported += t->fb_reported;
	t->loss_lost += t->fb_lost;
	if (t->loss_reported < DP_TWCC_LOSS_MIN)
		return;
	loss = (double)t->loss_lost / (double)t->loss_reported;
	t->loss_reported = t->loss_lost = 0;
	if (loss > 0.10) {
		t->loss_bps *= 1 - 0.5 * loss;
	} else if (loss < 0.02) {
		double up = t->loss_bps * 1.05;

		if (up > t->delay_bps)
			up = t->loss_bps > t->delay_bps ? t->loss_bps : t->delay_bps;
		t->loss_bps = up;
	}
	t->loss_bps = clamp_bps(t->loss_bps);
}

enum dp_twcc_err
dp_twcc_feedback(struct dp_twcc_tx *t, const uint8_t *fci, uint32_t len, uint64_t now_us)
{
	struct fb_ctx ctx = {.t = t};
	struct dp_twcc_fb_hdr h;
	enum dp_twcc_err err;
	bool first_acked;
	double est;

	err = dp_twcc_parse(fci, len, &h, NULL, NULL);
	if (err != DP_TWCC_OK)
		return err;
	/* holmer 3.1: the reference time wraps; keep arrival times continuous */
	if (!t->ref_started) {
		t->ref_started = true;
		t->ref_unw = h.ref_time;
	} else {
		int32_t d = (int32_t)((h.ref_time - t->ref_unw) & 0xffffff);

		if (d & 0x800000)
			d -= 0x1000000;
		t->ref_unw += d;
	}
	t->ref_base_us = (t->ref_unw - h.ref_time) * REF_US;
	t->now_us = (int64_t)now_us;
	t->fb_reported = t->fb_lost = 0;
	first_acked = t->acked == 0;
	dp_twcc_parse(fci, len, NULL, on_packet, &ctx);
	if (first_acked && t->acked > t->delay_bps) {
		/* libwebrtc: the first throughput measured starts the estimate when higher */
		t->delay_bps = t->acked;
		t->loss_bps = t->acked > t->loss_bps ? t->acked : t->loss_bps;
	}
	rate_update(t);
	loss_update(t);
	est = t->delay_bps < t->loss_bps ? t->delay_bps : t->loss_bps;
	atomic_store_explicit(&t->estimate_bps, (uint64_t)est, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->feedbacks, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->reported, t->fb_reported, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->lost, t->fb_lost, memory_order_relaxed);
	return DP_TWCC_OK;
}
