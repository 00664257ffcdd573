/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for reading RTCP reports and feedback (dp_rtcp_fb.c). Each
 * input is walked twice: as it is (the walker must be memory-safe on anything)
 * and, when dp_parse_rtcp() accepts it, as the packet path walks it. Besides
 * memory errors (ASan) and undefined behaviour (UBSan), the target aborts when
 * an item points outside the input or a count contradicts its packet, or a
 * transport-cc feedback's statuses are not its status count.
 *
 * The unit test test_rtcp_fb links this file too and replays corpus/fuzz_rtcp
 * and regressions/fuzz_rtcp through LLVMFuzzerTestOneInput() on every build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_parse.h"
#include "dp_rtcp_fb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	const uint8_t *lo, *hi;
	unsigned int items;
	unsigned int statuses;
};

static void check(int cond);

static void
on_status(void *ctx, uint16_t seq, bool received, int32_t delta)
{
	struct span *s = ctx;

	(void)seq;
	check(received || delta == 0);
	check(delta >= INT16_MIN && delta <= INT16_MAX);
	s->statuses++;
}

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
on_item(void *ctx, const struct dp_rtcp_item *it)
{
	struct span *s = ctx;
	struct dp_twcc_fb fb;
	uint16_t seqs[17];

	s->items++;
	switch (it->kind) {
	case DP_RTCP_REMB:
		check(it->u.remb.ssrcs >= s->lo &&
		      it->u.remb.ssrcs + 4u * it->u.remb.n_ssrcs <= s->hi);
		break;
	case DP_RTCP_TWCC:
		check(it->u.twcc.len >= 8 && it->u.twcc.fci >= s->lo &&
		      it->u.twcc.fci + it->u.twcc.len <= s->hi);
		/* the chunks and deltas: every status reported once, or none on an error */
		s->statuses = 0;
		if (dp_rtcp_twcc_read(it->u.twcc.fci, it->u.twcc.len, &fb, on_status, s) == 0)
			check(s->statuses == fb.count);
		else
			check(s->statuses == 0);
		break;
	case DP_RTCP_NACK:
		check(dp_rtcp_nack_seqs(it->u.nack.pid, it->u.nack.blp, seqs) ==
		      1u + (unsigned int)__builtin_popcount(it->u.nack.blp));
		check(seqs[0] == it->u.nack.pid);
		break;
	case DP_RTCP_SENDER_INFO:
	case DP_RTCP_REPORT:
		check(it->kind != DP_RTCP_REPORT ||
		      (it->u.rb.cum_lost >= -0x800000 && it->u.rb.cum_lost <= 0x7fffff));
		break;
	case DP_RTCP_PLI:
	case DP_RTCP_FIR:
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span s = {.lo = data, .hi = data + size};
	enum cascade_drop why = CASCADE_DROP_MAX;
	struct dp_rtcp rtcp;
	uint8_t *copy;

	if (size > 65535)
		return 0;
	/* an exact-size copy: a read past the end is an ASan error, not a quiet byte */
	copy = malloc(size ? size : 1);
	check(copy != NULL);
	memcpy(copy, data, size);
	s.lo = copy;
	s.hi = copy + size;
	if (dp_rtcp_walk(copy, (uint32_t)size, on_item, &s, &why) < 0)
		check(why == CASCADE_DROP_RTCP_TRUNC);
	if (dp_parse_rtcp(copy, (uint32_t)size, true, &rtcp, &why) == 0) {
		s.items = 0;
		(void)dp_rtcp_walk(copy, (uint32_t)size, on_item, &s, &why);
	}
	free(copy);
	return 0;
}
