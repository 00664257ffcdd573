/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Typed JSON member reads (see cp_json.h).
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cp_json.h"

const char *
cp_json_path(char *buf, size_t cap, const char *where, const char *key)
{
	snprintf(buf, cap, "%s%s%s", where, where[0] != '\0' ? "." : "", key);
	return buf;
}

const char *
cp_json_index(char *buf, size_t cap, const char *where, size_t i)
{
	snprintf(buf, cap, "%s[%zu]", where, i);
	return buf;
}

/* The member, NULL when absent; *rc is 1 (absent, optional) or the error when required. */
static const json_t *
member(const json_t *obj, const char *key, const char *where, bool required, int *rc,
       struct cp_err *err)
{
	const json_t *v = json_object_get(obj, key);
	char path[128];

	*rc = 0;
	if (v == NULL)
		*rc = required ? cp_err_set(err, -EINVAL, "%s: required",
					    cp_json_path(path, sizeof(path), where, key))
			       : 1;
	return v;
}

int
cp_json_int(const json_t *obj, const char *key, const char *where, json_int_t lo, json_int_t hi,
	    bool required, json_int_t *out, struct cp_err *err)
{
	char path[128];
	int rc;
	const json_t *v = member(obj, key, where, required, &rc, err);

	if (v == NULL)
		return rc;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return cp_err_set(err, -EINVAL, "%s: must be an integer in %lld..%lld",
				  cp_json_path(path, sizeof(path), where, key), (long long)lo,
				  (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

int
cp_json_str(const json_t *obj, const char *key, const char *where, size_t min_len, size_t max_len,
	    bool required, const char **out, struct cp_err *err)
{
	char path[128];
	int rc;
	const json_t *v = member(obj, key, where, required, &rc, err);
	size_t n;

	if (v == NULL)
		return rc;
	n = json_is_string(v) ? json_string_length(v) : 0;
	if (!json_is_string(v) || n < min_len || n > max_len ||
	    strlen(json_string_value(v)) != n /* an embedded NUL */)
		return cp_err_set(err, -EINVAL, "%s: must be a string of %zu to %zu bytes",
				  cp_json_path(path, sizeof(path), where, key), min_len, max_len);
	*out = json_string_value(v);
	return 0;
}

int
cp_json_bool(const json_t *obj, const char *key, const char *where, bool required, bool *out,
	     struct cp_err *err)
{
	char path[128];
	int rc;
	const json_t *v = member(obj, key, where, required, &rc, err);

	if (v == NULL)
		return rc;
	if (!json_is_boolean(v))
		return cp_err_set(err, -EINVAL, "%s: must be true or false",
				  cp_json_path(path, sizeof(path), where, key));
	*out = json_is_true(v);
	return 0;
}

int
cp_json_obj(const json_t *obj, const char *key, const char *where, bool required,
	    const json_t **out, struct cp_err *err)
{
	char path[128];
	int rc;
	const json_t *v = member(obj, key, where, required, &rc, err);

	if (v == NULL)
		return rc;
	if (!json_is_object(v))
		return cp_err_set(err, -EINVAL, "%s: must be an object",
				  cp_json_path(path, sizeof(path), where, key));
	*out = v;
	return 0;
}

int
cp_json_arr(const json_t *obj, const char *key, const char *where, size_t min, size_t max,
	    bool required, const json_t **out, struct cp_err *err)
{
	char path[128];
	int rc;
	const json_t *v = member(obj, key, where, required, &rc, err);

	if (v == NULL)
		return rc;
	if (!json_is_array(v) || json_array_size(v) < min || json_array_size(v) > max)
		return cp_err_set(err, -EINVAL, "%s: must be an array of %zu to %zu elements",
				  cp_json_path(path, sizeof(path), where, key), min, max);
	*out = v;
	return 0;
}
