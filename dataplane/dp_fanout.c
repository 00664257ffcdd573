/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fan-out: one producer packet becomes one packet per consumer, each with its
 * own Ethernet/IP/UDP headers (from the consumer's transport to the
 * transport's remote or, on a pipe transport, to the consumer's own remote:
 * the peer node's pipe address) and its own rewritten RTP header (SSRC,
 * payload type, sequence, timestamp, extension ids).
 *
 * Zero copy for plain RTP: each egress packet is a fresh header mbuf holding
 * L2-L4 plus the rewritten RTP header, chained to an indirect clone of the
 * ingress mbuf that starts at the RTP payload; the payload is never copied or
 * read. Payloads up to --copy-below bytes (audio) are copied into the header
 * mbuf instead, which costs less than a clone. The last consumer takes the
 * ingress mbuf itself, rewritten in place (no allocation at all for 1 -> 1).
 * Ports whose driver sends only the first segment of a chain (net_af_xdp, or
 * any without RTE_ETH_TX_OFFLOAD_MULTI_SEGS) get one linear full-size copy per
 * consumer instead of header + clone.
 *
 * SRTP consumers (on a transport with srtp_suite) always get a private linear
 * copy with room for the trailer, since libsrtp2 encrypts in place: never the
 * shared payload clone, and never the ingress mbuf, not even as the last
 * consumer (the copy costs less than the cipher, and keeps the in-place path
 * free of SRTP cases). The copy is protected with the consumer's own outbound
 * session (its SSRC, the transport's tx key), which only this lcore, the one
 * that receives the producer, touches; its UDP checksum is computed over the
 * protected bytes. Forwarded SRs are protected with the same session
 * (srtp_protect_rtcp).
 *
 * The UDP checksum is derived, not recomputed: the ingress checksum minus the
 * ingress headers' sum gives the payload's sum once per packet; each consumer
 * adds its own headers' sum (RFC 1071 arithmetic). IPv4 packets that arrived
 * without a checksum leave without one; IPv6 egress then sums the payload once.
 *
 * A consumer that negotiated transport-cc gets Cascade's transport-wide
 * sequence number in every copy (dp_twcc_out.c): its header may grow by a word
 * or two, so it never takes the ingress mbuf in place; the sender's own
 * number is blanked by the rewrite (ext_map CASCADE_EXT_TWCC).
 *
 * All of this runs on the producer's owning lcore (dp_worker.c), the only one
 * that touches its consumers' sequence state and outbound SRTP sessions. Every
 * copy that is not sent is counted under a drop reason on the consumer.
 */
#include <stdatomic.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dp.h"

/* Per-ingress-packet facts shared by all consumers. */
struct fan {
	const uint8_t *rtp;   /* ingress RTP header */
	uint16_t rtp_hdr_len;
	uint16_t tail_len;    /* bytes after the RTP header (payload + padding) */
	uint16_t tail_off;    /* offset of those bytes in the ingress mbuf */
	uint16_t psum;        /* one's-complement sum of the tail, when has_psum */
	bool has_psum;
	bool in_had_cksum;
};

/*
 * What one consumer's copy says in its RTP header; an RTX copy (RFC 4588 4)
 * puts the original sequence number (osn) in front of the payload.
 */
struct out {
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t pt;
	uint8_t rtx;
	uint16_t osn;
};

static void
fan_psum(struct fan *f, struct rte_mbuf *m)
{
	if (!f->has_psum) {
		f->psum = dp_cksum_fold(__rte_raw_cksum(
			rte_pktmbuf_mtod_offset(m, void *, f->tail_off), f->tail_len, 0));
		f->has_psum = true;
	}
}

/* Count one egress copy of consumer cslot lost for `why`. */
static void
consumer_drop(struct dp_worker *w, uint32_t cslot, enum cascade_drop why)
{
	dp_drop_count(w, why);
	w->cstats[cslot].drop_pkts++;
}

/*
 * Where consumer k's packets go: its own peer on a pipe transport (immutable
 * while k is published), else its transport tp's peer; NULL when the transport
 * has no remote yet (counted as no route). For ordinary consumers this costs
 * one test of a flag on a cache line fan-out has already read.
 */
static const struct dp_peer *
consumer_peer(const struct dp_consumer *k, const struct dp_transport *tp)
{
	const struct dp_peer *peer;

	if (k->has_peer)
		return &k->peer;
	/* pairs with the main lcore's release store of peer */
	peer = atomic_load_explicit(&tp->peer, memory_order_acquire);
	if (peer == NULL || peer->remote.port_be == 0)
		return NULL;
	return peer;
}

/* Count one copy sent to consumer k (slot cslot). */
static void
consumer_sent(struct dp_worker *w, const struct dp_consumer *k, uint32_t cslot,
	      const struct rte_mbuf *h)
{
	w->cstats[cslot].tx_pkts++;
	w->cstats[cslot].tx_bytes += h->pkt_len;
	w->tstats[k->transport].tx_pkts++;
	w->tstats[k->transport].tx_bytes += h->pkt_len;
}

/*
 * The last consumer of a packet takes the ingress mbuf itself: its RTP header
 * is rewritten in place and new Ethernet/IP/UDP headers are written in front of
 * it, so a 1 -> 1 flow costs no allocation, clone or extra free. Earlier
 * consumers' clones only reference the payload after the RTP header, which
 * this does not touch. Returns true when m was consumed (sent or dropped).
 */
static bool
fanout_in_place(struct dp_worker *w, struct rte_mbuf *m, struct fan *f, struct dp_consumer *k,
		uint32_t cslot, const struct dp_transport *tp, const struct dp_peer *peer,
		const struct out *o)
{
	uint16_t port = tp->cfg.port_id;
	uint16_t e = dp_l2l4_len(port, tp->cfg.local.family);
	uint16_t in_off = (uint16_t)(f->tail_off - f->rtp_hdr_len);
	uint16_t trail = (uint16_t)(m->data_len - (f->tail_off + f->tail_len));
	uint8_t *rtp_io = rte_pktmbuf_mtod_offset(m, uint8_t *, in_off);
	uint32_t body_sum = 0;
	int rc;

	if (in_off < e && rte_pktmbuf_headroom(m) < e - in_off)
		return false; /* no room in front: use a header mbuf */
	if (unlikely(dp_rtp_rewrite(rtp_io, f->rtp_hdr_len, o->pt, o->seq, o->ts, o->ssrc,
				    k->cfg.ext_map) < 0)) {
		w->cstats[cslot].drop_pkts++;
		dp_drop(w, m, CASCADE_DROP_RTP_EXT);
		return true;
	}
	if (f->in_had_cksum || tp->cfg.local.family == CASCADE_AF_INET6) {
		fan_psum(f, m);
		body_sum = __rte_raw_cksum(rtp_io, f->rtp_hdr_len, f->psum);
	}
	if (trail != 0)
		rte_pktmbuf_trim(m, trail); /* Ethernet padding */
	if (in_off > e)
		rte_pktmbuf_adj(m, (uint16_t)(in_off - e));
	else if (in_off < e)
		rte_pktmbuf_prepend(m, (uint16_t)(e - in_off));
	rc = dp_write_l2l4(rte_pktmbuf_mtod(m, uint8_t *), port, peer, &tp->cfg.local,
			   &peer->remote, (uint16_t)(f->rtp_hdr_len + f->tail_len), body_sum,
			   f->in_had_cksum);
	if (rc < 0) {
		w->cstats[cslot].drop_pkts++;
		dp_drop(w, m, dp_l2l4_drop(rc));
		return true;
	}
	m->ol_flags = 0;
	consumer_sent(w, k, cslot, m);
	dp_tx_add(w, port, m);
	return true;
}

/*
 * An SRTP consumer's copy: one full-size mbuf with headers, the rewritten RTP
 * header and the payload, protected in place with the consumer's session.
 * Never takes m.
 */
static uint32_t
fanout_srtp(struct dp_worker *w, struct rte_mbuf *m, struct fan *f, struct dp_consumer *k,
	    uint32_t cslot, const struct dp_transport *tp, const struct dp_peer *peer,
	    const struct out *o)
{
	/* pairs with the main lcore's release store of srtp or rtx_srtp (its RTX stream) */
	struct cascade_srtp *s =
		atomic_load_explicit(o->rtx ? &k->rtx_srtp : &k->srtp, memory_order_acquire);
	uint16_t port = tp->cfg.port_id, off = dp_l2l4_len(port, tp->cfg.local.family);
	uint16_t osn_len = o->rtx ? 2 : 0, hdr_len = f->rtp_hdr_len;
	uint16_t grow = k->cfg.twcc_ext_id != 0 ? DP_TWCC_GROW : 0;
	size_t len = (size_t)f->rtp_hdr_len + grow + osn_len + f->tail_len, cap;
	enum cascade_drop why;
	struct rte_mbuf *h;
	uint8_t *hp, *out;
	int rc;

	if (unlikely(s == NULL)) {
		consumer_drop(w, cslot, CASCADE_DROP_SRTP_ERROR); /* no keys yet */
		return 0;
	}
	h = rte_pktmbuf_alloc(dp.pkt_pool);
	if (unlikely(h == NULL)) {
		consumer_drop(w, cslot, CASCADE_DROP_NO_MBUF);
		return 0;
	}
	cap = rte_pktmbuf_tailroom(h) > off ? rte_pktmbuf_tailroom(h) - off : 0;
	if (unlikely(len + CASCADE_SRTP_RTP_TRAILER_MAX > cap)) {
		why = CASCADE_DROP_TOO_BIG;
		goto drop;
	}
	hp = rte_pktmbuf_mtod(h, uint8_t *);
	out = hp + off;
	memcpy(out, f->rtp, f->rtp_hdr_len);
	if (unlikely(dp_rtp_rewrite(out, f->rtp_hdr_len, o->pt, o->seq, o->ts, o->ssrc,
				    k->cfg.ext_map) < 0)) {
		why = CASCADE_DROP_RTP_EXT;
		goto drop;
	}
	if (grow != 0)
		hdr_len = dp_twcc_put(w, k, tp, out, hdr_len, (uint32_t)osn_len + f->tail_len);
	len = (size_t)hdr_len + osn_len + f->tail_len;
	if (o->rtx) {
		out[hdr_len] = (uint8_t)(o->osn >> 8);
		out[hdr_len + 1] = (uint8_t)o->osn;
	}
	memcpy(out + hdr_len + osn_len, rte_pktmbuf_mtod_offset(m, void *, f->tail_off),
	       f->tail_len);
	rc = cascade_srtp_protect_rtp(s, out, &len, cap);
	if (unlikely(rc < 0)) {
		why = dp_srtp_drop_reason(rc);
		goto drop;
	}
	/* the tag may push a full-size packet past the MTU: dp_write_l2l4 refuses it */
	rc = dp_write_l2l4(hp, port, peer, &tp->cfg.local, &peer->remote, (uint16_t)len,
			   __rte_raw_cksum(out, len, 0), true);
	if (rc < 0) {
		why = dp_l2l4_drop(rc);
		goto drop;
	}
	h->data_len = (uint16_t)(off + len);
	h->pkt_len = h->data_len;
	consumer_sent(w, k, cslot, h);
	dp_tx_add(w, port, h);
	return h->pkt_len;
drop:
	rte_pktmbuf_free(h);
	consumer_drop(w, cslot, why);
	return 0;
}

/*
 * One plain consumer's copy: a header mbuf chained to a clone of the payload,
 * the payload copied in (small, or a port that sends one segment), or the
 * ingress mbuf itself for the last consumer. Returns true when it took m.
 */
static bool
fanout_plain(struct dp_worker *w, struct rte_mbuf *m, struct fan *f, struct dp_consumer *k,
	     uint32_t cslot, bool last, const struct dp_transport *tp, const struct dp_peer *peer,
	     const struct out *o, uint32_t *sent)
{
	uint16_t port = tp->cfg.port_id, l2l4 = dp_l2l4_len(port, tp->cfg.local.family);
	uint16_t grow = k->cfg.twcc_ext_id != 0 ? DP_TWCC_GROW : 0, hdr_len = f->rtp_hdr_len;
	uint16_t hl, pay_in_hdr, osn_len = o->rtx ? 2 : 0, rtp_len = f->rtp_hdr_len + grow + osn_len;
	struct rte_mbuf *h, *clone;
	uint32_t body_sum;
	enum cascade_drop why;
	uint8_t *hp, *rtp_out;
	bool linear;
	int rc;

	*sent = 0;
	if (last && grow == 0 && fanout_in_place(w, m, f, k, cslot, tp, peer, o))
		return true;
	/* a port that sends one segment only gets the whole packet in one full-size mbuf */
	linear = dp.tx_linear[port];
	pay_in_hdr = linear || f->tail_len <= dp.opt.copy_below ? f->tail_len : 0;
	hl = (uint16_t)(l2l4 + rtp_len + pay_in_hdr);
	h = rte_pktmbuf_alloc(linear ? dp.pkt_pool : dp.hdr_pool);
	if (unlikely(h == NULL)) {
		consumer_drop(w, cslot, CASCADE_DROP_NO_MBUF);
		return false;
	}
	if (!linear && pay_in_hdr != 0 && hl > rte_pktmbuf_tailroom(h)) {
		/* headers + payload do not fit the header mbuf: clone the payload instead */
		hl = (uint16_t)(hl - pay_in_hdr);
		pay_in_hdr = 0;
	}
	if (unlikely(hl > rte_pktmbuf_tailroom(h))) {
		why = CASCADE_DROP_TOO_BIG;
		goto drop;
	}
	hp = rte_pktmbuf_mtod(h, uint8_t *);
	rtp_out = hp + l2l4;
	memcpy(rtp_out, f->rtp, f->rtp_hdr_len);
	if (unlikely(dp_rtp_rewrite(rtp_out, f->rtp_hdr_len, o->pt, o->seq, o->ts, o->ssrc,
				    k->cfg.ext_map) < 0)) {
		why = CASCADE_DROP_RTP_EXT;
		goto drop;
	}
	if (grow != 0) {
		/* hl counted the most it can grow; now what it did */
		hdr_len = dp_twcc_put(w, k, tp, rtp_out, hdr_len, (uint32_t)osn_len + f->tail_len);
		rtp_len = (uint16_t)(hdr_len + osn_len);
		hl = (uint16_t)(l2l4 + rtp_len + pay_in_hdr);
	}
	if (o->rtx) {
		rtp_out[hdr_len] = (uint8_t)(o->osn >> 8);
		rtp_out[hdr_len + 1] = (uint8_t)o->osn;
	}
	if (pay_in_hdr != 0)
		memcpy(rtp_out + rtp_len, rte_pktmbuf_mtod_offset(m, void *, f->tail_off),
		       pay_in_hdr);
	body_sum = 0;
	if (f->in_had_cksum || tp->cfg.local.family == CASCADE_AF_INET6) {
		/* the header (and OSN) is an even number of bytes: the payload's sum holds */
		fan_psum(f, m);
		body_sum = __rte_raw_cksum(rtp_out, rtp_len, f->psum);
	}
	rc = dp_write_l2l4(hp, port, peer, &tp->cfg.local, &peer->remote,
			   (uint16_t)(rtp_len + f->tail_len), body_sum, f->in_had_cksum);
	if (rc < 0) {
		why = dp_l2l4_drop(rc);
		goto drop;
	}
	h->data_len = hl;
	h->pkt_len = hl;
	if (pay_in_hdr == 0 && f->tail_len != 0) {
		clone = rte_pktmbuf_clone(m, dp.clone_pool);
		if (unlikely(clone == NULL)) {
			why = CASCADE_DROP_NO_MBUF;
			goto drop;
		}
		rte_pktmbuf_adj(clone, f->tail_off);
		rte_pktmbuf_trim(clone, (uint16_t)(clone->data_len - f->tail_len));
		h->next = clone;
		h->nb_segs = 2;
		h->pkt_len += clone->pkt_len;
	}
	consumer_sent(w, k, cslot, h);
	*sent = h->pkt_len;
	dp_tx_add(w, port, h);
	return false;
drop:
	rte_pktmbuf_free(h);
	consumer_drop(w, cslot, why);
	return false;
}

/*
 * One consumer's copy of m, under its payload type pt. Returns true when it
 * took m itself (the last consumer).
 */
static bool
fanout_one(struct dp_worker *w, struct rte_mbuf *m, struct fan *f, const struct dp_rtp *rtp,
	   const struct dp_producer *p, struct dp_consumer *k, uint32_t cslot, bool last, int pt)
{
	const struct dp_transport *tp = &dp.transports[k->transport];
	const struct dp_peer *peer = consumer_peer(k, tp);
	struct out o = {.pt = (uint8_t)pt, .ssrc = k->cfg.ssrc};
	uint32_t sent;

	if (peer == NULL) {
		consumer_drop(w, cslot, CASCADE_DROP_NO_ROUTE);
		return false;
	}
	if (dp_seq_map(&k->st, rtp->seq, rtp->ts, w->now_ns, p->cfg.clock_rate, &o.seq, &o.ts) < 0) {
		/* from before a resync: its number was already used */
		consumer_drop(w, cslot, CASCADE_DROP_SEQ_LATE);
		return false;
	}
	if (k->is_srtp) {
		fanout_srtp(w, m, f, k, cslot, tp, peer, &o);
		return false;
	}
	return fanout_plain(w, m, f, k, cslot, last, tp, peer, &o, &sent);
}

/*
 * The RTX payload type consumer k negotiated for its payload type pt, or 0:
 * none (no RTX stream, or none for that codec; on SRTP, no RTX outbound
 * session: an SRTP pipe's consumer, or no keys yet).
 */
static uint8_t
consumer_rtx_pt(const struct dp_consumer *k, uint8_t pt)
{
	unsigned int i;

	/* pairs with the main lcore's release store of rtx_srtp */
	if (k->cfg.rtx_ssrc == 0 ||
	    (k->is_srtp && atomic_load_explicit(&k->rtx_srtp, memory_order_acquire) == NULL))
		return 0;
	for (i = 0; i < k->cfg.n_pt_map && i < CASCADE_MAX_PT_MAP; i++)
		if (k->cfg.pt_map[i].out_pt == pt)
			return k->cfg.rtx_pt[i];
	return 0;
}

/* The longest RTP header (with CSRCs and extensions) a buffered packet may have. */
#define RTX_HDR_MAX 64

/*
 * What sending a buffered packet again needs, kept at the very end of its
 * data room (past what is sent): the last consumer may rewrite the packet's
 * front in place (RTP header, new Ethernet/IP/UDP headers), never its
 * payload, so the original header is copied here and the payload is found by
 * its place in the buffer.
 */
struct rtx_orig {
	uint32_t ts;
	uint16_t payload_at;  /* the payload's offset from buf_addr */
	uint16_t payload_len; /* with padding: all after the header */
	uint16_t psum;
	uint8_t has_psum, in_had_cksum;
	uint8_t pt, hdr_len;
	uint8_t pad[6];
	uint8_t hdr[RTX_HDR_MAX];
};

static struct rtx_orig *
rtx_orig_of(struct rte_mbuf *m)
{
	return (struct rtx_orig *)((uint8_t *)m->buf_addr + m->buf_len - sizeof(struct rtx_orig));
}

/* Note what m (one segment) needs to go again; false when it cannot be kept. */
static bool
rtx_note(struct rte_mbuf *m, const struct fan *f, const struct dp_rtp *rtp)
{
	struct rtx_orig *o;

	if (f->rtp_hdr_len > RTX_HDR_MAX || m->nb_segs != 1 ||
	    (uint32_t)m->data_off + m->data_len + sizeof(*o) > m->buf_len)
		return false;
	o = rtx_orig_of(m);
	o->ts = rtp->ts;
	o->payload_at = (uint16_t)(m->data_off + f->tail_off);
	o->payload_len = f->tail_len;
	o->psum = f->psum;
	o->has_psum = f->has_psum;
	o->in_had_cksum = f->in_had_cksum;
	o->pt = rtp->pt;
	o->hdr_len = (uint8_t)f->rtp_hdr_len;
	memcpy(o->hdr, f->rtp, f->rtp_hdr_len);
	return true;
}

/* The facts of ingress packet m (l4 and rtp parsed from it) that every copy shares. */
static void
fan_init(struct fan *f, const struct rte_mbuf *m, const struct dp_l4 *l4, const struct dp_rtp *rtp)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(frame + l4->l4_off);

	f->rtp = frame + l4->payload_off;
	f->rtp_hdr_len = rtp->hdr_len;
	f->tail_off = (uint16_t)(l4->payload_off + rtp->hdr_len);
	f->tail_len = (uint16_t)(l4->payload_len - rtp->hdr_len);
	f->in_had_cksum = udp->dgram_cksum != 0;
	f->has_psum = false;
	f->psum = 0;
	if (f->in_had_cksum) {
		/* payload sum = ingress total - ingress headers (one's complement) */
		uint32_t hdrs = dp_pseudo_udp_sum(l4->family, l4->src_ip, l4->dst_ip,
						  l4->src_port_be, l4->dst_port_be,
						  (uint16_t)(l4->payload_len + 8));
		/* __rte_raw_cksum sums words as they lie in memory, and so does the
		 * checksum field: everything stays in that domain, no byte swaps */
		uint16_t total = (uint16_t)~udp->dgram_cksum;

		hdrs = __rte_raw_cksum(f->rtp, f->rtp_hdr_len, hdrs);
		f->psum = dp_cksum_fold((uint32_t)total + (uint16_t)~dp_cksum_fold(hdrs));
		f->has_psum = true;
	}
}

void
dp_fanout_rtp(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4,
	      const struct dp_rtp *rtp, const struct dp_producer *p, uint32_t pslot)
{
	/* pairs with the main lcore's release store in dp_table_publish() */
	const struct dp_clist *cl = atomic_load_explicit(&p->clist, memory_order_acquire);
	/* main sets it before the producer is published and clears it at delete */
	struct dp_rtxbuf *rtx = atomic_load_explicit(&p->rtx, memory_order_relaxed);
	uint32_t i, wanted = 0;
	bool keep, took = false;
	struct rte_mbuf *old;
	struct fan f;
	int pt;

	RTE_SET_USED(pslot);
	if (cl == NULL || cl->n == 0) {
		dp_drop(w, m, CASCADE_DROP_NO_CONSUMER); /* received and counted, nothing to send */
		return;
	}
	fan_init(&f, m, l4, rtp);
	/* the buffer's own reference: m outlives its last consumer's transmission */
	keep = rtx != NULL && rtx_note(m, &f, rtp);
	if (keep)
		rte_mbuf_refcnt_update(m, 1);
	for (i = 0; i < cl->n && !took; i++) {
		uint32_t cs = cl->slot[i];
		struct dp_consumer *k = &dp.consumers[cs];
		uint32_t epoch;

		/* pairs with the main lcore's release store of paused */
		if (atomic_load_explicit(&k->paused, memory_order_acquire))
			continue;
		epoch = atomic_load_explicit(&k->resume_epoch, memory_order_relaxed);
		if (unlikely(epoch != k->seen_epoch)) {
			k->seen_epoch = epoch;
			dp_seq_resync(&k->st);
		}
		pt = dp_pt_map(&k->cfg, rtp->pt);
		if (pt < 0)
			continue; /* not a codec this consumer takes */
		wanted++;
		took = fanout_one(w, m, &f, rtp, p, k, cs, i + 1 == cl->n, pt);
	}
	if (wanted == 0) {
		/* every consumer paused, or none takes this payload type */
		if (keep)
			rte_pktmbuf_free(m); /* not kept after all */
		dp_drop(w, m, CASCADE_DROP_NO_CONSUMER);
		return;
	}
	/* every consumer that wanted it has its copy (clones hold their own reference) */
	if (!took)
		rte_pktmbuf_free(m);
	if (keep) {
		old = dp_rtxbuf_put(rtx, rtp->seq, m, w->now_tsc);
		if (old != NULL)
			rte_pktmbuf_free(old); /* the oldest, or m again as a duplicate */
	}
}

uint32_t
dp_fanout_resend(struct dp_worker *w, struct rte_mbuf *held, struct dp_consumer *k,
		 uint32_t cslot, uint16_t out_seq)
{
	const struct dp_transport *tp = &dp.transports[k->transport];
	const struct dp_peer *peer = consumer_peer(k, tp);
	const struct rtx_orig *r = rtx_orig_of(held);
	struct fan f;
	struct out o;
	uint32_t sent;
	uint8_t rtx_pt;
	int pt;

	pt = dp_pt_map(&k->cfg, r->pt);
	if (pt < 0)
		return 0; /* never sent to this consumer */
	if (peer == NULL) {
		consumer_drop(w, cslot, CASCADE_DROP_NO_ROUTE);
		return 0;
	}
	/* as it came, wherever its front is now */
	f.rtp = r->hdr;
	f.rtp_hdr_len = r->hdr_len;
	f.tail_off = (uint16_t)(r->payload_at - held->data_off);
	f.tail_len = r->payload_len;
	f.psum = r->psum;
	f.has_psum = r->has_psum;
	f.in_had_cksum = r->in_had_cksum;
	/* as it went the first time: its number, the timestamp offset of that time */
	memset(&o, 0, sizeof(o));
	o.seq = out_seq;
	o.ts = r->ts + k->st.ts_off;
	o.pt = (uint8_t)pt;
	o.ssrc = k->cfg.ssrc;
	rtx_pt = consumer_rtx_pt(k, o.pt);
	if (rtx_pt != 0) {
		/* RFC 4588 4: the RTX stream's SSRC, payload type and own numbering, OSN first */
		o.rtx = 1;
		o.osn = out_seq;
		o.seq = k->rtx_seq++;
		o.pt = rtx_pt;
		o.ssrc = k->cfg.rtx_ssrc;
	}
	if (k->is_srtp)
		return fanout_srtp(w, held, &f, k, cslot, tp, peer, &o);
	fanout_plain(w, held, &f, k, cslot, false, tp, peer, &o, &sent);
	return sent;
}
