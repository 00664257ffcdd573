/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport-cc feedback to producers' senders
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01), so that a browser
 * sender's bandwidth estimator can ramp its bitrate up.
 *
 * The transport-wide sequence number counts over every SSRC of the transport
 * (RTX too), so the state is the transport's (struct dp_twcc_in), and all the
 * transport's producers that negotiated transport-cc have one owning lcore
 * (dp_table_prod.c chooses it), the only one that touches it: no lock, no
 * atomic per packet. The owner records each packet's number and arrival
 * (dp_twcc_rx.c) before RTX unwrapping and duplicate drops, since every
 * packet sent has a number of its own, and lists the transport on its first
 * packet. Every DP_TWCC_INTERVAL_MS (libwebrtc's and mediasoup's 100 ms) it
 * sends what arrived since, as RTPFB FMT 15 after an empty RR (the compound
 * RFC 3550 6.1 asks for, as keyframe requests go), through one of the
 * transport's producers (its RTCP SSRC, its SRTCP session on an SRTP
 * transport; dp_sender_send()), with that producer's SSRC as media source.
 * When one message does not hold everything, more go at once, up to
 * TWCC_MAX_PER_POLL; the rest waits for the next interval.
 *
 * Packets of SSRCs the transport does not produce (a sender's probes on an
 * SSRC it never announced) are dropped before any owner and not reported.
 */
#include <stdatomic.h>

#include <rte_cycles.h>

#include "dp.h"
#include "dp_bytes.h"

#define DP_TWCC_INTERVAL_MS 100
#define TWCC_POLL_MS 10
#define TWCC_MAX_PER_POLL 8
#define RR_LEN 8
#define FB_MAX 1200 /* dp_sender_send()'s limit */

void
dp_twcc_rtp(struct dp_worker *w, const struct dp_producer *p, const uint8_t *pkt,
	    const struct dp_rtp *rtp)
{
	/* pairs with main's release store when the transport's first FB_TWCC producer came */
	struct dp_twcc_in *tw =
		atomic_load_explicit(&dp.transports[p->transport].twcc_in, memory_order_acquire);
	const uint8_t *e;
	uint32_t late;
	uint8_t len;

	if (tw == NULL)
		return;
	e = dp_rtp_ext_find(pkt, rtp, p->cfg.twcc_ext_id, &len);
	/* holmer 2: a one-byte element of length 2, the 16-bit number */
	if (e == NULL || len != 2)
		return;
	late = tw->rx.too_late;
	if (!dp_twcc_rx_record(&tw->rx, rd16(e), w->now_ns / 1000, DP_TWCC_BACK_WINDOW_US)) {
		w->stats->ctr[CASCADE_LC_TWCC_LATE] += tw->rx.too_late - late;
		return;
	}
	if (unlikely(!tw->listed) && w->n_twcc < dp.opt.max_transports) {
		w->twcc_list[w->n_twcc].pslot = p->transport;
		w->twcc_list[w->n_twcc].gen = tw->id;
		w->n_twcc++;
		tw->listed = 1;
		tw->next_tsc = w->now_tsc + dp.tsc_hz / 1000 * DP_TWCC_INTERVAL_MS;
		if (w->n_twcc == 1)
			w->twcc_poll_tsc = w->now_tsc;
	}
}

/* What is due for tw (transport tslot), through its producer via. */
static void
send_due(struct dp_worker *w, struct dp_twcc_in *tw, uint32_t tslot)
{
	uint32_t ps = atomic_load_explicit(&tw->via, memory_order_acquire);
	struct dp_producer *p = &dp.producers[ps];
	uint8_t out[FB_MAX];
	unsigned int i, len, n;

	if (!p->in_use || p->transport != tslot)
		return; /* being replaced by main: the next interval sends it */
	for (i = 0; i < TWCC_MAX_PER_POLL && dp_twcc_rx_pending(&tw->rx); i++) {
		dp_rr_header(out, 0, p->rtcp_ssrc);
		len = dp_twcc_rx_build(&tw->rx, p->rtcp_ssrc, p->cfg.ssrc, out + RR_LEN,
				       sizeof(out) - RR_LEN, &n);
		if (len == 0)
			break;
		if (dp_sender_send(w, p, out, (uint16_t)(RR_LEN + len))) {
			w->stats->ctr[CASCADE_LC_TWCC_FEEDBACK_OUT]++;
			w->stats->ctr[CASCADE_LC_TWCC_REPORTED] += n;
		} else {
			w->stats->ctr[CASCADE_LC_TWCC_FEEDBACK_UNSENT]++;
		}
	}
}

void
dp_twcc_poll(struct dp_worker *w)
{
	uint32_t i = 0;

	w->twcc_poll_tsc = w->now_tsc + dp.tsc_hz / 1000 * TWCC_POLL_MS;
	while (i < w->n_twcc) {
		uint32_t tslot = w->twcc_list[i].pslot;
		/* pairs with main's release stores of twcc (made, or NULL before the free) */
		struct dp_twcc_in *tw =
			atomic_load_explicit(&dp.transports[tslot].twcc_in, memory_order_acquire);

		if (tw == NULL || tw->id != w->twcc_list[i].gen) {
			w->twcc_list[i] = w->twcc_list[--w->n_twcc]; /* gone, or made anew */
			continue;
		}
		if (w->now_tsc >= tw->next_tsc) {
			tw->next_tsc = w->now_tsc + dp.tsc_hz / 1000 * DP_TWCC_INTERVAL_MS;
			send_due(w, tw, tslot);
		}
		i++;
	}
}
