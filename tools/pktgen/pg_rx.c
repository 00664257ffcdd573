/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receiver: Ethernet (up to two VLAN tags) -> IPv4 or IPv6 -> UDP -> RTP -> probe, then
 * per-SSRC accounting (pg_stats.c). The parser is total: every header is fetched with
 * rte_pktmbuf_read(), which checks the length and gathers across segments, so chained mbufs
 * from PMDs like net_memif parse as well as flat ones, and anything malformed or foreign
 * (ARP, RTCP, STUN, a payload without the probe) is only counted in rx->other.
 *
 * Time: one TSC read per burst, taken right after rte_eth_rx_burst() returns packets, is
 * converted to CLOCK_MONOTONIC for latency and to RTP timestamp units for jitter.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <cascade/probe.h>

#include "pg.h"

#define IPV6_EXT_MAX 4

int
pg_rx_init(struct pg_rx *rx, const struct pg_options *o)
{
	int rc = pg_table_init(&rx->table, o->max_ssrcs);
	if (rc != 0)
		return rc;
	rx->port = o->rx_port;
	rx->burst = o->burst;
	rx->clock_rate = o->clock_rate;
	return 0;
}

void
pg_rx_fini(struct pg_rx *rx)
{
	pg_table_fini(&rx->table);
}

/*
 * Find the UDP payload of m: sets *off to its first byte and *end one past its last.
 * Returns false for anything that is not a well-formed, unfragmented UDP datagram.
 */
static bool
parse_udp(const struct rte_mbuf *m, uint32_t *off, uint32_t *end)
{
	uint8_t buf[sizeof(struct rte_ipv6_hdr)];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t o = RTE_ETHER_HDR_LEN;
	uint32_t ip_end;
	uint8_t proto;

	const struct rte_ether_hdr *eth = rte_pktmbuf_read(m, 0, sizeof(*eth), buf);
	if (eth == NULL)
		return false;
	uint16_t type = eth->ether_type;
	for (int i = 0; i < 2; i++) {
		if (type != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) &&
		    type != rte_cpu_to_be_16(RTE_ETHER_TYPE_QINQ))
			break;
		const struct rte_vlan_hdr *vh = rte_pktmbuf_read(m, o, sizeof(*vh), buf);
		if (vh == NULL)
			return false;
		type = vh->eth_proto;
		o += sizeof(*vh);
	}

	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		/* RFC 791 3.1: version 4, IHL >= 5 words, total length covers the header */
		const struct rte_ipv4_hdr *ip4 = rte_pktmbuf_read(m, o, sizeof(*ip4), buf);
		if (ip4 == NULL || (ip4->version_ihl >> 4) != 4)
			return false;
		uint32_t ihl = (ip4->version_ihl & 0xf) * 4u;
		uint32_t total = rte_be_to_cpu_16(ip4->total_length);
		if (ihl < sizeof(*ip4) || total < ihl || o + total > len)
			return false;
		if (rte_be_to_cpu_16(ip4->fragment_offset) &
		    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
			return false;
		proto = ip4->next_proto_id;
		ip_end = o + total;
		o += ihl;
	} else if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		/* RFC 8200 3: fixed 40-byte header, payload length excludes it */
		const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_read(m, o, sizeof(*ip6), buf);
		if (ip6 == NULL || (rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6)
			return false;
		ip_end = o + sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len);
		if (ip_end > len)
			return false;
		proto = ip6->proto;
		o += sizeof(*ip6);
		/* RFC 8200 4.3-4.6: hop-by-hop, routing, destination options; no fragments */
		for (int i = 0; i < IPV6_EXT_MAX && (proto == 0 || proto == 43 || proto == 60);
		     i++) {
			const uint8_t *ext = rte_pktmbuf_read(m, o, 2, buf);
			if (ext == NULL)
				return false;
			proto = ext[0];
			o += (ext[1] + 1u) * 8;
		}
	} else {
		return false;
	}
	if (proto != IPPROTO_UDP)
		return false;

	/* RFC 768: length covers header and data */
	const struct rte_udp_hdr *udp = rte_pktmbuf_read(m, o, sizeof(*udp), buf);
	if (udp == NULL)
		return false;
	uint32_t ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (ulen < sizeof(*udp) || o + ulen > ip_end)
		return false;
	*off = o + sizeof(*udp);
	*end = o + ulen;
	return true;
}

/*
 * Parse the RTP header at off (RFC 3550 5.1, 5.3.1) and the probe at the start of its
 * payload. Returns false when it is not RTP version 2 with a probe.
 */
static bool
parse_rtp(const struct rte_mbuf *m, uint32_t off, uint32_t end, uint32_t *ssrc, struct pg_sample *p)
{
	uint8_t buf[sizeof(struct cascade_probe)];

	if (end - off < PG_RTP_HDR_LEN)
		return false;
	const uint8_t *rtp = rte_pktmbuf_read(m, off, PG_RTP_HDR_LEN, buf);
	if (rtp == NULL || (rtp[0] >> 6) != 2)
		return false;
	/* RFC 5761 4: second byte 192..223 is RTCP on a multiplexed port */
	if (rtp[1] >= 192 && rtp[1] <= 223)
		return false;
	uint32_t cc = rtp[0] & 0x0f;
	bool ext = rtp[0] & 0x10;
	uint16_t seq_be;
	uint32_t ts_be, ssrc_be;
	memcpy(&seq_be, rtp + 2, 2);
	memcpy(&ts_be, rtp + 4, 4);
	memcpy(&ssrc_be, rtp + 8, 4);
	p->pt = rtp[1] & 0x7f;
	p->rtp_seq = rte_be_to_cpu_16(seq_be);
	p->rtp_ts = rte_be_to_cpu_32(ts_be);
	*ssrc = rte_be_to_cpu_32(ssrc_be);

	uint32_t o = off + PG_RTP_HDR_LEN + 4 * cc;
	if (ext) {
		/* RFC 3550 5.3.1: 16-bit profile, 16-bit length in 32-bit words */
		const uint8_t *x = rte_pktmbuf_read(m, o, 4, buf);
		if (x == NULL || o + 4 > end)
			return false;
		o += 4 + 4u * (((uint32_t)x[2] << 8) | x[3]);
	}
	if (o + sizeof(struct cascade_probe) > end)
		return false;
	/* copied out: the probe sits at an odd offset of the frame */
	struct cascade_probe pr;
	const void *raw = rte_pktmbuf_read(m, o, sizeof(pr), buf);
	if (raw == NULL)
		return false;
	memcpy(&pr, raw, sizeof(pr));
	if (pr.magic_be != rte_cpu_to_be_32(CASCADE_PROBE_MAGIC))
		return false;
	p->stream = rte_be_to_cpu_32(pr.stream_be);
	p->probe_seq = rte_be_to_cpu_64(pr.seq_be);
	p->latency_ns = (int64_t)rte_be_to_cpu_64(pr.tx_ns_be); /* sender's time, for now */
	p->bytes = end - off;
	return true;
}

unsigned int
pg_rx_poll(struct pg_rx *rx)
{
	struct rte_mbuf *pkts[PG_BURST_MAX];
	uint16_t n = rte_eth_rx_burst(rx->port, 0, pkts, rx->burst);

	if (n == 0)
		return 0;
	uint64_t now_tsc = rte_rdtsc();
	uint64_t now_ns = pg_clock_ns(&rx->clock, now_tsc);
	double rel_ns = (double)(int64_t)(now_ns - rx->start_ns);
	uint32_t arrival_ts = (uint32_t)(uint64_t)(int64_t)(rel_ns * rx->clock_rate * 1e-9);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pg_sample p;
		uint32_t off, end, ssrc;

		rx->bytes += rte_pktmbuf_pkt_len(m);
		if (!parse_udp(m, &off, &end) || !parse_rtp(m, off, end, &ssrc, &p)) {
			rx->other++;
			continue;
		}
		rx->probes++;
		struct pg_ssrc *s = pg_table_get(&rx->table, ssrc);
		if (s == NULL)
			continue;
		p.latency_ns = (int64_t)now_ns - p.latency_ns;
		p.arrival_ts = arrival_ts;
		pg_ssrc_update(s, &p);
	}
	rte_pktmbuf_free_bulk(pkts, n);
	if (rx->first_rx_tsc == 0)
		rx->first_rx_tsc = now_tsc;
	__atomic_store_n(&rx->packets, rx->packets + n, __ATOMIC_RELAXED);
	__atomic_store_n(&rx->last_rx_tsc, now_tsc, __ATOMIC_RELAXED);
	return n;
}
