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
 * RTCP: a producer's sender report is forwarded to each consumer as a single
 * SR (report blocks and other compound parts dropped: they describe the
 * producer's own reception) with the consumer's SSRC and timestamp offset.
 */
#include <stdatomic.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dp.h"

#define L2_LEN ((uint16_t)sizeof(struct rte_ether_hdr))
#define MAX_L3_LEN ((uint16_t)sizeof(struct rte_ipv6_hdr))

/* One's-complement sum of a UDP pseudo header + UDP header (checksum zero). */
static uint32_t
pseudo_udp_sum(uint8_t family, const uint8_t *src_ip, const uint8_t *dst_ip, uint16_t sport_be,
	       uint16_t dport_be, uint16_t udp_len)
{
	uint32_t sum = 0;
	uint16_t w[4];
	uint16_t iplen = family == CASCADE_AF_INET ? 4 : 16;

	sum = __rte_raw_cksum(src_ip, iplen, sum);
	sum = __rte_raw_cksum(dst_ip, iplen, sum);
	w[0] = rte_cpu_to_be_16(IPPROTO_UDP);
	w[1] = rte_cpu_to_be_16(udp_len);
	w[2] = sport_be;
	w[3] = dport_be;
	sum = __rte_raw_cksum(w, sizeof(w), sum);
	/* the UDP header's own length field */
	sum += rte_cpu_to_be_16(udp_len);
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	return __rte_raw_cksum_reduce(sum);
}

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

static void
fan_psum(struct fan *f, struct rte_mbuf *m)
{
	if (!f->has_psum) {
		f->psum = fold(__rte_raw_cksum(rte_pktmbuf_mtod_offset(m, void *, f->tail_off),
					       f->tail_len, 0));
		f->has_psum = true;
	}
}

/*
 * Hand a TX buffer to the PMD. A full queue is retried for at most
 * --tx-retry-us (a fan-out burst can briefly outrun a slow receiver's ring);
 * what is still refused then is dropped and counted as tx_full.
 */
static void
txbuf_send(struct dp_worker *w, uint16_t port)
{
	struct dp_txbuf *b = &w->tx[port];
	uint16_t sent = 0, i;
	uint64_t deadline = 0;

	for (;;) {
		sent += rte_eth_tx_burst(port, (uint16_t)w->idx, b->pkts + sent, b->n - sent);
		if (likely(sent == b->n))
			break;
		if (deadline == 0)
			deadline = rte_rdtsc() + dp.tx_retry_tsc;
		else if (rte_rdtsc() > deadline)
			break;
		rte_pause();
	}
	for (i = 0; i < sent; i++)
		w->stats->ctr[CASCADE_LC_TX_BYTES] += b->pkts[i]->pkt_len;
	w->stats->ctr[CASCADE_LC_TX_PKTS] += sent;
	for (i = sent; i < b->n; i++)
		dp_drop(w, b->pkts[i], CASCADE_DROP_TX_FULL);
	b->n = 0;
}

static inline void
txbuf_add(struct dp_worker *w, uint16_t port, struct rte_mbuf *pkt)
{
	struct dp_txbuf *b = &w->tx[port];

	b->pkts[b->n++] = pkt;
	if (b->n >= DP_BURST)
		txbuf_send(w, port);
}

void
dp_udp_cksum_redo(struct rte_mbuf *m, const struct dp_l4 *l4)
{
	struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, l4->l4_off);
	uint32_t sum;
	uint16_t ck;

	if (udp->dgram_cksum == 0 && l4->family == CASCADE_AF_INET)
		return; /* none to keep (RFC 768) */
	sum = pseudo_udp_sum(l4->family, l4->src_ip, l4->dst_ip, l4->src_port_be, l4->dst_port_be,
			     (uint16_t)(l4->payload_len + sizeof(*udp)));
	sum = __rte_raw_cksum(rte_pktmbuf_mtod_offset(m, void *, l4->payload_off), l4->payload_len,
			      sum);
	ck = (uint16_t)~fold(sum);
	udp->dgram_cksum = ck == 0 ? 0xffff : ck;
}

void
dp_tx_flush(struct dp_worker *w)
{
	uint16_t port;

	for (port = 0; port < dp.n_ports; port++)
		if (w->tx[port].n != 0)
			txbuf_send(w, port);
}

uint16_t
dp_write_l2l4(uint8_t *h, const struct dp_transport *tp, const struct dp_peer *peer,
	      const struct cascade_addr *local, const struct cascade_addr *remote,
	      uint16_t udp_payload_len, uint32_t body_sum, bool want_cksum)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)h;
	struct rte_udp_hdr *udp;
	uint16_t udp_len = (uint16_t)(udp_payload_len + sizeof(*udp));
	uint16_t l3_len;

	if (peer->has_mac)
		eth->dst_addr = peer->mac;
	else if (dp.opt.has_peer_mac)
		eth->dst_addr = dp.opt.peer_mac;
	else
		return 0;
	eth->src_addr = dp.ports[tp->cfg.port_id].mac;
	if (local->family == CASCADE_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + L2_LEN);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(udp_len + sizeof(*ip)));
		ip->packet_id = 0;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->hdr_checksum = 0;
		memcpy(&ip->src_addr, local->ip, 4);
		memcpy(&ip->dst_addr, remote->ip, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		l3_len = sizeof(*ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(h + L2_LEN);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(udp_len);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, local->ip, 16);
		memcpy(ip->dst_addr, remote->ip, 16);
		l3_len = sizeof(*ip);
		want_cksum = true; /* mandatory over IPv6 (RFC 8200 8.1) */
	}
	udp = (struct rte_udp_hdr *)(h + L2_LEN + l3_len);
	udp->src_port = local->port_be;
	udp->dst_port = remote->port_be;
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	udp->dgram_cksum = 0;
	if (want_cksum) {
		uint32_t sum = pseudo_udp_sum(local->family, local->ip, remote->ip, local->port_be,
					      remote->port_be, udp_len) +
			       body_sum;
		uint16_t ck = (uint16_t)~fold(sum);
		udp->dgram_cksum = ck == 0 ? 0xffff : ck;
	}
	return (uint16_t)(L2_LEN + l3_len + sizeof(*udp));
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

/*
 * The last consumer of a packet takes the ingress mbuf itself: its RTP header
 * is rewritten in place and new Ethernet/IP/UDP headers are written in front of
 * it, so a 1 -> 1 flow costs no allocation, clone or extra free. Earlier
 * consumers' clones only reference the payload after the RTP header, which
 * this does not touch. Returns true when m was consumed (sent or dropped).
 */
static bool
fanout_in_place(struct dp_worker *w, struct rte_mbuf *m, struct fan *f, const struct dp_rtp *rtp,
		const struct dp_producer *p, struct dp_consumer *k, uint32_t cslot,
		const struct dp_transport *tp, const struct dp_peer *peer, uint8_t pt)
{
	uint16_t l3l4 = (uint16_t)(tp->cfg.local.family == CASCADE_AF_INET ? 28 : 48);
	uint16_t e = (uint16_t)(L2_LEN + l3l4), in_off = (uint16_t)(f->tail_off - f->rtp_hdr_len);
	uint16_t trail = (uint16_t)(m->data_len - (f->tail_off + f->tail_len));
	uint8_t *rtp_io = rte_pktmbuf_mtod_offset(m, uint8_t *, in_off);
	uint32_t out_ts, body_sum = 0;
	uint16_t out_seq;

	if (in_off < e && rte_pktmbuf_headroom(m) < e - in_off)
		return false; /* no room in front: use a header mbuf */
	if (dp_seq_map(&k->st, rtp->seq, rtp->ts, w->now_ns, p->cfg.clock_rate, &out_seq,
		       &out_ts) < 0) {
		rte_pktmbuf_free(m); /* from before a resync: nothing to send */
		return true;
	}
	if (unlikely(dp_rtp_rewrite(rtp_io, f->rtp_hdr_len, pt, out_seq, out_ts, k->cfg.ssrc,
				    k->cfg.ext_map) < 0)) {
		dp_drop(w, m, CASCADE_DROP_RTP_EXT);
		w->cstats[cslot].drop_pkts++;
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
	if (dp_write_l2l4(rte_pktmbuf_mtod(m, uint8_t *), tp, peer, &tp->cfg.local, &peer->remote,
			  (uint16_t)(f->rtp_hdr_len + f->tail_len), body_sum, f->in_had_cksum) == 0) {
		dp_drop(w, m, CASCADE_DROP_NO_ROUTE);
		w->cstats[cslot].drop_pkts++;
		return true;
	}
	m->ol_flags = 0;
	w->cstats[cslot].tx_pkts++;
	w->cstats[cslot].tx_bytes += m->pkt_len;
	w->tstats[k->transport].tx_pkts++;
	w->tstats[k->transport].tx_bytes += m->pkt_len;
	txbuf_add(w, tp->cfg.port_id, m);
	return true;
}

/* Count one egress packet of consumer cslot lost for `why`. */
static void
consumer_drop(struct dp_worker *w, uint32_t cslot, enum cascade_drop why)
{
	dp_drop_count(w, why);
	w->cstats[cslot].drop_pkts++;
}

/*
 * An SRTP consumer's copy: one full-size mbuf with headers, the rewritten RTP
 * header and the payload, protected in place with the consumer's session.
 * Never takes m.
 */
static void
fanout_srtp(struct dp_worker *w, struct rte_mbuf *m, struct fan *f, const struct dp_rtp *rtp,
	    const struct dp_producer *p, struct dp_consumer *k, uint32_t cslot,
	    const struct dp_transport *tp, const struct dp_peer *peer, uint8_t pt)
{
	/* pairs with the main lcore's release store of srtp (transport_srtp) */
	struct cascade_srtp *s = atomic_load_explicit(&k->srtp, memory_order_acquire);
	uint16_t off = (uint16_t)(L2_LEN + (tp->cfg.local.family == CASCADE_AF_INET ? 28 : 48));
	size_t len = (size_t)f->rtp_hdr_len + f->tail_len, cap;
	struct rte_mbuf *h;
	uint8_t *hp, *out;
	uint16_t out_seq;
	uint32_t out_ts;
	int rc;

	if (unlikely(s == NULL)) {
		consumer_drop(w, cslot, CASCADE_DROP_SRTP_ERROR); /* no keys yet */
		return;
	}
	h = rte_pktmbuf_alloc(dp.pkt_pool);
	if (unlikely(h == NULL)) {
		consumer_drop(w, cslot, CASCADE_DROP_NO_MBUF);
		return;
	}
	cap = rte_pktmbuf_tailroom(h) > off ? rte_pktmbuf_tailroom(h) - off : 0;
	if (unlikely(len + CASCADE_SRTP_RTP_TRAILER_MAX > cap)) {
		rte_pktmbuf_free(h);
		consumer_drop(w, cslot, CASCADE_DROP_TOO_BIG);
		return;
	}
	hp = rte_pktmbuf_mtod(h, uint8_t *);
	out = hp + off;
	memcpy(out, f->rtp, f->rtp_hdr_len);
	if (dp_seq_map(&k->st, rtp->seq, rtp->ts, w->now_ns, p->cfg.clock_rate, &out_seq,
		       &out_ts) < 0) {
		rte_pktmbuf_free(h); /* from before a resync: its number was already used */
		return;
	}
	if (unlikely(dp_rtp_rewrite(out, f->rtp_hdr_len, pt, out_seq, out_ts, k->cfg.ssrc,
				    k->cfg.ext_map) < 0)) {
		rte_pktmbuf_free(h);
		consumer_drop(w, cslot, CASCADE_DROP_RTP_EXT);
		return;
	}
	memcpy(out + f->rtp_hdr_len, rte_pktmbuf_mtod_offset(m, void *, f->tail_off),
	       f->tail_len);
	rc = cascade_srtp_protect_rtp(s, out, &len, cap);
	if (unlikely(rc < 0)) {
		rte_pktmbuf_free(h);
		consumer_drop(w, cslot, dp_srtp_drop_reason(rc));
		return;
	}
	if (unlikely(off - L2_LEN + len > dp.ports[tp->cfg.port_id].mtu)) {
		/* the tag pushed a full-size packet past the MTU (no IP fragmentation here) */
		rte_pktmbuf_free(h);
		consumer_drop(w, cslot, CASCADE_DROP_TOO_BIG);
		return;
	}
	if (dp_write_l2l4(hp, tp, peer, &tp->cfg.local, &peer->remote, (uint16_t)len,
			  __rte_raw_cksum(out, len, 0), true) == 0) {
		rte_pktmbuf_free(h);
		consumer_drop(w, cslot, CASCADE_DROP_NO_ROUTE);
		return;
	}
	h->data_len = (uint16_t)(off + len);
	h->pkt_len = h->data_len;
	w->cstats[cslot].tx_pkts++;
	w->cstats[cslot].tx_bytes += h->pkt_len;
	w->tstats[k->transport].tx_pkts++;
	w->tstats[k->transport].tx_bytes += h->pkt_len;
	txbuf_add(w, tp->cfg.port_id, h);
}

/* One consumer's copy of m. Returns true when it took m itself (the last consumer). */
static bool
fanout_one(struct dp_worker *w, struct rte_mbuf *m, struct fan *f, const struct dp_rtp *rtp,
	   const struct dp_producer *p, struct dp_consumer *k, uint32_t cslot, bool last)
{
	const struct dp_transport *tp = &dp.transports[k->transport];
	const struct dp_peer *peer = consumer_peer(k, tp);
	struct rte_mbuf *h, *clone;
	uint8_t *hp, *rtp_out;
	uint16_t out_seq, hl, l3l4, pay_in_hdr;
	uint32_t out_ts, body_sum;
	bool linear;
	int pt;

	pt = dp_pt_map(&k->cfg, rtp->pt);
	if (pt < 0)
		return false; /* not a codec this consumer takes */
	if (peer == NULL) {
		dp_drop_count(w, CASCADE_DROP_NO_ROUTE);
		w->cstats[cslot].drop_pkts++;
		return false;
	}
	if (k->is_srtp) {
		fanout_srtp(w, m, f, rtp, p, k, cslot, tp, peer, (uint8_t)pt);
		return false;
	}
	if (last && fanout_in_place(w, m, f, rtp, p, k, cslot, tp, peer, (uint8_t)pt))
		return true;
	l3l4 = (uint16_t)(tp->cfg.local.family == CASCADE_AF_INET ? 28 : 48);
	/* a port that sends one segment only gets the whole packet in one full-size mbuf */
	linear = dp.tx_linear[tp->cfg.port_id];
	pay_in_hdr = linear || f->tail_len <= dp.opt.copy_below ? f->tail_len : 0;
	hl = (uint16_t)(L2_LEN + l3l4 + f->rtp_hdr_len + pay_in_hdr);
	h = rte_pktmbuf_alloc(linear ? dp.pkt_pool : dp.hdr_pool);
	if (unlikely(h == NULL)) {
		dp_drop_count(w, CASCADE_DROP_NO_MBUF);
		w->cstats[cslot].drop_pkts++;
		return false;
	}
	if (!linear && pay_in_hdr != 0 && hl > rte_pktmbuf_tailroom(h)) {
		/* headers + payload do not fit the header mbuf: clone the payload instead */
		hl = (uint16_t)(hl - pay_in_hdr);
		pay_in_hdr = 0;
	}
	if (unlikely(hl > rte_pktmbuf_tailroom(h))) {
		rte_pktmbuf_free(h);
		dp_drop_count(w, CASCADE_DROP_TOO_BIG);
		w->cstats[cslot].drop_pkts++;
		return false;
	}
	hp = rte_pktmbuf_mtod(h, uint8_t *);
	rtp_out = hp + L2_LEN + l3l4;
	memcpy(rtp_out, f->rtp, f->rtp_hdr_len);
	if (dp_seq_map(&k->st, rtp->seq, rtp->ts, w->now_ns, p->cfg.clock_rate, &out_seq,
		       &out_ts) < 0) {
		rte_pktmbuf_free(h); /* from before a resync: its number was already used */
		return false;
	}
	if (unlikely(dp_rtp_rewrite(rtp_out, f->rtp_hdr_len, (uint8_t)pt, out_seq, out_ts,
				    k->cfg.ssrc, k->cfg.ext_map) < 0)) {
		rte_pktmbuf_free(h);
		dp_drop_count(w, CASCADE_DROP_RTP_EXT);
		w->cstats[cslot].drop_pkts++;
		return false;
	}
	if (pay_in_hdr != 0)
		memcpy(rtp_out + f->rtp_hdr_len, rte_pktmbuf_mtod_offset(m, void *, f->tail_off),
		       pay_in_hdr);

	body_sum = 0;
	if (f->in_had_cksum || tp->cfg.local.family == CASCADE_AF_INET6) {
		fan_psum(f, m);
		body_sum = __rte_raw_cksum(rtp_out, f->rtp_hdr_len, f->psum);
	}
	if (dp_write_l2l4(hp, tp, peer, &tp->cfg.local, &peer->remote,
		       (uint16_t)(f->rtp_hdr_len + f->tail_len), body_sum,
		       f->in_had_cksum) == 0) {
		rte_pktmbuf_free(h);
		dp_drop_count(w, CASCADE_DROP_NO_ROUTE);
		w->cstats[cslot].drop_pkts++;
		return false;
	}
	h->data_len = hl;
	h->pkt_len = hl;
	if (pay_in_hdr == 0 && f->tail_len != 0) {
		clone = rte_pktmbuf_clone(m, dp.clone_pool);
		if (unlikely(clone == NULL)) {
			rte_pktmbuf_free(h);
			dp_drop_count(w, CASCADE_DROP_NO_MBUF);
			w->cstats[cslot].drop_pkts++;
			return false;
		}
		rte_pktmbuf_adj(clone, f->tail_off);
		rte_pktmbuf_trim(clone, (uint16_t)(clone->data_len - f->tail_len));
		h->next = clone;
		h->nb_segs = 2;
		h->pkt_len += clone->pkt_len;
	}
	w->cstats[cslot].tx_pkts++;
	w->cstats[cslot].tx_bytes += h->pkt_len;
	w->tstats[k->transport].tx_pkts++;
	w->tstats[k->transport].tx_bytes += h->pkt_len;
	txbuf_add(w, tp->cfg.port_id, h);
	return false;
}

void
dp_fanout_rtp(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4,
	      const struct dp_rtp *rtp, const struct dp_producer *p, uint32_t pslot)
{
	/* pairs with the main lcore's release store in dp_table_publish() */
	const struct dp_clist *cl = atomic_load_explicit(&p->clist, memory_order_acquire);
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(frame + l4->l4_off);
	struct fan f;
	uint32_t i;

	RTE_SET_USED(pslot);
	if (cl == NULL || cl->n == 0) {
		rte_pktmbuf_free(m); /* no consumers: received and counted, nothing to send */
		return;
	}
	f.rtp = frame + l4->payload_off;
	f.rtp_hdr_len = rtp->hdr_len;
	f.tail_off = (uint16_t)(l4->payload_off + rtp->hdr_len);
	f.tail_len = (uint16_t)(l4->payload_len - rtp->hdr_len);
	f.in_had_cksum = udp->dgram_cksum != 0;
	f.has_psum = false;
	f.psum = 0;
	if (f.in_had_cksum) {
		/* payload sum = ingress total - ingress headers (one's complement) */
		uint32_t hdrs = pseudo_udp_sum(l4->family, l4->src_ip, l4->dst_ip, l4->src_port_be,
					       l4->dst_port_be, (uint16_t)(l4->payload_len + 8));
		/* __rte_raw_cksum sums words as they lie in memory, and so does the
		 * checksum field: everything stays in that domain, no byte swaps */
		uint16_t total = (uint16_t)~udp->dgram_cksum;

		hdrs = __rte_raw_cksum(f.rtp, f.rtp_hdr_len, hdrs);
		f.psum = fold((uint32_t)total + (uint16_t)~fold(hdrs));
		f.has_psum = true;
	}
	for (i = 0; i < cl->n; i++) {
		uint32_t cs = cl->slot[i];
		struct dp_consumer *k = &dp.consumers[cs];
		uint32_t epoch;
		bool last = i + 1 == cl->n;

		/* pairs with the main lcore's release store of paused */
		if (atomic_load_explicit(&k->paused, memory_order_acquire))
			continue;
		epoch = atomic_load_explicit(&k->resume_epoch, memory_order_relaxed);
		if (unlikely(epoch != k->seen_epoch)) {
			k->seen_epoch = epoch;
			dp_seq_resync(&k->st);
		}
		if (fanout_one(w, m, &f, rtp, p, k, cs, last))
			return; /* the last consumer took m */
	}
	rte_pktmbuf_free(m);
}

/* RFC 3550 6.4.1: SR = 8-byte header + 20-byte sender info (+ report blocks). */
#define SR_LEN 28

void
dp_fanout_rtcp(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4,
	       const struct dp_producer *p, uint32_t pslot)
{
	const struct dp_clist *cl = atomic_load_explicit(&p->clist, memory_order_acquire);
	const uint8_t *sr = rte_pktmbuf_mtod_offset(m, const uint8_t *, l4->payload_off);
	uint32_t i;

	RTE_SET_USED(pslot);
	if (cl == NULL || l4->payload_len < SR_LEN) {
		rte_pktmbuf_free(m);
		return;
	}
	for (i = 0; i < cl->n; i++) {
		uint32_t cs = cl->slot[i];
		struct dp_consumer *k = &dp.consumers[cs];
		const struct dp_transport *tp = &dp.transports[k->transport];
		const struct dp_peer *peer;
		struct cascade_addr dst;
		const struct cascade_addr *src;
		struct cascade_srtp *srtp = NULL;
		struct rte_mbuf *h;
		uint8_t *hp, *out;
		uint16_t hl, off;
		size_t len = SR_LEN;
		uint32_t v, body;
		int rc;

		if (atomic_load_explicit(&k->paused, memory_order_acquire) || !k->st.started)
			continue; /* no RTP sent yet: an SR would announce nothing */
		peer = consumer_peer(k, tp);
		if (peer == NULL) {
			dp_drop_count(w, CASCADE_DROP_NO_ROUTE);
			w->cstats[cs].drop_pkts++;
			continue;
		}
		if (k->is_srtp) {
			/* pairs with the main lcore's release store of srtp */
			srtp = atomic_load_explicit(&k->srtp, memory_order_acquire);
			if (srtp == NULL) {
				consumer_drop(w, cs, CASCADE_DROP_SRTP_ERROR);
				continue;
			}
		}
		if (tp->cfg.flags & CASCADE_TRANSPORT_RTCP_MUX) {
			dst = peer->remote;
			src = &tp->cfg.local;
		} else {
			dst = peer->remote_rtcp.port_be != 0 ? peer->remote_rtcp : peer->remote;
			if (peer->remote_rtcp.port_be == 0) /* RFC 3550 11: RTCP on port + 1 */
				dst.port_be = rte_cpu_to_be_16(
					(uint16_t)(rte_be_to_cpu_16(peer->remote.port_be) + 1));
			src = &tp->cfg.local_rtcp;
		}
		h = rte_pktmbuf_alloc(dp.hdr_pool);
		if (h == NULL) {
			dp_drop_count(w, CASCADE_DROP_NO_MBUF);
			w->cstats[cs].drop_pkts++;
			continue;
		}
		hp = rte_pktmbuf_mtod(h, uint8_t *);
		off = (uint16_t)(L2_LEN + (tp->cfg.local.family == CASCADE_AF_INET ? 28 : 48));
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
			rc = cascade_srtp_protect_rtcp(srtp, out, &len,
						       rte_pktmbuf_tailroom(h) - off);
			if (unlikely(rc < 0)) {
				rte_pktmbuf_free(h);
				consumer_drop(w, cs, dp_srtp_drop_reason(rc));
				continue;
			}
		}
		body = __rte_raw_cksum(out, len, 0);
		hl = dp_write_l2l4(hp, tp, peer, src, &dst, (uint16_t)len, body, true);
		if (hl == 0) {
			rte_pktmbuf_free(h);
			dp_drop_count(w, CASCADE_DROP_NO_ROUTE);
			w->cstats[cs].drop_pkts++;
			continue;
		}
		h->data_len = (uint16_t)(hl + len);
		h->pkt_len = h->data_len;
		w->cstats[cs].rtcp_pkts++;
		w->tstats[k->transport].tx_pkts++;
		w->tstats[k->transport].tx_bytes += h->pkt_len;
		txbuf_add(w, tp->cfg.port_id, h);
	}
	rte_pktmbuf_free(m);
}
