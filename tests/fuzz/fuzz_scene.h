/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tables fuzz_classify sends its packets through, installed with
 * commands as a control plane would, and put back after every input: eight
 * transports (plain, comedia, non-mux on the VLAN port, SRTP, pipe, SRTP
 * comedia, IPv6, SRTP pipe), a producer on each (producer t on transport t)
 * and fourteen consumers across them.
 *
 * An input may change what a later one would see: a transport's remote (a
 * learn), an SRTP stream's replay window (a packet that authenticates), a
 * consumer's sequence state (any copy made for it), and whatever a command
 * touched. scene_mark() notes the state before an input, the harness says
 * what it did (scene_whole(), scene_consumers()), and scene_reset() puts
 * back exactly what changed, so every input starts from the same state and
 * replays alone as it ran; a full reinstall per input would cost more than
 * the input (each SRTP session is tens of microseconds under ASan).
 *
 * Main thread only; aborts (fuzz_check) when the tables do not come back.
 */
#ifndef FUZZ_SCENE_H
#define FUZZ_SCENE_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz_dp.h"

enum {
	T_PLAIN,
	T_COMEDIA,
	T_NOMUX, /* on port 1: VLAN 100, linear TX */
	T_SRTP,
	T_PIPE,
	T_SRTP_COMEDIA,
	T_V6,
	T_SRTP_PIPE,
	N_TP,
};

#define N_CONS 14

/*
 * Release what the producers' retransmission buffers hold (packets of this
 * input, which a later input must not be able to NACK).
 */
void scene_rtx_clear(void);

struct scene_tp {
	uint8_t flags, suite, port, v6, connect;
};

extern const struct scene_tp scene_tps[N_TP];

#define TP_ID(t) (0x100u + (t))
#define PROD_ID(t) (0x200u + (t))
#define CONS_ID(j) (0x300u + (j))
#define PROD_SSRC(t) (0x1000u + (t))
#define CONS_SSRC(j) (0xc000u + (j))
#define PROD_RTX_SSRC(t) (0x2000u + (t))
#define CONS_RTX_SSRC(j) (0xd000u + (j))
/* fuzz_scene.c's consumer on the SRTP pipe (from its producer there): its feedback SSRC */
#define C_SRTP_PIPE 11
#define CONS_FB_SSRC(j) cascade_pipe_fb_ssrc(CONS_SSRC(j))

/* Whose key: a transport's rx (what its remote protects with) and tx, a pipe stream's. */
enum {
	KEY_RX,
	KEY_TX,
	KEY_PIPE_PROD,
	KEY_PIPE_CONS
};

/* 10.0.0.host or 2001:db8::host, and a port. */
struct cascade_addr scene_addr(bool v6, uint8_t host, uint16_t port);
/* Transport t's local address (its RTCP port: rtcp), its remote, the pipe consumers' peer. */
struct cascade_addr scene_local(uint32_t t, bool rtcp);
struct cascade_addr scene_remote(uint32_t t);
struct cascade_addr scene_pipe_peer(void);
/* The master key and salt of suite that `which` of transport t uses. */
void scene_key(uint8_t *master, uint8_t suite, uint32_t t, int which);
/* Consumer j's producer (and so its producer's transport). */
uint32_t scene_consumer_producer(uint32_t j);

/* Install the scenario, once; records each producer's worker and rte_malloc's count. */
void scene_install(void);
/* Before an input: note what it may change. */
void scene_mark(void);
/* Transport t (with its producer and their consumers) goes back whole after this input. */
void scene_whole(uint32_t t);
/* Producer t's consumers go back (all of them, in order) after this input. */
void scene_consumers(uint32_t t);
/*
 * After an input: put back what changed, then check that every producer has
 * its first owner and its consumer list its first order, and that rte_malloc
 * holds what it held after the first install.
 */
void scene_reset(void);

#endif /* FUZZ_SCENE_H */
