/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Typed reads of JSON members that name the member when it is wrong. Every
 * validator of outside input (cp_rtp.c, cp_schema.c) reads through these, so
 * "where.key: must be ..." reads the same whatever the source. where is the
 * path of the enclosing object as the sender wrote it ("rtpParameters.codecs[2]"),
 * "" at the top.
 *
 * Each returns 0 when the member is present and good (out set), 1 when it is
 * absent and not required (out untouched), or -EINVAL with err naming it.
 *
 * Layer: leaf.
 */
#ifndef CP_JSON_H
#define CP_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cp_err.h"

/* An integer in [lo, hi]. */
int cp_json_int(const json_t *obj, const char *key, const char *where, json_int_t lo,
		json_int_t hi, bool required, json_int_t *out, struct cp_err *err);
/* A string of 1..max_len bytes (min_len 0 allows ""). */
int cp_json_str(const json_t *obj, const char *key, const char *where, size_t min_len,
		size_t max_len, bool required, const char **out, struct cp_err *err);
/* true or false. */
int cp_json_bool(const json_t *obj, const char *key, const char *where, bool required, bool *out,
		 struct cp_err *err);
/* An object (out borrowed). */
int cp_json_obj(const json_t *obj, const char *key, const char *where, bool required,
		const json_t **out, struct cp_err *err);
/* An array of min..max elements (out borrowed). */
int cp_json_arr(const json_t *obj, const char *key, const char *where, size_t min, size_t max,
		bool required, const json_t **out, struct cp_err *err);
/* "where.key" (or "key" at the top) into buf, for the next level's where. */
const char *cp_json_path(char *buf, size_t cap, const char *where, const char *key);
/* "where[i]" into buf. */
const char *cp_json_index(char *buf, size_t cap, const char *where, size_t i);

#endif /* CP_JSON_H */
