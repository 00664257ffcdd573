/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport-wide congestion control towards consumers' receivers
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01), the dataplane's half;
 * the arithmetic is the leaf dp_twcc_tx.c's.
 *
 * Stamping: every copy the fan-out makes for a consumer that negotiated
 * transport-cc (RTP, RTX, a NACK's resend) carries Cascade's transport-wide
 * sequence number, taken from its transport's one counter. The consumers of
 * one transport may belong to producers owned by different lcores, so the
 * counter is an atomic add on a cache line of its own (dp_twcc_stamp); only
 * these consumers' packets pay for it. The number is taken once the copy's
 * header is laid out; a copy lost after that (no mbuf for its clone, no route)
 * shows to the receiver as a lost packet, as it is.
 *
 * Feedback: the receiver's transport-cc (RTPFB FMT 15) is read on the lcore
 * that classifies its RTCP, under the transport's trylock (dp.h struct
 * dp_twcc_out), into the estimate and the transport's record in the segment,
 * which /v1/stats, /metrics and cascadectl show with each of its consumers.
 */
#include <stdatomic.h>

#include "dp.h"
#include "dp_bytes.h"

uint16_t
dp_twcc_put(struct dp_worker *w, const struct dp_consumer *k, const struct dp_transport *tp,
	    uint8_t *rtp, uint16_t hdr_len, uint32_t rest)
{
	/* set by main before the consumer was published; pairs with its release store */
	struct dp_twcc_out *t = atomic_load_explicit(&tp->twcc_out, memory_order_acquire);
	uint16_t at;
	int n;

	if (unlikely(t == NULL))
		return hdr_len;
	n = dp_rtp_twcc_room(rtp, hdr_len, k->cfg.twcc_ext_id, &at);
	if (unlikely(n < 0)) {
		w->stats->ctr[CASCADE_LC_TWCC_UNSTAMPED]++;
		return hdr_len;
	}
	wr16(rtp + at, dp_twcc_stamp(&t->tx, (uint32_t)n + rest, w->now_ns / 1000));
	w->stats->ctr[CASCADE_LC_TWCC_STAMPED]++;
	return (uint16_t)n;
}

/* Sequence lock, writer side (the reader is cascade_seg_transport_twcc); under fb_lock. */
static void
record_write(struct cascade_transport_twcc *r, const struct dp_twcc_tx *tx, uint64_t now_ns)
{
	uint32_t s = atomic_load_explicit(&r->seq, memory_order_relaxed);

	atomic_store_explicit(&r->seq, s + 1, memory_order_relaxed);
	/* pairs with the reader's acquire fence before it re-reads seq */
	atomic_thread_fence(memory_order_release);
	r->feedbacks = atomic_load_explicit(&tx->feedbacks, memory_order_relaxed);
	r->available_bps = dp_twcc_estimate(tx);
	r->acked_bps = atomic_load_explicit(&tx->acked_bps, memory_order_relaxed);
	r->reported = atomic_load_explicit(&tx->reported, memory_order_relaxed);
	r->lost = atomic_load_explicit(&tx->lost, memory_order_relaxed);
	r->updated_ns = now_ns;
	/* pairs with the reader's acquire load of seq before it copies the record */
	atomic_store_explicit(&r->seq, s + 2, memory_order_release);
}

void
dp_twcc_feedback_in(struct dp_worker *w, uint32_t tslot, const uint8_t *fci, uint16_t len)
{
	/* pairs with main's release store when the first transport-cc consumer came */
	struct dp_twcc_out *t = atomic_load_explicit(&dp.transports[tslot].twcc_out, memory_order_acquire);

	if (t == NULL) {
		w->stats->ctr[CASCADE_LC_TWCC_FEEDBACKS_UNSOUGHT]++;
		return;
	}
	if (!rte_spinlock_trylock(&t->fb_lock)) {
		w->stats->ctr[CASCADE_LC_TWCC_FEEDBACKS_BUSY]++;
		return;
	}
	if (dp_twcc_feedback(&t->tx, fci, len, w->now_ns / 1000) != DP_TWCC_OK) {
		w->stats->ctr[CASCADE_LC_TWCC_FEEDBACKS_BAD]++;
	} else {
		record_write(&dp.transport_twcc[tslot], &t->tx, w->now_ns);
		w->stats->ctr[CASCADE_LC_TWCC_FEEDBACKS_IN]++;
	}
	rte_spinlock_unlock(&t->fb_lock);
}
