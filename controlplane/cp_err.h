/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What went wrong, for whoever decides what to do about it. A leaf reports a
 * failure as a negative errno and a message naming the field or object at
 * fault; it never answers anyone. The API layer alone turns the code into an
 * HTTP status (one table, cp_http.c), and services log or pass it on.
 *
 * Layer: leaf.
 */
#ifndef CP_ERR_H
#define CP_ERR_H

#include <stdbool.h>
#include <stdint.h>

#define CP_ERR_MSG_MAX 240

struct cp_err {
	int code; /* -errno; 0 when nothing failed */
	char msg[CP_ERR_MSG_MAX];
};

/*
 * Set err (NULL: ignored) to code (a negative errno) and the message fmt
 * formats. Returns code, so a check can end with `return cp_err_set(...)`.
 */
int cp_err_set(struct cp_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "prefix: " (formatted) in front of err's message; err's code is kept. */
void cp_err_prefix(struct cp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Whether a line about something outsiders decide the rate of (bad records,
 * refused calls) may be logged now: at most once a second per *last_ns,
 * which it updates when it says yes.
 */
bool cp_err_log_now(uint64_t *last_ns);

#endif /* CP_ERR_H */
