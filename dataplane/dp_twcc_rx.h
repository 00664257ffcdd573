/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport-wide congestion control feedback for a sender
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01, "holmer"): Cascade,
 * the receiver of a transport's producers, records when each transport-wide
 * sequence number (one counter over all the transport's SSRCs, RTX included,
 * holmer 2) arrived, and builds the RTPFB FMT 15 messages (holmer 3.1) that
 * tell the sender, so its bandwidth estimator can work.
 *
 * Arrivals go into a ring of DP_TWCC_RING slots indexed by the extended
 * (unwrapped) sequence number. A feedback reports from the first number not
 * reported yet up to the newest received: status chunks (run-length,
 * one-bit and two-bit status vectors, chosen as libwebrtc's
 * rtcp_packet/transport_feedback.cc does), then the receive deltas in 250 us
 * units (one byte when 0-63.75 ms, two signed bytes otherwise), the first
 * relative to the reference time (64 ms units, 24 bits, wrapping), each next
 * to the previous received packet. When the ring's span or the caller's
 * buffer does not hold everything, or a delta does not fit 16 bits, the
 * feedback ends at the last received packet that fits and the next one goes
 * on from there (the caller builds again at once).
 *
 * Reordering: a packet whose number was already passed by a feedback moves
 * the start back to it, and the next feedback reports it with the numbers
 * after it; those already reported received are reported "not received"
 * there, so the sender does not take them twice (versatica/mediasoup#1059).
 * It is taken only while the next received number after it arrived at most
 * back_window_us ago (libwebrtc keeps 500 ms) and within the ring's span:
 * older ones are counted as too late and ignored. A jump of more than the
 * ring forward (a restarting sender, or a loss that long) starts afresh.
 *
 * Leaf module: libc only. One state is touched by one thread (the owning
 * lcore of the transport's producers). Times are microseconds on the
 * caller's clock.
 */
#ifndef DP_TWCC_RX_H
#define DP_TWCC_RX_H

#include <stdbool.h>
#include <stdint.h>

#define DP_TWCC_RING 2048u            /* power of two: numbers kept */
#define DP_TWCC_BACK_WINDOW_US 500000 /* libwebrtc's back window */
#define DP_TWCC_FB_HDR_LEN 20         /* RTCP header, 2 SSRCs, base, count, ref time, fb count */

struct dp_twcc_rx {
	bool started;
	uint8_t fb_count; /* holmer 3.1: feedback packet count, wraps */
	uint16_t pad;
	uint32_t too_late;            /* packets ignored: older than the back window or the ring */
	int64_t base;                 /* extended number of the first not reported yet */
	int64_t max;                  /* extended number of the newest received */
	uint64_t at_us[DP_TWCC_RING]; /* arrival + 1; 0: not received */
	uint8_t reported[DP_TWCC_RING]; /* reported received in a feedback */
};

/* An empty state (also zeroed memory). */
void dp_twcc_rx_init(struct dp_twcc_rx *t);

/*
 * Transport-wide number seq arrived at now_us. Returns false when it was
 * ignored: a duplicate, or too late (counted in too_late).
 */
bool dp_twcc_rx_record(struct dp_twcc_rx *t, uint16_t seq, uint64_t now_us,
		       uint64_t back_window_us);

/* Whether a received number waits to be reported. */
bool dp_twcc_rx_pending(const struct dp_twcc_rx *t);

/*
 * One feedback message (a complete RTCP packet, RTPFB FMT 15, padded to 32
 * bits) from sender_ssrc about media_ssrc into out[0..cap), starting at the
 * first number not yet reported. Returns its length, 0 when nothing waits
 * (or cap < 32). *n_received gets how many packets it reports received. The
 * numbers it covers count as reported; call again while
 * dp_twcc_rx_pending() for the rest.
 */
unsigned int dp_twcc_rx_build(struct dp_twcc_rx *t, uint32_t sender_ssrc, uint32_t media_ssrc,
			      uint8_t *out, unsigned int cap, unsigned int *n_received);

#endif /* DP_TWCC_RX_H */
