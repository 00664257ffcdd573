/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fan-out tests' scene (fanout_env.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "fanout_env.h"

const uint8_t key[30] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
			 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};

struct dp_worker *w;
struct cascade_addr in_remote, in_local;

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

int
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
struct dp_consumer *
consumer(uint32_t cs, uint32_t t, uint32_t ssrc)
{
	return fake_consumer(cs, 0, t, ssrc);
}

void
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
struct rte_mbuf *
rtp_frame(uint8_t pt, uint16_t seq, uint32_t ts, uint16_t payload_len, bool cksum)
{
	static uint8_t pl[FAKE_FRAME_MAX];
	struct fake_frame_opts o = {
		.src = in_remote, .dst = in_local, .port = 0, .vlan = -1, .no_cksum = !cksum};

	return fake_frame(&o, pl, frame_rtp(pl, pt, seq, ts, P_SSRC, payload_len));
}

/* Parse m with the dataplane's parsers, fan it out, flush TX. Returns m, for identity only. */
struct rte_mbuf *
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

struct rte_mbuf *
send_rtp(uint16_t seq, uint16_t payload_len)
{
	return fan(rtp_frame(96, seq, 1000u * seq, payload_len, true));
}

/* Captured frame i, read and checked (lengths, checksums). */
void
out(unsigned int i, struct fake_out *o)
{
	assert_true(i < fake_n_tx);
	fake_out_read(fake_txd[i].m, o);
}

/* o goes from transport t's local address to its remote. */
void
expect_route(const struct fake_out *o, uint32_t t)
{
	const struct dp_peer *peer = atomic_load(&dp.transports[t].peer);

	assert_memory_equal(&o->src, &dp.transports[t].cfg.local, sizeof(o->src));
	assert_memory_equal(&o->dst, &peer->remote, sizeof(o->dst));
	assert_memory_equal(o->dst_mac, peer->mac.addr_bytes, 6);
	assert_int_equal(o->ttl, 64);
}

/* p[0..len) is RTP: pt, seq, ts, ssrc rewritten, the payload of input seq in_seq untouched. */
void
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
void
expect_first(const struct fake_out *o, uint32_t t, uint32_t ssrc, uint16_t seq,
	     uint16_t payload_len)
{
	expect_route(o, t);
	expect_rtp(o->payload, o->payload_len, 96, seq, 1000u * seq, ssrc, seq, payload_len);
}

uint64_t
drops(enum cascade_drop why)
{
	return w->stats->drop[why];
}
