/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Measured values for the benchmark clients: a growable array of samples,
 * nearest-rank percentiles, and JSON figures (null when nothing was measured);
 * and the few helpers both clients share (dying with a message, numeric
 * options).
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

/* "PROGRAM: message" on stderr, exit 1. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* samples_add, or die when out of memory. */
void sample_add(struct samples *s, double v);
/* Option opt's value v as a decimal in [min, max], or die naming opt. */
unsigned int num(const char *opt, const char *v, unsigned long min, unsigned long max);
/* json_object_set_new(out, key, v): a figure into the output object. */
void put(json_t *out, const char *key, json_t *v);

#endif /* CASCADE_BENCH_SAMPLES_H */
