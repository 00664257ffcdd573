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
 * RTCP of no producer (receivers' reports and feedback) goes on to
 * dp_rcv_rtcp.c.
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

void
dp_post_learn(struct dp_worker *w, struct dp_transport *tp, uint32_t slot, const struct rte_mbuf *m,
	   const struct dp_l4 *l4, uint8_t what)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct dp_learn l;

	if (tp->learn_posted)
		return;
	memset(&l, 0, sizeof(l));
	l.transport = slot;
	l.gen = tp->gen;
	dp_addr_from(&l.src, l4->family, l4->src_ip, l4->src_port_be);
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
	dp_addr_from(&src, l4->family, l4->src_ip, l4->src_port_be);
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

/*
 * The slow path: STUN and DTLS go up to the control plane, rate-limited per
 * source bucket (GCRA with a burst of SLOW_BURST_PKTS) so a flood cannot starve it.
 */
bool
dp_slow_path(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4, uint32_t tslot)
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
	dp_count_accepted(w, tslot, m);
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

	dp_addr_from(&src, l4->family, l4->src_ip, l4->src_port_be);
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
		dp_post_learn(w, tp, tslot, m, l4, mt->learn);
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
		dp_count_accepted(w, tslot, m);
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
	dp_count_accepted(w, tslot, m);
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
		(void)dp_slow_path(w, m, &l4, slot);
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
			dp_rtcp_terminate(w, m, &l4, tp, slot, learn);
		else if (cls == DP_CLASS_RTCP && (tp->cfg.flags & CASCADE_TRANSPORT_PIPE))
			dp_pipe_srtcp(w, m, &l4, slot, ssrc);
		else if (cls == DP_CLASS_RTCP)
			dp_rcv_srtcp(w, m, &l4, slot, ssrc, learn);
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
		dp_rcv_srtcp_owned(w, m, &l4, mt->pslot, mt->cslot, mt->learn);
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
		dp_feedback_owned(w, m, &l4, mt->pslot, mt->cslot, mt->srtcp);
		return;
	}
	owned(w, m, &l4, mt);
}
