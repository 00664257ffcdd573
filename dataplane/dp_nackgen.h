/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which packets of a sender's stream are missing, to ask it for them again
 * with generic NACKs (RFC 4585 6.2.1), as Cascade repairs the first hop before
 * its fan-out (mediasoup's NackGenerator does the same): a gap in the
 * sequence numbers puts each missing number on a list; a packet that comes
 * late (reordered, or sent again) takes its number off; a number is asked for
 * when it goes missing and again every retry interval, at most max_tries
 * times and while it is younger than max_age, then given up. The list holds
 * DP_NACKGEN_MAX numbers: a gap longer than that, or a jump of a restarting
 * sender, clears it (the caller asks for a keyframe instead: too much lost
 * to repair packet by packet), and when it is full the oldest go first.
 *
 * dp_nack_pack() packs sorted numbers into the NACK's FCI entries (PID and a
 * bitmask of the 16 that follow).
 *
 * Leaf module: libc only. One generator is touched by one thread (the
 * producer's owning lcore). Times are in the caller's clock (TSC cycles).
 */
#ifndef DP_NACKGEN_H
#define DP_NACKGEN_H

#include <stdbool.h>
#include <stdint.h>

#define DP_NACKGEN_MAX 128

struct dp_nack_ent {
	uint64_t first; /* when it went missing */
	uint64_t next;  /* when to ask (again) */
	uint16_t seq;
	uint8_t tries;
	uint8_t pad[5];
};

struct dp_nackgen {
	bool started;
	uint16_t highest; /* the newest sequence number received */
	uint32_t n;       /* entries in use, oldest first */
	struct dp_nack_ent e[DP_NACKGEN_MAX];
};

/* What a packet did to the list. */
enum dp_nackgen_res {
	DP_NACKGEN_OK = 0,
	DP_NACKGEN_RECOVERED, /* it was on the list: a retransmission or a late packet */
	DP_NACKGEN_RESET,     /* too much lost (or a restart): the list was cleared */
};

/* An empty generator (also zeroed memory). */
void dp_nackgen_init(struct dp_nackgen *g);

/* Packet seq arrived at now. */
enum dp_nackgen_res dp_nackgen_rtp(struct dp_nackgen *g, uint16_t seq, uint64_t now);

/*
 * The numbers to ask for at now, into out (at most max), in list order (by
 * sequence number): those due; each is then due again retry later. Numbers
 * asked max_tries times, or missing longer than max_age, leave the list
 * first (given up). Returns how many were written.
 */
unsigned int dp_nackgen_due(struct dp_nackgen *g, uint64_t now, uint64_t retry, uint8_t max_tries,
			    uint64_t max_age, uint16_t *out, unsigned int max);

/*
 * Pack seqs[0..n) (ascending, modulo 2^16) into generic NACK FCI entries at
 * fci (4 bytes each, network order): PID, then BLP with bit i set for PID + i
 * + 1. Returns the entries written (at most max_entries; the numbers that did
 * not fit are left out).
 */
unsigned int dp_nack_pack(const uint16_t *seqs, unsigned int n, uint8_t *fci,
			  unsigned int max_entries);

#endif /* DP_NACKGEN_H */
