/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for reading a receiver's transport-cc feedback
 * (dp_twcc_tx.c). Each input is one FCI, read twice: by the parser alone
 * (every packet it reports must be one of status_count consecutive numbers
 * from the base, each once, in order) and by the estimator, into a transport
 * that sent a stretch of packets around the input's base sequence number, so
 * the delay and loss arithmetic runs on arbitrary arrival times. Besides
 * memory errors (ASan) and undefined behaviour (UBSan), the target aborts
 * when the two readings disagree on whether the FCI is valid, or when the
 * estimate leaves its bounds.
 *
 * The unit test test_twcc_tx links this file too and replays corpus/fuzz_twcc
 * and regressions/fuzz_twcc through LLVMFuzzerTestOneInput() on every build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_twcc_tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	uint16_t next;
	uint32_t n;
};

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
on_packet(void *ctx, uint16_t seq, bool received, int64_t arrival_us)
{
	struct seen *s = ctx;

	(void)received;
	(void)arrival_us;
	check(seq == s->next);
	s->next++;
	s->n++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp_twcc_tx t;
	struct dp_twcc_fb_hdr h;
	enum dp_twcc_err e1, e2;
	struct seen s = {0};
	uint64_t est;
	uint8_t *copy;

	if (size > 65535)
		return 0;
	copy = malloc(size ? size : 1);
	check(copy != NULL);
	memcpy(copy, data, size);
	if (size >= 2)
		s.next = (uint16_t)(copy[0] << 8 | copy[1]);
	e1 = dp_twcc_parse(copy, (uint32_t)size, &h, on_packet, &s);
	check(e1 == DP_TWCC_OK ? s.n == h.status_count : s.n == 0);
	dp_twcc_init(&t, 0);
	for (uint32_t k = 0; k < 300; k++) {
		/* start the numbering 100 before the base: reported packets are known */
		if (k == 0)
			atomic_store(&t.next_seq, (uint32_t)(uint16_t)(s.next - s.n - 100));
		dp_twcc_stamp(&t, 1000 + k, 1000000 + k * 3000);
	}
	e2 = dp_twcc_feedback(&t, copy, (uint32_t)size, 2000000);
	check(e1 == e2);
	e2 = dp_twcc_feedback(&t, copy, (uint32_t)size, 2100000); /* again: duplicates */
	check(e1 == e2);
	est = dp_twcc_estimate(&t);
	check(est >= DP_TWCC_MIN_BPS && est <= DP_TWCC_MAX_BPS);
	free(copy);
	return 0;
}
