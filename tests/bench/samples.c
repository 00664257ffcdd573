/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "samples.h"

int
samples_add(struct samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap != 0 ? s->cap * 2 : 4096;
		double *nv = realloc(s->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

static int
cmp_double(const void *pa, const void *pb)
{
	double x = *(const double *)pa, y = *(const double *)pb;

	return (x > y) - (x < y);
}

double
samples_pct(struct samples *s, double q)
{
	size_t k;

	if (s->n == 0)
		return NAN;
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	k = (size_t)ceil(q * (double)s->n);
	return s->v[k > 0 ? k - 1 : 0];
}

json_t *
samples_num(double v, double scale)
{
	return isnan(v) ? json_null() : json_real(round(v * scale) / scale);
}

void
samples_put_pct(json_t *out, const char *key, struct samples *s, double scale)
{
	char k[80];

	snprintf(k, sizeof(k), "%s_p50", key);
	json_object_set_new(out, k, samples_num(samples_pct(s, 0.50), scale));
	snprintf(k, sizeof(k), "%s_p99", key);
	json_object_set_new(out, k, samples_num(samples_pct(s, 0.99), scale));
}

void
samples_free(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void
sample_add(struct samples *s, double v)
{
	if (samples_add(s, v) < 0)
		die("out of memory");
}

unsigned int
num(const char *opt, const char *v, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long x = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0' || x < min || x > max)
		die("%s: a number from %lu to %lu, got '%s'", opt, min, max, v);
	return (unsigned int)x;
}

void
put(json_t *out, const char *key, json_t *v)
{
	json_object_set_new(out, key, v);
}
