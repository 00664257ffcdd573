/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Total parsers for the packet path. Each function reads a contiguous buffer
 * whose length it is given and checks every length before the bytes it covers
 * are read: the checks run in wire order, so a check never depends on a byte
 * that an earlier check has not proved present. Every failure sets one named
 * reason and leaves through the function's single drop exit; nothing here
 * allocates, logs or keeps state, so any lcore (and the fuzzers) may call it.
 *
 * Multi-byte fields are read byte by byte in network order: the buffers come
 * from mbufs at arbitrary offsets, so nothing here assumes alignment.
 */
#include <stddef.h>
#include <string.h>

#include <cascade/msg.h>

#include "dp_bytes.h"
#include "dp_parse.h"

#define ETH_HDR_LEN 14
#define VLAN_TAG_LEN 4
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100 /* IEEE 802.1Q C-tag */
#define ETHERTYPE_QINQ 0x88a8 /* IEEE 802.1ad S-tag */

#define IPV4_MIN_HDR_LEN 20
#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff
#define IPV6_HDR_LEN 40
#define IPPROTO_UDP_NUM 17
#define UDP_HDR_LEN 8

#define RTP_HDR_LEN 12
#define RTP_VERSION 2
#define RTCP_HDR_LEN 4
#define RTCP_PT_SR 200
#define RTCP_PT_RR 201
#define RTCP_PT_MIN 192 /* RFC 5761 section 4: RTCP packet types are 192..223 */
#define RTCP_PT_MAX 223
#define RTCP_SR_LEN 28 /* header, SSRC, 20 bytes of sender info (RFC 3550 6.4.1) */
#define RTCP_RR_LEN 8  /* header, SSRC (RFC 3550 6.4.2) */
#define RTCP_RB_LEN 24 /* one report block */

/*
 * IPv6 next-header values that are extension headers (RFC 8200 section 4 and
 * the IANA "IPv6 Extension Header Types" registry): hop-by-hop, routing,
 * fragment, ESP, AH, destination options, mobility, HIP, shim6, experiments.
 */
static bool
is_ipv6_ext_hdr(uint8_t nh)
{
	switch (nh) {
	case 0:
	case 43:
	case 44:
	case 50:
	case 51:
	case 60:
	case 135:
	case 139:
	case 140:
	case 253:
	case 254:
		return true;
	default:
		return false;
	}
}

int
dp_parse_l4(const uint8_t *frame, uint32_t len, struct dp_l4 *l4, enum cascade_drop *why)
{
	enum cascade_drop reason;
	const uint8_t *ip, *udp;
	uint32_t off, ip_hlen, ip_plen, udp_len;
	uint16_t ethertype;

	memset(l4, 0, sizeof(*l4));

	/* IEEE 802.3 clause 3.1.1: destination, source, EtherType/length. */
	if (len < ETH_HDR_LEN) {
		reason = CASCADE_DROP_ETH_TRUNC;
		goto drop;
	}
	ethertype = rd16(frame + 12);
	off = ETH_HDR_LEN;

	/* IEEE 802.1Q clause 9: one 4-byte tag (TPID, TCI) before the real EtherType. */
	if (ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ) {
		if (len < ETH_HDR_LEN + VLAN_TAG_LEN) {
			reason = CASCADE_DROP_ETH_TRUNC;
			goto drop;
		}
		l4->has_vlan = 1;
		l4->vlan_tci = rd16(frame + 14);
		ethertype = rd16(frame + 16);
		off += VLAN_TAG_LEN;
	}
	l4->l3_off = (uint16_t)off;
	ip = frame + off;

	if (ethertype == ETHERTYPE_IPV4) {
		/* RFC 791 section 3.1: the fixed part of the header is 20 bytes. */
		if (len - off < IPV4_MIN_HDR_LEN) {
			reason = CASCADE_DROP_IP4_TRUNC;
			goto drop;
		}
		/* RFC 791 section 3.1: Version 4; IHL counts 32-bit words, minimum 5. */
		ip_hlen = (uint32_t)(ip[0] & 0x0f) * 4;
		if ((ip[0] >> 4) != 4 || ip_hlen < IPV4_MIN_HDR_LEN) {
			reason = CASCADE_DROP_IP4_HDR;
			goto drop;
		}
		/* RFC 791 section 3.1: options run to IHL * 4 bytes. */
		if (ip_hlen > len - off) {
			reason = CASCADE_DROP_IP4_TRUNC;
			goto drop;
		}
		/* RFC 791 section 3.1: Total Length covers header and data. */
		if (rd16(ip + 2) < ip_hlen) {
			reason = CASCADE_DROP_IP4_HDR;
			goto drop;
		}
		/* Bytes past Total Length are Ethernet padding (IEEE 802.3 minimum frame). */
		if (rd16(ip + 2) > len - off) {
			reason = CASCADE_DROP_IP4_TRUNC;
			goto drop;
		}
		/* RFC 791 section 3.2: MF set or a non-zero offset is a fragment. */
		if ((rd16(ip + 6) & (IPV4_MF | IPV4_OFFSET_MASK)) != 0) {
			reason = CASCADE_DROP_IP4_FRAG;
			goto drop;
		}
		/* RFC 768 / IANA protocol numbers: UDP is 17. */
		if (ip[9] != IPPROTO_UDP_NUM) {
			reason = CASCADE_DROP_NOT_UDP;
			goto drop;
		}
		ip_plen = rd16(ip + 2) - ip_hlen;
		l4->family = CASCADE_AF_INET;
		memcpy(l4->src_ip, ip + 12, 4);
		memcpy(l4->dst_ip, ip + 16, 4);
	} else if (ethertype == ETHERTYPE_IPV6) {
		/* RFC 8200 section 3: the fixed header is 40 bytes. */
		if (len - off < IPV6_HDR_LEN) {
			reason = CASCADE_DROP_IP6_TRUNC;
			goto drop;
		}
		/* RFC 8200 section 3: Version 6. */
		if ((ip[0] >> 4) != 6) {
			reason = CASCADE_DROP_IP6_HDR;
			goto drop;
		}
		/* RFC 8200 section 3: Payload Length counts the bytes after the fixed header. */
		ip_hlen = IPV6_HDR_LEN;
		ip_plen = rd16(ip + 4);
		if (ip_plen > len - off - IPV6_HDR_LEN) {
			reason = CASCADE_DROP_IP6_TRUNC;
			goto drop;
		}
		/* RFC 8200 section 4: extension headers are refused, not walked. */
		if (is_ipv6_ext_hdr(ip[6])) {
			reason = CASCADE_DROP_IP6_HDR;
			goto drop;
		}
		if (ip[6] != IPPROTO_UDP_NUM) {
			reason = CASCADE_DROP_NOT_UDP;
			goto drop;
		}
		l4->family = CASCADE_AF_INET6;
		memcpy(l4->src_ip, ip + 8, 16);
		memcpy(l4->dst_ip, ip + 24, 16);
	} else {
		reason = CASCADE_DROP_ETH_TYPE;
		goto drop;
	}

	off += ip_hlen;
	udp = frame + off;
	/* RFC 768: the UDP header is 8 bytes, inside the IP payload. */
	if (ip_plen < UDP_HDR_LEN) {
		reason = CASCADE_DROP_UDP_TRUNC;
		goto drop;
	}
	/* RFC 768: Length counts the header, so it is at least 8. */
	udp_len = rd16(udp + 4);
	if (udp_len < UDP_HDR_LEN) {
		reason = CASCADE_DROP_UDP_LEN;
		goto drop;
	}
	/* RFC 768: the datagram cannot be longer than the IP payload that carries it. */
	if (udp_len > ip_plen) {
		reason = CASCADE_DROP_UDP_TRUNC;
		goto drop;
	}

	l4->l4_off = (uint16_t)off;
	l4->payload_off = (uint16_t)(off + UDP_HDR_LEN);
	l4->payload_len = (uint16_t)(udp_len - UDP_HDR_LEN);
	memcpy(&l4->src_port_be, udp, 2);
	memcpy(&l4->dst_port_be, udp + 2, 2);
	return 0;

drop:
	*why = reason;
	return -1;
}

enum dp_class
dp_parse_demux(const uint8_t *p, uint32_t len)
{
	uint8_t b;

	if (len == 0)
		return DP_CLASS_UNKNOWN;
	b = p[0];
	/* RFC 7983 section 7: the first byte picks the protocol. */
	if (b <= 3)
		return DP_CLASS_STUN;
	if (b >= 20 && b <= 63)
		return DP_CLASS_DTLS;
	if (b >= 128 && b <= 191) {
		/*
		 * RFC 5761 section 4: with the marker bit, RTCP packet types 192..223
		 * occupy the second byte's values 192..223. A 1-byte payload has no
		 * second byte: call it RTP and let dp_parse_rtp() refuse it as short.
		 */
		if (len >= 2 && p[1] >= RTCP_PT_MIN && p[1] <= RTCP_PT_MAX)
			return DP_CLASS_RTCP;
		return DP_CLASS_RTP;
	}
	/* 16..19 ZRTP, 64..79 TURN channels, the rest unassigned. */
	return DP_CLASS_UNKNOWN;
}

int
dp_parse_rtp(const uint8_t *p, uint32_t len, struct dp_rtp *rtp, enum cascade_drop *why)
{
	enum cascade_drop reason;
	uint32_t hdr_len, ext_len, pad_len = 0;

	memset(rtp, 0, sizeof(*rtp));

	/* RFC 3550 5.1: the fixed header is 12 bytes. No UDP payload exceeds 65535. */
	if (len < RTP_HDR_LEN || len > UINT16_MAX) {
		reason = CASCADE_DROP_RTP_TRUNC;
		goto drop;
	}
	/* RFC 3550 5.1: "version (V): 2 bits ... The version defined by this specification is two". */
	if ((p[0] >> 6) != RTP_VERSION) {
		reason = CASCADE_DROP_RTP_VERSION;
		goto drop;
	}
	/* RFC 3550 5.1: CC counts the 32-bit CSRC identifiers after the fixed header. */
	hdr_len = RTP_HDR_LEN + 4u * (p[0] & 0x0f);
	if (hdr_len > len) {
		reason = CASCADE_DROP_RTP_CSRC;
		goto drop;
	}
	if (p[0] & 0x10) {
		/* RFC 3550 5.3.1: the extension starts with profile and length words. */
		if (len - hdr_len < 4) {
			reason = CASCADE_DROP_RTP_EXT;
			goto drop;
		}
		rtp->ext_off = (uint16_t)hdr_len;
		rtp->ext_profile = rd16(p + hdr_len);
		/* RFC 3550 5.3.1: length counts 32-bit words after those 4 bytes. */
		ext_len = 4u * rd16(p + hdr_len + 2);
		hdr_len += 4;
		if (ext_len > len - hdr_len) {
			reason = CASCADE_DROP_RTP_EXT;
			goto drop;
		}
		rtp->ext_len = (uint16_t)ext_len;
		hdr_len += ext_len;
	}
	if (p[0] & 0x20) {
		/*
		 * RFC 3550 5.1: "The last octet of the padding contains a count of how
		 * many padding octets should be ignored, including itself"; it may not
		 * reach back into the header.
		 */
		pad_len = p[len - 1];
		if (pad_len == 0 || pad_len > len - hdr_len) {
			reason = CASCADE_DROP_RTP_PADDING;
			goto drop;
		}
	}

	rtp->hdr_len = (uint16_t)hdr_len;
	rtp->payload_len = (uint16_t)(len - hdr_len - pad_len);
	rtp->pad_len = (uint8_t)pad_len;
	rtp->marker = p[1] >> 7;
	rtp->pt = p[1] & 0x7f;
	rtp->csrc_count = p[0] & 0x0f;
	rtp->seq = rd16(p + 2);
	rtp->ts = rd32(p + 4);
	rtp->ssrc = rd32(p + 8);
	return 0;

drop:
	*why = reason;
	return -1;
}

int
dp_parse_rtcp(const uint8_t *p, uint32_t len, bool reduced_size, struct dp_rtcp *rtcp,
	      enum cascade_drop *why)
{
	enum cascade_drop reason;
	uint32_t off = 0, pkt_len, body_len, need;
	unsigned int n = 0;
	uint8_t pt;

	memset(rtcp, 0, sizeof(*rtcp));

	/* RFC 3550 6.4.1: every RTCP packet is a 4-byte header and whole 32-bit words. */
	if (len < RTCP_HDR_LEN || len % 4 != 0) {
		reason = CASCADE_DROP_RTCP_TRUNC;
		goto drop;
	}
	/*
	 * RFC 3550 A.2: the first packet is SR or RR. RFC 5506 lifts that for
	 * reduced-size RTCP; the type must still be an RTCP one (RFC 5761 section 4).
	 */
	pt = p[1];
	if (reduced_size ? (pt < RTCP_PT_MIN || pt > RTCP_PT_MAX)
			 : (pt != RTCP_PT_SR && pt != RTCP_PT_RR)) {
		reason = CASCADE_DROP_RTCP_TRUNC;
		goto drop;
	}
	rtcp->first_pt = pt;

	while (off < len) {
		/* len - off is a non-zero multiple of 4, so the 4-byte header is present. */
		/* RFC 3550 A.2: every packet of the compound is version 2. */
		if ((p[off] >> 6) != RTP_VERSION) {
			reason = CASCADE_DROP_RTP_VERSION;
			goto drop;
		}
		/* RFC 3550 6.4.1: length is the packet's 32-bit words minus one. */
		pkt_len = 4u * ((uint32_t)rd16(p + off + 2) + 1);
		if (pkt_len > len - off) {
			reason = CASCADE_DROP_RTCP_TRUNC;
			goto drop;
		}
		body_len = pkt_len;
		if (p[off] & 0x20) {
			/*
			 * RFC 3550 A.2: padding "should only be applied, if it is needed,
			 * to the last packet"; its last byte counts the padding bytes,
			 * itself included, and cannot reach into the 4-byte header.
			 */
			if (off + pkt_len != len || p[len - 1] == 0 ||
			    p[len - 1] > pkt_len - RTCP_HDR_LEN) {
				reason = CASCADE_DROP_RTCP_TRUNC;
				goto drop;
			}
			body_len -= p[len - 1];
		}
		/*
		 * RFC 3550 6.4.1 and 6.4.2: SR and RR carry the sender SSRC (and for SR
		 * 20 bytes of sender info) and RC report blocks of 24 bytes.
		 */
		pt = p[off + 1];
		if (pt == RTCP_PT_SR || pt == RTCP_PT_RR) {
			need = (pt == RTCP_PT_SR ? RTCP_SR_LEN : RTCP_RR_LEN) +
			       RTCP_RB_LEN * (uint32_t)(p[off] & 0x1f);
			if (need > body_len) {
				reason = CASCADE_DROP_RTCP_TRUNC;
				goto drop;
			}
		}
		if (n == 0 && body_len >= RTCP_HDR_LEN + 4)
			rtcp->ssrc = rd32(p + off + 4);
		if (n < UINT8_MAX)
			n++;
		off += pkt_len;
	}
	/* RFC 3550 A.2: the packet lengths sum to the datagram's (off == len here). */
	rtcp->n_packets = (uint8_t)n;
	return 0;

drop:
	*why = reason;
	return -1;
}

const uint8_t *
dp_rtp_ext_find(const uint8_t *p, const struct dp_rtp *rtp, uint8_t id, uint8_t *len)
{
	const uint8_t *e;
	uint32_t off = 0, n, el_id, el_len;
	bool two_byte;

	if (rtp->ext_off == 0 || id == 0)
		return NULL;
	/* RFC 8285 4.2: 0xBEDE one-byte; 4.3: 0x100 in the top 12 bits, two-byte */
	if (rtp->ext_profile == 0xbede)
		two_byte = false;
	else if ((rtp->ext_profile & 0xfff0) == 0x1000)
		two_byte = true;
	else
		return NULL;
	e = p + rtp->ext_off + 4;
	n = rtp->ext_len;
	while (off < n) {
		if (e[off] == 0) { /* RFC 8285 4.2, 4.3: padding bytes */
			off++;
			continue;
		}
		if (!two_byte) {
			el_id = e[off] >> 4;
			if (el_id == 15)
				return NULL; /* RFC 8285 4.2: stop processing */
			el_len = (e[off] & 0x0f) + 1u;
			off += 1;
		} else {
			if (off + 2 > n)
				return NULL;
			el_id = e[off];
			el_len = e[off + 1];
			off += 2;
		}
		if (el_len > n - off)
			return NULL; /* past the block: malformed */
		if (el_id == id) {
			*len = (uint8_t)el_len;
			return e + off;
		}
		off += el_len;
	}
	return NULL;
}
