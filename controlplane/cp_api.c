/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the endpoint files share: the API's view of objects (pipe objects are
 * not the API's: they answer 404 like unknown ids, and show in stats only)
 * and the bookkeeping of a request that waits for the dataplane.
 *
 * Layer: api.
 */
#include <errno.h>
#include <stdlib.h>

#include "cp.h"
#include "cp_http.h"

static struct {
	const struct cp_config *cfg;
	uint64_t start_ns;
} api;

void
cp_api_init(const struct cp_config *cfg, uint64_t start_ns)
{
	api.cfg = cfg;
	api.start_ns = start_ns;
}

const struct cp_config *
cp_api_cfg(void)
{
	return api.cfg;
}

uint64_t
cp_api_start_ns(void)
{
	return api.start_ns;
}

struct cp_transport *
cp_api_transport(struct evhttp_request *req, const char *id)
{
	struct cp_transport *t = cp_registry_transport(id);

	if (t == NULL || t->pipe) {
		cp_http_fail(req, -ENOENT, "transport %s not found", id);
		return NULL;
	}
	return t;
}

struct cp_producer *
cp_api_producer(struct evhttp_request *req, const char *id)
{
	struct cp_producer *p = cp_registry_producer(id);

	if (p == NULL || p->pipe) {
		cp_http_fail(req, -ENOENT, "producer %s not found", id);
		return NULL;
	}
	return p;
}

struct cp_consumer *
cp_api_consumer(struct evhttp_request *req, const char *id)
{
	struct cp_consumer *c = cp_registry_consumer(id);

	if (c == NULL || c->pipe_node[0] != '\0') {
		cp_http_fail(req, -ENOENT, "consumer %s not found", id);
		return NULL;
	}
	return c;
}

struct cp_api_call *
cp_api_call_new(struct evhttp_request *req)
{
	struct cp_api_call *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		cp_http_fail(req, -ENOMEM, "out of memory");
		return NULL;
	}
	cp_http_hold(req, &c->req);
	return c;
}

void
cp_api_call_end(struct cp_api_call *c)
{
	if (c->req != NULL)
		cp_http_release(c->req);
	free(c);
}

void
cp_api_answer_empty(const struct cp_err *err, void *obj, void *arg)
{
	struct cp_api_call *c = arg;

	(void)obj;
	if (c->req != NULL) {
		cp_http_release(c->req);
		if (err != NULL)
			cp_http_fail_err(c->req, err);
		else
			cp_http_json(c->req, 200, json_object());
		c->req = NULL;
	}
	cp_api_call_end(c);
}

int
cp_api_routes(struct cp_router *r)
{
	if (cp_api_node_routes(r) < 0 || cp_api_rooms_routes(r) < 0 || cp_api_media_routes(r) < 0 ||
	    cp_api_internal_routes(r) < 0 || cp_api_stats_routes(r) < 0)
		return -ENOMEM;
	return 0;
}
