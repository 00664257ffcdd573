/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The probe cascade-pktgen writes at the start of every RTP payload it sends,
 * so that a receiver behind any number of Cascade hops can count loss,
 * duplicates and reordering (by the producer's 64-bit sequence, which no hop
 * rewrites) and one-way latency (sender and receiver share a host clock).
 * All fields are in network byte order.
 */
#ifndef CASCADE_PROBE_H
#define CASCADE_PROBE_H

#include <assert.h>
#include <stdint.h>

#define CASCADE_PROBE_MAGIC 0x43534344u /* "CSCD" */

struct cascade_probe {
	uint32_t magic_be;  /* CASCADE_PROBE_MAGIC */
	uint32_t stream_be; /* sender's stream index */
	uint64_t seq_be;    /* per-stream packet number from 0, never wraps */
	uint64_t tx_ns_be;  /* CLOCK_MONOTONIC at send, nanoseconds */
};
static_assert(sizeof(struct cascade_probe) == 24, "probe layout");

#endif /* CASCADE_PROBE_H */
