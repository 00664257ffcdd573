/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport-wide congestion control towards a transport's receiver
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01): Cascade numbers every
 * packet it sends on the transport (one counter over all its consumers, RTP,
 * RTX and resends alike, holmer 2), remembers when each went and how big it
 * was, reads the receiver's transport-cc feedback (holmer 3.1) and turns it
 * into an estimate of the bitrate the path to that receiver can take, modelled
 * on Google Congestion Control (draft-ietf-rmcat-gcc-02):
 *
 * - acknowledged bitrate: bytes the receiver got over at least 500 ms of its
 *   arrival clock, smoothed;
 * - delay-based part (gcc 5): packets sent within 5 ms form a group; the
 *   variation of the inter-group delay feeds a trendline (libwebrtc's
 *   TrendlineEstimator: smoothed accumulated delay, least-squares slope over
 *   20 groups, times 4 x min(groups, 60)) compared with an adaptive threshold
 *   (gcc 5.4, with libwebrtc's constants for the trendline: 12.5 ms to start,
 *   0.0087 up and 0.039 down per ms) to tell overuse (over it for 10 ms and
 *   growing), normal and underuse; an
 *   AIMD controller (gcc 5.5) raises the estimate by 8 % a second while normal,
 *   cuts it to 0.85 x the acknowledged bitrate on overuse, holds on underuse,
 *   and keeps it below 1.5 x the acknowledged bitrate;
 * - loss-based part (gcc 6): each time feedback has reported DP_TWCC_LOSS_MIN
 *   more packets, loss over 10 % multiplies it by (1 - 0.5 loss), under 2 % raises
 *   it by 5 % (up to the delay-based one);
 * - the estimate is the smaller of the two.
 *
 * Threads: dp_twcc_stamp() from any lcore at once (an atomic counter; each
 * history slot is a small sequence lock, written by the lcore that took its
 * number); dp_twcc_feedback() by one thread at a time (the caller makes it
 * single-writer); dp_twcc_estimate() from anywhere (relaxed loads).
 *
 * Leaf module: libc and C11 only, no DPDK. Times are microseconds of any
 * monotonic clock (the sender's: send times; the receiver's arrival times come
 * from the feedback and are only ever subtracted from each other).
 */
#ifndef DP_TWCC_TX_H
#define DP_TWCC_TX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Packets remembered per transport: about 1 s of 4000 packets a second. */
#define DP_TWCC_HIST 4096
/* Fewest packets one feedback reports for its loss to move the estimate. */
#define DP_TWCC_LOSS_MIN 20
/* Groups in the trendline's regression (libwebrtc's window). */
#define DP_TWCC_TREND_WIN 20
/* The estimate before any feedback, and its floor and ceiling (bit/s). */
#define DP_TWCC_START_BPS 300000u
#define DP_TWCC_MIN_BPS 30000u
#define DP_TWCC_MAX_BPS 10000000000ull

/* Why a feedback was refused (its FCI is malformed); 0 when read. */
enum dp_twcc_err {
	DP_TWCC_OK = 0,
	DP_TWCC_SHORT,    /* under the 8-byte header, or chunks/deltas past the end */
	DP_TWCC_EMPTY,    /* status count 0 (holmer 3.1: at least one packet) */
	DP_TWCC_RESERVED, /* a status symbol 11 (holmer 3.1.1: reserved) */
	DP_TWCC_RUN_ZERO, /* a run-length chunk of length 0 */
};

/* The fixed part of a feedback (holmer 3.1). */
struct dp_twcc_fb_hdr {
	uint16_t base_seq;
	uint16_t status_count;
	int32_t ref_time; /* 24-bit signed, multiples of 64 ms */
	uint8_t fb_count; /* feedback packet count, wraps */
};

/*
 * Read a transport-cc FCI (fci[0..len): from the base sequence number on) and
 * call fn(ctx, seq, received, arrival_us) once per packet it reports, in
 * sequence order: arrival_us (received only) is the receiver's clock,
 * reference time plus the deltas so far, in microseconds. The whole FCI is
 * checked first (holmer 3.1.1-3.1.5: every chunk and every delta within len;
 * trailing padding is allowed), so fn is called for a valid feedback only.
 * Fills *h when not NULL. Returns DP_TWCC_OK or the reason it was refused.
 * Pure; any thread.
 */
enum dp_twcc_err
dp_twcc_parse(const uint8_t *fci, uint32_t len, struct dp_twcc_fb_hdr *h,
	      void (*fn)(void *ctx, uint16_t seq, bool received, int64_t arrival_us), void *ctx);

/* One packet sent: tag = seq | DP_TWCC_VALID once written, 0 while it changes. */
struct dp_twcc_sent {
	_Atomic uint32_t tag;
	uint32_t size; /* bytes, as the receiver counts them (the UDP payload) */
	uint64_t send_us;
};
#define DP_TWCC_VALID 0x10000u

/* A completed group of packets sent within 5 ms (gcc 5.2). */
struct dp_twcc_group {
	int64_t first_send_us;
	int64_t last_send_us;
	int64_t last_arrival_us;
	bool in_use;
};

enum dp_twcc_signal {
	DP_TWCC_NORMAL = 0,
	DP_TWCC_OVERUSE,
	DP_TWCC_UNDERUSE,
};

/*
 * The estimator of one transport. Zeroed memory is not ready: call
 * dp_twcc_init(). The caller allocates it (about 80 KiB).
 */
struct dp_twcc_tx {
	_Atomic uint32_t next_seq; /* stampers: the next transport-wide number */
	uint32_t pad0[15];         /* keeps the stampers' line to itself */
	/* published: read by anyone (relaxed) */
	_Atomic uint64_t estimate_bps;
	_Atomic uint64_t acked_bps;
	_Atomic uint64_t feedbacks; /* valid feedbacks read */
	_Atomic uint64_t reported;  /* packets feedback reported on (known sends) */
	_Atomic uint64_t lost;      /* of them, reported not received */
	/* the feedback reader's own */
	double delay_bps;
	double loss_bps;
	double acked;         /* bit/s, 0 until measured */
	int64_t win_start_us; /* acknowledged bitrate's window, receiver clock */
	uint64_t win_bytes;
	bool win_started;
	bool ref_started;
	int64_t ref_unw;     /* the last feedback's reference time, unwrapped */
	int64_t ref_base_us; /* what unwrapping adds to its arrival times */
	struct dp_twcc_group cur, prev;
	/* trendline (libwebrtc TrendlineEstimator) */
	double acc_delay_ms, smoothed_ms, first_arrival_ms;
	double trend_x[DP_TWCC_TREND_WIN], trend_y[DP_TWCC_TREND_WIN];
	uint32_t trend_n; /* points in the window (a ring, oldest at trend_i) */
	uint32_t trend_i;
	uint32_t num_deltas;
	double prev_trend;
	double threshold_ms;
	double overusing_ms; /* -1: not over */
	uint32_t overuse_count;
	int64_t last_threshold_us;
	enum dp_twcc_signal signal;
	/* AIMD (gcc 5.5) */
	int64_t last_increase_us;
	int64_t last_decrease_us;
	bool holding; /* after a decrease or underuse, until the next normal */
	/* this feedback's loss, and the loss-based part's since its last update */
	uint32_t fb_reported, fb_lost;
	uint32_t loss_reported, loss_lost;
	int64_t now_us;
	uint32_t acked_tag[DP_TWCC_HIST]; /* seq | VALID of packets already counted */
	struct dp_twcc_sent sent[DP_TWCC_HIST];
};

/* Ready t: no packet sent, the estimate at start_bps (0: DP_TWCC_START_BPS). */
void dp_twcc_init(struct dp_twcc_tx *t, uint64_t start_bps);

/*
 * A packet of size bytes goes now: returns its transport-wide sequence number
 * (to write into its extension) after noting it. Any lcore, concurrently.
 */
static inline uint16_t
dp_twcc_stamp(struct dp_twcc_tx *t, uint32_t size, uint64_t now_us)
{
	uint16_t seq = (uint16_t)atomic_fetch_add_explicit(&t->next_seq, 1, memory_order_relaxed);
	struct dp_twcc_sent *s = &t->sent[seq % DP_TWCC_HIST];

	/* sequence lock: pairs with the acquire loads in the reader (dp_twcc_tx.c lookup) */
	atomic_store_explicit(&s->tag, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	s->size = size;
	s->send_us = now_us;
	atomic_store_explicit(&s->tag, seq | DP_TWCC_VALID, memory_order_release);
	return seq;
}

/*
 * The receiver's feedback fci[0..len) arrived at now_us: read it (as
 * dp_twcc_parse) and update the estimate. Returns DP_TWCC_OK or why it was
 * refused (nothing changed then). One thread at a time per t.
 */
enum dp_twcc_err dp_twcc_feedback(struct dp_twcc_tx *t, const uint8_t *fci, uint32_t len,
				  uint64_t now_us);

/* The available bitrate estimate, bit/s. Any thread. */
static inline uint64_t
dp_twcc_estimate(const struct dp_twcc_tx *t)
{
	return atomic_load_explicit(&t->estimate_bps, memory_order_relaxed);
}

#endif /* DP_TWCC_TX_H */
