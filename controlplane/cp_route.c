/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route table (see cp_route.h).
 *
 * Layer: api.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_route.h"

struct segs {
	unsigned int n;
	const char *s[CP_ROUTE_MAX_SEGS];
	size_t len[CP_ROUTE_MAX_SEGS];
};

/* Split a path (or pattern) into segments; false when it breaks a rule of cp_route.h. */
static bool
split(const char *path, struct segs *out)
{
	const char *p = path, *slash;
	size_t len;

	out->n = 0;
	if (path[0] != '/' || strlen(path) >= CP_ROUTE_PATH_MAX)
		return false;
	while (*p == '/') {
		p++;
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.') ||
		    out->n == CP_ROUTE_MAX_SEGS)
			return false;
		out->s[out->n] = p;
		out->len[out->n] = len;
		out->n++;
		p += len;
	}
	return *p == '\0';
}

static bool
is_capture(const char *s, size_t len)
{
	return len >= 3 && s[0] == '{' && s[len - 1] == '}';
}

int
cp_router_add(struct cp_router *r, const struct cp_route *routes, size_t n)
{
	struct segs sg;
	size_t i, k;

	for (i = 0; i < n; i++) {
		unsigned int captures = 0;

		if (!split(routes[i].pattern, &sg))
			return -EINVAL;
		for (k = 0; k < sg.n; k++)
			captures += is_capture(sg.s[k], sg.len[k]);
		if (captures > CP_ROUTE_MAX_ARGS)
			return -EINVAL;
	}
	if (r->n + n > r->cap) {
		size_t cap = r->cap != 0 ? r->cap * 2 : 32;
		const struct cp_route **v;

		while (cap < r->n + n)
			cap *= 2;
		v = realloc(r->routes, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		r->routes = v;
		r->cap = cap;
	}
	for (i = 0; i < n; i++)
		r->routes[r->n++] = &routes[i];
	return 0;
}

void
cp_router_free(struct cp_router *r)
{
	free(r->routes);
	r->routes = NULL;
	r->n = r->cap = 0;
}

/* Whether path's segments fit pattern's; fills args with the captures. */
static bool
fits(const struct segs *path, const char *pattern, struct cp_args *args)
{
	struct segs pat;
	unsigned int i;

	if (!split(pattern, &pat) || pat.n != path->n)
		return false;
	args->n = 0;
	for (i = 0; i < pat.n; i++) {
		if (is_capture(pat.s[i], pat.len[i])) {
			args->name[args->n] = pat.s[i] + 1;
			args->name_len[args->n] = pat.len[i] - 2;
			memcpy(args->value[args->n], path->s[i], path->len[i]);
			args->value[args->n][path->len[i]] = '\0';
			args->n++;
		} else if (pat.len[i] != path->len[i] ||
			   memcmp(pat.s[i], path->s[i], pat.len[i]) != 0) {
			return false;
		}
	}
	return true;
}

const char *
cp_method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	default:
		return "OTHER";
	}
}

enum cp_match
cp_router_match(const struct cp_router *r, enum evhttp_cmd_type method, const char *path,
		const struct cp_route **route, struct cp_args *args, char *allow, size_t allow_cap)
{
	const struct cp_route *first = NULL;
	struct segs sg;
	size_t i, used = 0;

	*route = NULL;
	if (allow_cap > 0)
		allow[0] = '\0';
	if (!split(path, &sg))
		return CP_MATCH_NO_PATH;
	for (i = 0; i < r->n; i++) {
		const struct cp_route *rt = r->routes[i];

		if (!fits(&sg, rt->pattern, args))
			continue;
		if (rt->method == method) {
			*route = rt;
			return CP_MATCH_OK;
		}
		if (first == NULL)
			first = rt;
		if (used < allow_cap)
			used += (size_t)snprintf(allow + used, allow_cap - used, "%s%s",
						 used != 0 ? ", " : "", cp_method_name(rt->method));
	}
	if (first == NULL)
		return CP_MATCH_NO_PATH;
	*route = first;
	return CP_MATCH_NO_METHOD;
}

const char *
cp_args_get(const struct cp_args *a, const char *name)
{
	unsigned int i;

	for (i = 0; i < a->n; i++)
		if (strlen(name) == a->name_len[i] && memcmp(a->name[i], name, a->name_len[i]) == 0)
			return a->value[i];
	return NULL;
}
