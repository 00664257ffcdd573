/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REMB for senders (see dp_remb.h).
 */
#include "dp_bytes.h"
#include "dp_remb.h"

uint64_t
dp_remb_update(uint64_t est_bps, uint64_t max_bps, uint8_t fraction_lost)
{
	if (est_bps == 0 || est_bps > max_bps)
		est_bps = max_bps;
	/* gcc-02 6: loss > 10% (26/256 rounded up): As * (1 - 0.5 p); < 2% (5/256): 1.05 As */
	if (fraction_lost > 25)
		est_bps = est_bps * (512u - fraction_lost) / 512u;
	else if (fraction_lost < 6)
		est_bps = est_bps + est_bps / 20;
	if (est_bps > max_bps)
		est_bps = max_bps;
	if (est_bps < DP_REMB_MIN_BPS)
		est_bps = DP_REMB_MIN_BPS < max_bps ? DP_REMB_MIN_BPS : max_bps;
	return est_bps;
}

void
dp_remb_build(uint8_t *out, uint32_t sender_ssrc, uint32_t ssrc, uint64_t bps)
{
	unsigned int exp = 0;

	/* remb 2.2: BR Exp (6 bits), BR Mantissa (18 bits), bitrate = mantissa * 2^exp */
	while (bps >> exp > 0x3ffff && exp < 63)
		exp++;
	/* RFC 4585 6.1: V=2, FMT=15 (application layer feedback), PT=PSFB */
	out[0] = 0x80 | 15;
	out[1] = 206;
	wr16(out + 2, DP_REMB_LEN / 4 - 1);
	wr32(out + 4, sender_ssrc);
	wr32(out + 8, 0); /* remb 2.2: media source 0 */
	out[12] = 'R';
	out[13] = 'E';
	out[14] = 'M';
	out[15] = 'B';
	out[16] = 1; /* one SSRC */
	out[17] = (uint8_t)(exp << 2 | (bps >> exp >> 16 & 3));
	wr16(out + 18, (uint16_t)(bps >> exp));
	wr32(out + 20, ssrc);
}
