/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A CLOCK_MONOTONIC clock read from the TSC. The probe carries CLOCK_MONOTONIC nanoseconds so
 * that a receiver in another process (or a non-DPDK tool) can compare; reading the clock
 * through the vDSO per packet would work on most hosts but falls back to a syscall when the
 * kernel's clocksource is not the TSC. So the packet path converts TSC ticks with a slope
 * and an anchor, and every 10 ms (one vDSO call, off the per-packet path) the anchor moves
 * to a fresh sample and the slope is re-measured over the whole run, which keeps the error
 * well under a microsecond after the first second.
 */
#include <time.h>

#include <rte_cycles.h>

#include "pg.h"

#define ANCHOR_PERIOD_NS 10000000ull
#define CALIBRATE_NS 100000000ull

/* One (TSC, CLOCK_MONOTONIC) pair: the TSC read closest to the clock read of 3 tries. */
static void
sample(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	*tsc = 0;
	*ns = 0;
	for (int i = 0; i < 3; i++) {
		struct timespec ts;
		uint64_t a = rte_rdtsc_precise();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t b = rte_rdtsc_precise();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
	}
}

void
pg_clock_init(struct pg_clock *c)
{
	uint64_t tsc, ns;

	sample(&c->tsc_start, &c->ns_start);
	do {
		rte_delay_us_sleep(10000);
		sample(&tsc, &ns);
	} while (ns - c->ns_start < CALIBRATE_NS);
	c->ns_per_tsc = (double)(ns - c->ns_start) / (double)(tsc - c->tsc_start);
	c->tsc_ref = tsc;
	c->ns_ref = ns;
	c->anchor_period_tsc = (uint64_t)((double)ANCHOR_PERIOD_NS / c->ns_per_tsc);
	c->next_anchor_tsc = tsc + c->anchor_period_tsc;
}

void
pg_clock_anchor(struct pg_clock *c)
{
	uint64_t tsc, ns;

	sample(&tsc, &ns);
	if (tsc > c->tsc_start && ns > c->ns_start)
		c->ns_per_tsc = (double)(ns - c->ns_start) / (double)(tsc - c->tsc_start);
	c->tsc_ref = tsc;
	c->ns_ref = ns;
	c->next_anchor_tsc = tsc + c->anchor_period_tsc;
}

double
pg_clock_tsc_hz(const struct pg_clock *c)
{
	return 1e9 / c->ns_per_tsc;
}
