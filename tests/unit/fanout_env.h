/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scene of the fan-out tests (test_fanout.c, test_fanout_sr.c) on the fake
 * dataplane of dp_fake.h: one producer on T_IN and the consumers' transports
 * below (IPv4 and IPv6, SRTP, a port that sends one segment, a VLAN port, a
 * small MTU, no rtcp-mux, not connected, no MAC); how a test sends the
 * producer's packets through the fan-out and reads what left.
 */
#ifndef FANOUT_ENV_H
#define FANOUT_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_fake.h"

#define P_SSRC 0x11111111u
#define A_SSRC 0xaaaa0001u
#define B_SSRC 0xbbbb0002u
#define C_SSRC 0xcccc0003u
#define BIG 1000  /* payload above copy_below: cloned */
#define SMALL 100 /* payload below copy_below: copied */

enum {
	T_IN, /* the producer's transport */
	T_A,  /* consumers' transports, IPv4, port 0 */
	T_B,
	T_C,
	T_V6,     /* IPv6 */
	T_SRTP,   /* AES_CM_128_HMAC_SHA1_80 */
	T_LINEAR, /* on port 1: its driver sends one segment only */
	T_VLAN,   /* on port 2: VLAN 100 */
	T_SMALL,  /* on port 3: MTU 576 */
	T_NOMUX,  /* RTCP on its own port */
	T_NOPEER, /* not connected */
	T_NOMAC,  /* connected without a next-hop MAC */
};

enum {
	PORT_LINEAR = 1,
	PORT_VLAN = 2,
	PORT_SMALL = 3
};

extern const uint8_t key[30]; /* the SRTP transport's master key and salt */
extern struct dp_worker *w;   /* the worker the tests run on */
/* the producer's transport: its local address and its remote */
extern struct cascade_addr in_remote, in_local;

/* A cmocka setup: the fake dataplane with the scene's transports and the producer (slot 0). */
int setup(void **state);
/* Consumer slot cs on transport t with ssrc, and the producer's list set to cs[0..n). */
struct dp_consumer *consumer(uint32_t cs, uint32_t t, uint32_t ssrc);
/* The producer's consumer list set to the n consumer slots that follow. */
void publish(uint32_t n, ...);
/* The producer's RTP packet as a frame from its remote. */
struct rte_mbuf *rtp_frame(uint8_t pt, uint16_t seq, uint32_t ts, uint16_t payload_len, bool cksum);
/* Parse m with the dataplane's parsers, fan it out, flush TX. Returns m, for identity only. */
struct rte_mbuf *fan(struct rte_mbuf *m);
/* An RTP packet of the producer (PT 96, sequence seq, timestamp 1000 * seq) fanned out. */
struct rte_mbuf *send_rtp(uint16_t seq, uint16_t payload_len);
/* Captured frame i, read and checked (lengths, checksums). */
void out(unsigned int i, struct fake_out *o);
/* o goes from transport t's local address to its remote. */
void expect_route(const struct fake_out *o, uint32_t t);
/* p[0..len) is RTP: pt, seq, ts, ssrc rewritten, the payload of input seq in_seq untouched. */
void expect_rtp(const uint8_t *p, uint16_t len, uint8_t pt, uint16_t seq, uint32_t ts,
		uint32_t ssrc, uint16_t in_seq, uint16_t payload_len);
/* The first packet of a stream keeps the producer's numbers (offsets 0). */
void expect_first(const struct fake_out *o, uint32_t t, uint32_t ssrc, uint16_t seq,
		  uint16_t payload_len);
/* The worker's drops for why. */
uint64_t drops(enum cascade_drop why);

#endif /* FANOUT_ENV_H */
