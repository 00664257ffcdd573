/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ingress of receivers' RTCP: packets of no producer on a transport (stage 1
 * of dp_classify.c found no producer for their sender SSRC). Plain ones are
 * read here; a receiver's SRTCP on an SRTP client transport is unprotected
 * first on the one lcore that uses its SSRC's session (learned by the main
 * lcore, dp_table_rcv.c); the receiving node's feedback on an SRTP pipe on
 * the owner of the pipe consumer's producer. Feedback and report blocks then
 * go to the lcore that owns the consumer's producer (dp_nack.c, dp_rtcp.c);
 * transport-cc feedback is about the transport and is read where it arrives
 * (dp_twcc_out.c).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_udp.h>

#include "dp.h"
#include "dp_rtcp_fb.h"

/* A receiver's RTCP packet m on transport tslot, taken: counted. */
static void
rtcp_accepted(struct dp_worker *w, uint32_t tslot, const struct rte_mbuf *m)
{
	dp_count_accepted(w, tslot, m);
	w->stats->ctr[CASCADE_LC_RTCP_PKTS]++;
	w->tstats[tslot].rtcp_pkts++;
}

/*
 * Whom a compound is about: the first feedback a consumer acts on (PLI, a FIR
 * entry, a NACK entry), else the first report block (RR, or a receiver's SR)
 * that names one of the transport's consumers (a block about a stream that is
 * none, such as the receiver's other senders', does not decide). ck is the
 * consumer key with the transport and, on a pipe, the peer filled in.
 */
struct fb_ask {
	struct dp_worker *w;
	struct dp_cons_key ck;
	uint32_t media;
	bool found;
	bool is_report; /* found only a report block so far: feedback takes precedence */
};

static void
on_feedback(void *ctx, const struct dp_rtcp_item *it)
{
	struct fb_ask *a = ctx;
	void *data;

	if (it->kind == DP_RTCP_TWCC) {
		/* about the transport, whatever SSRC it names: read here (dp_twcc_out.c) */
		dp_twcc_feedback_in(a->w, a->ck.transport, it->u.twcc.fci, it->u.twcc.len);
		return;
	}
	if ((!a->found || a->is_report) &&
	    (it->kind == DP_RTCP_PLI || it->kind == DP_RTCP_FIR || it->kind == DP_RTCP_NACK)) {
		a->media = it->media;
		a->found = true;
		a->is_report = false;
	} else if (!a->found && it->kind == DP_RTCP_REPORT) {
		a->ck.ssrc = it->media;
		if (rte_hash_lookup_data(dp.cons_by_ssrc, &a->ck, &data) < 0)
			return;
		a->media = it->media;
		a->found = true;
		a->is_report = true;
	}
}

/*
 * Feedback on an SRTP pipe, on the lcore that owns the consumer's producer
 * (the only user of the pipe consumer's feedback session): unprotect it, then
 * check it whole as classify checks plain feedback. False when m was dropped
 * (srtp_auth, srtp_replay, srtp_error: no key yet; or why it is malformed).
 */
static bool
fb_srtcp_in(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t cs)
{
	const struct dp_consumer *k = &dp.consumers[cs];
	/* pairs with the main lcore's release store of fb_rx */
	struct cascade_srtp *s = atomic_load_explicit(&k->fb_rx, memory_order_acquire);
	uint8_t *pl = rte_pktmbuf_mtod_offset(m, uint8_t *, l4->payload_off);
	size_t len = l4->payload_len;
	int rc = s == NULL ? -ENOKEY : cascade_srtp_unprotect_rtcp(s, pl, &len);
	struct fb_ask ask;
	struct dp_rtcp rtcp;
	enum cascade_drop why;

	if (rc < 0) {
		w->tstats[k->transport].drop_pkts++;
		dp_drop(w, m, dp_srtp_drop_reason(rc));
		return false;
	}
	l4->payload_len = (uint16_t)len;
	memset(&ask, 0, sizeof(ask));
	ask.ck.transport = k->transport;
	if (dp_parse_rtcp(pl, len, true, &rtcp, &why) < 0 ||
	    dp_rtcp_walk(pl, len, on_feedback, &ask, &why) < 0) {
		dp_drop(w, m, why);
		return false;
	}
	w->cstats[cs].rtcp_pkts++;
	return true;
}

/* Feedback about consumer cs, on the lcore that owns its producer pslot: acted on. */
void
dp_feedback_owned(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t pslot,
	       uint32_t cs, bool srtcp)
{
	if (srtcp && !fb_srtcp_in(w, m, l4, cs))
		return;
	rtcp_accepted(w, dp.consumers[cs].transport, m);
	dp_nack_feedback(w, m, l4, pslot, cs);
}

/* Feedback about consumer cs: acted on here, or handed to its producer's owner. */
static void
feedback_to(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t cs, bool srtcp)
{
	uint32_t ps = dp.consumers[cs].producer;
	struct dp_producer *p = &dp.producers[ps];
	struct dp_meta *mt;

	if (p->owner == w->idx) {
		dp_feedback_owned(w, m, l4, ps, cs, srtcp);
		return;
	}
	/* accepted (and counted) where it is acted on */
	mt = dp_meta_of(m, dp.meta_off);
	memset(mt, 0, sizeof(*mt));
	mt->kind = DP_META_FEEDBACK;
	mt->pslot = ps;
	mt->cslot = cs;
	mt->cgen = dp.consumers[cs].gen;
	mt->srtcp = srtcp;
	/* pairs with the main lcore's release store of gen at delete */
	mt->pgen = atomic_load_explicit(&p->gen, memory_order_acquire);
	dp_handoff(w, m, p->owner);
}

/*
 * SRTCP of no producer on an SRTP pipe: the receiving node's feedback about
 * one of this node's pipe consumers, protected with that stream's key from
 * its feedback SSRC (msg.h, PIPE_SRTP). The sender SSRC in the clear names
 * the consumer (with the peer's address), the payload is read only once it
 * authenticates, on the producer's owner. Anything else is unknown_ssrc,
 * before any crypto.
 */
void
dp_pipe_srtcp(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t tslot,
	   uint32_t ssrc)
{
	struct dp_cons_key ck;
	void *data;

	memset(&ck, 0, sizeof(ck));
	ck.transport = tslot;
	dp_addr_from(&ck.peer, l4->family, l4->src_ip, l4->src_port_be);
	ck.ssrc = cascade_pipe_fb_ssrc(ssrc);
	if (rte_hash_lookup_data(dp.cons_by_ssrc, &ck, &data) < 0) {
		dp_drop(w, m, CASCADE_DROP_UNKNOWN_SSRC);
		return;
	}
	feedback_to(w, m, l4, (uint32_t)(uintptr_t)data, true);
}

/*
 * RTCP of no producer on a plain transport: a receiver's reports and feedback.
 * They are counted and end here (rtcp_terminated), but feedback or a report
 * block naming one of the transport's consumers first goes to its producer's
 * owning lcore (handed there with the packet): PLI or FIR become a keyframe
 * request, NACKs are answered from the retransmission buffer (dp_nack.c),
 * report blocks become the consumer's loss, jitter and round trip (dp_rtcp.c;
 * on that lcore, those about consumers of producers it owns). Transport-cc
 * feedback is about the whole transport: read here, on this lcore (dp_twcc_out.c).
 */
void
dp_rtcp_terminate(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4,
	       struct dp_transport *tp, uint32_t tslot, int learn)
{
	const uint8_t *pl = rte_pktmbuf_mtod_offset(m, const uint8_t *, l4->payload_off);
	struct fb_ask ask;
	struct dp_rtcp rtcp;
	enum cascade_drop why;
	uint32_t cs;
	void *data;

	memset(&ask, 0, sizeof(ask));
	ask.w = w;
	ask.ck.transport = tslot;
	if (tp->cfg.flags & CASCADE_TRANSPORT_PIPE)
		dp_addr_from(&ask.ck.peer, l4->family, l4->src_ip, l4->src_port_be);
	if (dp_parse_rtcp(pl, l4->payload_len, true, &rtcp, &why) < 0 ||
	    dp_rtcp_walk(pl, l4->payload_len, on_feedback, &ask, &why) < 0) {
		dp_drop(w, m, why);
		return;
	}
	if (learn != 0)
		dp_post_learn(w, tp, tslot, m, l4, (uint8_t)learn);
	if (!ask.found)
		goto end;
	ask.ck.ssrc = ask.media;
	if (rte_hash_lookup_data(dp.cons_by_ssrc, &ask.ck, &data) < 0)
		goto end; /* about no consumer of ours */
	cs = (uint32_t)(uintptr_t)data;
	w->cstats[cs].rtcp_pkts++;
	feedback_to(w, m, l4, cs, false);
	return;
end:
	rtcp_accepted(w, tslot, m);
	dp_drop(w, m, CASCADE_DROP_RTCP_TERMINATED);
}

/*
 * A receiver's SRTCP on an SRTP client transport, on the one lcore that uses
 * the transport's session i (dp_rcv_lcore): unprotected in place, its UDP
 * length cut to the plain packet (so a hand-off re-parses only that), then on
 * as plain receiver RTCP.
 */
void
dp_rcv_srtcp_owned(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t tslot,
		uint32_t i, int learn)
{
	struct dp_transport *tp = &dp.transports[tslot];
	/* pairs with the main lcore's release store of s (dp_table_rcv.c) */
	struct cascade_srtp *s = atomic_load_explicit(&tp->rcv[i].s, memory_order_acquire);
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	size_t len = l4->payload_len;
	int rc = s == NULL ? -ENOKEY : cascade_srtp_unprotect_rtcp(s, frame + l4->payload_off, &len);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(frame + l4->l4_off);

	if (rc < 0) {
		w->tstats[tslot].drop_pkts++;
		dp_drop(w, m, dp_srtp_drop_reason(rc));
		return;
	}
	l4->payload_len = (uint16_t)len;
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len + sizeof(*udp)));
	udp->dgram_cksum = 0; /* stale now; the packet ends here */
	dp_rtcp_terminate(w, m, l4, tp, tslot, learn);
}

/*
 * SRTCP of no producer on an SRTP client transport: a receiver's, under its
 * own SSRC. With a session for that SSRC it goes to the lcore that uses it;
 * without, up the slow path (rate-limited) for the main lcore to learn the
 * SSRC if the packet authenticates (dp_table_rcv.c), and no further.
 */
void
dp_rcv_srtcp(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t tslot,
	  uint32_t ssrc, int learn)
{
	const struct dp_transport *tp = &dp.transports[tslot];
	uint32_t i, lc = dp_rcv_lcore(&dp, tslot);
	struct dp_meta *mt;

	for (i = 0; i < DP_RCV_SSRCS; i++)
		if (atomic_load_explicit(&tp->rcv[i].s, memory_order_acquire) != NULL &&
		    atomic_load_explicit(&tp->rcv[i].ssrc, memory_order_relaxed) == ssrc)
			break;
	if (i == DP_RCV_SSRCS) {
		if (dp_slow_path(w, m, l4, tslot))
			w->stats->ctr[CASCADE_LC_SRTCP_LEARN_UP]++;
		return;
	}
	if (lc == w->idx) {
		dp_rcv_srtcp_owned(w, m, l4, tslot, i, learn);
		return;
	}
	mt = dp_meta_of(m, dp.meta_off);
	memset(mt, 0, sizeof(*mt));
	mt->kind = DP_META_RCV_SRTCP;
	mt->pslot = tslot;
	mt->pgen = tp->gen;
	mt->cslot = i;
	mt->learn = (uint8_t)learn;
	dp_handoff(w, m, (uint16_t)lc);
}
