/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore's loop, after l3fwd's: poll its RX queue on every port, run
 * each packet through classify (dp_classify.c), take what other lcores handed
 * to it, flush TX, report RCU quiescence. Nothing here allocates, locks, logs
 * or makes a system call while packets flow.
 *
 * The ownership rule. RSS picks a worker by the packet's tuple, and one
 * producer's packets can come from several tuples: a pipe transport accepts
 * any source, a comedia transport any source before it learns, and without
 * rtcp-mux RTCP arrives on another port. So every producer has one owning
 * worker, chosen by the main lcore when it is installed (the worker owning
 * the fewest producers) and fixed for its life. Its inbound SRTP sessions,
 * its consumers' sequence state and outbound sessions are touched by the
 * owner only. A packet classify finds for a producer this lcore does not own
 * is staged for the owner, with what classify learnt in its dp_meta, before
 * any SRTP or rewrite work, and at the end of the burst goes onto the owner's
 * hand-off ring (multi-producer, single consumer, DP_HANDOFF_RING mbufs); when
 * that ring is full it is dropped as handoff_full. The owner drains its ring
 * every loop, checks that the producer is still the one the packet was
 * classified for (its generation), and finishes it. Packets handed off keep
 * their order per sending lcore; packets of one producer arriving on two
 * lcores may be reordered between them, as they would be on the wire.
 *
 * Idle back-off: after a run of empty polls the worker goes RCU-offline and
 * sleeps, doubling the sleep up to --idle-sleep-max-us, so a small test host
 * stays usable; --busy-poll keeps it spinning.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp.h"

#define IDLE_POLLS_BEFORE_SLEEP 256

void
dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum cascade_drop why)
{
	w->stats->drop[why]++;
	w->stats->ctr[CASCADE_LC_DROP_PKTS]++;
	rte_pktmbuf_free(m);
}

void
dp_handoff(struct dp_worker *w, struct rte_mbuf *m, uint16_t owner)
{
	struct dp_handoff_buf *b = &w->ho[owner];

	if (b->n == 0)
		w->ho_dirty[w->n_ho_dirty++] = owner;
	b->pkts[b->n++] = m;
	if (b->n == DP_BURST) {
		/* a full stage goes now; the owner stays on the dirty list (n is 0 again) */
		uint16_t i, sent = (uint16_t)rte_ring_enqueue_burst(dp.workers[owner]->handoff,
								   (void **)b->pkts, b->n, NULL);

		w->stats->ctr[CASCADE_LC_HANDOFF_OUT] += sent;
		for (i = sent; i < b->n; i++)
			dp_drop(w, b->pkts[i], CASCADE_DROP_HANDOFF_FULL);
		b->n = 0;
	}
}

void
dp_handoff_flush(struct dp_worker *w)
{
	uint32_t k;

	for (k = 0; k < w->n_ho_dirty; k++) {
		uint16_t owner = w->ho_dirty[k], i, sent;
		struct dp_handoff_buf *b = &w->ho[owner];

		if (b->n == 0)
			continue;
		sent = (uint16_t)rte_ring_enqueue_burst(dp.workers[owner]->handoff,
							(void **)b->pkts, b->n, NULL);
		w->stats->ctr[CASCADE_LC_HANDOFF_OUT] += sent;
		for (i = sent; i < b->n; i++)
			dp_drop(w, b->pkts[i], CASCADE_DROP_HANDOFF_FULL);
		b->n = 0;
	}
	w->n_ho_dirty = 0;
}

uint16_t
dp_handoff_drain(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t i, n;

	n = (uint16_t)rte_ring_sc_dequeue_burst(w->handoff, (void **)pkts, DP_BURST, NULL);
	w->stats->ctr[CASCADE_LC_HANDOFF_IN] += n;
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		dp_classify_owned(w, pkts[i]);
	}
	return n;
}

int
dp_meta_init(struct dp_ctx *c)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "cascade_dp_meta",
		.size = sizeof(struct dp_meta),
		.align = __alignof__(struct dp_meta),
	};

	c->meta_off = rte_mbuf_dynfield_register(&desc);
	if (c->meta_off < 0) {
		DP_LOG(ERR, "mbuf dynamic field: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

struct dp_worker *
dp_worker_create(struct dp_ctx *c, uint32_t idx, unsigned int lcore)
{
	const struct cascade_seg_hdr *h = &c->seg.lay;
	char name[RTE_RING_NAMESIZE];
	struct dp_worker *w = rte_zmalloc_socket("dp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
						 (int)rte_lcore_to_socket_id(lcore));

	if (w == NULL)
		return NULL;
	w->idx = idx;
	w->lcore_id = lcore;
	w->stats = (struct cascade_lcore_stats *)cascade_seg_at(&c->seg, h->lcore_stats_off) + idx;
	w->tstats = (struct cascade_obj_stats *)cascade_seg_at(&c->seg, h->transport_stats_off) +
		    (uint64_t)idx * h->max_transports;
	w->pstats = (struct cascade_obj_stats *)cascade_seg_at(&c->seg, h->producer_stats_off) +
		    (uint64_t)idx * h->max_producers;
	w->cstats = (struct cascade_obj_stats *)cascade_seg_at(&c->seg, h->consumer_stats_off) +
		    (uint64_t)idx * h->max_consumers;
	w->slow_tsc_per_pkt = c->tsc_hz / c->opt.slow_pps;
	/* room for every producer it could own: the lists never refuse one */
	w->rr_list = rte_zmalloc_socket("dp_rr_list", sizeof(*w->rr_list) * c->opt.max_producers,
					RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
	w->kf_wait = rte_zmalloc_socket("dp_kf_wait", sizeof(*w->kf_wait) * c->opt.max_producers,
					RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
	w->nack_list = rte_zmalloc_socket("dp_nack_list",
					  sizeof(*w->nack_list) * c->opt.max_producers,
					  RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
	w->twcc_list = rte_zmalloc_socket("dp_twcc_list",
					  sizeof(*w->twcc_list) * c->opt.max_transports,
					  RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
	snprintf(name, sizeof(name), "dp_learn_%u", idx);
	w->learn_ring = rte_ring_create_elem(name, sizeof(struct dp_learn), 1024, rte_socket_id(),
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "dp_slow_%u", idx);
	w->slow_ring = rte_ring_create(name, 1024, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	/* every other worker enqueues (one burst at a time), only this one dequeues */
	snprintf(name, sizeof(name), "dp_handoff_%u", idx);
	w->handoff = rte_ring_create(name, DP_HANDOFF_RING, rte_lcore_to_socket_id(lcore),
				     RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "dp_events_%u", idx);
	w->event_ring = rte_ring_create_elem(name, sizeof(struct cascade_event), 1024,
					     rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->rr_list == NULL || w->kf_wait == NULL || w->nack_list == NULL ||
	    w->twcc_list == NULL) {
		DP_LOG(ERR, "worker lists: out of memory");
		dp_worker_destroy(w);
		return NULL;
	}
	if (w->learn_ring == NULL || w->slow_ring == NULL || w->handoff == NULL ||
	    w->event_ring == NULL) {
		DP_LOG(ERR, "worker rings: %s", rte_strerror(rte_errno));
		dp_worker_destroy(w);
		return NULL;
	}
	return w;
}

void
dp_worker_destroy(struct dp_worker *w)
{
	struct rte_mbuf *m = NULL;

	if (w == NULL)
		return;
	while (w->slow_ring != NULL && rte_ring_dequeue(w->slow_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (w->handoff != NULL && rte_ring_dequeue(w->handoff, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(w->slow_ring);
	rte_ring_free(w->handoff);
	rte_ring_free(w->event_ring);
	rte_ring_free(w->learn_ring);
	rte_free(w->rr_list);
	rte_free(w->kf_wait);
	rte_free(w->nack_list);
	rte_free(w->twcc_list);
	rte_free(w);
}

static void
idle_sleep(struct dp_worker *w, uint32_t us)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)us * 1000};

	/* offline while asleep, so grace periods do not wait for the sleep */
	rte_rcu_qsbr_thread_offline(dp.qsbr, w->idx);
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(dp.qsbr, w->idx);
	w->stats->ctr[CASCADE_LC_SLEEPS]++;
}

int
dp_worker_loop(void *arg)
{
	struct dp_worker *w = arg;
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t tsc0 = rte_rdtsc(), ns0 = cascade_now_ns();
	double ns_per_tsc = 1e9 / (double)dp.tsc_hz;
	uint32_t idle = 0, sleep_us = 1;
	uint16_t port, i, n, got;

	rte_rcu_qsbr_thread_register(dp.qsbr, w->idx);
	rte_rcu_qsbr_thread_online(dp.qsbr, w->idx);
	DP_LOG(INFO, "worker=%u lcore=%u polling %u ports", w->idx, w->lcore_id, dp.n_ports);

	while (!dp.quit) {
		w->now_tsc = rte_rdtsc();
		w->now_ns = ns0 + (uint64_t)((double)(w->now_tsc - tsc0) * ns_per_tsc);
		got = 0;
		for (port = 0; port < dp.n_ports; port++) {
			n = rte_eth_rx_burst(port, (uint16_t)w->idx, pkts, DP_BURST);
			w->stats->ctr[CASCADE_LC_POLLS]++;
			if (n == 0) {
				w->stats->ctr[CASCADE_LC_IDLE_POLLS]++;
				continue;
			}
			got += n;
			for (i = 0; i < n; i++) {
				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
				dp_classify(w, pkts[i]);
			}
		}
		if (w->n_ho_dirty != 0)
			dp_handoff_flush(w);
		got += dp_handoff_drain(w);
		if (w->n_kf_wait != 0)
			dp_keyframe_poll(w);
		if (w->n_rr != 0 && w->now_tsc >= w->rr_poll_tsc)
			dp_sender_poll(w);
		if (w->n_nack != 0 && w->now_tsc >= w->nack_poll_tsc)
			dp_nack_poll(w);
		if (w->n_twcc != 0 && w->now_tsc >= w->twcc_poll_tsc)
			dp_twcc_poll(w);
		dp_tx_flush(w);
		/* every packet of this loop is handed to a TX queue or a ring: report quiescence */
		rte_rcu_qsbr_quiescent(dp.qsbr, w->idx);

		if (got != 0 || dp.opt.busy_poll || dp.opt.idle_sleep_max_us == 0) {
			idle = 0;
			sleep_us = 1;
			continue;
		}
		if (++idle < IDLE_POLLS_BEFORE_SLEEP)
			continue;
		idle_sleep(w, sleep_us);
		if (sleep_us < dp.opt.idle_sleep_max_us)
			sleep_us = RTE_MIN(sleep_us * 2, dp.opt.idle_sleep_max_us);
	}
	dp_handoff_flush(w);
	dp_tx_flush(w);
	rte_rcu_qsbr_thread_offline(dp.qsbr, w->idx);
	rte_rcu_qsbr_thread_unregister(dp.qsbr, w->idx);
	return 0;
}
