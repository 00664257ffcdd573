/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API's HTTP plumbing (libevent's evhttp): the server and its
 * connections, routing through the route table, authentication by the
 * matched route's credential, request bodies, JSON answers and the one table
 * that turns a failure into a status and a stable code. No endpoint lives
 * here. Event-loop thread only.
 *
 * Layer: api.
 */
#ifndef CP_HTTP_H
#define CP_HTTP_H

#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "cp_config.h"
#include "cp_err.h"
#include "cp_route.h"

/* Start the API server on cfg's address, dispatching through router (kept). 0 or -1 (said why). */
int cp_http_init(struct event_base *base, const struct cp_config *cfg,
		 const struct cp_router *router);
void cp_http_fini(void);

/* Answer req with body (reference stolen) and status. */
void cp_http_json(struct evhttp_request *req, int status, json_t *body);
/* Answer req with {"error":{"code","message"}}: status and code from the error table for code (-errno). */
void cp_http_fail(struct evhttp_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same for a cp_err. */
void cp_http_fail_err(struct evhttp_request *req, const struct cp_err *err);
/* The HTTP status the error table gives code (-errno). */
int cp_http_status(int code);
/*
 * The request body as a JSON object (a new reference), or NULL after
 * answering req with 400 (not JSON, not an object) or 413.
 */
json_t *cp_http_body(struct evhttp_request *req);
/*
 * Keep req answerable across an asynchronous call: *slot is set to req, and
 * to NULL if the client goes away first. Call cp_http_release() before
 * answering.
 */
void cp_http_hold(struct evhttp_request *req, struct evhttp_request **slot);
void cp_http_release(struct evhttp_request *req);

#endif /* CP_HTTP_H */
