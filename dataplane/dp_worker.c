/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker lcore's loop, after l3fwd's: poll its RX queue on every port, run
 * each packet through classify (parse, transport lookup, remote check, RFC 7983
 * and RFC 5761 demux, producer lookup) and hand it to fan-out, the slow path or
 * the drop counter; flush TX; report RCU quiescence. A pipe transport (one per
 * node, shared by all peer nodes) skips the remote check: any source may send
 * to its producers, which are found by SSRC alone. On an SRTP transport the
 * packet is unprotected in place right after the demux (srtp_in), before any
 * parser reads past its header; on an SRTP pipe with the key of its stream, so
 * a source without the key gets nothing through. Nothing here allocates, locks, logs or makes a
 * system call while packets flow.
 *
 * Idle back-off: after a run of empty polls the worker goes RCU-offline and
 * sleeps, doubling the sleep up to --idle-sleep-max-us, so a small test host
 * stays usable; --busy-poll keeps it spinning.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"

#define IDLE_POLLS_BEFORE_SLEEP 256
#define SLOW_BURST_PKTS 8

void
dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum cascade_drop why)
{
	w->stats->drop[why]++;
	w->stats->ctr[CASCADE_LC_DROP_PKTS]++;
	rte_pktmbuf_free(m);
}

static void
addr_from(struct cascade_addr *a, uint8_t family, const uint8_t ip[16], uint16_t port_be)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->port_be = port_be;
	memcpy(a->ip, ip, family == CASCADE_AF_INET ? 4 : 16);
}

/* Both sides come zero-padded (addr_from, the table's normalised copies): compare whole. */
static bool
addr_eq(const struct cascade_addr *a, const struct cascade_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Ask the main lcore to record the sender's tuple and/or MAC; at most one in flight. */
static void
post_learn(struct dp_worker *w, struct dp_transport *tp, uint32_t slot,
	   const struct cascade_addr *src, const struct rte_mbuf *m, bool is_rtcp)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct dp_learn l;

	if (tp->learn_posted)
		return;
	memset(&l, 0, sizeof(l));
	l.transport = slot;
	l.gen = tp->gen;
	l.src = *src;
	l.mac = eth->src_addr;
	l.is_rtcp = is_rtcp;
	if (rte_ring_sp_enqueue_elem(w->learn_ring, &l, sizeof(l)) == 0)
		tp->learn_posted = 1; /* cleared by main; a racy hint, never a correctness need */
}

/*
 * The remote check: packets come from the transport's remote tuple only (RTCP
 * from remote_rtcp when one is set); before it is known, a comedia transport
 * asks main to learn it from this packet and any other transport drops
 * everything. A comedia SRTP transport learns only from a packet that
 * authenticates: *learn is set and classify posts the learn after srtp_in,
 * so a stranger's first packet cannot take the remote (and the media) away. Also asks for the next-hop MAC while none is known. A pipe
 * transport (one per node, shared by all peer nodes) takes any source and
 * learns nothing: its producers are found by SSRC alone. It never has a peer
 * (no remote, connect or learning), so its flag is read only where flags were
 * read anyway, and a connected transport pays nothing for pipes. Returns false
 * when m was dropped.
 */
static bool
remote_accepts(struct dp_worker *w, struct dp_transport *tp, uint32_t slot, struct rte_mbuf *m,
	       const struct dp_l4 *l4, bool rtcp_port, bool *learn)
{
	const struct dp_peer *peer;
	const struct cascade_addr *want;
	struct cascade_addr src;

	/* pairs with the main lcore's release store of peer */
	peer = atomic_load_explicit(&tp->peer, memory_order_acquire);
	if (peer == NULL && (tp->cfg.flags & CASCADE_TRANSPORT_PIPE))
		return true;
	addr_from(&src, l4->family, l4->src_ip, l4->src_port_be);
	want = NULL;
	if (peer != NULL)
		want = rtcp_port && peer->remote_rtcp.port_be != 0 ? &peer->remote_rtcp
		       : rtcp_port				   ? NULL
								   : &peer->remote;
	if (want != NULL && want->port_be != 0) {
		if (!addr_eq(want, &src)) {
			dp_drop(w, m, CASCADE_DROP_REMOTE_MISMATCH);
			return false;
		}
		if (unlikely(!peer->has_mac))
			post_learn(w, tp, slot, &src, m, rtcp_port);
	} else if (tp->cfg.flags & CASCADE_TRANSPORT_COMEDIA) {
		if (tp->cfg.srtp_suite == CASCADE_SUITE_NONE)
			post_learn(w, tp, slot, &src, m, rtcp_port);
		else
			*learn = true;
	} else if (!(rtcp_port && peer != NULL)) {
		/* not connected: nothing is accepted before connect (as mediasoup) */
		dp_drop(w, m, CASCADE_DROP_REMOTE_MISMATCH);
		return false;
	}
	return true;
}

/*
 * The inbound sessions for a packet on an SRTP transport: the transport's own
 * pair, or on a pipe transport the pair of the stream's producer, found by the
 * SSRC in the packet's clear header (RTP bytes 8-11; the first RTCP packet's
 * sender, bytes 4-7), whose slot goes to *ps so that classify need not look
 * it up again. -ENOENT when no producer has that SSRC, -ENOKEY when there are
 * no keys yet.
 */
static int
srtp_rx_of(const struct dp_transport *tp, uint32_t slot, const uint8_t *pkt, size_t len,
	   bool is_rtcp, const struct dp_srtp_rx **out, uint32_t *ps)
{
	struct dp_prod_key pk;
	uint32_t ssrc_be;
	void *data;

	if (!(tp->cfg.flags & CASCADE_TRANSPORT_PIPE)) {
		/* pairs with the main lcore's release store in transport_srtp() */
		*out = atomic_load_explicit(&tp->srtp_rx, memory_order_acquire);
	} else {
		if (len < (is_rtcp ? 8u : 12u))
			return -EINVAL;
		memcpy(&ssrc_be, pkt + (is_rtcp ? 4 : 8), sizeof(ssrc_be));
		pk.zero = 0;
		pk.transport = slot;
		pk.ssrc = rte_be_to_cpu_32(ssrc_be);
		if (rte_hash_lookup_data(dp.prod_by_ssrc, &pk, &data) < 0)
			return -ENOENT;
		*ps = (uint32_t)(uintptr_t)data;
		/* pairs with the main lcore's release store in pipe_srtp() */
		*out = atomic_load_explicit(&dp.producers[*ps].srtp_rx, memory_order_acquire);
	}
	return *out == NULL ? -ENOKEY : 0;
}

/*
 * SRTP ingress (RFC 3711 3.3): one unprotect per packet, in place, with the
 * inbound session for RTP or RTCP (srtp_rx_of), on this lcore (the one that
 * polls the transport's queue), before anything reads past the header. Auth
 * failures, replays and everything else (no keys yet, malformed) are dropped
 * under their own reasons and counted on the transport; a pipe packet of no
 * producer's SSRC is dropped as unknown_ssrc. On success l4->payload_len is
 * the plain length and the UDP checksum is recomputed for fan-out; on a pipe,
 * *ps is the stream's producer slot (else it is left alone). Returns false
 * when m was dropped.
 */
static bool
srtp_in(struct dp_worker *w, struct dp_transport *tp, uint32_t slot, struct rte_mbuf *m,
	struct dp_l4 *l4, bool is_rtcp, uint32_t *ps)
{
	const struct dp_srtp_rx *rx;
	uint8_t *pkt = rte_pktmbuf_mtod_offset(m, uint8_t *, l4->payload_off);
	size_t len = l4->payload_len;
	int rc;

	rc = srtp_rx_of(tp, slot, pkt, len, is_rtcp, &rx, ps);
	if (rc == 0)
		rc = is_rtcp ? cascade_srtp_unprotect_rtcp(rx->rtcp, pkt, &len)
			     : cascade_srtp_unprotect_rtp(rx->rtp, pkt, &len);
	if (unlikely(rc < 0)) {
		w->tstats[slot].drop_pkts++;
		dp_drop(w, m, rc == -ENOENT ? CASCADE_DROP_UNKNOWN_SSRC : dp_srtp_drop_reason(rc));
		return false;
	}
	l4->payload_len = (uint16_t)len;
	if (!is_rtcp)
		dp_udp_cksum_redo(m, l4);
	return true;
}

/* A comedia SRTP transport's remote, from a packet that just authenticated. */
static void
learn_authentic(struct dp_worker *w, struct dp_transport *tp, uint32_t slot,
		const struct rte_mbuf *m, const struct dp_l4 *l4, bool rtcp_port)
{
	struct cascade_addr src;

	addr_from(&src, l4->family, l4->src_ip, l4->src_port_be);
	post_learn(w, tp, slot, &src, m, rtcp_port);
}

/*
 * The slow path: STUN and DTLS go up to the control plane, rate-limited per
 * source bucket (GCRA with a burst of SLOW_BURST_PKTS) so a flood cannot starve it.
 */
static void
slow_path(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4)
{
	uint32_t b = (uint32_t)(l4->src_ip[0] ^ l4->src_ip[1] << 3 ^ l4->src_ip[2] << 6 ^
				l4->src_ip[3] << 9 ^ l4->src_ip[15] << 2 ^ l4->src_port_be) %
		     DP_SLOW_BUCKETS;
	struct dp_slow_bucket *bk = &w->slow[b];
	uint64_t tat = bk->tokens_tsc > w->now_tsc ? bk->tokens_tsc : w->now_tsc;

	if (tat - w->now_tsc > w->slow_tsc_per_pkt * SLOW_BURST_PKTS) {
		dp_drop(w, m, CASCADE_DROP_SLOW_RATE_LIMIT);
		return;
	}
	bk->tokens_tsc = tat + w->slow_tsc_per_pkt;
	if (rte_ring_sp_enqueue(w->slow_ring, m) != 0) {
		dp_drop(w, m, CASCADE_DROP_SLOW_RING_FULL);
		return;
	}
	w->stats->ctr[CASCADE_LC_SLOW_PKTS]++;
}

static void
classify(struct dp_worker *w, struct rte_mbuf *m)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dp_addr_key key;
	struct dp_l4 l4;
	struct dp_rtp rtp;
	struct dp_rtcp rtcp;
	struct dp_prod_key pk;
	struct dp_transport *tp;
	struct dp_producer *p;
	enum cascade_drop why;
	enum dp_class cls;
	void *data;
	uint32_t slot, ps = UINT32_MAX; /* a producer slot, once looked up */
	bool rtcp_port, learn = false;

	w->stats->ctr[CASCADE_LC_RX_PKTS]++;
	w->stats->ctr[CASCADE_LC_RX_BYTES] += m->pkt_len;
	if (unlikely(m->nb_segs != 1)) {
		dp_drop(w, m, CASCADE_DROP_TOO_BIG);
		return;
	}
	if (dp_parse_l4(frame, m->data_len, &l4, &why) < 0) {
		dp_drop(w, m, why);
		return;
	}
	memset(&key, 0, sizeof(key));
	key.a.family = l4.family;
	key.a.port_be = l4.dst_port_be;
	memcpy(key.a.ip, l4.dst_ip, 16); /* the parser zeroes what IPv4 leaves unused */
	if (rte_hash_lookup_data(dp.tp_by_addr, &key, &data) < 0) {
		dp_drop(w, m, CASCADE_DROP_NO_TRANSPORT);
		return;
	}
	slot = (uint32_t)(uintptr_t)data & ~DP_TP_RTCP;
	rtcp_port = ((uint32_t)(uintptr_t)data & DP_TP_RTCP) != 0;
	tp = &dp.transports[slot];
	w->tstats[slot].rx_pkts++;
	w->tstats[slot].rx_bytes += m->pkt_len;
	w->tstats[slot].last_rx_tsc = w->now_tsc;

	if (!remote_accepts(w, tp, slot, m, &l4, rtcp_port, &learn))
		return;

	cls = dp_parse_demux(frame + l4.payload_off, l4.payload_len);
	switch (cls) {
	case DP_CLASS_STUN:
	case DP_CLASS_DTLS:
		slow_path(w, m, &l4);
		return;
	case DP_CLASS_RTP:
		if (unlikely(rtcp_port)) {
			/* RTP on the RTCP port of a non-mux transport */
			dp_drop(w, m, CASCADE_DROP_UNKNOWN_DEMUX);
			return;
		}
		if (tp->cfg.srtp_suite != CASCADE_SUITE_NONE) {
			if (!srtp_in(w, tp, slot, m, &l4, false, &ps))
				return;
			if (unlikely(learn))
				learn_authentic(w, tp, slot, m, &l4, false);
		}
		if (dp_parse_rtp(frame + l4.payload_off, l4.payload_len, &rtp, &why) < 0) {
			dp_drop(w, m, why);
			return;
		}
		if (ps == UINT32_MAX) { /* an SRTP pipe found it already */
			pk.zero = 0;
			pk.transport = slot;
			pk.ssrc = rtp.ssrc;
			if (rte_hash_lookup_data(dp.prod_by_ssrc, &pk, &data) < 0) {
				dp_drop(w, m, CASCADE_DROP_UNKNOWN_SSRC);
				return;
			}
			ps = (uint32_t)(uintptr_t)data;
		}
		p = &dp.producers[ps];
		w->pstats[ps].rx_pkts++;
		w->pstats[ps].rx_bytes += m->pkt_len;
		w->pstats[ps].last_rx_tsc = w->now_tsc;
		if (atomic_load_explicit(&p->paused, memory_order_acquire)) {
			dp_drop(w, m, CASCADE_DROP_PRODUCER_PAUSED);
			return;
		}
		w->stats->ctr[CASCADE_LC_RTP_PKTS]++;
		dp_fanout_rtp(w, m, &l4, &rtp, p, ps);
		return;
	case DP_CLASS_RTCP:
		if (tp->cfg.srtp_suite != CASCADE_SUITE_NONE) {
			if (!srtp_in(w, tp, slot, m, &l4, true, &ps))
				return;
			if (unlikely(learn))
				learn_authentic(w, tp, slot, m, &l4, rtcp_port);
		}
		if (dp_parse_rtcp(frame + l4.payload_off, l4.payload_len, true, &rtcp, &why) < 0) {
			dp_drop(w, m, why);
			return;
		}
		w->stats->ctr[CASCADE_LC_RTCP_PKTS]++;
		w->tstats[slot].rtcp_pkts++;
		pk.zero = 0;
		pk.transport = slot;
		pk.ssrc = rtcp.ssrc;
		if (rtcp.first_pt == 200 && rte_hash_lookup_data(dp.prod_by_ssrc, &pk, &data) >= 0) {
			ps = (uint32_t)(uintptr_t)data;
			p = &dp.producers[ps];
			w->pstats[ps].rtcp_pkts++;
			if (!atomic_load_explicit(&p->paused, memory_order_acquire)) {
				dp_fanout_rtcp(w, m, &l4, p, ps);
				return;
			}
		}
		/* Receiver reports and feedback (RR, PLI, FIR, NACK) end here: they
		 * were counted above in rtcp_packets; nothing is relayed towards the
		 * producer. A paused producer's SR ends here too. */
		rte_pktmbuf_free(m);
		return;
	case DP_CLASS_UNKNOWN:
	default:
		dp_drop(w, m, CASCADE_DROP_UNKNOWN_DEMUX);
		return;
	}
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
				classify(w, pkts[i]);
			}
		}
		dp_tx_flush(w);
		/* every packet of this loop is handed to a TX queue: report quiescence */
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
	dp_tx_flush(w);
	rte_rcu_qsbr_thread_offline(dp.qsbr, w->idx);
	rte_rcu_qsbr_thread_unregister(dp.qsbr, w->idx);
	return 0;
}
