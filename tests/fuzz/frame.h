/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames for the dataplane's tests and fuzz targets, written and checked
 * here rather than with the dataplane's own helpers: Ethernet (with an
 * optional 802.1Q tag), IPv4 or IPv6, UDP around a payload; RTP and RTCP
 * packets to carry; and the RFC 1071 sums that check an egress frame's IPv4
 * header and UDP checksums.
 *
 * Leaf: libc and include/cascade/ only. Any thread; no state.
 */
#ifndef FRAME_H
#define FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cascade/msg.h>

struct frame_spec {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	int vlan;                     /* VLAN id of an 802.1Q tag, or -1 for none */
	struct cascade_addr src, dst; /* one family: src's */
	bool no_cksum;                /* IPv4: the UDP checksum sent as 0 (none) */
	uint16_t eth_pad;             /* bytes of Ethernet padding after the IP packet */
};

/*
 * Write the frame of s carrying payload[0..len) as its UDP payload into
 * buf[0..cap). Returns its length, or 0 when it does not fit.
 */
uint32_t frame_build(uint8_t *buf, uint32_t cap, const struct frame_spec *s, const uint8_t *payload,
		     uint16_t len);

/* RFC 1071: add p[0..n) as big-endian 16-bit words (an odd last byte padded) to sum. */
uint32_t frame_sum16(const uint8_t *p, size_t n, uint32_t sum);
/* Fold a sum to 16 bits (0xffff when the summed bytes held their own checksum). */
uint16_t frame_fold(uint32_t sum);
/* The sum of the UDP pseudo header (RFC 768, RFC 8200 8.1) and the datagram udp[0..udp_len). */
uint32_t frame_udp_sum(uint8_t family, const uint8_t *src_ip, const uint8_t *dst_ip,
		       const uint8_t *udp, uint16_t udp_len);

/* Big-endian reads and writes. */
uint16_t frame_rd16(const uint8_t *p);
uint32_t frame_rd32(const uint8_t *p);
void frame_wr16(uint8_t *p, uint16_t v);
void frame_wr32(uint8_t *p, uint32_t v);

/* An RTP packet at p: V=2, pt, seq, ts, ssrc, then payload_len bytes of (seq + i). */
uint16_t frame_rtp(uint8_t *p, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
		   uint16_t payload_len);
/* An RTCP receiver report (RC=0) from ssrc at p. Returns 8. */
uint16_t frame_rr(uint8_t *p, uint32_t ssrc);
/*
 * An RTCP compound at p: a sender report from ssrc (with one report block,
 * NTP time 0xe1000000.80000000, RTP timestamp rtp_ts, packet count 7, octet
 * count 7000) followed by an SDES chunk. Returns its length, 64.
 */
uint16_t frame_sr_compound(uint8_t *p, uint32_t ssrc, uint32_t rtp_ts);

#endif /* FRAME_H */
