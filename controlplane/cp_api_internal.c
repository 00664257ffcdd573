/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Node to node (requests signed with the peer key derived from the cluster
 * secret, cp_sign.h; never the application's token nor the secret itself):
 * POST /v1/internal/pipes adds this node's end of a pipe (a pipe consumer
 * towards the asking node) and answers {"consumerId","ssrc"};
 * DELETE /v1/internal/pipes/{producer}/{node} removes it. Bodies are checked
 * like every input (cp_schema_pipe_req()).
 *
 * Layer: api.
 */
#include <errno.h>
#include <string.h>

#include "cp.h"
#include "cp_http.h"
#include "cp_pipe.h"

static void
on_added(const struct cp_consumer *k, const struct cp_err *err, void *arg)
{
	struct cp_api_call *c = arg;

	if (c->req != NULL) {
		cp_http_release(c->req);
		if (err != NULL)
			cp_http_fail_err(c->req, err);
		else
			cp_http_json(c->req, 200, json_pack("{s:s,s:I}", "consumerId", k->id, "ssrc",
							    (json_int_t)k->ssrc));
		c->req = NULL;
	}
	cp_api_call_end(c);
}

static void
post_pipe(struct evhttp_request *req, const struct cp_args *args)
{
	struct cp_pipe_req rq;
	struct cp_api_call *c;
	struct cp_err err;
	json_t *body = cp_http_body(req);

	(void)args;
	if (body == NULL)
		return;
	if (cp_schema_pipe_req(body, &rq, &err) < 0) {
		cp_http_fail_err(req, &err);
	} else if ((c = cp_api_call_new(req)) == NULL) {
		explicit_bzero(rq.key, sizeof(rq.key));
	} else if (cp_pipe_out_add(&rq, on_added, c, &err) < 0) {
		cp_api_call_end(c);
		cp_http_fail_err(req, &err);
	}
	json_decref(body);
}

static void
on_deleted(const struct cp_consumer *k, const struct cp_err *err, void *arg)
{
	(void)k;
	cp_api_answer_empty(err, NULL, arg);
}

static void
delete_pipe(struct evhttp_request *req, const struct cp_args *args)
{
	const char *producer = cp_args_get(args, "producer"), *node = cp_args_get(args, "node");
	struct cp_api_call *c;
	struct cp_err err;

	if (!cp_obj_id_ok(producer) || !cp_node_id_ok(node)) {
		cp_http_fail(req, -EINVAL, "a producer id and a node id");
		return;
	}
	c = cp_api_call_new(req);
	if (c != NULL && cp_pipe_out_del(producer, node, on_deleted, c, &err) < 0) {
		cp_api_call_end(c);
		cp_http_fail_err(req, &err);
	}
}

static const struct cp_route routes[] = {
	{EVHTTP_REQ_POST, "/v1/internal/pipes", post_pipe, CP_AUTH_PEER},
	{EVHTTP_REQ_DELETE, "/v1/internal/pipes/{producer}/{node}", delete_pipe, CP_AUTH_PEER},
};

int
cp_api_internal_routes(struct cp_router *r)
{
	return cp_router_add(r, routes, sizeof(routes) / sizeof(routes[0]));
}
