/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API's route table: routes are data (method, pattern, handler, the
 * credential it needs), which each API file adds to the router at start, as
 * Redis' command table and grout's API handlers are. A request is matched
 * first and authenticated after, with the credential of the route it
 * matched, so a path cannot choose its own authentication.
 *
 * Paths are matched segment by segment, with no normalisation: a pattern
 * segment "{name}" captures one segment, any other must be equal. A path that
 * does not start with '/', has an empty segment ("//", a trailing '/'), a "."
 * or ".." segment, more than CP_ROUTE_MAX_SEGS segments or more than
 * CP_ROUTE_PATH_MAX bytes matches nothing. Pure: unit-tested in
 * tests/unit/test_route.c.
 *
 * Layer: api.
 */
#ifndef CP_ROUTE_H
#define CP_ROUTE_H

#include <stddef.h>

#include <event2/http.h>

#define CP_ROUTE_MAX_SEGS 8
#define CP_ROUTE_MAX_ARGS 4
#define CP_ROUTE_PATH_MAX 512

/* Which credential a route needs. */
enum cp_auth {
	CP_AUTH_APP,     /* the application's bearer token (api.token) */
	CP_AUTH_PEER,    /* the cluster secret: node to node, /v1/internal */
	CP_AUTH_METRICS, /* none, or the application's token with api.metrics_auth */
};

/* A matched path's captures, by the names of the pattern ("{room}" -> "room"). */
struct cp_args {
	unsigned int n;
	const char *name[CP_ROUTE_MAX_ARGS];  /* into the route's pattern */
	char value[CP_ROUTE_MAX_ARGS][CP_ROUTE_PATH_MAX];
	size_t name_len[CP_ROUTE_MAX_ARGS];
};

typedef void (*cp_handler)(struct evhttp_request *req, const struct cp_args *args);

struct cp_route {
	enum evhttp_cmd_type method;
	const char *pattern;
	cp_handler handler;
	enum cp_auth auth;
};

struct cp_router {
	const struct cp_route **routes; /* into the API files' static tables */
	size_t n, cap;
};

/* Add n routes (kept by pointer: static tables). 0, or -ENOMEM / -EINVAL (a bad pattern). */
int cp_router_add(struct cp_router *r, const struct cp_route *routes, size_t n);
void cp_router_free(struct cp_router *r);

enum cp_match {
	CP_MATCH_OK,        /* *route and args set */
	CP_MATCH_NO_METHOD, /* the path has routes, none for method: *route is the first (its
			     * credential), allow lists the methods ("GET, POST") */
	CP_MATCH_NO_PATH,   /* no route has this path */
};

enum cp_match cp_router_match(const struct cp_router *r, enum evhttp_cmd_type method,
			      const char *path, const struct cp_route **route, struct cp_args *args,
			      char *allow, size_t allow_cap);
/* A capture by name, or NULL. */
const char *cp_args_get(const struct cp_args *a, const char *name);
/* A method's name ("GET"). */
const char *cp_method_name(enum evhttp_cmd_type m);

#endif /* CP_ROUTE_H */
