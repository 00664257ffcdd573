/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the packet path's parsers and the header rewrite. Each
 * input is used twice: as a whole Ethernet frame (dp_parse_l4, then the demux
 * and the RTP or RTCP parser on its UDP payload) and as a bare UDP payload, so
 * the RTP/RTCP parsers are fuzzed without the fuzzer first having to build
 * consistent IP and UDP lengths. A parsed RTP header is rewritten on a copy of
 * exactly hdr_len bytes. Besides memory errors (ASan) and undefined behaviour
 * (UBSan), the target aborts when a parser's answer contradicts itself.
 *
 * The unit test test_parse links this file too and replays corpus/ and
 * regressions/ through LLVMFuzzerTestOneInput() on every build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cascade/msg.h>

#include "dp_parse.h"
#include "dp_rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* Rewrite a copy of the parsed header; what may change is the contract's list. */
static void
fuzz_rewrite(const uint8_t *p, const struct dp_rtp *rtp)
{
	uint8_t ext_map[CASCADE_MAX_EXT_ID + 2];
	uint8_t *copy = malloc(rtp->hdr_len);
	struct dp_rtp again;
	enum cascade_drop why;
	uint32_t i, fixed_end;
	int rc;

	check(copy != NULL);
	memcpy(copy, p, rtp->hdr_len);
	/* Ids from the packet's own bytes, including values that are not ids. */
	for (i = 0; i < sizeof(ext_map); i++)
		ext_map[i] = (uint8_t)(p[i % rtp->hdr_len] ^ (i * 37)) & 0x1f;
	rc = dp_rtp_rewrite(copy, rtp->hdr_len, (uint8_t)(rtp->pt + 1), (uint16_t)(rtp->seq + 1),
			    rtp->ts + 1, ~rtp->ssrc, ext_map);
	if (rc != 0) {
		/* Refused: nothing written, and only a one-byte block can be refused. */
		check(memcmp(copy, p, rtp->hdr_len) == 0);
		check(rtp->ext_off != 0 && rtp->ext_profile == 0xbede);
	} else {
		check(copy[0] == p[0]);
		check((copy[1] & 0x80) == (p[1] & 0x80));
		check((copy[1] & 0x7f) == ((rtp->pt + 1) & 0x7f));
		/* CSRCs and the extension's profile and length words are never touched. */
		fixed_end = rtp->ext_off ? rtp->ext_off + 4u : rtp->hdr_len;
		check(memcmp(copy + 12, p + 12, fixed_end - 12) == 0);
		/*
		 * Extension data: at most an id nibble changes, or an element the map
		 * names CASCADE_EXT_TWCC (a sender's transport-wide number) becomes
		 * padding bytes; only in the one-byte form.
		 */
		for (i = rtp->ext_off + 4u; rtp->ext_off != 0 && i < rtp->hdr_len; i++) {
			check((copy[i] & 0x0f) == (p[i] & 0x0f) || copy[i] == 0);
			check(rtp->ext_profile == 0xbede || copy[i] == p[i]);
		}
		/* The copy still parses to the same shape (without P, the header alone). */
		if (rtp->pad_len == 0) {
			check(dp_parse_rtp(copy, rtp->hdr_len, &again, &why) == 0);
			check(again.hdr_len == rtp->hdr_len && again.ext_len == rtp->ext_len);
		}
	}
	/* The checksum update over the rewrite is an identity on unchanged bytes. */
	for (i = 1; i < 0x10000; i += 0x1111)
		check(dp_cksum_update((uint16_t)i, p, p, rtp->hdr_len) == i);
	free(copy);
}

static void
fuzz_payload(const uint8_t *p, uint32_t len)
{
	struct dp_rtp rtp;
	struct dp_rtcp rtcp, rtcp_rsize;
	enum cascade_drop why = CASCADE_DROP_MAX;
	int rc, rc_rsize;
	uint8_t id, el_len;

	switch (dp_parse_demux(p, len)) {
	case DP_CLASS_RTP:
		check(len >= 1 && p[0] >= 128 && p[0] <= 191);
		if (dp_parse_rtp(p, len, &rtp, &why) != 0) {
			check(why >= CASCADE_DROP_RTP_TRUNC && why <= CASCADE_DROP_RTP_PADDING);
			break;
		}
		check((uint32_t)rtp.hdr_len + rtp.payload_len + rtp.pad_len == len);
		check(rtp.hdr_len >= 12 + 4u * rtp.csrc_count);
		check(rtp.ext_off == 0 || (uint32_t)rtp.ext_off + 4 + rtp.ext_len == rtp.hdr_len);
		check(rtp.pt < 128 && rtp.marker < 2);
		/* RFC 8285 elements: inside the extension block, whatever the id */
		for (id = 1; id != 0; id = (uint8_t)(id * 3 + 1)) {
			const uint8_t *e = dp_rtp_ext_find(p, &rtp, id, &el_len);

			check(e == NULL || (e >= p + rtp.ext_off + 4 &&
					    e + el_len <= p + rtp.ext_off + 4 + rtp.ext_len));
		}
		fuzz_rewrite(p, &rtp);
		break;
	case DP_CLASS_RTCP:
		rc = dp_parse_rtcp(p, len, false, &rtcp, &why);
		check(rc == 0 || why == CASCADE_DROP_RTCP_TRUNC || why == CASCADE_DROP_RTP_VERSION);
		rc_rsize = dp_parse_rtcp(p, len, true, &rtcp_rsize, &why);
		/* Reduced-size only relaxes the first packet's type. */
		check(rc != 0 || rc_rsize == 0);
		if (rc == 0) {
			check(len % 4 == 0 && rtcp.n_packets >= 1);
			check(rtcp.first_pt == 200 || rtcp.first_pt == 201);
			check(rtcp_rsize.n_packets == rtcp.n_packets &&
			      rtcp_rsize.ssrc == rtcp.ssrc);
		}
		break;
	case DP_CLASS_STUN:
	case DP_CLASS_DTLS:
	case DP_CLASS_UNKNOWN:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_l4 l4;
	enum cascade_drop why = CASCADE_DROP_MAX;

	if (size > UINT16_MAX + 64)
		return 0;
	if (dp_parse_l4(data, (uint32_t)size, &l4, &why) == 0) {
		check((uint32_t)l4.payload_off + l4.payload_len <= size);
		check(l4.payload_off == l4.l4_off + 8 && l4.l4_off > l4.l3_off);
		check(l4.family == CASCADE_AF_INET || l4.family == CASCADE_AF_INET6);
		fuzz_payload(data + l4.payload_off, l4.payload_len);
	} else {
		check(why >= CASCADE_DROP_ETH_TRUNC && why <= CASCADE_DROP_UDP_LEN);
	}
	fuzz_payload(data, (uint32_t)size);
	return 0;
}
