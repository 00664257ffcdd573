/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REMB (draft-alvestrand-rmcat-remb-03) for senders that negotiated only
 * goog-remb: the maximum bitrate Cascade asks them to keep under, and the
 * message that says it.
 *
 * The estimate is loss-based, as GCC's loss-based controller
 * (draft-ietf-rmcat-gcc-02 5.4/6): after a report interval with more than 10%
 * lost it drops to (1 - 0.5 loss) of itself, with less than 2% it grows by
 * 5%, in between it holds. It starts at the configured maximum and never
 * goes above it (nor below DP_REMB_MIN_BPS).
 *
 * Leaf module: libc only, pure; any thread.
 */
#ifndef DP_REMB_H
#define DP_REMB_H

#include <stdint.h>

#define DP_REMB_MIN_BPS 30000u /* libwebrtc's congestion controller's floor */
#define DP_REMB_LEN 24         /* PSFB header, 2 SSRCs, "REMB", num/exp/mantissa, one SSRC */

/*
 * The estimate after a report interval whose fraction lost (RFC 3550 6.4.1,
 * 1/256 units) was fraction_lost: est_bps moved as above, within
 * [DP_REMB_MIN_BPS, max_bps]; est_bps 0 (none yet) starts at max_bps.
 */
uint64_t dp_remb_update(uint64_t est_bps, uint64_t max_bps, uint8_t fraction_lost);

/*
 * A REMB (remb 2.2: PSFB FMT 15, media source 0, "REMB", one SSRC, the
 * bitrate as an 18-bit mantissa and 6-bit exponent, rounded down) from
 * sender_ssrc about ssrc, into out[0..DP_REMB_LEN).
 */
void dp_remb_build(uint8_t *out, uint32_t sender_ssrc, uint32_t ssrc, uint64_t bps);

#endif /* DP_REMB_H */
