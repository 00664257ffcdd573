/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transmitter: paced RTP streams built from per-stream header templates.
 *
 * Schedule: the streams are interleaved into one sequence of packets; global packet k
 * belongs to stream k % streams, is that stream's packet j = k / streams, and is due at
 * t0 + k / (streams * rate), measured on the TSC. Each poll sends what is due, at most one
 * burst, so a sender that falls behind catches up in bursts and never drifts. With --rate 0
 * every poll sends a full burst.
 *
 * Packets: every mbuf of the TX pool is pre-filled with the constant payload filler when
 * the pool is created (pg_tx_prefill()), so per packet only the template (Ethernet to the
 * end of the probe, at most 128 bytes) is copied and the per-packet fields written: RTP
 * marker, sequence and timestamp, probe sequence and send time, and the UDP checksum, which
 * is the stream's pseudo-header sum plus the pool's filler sum plus the 44 bytes from the
 * UDP header to the end of the probe. The RTP timestamp follows the packet's scheduled
 * media time: audio advances clock_rate / rate per packet (960 at 48 kHz and 50 pps),
 * video advances clock_rate / 30 once per 30 fps frame, with the marker on the last packet
 * of each frame (RFC 3550 5.1, RFC 6184 5.1).
 *
 * Drops: packets the PMD refuses are freed, counted in tx->drops, and their RTP and probe
 * sequences are given back to their streams, so a receiver's loss figure measures the path,
 * not the sender's own back-pressure. The schedule still moves on.
 *
 * End: the schedule holds rate x duration packets per stream. A sender that is behind when
 * the duration is over (descheduled on a busy host, or the rate is more than the lcore or
 * the PMD can do) may catch up for another second or tenth of the duration, whichever is
 * longer, and then stops; what it did not send is tx->unsent. --rate 0 stops at the
 * duration, so it measures the achieved maximum. SIGUSR1 (tx->stop) ends the schedule where
 * it is, as if it held no more packets: a caller ends the sending on an event of its own.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_udp.h>

#include <cascade/probe.h>

#include "pg.h"

#define UDP_HDR_LEN 8
#define SUM_LEN (UDP_HDR_LEN + PG_RTP_HDR_LEN + sizeof(struct cascade_probe))
#define END_SLACK_S 1.0        /* a late sender catches up for this long at least */
#define END_SLACK_FRACTION 0.1 /* or for this fraction of the duration */

/* Bytes before the IP header. */
static uint16_t
l2_len(const struct pg_options *o)
{
	return RTE_ETHER_HDR_LEN + (o->vlan >= 0 ? 4 : 0);
}

/* Bytes of the IP header. */
static uint16_t
l3_len(const struct pg_options *o)
{
	return o->src.family == AF_INET6 ? sizeof(struct rte_ipv6_hdr)
					 : sizeof(struct rte_ipv4_hdr);
}

uint16_t
pg_tx_frame_len(const struct pg_options *o)
{
	return l2_len(o) + l3_len(o) + UDP_HDR_LEN + o->size;
}

/* Fill stream s's template: every header field that does not change per packet. */
static void
build_template(struct pg_tx *tx, const struct pg_options *o, struct rte_ether_addr *src_mac,
	       uint32_t s)
{
	struct pg_stream *st = &tx->streams[s];
	uint8_t *h = st->hdr;
	uint16_t udp_len = UDP_HDR_LEN + o->size;
	uint16_t dport = o->dst.port + (o->dst_per_stream ? s : 0);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)h;

	memset(h, 0, sizeof(st->hdr));
	rte_ether_addr_copy(&o->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(src_mac, &eth->src_addr);
	uint16_t ethertype = tx->ipv6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4;
	if (o->vlan >= 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16((uint16_t)o->vlan);
		vh->eth_proto = rte_cpu_to_be_16(ethertype);
	} else {
		eth->ether_type = rte_cpu_to_be_16(ethertype);
	}

	/* UDP pseudo-header: RFC 768 (IPv4), RFC 8200 8.1 (IPv6) */
	uint8_t ph[40];
	size_t ph_len;
	if (tx->ipv6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(h + tx->off_l3);
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16(udp_len);
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, o->src.ip, 16);
		memcpy(ip6->dst_addr, o->dst.ip, 16);
		memset(ph, 0, sizeof(ph));
		memcpy(ph, o->src.ip, 16);
		memcpy(ph + 16, o->dst.ip, 16);
		ph[34] = (uint8_t)(udp_len >> 8);
		ph[35] = (uint8_t)udp_len;
		ph[39] = IPPROTO_UDP;
		ph_len = 40;
	} else {
		struct rte_ipv4_hdr *ip4 = (struct rte_ipv4_hdr *)(h + tx->off_l3);
		ip4->version_ihl = RTE_IPV4_VHL_DEF;
		ip4->total_length = rte_cpu_to_be_16(sizeof(*ip4) + udp_len);
		ip4->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip4->time_to_live = 64;
		ip4->next_proto_id = IPPROTO_UDP;
		memcpy(&ip4->src_addr, o->src.ip, 4);
		memcpy(&ip4->dst_addr, o->dst.ip, 4);
		ip4->hdr_checksum = rte_ipv4_cksum(ip4);
		memset(ph, 0, 12);
		memcpy(ph, o->src.ip, 4);
		memcpy(ph + 4, o->dst.ip, 4);
		ph[9] = IPPROTO_UDP;
		ph[10] = (uint8_t)(udp_len >> 8);
		ph[11] = (uint8_t)udp_len;
		ph_len = 12;
	}
	st->phdr_sum = __rte_raw_cksum_reduce(__rte_raw_cksum(ph, ph_len, 0));

	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(h + tx->off_udp);
	udp->src_port = rte_cpu_to_be_16(o->src.port);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(udp_len);

	uint8_t *rtp = (uint8_t *)(udp + 1);
	uint32_t ssrc_be = rte_cpu_to_be_32(o->ssrc_base + s);
	rtp[0] = 0x80; /* V=2, no padding, extension or CSRCs */
	rtp[1] = o->pt;
	memcpy(rtp + 8, &ssrc_be, 4);

	/* built on the stack and copied: the probe is not 8-byte aligned in the frame */
	struct cascade_probe pr = {
		.magic_be = rte_cpu_to_be_32(CASCADE_PROBE_MAGIC),
		.stream_be = rte_cpu_to_be_32(s),
	};
	memcpy(h + tx->off_probe, &pr, sizeof(pr));

	st->ts_base = (uint32_t)rte_rand();
	st->rtp_seq = (uint16_t)rte_rand();
	st->probe_seq = 0;
}

int
pg_tx_init(struct pg_tx *tx, const struct pg_options *o, const struct rte_ether_addr *port_mac)
{
	struct rte_ether_addr src_mac = o->has_src_mac ? o->src_mac : *port_mac;

	tx->streams =
		rte_zmalloc("pg_streams", sizeof(*tx->streams) * o->streams, RTE_CACHE_LINE_SIZE);
	if (tx->streams == NULL)
		return -ENOMEM;
	tx->nstreams = o->streams;
	tx->port = o->tx_port;
	tx->burst = o->burst;
	tx->ipv6 = o->src.family == AF_INET6;
	tx->video = o->video;
	tx->off_l3 = l2_len(o);
	tx->off_udp = tx->off_l3 + l3_len(o);
	tx->off_probe = tx->off_udp + UDP_HDR_LEN + PG_RTP_HDR_LEN;
	tx->tmpl_len = tx->off_probe + sizeof(struct cascade_probe);
	tx->frame_len = pg_tx_frame_len(o);
	RTE_BUILD_BUG_ON(RTE_ETHER_HDR_LEN + 4 + sizeof(struct rte_ipv6_hdr) + SUM_LEN >
			 PG_TMPL_MAX);

	uint32_t sum = 0;
	for (uint32_t i = 0; i < (uint32_t)(tx->frame_len - tx->tmpl_len); i += 2) {
		uint8_t w[2] = {pg_filler_byte(i), 0};
		if (i + 1 < (uint32_t)(tx->frame_len - tx->tmpl_len))
			w[1] = pg_filler_byte(i + 1);
		sum = __rte_raw_cksum(w, 2, sum);
	}
	tx->filler_sum = __rte_raw_cksum_reduce(sum);

	/* the media clock as if the stream ran at this many packets per second */
	double media_rate = o->rate > 0 ? o->rate
			    : o->video  ? PG_VIDEO_FPS * PG_UNPACED_PPF
					: PG_AUDIO_PTIME_HZ;
	tx->ts_per_pkt = (double)o->clock_rate / media_rate;
	tx->frames_per_pkt = (double)PG_VIDEO_FPS / media_rate;
	tx->ts_per_frame = o->clock_rate / PG_VIDEO_FPS;

	for (uint32_t s = 0; s < o->streams; s++)
		build_template(tx, o, &src_mac, s);
	return 0;
}

void
pg_tx_fini(struct pg_tx *tx)
{
	rte_free(tx->streams);
	tx->streams = NULL;
}

/* rte_mempool_obj_iter() callback: write the filler after the template area. */
static void
prefill_one(struct rte_mempool *mp __rte_unused, void *arg, void *obj,
	    unsigned int idx __rte_unused)
{
	const struct pg_tx *tx = arg;
	struct rte_mbuf *m = obj;
	uint8_t *p = (uint8_t *)m->buf_addr + RTE_PKTMBUF_HEADROOM + tx->tmpl_len;

	for (uint32_t i = 0; i < (uint32_t)(tx->frame_len - tx->tmpl_len); i++)
		p[i] = pg_filler_byte(i);
}

void
pg_tx_prefill(struct pg_tx *tx, struct rte_mempool *mp)
{
	tx->pool = mp;
	rte_mempool_obj_iter(mp, prefill_one, tx);
}

void
pg_tx_start(struct pg_tx *tx, const struct pg_options *o, uint64_t now_tsc)
{
	double hz = pg_clock_tsc_hz(&tx->clock);

	tx->t0_tsc = now_tsc;
	tx->period_tsc = o->rate > 0 ? hz / (o->rate * o->streams) : 0;
	tx->total = o->rate > 0 ? (uint64_t)(o->rate * o->duration + 0.5) * o->streams : 0;
	tx->end_tsc = o->duration > 0 ? now_tsc + (uint64_t)(o->duration * hz) : 0;
	if (o->duration > 0 && o->rate > 0 && tx->total == 0) {
		tx->total = o->streams; /* at least one packet per stream */
		tx->end_tsc = now_tsc + (uint64_t)(tx->period_tsc * (double)tx->total);
	}
	if (tx->end_tsc == 0)
		tx->total = 0;
	tx->slack_tsc = (uint64_t)(RTE_MAX(END_SLACK_S, END_SLACK_FRACTION * o->duration) * hz);
	tx->next_k = 0;
	tx->cur_stream = 0;
	tx->cur_j = 0;
}

/* Write the per-packet fields of the packet j of stream st into m. */
static inline void
build_packet(struct pg_tx *tx, struct pg_stream *st, uint64_t j, struct rte_mbuf *m,
	     uint64_t tx_ns_be)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *rtp = d + tx->off_udp + UDP_HDR_LEN;
	uint8_t *pr = d + tx->off_probe; /* not 8-byte aligned: written with memcpy() */
	uint32_t ts;
	bool marker;

	rte_memcpy(d, st->hdr, tx->tmpl_len);
	if (tx->video) {
		uint64_t frame = (uint64_t)((double)j * tx->frames_per_pkt);
		marker = (uint64_t)((double)(j + 1) * tx->frames_per_pkt) != frame;
		ts = st->ts_base + (uint32_t)frame * tx->ts_per_frame;
	} else {
		marker = j == 0; /* RFC 3551 4.1: first packet of a talkspurt */
		ts = st->ts_base + (uint32_t)(uint64_t)((double)j * tx->ts_per_pkt + 0.5);
	}
	rtp[1] |= marker ? 0x80 : 0;
	uint16_t seq_be = rte_cpu_to_be_16(st->rtp_seq++);
	uint32_t ts_be = rte_cpu_to_be_32(ts);
	memcpy(rtp + 2, &seq_be, 2);
	memcpy(rtp + 4, &ts_be, 4);
	uint64_t seq_be64 = rte_cpu_to_be_64(st->probe_seq++);
	memcpy(pr + offsetof(struct cascade_probe, seq_be), &seq_be64, 8);
	memcpy(pr + offsetof(struct cascade_probe, tx_ns_be), &tx_ns_be, 8);

	uint32_t sum = __rte_raw_cksum(d + tx->off_udp, SUM_LEN, st->phdr_sum + tx->filler_sum);
	uint16_t ck = (uint16_t)~__rte_raw_cksum_reduce(sum);
	((struct rte_udp_hdr *)(d + tx->off_udp))->dgram_cksum = ck == 0 ? 0xffff : ck;

	m->data_len = tx->frame_len;
	m->pkt_len = tx->frame_len;
}

/* Give the sequences of the n refused packets that started at stream first back. */
static void
unsend(struct pg_tx *tx, uint32_t first, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct pg_stream *st = &tx->streams[(first + i) % tx->nstreams];
		st->rtp_seq--;
		st->probe_seq--;
	}
}

/* Mark the schedule complete at TSC now. */
static void
finish(struct pg_tx *tx, uint64_t now_tsc)
{
	if (tx->total > tx->next_k)
		tx->unsent = tx->total - tx->next_k;
	tx->done_tsc = now_tsc;
	/* release: done_tsc is visible to the control role's acquire load of done */
	__atomic_store_n(&tx->done, true, __ATOMIC_RELEASE);
}

unsigned int
pg_tx_poll(struct pg_tx *tx, uint64_t now_tsc)
{
	struct rte_mbuf *pkts[PG_BURST_MAX];
	uint64_t due;

	if (tx->done)
		return 0;
	/* pairs with the SIGUSR1 handler's store; nothing is left unsent */
	if (unlikely(__atomic_load_n(&tx->stop, __ATOMIC_RELAXED))) {
		tx->total = tx->next_k;
		finish(tx, now_tsc);
		return 0;
	}
	if (tx->end_tsc != 0 && now_tsc >= tx->end_tsc) {
		if (tx->period_tsc == 0 || tx->next_k >= tx->total ||
		    now_tsc - tx->end_tsc > tx->slack_tsc) {
			finish(tx, now_tsc);
			return 0;
		}
	}
	if (tx->period_tsc > 0) {
		due = (uint64_t)((double)(now_tsc - tx->t0_tsc) / tx->period_tsc) + 1;
		if (tx->total != 0 && due > tx->total)
			due = tx->total;
		if (due <= tx->next_k)
			return 0;
	} else {
		due = tx->next_k + tx->burst;
	}
	unsigned int n = (unsigned int)RTE_MIN(due - tx->next_k, (uint64_t)tx->burst);
	if (rte_pktmbuf_alloc_bulk(tx->pool, pkts, n) != 0) {
		tx->alloc_fail++;
		return 0;
	}

	uint64_t tx_ns_be = rte_cpu_to_be_64(pg_clock_ns(&tx->clock, now_tsc));
	uint32_t first = tx->cur_stream;
	for (unsigned int i = 0; i < n; i++) {
		build_packet(tx, &tx->streams[tx->cur_stream], tx->cur_j, pkts[i], tx_ns_be);
		if (++tx->cur_stream == tx->nstreams) {
			tx->cur_stream = 0;
			tx->cur_j++;
		}
	}
	tx->next_k += n;

	uint16_t sent = rte_eth_tx_burst(tx->port, 0, pkts, (uint16_t)n);
	if (unlikely(sent < n)) {
		unsend(tx, first + sent, n - sent);
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		__atomic_store_n(&tx->drops, tx->drops + (n - sent), __ATOMIC_RELAXED);
	}
	__atomic_store_n(&tx->sent, tx->sent + sent, __ATOMIC_RELAXED);
	tx->bytes += (uint64_t)sent * tx->frame_len;
	return sent;
}
