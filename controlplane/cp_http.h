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

/* Why inter-node calls (CP_AUTH_PEER routes) were refused: the reason's name, the counter. */
#define CP_PEER_AUTH_REFUSALS(X)                                                                   \
	X(MISSING, "missing")     /* no signature headers (a bearer token is not accepted) */      \
	X(MALFORMED, "malformed") /* headers that do not parse */                                  \
	X(STALE, "stale")         /* a time outside the window */                                  \
	X(SIGNATURE, "signature") /* a signature that does not verify */                           \
	X(REPLAY, "replay")       /* a request already seen */
enum cp_peer_auth_refusal {
#define X(e, name) CP_PEER_AUTH_##e,
	CP_PEER_AUTH_REFUSALS(X)
#undef X
	CP_PEER_AUTH_MAX
};
const char *cp_http_peer_refusal_name(enum cp_peer_auth_refusal r);
uint64_t cp_http_peer_refused(enum cp_peer_auth_refusal r);

#endif /* CP_HTTP_H */
