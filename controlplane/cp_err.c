/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failure reports (see cp_err.h). Messages are cut, never overflowed.
 *
 * Layer: leaf.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cp_err.h"

bool
cp_err_log_now(uint64_t *last_ns)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (*last_ns != 0 && now - *last_ns < 1000000000ull)
		return false;
	*last_ns = now;
	return true;
}

int
cp_err_set(struct cp_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
cp_err_prefix(struct cp_err *err, const char *fmt, ...)
{
	char old[CP_ERR_MSG_MAX];
	va_list ap;
	int n;

	if (err == NULL)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* "head: old", cut at the end of the buffer */
	if (n >= 0 && (size_t)n + 2 < sizeof(err->msg)) {
		memcpy(err->msg + n, ": ", 3);
		strncat(err->msg, old, sizeof(err->msg) - (size_t)n - 3);
	}
}
