/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Measured values for the benchmark clients: a growable array of samples,
 * nearest-rank percentiles, and JSON figures (null when nothing was measured).
 */
#ifndef CASCADE_BENCH_SAMPLES_H
#define CASCADE_BENCH_SAMPLES_H

#include <stddef.h>

#include <jansson.h>

struct samples {
	double *v;
	size_t n, cap;
};

/* Append v. 0, or -1 when out of memory (the array is unchanged). */
int samples_add(struct samples *s, double v);
/* The nearest-rank percentile q (0..1), or NAN without samples (sorts s). */
double samples_pct(struct samples *s, double q);
/* v rounded to 1/scale, or null when v is NAN. */
json_t *samples_num(double v, double scale);
/* KEY_p50 and KEY_p99 of s into out, rounded to 1/scale. */
void samples_put_pct(json_t *out, const char *key, struct samples *s, double scale);
void samples_free(struct samples *s);

#endif /* CASCADE_BENCH_SAMPLES_H */
