/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for what every egress path writes (dp_tx.c) and for sender
 * reports (dp_rtcp.c), on the fan-out tests' scene (fanout_env.h): IPv4 to
 * IPv6 egress, every path's checksums, a checksum-less IPv4 packet, Ethernet
 * padding, the port's VLAN tag; sender reports rewritten to one 28-byte SR
 * with the consumer's SSRC and timestamp offset, padding cleared, sent to the
 * RTCP port without rtcp-mux, skipped for consumers not started or paused,
 * protected for an SRTP consumer, no_route counted; consumers' receiver
 * reports read into their records, the round trip from the SR each was sent.
 * Each test ends with every mbuf back in its pool.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "dp_rtcp_fb.h"
#include "fanout_env.h"

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

/* ---- consumers' receiver reports ---------------------------------------------------------- */

/* A report block of a receiver on transport t about ssrc, as dp_nack.c hands it on. */
static void
report(uint32_t t, uint32_t ssrc, uint32_t lsr, uint32_t dlsr)
{
	struct dp_rtcp_report rb = {
		.source = ssrc,
		.fraction_lost = 64,
		.cum_lost = -2,
		.ext_max_seq = 0x10005,
		.jitter = 900,
		.lsr = lsr,
		.dlsr = dlsr,
	};
	struct dp_l4 l4;

	memset(&l4, 0, sizeof(l4));
	dp_rtcp_report(w, t, &l4, &rb);
}

static void
advance_ms(uint64_t ms)
{
	w->now_tsc += dp.tsc_hz / 1000 * ms;
	w->now_ns += ms * 1000000;
}

/*
 * Each SR sent leaves its NTP middle and time with the consumer; a report
 * block echoing it measures the round trip (250 ms since, held 100 ms: 150
 * ms); without an SR (LSR 0) or on an older one the figures change and the
 * round trip does not; reports about strangers, consumers of another
 * transport or of a producer another lcore owns change nothing.
 */
static void
test_consumer_reports_and_rtt(void **state)
{
	const struct cascade_consumer_rtcp *a = &dp.consumer_rtcp[0], *b = &dp.consumer_rtcp[1];
	uint64_t *in = &w->stats->ctr[CASCADE_LC_RECEIVER_REPORTS_IN];
	struct dp_consumer *k;

	RTE_SET_USED(state);
	k = consumer(0, T_A, A_SSRC);
	started(k, 0);
	started(consumer(1, T_B, B_SSRC), 0);
	publish(2, 0, 1);
	w->now_tsc = 5 * dp.tsc_hz;
	w->now_ns = 5000000000ull;
	send_sr(1000, false);
	assert_int_equal(fake_n_tx, 2);
	/* NTP 0xe1000000.80000000: its middle 32 bits */
	assert_int_equal(k->sr_mid, 0x00008000u);
	assert_int_equal(k->sr_tsc, 5 * dp.tsc_hz);
	assert_int_equal(a->reports, 0);

	advance_ms(250);
	report(T_A, A_SSRC, 0x8000, 6579); /* held 6579/65536 s: 100.387 ms */
	assert_int_equal(*in, 1);
	assert_int_equal(a->reports, 1);
	assert_int_equal(a->rtts, 1);
	assert_int_equal(a->rtt_us, 250000 - 100387);
	assert_int_equal(a->fraction_lost, 64);
	assert_int_equal(a->cum_lost, -2);
	assert_int_equal(a->ext_max_seq, 0x10005);
	assert_int_equal(a->jitter, 900);
	assert_int_equal(a->clock_rate, 90000);
	assert_int_equal(a->reported_ns, w->now_ns);
	assert_int_equal(atomic_load((_Atomic uint32_t *)&a->seq) & 1, 0);

	report(T_B, B_SSRC, 0, 0); /* its receiver has no SR yet */
	assert_int_equal(b->reports, 1);
	assert_int_equal(b->rtts, 0);
	advance_ms(1000);
	report(T_A, A_SSRC, 0x7fff, 0); /* an older SR: no new round trip */
	assert_int_equal(a->reports, 2);
	assert_int_equal(a->rtts, 1);
	assert_int_equal(a->rtt_us, 250000 - 100387);
	assert_int_equal(*in, 3);

	report(T_A, C_SSRC, 0x8000, 0); /* no consumer of ours */
	report(T_B, A_SSRC, 0x8000, 0); /* A's SSRC, on another transport */
	dp.producers[0].owner = 1;      /* the record has one writer: the producer's owner */
	report(T_A, A_SSRC, 0x8000, 0);
	dp.producers[0].owner = 0;
	assert_int_equal(*in, 3);
	assert_int_equal(a->reports, 2);
	assert_int_equal(dp.consumer_rtcp[2].reports, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_teardown)
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
		T(test_consumer_reports_and_rtt),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
