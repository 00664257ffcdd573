/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the fan-out (dp_fanout.c), compiled unchanged and driven
 * without EAL on the fake dataplane of dp_fake.h: DPDK's own mbuf code
 * allocates, clones and frees on hand-made pools, and rte_eth_tx_burst()
 * hands every egress frame to a capture. A producer's packet is built as a
 * frame, parsed by the dataplane's parsers and given to dp_fanout_rtp(); each
 * test then reads the captured frames back with the harness's own parser,
 * which also recomputes every IPv4 header and UDP checksum. Each test ends
 * with every mbuf back in its pool (teardown fails otherwise), so a leak, a
 * double free or a lost packet fails the test that caused it. The scene is
 * fanout_env.c's; test_fanout_sr.c has the egress headers and the sender
 * reports.
 *
 * Covered: the last consumer takes the ingress mbuf itself, rewritten in
 * place; earlier consumers get a header mbuf chained to an indirect clone of
 * the payload (untouched, reference counted), a copy in the header mbuf below
 * copy_below, or one linear copy on a port that sends one segment; SRTP
 * consumers get a private protected copy, which an independent inbound
 * session with the same key decrypts back to the rewritten packet; payload
 * type maps, paused consumers; drops by reason (no_route, too_big from the
 * port's MTU, seq_late, no_mbuf, no_consumer, tx_full).
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
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
