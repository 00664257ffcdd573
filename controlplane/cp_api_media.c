/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Producers and consumers: POST /v1/transports/{id}/producers and
 * /consumers, POST /v1/producers/{id}/pause | resume, the same for
 * consumers, DELETE /v1/producers/{id} and /v1/consumers/{id}. A consumer
 * may name a producer on another node of the room: the call pipes it in
 * first (cp_pipe.c) and returns when media can flow. A producer's answer
 * waits until Redis has its record, so a consume on another node right after
 * it finds the producer.
 *
 * Layer: api.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp.h"
#include "cp_cluster.h"
#include "cp_http.h"
#include "cp_install.h"
#include "cp_pipe.h"

/* ---- producers ------------------------------------------------------------------------------ */

static void
producer_answer(void *arg)
{
	struct cp_api_call *c = arg;

	if (c->req != NULL) {
		cp_http_release(c->req);
		cp_http_json(c->req, 200, json_pack("{s:s}", "id", (const char *)c->data));
		c->req = NULL;
	}
	free(c->data);
	cp_api_call_end(c);
}

static void
on_producer(const struct cp_err *err, void *obj, void *arg)
{
	struct cp_api_call *c = arg;
	const struct cp_producer *p = obj;

	if (err != NULL || (c->data = strdup(p->id)) == NULL) {
		if (c->req != NULL) {
			cp_http_release(c->req);
			if (err != NULL)
				cp_http_fail_err(c->req, err);
			else
				cp_http_fail(c->req, -ENOMEM, "out of memory");
			c->req = NULL;
		}
		cp_api_call_end(c);
		return;
	}
	/* answered once the cluster has it too */
	cp_cluster_flush(producer_answer, c);
}

static void
post_producer(struct evhttp_request *req, const struct cp_args *args)
{
	struct cp_transport *t = cp_api_transport(req, cp_args_get(args, "id"));
	struct cp_producer_req rq;
	struct cp_api_call *c;
	struct cp_err err;
	json_t *body;

	if (t == NULL || (body = cp_http_body(req)) == NULL)
		return;
	if (cp_schema_producer_req(body, &rq, &err) < 0) {
		cp_http_fail_err(req, &err);
	} else if ((c = cp_api_call_new(req)) != NULL &&
		   cp_producer_create(t, &rq, on_producer, c, &err) < 0) {
		cp_api_call_end(c);
		cp_http_fail_err(req, &err);
	}
	json_decref(body);
}

/* ---- consumers ------------------------------------------------------------------------------ */

static void
on_consumer(const struct cp_err *err, void *obj, void *arg)
{
	struct cp_api_call *c = arg;
	const struct cp_consumer *k = obj;

	if (c->req != NULL) {
		cp_http_release(c->req);
		if (err != NULL)
			cp_http_fail_err(c->req, err);
		else
			cp_http_json(c->req, 200,
				     json_pack("{s:s,s:s,s:s,s:O,s:b}", "id", k->id, "producerId",
					       k->p->id, "kind", cp_kind_name(k->p->kind),
					       "rtpParameters", k->rtp, "paused", k->paused));
		c->req = NULL;
	}
	cp_api_call_end(c);
}

/* A consume call waiting for the pipe of a producer on another node. */
struct remote_consume {
	char transport_id[CP_OBJ_ID_MAX];
	json_t *body;
};

static void
on_pipe(struct cp_producer *p, const struct cp_err *err, void *arg)
{
	struct cp_api_call *c = arg;
	struct remote_consume *rc = c->data;
	struct cp_transport *t = cp_registry_transport(rc->transport_id);
	struct cp_consumer_req rq;
	struct cp_err cerr;

	c->data = NULL;
	if (c->req == NULL) {
		/* the client went away: a pipe nobody consumes goes at the pipes' next sweep */
		cp_api_call_end(c);
	} else if (p == NULL) {
		cp_http_release(c->req);
		cp_http_fail_err(c->req, err);
		c->req = NULL;
		cp_api_call_end(c);
	} else if (t == NULL || t->pipe) {
		cp_http_release(c->req);
		cp_http_fail(c->req, -ENOENT, "transport %s not found", rc->transport_id);
		c->req = NULL;
		cp_api_call_end(c);
	} else if (cp_schema_consumer_req(rc->body, &rq, &cerr) < 0 ||
		   cp_consumer_create(t, p, &rq, on_consumer, c, &cerr) < 0) {
		struct evhttp_request *req = c->req;

		cp_api_call_end(c);
		cp_http_fail_err(req, &cerr);
	}
	json_decref(rc->body);
	free(rc);
}

static void
post_consumer(struct evhttp_request *req, const struct cp_args *args)
{
	struct cp_transport *t = cp_api_transport(req, cp_args_get(args, "id"));
	struct cp_consumer_req rq;
	struct remote_consume *rc;
	struct cp_producer *p;
	struct cp_api_call *c;
	struct cp_err err;
	json_t *body;

	if (t == NULL || (body = cp_http_body(req)) == NULL)
		return;
	if (cp_schema_consumer_req(body, &rq, &err) < 0) {
		cp_http_fail_err(req, &err);
		goto out;
	}
	p = cp_registry_producer(rq.producer_id);
	if (p != NULL && !p->pipe) {
		if ((c = cp_api_call_new(req)) != NULL &&
		    cp_consumer_create(t, p, &rq, on_consumer, c, &err) < 0) {
			cp_api_call_end(c);
			cp_http_fail_err(req, &err);
		}
		goto out;
	}
	if (!cp_cluster_enabled()) {
		cp_http_fail(req, -ENOENT, "producer %s not found", rq.producer_id);
		goto out;
	}
	/* a producer on another node of the room: pipe it in first (shared by concurrent calls) */
	rc = calloc(1, sizeof(*rc));
	if (rc == NULL) {
		cp_http_fail(req, -ENOMEM, "out of memory");
		goto out;
	}
	c = cp_api_call_new(req);
	if (c == NULL) {
		free(rc);
		goto out;
	}
	snprintf(rc->transport_id, sizeof(rc->transport_id), "%s", t->id);
	rc->body = json_incref(body);
	c->data = rc;
	cp_pipe_ensure(t->room, rq.producer_id, on_pipe, c);
out:
	json_decref(body);
}

/* ---- pause, resume, delete ------------------------------------------------------------------ */

enum change { CH_RESUME, CH_PAUSE, CH_DELETE };

/* Change the object of the path; answers {} or the error. */
static void
change(struct evhttp_request *req, const struct cp_args *args, bool producer, enum change what)
{
	const char *id = cp_args_get(args, "id");
	struct cp_producer *p = NULL;
	struct cp_consumer *k = NULL;
	struct cp_api_call *c;
	struct cp_err err;
	int rc;

	if (producer ? (p = cp_api_producer(req, id)) == NULL : (k = cp_api_consumer(req, id)) == NULL)
		return;
	c = cp_api_call_new(req);
	if (c == NULL)
		return;
	if (what == CH_DELETE)
		rc = producer ? cp_producer_delete(p, cp_api_answer_empty, c, &err)
			      : cp_consumer_delete(k, cp_api_answer_empty, c, &err);
	else
		rc = producer ? cp_producer_pause(p, what == CH_PAUSE, cp_api_answer_empty, c, &err)
			      : cp_consumer_pause(k, what == CH_PAUSE, cp_api_answer_empty, c, &err);
	if (rc < 0) {
		cp_api_call_end(c);
		cp_http_fail_err(req, &err);
	}
}

static void
producer_pause(struct evhttp_request *req, const struct cp_args *args)
{
	change(req, args, true, CH_PAUSE);
}

static void
producer_resume(struct evhttp_request *req, const struct cp_args *args)
{
	change(req, args, true, CH_RESUME);
}

static void
producer_delete(struct evhttp_request *req, const struct cp_args *args)
{
	change(req, args, true, CH_DELETE);
}

static void
consumer_pause(struct evhttp_request *req, const struct cp_args *args)
{
	change(req, args, false, CH_PAUSE);
}

static void
consumer_resume(struct evhttp_request *req, const struct cp_args *args)
{
	change(req, args, false, CH_RESUME);
}

static void
consumer_delete(struct evhttp_request *req, const struct cp_args *args)
{
	change(req, args, false, CH_DELETE);
}

static const struct cp_route routes[] = {
	{EVHTTP_REQ_POST, "/v1/transports/{id}/producers", post_producer, CP_AUTH_APP},
	{EVHTTP_REQ_POST, "/v1/transports/{id}/consumers", post_consumer, CP_AUTH_APP},
	{EVHTTP_REQ_POST, "/v1/producers/{id}/pause", producer_pause, CP_AUTH_APP},
	{EVHTTP_REQ_POST, "/v1/producers/{id}/resume", producer_resume, CP_AUTH_APP},
	{EVHTTP_REQ_DELETE, "/v1/producers/{id}", producer_delete, CP_AUTH_APP},
	{EVHTTP_REQ_POST, "/v1/consumers/{id}/pause", consumer_pause, CP_AUTH_APP},
	{EVHTTP_REQ_POST, "/v1/consumers/{id}/resume", consumer_resume, CP_AUTH_APP},
	{EVHTTP_REQ_DELETE, "/v1/consumers/{id}", consumer_delete, CP_AUTH_APP},
};

int
cp_api_media_routes(struct cp_router *r)
{
	return cp_router_add(r, routes, sizeof(routes) / sizeof(routes[0]));
}
