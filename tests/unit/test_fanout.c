/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the fan-out (dp_fanout.c), the sender-report forwarding
 * (dp_rtcp.c) and the egress headers they share (dp_tx.c), compiled unchanged
 * and driven without EAL on the fake dataplane of dp_fake.h: DPDK's own mbuf
 * code allocates, clones and frees on hand-made pools, and rte_eth_tx_burst()
 * hands every egress frame to a capture. A producer's packet is built as a
 * frame, parsed by the dataplane's parsers and given to dp_fanout_rtp() or
 * dp_fanout_rtcp(); each test then reads the captured frames back with the
 * harness's own parser, which also recomputes every IPv4 header and UDP
 * checksum. Each test ends with every mbuf back in its pool (teardown fails
 * otherwise), so a leak, a double free or a lost packet fails the test that
 * caused it.
 *
 * Covered: the last consumer takes the ingress mbuf itself, rewritten in
 * place; earlier consumers get a header mbuf chained to an indirect clone of
 * the payload (untouched, reference counted), a copy in the header mbuf below
 * copy_below, or one linear copy on a port that sends one segment; SRTP
 * consumers get a private protected copy, which an independent inbound
 * session with the same key decrypts back to the rewritten packet; payload
 * type maps, paused consumers; drops by reason (no_route, too_big from the
 * port's MTU, seq_late, no_mbuf, no_consumer, tx_full); IPv4 to IPv6 egress,
 * the port's VLAN tag; sender reports rewritten to one 28-byte SR with the
 * consumer's SSRC and timestamp offset, sent to the RTCP port without
 * rtcp-mux, protected for an SRTP consumer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

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

static const uint8_t key[30] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
				16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};

static struct dp_worker *w;
static struct cascade_addr in_remote, in_local;

/* Transport t on port with local 198.18.0.1:(40000 + 2t), remote 198.18.0.(101 + t):(6000 + 2t). */
static void
transport4(uint32_t t, uint16_t port, uint8_t flags, uint8_t suite, bool connect, bool mac)
{
	struct cascade_addr local = fake_addr4(198, 18, 0, 1, (uint16_t)(40000 + 2 * t));
	struct cascade_addr rtcp = fake_addr4(198, 18, 0, 1, (uint16_t)(40001 + 2 * t));
	struct cascade_addr remote =
		fake_addr4(198, 18, 0, (uint8_t)(101 + t), (uint16_t)(6000 + 2 * t));

	fake_transport(t, port, flags, suite, &local,
		       (flags & CASCADE_TRANSPORT_RTCP_MUX) ? NULL : &rtcp);
	if (connect)
		fake_connect(t, &remote, NULL, mac);
}

static int
setup(void **state)
{
	struct cascade_addr l6 = fake_addr6(1, 40000 + 2 * T_V6), r6 = fake_addr6(2, 6004);
	const uint8_t mux = CASCADE_TRANSPORT_RTCP_MUX;

	RTE_SET_USED(state);
	fake_dp_init();
	w = dp.workers[0];
	fake_port_set(PORT_LINEAR, RTE_ETHER_MTU, DP_VLAN_NONE, true);
	fake_port_set(PORT_VLAN, RTE_ETHER_MTU, 100, false);
	fake_port_set(PORT_SMALL, 576, DP_VLAN_NONE, false);
	transport4(T_IN, 0, mux, CASCADE_SUITE_NONE, true, true);
	transport4(T_A, 0, mux, CASCADE_SUITE_NONE, true, true);
	transport4(T_B, 0, mux, CASCADE_SUITE_NONE, true, true);
	transport4(T_C, 0, mux, CASCADE_SUITE_NONE, true, true);
	fake_transport(T_V6, 0, mux, CASCADE_SUITE_NONE, &l6, NULL);
	fake_connect(T_V6, &r6, NULL, true);
	transport4(T_SRTP, 0, mux, CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80, true, true);
	transport4(T_LINEAR, PORT_LINEAR, mux, CASCADE_SUITE_NONE, true, true);
	transport4(T_VLAN, PORT_VLAN, mux, CASCADE_SUITE_NONE, true, true);
	transport4(T_SMALL, PORT_SMALL, mux, CASCADE_SUITE_NONE, true, true);
	transport4(T_NOMUX, 0, 0, CASCADE_SUITE_NONE, true, true);
	transport4(T_NOPEER, 0, mux, CASCADE_SUITE_NONE, false, false);
	transport4(T_NOMAC, 0, mux, CASCADE_SUITE_NONE, true, false);
	in_local = dp.transports[T_IN].cfg.local;
	in_remote = atomic_load(&dp.transports[T_IN].peer)->remote;
	fake_producer(0, T_IN, P_SSRC, 0);
	return 0;
}

/* Consumer slot cs on transport t with ssrc, and the producer's list set to cs[0..n). */
static struct dp_consumer *
consumer(uint32_t cs, uint32_t t, uint32_t ssrc)
{
	return fake_consumer(cs, 0, t, ssrc);
}

static void
publish(uint32_t n, ...)
{
	uint32_t cs[FAKE_SLOTS], i;
	va_list ap;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		cs[i] = va_arg(ap, uint32_t);
	va_end(ap);
	fake_publish(0, cs, n);
}

/* The producer's RTP packet as a frame from its remote. */
static struct rte_mbuf *
rtp_frame(uint8_t pt, uint16_t seq, uint32_t ts, uint16_t payload_len, bool cksum)
{
	static uint8_t pl[FAKE_FRAME_MAX];
	struct fake_frame_opts o = {
		.src = in_remote, .dst = in_local, .port = 0, .vlan = -1, .no_cksum = !cksum};

	return fake_frame(&o, pl, frame_rtp(pl, pt, seq, ts, P_SSRC, payload_len));
}

/* Parse m with the dataplane's parsers, fan it out, flush TX. Returns m, for identity only. */
static struct rte_mbuf *
fan(struct rte_mbuf *m)
{
	enum cascade_drop why;
	struct dp_l4 l4;
	struct dp_rtp rtp;

	assert_int_equal(dp_parse_l4(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &l4, &why),
			 0);
	assert_int_equal(dp_parse_rtp(rte_pktmbuf_mtod_offset(m, const uint8_t *, l4.payload_off),
				      l4.payload_len, &rtp, &why),
			 0);
	dp_fanout_rtp(w, m, &l4, &rtp, &dp.producers[0], 0);
	dp_tx_flush(w);
	return m;
}

static struct rte_mbuf *
send_rtp(uint16_t seq, uint16_t payload_len)
{
	return fan(rtp_frame(96, seq, 1000u * seq, payload_len, true));
}

/* Captured frame i, read and checked (lengths, checksums). */
static void
out(unsigned int i, struct fake_out *o)
{
	assert_true(i < fake_n_tx);
	fake_out_read(fake_txd[i].m, o);
}

/* o goes from transport t's local address to its remote. */
static void
expect_route(const struct fake_out *o, uint32_t t)
{
	const struct dp_peer *peer = atomic_load(&dp.transports[t].peer);

	assert_memory_equal(&o->src, &dp.transports[t].cfg.local, sizeof(o->src));
	assert_memory_equal(&o->dst, &peer->remote, sizeof(o->dst));
	assert_memory_equal(o->dst_mac, peer->mac.addr_bytes, 6);
	assert_int_equal(o->ttl, 64);
}

/* p[0..len) is RTP: pt, seq, ts, ssrc rewritten, the payload of input seq in_seq untouched. */
static void
expect_rtp(const uint8_t *p, uint16_t len, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
	   uint16_t in_seq, uint16_t payload_len)
{
	uint16_t i;

	assert_int_equal(len, 12 + payload_len);
	assert_int_equal(p[0], 0x80);
	assert_int_equal(p[1], pt);
	assert_int_equal(frame_rd16(p + 2), seq);
	assert_int_equal(frame_rd32(p + 4), ts);
	assert_int_equal(frame_rd32(p + 8), ssrc);
	for (i = 0; i < payload_len; i++)
		if (p[12 + i] != (uint8_t)(in_seq + i))
			fail_msg("payload byte %u: 0x%02x, want 0x%02x", i, p[12 + i],
				 (uint8_t)(in_seq + i));
}

/* The first packet of a stream keeps the producer's numbers (offsets 0). */
static void
expect_first(const struct fake_out *o, uint32_t t, uint32_t ssrc, uint16_t seq,
	     uint16_t payload_len)
{
	expect_route(o, t);
	expect_rtp(o->payload, o->payload_len, 96, seq, 1000u * seq, ssrc, seq, payload_len);
}

static uint64_t
drops(enum cascade_drop why)
{
	return w->stats->drop[why];
}

/* ---- zero copy ---------------------------------------------------------------------------- */

static void
test_last_consumer_takes_ingress_in_place(void **state)
{
	struct rte_mbuf *in;
	struct fake_out o;

	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC);
	publish(1, 0);
	in = send_rtp(100, BIG);
	assert_int_equal(fake_n_tx, 1);
	/* the ingress mbuf itself went out: no header, clone or copy was made */
	assert_ptr_equal(fake_txd[0].m, in);
	assert_int_equal(fake_txd[0].port, 0);
	assert_int_equal(fake_txd[0].queue, w->idx);
	assert_int_equal(fake_pool_in_use(dp.pkt_pool), 1);
	assert_int_equal(fake_pool_in_use(dp.hdr_pool), 0);
	assert_int_equal(fake_pool_in_use(dp.clone_pool), 0);
	out(0, &o);
	assert_int_equal(o.nb_segs, 1);
	expect_first(&o, T_A, A_SSRC, 100, BIG);
	assert_int_equal(w->cstats[0].tx_pkts, 1);
	assert_int_equal(w->cstats[0].tx_bytes, o.len);
	assert_int_equal(w->tstats[T_A].tx_pkts, 1);
	assert_int_equal(w->stats->ctr[CASCADE_LC_TX_PKTS], 1);
	assert_int_equal(w->stats->ctr[CASCADE_LC_DROP_PKTS], 0);
}

static void
test_earlier_consumer_gets_header_and_payload_clone(void **state)
{
	struct rte_mbuf *in, *h, *clone;
	struct fake_out a, b;
	uint16_t i;

	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC);
	consumer(1, T_B, B_SSRC);
	publish(2, 0, 1);
	in = send_rtp(7, BIG);
	assert_int_equal(fake_n_tx, 2);
	h = fake_txd[0].m;
	assert_ptr_equal(fake_txd[1].m, in); /* the last consumer took the ingress mbuf */
	/* A: a header mbuf from the header pool, chained to an indirect clone of the payload */
	assert_ptr_equal(h->pool, dp.hdr_pool);
	assert_int_equal(h->nb_segs, 2);
	clone = h->next;
	assert_non_null(clone);
	assert_ptr_equal(clone->pool, dp.clone_pool);
	assert_true(RTE_MBUF_CLONED(clone));
	assert_ptr_equal(rte_mbuf_from_indirect(clone), in);
	assert_int_equal(clone->data_len, BIG);
	/* the clone holds a reference: the buffer lives until both packets are freed */
	assert_int_equal(rte_mbuf_refcnt_read(in), 2);
	/* the payload the clone points at is the producer's, untouched by B's rewrite */
	for (i = 0; i < BIG; i++)
		assert_int_equal(rte_pktmbuf_mtod(clone, const uint8_t *)[i], (uint8_t)(7 + i));
	out(0, &a);
	out(1, &b);
	expect_first(&a, T_A, A_SSRC, 7, BIG);
	expect_first(&b, T_B, B_SSRC, 7, BIG);
	assert_int_equal(fake_pool_in_use(dp.hdr_pool), 1);
	assert_int_equal(fake_pool_in_use(dp.clone_pool), 1);
	/* A's packet goes (header and clone): the ingress buffer stays, for B */
	rte_pktmbuf_free(h);
	fake_txd[0].m = NULL;
	assert_int_equal(rte_mbuf_refcnt_read(in), 1);
	assert_int_equal(fake_pool_in_use(dp.clone_pool), 0);
	assert_int_equal(fake_pool_in_use(dp.pkt_pool), 1);
	out(1, &b);
	expect_first(&b, T_B, B_SSRC, 7, BIG);
	rte_pktmbuf_free(in);
	fake_n_tx = 0;
}

static void
test_small_payload_copied_into_header(void **state)
{
	struct rte_mbuf *h;
	struct fake_out a;

	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC);
	consumer(1, T_B, B_SSRC);
	publish(2, 0, 1);
	send_rtp(9, SMALL);
	assert_int_equal(fake_n_tx, 2);
	h = fake_txd[0].m;
	assert_ptr_equal(h->pool, dp.hdr_pool);
	assert_int_equal(h->nb_segs, 1);
	assert_int_equal(fake_pool_in_use(dp.clone_pool), 0);
	out(0, &a);
	expect_first(&a, T_A, A_SSRC, 9, SMALL);
}

static void
test_linear_port_gets_one_full_copy(void **state)
{
	struct rte_mbuf *in, *c;
	struct fake_out a;

	RTE_SET_USED(state);
	consumer(0, T_LINEAR, A_SSRC);
	consumer(1, T_B, B_SSRC);
	publish(2, 0, 1);
	in = send_rtp(11, BIG);
	/* TX buffers are flushed port by port: B's packet (port 0) first */
	assert_int_equal(fake_n_tx, 2);
	assert_ptr_equal(fake_txd[0].m, in);
	assert_int_equal(fake_txd[1].port, PORT_LINEAR);
	c = fake_txd[1].m;
	assert_ptr_equal(c->pool, dp.pkt_pool); /* full-size, one segment */
	assert_int_equal(c->nb_segs, 1);
	assert_int_equal(fake_pool_in_use(dp.clone_pool), 0);
	assert_int_equal(fake_pool_in_use(dp.hdr_pool), 0);
	out(1, &a);
	expect_first(&a, T_LINEAR, A_SSRC, 11, BIG);
}

/* ---- SRTP --------------------------------------------------------------------------------- */

static void
test_srtp_consumer_gets_private_protected_copy(void **state)
{
	struct cascade_srtp *rx =
		fake_srtp_session(CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80, key, A_SSRC, true);
	uint8_t buf[FAKE_FRAME_MAX] __attribute__((aligned(4)));
	struct rte_mbuf *in;
	struct fake_out a;
	size_t len;

	RTE_SET_USED(state);
	consumer(0, T_SRTP, A_SSRC);
	fake_srtp_tx_set(0, CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80, key);
	publish(1, 0);
	in = send_rtp(300, BIG);
	assert_int_equal(fake_n_tx, 1);
	/* even as the last consumer it never gets the ingress mbuf: a private copy */
	assert_true(fake_txd[0].m != in);
	assert_ptr_equal(fake_txd[0].m->pool, dp.pkt_pool);
	assert_int_equal(fake_pool_in_use(dp.pkt_pool), 1); /* the ingress mbuf is gone */
	out(0, &a);
	expect_route(&a, T_SRTP);
	/* 80-bit tag (RFC 3711); the payload is encrypted */
	assert_int_equal(a.payload_len, 12 + BIG + 10);
	assert_int_not_equal(a.payload[12], (uint8_t)300);
	memcpy(buf, a.payload, a.payload_len);
	len = a.payload_len;
	assert_int_equal(cascade_srtp_unprotect_rtp(rx, buf, &len), 0);
	expect_rtp(buf, (uint16_t)len, 96, 300, 300000, A_SSRC, 300, BIG);
	cascade_srtp_destroy(rx);
}

static void
test_srtp_consumer_without_session_is_counted(void **state)
{
	RTE_SET_USED(state);
	consumer(0, T_SRTP, A_SSRC); /* no keys yet */
	consumer(1, T_B, B_SSRC);
	publish(2, 0, 1);
	send_rtp(1, BIG);
	assert_int_equal(fake_n_tx, 1);
	assert_int_equal(drops(CASCADE_DROP_SRTP_ERROR), 1);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
	assert_int_equal(w->cstats[1].tx_pkts, 1);
}

/* ---- which consumers ------------------------------------------------------------------------ */

static void
test_payload_type_map_and_unmapped_skipped(void **state)
{
	struct dp_consumer *a, *b;
	struct fake_out o;

	RTE_SET_USED(state);
	a = consumer(0, T_A, A_SSRC);
	b = consumer(1, T_B, B_SSRC);
	consumer(2, T_C, C_SSRC); /* no map: keeps the PT */
	a->cfg.n_pt_map = 1;
	a->cfg.pt_map[0].in_pt = 96;
	a->cfg.pt_map[0].out_pt = 100;
	b->cfg.n_pt_map = 1;
	b->cfg.pt_map[0].in_pt = 97; /* takes another codec only */
	b->cfg.pt_map[0].out_pt = 101;
	publish(3, 0, 1, 2);
	send_rtp(5, BIG);
	assert_int_equal(fake_n_tx, 2);
	out(0, &o);
	expect_route(&o, T_A);
	expect_rtp(o.payload, o.payload_len, 100, 5, 5000, A_SSRC, 5, BIG);
	out(1, &o);
	expect_first(&o, T_C, C_SSRC, 5, BIG);
	/* skipped, not lost: no drop anywhere */
	assert_int_equal(w->cstats[1].tx_pkts, 0);
	assert_int_equal(w->cstats[1].drop_pkts, 0);
	assert_int_equal(w->stats->ctr[CASCADE_LC_DROP_PKTS], 0);
}

static void
test_no_consumer_takes_the_payload_type(void **state)
{
	struct dp_consumer *a;

	RTE_SET_USED(state);
	a = consumer(0, T_A, A_SSRC);
	a->cfg.n_pt_map = 1;
	a->cfg.pt_map[0].in_pt = 111;
	a->cfg.pt_map[0].out_pt = 111;
	publish(1, 0);
	send_rtp(5, BIG);
	assert_int_equal(fake_n_tx, 0);
	assert_int_equal(drops(CASCADE_DROP_NO_CONSUMER), 1);
}

static void
test_paused_consumer_skipped(void **state)
{
	struct dp_consumer *b;
	struct fake_out o;

	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC);
	b = consumer(1, T_B, B_SSRC);
	atomic_store(&b->paused, 1);
	publish(2, 0, 1);
	send_rtp(3, BIG);
	/* A is now the only one that wants it; B, though last in the list, takes nothing */
	assert_int_equal(fake_n_tx, 1);
	out(0, &o);
	expect_first(&o, T_A, A_SSRC, 3, BIG);
	assert_int_equal(w->cstats[1].tx_pkts, 0);
	assert_int_equal(w->stats->ctr[CASCADE_LC_DROP_PKTS], 0);
}

static void
test_all_consumers_paused_is_no_consumer(void **state)
{
	RTE_SET_USED(state);
	atomic_store(&consumer(0, T_A, A_SSRC)->paused, 1);
	atomic_store(&consumer(1, T_B, B_SSRC)->paused, 1);
	publish(2, 0, 1);
	send_rtp(3, BIG);
	assert_int_equal(fake_n_tx, 0);
	assert_int_equal(drops(CASCADE_DROP_NO_CONSUMER), 1);
	assert_int_equal(w->stats->ctr[CASCADE_LC_DROP_PKTS], 1);
}

static void
test_no_consumer_list(void **state)
{
	RTE_SET_USED(state);
	send_rtp(3, BIG); /* never published */
	publish(0);
	send_rtp(4, BIG); /* published empty */
	assert_int_equal(fake_n_tx, 0);
	assert_int_equal(drops(CASCADE_DROP_NO_CONSUMER), 2);
}

/* ---- drops -------------------------------------------------------------------------------- */

static void
test_no_route_without_remote_or_mac(void **state)
{
	struct fake_out o;

	RTE_SET_USED(state);
	consumer(0, T_NOPEER, A_SSRC); /* header path */
	consumer(1, T_A, B_SSRC);
	consumer(2, T_NOMAC, C_SSRC); /* in place, last */
	publish(3, 0, 1, 2);
	send_rtp(3, BIG);
	assert_int_equal(fake_n_tx, 1);
	out(0, &o);
	expect_first(&o, T_A, B_SSRC, 3, BIG);
	assert_int_equal(drops(CASCADE_DROP_NO_ROUTE), 2);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
	assert_int_equal(w->cstats[2].drop_pkts, 1);
	/* the last consumer's drop freed the ingress mbuf; B's clone keeps its buffer */
	assert_int_equal(fake_pool_in_use(dp.hdr_pool), 1);
	assert_int_equal(fake_pool_in_use(dp.clone_pool), 1);
	assert_int_equal(rte_mbuf_refcnt_read(rte_mbuf_from_indirect(fake_txd[0].m->next)), 1);
}

static void
test_peer_mac_option_is_the_default_next_hop(void **state)
{
	struct fake_out o;

	RTE_SET_USED(state);
	dp.opt.has_peer_mac = true;
	dp.opt.peer_mac.addr_bytes[0] = 0x02;
	dp.opt.peer_mac.addr_bytes[5] = 0x77;
	consumer(0, T_NOMAC, A_SSRC);
	publish(1, 0);
	send_rtp(3, BIG);
	assert_int_equal(fake_n_tx, 1);
	out(0, &o);
	assert_memory_equal(o.dst_mac, dp.opt.peer_mac.addr_bytes, 6);
}

static void
test_too_big_for_port_mtu(void **state)
{
	RTE_SET_USED(state);
	consumer(0, T_SMALL, A_SSRC); /* header + clone */
	consumer(1, T_SMALL, B_SSRC); /* in place */
	publish(2, 0, 1);
	send_rtp(3, 600); /* IPv4 640 bytes > MTU 576 */
	assert_int_equal(fake_n_tx, 0);
	assert_int_equal(drops(CASCADE_DROP_TOO_BIG), 2);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
	assert_int_equal(w->cstats[1].drop_pkts, 1);
}

static void
test_ipv6_egress_growth_checked_against_mtu(void **state)
{
	struct fake_out o;

	RTE_SET_USED(state);
	consumer(0, T_V6, A_SSRC);
	consumer(1, T_A, B_SSRC);
	publish(2, 0, 1);
	/* 20 + 8 + 12 + 1460 = 1500: fits over IPv4, 20 bytes too many over IPv6 */
	send_rtp(3, 1460);
	assert_int_equal(fake_n_tx, 1);
	out(0, &o);
	assert_int_equal(o.family, CASCADE_AF_INET);
	assert_int_equal(o.ip_len, 1500);
	assert_int_equal(drops(CASCADE_DROP_TOO_BIG), 1);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
}

static void
test_srtp_trailer_growth_checked_against_mtu(void **state)
{
	RTE_SET_USED(state);
	consumer(0, T_SRTP, A_SSRC);
	fake_srtp_tx_set(0, CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80, key);
	publish(1, 0);
	send_rtp(3, 1460); /* 1500 bytes plain, 1510 with the tag */
	assert_int_equal(fake_n_tx, 0);
	assert_int_equal(drops(CASCADE_DROP_TOO_BIG), 1);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
}

static void
test_seq_late_after_resync_not_sent(void **state)
{
	struct dp_consumer *a;
	struct fake_out o;

	RTE_SET_USED(state);
	a = consumer(0, T_A, A_SSRC);
	consumer(1, T_B, B_SSRC);
	publish(2, 0, 1);
	send_rtp(100, BIG);
	/* A resumes (main bumps its epoch): it re-bases on its next packet */
	atomic_fetch_add(&a->resume_epoch, 1);
	send_rtp(200, BIG);
	/* late: from before A's resync, its output number 100 was used already */
	send_rtp(199, BIG);
	assert_int_equal(fake_n_tx, 5);
	out(2, &o);
	expect_route(&o, T_A);
	assert_int_equal(frame_rd16(o.payload + 2), 101); /* no gap for A */
	out(3, &o);
	expect_route(&o, T_B);
	assert_int_equal(frame_rd16(o.payload + 2), 200);
	out(4, &o);
	expect_route(&o, T_B); /* B still gets the reordered packet */
	assert_int_equal(frame_rd16(o.payload + 2), 199);
	assert_int_equal(drops(CASCADE_DROP_SEQ_LATE), 1);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
	assert_int_equal(w->cstats[0].tx_pkts, 2);
	assert_int_equal(w->cstats[1].tx_pkts, 3);
}

static void
test_seq_late_in_place_drops_ingress(void **state)
{
	struct dp_consumer *a;

	RTE_SET_USED(state);
	a = consumer(0, T_A, A_SSRC);
	publish(1, 0);
	send_rtp(100, BIG);
	atomic_fetch_add(&a->resume_epoch, 1);
	send_rtp(200, BIG);
	send_rtp(199, BIG);
	assert_int_equal(fake_n_tx, 2);
	assert_int_equal(drops(CASCADE_DROP_SEQ_LATE), 1);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
}

static void
test_no_mbuf_header_pool_empty(void **state)
{
	struct fake_out o;

	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC);
	consumer(1, T_B, B_SSRC);
	publish(2, 0, 1);
	fake_pool_exhaust(dp.hdr_pool);
	send_rtp(3, BIG);
	/* A has no header mbuf; B, the last, needs none */
	assert_int_equal(fake_n_tx, 1);
	out(0, &o);
	expect_first(&o, T_B, B_SSRC, 3, BIG);
	assert_int_equal(drops(CASCADE_DROP_NO_MBUF), 1);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
}

static void
test_no_mbuf_clone_pool_empty(void **state)
{
	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC);
	consumer(1, T_B, B_SSRC);
	publish(2, 0, 1);
	fake_pool_exhaust(dp.clone_pool);
	send_rtp(3, BIG);
	assert_int_equal(fake_n_tx, 1);
	assert_int_equal(drops(CASCADE_DROP_NO_MBUF), 1);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
	/* A's header mbuf went back with its drop */
	fake_tx_free_all();
	assert_int_equal(fake_pool_in_use(dp.hdr_pool), 0);
}

static void
test_no_mbuf_srtp_copy(void **state)
{
	struct rte_mbuf *m;

	RTE_SET_USED(state);
	consumer(0, T_SRTP, A_SSRC);
	fake_srtp_tx_set(0, CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80, key);
	consumer(1, T_B, B_SSRC);
	publish(2, 0, 1);
	m = rtp_frame(96, 1, 1000, BIG, true);
	/* the packet pool holds nothing but the ingress frame */
	fake_pool_exhaust(dp.pkt_pool);
	fan(m);
	assert_int_equal(fake_n_tx, 1); /* B only */
	assert_int_equal(drops(CASCADE_DROP_NO_MBUF), 1);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
}

static void
test_tx_full_counted_and_freed(void **state)
{
	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC);
	consumer(1, T_B, B_SSRC);
	publish(2, 0, 1);
	fake_tx_refuse(true);
	send_rtp(3, BIG);
	assert_int_equal(fake_n_tx, 0);
	assert_int_equal(drops(CASCADE_DROP_TX_FULL), 2);
	assert_int_equal(w->stats->ctr[CASCADE_LC_TX_PKTS], 0);
	assert_int_equal(w->stats->ctr[CASCADE_LC_DROP_PKTS], 2);
}

/* ---- headers and checksums ----------------------------------------------------------------- */

static void
test_ipv4_to_ipv6_egress(void **state)
{
	struct fake_out o;

	RTE_SET_USED(state);
	consumer(0, T_V6, A_SSRC);
	consumer(1, T_V6, B_SSRC);
	publish(2, 0, 1);
	send_rtp(3, BIG);
	assert_int_equal(fake_n_tx, 2);
	out(0, &o); /* header + clone */
	assert_int_equal(o.family, CASCADE_AF_INET6);
	assert_int_equal(o.ip_len, 40 + 8 + 12 + BIG);
	assert_int_not_equal(o.udp_cksum, 0); /* checked by fake_out_read() */
	expect_first(&o, T_V6, A_SSRC, 3, BIG);
	out(1, &o); /* in place: 20 bytes more in front of the same mbuf */
	assert_int_equal(o.family, CASCADE_AF_INET6);
	assert_int_not_equal(o.udp_cksum, 0);
	expect_first(&o, T_V6, B_SSRC, 3, BIG);
}

static void
test_checksums_of_every_path(void **state)
{
	struct fake_out o;
	unsigned int i;

	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC);      /* header + clone */
	consumer(1, T_LINEAR, B_SSRC); /* linear copy */
	consumer(2, T_V6, C_SSRC);     /* IPv6 */
	consumer(3, T_VLAN, A_SSRC + 3);
	consumer(4, T_B, B_SSRC + 4); /* in place */
	publish(5, 0, 1, 2, 3, 4);
	send_rtp(3, BIG);
	send_rtp(4, SMALL); /* copied into the header */
	send_rtp(5, 1);     /* odd lengths */
	assert_int_equal(fake_n_tx, 15);
	for (i = 0; i < fake_n_tx; i++) {
		out(i, &o); /* recomputes and checks every checksum */
		assert_int_not_equal(o.udp_cksum, 0);
	}
}

static void
test_ipv4_without_checksum_stays_without(void **state)
{
	struct fake_out o;

	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC);
	consumer(1, T_V6, B_SSRC);
	consumer(2, T_B, C_SSRC);
	publish(3, 0, 1, 2);
	fan(rtp_frame(96, 3, 3000, BIG, false));
	assert_int_equal(fake_n_tx, 3);
	out(0, &o);
	assert_int_equal(o.udp_cksum, 0);
	out(1, &o); /* IPv6 needs one: computed over the payload */
	assert_int_not_equal(o.udp_cksum, 0);
	out(2, &o);
	assert_int_equal(o.udp_cksum, 0);
}

static void
test_ethernet_padding_not_forwarded(void **state)
{
	struct fake_frame_opts fo = {.src = in_remote, .dst = in_local, .vlan = -1, .eth_pad = 2};
	struct fake_out o;
	uint8_t pl[32];

	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC);
	consumer(1, T_B, B_SSRC);
	publish(2, 0, 1);
	/* 14 + 20 + 8 + 16 = 58 bytes: the sender padded the frame to 60 */
	fan(fake_frame(&fo, pl, frame_rtp(pl, 96, 8, 8000, P_SSRC, 4)));
	assert_int_equal(fake_n_tx, 2);
	out(0, &o); /* fake_out_read() refuses bytes past the IP packet */
	expect_first(&o, T_A, A_SSRC, 8, 4);
	out(1, &o);
	expect_first(&o, T_B, B_SSRC, 8, 4);
}

static void
test_port_vlan_tag_on_egress(void **state)
{
	struct fake_out o;

	RTE_SET_USED(state);
	consumer(0, T_VLAN, A_SSRC);
	consumer(1, T_VLAN, B_SSRC);
	publish(2, 0, 1);
	send_rtp(3, BIG);
	assert_int_equal(fake_n_tx, 2);
	out(0, &o);
	assert_int_equal(o.vlan, 100);
	expect_first(&o, T_VLAN, A_SSRC, 3, BIG);
	out(1, &o);
	assert_int_equal(o.vlan, 100);
	expect_first(&o, T_VLAN, B_SSRC, 3, BIG);
}

/* ---- sender reports ------------------------------------------------------------------------ */

/* A producer's SR compound as a frame from its remote; fanned out, flushed. */
static void
send_sr(uint32_t rtp_ts, bool padded)
{
	struct fake_frame_opts o = {.src = in_remote, .dst = in_local, .vlan = -1};
	uint8_t pl[128];
	uint16_t n = frame_sr_compound(pl, P_SSRC, rtp_ts);
	struct rte_mbuf *m;
	enum cascade_drop why;
	struct dp_l4 l4;

	if (padded) {
		/* a lone SR with its report block and 4 bytes of padding (RFC 3550 6.4.1) */
		n = 56;
		pl[0] = 0xa1;
		pl[2] = 0;
		pl[3] = 13;
		memset(pl + 52, 0, 4);
		pl[55] = 4;
	}
	m = fake_frame(&o, pl, n);
	assert_int_equal(dp_parse_l4(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &l4, &why),
			 0);
	dp_fanout_rtcp(w, m, &l4, &dp.producers[0], 0);
	dp_tx_flush(w);
}

/* k has sent RTP, with timestamp offset ts_off. */
static void
started(struct dp_consumer *k, uint32_t ts_off)
{
	k->st.started = 1;
	k->st.ts_off = ts_off;
}

/* p[0..28) is the SR rewritten for a consumer of ssrc with timestamp offset ts_off. */
static void
expect_sr(const uint8_t *p, uint32_t ssrc, uint32_t rtp_ts)
{
	assert_int_equal(p[0], 0x80); /* V=2, P=0, RC=0 */
	assert_int_equal(p[1], 200);
	assert_int_equal(frame_rd16(p + 2), 6); /* 28 bytes */
	assert_int_equal(frame_rd32(p + 4), ssrc);
	assert_int_equal(frame_rd32(p + 8), 0xe1000000u);
	assert_int_equal(frame_rd32(p + 12), 0x80000000u);
	assert_int_equal(frame_rd32(p + 16), rtp_ts);
	assert_int_equal(frame_rd32(p + 20), 7);
	assert_int_equal(frame_rd32(p + 24), 7000);
}

static void
test_sr_rewritten_per_consumer(void **state)
{
	struct fake_out o;

	RTE_SET_USED(state);
	started(consumer(0, T_A, A_SSRC), 0);
	started(consumer(1, T_B, B_SSRC), 0x10000);
	publish(2, 0, 1);
	send_sr(0xfffff000u, false);
	assert_int_equal(fake_n_tx, 2);
	out(0, &o);
	expect_route(&o, T_A);
	assert_int_equal(o.payload_len, 28); /* report block and SDES not copied */
	expect_sr(o.payload, A_SSRC, 0xfffff000u);
	out(1, &o);
	expect_route(&o, T_B);
	assert_int_equal(o.payload_len, 28);
	expect_sr(o.payload, B_SSRC, 0xf000u); /* wraps mod 2^32 */
	assert_ptr_equal(fake_txd[0].m->pool, dp.hdr_pool);
	assert_int_equal(w->cstats[0].rtcp_pkts, 1);
	assert_int_equal(w->tstats[T_B].tx_pkts, 1);
	/* the producer's compound went back to its pool once the copies were made */
	assert_int_equal(fake_pool_in_use(dp.pkt_pool), 0);
}

static void
test_sr_padding_cleared(void **state)
{
	struct fake_out o;

	RTE_SET_USED(state);
	started(consumer(0, T_A, A_SSRC), 5);
	publish(1, 0);
	send_sr(1000, true);
	assert_int_equal(fake_n_tx, 1);
	out(0, &o);
	assert_int_equal(o.payload_len, 28);
	expect_sr(o.payload, A_SSRC, 1005);
}

static void
test_sr_without_rtcp_mux_goes_to_rtcp_port(void **state)
{
	const struct dp_transport *tp = &dp.transports[T_NOMUX];
	const struct dp_peer *peer = atomic_load(&tp->peer);
	struct fake_out o;

	RTE_SET_USED(state);
	started(consumer(0, T_NOMUX, A_SSRC), 0);
	publish(1, 0);
	send_sr(1000, false);
	assert_int_equal(fake_n_tx, 1);
	out(0, &o);
	/* RFC 3550 11: from the RTCP port, to the remote's port + 1 */
	assert_memory_equal(&o.src, &tp->cfg.local_rtcp, sizeof(o.src));
	assert_memory_equal(o.dst.ip, peer->remote.ip, 4);
	assert_int_equal(rte_be_to_cpu_16(o.dst.port_be),
			 rte_be_to_cpu_16(peer->remote.port_be) + 1);
}

static void
test_sr_skips_consumers_not_started_or_paused(void **state)
{
	RTE_SET_USED(state);
	consumer(0, T_A, A_SSRC); /* no RTP sent yet */
	started(consumer(1, T_B, B_SSRC), 0);
	atomic_store(&dp.consumers[1].paused, 1);
	publish(2, 0, 1);
	send_sr(1000, false);
	assert_int_equal(fake_n_tx, 0);
	assert_int_equal(drops(CASCADE_DROP_NO_CONSUMER), 1);
}

static void
test_sr_to_srtp_consumer_protected(void **state)
{
	struct cascade_srtp *rx =
		fake_srtp_session(CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80, key, A_SSRC, true);
	uint8_t buf[256] __attribute__((aligned(4)));
	struct fake_out o;
	size_t len;

	RTE_SET_USED(state);
	started(consumer(0, T_SRTP, A_SSRC), 9);
	fake_srtp_tx_set(0, CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80, key);
	publish(1, 0);
	send_sr(1000, false);
	assert_int_equal(fake_n_tx, 1);
	out(0, &o);
	/* SRTCP: E flag + index (4) + 80-bit tag */
	assert_int_equal(o.payload_len, 28 + 4 + 10);
	memcpy(buf, o.payload, o.payload_len);
	len = o.payload_len;
	assert_int_equal(cascade_srtp_unprotect_rtcp(rx, buf, &len), 0);
	assert_int_equal(len, 28);
	expect_sr(buf, A_SSRC, 1009);
	cascade_srtp_destroy(rx);
}

static void
test_sr_no_route_counted(void **state)
{
	RTE_SET_USED(state);
	started(consumer(0, T_NOPEER, A_SSRC), 0);
	started(consumer(1, T_B, B_SSRC), 0);
	publish(2, 0, 1);
	send_sr(1000, false);
	assert_int_equal(fake_n_tx, 1);
	assert_int_equal(drops(CASCADE_DROP_NO_ROUTE), 1);
	assert_int_equal(w->cstats[0].drop_pkts, 1);
	assert_int_equal(w->cstats[1].rtcp_pkts, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_teardown)
		T(test_last_consumer_takes_ingress_in_place),
		T(test_earlier_consumer_gets_header_and_payload_clone),
		T(test_small_payload_copied_into_header),
		T(test_linear_port_gets_one_full_copy),
		T(test_srtp_consumer_gets_private_protected_copy),
		T(test_srtp_consumer_without_session_is_counted),
		T(test_payload_type_map_and_unmapped_skipped),
		T(test_no_consumer_takes_the_payload_type),
		T(test_paused_consumer_skipped),
		T(test_all_consumers_paused_is_no_consumer),
		T(test_no_consumer_list),
		T(test_no_route_without_remote_or_mac),
		T(test_peer_mac_option_is_the_default_next_hop),
		T(test_too_big_for_port_mtu),
		T(test_ipv6_egress_growth_checked_against_mtu),
		T(test_srtp_trailer_growth_checked_against_mtu),
		T(test_seq_late_after_resync_not_sent),
		T(test_seq_late_in_place_drops_ingress),
		T(test_no_mbuf_header_pool_empty),
		T(test_no_mbuf_clone_pool_empty),
		T(test_no_mbuf_srtp_copy),
		T(test_tx_full_counted_and_freed),
		T(test_ipv4_to_ipv6_egress),
		T(test_checksums_of_every_path),
		T(test_ipv4_without_checksum_stays_without),
		T(test_ethernet_padding_not_forwarded),
		T(test_port_vlan_tag_on_egress),
		T(test_sr_rewritten_per_consumer),
		T(test_sr_padding_cleared),
		T(test_sr_without_rtcp_mux_goes_to_rtcp_port),
		T(test_sr_skips_consumers_not_started_or_paused),
		T(test_sr_to_srtp_consumer_protected),
		T(test_sr_no_route_counted),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
