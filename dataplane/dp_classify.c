/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ingress, in two stages.
 *
 * Stage 1 (dp_classify, whichever lcore RSS chose): parse Ethernet, VLAN, IP
 * and UDP; check the port's VLAN; find the transport by destination address;
 * demux by the first bytes (RFC 7983, RFC 5761); check the source against the
 * transport's remote; find the producer by the SSRC in the clear header (RTP
 * bytes 8-11; the first RTCP packet's sender, bytes 4-7), so a packet of an
 * unknown SSRC is dropped before any crypto. Then the ownership rule (see
 * dp_worker.c): a packet whose producer this lcore does not own is handed to
 * the owner with what stage 1 found (struct dp_meta); nothing past this point
 * runs on a non-owner.
 *
 * Stage 2 (owned(), the producer's owning lcore): unprotect SRTP/SRTCP with
 * the stream's own inbound session; post what the packet teaches (an SRTP
 * transport learns only from a packet that authenticated); parse RTP or RTCP
 * whole; count the packet on its transport (which counts only packets it
 * accepted: from its remote, authentic, well-formed, of a known stream); fan
 * out.
 *
 * The remote check (RFC 3550 11 lets RTCP come from another port than RTP):
 *   RTP   from the remote tuple; with none yet, a comedia transport learns it
 *         from this packet (RTP only: an RTCP packet never sets it), any other
 *         transport drops it.
 *   RTCP  from the RTCP remote or the remote tuple; while no RTCP remote is
 *         known, from the remote's IP on another port, which becomes the RTCP
 *         remote (learned once); with no remote at all, a comedia transport
 *         accepts it without learning.
 *   STUN, DTLS  from the remote when there is one, else as RTCP without
 *         learning, and rate-limited per source on their way up.
 * A pipe transport (one per node, shared by every peer node) takes any source:
 * its producers are found by SSRC alone, and an SRTP pipe authenticates each
 * stream with its own key. The receiving node's feedback on an SRTP pipe
 * comes from a stream's feedback SSRC (msg.h, PIPE_SRTP), which names the
 * pipe consumer; it is unprotected on the owner of that consumer's producer.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_udp.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_bytes.h"
#include "dp_rtcp_fb.h"

#define SLOW_BURST_PKTS 8
#define RTCP_SSRC_OFF 4 /* RFC 3550 6.4: the sender's SSRC follows the 4-byte header */
#define RTP_SSRC_OFF 8  /* RFC 3550 5.1 */

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

static bool
ip_eq(const struct cascade_addr *a, const struct cascade_addr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, sizeof(a->ip)) == 0;
}

/* Ask the main lcore to record what the packet teaches (DP_LEARN_*); one in flight. */
static void
post_learn(struct dp_worker *w, struct dp_transport *tp, uint32_t slot, const struct rte_mbuf *m,
	   const struct dp_l4 *l4, uint8_t what)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct dp_learn l;

	if (tp->learn_posted)
		return;
	memset(&l, 0, sizeof(l));
	l.transport = slot;
	l.gen = tp->gen;
	addr_from(&l.src, l4->family, l4->src_ip, l4->src_port_be);
	l.mac = eth->src_addr;
	l.what = what;
	if (rte_ring_sp_enqueue_elem(w->learn_ring, &l, sizeof(l)) == 0)
		tp->learn_posted = 1; /* cleared by main; a racy hint, never a correctness need */
}

enum check_kind {
	CHECK_RTP,
	CHECK_RTCP,
	CHECK_SLOW, /* STUN, DTLS: like RTCP, but they teach nothing */
};

/*
 * The remote check (the rules are in the file's comment). Returns what the
 * packet teaches once accepted (DP_LEARN_* bits, possibly 0), or -1 after
 * dropping m.
 */
static int
remote_check(struct dp_worker *w, const struct dp_transport *tp, struct rte_mbuf *m,
	     const struct dp_l4 *l4, enum check_kind kind)
{
	const struct dp_peer *peer;
	struct cascade_addr src;
	int mac;

	if (tp->cfg.flags & CASCADE_TRANSPORT_PIPE)
		return 0;
	/* pairs with the main lcore's release store of peer */
	peer = atomic_load_explicit(&tp->peer, memory_order_acquire);
	addr_from(&src, l4->family, l4->src_ip, l4->src_port_be);
	if (peer == NULL || peer->remote.port_be == 0) {
		if (!(tp->cfg.flags & CASCADE_TRANSPORT_COMEDIA))
			goto mismatch; /* not connected: nothing is accepted before connect */
		return kind == CHECK_RTP ? DP_LEARN_RTP | DP_LEARN_MAC : 0;
	}
	mac = peer->has_mac ? 0 : DP_LEARN_MAC;
	if (addr_eq(&peer->remote, &src))
		return mac;
	if (kind == CHECK_RTP)
		goto mismatch;
	if (peer->remote_rtcp.port_be != 0) {
		if (addr_eq(&peer->remote_rtcp, &src))
			return mac;
		goto mismatch;
	}
	if (kind == CHECK_RTCP && ip_eq(&peer->remote, &src))
		return DP_LEARN_RTCP | mac;
mismatch:
	dp_drop(w, m, CASCADE_DROP_REMOTE_MISMATCH);
	return -1;
}

static void
count_accepted(struct dp_worker *w, uint32_t tslot, const struct rte_mbuf *m)
{
	w->tstats[tslot].rx_pkts++;
	w->tstats[tslot].rx_bytes += m->pkt_len;
	w->tstats[tslot].last_rx_tsc = w->now_tsc;
}

/*
 * The slow path: STUN and DTLS go up to the control plane, rate-limited per
 * source bucket (GCRA with a burst of SLOW_BURST_PKTS) so a flood cannot starve it.
 */
static bool
slow_path(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4, uint32_t tslot)
{
	uint32_t b = (uint32_t)(l4->src_ip[0] ^ l4->src_ip[1] << 3 ^ l4->src_ip[2] << 6 ^
				l4->src_ip[3] << 9 ^ l4->src_ip[15] << 2 ^ l4->src_port_be) %
		     DP_SLOW_BUCKETS;
	struct dp_slow_bucket *bk = &w->slow[b];
	uint64_t tat = bk->tokens_tsc > w->now_tsc ? bk->tokens_tsc : w->now_tsc;

	if (tat - w->now_tsc > w->slow_tsc_per_pkt * SLOW_BURST_PKTS) {
		dp_drop(w, m, CASCADE_DROP_SLOW_RATE_LIMIT);
		return false;
	}
	bk->tokens_tsc = tat + w->slow_tsc_per_pkt;
	count_accepted(w, tslot, m);
	if (rte_ring_sp_enqueue(w->slow_ring, m) != 0) {
		dp_drop(w, m, CASCADE_DROP_SLOW_RING_FULL);
		return false;
	}
	w->stats->ctr[CASCADE_LC_SLOW_PKTS]++;
	return true;
}

static int
unprotect(const struct dp_srtp_rx *rx, uint8_t *pkt, size_t *len, bool is_rtcp)
{
	return is_rtcp ? cascade_srtp_unprotect_rtcp(rx->rtcp, pkt, len)
		       : cascade_srtp_unprotect_rtp(rx->rtp, pkt, len);
}

/*
 * During a re-key's overlap: the new key, then the previous one. The second
 * attempt starts from a copy of the original bytes, since an AEAD suite leaves
 * a failed attempt's buffer decrypted with the wrong key.
 */
static int
unprotect_either(const struct dp_srtp_rx *rx, const struct dp_srtp_rx *old, uint8_t *pkt,
		 size_t *len, bool is_rtcp)
{
	uint8_t copy[RTE_MBUF_DEFAULT_DATAROOM];
	size_t len0 = *len;
	int rc;

	if (len0 > sizeof(copy))
		return unprotect(rx, pkt, len, is_rtcp);
	memcpy(copy, pkt, len0);
	rc = unprotect(rx, pkt, len, is_rtcp);
	if (rc != -EBADMSG)
		return rc;
	memcpy(pkt, copy, len0);
	*len = len0;
	return unprotect(old, pkt, len, is_rtcp);
}

/*
 * SRTP ingress (RFC 3711 3.3): one unprotect per packet, in place, with the
 * stream's inbound session, on the producer's owning lcore, before anything
 * reads past the header. Auth failures, replays and everything else (no keys
 * yet, malformed) are dropped under their own reasons and counted on the
 * transport. On success l4->payload_len is the plain length and the UDP
 * checksum is recomputed for fan-out. Returns false when m was dropped.
 */
static bool
srtp_in(struct dp_worker *w, const struct dp_producer *p, uint32_t tslot, struct rte_mbuf *m,
	struct dp_l4 *l4, const struct dp_meta *mt)
{
	/* pairs with the main lcore's release store of srtp_rx or srtp_rtx_rx (its RTX stream) */
	const struct dp_srtp_rx *rx =
		atomic_load_explicit(mt->rtx ? &p->srtp_rtx_rx : &p->srtp_rx, memory_order_acquire);
	bool is_rtcp = mt->is_rtcp;
	const struct dp_srtp_rx *old;
	uint8_t *pkt = rte_pktmbuf_mtod_offset(m, uint8_t *, l4->payload_off);
	size_t len = l4->payload_len;
	int rc;

	if (unlikely(rx == NULL)) {
		rc = -ENOKEY;
	} else {
		/* pairs with the main lcore's release store clearing old */
		old = atomic_load_explicit(&rx->old, memory_order_acquire);
		if (unlikely(old != NULL) && w->now_tsc < rx->old_until_tsc)
			rc = unprotect_either(rx, old, pkt, &len, is_rtcp);
		else
			rc = unprotect(rx, pkt, &len, is_rtcp);
	}
	if (unlikely(rc < 0)) {
		w->tstats[tslot].drop_pkts++;
		dp_drop(w, m, dp_srtp_drop_reason(rc));
		return false;
	}
	l4->payload_len = (uint16_t)len;
	if (!is_rtcp)
		dp_udp_cksum_redo(m, l4);
	return true;
}

/*
 * A pipe producer's packets come from its source node's pipe port: where its
 * RTCP towards the sender (keyframe requests, receiver reports) goes back,
 * for that node to merge with its own (it finds the pipe consumer by SSRC and
 * this node's address). Owner lcore; a store only when the source moved.
 */
static void
note_pipe_source(struct dp_producer *p, const struct rte_mbuf *m, const struct dp_l4 *l4)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct cascade_addr src;

	addr_from(&src, l4->family, l4->src_ip, l4->src_port_be);
	if (likely(addr_eq(&src, &p->pipe_src.remote)))
		return;
	p->pipe_src.remote = src;
	p->pipe_src.mac = eth->src_addr;
	p->pipe_src.has_mac = 1;
}

/*
 * A producer with a retransmission buffer: false for a packet it holds
 * already (a duplicate); else what its sender skipped is noted, to NACK it
 * (dp_nack.c).
 */
static inline bool
rtx_in(struct dp_worker *w, struct dp_producer *p, uint32_t pslot, const struct dp_rtp *rtp)
{
	struct dp_rtxbuf *rtx = atomic_load_explicit(&p->rtx, memory_order_relaxed);

	if (rtx == NULL)
		return true;
	if (unlikely(dp_rtxbuf_get(rtx, rtp->seq, w->now_tsc) != NULL))
		return false;
	if (p->cfg.fb & CASCADE_FB_NACK)
		dp_nack_rtp(w, p, pslot, rtx, rtp->seq);
	return true;
}

/* Stage 2: m belongs to producer mt->pslot, which this lcore owns. */
static void
owned(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, const struct dp_meta *mt)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dp_producer *p = &dp.producers[mt->pslot];
	uint32_t tslot = p->transport;
	struct dp_transport *tp = &dp.transports[tslot];
	enum cascade_drop why;
	struct dp_rtcp rtcp;
	struct dp_rtp rtp;

	if (tp->cfg.srtp_suite != CASCADE_SUITE_NONE && !srtp_in(w, p, tslot, m, l4, mt))
		return;
	if (unlikely(mt->learn != 0))
		post_learn(w, tp, tslot, m, l4, mt->learn);
	if (!mt->is_rtcp) {
		if (dp_parse_rtp(frame + l4->payload_off, l4->payload_len, &rtp, &why) < 0) {
			dp_drop(w, m, why);
			return;
		}
		/* every packet sent has a transport-wide number: before unwrapping and duplicates */
		if (p->cfg.fb & CASCADE_FB_TWCC)
			dp_twcc_rtp(w, p, frame + l4->payload_off, &rtp);
		if (mt->rtx && !dp_rtx_unwrap(w, p, m, l4, &rtp))
			return;
		count_accepted(w, tslot, m);
		if (tp->cfg.flags & CASCADE_TRANSPORT_PIPE)
			note_pipe_source(p, m, l4);
		w->pstats[mt->pslot].rx_pkts++;
		w->pstats[mt->pslot].rx_bytes += m->pkt_len;
		w->pstats[mt->pslot].last_rx_tsc = w->now_tsc;
		/* received, paused or not: the sender's receiver report counts it */
		dp_sender_rtp(w, p, &rtp);
		if (atomic_load_explicit(&p->paused, memory_order_acquire)) {
			dp_drop(w, m, CASCADE_DROP_PRODUCER_PAUSED);
			return;
		}
		w->stats->ctr[CASCADE_LC_RTP_PKTS]++;
		if (!rtx_in(w, p, mt->pslot, &rtp)) {
			/* accepted, and dropped after: it came already */
			dp_drop(w, m, CASCADE_DROP_RTP_DUPLICATE);
			return;
		}
		dp_fanout_rtp(w, m, l4, &rtp, p, mt->pslot);
		return;
	}
	if (dp_parse_rtcp(frame + l4->payload_off, l4->payload_len, true, &rtcp, &why) < 0) {
		dp_drop(w, m, why);
		return;
	}
	count_accepted(w, tslot, m);
	w->stats->ctr[CASCADE_LC_RTCP_PKTS]++;
	w->tstats[tslot].rtcp_pkts++;
	w->pstats[mt->pslot].rtcp_pkts++;
	/* the RTX stream's own reports describe no media a consumer gets */
	if (rtcp.first_pt == 200 && !mt->rtx)
		dp_sender_sr(p, frame + l4->payload_off, w->now_ns);
	if (rtcp.first_pt == 200 && !mt->rtx &&
	    !atomic_load_explicit(&p->paused, memory_order_acquire)) {
		dp_fanout_rtcp(w, m, l4, p, mt->pslot);
		return;
	}
	/* anything else from the sender (RR, SDES, BYE), or a paused producer's SR */
	dp_drop(w, m, CASCADE_DROP_RTCP_TERMINATED);
}

/* A receiver's RTCP packet m on transport tslot, taken: counted. */
static void
rtcp_accepted(struct dp_worker *w, uint32_t tslot, const struct rte_mbuf *m)
{
	count_accepted(w, tslot, m);
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
static void
feedback_owned(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t pslot,
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
		feedback_owned(w, m, l4, ps, cs, srtcp);
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
static void
pipe_srtcp(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t tslot,
	   uint32_t ssrc)
{
	struct dp_cons_key ck;
	void *data;

	memset(&ck, 0, sizeof(ck));
	ck.transport = tslot;
	addr_from(&ck.peer, l4->family, l4->src_ip, l4->src_port_be);
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
static void
rtcp_terminate(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4,
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
		addr_from(&ask.ck.peer, l4->family, l4->src_ip, l4->src_port_be);
	if (dp_parse_rtcp(pl, l4->payload_len, true, &rtcp, &why) < 0 ||
	    dp_rtcp_walk(pl, l4->payload_len, on_feedback, &ask, &why) < 0) {
		dp_drop(w, m, why);
		return;
	}
	if (learn != 0)
		post_learn(w, tp, tslot, m, l4, (uint8_t)learn);
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
static void
rcv_srtcp_owned(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t tslot,
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
	rtcp_terminate(w, m, l4, tp, tslot, learn);
}

/*
 * SRTCP of no producer on an SRTP client transport: a receiver's, under its
 * own SSRC. With a session for that SSRC it goes to the lcore that uses it;
 * without, up the slow path (rate-limited) for the main lcore to learn the
 * SSRC if the packet authenticates (dp_table_rcv.c), and no further.
 */
static void
rcv_srtcp(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t tslot,
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
		if (slow_path(w, m, l4, tslot))
			w->stats->ctr[CASCADE_LC_SRTCP_LEARN_UP]++;
		return;
	}
	if (lc == w->idx) {
		rcv_srtcp_owned(w, m, l4, tslot, i, learn);
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

/* The port's VLAN rule: its own VLAN id when it has one, else no tag at all. */
static bool
vlan_ok(uint16_t port, const struct dp_l4 *l4)
{
	uint16_t want = port < DP_MAX_PORTS ? dp.ports[port].vlan : DP_VLAN_NONE;

	if (want == DP_VLAN_NONE)
		return !l4->has_vlan;
	return l4->has_vlan && (l4->vlan_tci & RTE_VLAN_ID_MASK) == want;
}

void
dp_classify(struct dp_worker *w, struct rte_mbuf *m)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *), *pl;
	struct dp_transport *tp;
	struct dp_producer *p;
	struct dp_addr_key key;
	struct dp_prod_key pk;
	struct dp_meta *mt;
	struct dp_l4 l4;
	enum cascade_drop why;
	enum dp_class cls;
	uint32_t slot, ps, ssrc;
	bool rtcp_port;
	void *data;
	int learn;

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
	if (unlikely(!vlan_ok(m->port, &l4))) {
		dp_drop(w, m, CASCADE_DROP_VLAN);
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
	pl = frame + l4.payload_off;

	cls = dp_parse_demux(pl, l4.payload_len);
	switch (cls) {
	case DP_CLASS_STUN:
	case DP_CLASS_DTLS:
		if (remote_check(w, tp, m, &l4, CHECK_SLOW) < 0)
			return;
		(void)slow_path(w, m, &l4, slot);
		return;
	case DP_CLASS_RTP:
		if (unlikely(rtcp_port)) {
			/* RTP on the RTCP port of a non-mux transport */
			dp_drop(w, m, CASCADE_DROP_UNKNOWN_DEMUX);
			return;
		}
		if (l4.payload_len < RTP_SSRC_OFF + 4) {
			dp_drop(w, m, CASCADE_DROP_RTP_TRUNC);
			return;
		}
		ssrc = rd32(pl + RTP_SSRC_OFF);
		break;
	case DP_CLASS_RTCP:
		if (l4.payload_len < RTCP_SSRC_OFF + 4) {
			dp_drop(w, m, CASCADE_DROP_RTCP_TRUNC);
			return;
		}
		ssrc = rd32(pl + RTCP_SSRC_OFF);
		break;
	case DP_CLASS_UNKNOWN:
	default:
		dp_drop(w, m, CASCADE_DROP_UNKNOWN_DEMUX);
		return;
	}
	learn = remote_check(w, tp, m, &l4, cls == DP_CLASS_RTP ? CHECK_RTP : CHECK_RTCP);
	if (learn < 0)
		return;
	pk.zero = 0;
	pk.transport = slot;
	pk.ssrc = ssrc;
	if (rte_hash_lookup_data(dp.prod_by_ssrc, &pk, &data) < 0) {
		if (cls == DP_CLASS_RTCP && tp->cfg.srtp_suite == CASCADE_SUITE_NONE)
			rtcp_terminate(w, m, &l4, tp, slot, learn);
		else if (cls == DP_CLASS_RTCP && (tp->cfg.flags & CASCADE_TRANSPORT_PIPE))
			pipe_srtcp(w, m, &l4, slot, ssrc);
		else if (cls == DP_CLASS_RTCP)
			rcv_srtcp(w, m, &l4, slot, ssrc, learn);
		else
			dp_drop(w, m, CASCADE_DROP_UNKNOWN_SSRC); /* before any crypto */
		return;
	}
	ps = (uint32_t)(uintptr_t)data & ~DP_PROD_RTX;
	p = &dp.producers[ps];
	mt = dp_meta_of(m, dp.meta_off);
	mt->pslot = ps;
	mt->rtx = ((uint32_t)(uintptr_t)data & DP_PROD_RTX) != 0;
	/* pairs with the main lcore's release store of gen at delete */
	mt->pgen = atomic_load_explicit(&p->gen, memory_order_acquire);
	mt->is_rtcp = cls == DP_CLASS_RTCP;
	mt->rtcp_port = rtcp_port;
	mt->learn = (uint8_t)learn;
	mt->kind = DP_META_PACKET;
	if (p->owner != w->idx) {
		dp_handoff(w, m, p->owner);
		return;
	}
	owned(w, m, &l4, mt);
}

void
dp_classify_owned(struct dp_worker *w, struct rte_mbuf *m)
{
	const struct dp_meta *mt = dp_meta_of(m, dp.meta_off);
	const struct dp_producer *p;
	struct dp_l4 l4;
	enum cascade_drop why;

	if (mt->kind == DP_META_RCV_SRTCP) {
		/* the transport may have gone (its slot maybe reused) while m waited */
		if (mt->pslot >= dp.opt.max_transports || !dp.transports[mt->pslot].in_use ||
		    dp.transports[mt->pslot].gen != mt->pgen ||
		    dp_parse_l4(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &l4, &why) < 0) {
			dp_drop(w, m, CASCADE_DROP_PRODUCER_GONE);
			return;
		}
		rcv_srtcp_owned(w, m, &l4, mt->pslot, mt->cslot, mt->learn);
		return;
	}
	if (unlikely(mt->pslot >= dp.opt.max_producers)) {
		dp_drop(w, m, CASCADE_DROP_PRODUCER_GONE);
		return;
	}
	p = &dp.producers[mt->pslot];
	/*
	 * The producer may have been deleted (and its slot reused) while m waited
	 * in the ring: its generation moved on at delete. Pairs with the main
	 * lcore's release store of gen.
	 */
	if (atomic_load_explicit(&p->gen, memory_order_acquire) != mt->pgen || !p->in_use ||
	    p->owner != w->idx) {
		if (mt->kind == DP_META_KEYFRAME_MSG)
			rte_pktmbuf_free(m); /* a message, not a packet: nothing to count */
		else
			dp_drop(w, m, CASCADE_DROP_PRODUCER_GONE);
		return;
	}
	if (mt->kind == DP_META_KEYFRAME_MSG) {
		dp_keyframe_request(w, &dp.producers[mt->pslot], mt->pslot);
		rte_pktmbuf_free(m);
		return;
	}
	/* parsed once already by stage 1: cannot fail, l4 is wanted again */
	if (dp_parse_l4(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &l4, &why) < 0) {
		dp_drop(w, m, why);
		return;
	}
	if (mt->kind == DP_META_FEEDBACK) {
		/* the consumer may have gone (its slot maybe reused) while m waited */
		if (mt->cslot >= dp.opt.max_consumers || !dp.consumers[mt->cslot].in_use ||
		    dp.consumers[mt->cslot].gen != mt->cgen ||
		    dp.consumers[mt->cslot].producer != mt->pslot) {
			dp_drop(w, m, CASCADE_DROP_PRODUCER_GONE);
			return;
		}
		feedback_owned(w, m, &l4, mt->pslot, mt->cslot, mt->srtcp);
		return;
	}
	owned(w, m, &l4, mt);
}
