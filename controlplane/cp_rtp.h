/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTP parameters in mediasoup's JSON shapes: the one check of a producer's
 * RtpParameters and of a receiver's RtpCapabilities, and the negotiation of a
 * consumer between them. Pure functions over jansson values: they never keep
 * a reference, never answer a request, and report what is wrong in a cp_err
 * whose message names the field ("rtpParameters.codecs[1].payloadType: ...").
 * Whatever the parameters come from (an API body, a Redis record, a peer
 * node, the state file) they go through cp_rtp_check() before use, and the
 * negotiation checks its inputs again itself, so no caller can hand it
 * anything that makes it write out of bounds.
 *
 * Rules, in short (every one is unit-tested in tests/unit/test_rtp.c):
 *   RtpParameters: codecs 1..16, each "<kind>/<name>" with a payload type
 *   0..127 used once, a clock rate 1000..1000000, channels 1..8, parameters
 *   of strings and numbers, rtcpFeedback [{type, parameter?}]; RTX codecs name
 *   a media codec of the list in parameters.apt; at least one media codec
 *   (not RTX/RED/FEC); exactly one encoding, with an ssrc (no rid: simulcast
 *   is not supported yet); headerExtensions up to 14 with a uri and an id
 *   1..14 (RFC 8285 one-byte), each id once; rtcp {cname?, reducedSize?, mux?}.
 *   RtpCapabilities: codecs (up to 64) with mimeType, clockRate and
 *   preferredPayloadType 0..127, kind, channels, parameters and rtcpFeedback
 *   as above; headerExtensions (up to 64) with a uri and a preferredId 1..255.
 *
 * Negotiation, as mediasoup's getConsumerRtpParameters():
 *   - codecs: each media codec of the producer, in its order, that the
 *     receiver has (same MIME type, case-insensitive, same clock rate, for
 *     audio the same channels, for H264 the same packetization-mode and
 *     profile, for VP9 the same profile-id) is kept with the receiver's
 *     preferred payload type and the receiver's rtcpFeedback; a second codec
 *     mapping to a payload type already used is left out; RTX, RED and FEC are
 *     not forwarded yet. No codec in common is an error.
 *   - header extensions: each of the producer's that the receiver has (same
 *     uri, its kind if it says one) takes the receiver's preferred id; the
 *     others are not in the answer. So that two elements of a forwarded
 *     packet never share an id, the dataplane's map renumbers every id 1..14 as
 *     a permutation: announced extensions to the receiver's ids, everything
 *     else (extensions the receiver did not announce, ids the producer never
 *     declared) to the ids left over, keeping its own where it is free.
 *   - rtcpFeedback: transport-cc only with the transport-wide-cc extension,
 *     goog-remb only without it and with abs-send-time.
 *   - transport-cc: the producer's transport-wide sequence numbers are the
 *     sender's, never forwarded (its id maps to CASCADE_EXT_TWCC: blanked); a
 *     receiver whose capabilities have the extension and transport-cc
 *     feedback gets the extension at its preferred id with Cascade's own
 *     numbers (twcc_ext_id, an id no other element is renamed to).
 *   - one encoding with the consumer's new SSRC; rtcp {cname of the producer,
 *     reducedSize true, mux as the consumer's transport}.
 *
 * Layer: leaf.
 */
#ifndef CP_RTP_H
#define CP_RTP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <cascade/msg.h>

#include "cp_err.h"

#define CP_RTP_MAX_CODECS 16
#define CP_RTP_MAX_CAPS 64

/* What the control plane needs of a producer's checked RtpParameters. */
struct cp_rtp {
	uint32_t ssrc;       /* encodings[0].ssrc */
	uint32_t clock_rate; /* of the first media codec */
	uint32_t rtx_ssrc;   /* encodings[0].rtx.ssrc, 0 without */
};

/*
 * Check rtp as a producer's RtpParameters of kind (CASCADE_KIND_*); fill out.
 * 0, or -EINVAL with err naming the field ("rtpParameters...").
 */
int cp_rtp_check(const json_t *rtp, uint8_t kind, struct cp_rtp *out, struct cp_err *err);

/* Check caps as RtpCapabilities. 0, or -EINVAL with err naming the field ("rtpCapabilities..."). */
int cp_rtp_caps_check(const json_t *caps, struct cp_err *err);

/*
 * Negotiate a consumer of a producer with RtpParameters rtp of kind, for a
 * receiver with RtpCapabilities caps (NULL: the producer's parameters as they
 * are, payload types and ids kept), its SSRC being ssrc, on a transport with
 * or without rtcp-mux. A codec whose capability has an RTX codec bound to it
 * (apt) gets RTX (RFC 4588) as mediasoup gives it: the RTX codec after the
 * media codec, and encodings[0].rtx.ssrc = rtx_ssrc (0: never RTX). Fills cc's
 * ssrc, pt_map, n_pt_map, ext_map, twcc_ext_id, rtx_ssrc and rtx_pt (the rest of cc
 * untouched) and *out with the consumer's RtpParameters (a new reference).
 * 0, or -EINVAL with err: a bad rtp or caps (named), or no codec in common.
 */
int cp_rtp_negotiate(const json_t *rtp, uint8_t kind, const json_t *caps, uint32_t ssrc,
		     uint32_t rtx_ssrc, bool rtcp_mux, struct cascade_cmd_consumer *cc,
		     json_t **out, struct cp_err *err);

/*
 * A producer's RTX stream (RFC 4588) from its checked RtpParameters rtp, into
 * cmd: encodings[0].rtx.ssrc and each RTX codec's payload type with the one
 * it repairs (apt); none without an RTX SSRC.
 */
void cp_rtp_rtx(const json_t *rtp, struct cascade_cmd_producer *cmd);

/*
 * The RTCP feedback a producer's sender negotiated (CASCADE_FB_*), from its
 * codecs' rtcpFeedback in mediasoup's shape {"type","parameter"}: "nack pli",
 * "ccm fir", "nack". Other entries are not feedback the dataplane sends.
 */
uint8_t cp_rtp_feedback(const json_t *rtp);

/*
 * The congestion feedback Cascade sends a producer's sender, into cmd: with
 * rtcpFeedback "transport-cc" on a codec and the transport-wide sequence
 * number extension (draft-holmer-rmcat-transport-wide-cc-extensions-01, id
 * 1..14) in headerExtensions, CASCADE_FB_TWCC and twcc_ext_id; else, with
 * "goog-remb", CASCADE_FB_REMB (draft-alvestrand-rmcat-remb-03); else neither.
 */
void cp_rtp_congestion(const json_t *rtp, struct cascade_cmd_producer *cmd);

/* A deep copy of checked RtpParameters rtp with encodings[0].ssrc set to ssrc (NULL: no memory). */
json_t *cp_rtp_with_ssrc(const json_t *rtp, uint32_t ssrc);

/* Whether a MIME type is RTX, RED or FEC (repair, not media). */
bool cp_rtp_is_repair(const char *mime);
/* Whether a MIME type ("video/rtx") is RTX (RFC 4588). */
bool cp_rtp_is_rtx(const char *mime);

/* The transport-wide sequence number's header extension (holmer 2). */
#define CP_RTP_URI_TRANSPORT_CC                                                                    \
	"http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

#endif /* CP_RTP_H */
