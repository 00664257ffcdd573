/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Total parsers for the packet path: Ethernet (+ one 802.1Q/802.1ad tag),
 * IPv4, IPv6, UDP, the RFC 7983 first-byte demux, the RFC 5761 RTP/RTCP demux,
 * RTP (RFC 3550 5.1, RFC 8285 extensions) and RTCP compound validity
 * (RFC 3550 A.2). They read a contiguous byte buffer (the first mbuf segment)
 * and never touch memory past len; every failure names a cascade_drop reason.
 *
 * Leaf module: libc and include/cascade/ only, so unit tests and fuzzers link
 * it without DPDK. Any thread; no state.
 */
#ifndef DP_PARSE_H
#define DP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include <cascade/counters.h>

/* What the UDP payload is, by its first byte(s). */
enum dp_class {
	DP_CLASS_RTP = 1,
	DP_CLASS_RTCP,
	DP_CLASS_STUN,    /* RFC 7983: 0..3 */
	DP_CLASS_DTLS,    /* RFC 7983: 20..63 */
	DP_CLASS_UNKNOWN, /* ZRTP, TURN channel, anything else */
};

struct dp_l4 {
	uint16_t l3_off;      /* IP header offset in the frame */
	uint16_t l4_off;      /* UDP header offset */
	uint16_t payload_off; /* UDP payload offset */
	uint16_t payload_len; /* UDP payload length, from the UDP length field */
	uint16_t vlan_tci;    /* host order; valid when has_vlan */
	uint8_t has_vlan;
	uint8_t family;     /* CASCADE_AF_INET or CASCADE_AF_INET6 */
	uint8_t src_ip[16]; /* network order; IPv4 in [0..3], rest zero */
	uint8_t dst_ip[16];
	uint16_t src_port_be;
	uint16_t dst_port_be;
};

struct dp_rtp {
	uint16_t hdr_len;     /* fixed header + CSRCs + extension */
	uint16_t payload_len; /* bytes after hdr_len, padding excluded */
	uint8_t pad_len;      /* padding bytes at the end (0 if P bit clear) */
	uint8_t pt;
	uint8_t marker;
	uint8_t csrc_count;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint16_t ext_off;     /* offset of the extension header (profile word); 0 = none */
	uint16_t ext_len;     /* bytes of extension data after its 4-byte header */
	uint16_t ext_profile; /* 0xBEDE one-byte, 0x100x two-byte (RFC 8285), other */
};

struct dp_rtcp {
	uint32_t ssrc;     /* sender SSRC of the first packet; 0 if it has none (4 bytes) */
	uint8_t first_pt;  /* 200 SR or 201 RR (RFC 3550 A.2); others per RFC 5506 */
	uint8_t n_packets; /* packets in the compound, saturating at 255 */
};

/*
 * Parse Ethernet/VLAN/IP/UDP of frame[0..len). Fragments, IPv6 extension
 * headers and non-UDP are refused. IP and UDP lengths must fit in len (trailing
 * Ethernet padding is allowed and ignored). Returns 0 and fills *l4, or -1 with
 * the reason in *why.
 */
int dp_parse_l4(const uint8_t *frame, uint32_t len, struct dp_l4 *l4, enum cascade_drop *why);

/*
 * Classify a UDP payload by RFC 7983's first-byte ranges and, for 128..191, by
 * RFC 5761 section 4: second byte (PT with marker) 192..223 is RTCP. len 0 is
 * DP_CLASS_UNKNOWN.
 */
enum dp_class dp_parse_demux(const uint8_t *p, uint32_t len);

/*
 * Parse an RTP packet of len bytes: version 2, CSRC list, extension header and
 * its length, padding (count non-zero and not past the payload). len must be a
 * UDP payload length (at most 65535, so the uint16_t fields hold it); a longer
 * buffer is refused as RTP_TRUNC. Returns 0 or -1 with *why (RTP_TRUNC,
 * RTP_VERSION, RTP_CSRC, RTP_EXT, RTP_PADDING).
 */
int dp_parse_rtp(const uint8_t *p, uint32_t len, struct dp_rtp *rtp, enum cascade_drop *why);

/*
 * The RFC 8285 header extension element id (1..14 one-byte, 1..255 two-byte)
 * of RTP packet p, parsed by dp_parse_rtp() into *rtp: its data and, in
 * *len, its length; NULL when the packet has no such element (or no
 * RFC 8285 extension block, or a malformed one up to the element).
 */
const uint8_t *dp_rtp_ext_find(const uint8_t *p, const struct dp_rtp *rtp, uint8_t id,
			       uint8_t *len);

/*
 * Validate an RTCP compound packet (RFC 3550 A.2): every packet version 2, its
 * length within the buffer, the lengths summing to len, padding only on the
 * last; the first packet SR or RR, or any RTCP type (192..223) if reduced_size
 * (RFC 5506). Every SR and RR must also be long enough for its report count
 * (RFC 3550 6.4.1, 6.4.2). Returns 0 or -1 with *why (RTCP_TRUNC, RTP_VERSION).
 */
int dp_parse_rtcp(const uint8_t *p, uint32_t len, bool reduced_size, struct dp_rtcp *rtcp,
		  enum cascade_drop *why);

#endif /* DP_PARSE_H */
