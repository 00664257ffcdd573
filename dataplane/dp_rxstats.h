/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a receiver reports about one RTP stream (RFC 3550 6.4.1 and appendix A):
 * the extended highest sequence number with its wrap count (A.1), packets
 * expected and received overall and since the last report (A.3: cumulative and
 * fraction lost), the interarrival jitter in RTP timestamp units (A.8), and the
 * last sender report's NTP time and arrival (LSR, DLSR), filled into a report
 * block. Cascade keeps one per producer, as its sender's receiver.
 *
 * Sequence validation is A.1's without the probation: the first packet starts
 * the stream; a jump of MAX_DROPOUT or more ahead (or MAX_MISORDER behind) is a
 * restart when the next packet follows it, so a sender's restart does not
 * report half a million packets lost.
 *
 * Leaf module: libc only. One stream is touched by one thread (the producer's
 * owning lcore).
 */
#ifndef DP_RXSTATS_H
#define DP_RXSTATS_H

#include <stdbool.h>
#include <stdint.h>

#define DP_RTCP_RB_LEN 24

struct dp_rxstats {
	uint16_t max_seq;        /* highest sequence number seen */
	uint16_t pad;
	uint32_t bad_seq;        /* A.1: the number after a big jump; above 0xffff: none */
	uint32_t cycles;         /* wraps of the sequence number, << 16 */
	uint32_t base_seq;       /* the first sequence number */
	uint32_t received;       /* packets received (duplicates too, as A.3 counts) */
	uint32_t expected_prior; /* at the last report */
	uint32_t received_prior;
	int64_t transit;         /* A.8: the last packet's relative transit, RTP units */
	uint32_t jitter16;       /* A.8: jitter << 4 */
	uint32_t lsr;            /* middle 32 bits of the last SR's NTP time (0: none) */
	uint64_t lsr_arrival_ns; /* when that SR arrived */
	bool started;
};

/* Account one RTP packet (seq, rtp_ts) that arrived at arrival_ns, of a clock_rate stream. */
void dp_rxstats_rtp(struct dp_rxstats *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_ns,
		    uint32_t clock_rate);

/* Account a sender report whose NTP time is ntp, arrived at arrival_ns. */
void dp_rxstats_sr(struct dp_rxstats *s, uint64_t ntp, uint64_t arrival_ns);

/*
 * Write the report block on source ssrc as of now_ns into out (24 bytes,
 * network order) and start a new interval for the fraction lost. Returns
 * false, writing nothing, before the first packet.
 */
bool dp_rxstats_report(struct dp_rxstats *s, uint32_t ssrc, uint64_t now_ns,
		       uint8_t out[DP_RTCP_RB_LEN]);

#endif /* DP_RXSTATS_H */
