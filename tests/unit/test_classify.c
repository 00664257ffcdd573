/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for ingress (dp_classify.c) and the hand-off between lcores
 * (dp_worker.c), compiled unchanged and driven without EAL on the fake
 * dataplane of dp_fake.h, with two workers. Frames are built field by field,
 * given to dp_classify() on the worker RSS would have chosen, and judged by
 * what the dataplane did with them: the drop reason counted, the transport's
 * and producer's counters (which count only accepted packets), the learn
 * requests on the worker's ring to the main lcore, what was staged for
 * another worker and the dp_meta it carries, and what was transmitted. Every
 * test ends with every mbuf back in its pool.
 *
 * Covered: the remote check (RTP only from the remote tuple; comedia learns
 * its tuple from RTP only, never from RTCP, and an SRTP transport only from a
 * packet that authenticates; RTCP from the remote's IP on another port is
 * accepted and teaches the RTCP remote; a known RTCP remote is the only one;
 * the RTCP port of a non-mux transport; an unconnected transport accepts
 * nothing; a pipe accepts any source), an unknown SSRC on an SRTP transport
 * dropped before any crypto, RTCP of no producer ending as rtcp_terminated,
 * the port's VLAN rule, and ownership: a producer owned by another worker is
 * staged for it with its dp_meta, finished there, and dropped as
 * producer_gone when it was deleted (its generation moved, its slot freed)
 * while the packet waited.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dp_fake.h"

enum {
	T_PLAIN,   /* rtcp-mux, connected to R */
	T_COMEDIA, /* rtcp-mux, comedia, no remote yet */
	T_NOMUX,   /* RTCP on its own port, connected to R (RTCP remote unknown) */
	T_UNCONN,  /* neither connected nor comedia */
	T_PIPE,
	T_SRTP,         /* connected, AES_CM_128_HMAC_SHA1_80 */
	T_SRTP_COMEDIA, /* comedia, AES_CM_128_HMAC_SHA1_80 */
	T_VLAN,         /* on port 1, VLAN 100 */
	T_NOMAC,        /* connected, next-hop MAC not known */
	T_OUT,          /* where the consumer sends */
	T_COUNT,
};

/* Producers: slot t on transport t with SSRC 0x1000 + t, owned by worker 0; and one more. */
#define SSRC(t) (0x1000u + (t))
#define P_FOREIGN T_COUNT             /* on T_PLAIN, owned by worker 1 */
#define P_FOREIGN_NOMUX (T_COUNT + 1) /* on T_NOMUX, owned by worker 1 */
#define SSRC_FOREIGN 0x2000u
#define SSRC_FOREIGN_NOMUX 0x2001u
#define SSRC_UNKNOWN 0x9999u
#define CONSUMER_SSRC 0xc0c0c0c0u

static const uint8_t key[30] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5,
				4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};

static struct dp_worker *w0, *w1;

static struct cascade_addr
local_of(uint32_t t)
{
	return fake_addr4(198, 18, 0, 1, (uint16_t)(40000 + 2 * t));
}

static struct cascade_addr
rtcp_of(uint32_t t)
{
	return fake_addr4(198, 18, 0, 1, (uint16_t)(40001 + 2 * t));
}

/* R, the remote of connected transports: 198.18.0.101:5000 */
static struct cascade_addr
remote(uint16_t port)
{
	return fake_addr4(198, 18, 0, 101, port);
}

static struct cascade_addr
stranger(uint16_t port)
{
	return fake_addr4(198, 18, 0, 66, port);
}

static void
transport(uint32_t t, uint16_t port, uint8_t flags, uint8_t suite)
{
	struct cascade_addr l = local_of(t), r = rtcp_of(t);

	fake_transport(t, port, flags, suite, &l, (flags & CASCADE_TRANSPORT_RTCP_MUX) ? NULL : &r);
}

static int
setup(void **state)
{
	const uint8_t mux = CASCADE_TRANSPORT_RTCP_MUX, aes = CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80;
	struct cascade_addr r = remote(5000), out = fake_addr4(198, 18, 0, 200, 7000);
	uint32_t t, cs = 0;

	RTE_SET_USED(state);
	fake_dp_init();
	w0 = dp.workers[0];
	w1 = dp.workers[1];
	fake_port_set(1, RTE_ETHER_MTU, 100, false);
	transport(T_PLAIN, 0, mux, 0);
	transport(T_COMEDIA, 0, mux | CASCADE_TRANSPORT_COMEDIA, 0);
	transport(T_NOMUX, 0, 0, 0);
	transport(T_UNCONN, 0, mux, 0);
	transport(T_PIPE, 0, mux | CASCADE_TRANSPORT_PIPE, 0);
	transport(T_SRTP, 0, mux, aes);
	transport(T_SRTP_COMEDIA, 0, mux | CASCADE_TRANSPORT_COMEDIA, aes);
	transport(T_VLAN, 1, mux, 0);
	transport(T_NOMAC, 0, mux, 0);
	transport(T_OUT, 0, mux, 0);
	fake_connect(T_PLAIN, &r, NULL, true);
	fake_connect(T_NOMUX, &r, NULL, true);
	fake_connect(T_SRTP, &r, NULL, true);
	fake_connect(T_VLAN, &r, NULL, true);
	fake_connect(T_NOMAC, &r, NULL, false);
	fake_connect(T_OUT, &out, NULL, true);
	/* every producer has one consumer on T_OUT, so an accepted RTP packet goes out */
	for (t = 0; t < T_COUNT; t++) {
		if (t == T_OUT)
			continue;
		fake_producer(t, t, SSRC(t), 0);
		fake_consumer(cs, t, T_OUT, CONSUMER_SSRC + t);
		fake_publish(t, &cs, 1);
		cs++;
	}
	fake_srtp_rx_set(T_SRTP, aes, key);
	fake_srtp_rx_set(T_SRTP_COMEDIA, aes, key);
	fake_producer(P_FOREIGN, T_PLAIN, SSRC_FOREIGN, 1);
	fake_consumer(cs, P_FOREIGN, T_OUT, CONSUMER_SSRC + P_FOREIGN);
	fake_publish(P_FOREIGN, &cs, 1);
	fake_producer(P_FOREIGN_NOMUX, T_NOMUX, SSRC_FOREIGN_NOMUX, 1);
	return 0;
}

/* ---- packets --------------------------------------------------------------------------- */

struct pkt {
	uint8_t b[FAKE_FRAME_MAX] __attribute__((aligned(4)));
	uint16_t len;
};

static struct pkt *
rtp(uint32_t ssrc, uint16_t seq)
{
	static struct pkt p;

	p.len = frame_rtp(p.b, 96, seq, 90u * seq, ssrc, 200);
	return &p;
}

static struct pkt *
rr(uint32_t ssrc)
{
	static struct pkt p;

	p.len = frame_rr(p.b, ssrc);
	return &p;
}

static struct pkt *
sr(uint32_t ssrc)
{
	static struct pkt p;

	p.len = frame_sr_compound(p.b, ssrc, 1234);
	return &p;
}

/* A STUN binding request's first bytes (RFC 5389 6: type 0x0001, magic cookie). */
static struct pkt *
stun(void)
{
	static struct pkt p;

	memset(p.b, 0, 20);
	p.b[1] = 0x01;
	p.b[4] = 0x21;
	p.b[5] = 0x12;
	p.b[6] = 0xa4;
	p.b[7] = 0x42;
	p.len = 20;
	return &p;
}

/* Protect p (RTP of ssrc) as the sender of an SRTP transport with `key` would. */
static struct pkt *
protect(struct pkt *p, uint32_t ssrc)
{
	struct cascade_srtp *tx =
		fake_srtp_session(CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80, key, ssrc, false);
	size_t len = p->len;

	assert_int_equal(cascade_srtp_protect_rtp(tx, p->b, &len, sizeof(p->b)), 0);
	p->len = (uint16_t)len;
	cascade_srtp_destroy(tx);
	return p;
}

/*
 * A frame from src to dst on port (vlan -1: untagged) received by worker w,
 * in a burst of its own: TX is flushed after it, the hand-off stage is left
 * for the test to look at (dp_handoff_flush).
 */
static void
rx_on(struct dp_worker *w, uint16_t port, int vlan, struct cascade_addr src,
      struct cascade_addr dst, const struct pkt *p)
{
	struct fake_frame_opts o = {.src = src, .dst = dst, .port = port, .vlan = vlan};

	dp_classify(w, fake_frame(&o, p->b, p->len));
	dp_tx_flush(w);
}

/* Received by worker 0 on port 0 for transport t's RTP (or mux) port. */
static void
rx(struct cascade_addr src, uint32_t t, const struct pkt *p)
{
	rx_on(w0, 0, -1, src, local_of(t), p);
}

static uint64_t
drops(const struct dp_worker *w, enum cascade_drop why)
{
	return w->stats->drop[why];
}

/* The one learn request worker w posted, taken off its ring. */
static struct dp_learn
learned(struct dp_worker *w)
{
	struct dp_learn l;

	assert_int_equal(rte_ring_count(w->learn_ring), 1);
	assert_int_equal(rte_ring_sc_dequeue_elem(w->learn_ring, &l, sizeof(l)), 0);
	return l;
}

static void
nothing_learned(const struct dp_worker *w)
{
	assert_int_equal(rte_ring_count(w->learn_ring), 0);
}

/* ---- the remote check ---------------------------------------------------------------------- */

static void
test_rtp_from_remote_accepted(void **state)
{
	RTE_SET_USED(state);
	rx(remote(5000), T_PLAIN, rtp(SSRC(T_PLAIN), 1));
	assert_int_equal(w0->tstats[T_PLAIN].rx_pkts, 1);
	assert_int_equal(w0->pstats[T_PLAIN].rx_pkts, 1);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_RTP_PKTS], 1);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_DROP_PKTS], 0);
	assert_int_equal(fake_n_tx, 1);
	nothing_learned(w0); /* the remote and its MAC are known */
}

static void
test_rtp_from_another_tuple_is_remote_mismatch(void **state)
{
	RTE_SET_USED(state);
	rx(remote(5001), T_PLAIN, rtp(SSRC(T_PLAIN), 1));   /* the remote's IP, another port */
	rx(stranger(5000), T_PLAIN, rtp(SSRC(T_PLAIN), 2)); /* another IP, the same port */
	assert_int_equal(drops(w0, CASCADE_DROP_REMOTE_MISMATCH), 2);
	assert_int_equal(w0->tstats[T_PLAIN].rx_pkts, 0);
	assert_int_equal(w0->pstats[T_PLAIN].rx_pkts, 0);
	nothing_learned(w0);
}

static void
test_rtp_from_remote_teaches_its_mac(void **state)
{
	struct dp_learn l;

	RTE_SET_USED(state);
	rx(remote(5000), T_NOMAC, rtp(SSRC(T_NOMAC), 1));
	l = learned(w0);
	assert_int_equal(l.what, DP_LEARN_MAC);
	assert_int_equal(l.transport, T_NOMAC);
	assert_int_equal(l.mac.addr_bytes[5], 0xaa); /* the frame's source MAC */
}

static void
test_comedia_learns_from_first_rtp(void **state)
{
	struct cascade_addr x = stranger(7777);
	struct dp_learn l;

	RTE_SET_USED(state);
	rx(x, T_COMEDIA, rtp(SSRC(T_COMEDIA), 1));
	/* a second source before main applied the first: one learn in flight, no more */
	rx(stranger(8888), T_COMEDIA, rtp(SSRC(T_COMEDIA), 2));
	l = learned(w0);
	assert_int_equal(l.what, DP_LEARN_RTP | DP_LEARN_MAC);
	assert_int_equal(l.transport, T_COMEDIA);
	assert_int_equal(l.gen, dp.transports[T_COMEDIA].gen);
	assert_memory_equal(&l.src, &x, sizeof(x));
	assert_int_equal(w0->tstats[T_COMEDIA].rx_pkts, 2);
}

static void
test_comedia_rtcp_first_does_not_learn_rtp_tuple(void **state)
{
	struct cascade_addr x = stranger(7777), x_rtcp = stranger(7778);
	struct dp_learn l;

	RTE_SET_USED(state);
	/* ffmpeg's order: an SR from the RTCP port first, then RR-like RTCP of no producer */
	rx(x_rtcp, T_COMEDIA, sr(SSRC(T_COMEDIA)));
	rx(x_rtcp, T_COMEDIA, rr(SSRC_UNKNOWN));
	assert_int_equal(w0->tstats[T_COMEDIA].rx_pkts, 2); /* accepted... */
	nothing_learned(w0);                                /* ...without learning */
	rx(x, T_COMEDIA, rtp(SSRC(T_COMEDIA), 1));
	l = learned(w0);
	assert_true(l.what & DP_LEARN_RTP);
	assert_memory_equal(&l.src, &x, sizeof(x));
}

static void
test_rtcp_from_remote_ip_other_port_learns_rtcp_remote(void **state)
{
	struct cascade_addr r_rtcp = remote(5001);
	struct dp_learn l;

	RTE_SET_USED(state);
	rx(r_rtcp, T_PLAIN, sr(SSRC(T_PLAIN)));
	assert_int_equal(drops(w0, CASCADE_DROP_REMOTE_MISMATCH), 0);
	assert_int_equal(w0->tstats[T_PLAIN].rx_pkts, 1);
	assert_int_equal(w0->tstats[T_PLAIN].rtcp_pkts, 1);
	l = learned(w0);
	assert_int_equal(l.what, DP_LEARN_RTCP); /* never the RTP tuple */
	assert_memory_equal(&l.src, &r_rtcp, sizeof(r_rtcp));
}

static void
test_rtcp_from_another_ip_is_remote_mismatch(void **state)
{
	RTE_SET_USED(state);
	rx(stranger(5001), T_PLAIN, sr(SSRC(T_PLAIN)));
	rx(stranger(5001), T_PLAIN, rr(SSRC_UNKNOWN));
	assert_int_equal(drops(w0, CASCADE_DROP_REMOTE_MISMATCH), 2);
	assert_int_equal(w0->tstats[T_PLAIN].rx_pkts, 0);
	nothing_learned(w0);
}

static void
test_known_rtcp_remote_is_the_only_one(void **state)
{
	struct cascade_addr r = remote(5000), r_rtcp = remote(5009);

	RTE_SET_USED(state);
	fake_connect(T_PLAIN, &r, &r_rtcp, true);
	rx(r_rtcp, T_PLAIN, rr(SSRC_UNKNOWN));       /* the RTCP remote */
	rx(r, T_PLAIN, rr(SSRC_UNKNOWN));            /* the RTP remote */
	rx(remote(5001), T_PLAIN, rr(SSRC_UNKNOWN)); /* the remote's IP, a third port */
	rx(r_rtcp, T_PLAIN, rtp(SSRC(T_PLAIN), 1));  /* RTP from the RTCP remote */
	assert_int_equal(w0->tstats[T_PLAIN].rx_pkts, 2);
	assert_int_equal(drops(w0, CASCADE_DROP_REMOTE_MISMATCH), 2);
	nothing_learned(w0);
}

static void
test_non_mux_rtp_on_rtcp_port_dropped(void **state)
{
	RTE_SET_USED(state);
	rx_on(w0, 0, -1, remote(5000), rtcp_of(T_NOMUX), rtp(SSRC(T_NOMUX), 1));
	assert_int_equal(drops(w0, CASCADE_DROP_UNKNOWN_DEMUX), 1);
	assert_int_equal(w0->tstats[T_NOMUX].rx_pkts, 0);
}

static void
test_non_mux_rtcp_port_takes_remote_ip_while_rtcp_remote_unknown(void **state)
{
	struct cascade_addr r_rtcp = remote(5001);
	struct dp_learn l;

	RTE_SET_USED(state);
	rx_on(w0, 0, -1, stranger(5001), rtcp_of(T_NOMUX), sr(SSRC(T_NOMUX)));
	assert_int_equal(drops(w0, CASCADE_DROP_REMOTE_MISMATCH), 1);
	nothing_learned(w0);
	rx_on(w0, 0, -1, r_rtcp, rtcp_of(T_NOMUX), sr(SSRC(T_NOMUX)));
	assert_int_equal(w0->tstats[T_NOMUX].rx_pkts, 1);
	l = learned(w0);
	assert_int_equal(l.what, DP_LEARN_RTCP);
	assert_memory_equal(&l.src, &r_rtcp, sizeof(r_rtcp));
}

static void
test_non_mux_rtcp_port_takes_only_known_rtcp_remote(void **state)
{
	struct cascade_addr r = remote(5000), r_rtcp = remote(5001);

	RTE_SET_USED(state);
	fake_connect(T_NOMUX, &r, &r_rtcp, true);
	rx_on(w0, 0, -1, r_rtcp, rtcp_of(T_NOMUX), rr(SSRC_UNKNOWN));
	rx_on(w0, 0, -1, remote(5003), rtcp_of(T_NOMUX), rr(SSRC_UNKNOWN));
	assert_int_equal(w0->tstats[T_NOMUX].rx_pkts, 1);
	assert_int_equal(drops(w0, CASCADE_DROP_REMOTE_MISMATCH), 1);
	nothing_learned(w0);
}

static void
test_unconnected_transport_accepts_nothing(void **state)
{
	RTE_SET_USED(state);
	rx(remote(5000), T_UNCONN, rtp(SSRC(T_UNCONN), 1));
	rx(remote(5000), T_UNCONN, sr(SSRC(T_UNCONN)));
	rx(remote(5000), T_UNCONN, stun());
	assert_int_equal(drops(w0, CASCADE_DROP_REMOTE_MISMATCH), 3);
	assert_int_equal(w0->tstats[T_UNCONN].rx_pkts, 0);
	assert_int_equal(rte_ring_count(w0->slow_ring), 0);
	nothing_learned(w0);
}

static void
test_pipe_accepts_any_source(void **state)
{
	RTE_SET_USED(state);
	rx(remote(5000), T_PIPE, rtp(SSRC(T_PIPE), 1));
	rx(stranger(9), T_PIPE, rtp(SSRC(T_PIPE), 2));
	rx(stranger(10), T_PIPE, sr(SSRC(T_PIPE)));
	assert_int_equal(w0->tstats[T_PIPE].rx_pkts, 3);
	assert_int_equal(w0->pstats[T_PIPE].rx_pkts, 2);
	assert_int_equal(drops(w0, CASCADE_DROP_REMOTE_MISMATCH), 0);
	nothing_learned(w0); /* a pipe never learns */
}

static void
test_stun_from_remote_goes_to_slow_path(void **state)
{
	struct rte_mbuf *m = NULL;

	RTE_SET_USED(state);
	rx(remote(5000), T_PLAIN, stun());
	assert_int_equal(rte_ring_count(w0->slow_ring), 1);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_SLOW_PKTS], 1);
	assert_int_equal(w0->tstats[T_PLAIN].rx_pkts, 1);
	assert_int_equal(rte_ring_dequeue(w0->slow_ring, (void **)&m), 0);
	rte_pktmbuf_free(m);
}

/* ---- SRTP before and after the lookup ------------------------------------------------------- */

static void
test_unknown_ssrc_on_srtp_transport_no_crypto_on_worker(void **state)
{
	struct rte_mbuf *m = NULL;

	RTE_SET_USED(state);
	rx(remote(5000), T_SRTP, protect(rtp(SSRC_UNKNOWN, 1), SSRC_UNKNOWN));
	/* a receiver's SRTCP of an SSRC not learned: up to the main lcore, not rtcp_terminated */
	rx(remote(5000), T_SRTP, rr(SSRC_UNKNOWN));
	assert_int_equal(drops(w0, CASCADE_DROP_UNKNOWN_SSRC), 1);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_SRTCP_LEARN_UP], 1);
	assert_int_equal(drops(w0, CASCADE_DROP_RTCP_TERMINATED), 0);
	assert_int_equal(rte_ring_dequeue(w0->slow_ring, (void **)&m), 0);
	rte_pktmbuf_free(m);
	assert_int_equal(drops(w0, CASCADE_DROP_SRTP_AUTH), 0);
	assert_int_equal(drops(w0, CASCADE_DROP_SRTP_REPLAY), 0);
	assert_int_equal(drops(w0, CASCADE_DROP_SRTP_ERROR), 0);
	assert_int_equal(w0->tstats[T_SRTP].rx_pkts, 1); /* the slow path's */
	assert_int_equal(w0->tstats[T_SRTP].drop_pkts, 0);
	/* the same packet with the producer's SSRC does reach the crypto */
	rx(remote(5000), T_SRTP, rtp(SSRC(T_SRTP), 2));
	assert_int_equal(drops(w0, CASCADE_DROP_SRTP_AUTH), 1);
	assert_int_equal(w0->tstats[T_SRTP].drop_pkts, 1);
}

static void
test_srtp_packet_unprotected_and_forwarded(void **state)
{
	struct fake_out o;

	RTE_SET_USED(state);
	rx(remote(5000), T_SRTP, protect(rtp(SSRC(T_SRTP), 42), SSRC(T_SRTP)));
	assert_int_equal(w0->tstats[T_SRTP].rx_pkts, 1);
	assert_int_equal(fake_n_tx, 1);
	fake_out_read(fake_txd[0].m, &o); /* the checksum redone after unprotect holds */
	assert_int_equal(o.payload_len, 12 + 200);
	assert_int_equal(frame_rd32(o.payload + 8), CONSUMER_SSRC + T_SRTP);
	assert_int_equal(o.payload[12], 42); /* plain again */
	/* the same packet again is a replay */
	rx(remote(5000), T_SRTP, protect(rtp(SSRC(T_SRTP), 42), SSRC(T_SRTP)));
	assert_int_equal(drops(w0, CASCADE_DROP_SRTP_REPLAY), 1);
}

static void
test_comedia_srtp_learns_only_from_authentic_packet(void **state)
{
	struct cascade_addr y = stranger(6000);
	struct dp_learn l;

	RTE_SET_USED(state);
	rx(stranger(6666), T_SRTP_COMEDIA, rtp(SSRC(T_SRTP_COMEDIA), 1)); /* forged */
	assert_int_equal(drops(w0, CASCADE_DROP_SRTP_AUTH), 1);
	nothing_learned(w0);
	rx(y, T_SRTP_COMEDIA, protect(rtp(SSRC(T_SRTP_COMEDIA), 2), SSRC(T_SRTP_COMEDIA)));
	l = learned(w0);
	assert_true(l.what & DP_LEARN_RTP);
	assert_memory_equal(&l.src, &y, sizeof(y));
}

/* ---- RTCP that ends here ---------------------------------------------------------------------- */

static void
test_rtcp_of_no_producer_on_plain_transport_terminated(void **state)
{
	RTE_SET_USED(state);
	rx(remote(5000), T_PLAIN, rr(SSRC_UNKNOWN));
	assert_int_equal(drops(w0, CASCADE_DROP_RTCP_TERMINATED), 1);
	assert_int_equal(drops(w0, CASCADE_DROP_UNKNOWN_SSRC), 0);
	assert_int_equal(w0->tstats[T_PLAIN].rx_pkts, 1);
	assert_int_equal(w0->tstats[T_PLAIN].rtcp_pkts, 1);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_RTCP_PKTS], 1);
}

static void
test_malformed_rtcp_of_no_producer_not_accepted(void **state)
{
	struct pkt *p = rr(SSRC_UNKNOWN);

	RTE_SET_USED(state);
	p->b[3] = 5; /* a length past the packet */
	rx(remote(5000), T_PLAIN, p);
	assert_int_equal(drops(w0, CASCADE_DROP_RTCP_TRUNC), 1);
	assert_int_equal(drops(w0, CASCADE_DROP_RTCP_TERMINATED), 0);
	assert_int_equal(w0->tstats[T_PLAIN].rx_pkts, 0);
}

/* ---- VLAN --------------------------------------------------------------------------------- */

static void
test_vlan_port_takes_only_its_own_tag(void **state)
{
	RTE_SET_USED(state);
	rx_on(w0, 1, -1, remote(5000), local_of(T_VLAN), rtp(SSRC(T_VLAN), 1));
	rx_on(w0, 1, 200, remote(5000), local_of(T_VLAN), rtp(SSRC(T_VLAN), 2));
	assert_int_equal(drops(w0, CASCADE_DROP_VLAN), 2);
	rx_on(w0, 1, 100, remote(5000), local_of(T_VLAN), rtp(SSRC(T_VLAN), 3));
	assert_int_equal(w0->tstats[T_VLAN].rx_pkts, 1);
	assert_int_equal(drops(w0, CASCADE_DROP_VLAN), 2);
}

static void
test_untagged_port_refuses_tags(void **state)
{
	RTE_SET_USED(state);
	rx_on(w0, 0, 100, remote(5000), local_of(T_PLAIN), rtp(SSRC(T_PLAIN), 1));
	assert_int_equal(drops(w0, CASCADE_DROP_VLAN), 1);
	assert_int_equal(w0->tstats[T_PLAIN].rx_pkts, 0);
}

/* ---- ownership ---------------------------------------------------------------------------- */

static const struct dp_meta *
staged_meta(const struct dp_worker *w, uint16_t owner, uint16_t i)
{
	return dp_meta_of(w->ho[owner].pkts[i], dp.meta_off);
}

static void
test_foreign_producer_staged_for_owner(void **state)
{
	const struct dp_meta *mt;

	RTE_SET_USED(state);
	rx(remote(5000), T_PLAIN, rtp(SSRC_FOREIGN, 1));
	assert_int_equal(w0->n_ho_dirty, 1);
	assert_int_equal(w0->ho_dirty[0], 1);
	assert_int_equal(w0->ho[1].n, 1);
	mt = staged_meta(w0, 1, 0);
	assert_int_equal(mt->pslot, P_FOREIGN);
	assert_int_equal(mt->pgen, 1);
	assert_int_equal(mt->is_rtcp, 0);
	assert_int_equal(mt->rtcp_port, 0);
	assert_int_equal(mt->learn, 0);
	/* nothing past the stage ran here: not counted, not sent */
	assert_int_equal(w0->tstats[T_PLAIN].rx_pkts, 0);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_RTP_PKTS], 0);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_DROP_PKTS], 0);
	/* at the end of the burst it goes to the owner's ring, which finishes it */
	dp_handoff_flush(w0);
	assert_int_equal(w0->n_ho_dirty, 0);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_HANDOFF_OUT], 1);
	assert_int_equal(rte_ring_count(w1->handoff), 1);
	assert_int_equal(dp_handoff_drain(w1), 1);
	dp_tx_flush(w1);
	assert_int_equal(w1->stats->ctr[CASCADE_LC_HANDOFF_IN], 1);
	assert_int_equal(w1->tstats[T_PLAIN].rx_pkts, 1);
	assert_int_equal(w1->pstats[P_FOREIGN].rx_pkts, 1);
	assert_int_equal(fake_n_tx, 1);
	assert_int_equal(fake_txd[0].queue, 1); /* sent on the owner's TX queue */
}

static void
test_each_staged_packet_handed_off_once(void **state)
{
	RTE_SET_USED(state);
	/* two bursts of one packet each */
	rx(remote(5000), T_PLAIN, rtp(SSRC_FOREIGN, 1));
	dp_handoff_flush(w0);
	rx(remote(5000), T_PLAIN, rtp(SSRC_FOREIGN, 2));
	dp_handoff_flush(w0);
	assert_int_equal(rte_ring_count(w1->handoff), 2);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_HANDOFF_OUT], 2);
	assert_int_equal(dp_handoff_drain(w1), 2);
	dp_tx_flush(w1);
	assert_int_equal(fake_n_tx, 2);
	assert_int_equal(frame_rd16(rte_pktmbuf_mtod_offset(fake_txd[0].m, uint8_t *, 44)), 1);
	assert_int_equal(frame_rd16(rte_pktmbuf_mtod_offset(fake_txd[1].m, uint8_t *, 44)), 2);
}

static void
test_full_stage_goes_at_once(void **state)
{
	uint16_t i;

	RTE_SET_USED(state);
	for (i = 0; i < DP_BURST + 1; i++)
		rx(remote(5000), T_PLAIN, rtp(SSRC_FOREIGN, i));
	/* DP_BURST staged packets went to the ring as the stage filled; one waits */
	assert_int_equal(rte_ring_count(w1->handoff), DP_BURST);
	assert_int_equal(w0->ho[1].n, 1);
	dp_handoff_flush(w0);
	assert_int_equal(rte_ring_count(w1->handoff), DP_BURST + 1);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_HANDOFF_OUT], DP_BURST + 1);
}

static void
test_full_handoff_ring_drops_as_handoff_full(void **state)
{
	struct rte_ring *small = fake_ring_make(sizeof(void *), 4, RING_F_SC_DEQ);
	struct rte_ring *ring = w1->handoff;
	uint16_t i;

	RTE_SET_USED(state);
	w1->handoff = small; /* room for 3 */
	for (i = 0; i < 5; i++)
		rx(remote(5000), T_PLAIN, rtp(SSRC_FOREIGN, i));
	dp_handoff_flush(w0);
	assert_int_equal(rte_ring_count(small), 3);
	assert_int_equal(w0->stats->ctr[CASCADE_LC_HANDOFF_OUT], 3);
	assert_int_equal(drops(w0, CASCADE_DROP_HANDOFF_FULL), 2);
	assert_int_equal(dp_handoff_drain(w1), 3);
	w1->handoff = ring;
	free(small);
}

static void
test_handoff_meta_carries_rtcp_port_and_learn(void **state)
{
	const struct dp_meta *mt;
	struct dp_learn l;

	RTE_SET_USED(state);
	rx_on(w0, 0, -1, remote(5001), rtcp_of(T_NOMUX), sr(SSRC_FOREIGN_NOMUX));
	assert_int_equal(w0->ho[1].n, 1);
	mt = staged_meta(w0, 1, 0);
	assert_int_equal(mt->pslot, P_FOREIGN_NOMUX);
	assert_int_equal(mt->is_rtcp, 1);
	assert_int_equal(mt->rtcp_port, 1);
	assert_int_equal(mt->learn, DP_LEARN_RTCP);
	nothing_learned(w0); /* the owner posts it, once it has accepted the packet */
	dp_handoff_flush(w0);
	assert_int_equal(dp_handoff_drain(w1), 1);
	l = learned(w1);
	assert_int_equal(l.what, DP_LEARN_RTCP);
	assert_int_equal(rte_be_to_cpu_16(l.src.port_be), 5001);
	assert_int_equal(w1->tstats[T_NOMUX].rx_pkts, 1);
}

static void
test_owner_drops_producer_gone_when_generation_moved(void **state)
{
	RTE_SET_USED(state);
	rx(remote(5000), T_PLAIN, rtp(SSRC_FOREIGN, 1));
	dp_handoff_flush(w0);
	/* deleted while the packet waited (producer_remove bumps the generation) */
	atomic_fetch_add(&dp.producers[P_FOREIGN].gen, 1);
	assert_int_equal(dp_handoff_drain(w1), 1);
	dp_tx_flush(w1);
	assert_int_equal(drops(w1, CASCADE_DROP_PRODUCER_GONE), 1);
	assert_int_equal(w1->tstats[T_PLAIN].rx_pkts, 0);
	assert_int_equal(fake_n_tx, 0);
}

static void
test_owner_drops_producer_gone_when_slot_freed(void **state)
{
	RTE_SET_USED(state);
	rx(remote(5000), T_PLAIN, rtp(SSRC_FOREIGN, 1));
	dp_handoff_flush(w0);
	dp.producers[P_FOREIGN].in_use = 0;
	assert_int_equal(dp_handoff_drain(w1), 1);
	assert_int_equal(drops(w1, CASCADE_DROP_PRODUCER_GONE), 1);
	assert_int_equal(w1->pstats[P_FOREIGN].rx_pkts, 0);
}

static void
test_owner_drops_producer_gone_when_reused_by_another_worker(void **state)
{
	RTE_SET_USED(state);
	rx(remote(5000), T_PLAIN, rtp(SSRC_FOREIGN, 1));
	dp_handoff_flush(w0);
	/* deleted and the slot given to a producer owned elsewhere, generation aside */
	dp.producers[P_FOREIGN].owner = 0;
	assert_int_equal(dp_handoff_drain(w1), 1);
	assert_int_equal(drops(w1, CASCADE_DROP_PRODUCER_GONE), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_teardown)
		T(test_rtp_from_remote_accepted),
		T(test_rtp_from_another_tuple_is_remote_mismatch),
		T(test_rtp_from_remote_teaches_its_mac),
		T(test_comedia_learns_from_first_rtp),
		T(test_comedia_rtcp_first_does_not_learn_rtp_tuple),
		T(test_rtcp_from_remote_ip_other_port_learns_rtcp_remote),
		T(test_rtcp_from_another_ip_is_remote_mismatch),
		T(test_known_rtcp_remote_is_the_only_one),
		T(test_non_mux_rtp_on_rtcp_port_dropped),
		T(test_non_mux_rtcp_port_takes_remote_ip_while_rtcp_remote_unknown),
		T(test_non_mux_rtcp_port_takes_only_known_rtcp_remote),
		T(test_unconnected_transport_accepts_nothing),
		T(test_pipe_accepts_any_source),
		T(test_stun_from_remote_goes_to_slow_path),
		T(test_unknown_ssrc_on_srtp_transport_no_crypto_on_worker),
		T(test_srtp_packet_unprotected_and_forwarded),
		T(test_comedia_srtp_learns_only_from_authentic_packet),
		T(test_rtcp_of_no_producer_on_plain_transport_terminated),
		T(test_malformed_rtcp_of_no_producer_not_accepted),
		T(test_vlan_port_takes_only_its_own_tag),
		T(test_untagged_port_refuses_tags),
		T(test_foreign_producer_staged_for_owner),
		T(test_each_staged_packet_handed_off_once),
		T(test_full_stage_goes_at_once),
		T(test_full_handoff_ring_drops_as_handoff_full),
		T(test_handoff_meta_carries_rtcp_port_and_learn),
		T(test_owner_drops_producer_gone_when_generation_moved),
		T(test_owner_drops_producer_gone_when_slot_freed),
		T(test_owner_drops_producer_gone_when_reused_by_another_worker),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
