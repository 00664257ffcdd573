/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keyframe requests, on the producer's owning lcore. A consumer's PLI or FIR
 * (dp_classify.c finds its producer by the consumer's SSRC), or a consumer
 * that was added or resumed (the main lcore posts a request), asks for one.
 * However many ask, the producer's sender gets at most one request per
 * --keyframe-interval-ms: the first goes at once; those inside the interval
 * are merged into one that goes when it ends, so a late joiner still gets its
 * keyframe (LiveKit and Janus throttle the same way; mediasoup re-asks once).
 *
 * What goes out is a compound (RFC 3550 6.1: an empty RR first, so receivers
 * without reduced-size RTCP take it) with a PLI (RFC 4585 6.3.1) when the
 * sender negotiated "nack pli", else a FIR (RFC 5104 4.3.1) with a sequence
 * number that grows per new request when it negotiated only "ccm fir", from
 * the node's RTCP SSRC with the producer's SSRC as media source, to where the
 * sender's RTCP goes (dp_rtcp_dest). Each request sent is announced to the
 * control plane (CASCADE_EV_KEYFRAME_REQUEST). Not yet sent: to an SRTP
 * sender (no outbound SRTCP session for it) or over a pipe (no way back to
 * the source node); those count as keyframe_requests_unsent.
 */
#include <stdatomic.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "dp.h"

#define RR_LEN 8   /* RFC 3550 6.4.2: header + SSRC, no report blocks */
#define PLI_LEN 12 /* RFC 4585 6.3.1: header, sender, media source */
#define FIR_LEN 20 /* RFC 5104 4.3.1.1: header, sender, 0, one FCI entry */

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool
dp_rtcp_dest(const struct dp_transport *tp, const struct dp_peer *peer,
	     const struct cascade_addr **src, struct cascade_addr *dst)
{
	if (peer == NULL || peer->remote.port_be == 0)
		return false;
	if (tp->cfg.flags & CASCADE_TRANSPORT_RTCP_MUX) {
		*dst = peer->remote;
		*src = &tp->cfg.local;
		return true;
	}
	*dst = peer->remote_rtcp.port_be != 0 ? peer->remote_rtcp : peer->remote;
	if (peer->remote_rtcp.port_be == 0) /* RFC 3550 11: RTCP on port + 1 */
		dst->port_be =
			rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(peer->remote.port_be) + 1));
	*src = &tp->cfg.local_rtcp;
	return true;
}

/* Tell the control plane (through the main lcore); a full ring loses the event only. */
static void
announce(struct dp_worker *w, const struct dp_producer *p, bool fir)
{
	struct cascade_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CASCADE_EV_KEYFRAME_REQUEST;
	ev.obj_id = p->cfg.obj_id;
	ev.value = fir ? 2 : 1;
	ev.tsc = w->now_tsc;
	(void)rte_ring_sp_enqueue_elem(w->event_ring, &ev, sizeof(ev));
}

/* Build and queue the request for p's sender. False when it cannot go. */
static bool
send_request(struct dp_worker *w, struct dp_producer *p)
{
	const struct dp_transport *tp = &dp.transports[p->transport];
	bool fir = !(p->cfg.fb & CASCADE_FB_PLI);
	const struct cascade_addr *src;
	const struct dp_peer *peer;
	struct cascade_addr dst;
	struct rte_mbuf *h;
	uint16_t port = tp->cfg.port_id, off = dp_l2l4_len(port, tp->cfg.local.family), len;
	uint8_t *out;
	int rc;

	if (tp->cfg.srtp_suite != CASCADE_SUITE_NONE || (tp->cfg.flags & CASCADE_TRANSPORT_PIPE))
		return false;
	/* pairs with the main lcore's release store of peer */
	peer = atomic_load_explicit(&tp->peer, memory_order_acquire);
	if (!dp_rtcp_dest(tp, peer, &src, &dst))
		return false;
	h = rte_pktmbuf_alloc(dp.hdr_pool);
	if (h == NULL) {
		dp_drop_count(w, CASCADE_DROP_NO_MBUF);
		return false;
	}
	out = rte_pktmbuf_mtod(h, uint8_t *) + off;
	/* RFC 3550 6.4.2: an empty RR, so the compound starts as RFC 3550 A.2 wants */
	out[0] = 0x80;
	out[1] = 201;
	out[2] = 0;
	out[3] = RR_LEN / 4 - 1;
	wr32(out + 4, dp.rtcp_ssrc);
	if (!fir) {
		/* RFC 4585 6.3.1: PT=PSFB, FMT=1, no FCI */
		out[8] = 0x80 | 1;
		out[9] = 206;
		out[10] = 0;
		out[11] = PLI_LEN / 4 - 1;
		wr32(out + 12, dp.rtcp_ssrc);
		wr32(out + 16, p->cfg.ssrc);
		len = RR_LEN + PLI_LEN;
	} else {
		/* RFC 5104 4.3.1.1: PT=PSFB, FMT=4, media source 0, FCI: SSRC, seq nr, 0 */
		out[8] = 0x80 | 4;
		out[9] = 206;
		out[10] = 0;
		out[11] = FIR_LEN / 4 - 1;
		wr32(out + 12, dp.rtcp_ssrc);
		wr32(out + 16, 0);
		wr32(out + 20, p->cfg.ssrc);
		out[24] = ++p->fir_seq; /* a new request: a new number (RFC 5104 4.3.1.2) */
		out[25] = out[26] = out[27] = 0;
		len = RR_LEN + FIR_LEN;
	}
	rc = dp_write_l2l4(rte_pktmbuf_mtod(h, uint8_t *), port, peer, src, &dst, len,
			   __rte_raw_cksum(out, len, 0), true);
	if (rc < 0) {
		rte_pktmbuf_free(h);
		dp_drop_count(w, dp_l2l4_drop(rc));
		return false;
	}
	h->data_len = (uint16_t)(rc + len);
	h->pkt_len = h->data_len;
	w->tstats[p->transport].tx_pkts++;
	w->tstats[p->transport].tx_bytes += h->pkt_len;
	dp_tx_add(w, port, h);
	announce(w, p, fir);
	return true;
}

/* Send now (the interval has passed), or count it as unsent. */
static void
fire(struct dp_worker *w, struct dp_producer *p)
{
	p->kf_pending = 0;
	p->kf_next_tsc = w->now_tsc + dp.tsc_hz / 1000 * dp.opt.keyframe_interval_ms;
	if (send_request(w, p))
		w->stats->ctr[CASCADE_LC_KEYFRAME_REQS_OUT]++;
	else
		w->stats->ctr[CASCADE_LC_KEYFRAME_REQS_UNSENT]++;
}

void
dp_keyframe_request(struct dp_worker *w, struct dp_producer *p, uint32_t pslot)
{
	w->stats->ctr[CASCADE_LC_KEYFRAME_REQS_IN]++;
	if (!(p->cfg.fb & (CASCADE_FB_PLI | CASCADE_FB_FIR))) {
		w->stats->ctr[CASCADE_LC_KEYFRAME_REQS_UNSENT]++; /* it understands neither */
		return;
	}
	if (w->now_tsc >= p->kf_next_tsc && !p->kf_pending) {
		fire(w, p);
		return;
	}
	if (p->kf_pending)
		return; /* merged into the one waiting */
	if (w->n_kf_wait == RTE_DIM(w->kf_wait)) {
		/* so many producers waiting: this one waits for the next request instead */
		w->stats->ctr[CASCADE_LC_KEYFRAME_REQS_UNSENT]++;
		return;
	}
	p->kf_pending = 1;
	w->kf_wait[w->n_kf_wait].pslot = pslot;
	w->kf_wait[w->n_kf_wait].gen = atomic_load_explicit(&p->gen, memory_order_relaxed);
	w->n_kf_wait++;
}

void
dp_keyframe_poll(struct dp_worker *w)
{
	uint32_t i = 0;

	while (i < w->n_kf_wait) {
		struct dp_producer *p = &dp.producers[w->kf_wait[i].pslot];

		/* pairs with the main lcore's release store of gen at delete: a producer
		 * deleted meanwhile (its slot maybe reused) has nothing left to ask for */
		if (atomic_load_explicit(&p->gen, memory_order_acquire) != w->kf_wait[i].gen ||
		    !p->in_use || !p->kf_pending) {
			w->kf_wait[i] = w->kf_wait[--w->n_kf_wait];
			continue;
		}
		if (w->now_tsc < p->kf_next_tsc) {
			i++;
			continue;
		}
		fire(w, p);
		w->kf_wait[i] = w->kf_wait[--w->n_kf_wait];
	}
}
