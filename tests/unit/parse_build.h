/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets for the parser's unit tests (test_parse_l4.c, test_parse.c), built
 * field by field here rather than from the parser's own constants: frames of
 * Ethernet (an optional 802.1Q or 802.1ad tag), IPv4 or IPv6 and UDP around a
 * payload, RTP packets with every optional part, RTCP packets and compounds.
 */
#ifndef PARSE_BUILD_H
#define PARSE_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include <cascade/counters.h>

#include "dp_parse.h"

#define BUF_SIZE 2048

enum {
	VLAN_NONE = 0,
	VLAN_8021Q = 0x8100,
	VLAN_8021AD = 0x88a8
};

/* A frame and where its layers start, as the builder laid them out. */
struct frame {
	uint8_t b[BUF_SIZE];
	uint32_t len;
	uint32_t l3_off, l4_off, payload_off, payload_len;
	bool ipv6;
};

/* Where an RTP packet's parts end, as the builder laid them out. */
struct rtp_layout {
	uint32_t len;
	uint32_t csrc_end; /* 12 + 4 * CC */
	uint32_t ext_end;  /* end of the extension data; csrc_end without X */
	uint32_t pad;      /* padding bytes, 0 without P */
};

struct rtp_opts {
	uint8_t version;
	uint8_t pt;
	uint8_t marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t cc;
	bool ext;
	uint16_t ext_profile;
	uint16_t ext_words;
	uint32_t payload_len;
	uint8_t pad;
};

/* The frames' addresses: 198.18.0.1 -> 198.18.0.2, 2001:db8::1 -> 2001:db8::2. */
extern const uint8_t ip4_src[4], ip4_dst[4], ip6_src[16], ip6_dst[16];

/*
 * An RTP packet into b, its parts' ends in lay. Payload bytes are 0xee: read
 * as a padding count they are larger than any payload here, so a cut inside
 * the payload of a padded packet must be refused.
 */
uint32_t build_rtp(uint8_t *b, const struct rtp_opts *o, struct rtp_layout *lay);
/* Ethernet (+ tag) / IPv4 or IPv6 / UDP around payload[0..plen), checksums right. */
void build_frame(struct frame *f, uint16_t vlan_tpid, bool ipv6, const uint8_t *payload,
		 uint32_t plen);
/* The IP header of f, for tests that break one of its fields. */
uint8_t *ip_of(struct frame *f);
/* dp_parse_l4() on f's first len bytes. */
int parse_l4(const struct frame *f, uint32_t len, struct dp_l4 *l4, enum cascade_drop *why);
/* dp_parse_l4() refuses all of f for expect. */
void assert_l4_drop(const struct frame *f, enum cascade_drop expect);

/* Plain RTP, 160 bytes of payload, as an audio packet would be. */
uint32_t rtp_plain(uint8_t *b, struct rtp_layout *lay);
/* CSRCs, a one-byte extension block, marker, padding: every optional part. */
uint32_t rtp_full(uint8_t *b, struct rtp_layout *lay);
/* Padding only: the P-bit check runs right after the fixed header. */
uint32_t rtp_padded(uint8_t *b, struct rtp_layout *lay);
/* Extension with zero words: the block is just its 4-byte header. */
uint32_t rtp_empty_ext(uint8_t *b, struct rtp_layout *lay);

/* RFC 3550 6.4.1: SR, sender SSRC, 20 bytes of sender info, rc report blocks. */
uint32_t put_sr(uint8_t *b, uint32_t ssrc, uint8_t rc);
/* RFC 3550 6.4.2: RR, sender SSRC, rc report blocks. */
uint32_t put_rr(uint8_t *b, uint32_t ssrc, uint8_t rc);
/* RFC 3550 6.5: one chunk with a CNAME item, null-terminated, padded to 32 bits. */
uint32_t put_sdes(uint8_t *b, uint32_t ssrc);
/* RFC 3550 6.6: BYE for one SSRC. */
uint32_t put_bye(uint8_t *b, uint32_t ssrc);
/* RFC 4585 6.3.1: PLI, the usual reduced-size packet. */
uint32_t put_pli(uint8_t *b, uint32_t sender, uint32_t media);
/* An SR with one report block, then an SDES. */
uint32_t rtcp_sr_sdes(uint8_t *b);

/*
 * A copy of p[0..n) in a heap block of exactly n bytes, for ASan to guard.
 * malloc(0) gives a block where even p[0] is out of bounds (or NULL, which a
 * parser given len 0 must not touch either).
 */
uint8_t *exact_copy(const uint8_t *p, uint32_t n);

#endif /* PARSE_BUILD_H */
