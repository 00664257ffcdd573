/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Missing packets of a sender's stream (see dp_nackgen.h).
 */
#include <string.h>

#include "dp_nackgen.h"

/* RFC 3550 A.1: a jump this far is a sender that restarted its numbering, not loss. */
#define RESTART_AHEAD 3000
#define RESTART_BEHIND 3000

void
dp_nackgen_init(struct dp_nackgen *g)
{
	memset(g, 0, sizeof(*g));
}

/* Drop entry i, keeping the others in order. */
static void
remove_at(struct dp_nackgen *g, uint32_t i)
{
	memmove(&g->e[i], &g->e[i + 1], (g->n - i - 1) * sizeof(g->e[0]));
	g->n--;
}

enum dp_nackgen_res
dp_nackgen_rtp(struct dp_nackgen *g, uint16_t seq, uint64_t now)
{
	int32_t d;
	uint32_t i, gap;

	if (!g->started) {
		g->started = true;
		g->highest = seq;
		return DP_NACKGEN_OK;
	}
	d = (int16_t)(uint16_t)(seq - g->highest);
	if (d == 0)
		return DP_NACKGEN_OK; /* a duplicate of the newest */
	if (d < 0) {
		if (-d >= RESTART_BEHIND)
			goto restart;
		for (i = 0; i < g->n; i++) {
			if (g->e[i].seq == seq) {
				remove_at(g, i);
				return DP_NACKGEN_RECOVERED;
			}
		}
		return DP_NACKGEN_OK; /* late, and not asked for (or given up) */
	}
	if (d >= RESTART_AHEAD)
		goto restart;
	gap = (uint32_t)d - 1;
	g->highest = seq;
	if (gap == 0)
		return DP_NACKGEN_OK;
	if (gap > DP_NACKGEN_MAX) {
		g->n = 0; /* more than the list holds: not worth repairing packet by packet */
		return DP_NACKGEN_RESET;
	}
	if (g->n + gap > DP_NACKGEN_MAX) {
		/* full: the oldest go */
		uint32_t drop = g->n + gap - DP_NACKGEN_MAX;

		memmove(&g->e[0], &g->e[drop], (g->n - drop) * sizeof(g->e[0]));
		g->n -= drop;
	}
	for (i = 0; i < gap; i++) {
		struct dp_nack_ent *e = &g->e[g->n++];

		e->seq = (uint16_t)(seq - gap + i);
		e->first = now;
		e->next = now;
		e->tries = 0;
	}
	return DP_NACKGEN_OK;
restart:
	g->highest = seq;
	g->n = 0;
	return DP_NACKGEN_RESET;
}

unsigned int
dp_nackgen_due(struct dp_nackgen *g, uint64_t now, uint64_t retry, uint8_t max_tries,
	       uint64_t max_age, uint16_t *out, unsigned int max)
{
	unsigned int k = 0;
	uint32_t i = 0;

	while (i < g->n) {
		struct dp_nack_ent *e = &g->e[i];

		if (e->tries >= max_tries || now - e->first > max_age) {
			remove_at(g, i); /* given up */
			continue;
		}
		if (e->next <= now && k < max) {
			out[k++] = e->seq;
			e->tries++;
			e->next = now + retry;
		}
		i++;
	}
	return k;
}

unsigned int
dp_nack_pack(const uint16_t *seqs, unsigned int n, uint8_t *fci, unsigned int max_entries)
{
	unsigned int i = 0, k = 0;

	while (i < n && k < max_entries) {
		uint16_t pid = seqs[i++], blp = 0;

		while (i < n) {
			uint16_t off = (uint16_t)(seqs[i] - pid);

			if (off == 0 || off > 16)
				break;
			blp |= (uint16_t)(1u << (off - 1));
			i++;
		}
		fci[4 * k] = (uint8_t)(pid >> 8);
		fci[4 * k + 1] = (uint8_t)pid;
		fci[4 * k + 2] = (uint8_t)(blp >> 8);
		fci[4 * k + 3] = (uint8_t)blp;
		k++;
	}
	return k;
}
