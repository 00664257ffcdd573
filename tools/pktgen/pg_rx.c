/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receiver: Ethernet (up to two VLAN tags) -> IPv4 or IPv6 -> UDP -> RTP -> probe, then
 * per-SSRC accounting (pg_stats.c). The parser is total: headers are fetched with
 * rte_pktmbuf_read(), which checks the length and gathers across segments, and the
 * checksum and filler checks walk the segments, so chained mbufs (net_memif with small
 * buffers, net_pcap jumbo frames, --rx-mbuf-size) are checked as well as flat ones.
 *
 * Verification (unless --no-verify): every packet is checked for being exactly what a
 * correct Cascade hop delivers, and each fault sets a reason bit (enum pg_bad):
 *   bad_len       a truncated header; IPv4 version/IHL; IPv4 total length or IPv6 payload
 *                 length beyond the frame, or short of it in a frame longer than the
 *                 60-byte Ethernet minimum; UDP length beyond the IP payload or short of it
 *                 (the UDP checksum is then not checked)
 *   bad_ip_cksum  IPv4 header checksum (RFC 791 3.1)
 *   bad_udp_cksum UDP checksum over pseudo-header and datagram (RFC 768; RFC 8200 8.1:
 *                 zero is "none" over IPv4 but invalid over IPv6)
 *   bad_rtp       not RTP version 2 (or an RTCP payload type) while the probe sits where
 *                 pg_tx puts it; CSRCs, extension or padding not within the payload
 *   bad_probe     RTP with no room for the probe after its header, or a wrong magic
 *   bad_payload   the filler after the probe, up to the end of the payload less the RTP
 *                 padding, differs from pg_filler_byte()
 * A packet with any reason is malformed; it is charged to the SSRC in its RTP header when
 * there is one (pg_ssrc_update() decides what of it to trust) and to the global counters.
 *
 * Not ours, counted in rx->other and not malformed: anything that is not IP/UDP (ARP,
 * ICMP), IP fragments, and UDP payloads that are not RTP version 2 and have no probe at
 * offset 12 (STUN, DTLS, RTCP), and RTP whose payload is all padding. Their IPv4 and UDP
 * checksums and lengths are still checked: a broken one is malformed without an SSRC.
 *
 * With --no-verify nothing is checksummed or compared: an RTP packet with the probe magic
 * is accounted, anything else is "other", and nothing is malformed.
 *
 * Time: one TSC read per burst, taken right after rte_eth_rx_burst() returns packets, is
 * converted to CLOCK_MONOTONIC for latency and receive times and to RTP timestamp units for
 * jitter.
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
#define BAD(r) ((uint8_t)(1u << (r)))
#define FILLER_PERIOD 256 /* pg_filler_byte(i) depends on i mod 256 only */
#define FILLER_CHUNK 2048

/* clang-format off */
const char *const pg_bad_names[PG_BAD_COUNT] = {
	[PG_BAD_IP_CKSUM] = "bad_ip_cksum",
	[PG_BAD_UDP_CKSUM] = "bad_udp_cksum",
	[PG_BAD_LEN] = "bad_len",
	[PG_BAD_RTP] = "bad_rtp",
	[PG_BAD_PROBE] = "bad_probe",
	[PG_BAD_PAYLOAD] = "bad_payload",
};
/* clang-format on */

/* filler_ref[k] = pg_filler_byte(k): compared against up to FILLER_CHUNK bytes at a time */
static uint8_t filler_ref[FILLER_PERIOD + FILLER_CHUNK];

int
pg_rx_init(struct pg_rx *rx, const struct pg_options *o)
{
	int rc = pg_table_init(&rx->table, o->max_ssrcs);
	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < RTE_DIM(filler_ref); i++)
		filler_ref[i] = pg_filler_byte(i);
	rx->port = o->rx_port;
	rx->burst = o->burst;
	rx->clock_rate = o->clock_rate;
	rx->verify = !o->no_verify;
	return 0;
}

void
pg_rx_fini(struct pg_rx *rx)
{
	pg_table_fini(&rx->table);
}

/* Skip to the segment that holds byte off of m; *off becomes the offset within it. */
static const struct rte_mbuf *
seek(const struct rte_mbuf *m, uint32_t *off)
{
	while (m != NULL && *off >= m->data_len) {
		*off -= m->data_len;
		m = m->next;
	}
	return m;
}

/*
 * One's complement sum of len bytes of m from off, across segments, folded to 16 bits; the
 * caller has checked that off + len <= pkt_len. Unlike rte_raw_cksum_mbuf() of DPDK 22.11,
 * each segment's sum is folded before it is byte-swapped for starting at an odd offset.
 */
static uint16_t
mbuf_sum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint32_t sum = 0, done = 0;

	for (m = seek(m, &off); m != NULL && done < len; m = m->next, off = 0) {
		uint32_t n = RTE_MIN(len - done, (uint32_t)m->data_len - off);
		uint16_t s = rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const uint8_t *, off), n);
		sum += (done & 1) ? rte_bswap16(s) : s;
		done += n;
	}
	return __rte_raw_cksum_reduce(sum);
}

/* Whether the len bytes of m from off are the filler pg_tx writes after the probe. */
static bool
filler_ok(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint32_t i = 0;

	for (m = seek(m, &off); m != NULL && i < len; m = m->next, off = 0) {
		const uint8_t *d = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
		uint32_t n = RTE_MIN(len - i, (uint32_t)m->data_len - off);
		while (n > 0) {
			uint32_t c = RTE_MIN(n, (uint32_t)FILLER_CHUNK);
			if (memcmp(d, filler_ref + i % FILLER_PERIOD, c) != 0)
				return false;
			d += c;
			i += c;
			n -= c;
		}
	}
	return i == len;
}

/*
 * Find the UDP payload of m: sets *off to its first byte and *end one past its last (the
 * IP payload's end when the UDP length is wrong). Sets bits of *bad for what is wrong;
 * checksums only when verify. Returns false for anything that is not an unfragmented UDP
 * datagram, or is too broken to find one in.
 */
static bool
parse_udp(const struct rte_mbuf *m, bool verify, uint32_t *off, uint32_t *end, uint8_t *bad)
{
	uint8_t buf[8], ipbuf[60]; /* the largest IPv4 header */
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t o = RTE_ETHER_HDR_LEN;
	uint32_t ip_end, phdr_sum; /* pseudo-header sum of the addresses */
	bool v6;
	uint8_t proto;

	const struct rte_ether_hdr *eth = rte_pktmbuf_read(m, 0, sizeof(*eth), buf);
	if (eth == NULL) {
		*bad |= BAD(PG_BAD_LEN);
		return false;
	}
	uint16_t type = eth->ether_type;
	for (int i = 0; i < 2; i++) {
		if (type != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) &&
		    type != rte_cpu_to_be_16(RTE_ETHER_TYPE_QINQ))
			break;
		const struct rte_vlan_hdr *vh = rte_pktmbuf_read(m, o, sizeof(*vh), buf);
		if (vh == NULL) {
			*bad |= BAD(PG_BAD_LEN);
			return false;
		}
		type = vh->eth_proto;
		o += sizeof(*vh);
	}

	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		/* RFC 791 3.1: version 4, IHL >= 5 words, total length covers the header */
		const struct rte_ipv4_hdr *ip4 = rte_pktmbuf_read(m, o, sizeof(*ip4), ipbuf);
		if (ip4 == NULL || (ip4->version_ihl >> 4) != 4 ||
		    (ip4->version_ihl & 0xf) * 4u < sizeof(*ip4)) {
			*bad |= BAD(PG_BAD_LEN);
			return false;
		}
		uint32_t ihl = (ip4->version_ihl & 0xf) * 4u;
		if (ihl > sizeof(*ip4) && (ip4 = rte_pktmbuf_read(m, o, ihl, ipbuf)) == NULL) {
			*bad |= BAD(PG_BAD_LEN);
			return false;
		}
		if (verify && rte_raw_cksum(ip4, ihl) != 0xffff)
			*bad |= BAD(PG_BAD_IP_CKSUM);
		uint32_t total = rte_be_to_cpu_16(ip4->total_length);
		ip_end = o + total;
		if (total < ihl || ip_end > len) {
			*bad |= BAD(PG_BAD_LEN);
			ip_end = len;
		} else if (ip_end < len && len > PG_MIN_FRAME) {
			*bad |= BAD(PG_BAD_LEN); /* bytes after the datagram that are not padding */
		}
		if (rte_be_to_cpu_16(ip4->fragment_offset) &
		    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
			return false;
		proto = ip4->next_proto_id;
		phdr_sum = __rte_raw_cksum(&ip4->src_addr, 8, 0);
		v6 = false;
		o += ihl;
	} else if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		/* RFC 8200 3: fixed 40-byte header, payload length excludes it */
		const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_read(m, o, sizeof(*ip6), ipbuf);
		if (ip6 == NULL || (rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6) {
			*bad |= BAD(PG_BAD_LEN);
			return false;
		}
		uint32_t plen = rte_be_to_cpu_16(ip6->payload_len);
		ip_end = o + sizeof(*ip6) + plen;
		if (plen == 0 || ip_end > len) { /* 0: a jumbogram, which we never send */
			*bad |= BAD(PG_BAD_LEN);
			ip_end = len;
		} else if (ip_end < len && len > PG_MIN_FRAME) {
			*bad |= BAD(PG_BAD_LEN);
		}
		proto = ip6->proto;
		phdr_sum = __rte_raw_cksum(ip6->src_addr, 32, 0);
		v6 = true;
		o += sizeof(*ip6);
		/* RFC 8200 4.3-4.6: hop-by-hop, routing, destination options; no fragments */
		for (int i = 0; i < IPV6_EXT_MAX && (proto == 0 || proto == 43 || proto == 60);
		     i++) {
			const uint8_t *ext = rte_pktmbuf_read(m, o, 2, buf);
			if (ext == NULL) {
				*bad |= BAD(PG_BAD_LEN);
				return false;
			}
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
	if (udp == NULL || o + sizeof(*udp) > ip_end) {
		*bad |= BAD(PG_BAD_LEN);
		return false;
	}
	uint32_t ulen = rte_be_to_cpu_16(udp->dgram_len);
	uint16_t cksum = udp->dgram_cksum;
	*off = o + sizeof(*udp);
	if (ulen < sizeof(*udp) || o + ulen > ip_end) {
		*bad |= BAD(PG_BAD_LEN);
		*end = ip_end;
		return true; /* what the checksum would cover is unknown */
	}
	*end = o + ulen;
	if (o + ulen != ip_end)
		*bad |= BAD(PG_BAD_LEN);
	if (!verify)
		return true;
	if (cksum == 0) {
		if (v6)
			*bad |= BAD(PG_BAD_UDP_CKSUM);
	} else {
		/* the pseudo-header's protocol and length words, then the datagram */
		uint32_t sum = phdr_sum + rte_cpu_to_be_16(IPPROTO_UDP) +
			       rte_cpu_to_be_16((uint16_t)ulen) + mbuf_sum(m, o, ulen);
		if (__rte_raw_cksum_reduce(sum) != 0xffff)
			*bad |= BAD(PG_BAD_UDP_CKSUM);
	}
	return true;
}

/*
 * Parse the RTP header (RFC 3550 5.1, 5.3.1) of the UDP payload [off, end), the probe after
 * it and the filler after that. Returns false when the payload is not ours (see the file
 * comment); otherwise fills *ssrc and p and adds to p->bad.
 */
static bool
parse_rtp(const struct pg_rx *rx, const struct rte_mbuf *m, uint32_t off, uint32_t end,
	  uint32_t *ssrc, struct pg_sample *p)
{
	uint8_t hbuf[PG_RTP_HDR_LEN], buf[sizeof(struct cascade_probe)];
	uint32_t plen = end - off;

	if (plen < PG_RTP_HDR_LEN)
		return false;
	const uint8_t *rtp = rte_pktmbuf_read(m, off, PG_RTP_HDR_LEN, hbuf);
	if (rtp == NULL)
		return false;
	uint8_t b0 = rtp[0], b1 = rtp[1];
	uint16_t seq_be;
	uint32_t ts_be, ssrc_be;
	memcpy(&seq_be, rtp + 2, 2);
	memcpy(&ts_be, rtp + 4, 4);
	memcpy(&ssrc_be, rtp + 8, 4);

	/* RFC 5761 4: second byte 192..223 is RTCP on a multiplexed port */
	bool is_rtp = (b0 >> 6) == 2 && !(b1 >= 192 && b1 <= 223);
	uint32_t h = PG_RTP_HDR_LEN, pad = 0; /* header and padding bytes */
	bool rtp_bad = false;
	if (is_rtp) {
		h += 4 * (b0 & 0x0fu);
		if ((b0 & 0x10) != 0) {
			/* RFC 3550 5.3.1: 16-bit profile, 16-bit length in 32-bit words */
			const uint8_t *x =
				h + 4 <= plen ? rte_pktmbuf_read(m, off + h, 4, buf) : NULL;
			h = x != NULL ? h + 4 + 4 * (((uint32_t)x[2] << 8) | x[3]) : UINT32_MAX;
		}
		if (h > plen) {
			rtp_bad = true;
		} else if ((b0 & 0x20) != 0) {
			/* RFC 3550 5.1: the last byte counts the padding, itself included */
			const uint8_t *last = rte_pktmbuf_read(m, end - 1, 1, buf);
			pad = *last;
			if (pad == 0 || h + pad > plen) {
				rtp_bad = true;
				pad = 0;
			} else if (h + pad == plen) {
				return false; /* all padding: a keep-alive or bandwidth probe */
			}
		}
		if (rtp_bad) /* look for the probe where pg_tx puts it */
			h = PG_RTP_HDR_LEN;
	}

	uint32_t data_end = end - pad;
	struct cascade_probe pr;
	bool magic = false;
	if (off + h + sizeof(pr) <= data_end) {
		/* copied out: the probe sits at an odd offset of the frame */
		const void *raw = rte_pktmbuf_read(m, off + h, sizeof(pr), buf);
		if (raw == NULL)
			return false;
		memcpy(&pr, raw, sizeof(pr));
		magic = pr.magic_be == rte_cpu_to_be_32(CASCADE_PROBE_MAGIC);
	}
	if (!magic && (!is_rtp || !rx->verify))
		return false;

	*ssrc = rte_be_to_cpu_32(ssrc_be);
	p->pt = b1 & 0x7f;
	p->rtp_seq = rte_be_to_cpu_16(seq_be);
	p->rtp_ts = rte_be_to_cpu_32(ts_be);
	p->bytes = plen;
	if (!is_rtp || rtp_bad)
		p->bad |= BAD(PG_BAD_RTP);
	if (!magic) {
		p->bad |= BAD(PG_BAD_PROBE);
		return true;
	}
	p->stream = rte_be_to_cpu_32(pr.stream_be);
	p->probe_seq = rte_be_to_cpu_64(pr.seq_be);
	p->latency_ns = (int64_t)rte_be_to_cpu_64(pr.tx_ns_be); /* sender's time, for now */
	p->probe_ok = (p->bad & BAD(PG_BAD_UDP_CKSUM)) == 0;
	uint32_t f = off + h + sizeof(pr);
	if (rx->verify && data_end > f && !filler_ok(m, f, data_end - f))
		p->bad |= BAD(PG_BAD_PAYLOAD);
	return true;
}

/* Count a malformed packet's reasons in the global totals. */
static void
count_malformed(struct pg_rx *rx, uint8_t bad)
{
	rx->malformed++;
	for (uint32_t b = 0; b < PG_BAD_COUNT; b++)
		rx->bad[b] += (bad >> b) & 1;
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
		struct pg_sample p = {.rx_ns = now_ns, .arrival_ts = arrival_ts};
		uint32_t off = 0, end = 0, ssrc = 0;

		rx->bytes += rte_pktmbuf_pkt_len(m);
		rx->chained += m->nb_segs > 1;
		if (!parse_udp(m, rx->verify, &off, &end, &p.bad) ||
		    !parse_rtp(rx, m, off, end, &ssrc, &p)) {
			if (rx->verify && p.bad != 0) {
				count_malformed(rx, p.bad);
				rx->malformed_no_ssrc++;
			} else {
				rx->other++;
			}
			continue;
		}
		if (!rx->verify) {
			p.bad = 0;
			p.probe_ok = true;
		}
		rx->probes++;
		if (unlikely(p.bad != 0))
			count_malformed(rx, p.bad);
		struct pg_ssrc *s = pg_table_get(&rx->table, ssrc);
		if (s == NULL) {
			if (rx->table.overflow == 1)
				rx->overflow_ssrc = ssrc;
			rx->malformed_no_ssrc += p.bad != 0;
			continue;
		}
		p.latency_ns = (int64_t)now_ns - p.latency_ns;
		pg_ssrc_update(s, &p);
	}
	rte_pktmbuf_free_bulk(pkts, n);
	if (rx->first_rx_tsc == 0)
		rx->first_rx_tsc = now_tsc;
	__atomic_store_n(&rx->packets, rx->packets + n, __ATOMIC_RELAXED);
	__atomic_store_n(&rx->last_rx_tsc, now_tsc, __ATOMIC_RELAXED);
	return n;
}
