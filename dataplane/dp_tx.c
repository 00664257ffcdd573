/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Egress: the headers every sent packet gets (Ethernet with the port's VLAN
 * tag, IPv4 or IPv6, UDP), the checks every egress path shares (a next-hop
 * MAC, the port's MTU: a packet that grew past it, IPv4 to IPv6 or by an SRTP
 * tag, is refused here, whichever path built it), the UDP checksum arithmetic,
 * and the per-worker TX buffers.
 *
 * The UDP checksum is derived, not recomputed, where the payload is not read:
 * RFC 1071 sums compose, so a payload's sum is taken once and each consumer
 * adds its own headers' sum (dp_fanout.c).
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dp.h"

uint32_t
dp_pseudo_udp_sum(uint8_t family, const uint8_t *src_ip, const uint8_t *dst_ip, uint16_t sport_be,
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

void
dp_tx_add(struct dp_worker *w, uint16_t port, struct rte_mbuf *pkt)
{
	struct dp_txbuf *b = &w->tx[port];

	b->pkts[b->n++] = pkt;
	if (b->n >= DP_BURST)
		txbuf_send(w, port);
}

void
dp_tx_flush(struct dp_worker *w)
{
	uint16_t port;

	for (port = 0; port < dp.n_ports; port++)
		if (w->tx[port].n != 0)
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
	sum = dp_pseudo_udp_sum(l4->family, l4->src_ip, l4->dst_ip, l4->src_port_be,
				l4->dst_port_be, (uint16_t)(l4->payload_len + sizeof(*udp)));
	sum = __rte_raw_cksum(rte_pktmbuf_mtod_offset(m, void *, l4->payload_off), l4->payload_len,
			      sum);
	ck = (uint16_t)~dp_cksum_fold(sum);
	udp->dgram_cksum = ck == 0 ? 0xffff : ck;
}

int
dp_write_l2l4(uint8_t *h, uint16_t port, const struct dp_peer *peer,
	      const struct cascade_addr *local, const struct cascade_addr *remote,
	      uint16_t udp_payload_len, uint32_t body_sum, bool want_cksum)
{
	const struct dp_port *pt = &dp.ports[port];
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)h;
	uint16_t udp_len = (uint16_t)(udp_payload_len + sizeof(struct rte_udp_hdr));
	uint16_t l2 = pt->l2_len, l3_len, ethertype_be;
	struct rte_udp_hdr *udp;

	l3_len = local->family == CASCADE_AF_INET ? sizeof(struct rte_ipv4_hdr)
						  : sizeof(struct rte_ipv6_hdr);
	/* every egress path passes here: nothing leaves bigger than the port's MTU */
	if ((uint32_t)l3_len + udp_len > pt->mtu)
		return -EMSGSIZE;
	if (peer->has_mac)
		eth->dst_addr = peer->mac;
	else if (dp.opt.has_peer_mac)
		eth->dst_addr = dp.opt.peer_mac;
	else
		return -EHOSTUNREACH;
	eth->src_addr = pt->mac;
	ethertype_be = rte_cpu_to_be_16(local->family == CASCADE_AF_INET ? RTE_ETHER_TYPE_IPV4
									 : RTE_ETHER_TYPE_IPV6);
	if (pt->vlan != DP_VLAN_NONE) {
		/* IEEE 802.1Q: TPID, then TCI (PCP 0, DEI 0, the port's VLAN id) */
		struct rte_vlan_hdr *v = (struct rte_vlan_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		v->vlan_tci = rte_cpu_to_be_16(pt->vlan);
		v->eth_proto = ethertype_be;
	} else {
		eth->ether_type = ethertype_be;
	}
	if (local->family == CASCADE_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + l2);
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
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(h + l2);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(udp_len);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, local->ip, 16);
		memcpy(ip->dst_addr, remote->ip, 16);
		want_cksum = true; /* mandatory over IPv6 (RFC 8200 8.1) */
	}
	udp = (struct rte_udp_hdr *)(h + l2 + l3_len);
	udp->src_port = local->port_be;
	udp->dst_port = remote->port_be;
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	udp->dgram_cksum = 0;
	if (want_cksum) {
		uint32_t sum = dp_pseudo_udp_sum(local->family, local->ip, remote->ip,
						 local->port_be, remote->port_be, udp_len) +
			       body_sum;
		uint16_t ck = (uint16_t)~dp_cksum_fold(sum);
		udp->dgram_cksum = ck == 0 ? 0xffff : ck;
	}
	return l2 + l3_len + (int)sizeof(*udp);
}
