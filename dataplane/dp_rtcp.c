/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP towards consumers, on the producer's owning lcore. A producer's sender
 * report is forwarded to each consumer as a single SR (report blocks and
 * other compound parts dropped: they describe the producer's own reception)
 * with the consumer's SSRC and its RTP timestamp offset, so the receiver can
 * map the consumer's timestamps to the sender's NTP clock (RFC 3550 6.4.1).
 * On an SRTP transport it is protected with the consumer's own outbound
 * session; without rtcp-mux it goes to the RTCP remote, or the remote's port
 * + 1 (RFC 3550 11).
 *
 * Receiver reports from consumers. A receiver's RR (or its SR's report
 * blocks) about a consumer comes here on the consumer's producer's owning
 * lcore (dp_classify.c hands it over as feedback, dp_nack.c walks it), the
 * only writer of the consumer's record in the segment: fraction lost,
 * cumulative lost, extended highest sequence and jitter as the receiver said
 * them, and the round trip with no clock shared with it: each SR sent to a
 * consumer leaves the middle of its NTP time and the TSC it went at, and a
 * report whose LSR echoes that SR measures arrival - sent - DLSR
 * (dp_rtcp_rtt_us). A report on an older SR updates everything but the round
 * trip.
 */
#include <stdatomic.h>
#include <string.h>

#include <rte_hash.h>

#include "dp.h"
#include "dp_bytes.h"
#include "dp_rtcp_fb.h"

/* RFC 3550 6.4.1: SR = 8-byte header + 20-byte sender info (+ report blocks). */
#define SR_LEN 28

/* Count one egress copy of consumer cs lost for `why`. */
static void
consumer_drop(struct dp_worker *w, uint32_t cs, enum cascade_drop why)
{
	dp_drop_count(w, why);
	w->cstats[cs].drop_pkts++;
}

/* Consumer k's copy of sender report sr (SR_LEN bytes). */
static void
sr_to_consumer(struct dp_worker *w, const uint8_t *sr, struct dp_consumer *k, uint32_t cs)
{
	const struct dp_transport *tp = &dp.transports[k->transport];
	uint16_t port = tp->cfg.port_id, off = dp_l2l4_len(port, tp->cfg.local.family);
	const struct cascade_addr *src;
	struct cascade_srtp *srtp = NULL;
	const struct dp_peer *peer;
	struct cascade_addr dst;
	struct rte_mbuf *h;
	size_t len = SR_LEN;
	uint8_t *hp, *out;
	uint32_t v;
	int rc;

	/* pairs with the main lcore's release store of peer */
	peer = k->has_peer ? &k->peer : atomic_load_explicit(&tp->peer, memory_order_acquire);
	if (!dp_rtcp_dest(tp, peer, &src, &dst)) {
		consumer_drop(w, cs, CASCADE_DROP_NO_ROUTE);
		return;
	}
	if (k->is_srtp) {
		/* pairs with the main lcore's release store of srtp */
		srtp = atomic_load_explicit(&k->srtp, memory_order_acquire);
		if (srtp == NULL) {
			consumer_drop(w, cs, CASCADE_DROP_SRTP_ERROR);
			return;
		}
	}
	h = rte_pktmbuf_alloc(dp.hdr_pool);
	if (h == NULL) {
		consumer_drop(w, cs, CASCADE_DROP_NO_MBUF);
		return;
	}
	hp = rte_pktmbuf_mtod(h, uint8_t *);
	out = hp + off;
	memcpy(out, sr, SR_LEN);
	out[0] = (uint8_t)(out[0] & 0xc0); /* V=2, P=0 (no padding copied), RC=0 */
	out[2] = 0;
	out[3] = SR_LEN / 4 - 1;
	v = rte_cpu_to_be_32(k->cfg.ssrc);
	memcpy(out + 4, &v, 4);
	/* RTP timestamp of the sender info, in the consumer's timeline */
	memcpy(&v, out + 16, 4);
	v = rte_cpu_to_be_32(rte_be_to_cpu_32(v) + k->st.ts_off);
	memcpy(out + 16, &v, 4);
	if (srtp != NULL) {
		rc = cascade_srtp_protect_rtcp(srtp, out, &len, rte_pktmbuf_tailroom(h) - off);
		if (unlikely(rc < 0)) {
			rte_pktmbuf_free(h);
			consumer_drop(w, cs, dp_srtp_drop_reason(rc));
			return;
		}
	}
	rc = dp_write_l2l4(hp, port, peer, src, &dst, (uint16_t)len, __rte_raw_cksum(out, len, 0),
			   true);
	if (rc < 0) {
		rte_pktmbuf_free(h);
		consumer_drop(w, cs, dp_l2l4_drop(rc));
		return;
	}
	h->data_len = (uint16_t)(rc + len);
	h->pkt_len = h->data_len;
	/* RFC 3550 6.4.1: what its receiver's LSR will echo (NTP at 8-15 of the clear SR) */
	k->sr_mid = dp_ntp_mid((uint64_t)rd32(sr + 8) << 32 | rd32(sr + 12));
	k->sr_tsc = w->now_tsc;
	w->cstats[cs].rtcp_pkts++;
	w->tstats[k->transport].tx_pkts++;
	w->tstats[k->transport].tx_bytes += h->pkt_len;
	dp_tx_add(w, port, h);
}

void
dp_fanout_rtcp(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4,
	       const struct dp_producer *p, uint32_t pslot)
{
	/* pairs with the main lcore's release store in dp_table_publish() */
	const struct dp_clist *cl = atomic_load_explicit(&p->clist, memory_order_acquire);
	const uint8_t *sr = rte_pktmbuf_mtod_offset(m, const uint8_t *, l4->payload_off);
	uint32_t i, sent = 0;

	RTE_SET_USED(pslot);
	if (l4->payload_len < SR_LEN) {
		dp_drop(w, m, CASCADE_DROP_RTCP_TRUNC); /* dp_parse_rtcp() refuses these already */
		return;
	}
	for (i = 0; cl != NULL && i < cl->n; i++) {
		struct dp_consumer *k = &dp.consumers[cl->slot[i]];

		/* pairs with the main lcore's release store of paused */
		if (atomic_load_explicit(&k->paused, memory_order_acquire) || !k->st.started)
			continue; /* no RTP sent yet: an SR would announce nothing */
		sr_to_consumer(w, sr, k, cl->slot[i]);
		sent++;
	}
	/* the copies are made: m itself goes, under a reason when nobody wanted it */
	if (sent == 0)
		dp_drop(w, m, CASCADE_DROP_NO_CONSUMER);
	else
		rte_pktmbuf_free(m);
}

/* Sequence lock, writer side (the reader is cascade_seg_consumer_rtcp): odd while it changes. */
static void
record_write(struct cascade_consumer_rtcp *r, const struct dp_rtcp_report *rb, uint32_t clock_rate,
	     uint64_t now_ns, int64_t rtt_us)
{
	uint32_t s = atomic_load_explicit(&r->seq, memory_order_relaxed);

	atomic_store_explicit(&r->seq, s + 1, memory_order_relaxed);
	/* pairs with the reader's acquire fence before it re-reads seq */
	atomic_thread_fence(memory_order_release);
	r->clock_rate = clock_rate;
	r->reports++;
	r->reported_ns = now_ns;
	r->ext_max_seq = rb->ext_max_seq;
	r->cum_lost = rb->cum_lost;
	r->jitter = rb->jitter;
	r->fraction_lost = rb->fraction_lost;
	if (rtt_us >= 0) {
		r->rtt_us = rtt_us > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt_us;
		r->rtts++;
	}
	/* pairs with the reader's acquire load of seq before it copies the record */
	atomic_store_explicit(&r->seq, s + 2, memory_order_release);
}

void
dp_rtcp_report(struct dp_worker *w, uint32_t tslot, const struct dp_l4 *l4,
	       const struct dp_rtcp_report *rb)
{
	const struct dp_transport *tp = &dp.transports[tslot];
	struct dp_consumer *k;
	struct dp_cons_key ck;
	int64_t rtt_us;
	uint32_t cs;
	void *data;

	memset(&ck, 0, sizeof(ck));
	ck.transport = tslot;
	ck.ssrc = rb->source;
	if (tp->cfg.flags & CASCADE_TRANSPORT_PIPE) {
		/* as classify keys it: the peer node's pipe address, zero-padded */
		ck.peer.family = l4->family;
		ck.peer.port_be = l4->src_port_be;
		memcpy(ck.peer.ip, l4->src_ip, l4->family == CASCADE_AF_INET ? 4 : 16);
	}
	if (rte_hash_lookup_data(dp.cons_by_ssrc, &ck, &data) < 0)
		return; /* about a stream that is no consumer of ours */
	cs = (uint32_t)(uintptr_t)data;
	k = &dp.consumers[cs];
	/* the record has one writer: the lcore of the consumer's producer */
	if (!k->in_use || dp.producers[k->producer].owner != w->idx)
		return;
	rtt_us = dp_rtcp_rtt_us(k->sr_mid, k->sr_tsc, w->now_tsc, dp.tsc_hz, rb->lsr, rb->dlsr);
	record_write(&dp.consumer_rtcp[cs], rb, dp.producers[k->producer].cfg.clock_rate, w->now_ns,
		     rtt_us);
	w->stats->ctr[CASCADE_LC_RECEIVER_REPORTS_IN]++;
}
