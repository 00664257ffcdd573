/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RTCP stages' entry points (dp.h's other half, included by it): what
 * consumers' receivers ask for (dp_nack.c), RTCP towards consumers and their
 * reports (dp_rtcp.c), RTCP towards producers' senders (dp_sender.c), and
 * transport-cc both ways (dp_twcc_out.c, dp_twcc_in.c).
 */
#ifndef DP_FEEDBACK_H
#define DP_FEEDBACK_H

#include "dp.h"

/* ---- dp_nack.c: consumers' feedback, NACKs to senders (the producer's owning lcore) ---- */

/*
 * A retransmission buffer's companion: what its producer's sender is missing
 * (in the same allocation, after the buffer; dp_table_rtx.c).
 */
static inline struct dp_nackgen *
dp_rtx_nackgen(struct dp_rtxbuf *b)
{
	return (struct dp_nackgen *)((uint8_t *)b +
				     RTE_ALIGN_CEIL(dp_rtxbuf_size(b->mask + 1), RTE_CACHE_LINE_SIZE));
}

/*
 * Producer p (slot pslot, its buffer rtx) received RTP packet seq: note what
 * its sender did not send (when it negotiated NACK), to ask for it.
 */
void dp_nack_rtp(struct dp_worker *w, struct dp_producer *p, uint32_t pslot, struct dp_rtxbuf *rtx,
		 uint16_t seq);
/*
 * Producer p's RTX packet m (RFC 4588 4; l4 and rtp parsed from it), on its
 * owning lcore: made the media packet it repairs, in place (the original
 * sequence number taken out, the media SSRC and payload type (apt) put in;
 * l4 and rtp follow). False when it was dropped: padding only, or a payload
 * type p did not declare as RTX (counted).
 */
bool dp_rtx_unwrap(struct dp_worker *w, const struct dp_producer *p, struct rte_mbuf *m,
		   struct dp_l4 *l4, struct dp_rtp *rtp);
/* NACK the senders whose missing packets are due. Worker lcore; when nack_poll_tsc passed. */
void dp_nack_poll(struct dp_worker *w);

/*
 * Consumer cslot's RTCP packet m (parsed by classify, l4 its offsets) on the
 * lcore that owns its producer pslot: its PLI/FIR become a keyframe request,
 * its NACKs are answered from the retransmission buffer. Counts and drops m.
 */
void dp_nack_feedback(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4,
		      uint32_t pslot, uint32_t cslot);

/* ---- dp_rtcp.c: RTCP towards consumers and their reports (the producer's owning lcore) ---- */

/* Send producer p's sender report m to each consumer as a single SR; consumes m. */
void dp_fanout_rtcp(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4,
		    const struct dp_producer *p, uint32_t pslot);

struct dp_rtcp_report; /* dp_rtcp_fb.h */
/*
 * Report block rb, in a receiver's RTCP that arrived on transport tslot (l4:
 * its addresses; a pipe's consumers are found by the peer too) and was handed
 * to this lcore: when rb names a consumer whose producer this lcore owns, its
 * figures and the round trip go to the consumer's RTCP record in the segment
 * (receiver_reports_in). Anything else is left alone. Worker lcore.
 */
void dp_rtcp_report(struct dp_worker *w, uint32_t tslot, const struct dp_l4 *l4,
		    const struct dp_rtcp_report *rb);

/* ---- dp_twcc_out.c: transport-cc towards consumers' receivers (any worker lcore) ---- */

/*
 * Put Cascade's transport-wide sequence number into consumer k's copy: its
 * RTP header rtp[0..hdr_len), accepted by dp_rtp_rewrite() and with 8 bytes
 * to grow (DP_TWCC_GROW), rest bytes following it (OSN, payload). Returns the
 * header's new length; hdr_len unchanged when the block has no room for it
 * (counted twcc_unstamped). Call only for k->cfg.twcc_ext_id != 0.
 */
uint16_t dp_twcc_put(struct dp_worker *w, const struct dp_consumer *k,
		     const struct dp_transport *tp, uint8_t *rtp, uint16_t hdr_len, uint32_t rest);
#define DP_TWCC_GROW 8

/*
 * A receiver's transport-cc feedback fci[0..len) on transport tslot: read
 * into its estimate and its segment record when this lcore gets the
 * transport's feedback lock (counted otherwise: busy, malformed, or a
 * transport without transport-cc consumers). Worker lcore.
 */
void dp_twcc_feedback_in(struct dp_worker *w, uint32_t tslot, const uint8_t *fci, uint16_t len);

/* ---- dp_sender.c: RTCP towards producers' senders (the producer's owning lcore) ---- */

/*
 * One RTP packet of p received (already parsed): its receiver statistics, and
 * an RR to its sender when the report interval has passed. Owner lcore.
 */
void dp_sender_rtp(struct dp_worker *w, struct dp_producer *p, const struct dp_rtp *rtp);
/* p's sender report sr (a valid SR, 28 bytes or more) arrived at now_ns: its NTP time. */
void dp_sender_sr(struct dp_producer *p, const uint8_t *sr, uint64_t now_ns);
/* Send the receiver reports that are due. Worker lcore; called every few ms. */
void dp_sender_poll(struct dp_worker *w);

/*
 * A keyframe request for producer p (slot pslot): sent to its sender now as
 * PLI or FIR, or, within --keyframe-interval-ms of the last one, merged into
 * one sent when the interval ends. Worker lcore that owns p.
 */
void dp_keyframe_request(struct dp_worker *w, struct dp_producer *p, uint32_t pslot);
/*
 * Queue the RTCP compound body[0..len) (at most 1200 bytes) towards producer
 * p's sender. False when it cannot go (an SRTP pipe, no remote or MAC yet, no
 * mbuf, no route).
 */
bool dp_sender_send(struct dp_worker *w, const struct dp_producer *p, const uint8_t *body,
		    uint16_t len);
/* Send the merged requests whose interval has ended. Worker lcore; once per loop. */
void dp_keyframe_poll(struct dp_worker *w);
/*
 * Where RTCP to transport tp's remote goes (the RTCP remote when it has one,
 * connected or learned: symmetric RTCP, RFC 4961; else with rtcp-mux the
 * remote, without it the remote's port + 1 per RFC 3550 11), from which local
 * address. False when tp has no remote yet. Any lcore.
 */
bool dp_rtcp_dest(const struct dp_transport *tp, const struct dp_peer *peer,
		  const struct cascade_addr **src, struct cascade_addr *dst);

/* RFC 3550 6.4.2: an RR header from ssrc with rc report blocks to follow (8 bytes). */
void dp_rr_header(uint8_t *out, unsigned int rc, uint32_t ssrc);
/* ---- dp_twcc_in.c: transport-cc feedback to senders (the transport's FB_TWCC owner) ---- */
/*
 * RTP packet pkt (rtp parsed, after SRTP) of producer p, which negotiated
 * transport-cc, arrived: its transport-wide sequence number is recorded.
 * Owner lcore, before RTX unwrapping and duplicate drops (each packet has its
 * own number).
 */
void dp_twcc_rtp(struct dp_worker *w, const struct dp_producer *p, const uint8_t *pkt,
		 const struct dp_rtp *rtp);
/* Send the transport-cc feedback that is due. Worker lcore; when twcc_poll_tsc passed. */
void dp_twcc_poll(struct dp_worker *w);

#endif /* DP_FEEDBACK_H */
