/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A consumer's feedback, on the lcore that owns its producer (dp_classify.c
 * finds the consumer by the SSRC the feedback names and hands the packet
 * here): PLI and FIR become a keyframe request (dp_sender.c merges them),
 * generic NACKs (RFC 4585 6.2.1) are answered from the producer's
 * retransmission buffer (dp_rtxbuf.h) without asking the sender.
 *
 * A NACK names the consumer's own sequence numbers. One it was sent under the
 * offsets in force (dp_seq_sent: not from before a pause or a source switch)
 * maps back to the producer's number, and the buffered ingress packet goes
 * again exactly as the first time (same sequence number, timestamp, payload
 * type and extension ids, so SRTP consumers get the same index, which their
 * outbound sessions allow to repeat), by the fan-out's own copy path. The
 * receiver's jitter buffer takes it as the missing packet; RTX (RFC 4588) for
 * consumers that negotiate it is not done yet.
 *
 * What a consumer can make Cascade send again is bounded: a byte budget that
 * grows with what its producer receives (--rtx-share percent of it) and holds
 * at most a burst (RTX_BURST_BYTES, for a loss burst), so a NACK storm costs
 * at most that share of the stream. Packets over it are
 * counted (retransmissions_limited), as are those the buffer no longer holds
 * (retransmissions_missing); every NACKed number counts as nacked_packets_in.
 * A feedback item about an SSRC other than this consumer's (a compound about
 * several) is left alone: classify hands each packet over for the first
 * consumer it names. Report blocks (RR, or a receiver's SR) go to dp_rtcp.c,
 * which reads those about any consumer whose producer this lcore owns.
 *
 * The first hop is repaired before the fan-out: for a producer that
 * negotiated NACK and has a buffer, the owner notes the sequence numbers its
 * sender skipped (dp_nackgen.h) and NACKs the sender for them (an empty RR,
 * then the NACK, from the node's RTCP SSRC, where its keyframe requests go)
 * at once and every NACK_RETRY_MS, up to NACK_MAX_TRIES times and --rtx-ms
 * old; a gap too long to repair packet by packet asks for a keyframe
 * instead. What comes late takes its number off (nack_recovered); a packet
 * the buffer holds already is a duplicate and goes no further
 * (rtp_duplicate). A sender that negotiated RTX sends them again on its RTX
 * stream: its packets are unwrapped into the media stream first (the
 * original sequence number out, the media SSRC and payload type in), so the
 * buffer, the NACK list and the consumers see the packet it repairs; RTX
 * with padding only (libwebrtc's bandwidth probes) goes no further. On a
 * pipe the sender is the source node, whose pipe
 * consumer answers from its own buffer: loss between nodes is repaired the
 * same way.
 */
#include <stdatomic.h>
#include <string.h>

#include <rte_udp.h>

#include "dp.h"
#include "dp_bytes.h"
#include "dp_rtcp_fb.h"

/* NACKs to senders: asked again after this (a round trip unknown, mediasoup's default), this often at most */
#define NACK_RETRY_MS 100
#define NACK_MAX_TRIES 10
#define NACK_POLL_MS 10
#define NACK_MAX_ENTRIES 64 /* FCI entries in one NACK: up to 1,088 numbers, 292 bytes */

/* What a consumer may be sent again at once (a loss burst), beyond its share of the stream. */
#define RTX_BURST_BYTES (256 * 1024)

struct fb_ctx {
	struct dp_worker *w;
	struct dp_producer *p;
	struct dp_consumer *k;
	struct dp_rtxbuf *rtx; /* the producer's (NULL: none), read once */
	const struct dp_l4 *l4;
	uint32_t pslot, cslot;
	bool keyframe;
};

/* Fill k's budget with its share of what producer pslot received since the last time; cap it. */
static void
budget_fill(struct dp_worker *w, struct dp_consumer *k, uint32_t pslot)
{
	uint64_t rx = w->pstats[pslot].rx_bytes; /* the owner counts every packet it takes */
	int64_t add;

	if (rx < k->rtx_seen)
		k->rtx_seen = rx; /* a new stream in a reused slot */
	add = (int64_t)((rx - k->rtx_seen) * dp.opt.rtx_share / 100);
	k->rtx_seen = rx;
	k->rtx_tokens = k->rtx_tokens + add > RTX_BURST_BYTES ? RTX_BURST_BYTES : k->rtx_tokens + add;
}

/* Send k the packet it got as out_seq again, if the buffer has it and its budget allows. */
static void
resend(struct fb_ctx *c, uint16_t out_seq)
{
	struct dp_worker *w = c->w;
	struct dp_consumer *k = c->k;
	struct rte_mbuf *held;
	uint32_t sent;

	w->stats->ctr[CASCADE_LC_NACKED_IN]++;
	if (c->rtx == NULL || !dp_seq_sent(&k->st, out_seq) ||
	    (held = dp_rtxbuf_get(c->rtx, (uint16_t)(out_seq - k->st.seq_off), w->now_tsc)) == NULL) {
		w->stats->ctr[CASCADE_LC_RTX_MISSING]++;
		return;
	}
	if (k->rtx_tokens < (int64_t)held->pkt_len) {
		w->stats->ctr[CASCADE_LC_RTX_LIMITED]++;
		return;
	}
	sent = dp_fanout_resend(w, held, k, c->cslot, out_seq);
	if (sent == 0)
		return; /* counted as the consumer's drop, or never its payload type */
	k->rtx_tokens -= sent;
	w->cstats[c->cslot].rtx_pkts++;
	w->stats->ctr[CASCADE_LC_RTX_OUT]++;
}

static void
on_item(void *ctx, const struct dp_rtcp_item *it)
{
	struct fb_ctx *c = ctx;
	uint16_t seqs[17];
	unsigned int i, n;

	if (it->kind == DP_RTCP_REPORT) {
		/* about this consumer or another whose producer this lcore owns (dp_rtcp.c) */
		dp_rtcp_report(c->w, c->k->transport, c->l4, &it->u.rb);
		return;
	}
	if (it->media != c->k->cfg.ssrc)
		return;
	switch (it->kind) {
	case DP_RTCP_PLI:
	case DP_RTCP_FIR:
		c->keyframe = true; /* one request per packet, however many entries ask */
		break;
	case DP_RTCP_NACK:
		n = dp_rtcp_nack_seqs(it->u.nack.pid, it->u.nack.blp, seqs);
		for (i = 0; i < n; i++)
			resend(c, seqs[i]);
		break;
	default:
		break;
	}
}

void
dp_nack_feedback(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4,
		 uint32_t pslot, uint32_t cslot)
{
	struct fb_ctx c = {
		.w = w,
		.p = &dp.producers[pslot],
		.k = &dp.consumers[cslot],
		.l4 = l4,
		.pslot = pslot,
		.cslot = cslot,
	};
	enum cascade_drop why;

	/* main clears it at the producer's delete; the buffer itself lives until the grace period */
	c.rtx = atomic_load_explicit(&c.p->rtx, memory_order_relaxed);
	budget_fill(w, c.k, pslot);
	/* classify walked it whole already: the walk cannot fail here */
	(void)dp_rtcp_walk(rte_pktmbuf_mtod_offset(m, const uint8_t *, l4->payload_off),
			   l4->payload_len, on_item, &c, &why);
	if (c.keyframe)
		dp_keyframe_request(w, c.p, pslot);
	dp_drop(w, m, CASCADE_DROP_RTCP_TERMINATED); /* it ends here */
}

void
dp_nack_rtp(struct dp_worker *w, struct dp_producer *p, uint32_t pslot, struct dp_rtxbuf *rtx,
	    uint16_t seq)
{
	struct dp_nackgen *g = dp_rtx_nackgen(rtx);

	switch (dp_nackgen_rtp(g, seq, w->now_tsc)) {
	case DP_NACKGEN_RECOVERED:
		w->stats->ctr[CASCADE_LC_NACK_RECOVERED]++;
		break;
	case DP_NACKGEN_RESET:
		if (g->started && p->rxs.received > 1)
			dp_keyframe_request(w, p, pslot); /* too much lost: start over */
		break;
	default:
		break;
	}
	if (g->n != 0 && !p->nack_listed) {
		/* the list has room for every producer, and each is on it at most once */
		p->nack_listed = 1;
		w->nack_list[w->n_nack].pslot = pslot;
		w->nack_list[w->n_nack].gen = atomic_load_explicit(&p->gen, memory_order_relaxed);
		w->n_nack++;
	}
}

/* NACK p's sender for the numbers due; false when it had none left to ask for. */
static bool
nack_sender(struct dp_worker *w, struct dp_producer *p, struct dp_nackgen *g)
{
	uint16_t seqs[NACK_MAX_ENTRIES * 17];
	uint8_t out[8 + 12 + 4 * NACK_MAX_ENTRIES];
	unsigned int n, k;
	uint16_t len;

	n = dp_nackgen_due(g, w->now_tsc, dp.tsc_hz / 1000 * NACK_RETRY_MS, NACK_MAX_TRIES,
			   dp.tsc_hz / 1000 * dp.opt.rtx_ms, seqs, RTE_DIM(seqs));
	if (n != 0) {
		/* RFC 3550 6.1: an (empty) RR first; RFC 4585 6.2.1: PT=RTPFB, FMT=1 */
		out[0] = 0x80;
		out[1] = 201;
		out[2] = 0;
		out[3] = 1;
		wr32(out + 4, p->rtcp_ssrc);
		k = dp_nack_pack(seqs, n, out + 20, NACK_MAX_ENTRIES);
		out[8] = 0x80 | 1;
		out[9] = 205;
		out[10] = 0;
		out[11] = (uint8_t)(2 + k);
		wr32(out + 12, p->rtcp_ssrc);
		wr32(out + 16, p->cfg.ssrc);
		len = (uint16_t)(20 + 4 * k);
		if (dp_sender_send(w, p, out, len)) {
			w->stats->ctr[CASCADE_LC_NACKS_OUT]++;
			w->stats->ctr[CASCADE_LC_NACKED_OUT] += n;
		} else {
			w->stats->ctr[CASCADE_LC_NACKS_UNSENT]++;
		}
	}
	return g->n != 0;
}

void
dp_nack_poll(struct dp_worker *w)
{
	uint32_t i = 0;

	w->nack_poll_tsc = w->now_tsc + dp.tsc_hz / 1000 * NACK_POLL_MS;
	while (i < w->n_nack) {
		struct dp_producer *p = &dp.producers[w->nack_list[i].pslot];
		struct dp_rtxbuf *rtx;

		/* pairs with the main lcore's release store of gen at delete */
		if (atomic_load_explicit(&p->gen, memory_order_acquire) != w->nack_list[i].gen ||
		    !p->in_use) {
			w->nack_list[i] = w->nack_list[--w->n_nack]; /* deleted */
			continue;
		}
		rtx = atomic_load_explicit(&p->rtx, memory_order_relaxed);
		if (rtx == NULL || !nack_sender(w, p, dp_rtx_nackgen(rtx))) {
			p->nack_listed = 0; /* nothing left missing */
			w->nack_list[i] = w->nack_list[--w->n_nack];
			continue;
		}
		i++;
	}
}

bool
dp_rtx_unwrap(struct dp_worker *w, const struct dp_producer *p, struct rte_mbuf *m,
	      struct dp_l4 *l4, struct dp_rtp *rtp)
{
	uint8_t *frame, *hdr, apt = 0;
	struct rte_udp_hdr *udp;
	unsigned int i;
	uint16_t osn;

	for (i = 0; i < p->cfg.n_rtx && i < CASCADE_MAX_RTX_MAP; i++)
		if (p->cfg.rtx_map[i].pt == rtp->pt)
			break;
	if (i == p->cfg.n_rtx || i == CASCADE_MAX_RTX_MAP) {
		dp_drop(w, m, CASCADE_DROP_RTX_PT);
		return false;
	}
	apt = p->cfg.rtx_map[i].apt;
	if (rtp->payload_len < 2) {
		dp_drop(w, m, CASCADE_DROP_RTX_EMPTY);
		return false;
	}
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	hdr = frame + l4->payload_off;
	osn = (uint16_t)(hdr[rtp->hdr_len] << 8 | hdr[rtp->hdr_len + 1]);
	/* the headers move up over the OSN: shorter than the payload they would move past */
	memmove(frame + 2, frame, (size_t)l4->payload_off + rtp->hdr_len);
	rte_pktmbuf_adj(m, 2);
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	hdr = frame + l4->payload_off;
	hdr[1] = (uint8_t)((hdr[1] & 0x80) | apt); /* the marker stays */
	hdr[2] = (uint8_t)(osn >> 8);
	hdr[3] = (uint8_t)osn;
	wr32(hdr + 8, p->cfg.ssrc);
	/* its IP and UDP lengths are stale now: fan-out writes fresh ones, but no checksum
	 * can be derived from the old one */
	udp = (struct rte_udp_hdr *)(frame + l4->l4_off);
	udp->dgram_cksum = 0;
	l4->payload_len = (uint16_t)(l4->payload_len - 2);
	rtp->payload_len = (uint16_t)(rtp->payload_len - 2);
	rtp->pt = apt;
	rtp->seq = osn;
	rtp->ssrc = p->cfg.ssrc;
	return true;
}
