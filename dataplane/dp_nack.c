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
 * consumer it names.
 */
#include <stdatomic.h>

#include "dp.h"
#include "dp_rtcp_fb.h"

/* What a consumer may be sent again at once (a loss burst), beyond its share of the stream. */
#define RTX_BURST_BYTES (256 * 1024)

struct fb_ctx {
	struct dp_worker *w;
	struct dp_producer *p;
	struct dp_consumer *k;
	struct dp_rtxbuf *rtx; /* the producer's (NULL: none), read once */
	uint32_t pslot, cslot;
	bool keyframe;
};

/* Fill k's budget with its share of what p received since the last time; cap it. */
static void
budget_fill(struct dp_worker *w, const struct dp_producer *p, struct dp_consumer *k,
	    uint32_t pslot)
{
	uint64_t rx = w->pstats[pslot].rx_bytes; /* the owner counts every packet it takes */
	int64_t add;

	RTE_SET_USED(p);
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
	sent = dp_fanout_resend(w, held, c->p, k, c->cslot, out_seq);
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
		.pslot = pslot,
		.cslot = cslot,
	};
	enum cascade_drop why;

	/* main clears it at the producer's delete; the buffer itself lives until the grace period */
	c.rtx = atomic_load_explicit(&c.p->rtx, memory_order_relaxed);
	budget_fill(w, c.p, c.k, pslot);
	/* classify walked it whole already: the walk cannot fail here */
	(void)dp_rtcp_walk(rte_pktmbuf_mtod_offset(m, const uint8_t *, l4->payload_off),
			   l4->payload_len, on_item, &c, &why);
	if (c.keyframe)
		dp_keyframe_request(w, c.p, pslot);
	dp_drop(w, m, CASCADE_DROP_RTCP_TERMINATED); /* it ends here */
}
