/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP towards producers' senders, on the producer's owning lcore: keyframe
 * requests and receiver reports.
 *
 * Keyframe requests. A consumer's PLI or FIR
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
 * control plane (CASCADE_EV_KEYFRAME_REQUEST).
 *
 * Receiver reports (RFC 3550 6.4.2). Cascade is each producer's receiver: its
 * owner keeps the stream's statistics (dp_rxstats.c) and, on the RFC's
 * interval (--rtcp-report-ms, 1 s, for video, 5 times that for audio, each
 * randomised to 0.5-1.5 of it, 6.3.1) sends its sender an RR with one report block and an SDES CNAME (6.1:
 * every compound carries one), and to a sender that negotiated goog-remb without
 * transport-cc a REMB (draft-alvestrand-rmcat-remb-03) in the same compound: the
 * loss-based estimate of dp_remb.c under --remb-max-kbps. A producer joins its owner's list of streams to
 * report on with its first packet and leaves it after five quiet intervals.
 *
 * On a pipe, the sender of a keyframe request is the source node: it goes
 * back to the pipe port the producer's packets come from, where that node
 * finds its pipe consumer by SSRC and this node's address and merges the
 * request with its own receivers' (so however many consumers on however many
 * nodes ask, the producer's sender gets at most one request per interval).
 * A request made before the piped-in producer's first packet (its first
 * consumer is made with the pipe) waits one interval for the source's address
 * instead of being lost. Receiver reports do not go over pipes: the source
 * node is the sender's receiver and reports to it itself. An SRTP sender gets
 * SRTCP (each of its producers has an RTCP SSRC and an outbound session of
 * its own); over an SRTP pipe it goes as SRTCP from the stream's feedback
 * SSRC under the stream's key (msg.h, PIPE_SRTP), once that key came. Nothing
 * goes before the keys, nor to a sender whose address or MAC is not known
 * yet: those count as keyframe_requests_unsent and receiver_reports_unsent,
 * not as dropped packets.
 */
#include <stdatomic.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_bytes.h"

#define RR_LEN 8   /* RFC 3550 6.4.2: header + SSRC, no report blocks */
#define CNAME "cascade"
#define SDES_LEN 20 /* RFC 3550 6.5: header, SSRC, CNAME item (2 + 7), end, padding */
#define RR_AUDIO_FACTOR 5 /* audio senders are reported on 5 times less often */
#define RR_POLL_MS 20        /* how often an owner looks for reports that are due */
#define RR_QUIET_INTERVALS 5 /* a sender quiet this many intervals gets no more reports */
#define PLI_LEN 12 /* RFC 4585 6.3.1: header, sender, media source */
#define FIR_LEN 20 /* RFC 5104 4.3.1.1: header, sender, 0, one FCI entry */

bool
dp_rtcp_dest(const struct dp_transport *tp, const struct dp_peer *peer,
	     const struct cascade_addr **src, struct cascade_addr *dst)
{
	if (peer == NULL || peer->remote.port_be == 0)
		return false;
	if (tp->cfg.flags & CASCADE_TRANSPORT_RTCP_MUX) {
		/* RFC 4961: a remote whose RTCP comes from a port of its own receives it there */
		*dst = peer->remote_rtcp.port_be != 0 ? peer->remote_rtcp : peer->remote;
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

bool
dp_sender_send(struct dp_worker *w, const struct dp_producer *p, const uint8_t *body,
	       uint16_t len)
{
	const struct dp_transport *tp = &dp.transports[p->transport];
	const struct cascade_addr *src;
	const struct dp_peer *peer;
	struct cascade_addr dst;
	struct rte_mbuf *h;
	uint16_t port = tp->cfg.port_id, off = dp_l2l4_len(port, tp->cfg.local.family);
	struct cascade_srtp *srtcp = NULL;
	size_t slen = len;
	uint8_t *out;
	int rc;

	if (tp->cfg.srtp_suite != CASCADE_SUITE_NONE) {
		/* pairs with the main lcore's release store of rtcp_tx */
		srtcp = atomic_load_explicit(&p->rtcp_tx, memory_order_acquire);
		if (srtcp == NULL)
			return false; /* no keys yet */
	}
	if (tp->cfg.flags & CASCADE_TRANSPORT_PIPE) {
		/* back to the source node's pipe port its packets come from */
		peer = &p->pipe_src;
		if (peer->remote.port_be == 0)
			return false;
		src = &tp->cfg.local;
		dst = peer->remote;
	} else {
		/* pairs with the main lcore's release store of peer */
		peer = atomic_load_explicit(&tp->peer, memory_order_acquire);
		if (!dp_rtcp_dest(tp, peer, &src, &dst))
			return false;
	}
	if (!peer->has_mac && !dp.opt.has_peer_mac)
		return false; /* not reachable yet (its MAC is being learned): not a drop */
	h = rte_pktmbuf_alloc(dp.hdr_pool);
	if (h == NULL) {
		dp_drop_count(w, CASCADE_DROP_NO_MBUF);
		return false;
	}
	out = rte_pktmbuf_mtod(h, uint8_t *) + off;
	memcpy(out, body, len);
	if (srtcp != NULL) {
		/* RFC 3711 3.4: SRTCP, with this producer's own session (its own SSRC; on
		 * an SRTP pipe the stream's feedback SSRC under the stream's key) */
		rc = cascade_srtp_protect_rtcp(srtcp, out, &slen, rte_pktmbuf_tailroom(h) - off);
		if (rc < 0) {
			rte_pktmbuf_free(h);
			dp_drop_count(w, dp_srtp_drop_reason(rc));
			return false;
		}
		len = (uint16_t)slen;
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
	return true;
}

void
dp_rr_header(uint8_t *out, unsigned int rc, uint32_t ssrc)
{
	out[0] = (uint8_t)(0x80 | rc);
	out[1] = 201;
	out[2] = 0;
	out[3] = (uint8_t)((RR_LEN + DP_RTCP_RB_LEN * rc) / 4 - 1);
	wr32(out + 4, ssrc);
}

/* The request for p's sender: an empty RR, then a PLI or a FIR. */
static bool
send_request(struct dp_worker *w, struct dp_producer *p)
{
	bool fir = !(p->cfg.fb & CASCADE_FB_PLI);
	uint8_t out[RR_LEN + FIR_LEN];
	uint16_t len;

	dp_rr_header(out, 0, p->rtcp_ssrc);
	if (!fir) {
		/* RFC 4585 6.3.1: PT=PSFB, FMT=1, no FCI */
		out[8] = 0x80 | 1;
		out[9] = 206;
		out[10] = 0;
		out[11] = PLI_LEN / 4 - 1;
		wr32(out + 12, p->rtcp_ssrc);
		wr32(out + 16, p->cfg.ssrc);
		len = RR_LEN + PLI_LEN;
	} else {
		/* RFC 5104 4.3.1.1: PT=PSFB, FMT=4, media source 0, FCI: SSRC, seq nr, 0 */
		out[8] = 0x80 | 4;
		out[9] = 206;
		out[10] = 0;
		out[11] = FIR_LEN / 4 - 1;
		wr32(out + 12, p->rtcp_ssrc);
		wr32(out + 16, 0);
		wr32(out + 20, p->cfg.ssrc);
		out[24] = (uint8_t)(p->fir_seq + 1); /* a new request: a new number (4.3.1.2) */
		out[25] = out[26] = out[27] = 0;
		len = RR_LEN + FIR_LEN;
	}
	if (!dp_sender_send(w, p, out, len))
		return false;
	if (fir)
		p->fir_seq++;
	announce(w, p, fir);
	return true;
}

void
dp_sender_rtp(struct dp_worker *w, struct dp_producer *p, const struct dp_rtp *rtp)
{
	dp_rxstats_rtp(&p->rxs, rtp->seq, rtp->ts, w->now_ns, p->cfg.clock_rate);
	p->rr_last_rx_tsc = w->now_tsc;
	if (unlikely(!p->rr_listed) && dp.opt.rtcp_report_ms != 0 &&
	    !(dp.transports[p->transport].cfg.flags & CASCADE_TRANSPORT_PIPE)) {
		/* a sender to report on, from now on, until it goes quiet */
		uint32_t ps = (uint32_t)(p - dp.producers);

		w->rr_list[w->n_rr].pslot = ps;
		w->rr_list[w->n_rr].gen = atomic_load_explicit(&p->gen, memory_order_relaxed);
		w->n_rr++;
		p->rr_listed = 1;
	}
}

/*
 * The RR for p's sender: one report block and an SDES CNAME, and for a sender
 * that negotiated goog-remb alone a REMB with the estimate the block's loss
 * leaves (dp_remb.c), so the estimate moves once per report interval.
 */
static void
send_report(struct dp_worker *w, struct dp_producer *p)
{
	uint8_t out[RR_LEN + DP_RTCP_RB_LEN + SDES_LEN + DP_REMB_LEN];
	bool remb = (p->cfg.fb & CASCADE_FB_REMB) && dp.opt.remb_max_kbps != 0;
	uint16_t len = RR_LEN + DP_RTCP_RB_LEN + SDES_LEN;
	uint8_t *sdes;

	dp_rr_header(out, 1, p->rtcp_ssrc);
	if (!dp_rxstats_report(&p->rxs, p->cfg.ssrc, w->now_ns, out + RR_LEN))
		return;
	/* RFC 3550 6.5: SDES, one chunk: SSRC, CNAME item, end of list, padding */
	sdes = out + RR_LEN + DP_RTCP_RB_LEN;
	sdes[0] = 0x81;
	sdes[1] = 202;
	sdes[2] = 0;
	sdes[3] = SDES_LEN / 4 - 1;
	wr32(sdes + 4, p->rtcp_ssrc);
	sdes[8] = 1; /* CNAME */
	sdes[9] = sizeof(CNAME) - 1;
	memcpy(sdes + 10, CNAME, sizeof(CNAME) - 1);
	memset(sdes + 10 + sizeof(CNAME) - 1, 0, SDES_LEN - 10 - (sizeof(CNAME) - 1));
	if (remb) {
		/* RFC 3550 6.4.1: the block's fraction lost is its 5th byte */
		p->remb_bps = dp_remb_update(p->remb_bps, (uint64_t)dp.opt.remb_max_kbps * 1000,
					     out[RR_LEN + 4]);
		dp_remb_build(out + len, p->rtcp_ssrc, p->cfg.ssrc, p->remb_bps);
		len += DP_REMB_LEN;
	}
	if (dp_sender_send(w, p, out, len)) {
		w->stats->ctr[CASCADE_LC_RECEIVER_REPORTS_OUT]++;
		if (remb)
			w->stats->ctr[CASCADE_LC_REMB_OUT]++;
	} else {
		w->stats->ctr[CASCADE_LC_RECEIVER_REPORTS_UNSENT]++;
	}
}

void
dp_sender_poll(struct dp_worker *w)
{
	uint32_t i = 0;

	w->rr_poll_tsc = w->now_tsc + dp.tsc_hz / 1000 * RR_POLL_MS;
	while (i < w->n_rr) {
		struct dp_producer *p = &dp.producers[w->rr_list[i].pslot];
		uint64_t ms;

		/* pairs with the main lcore's release store of gen at delete */
		if (atomic_load_explicit(&p->gen, memory_order_acquire) != w->rr_list[i].gen ||
		    !p->in_use) {
			w->rr_list[i] = w->rr_list[--w->n_rr]; /* deleted: nothing to report */
			continue;
		}
		ms = dp.opt.rtcp_report_ms * (p->cfg.kind == CASCADE_KIND_AUDIO ? RR_AUDIO_FACTOR : 1);
		if (w->now_tsc - p->rr_last_rx_tsc > dp.tsc_hz / 1000 * RR_QUIET_INTERVALS * ms) {
			/* quiet for long: no longer a sender (RFC 3550 6.4: reports are on senders) */
			p->rr_listed = 0;
			w->rr_list[i] = w->rr_list[--w->n_rr];
			continue;
		}
		if (w->now_tsc >= p->rr_next_tsc) {
			/* RFC 3550 6.3.1: the interval, randomised to 0.5-1.5 of it */
			p->rr_next_tsc = w->now_tsc + dp.tsc_hz / 1000 * (ms / 2 + rte_rand_max(ms));
			send_report(w, p);
		}
		i++;
	}
}

void
dp_sender_sr(struct dp_producer *p, const uint8_t *sr, uint64_t now_ns)
{
	/* RFC 3550 6.4.1: the NTP timestamp is bytes 8-15 */
	uint64_t ntp = (uint64_t)sr[8] << 56 | (uint64_t)sr[9] << 48 | (uint64_t)sr[10] << 40 |
		       (uint64_t)sr[11] << 32 | (uint64_t)sr[12] << 24 | (uint64_t)sr[13] << 16 |
		       (uint64_t)sr[14] << 8 | sr[15];

	dp_rxstats_sr(&p->rxs, ntp, now_ns);
}

/*
 * A producer piped in whose source node has sent nothing yet: no address to
 * ask yet. Its first consumer is made as the pipe is, before the first packet.
 */
static inline bool
source_unknown(const struct dp_producer *p)
{
	return (dp.transports[p->transport].cfg.flags & CASCADE_TRANSPORT_PIPE) &&
	       p->pipe_src.remote.port_be == 0;
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
		if (likely(!source_unknown(p))) {
			fire(w, p);
			return;
		}
		/* asked before its first packet: once more when an interval has passed */
		p->kf_next_tsc = w->now_tsc + dp.tsc_hz / 1000 * dp.opt.keyframe_interval_ms;
	}
	if (p->kf_pending)
		return; /* merged into the one waiting */
	/* the list has room for every producer, and each is on it at most once */
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
