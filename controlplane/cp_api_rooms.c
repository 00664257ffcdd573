/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rooms and transports: GET /v1/rooms, GET /v1/rooms/{room},
 * GET /v1/rooms/{room}/events (Server-Sent Events, Last-Event-ID resumes),
 * POST /v1/rooms/{room}/transports, POST /v1/transports/{id}/connect,
 * DELETE /v1/transports/{id}. In a cluster, the room views cover every node
 * of the room.
 *
 * Layer: api.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cascade_srtp.h"
#include "cp.h"
#include "cp_cluster.h"
#include "cp_dp.h"
#include "cp_events.h"
#include "cp_http.h"
#include "cp_install.h"

#define ROOM_RULE "room: 1 to 64 letters, digits, '-', '_' or '.'"

static json_t *
tuple(const char *ip, uint16_t port)
{
	return json_pack("{s:s,s:i,s:s}", "localIp", ip, "localPort", (int)port, "protocol", "udp");
}

/*
 * A comedia transport's remote as the dataplane learned it (from the first
 * accepted RTP packet; its RTCP port from RTCP that came from another port),
 * read from the dataplane's directory: "remote" with "learned": true, absent
 * until then.
 */
static void
learned_remote(json_t *j, const struct cp_transport *t)
{
	struct cascade_addr r, rr;
	char ip[CP_IP_MAX], rip[CP_IP_MAX];
	uint16_t port, rport;

	if (cp_dp_transport_remote(t->slot, t->dp_id, &r, &rr) < 0 ||
	    cp_addr_text(&r, ip, &port) < 0)
		return;
	/* an RTCP port of its own when it came from the same address */
	if (cp_addr_text(&rr, rip, &rport) < 0 || strcmp(rip, ip) != 0)
		rport = port;
	json_object_set_new(j, "remote", json_pack("{s:s,s:i,s:i,s:b}", "ip", ip, "port", (int)port,
						   "rtcpPort", (int)rport, "learned", 1));
}

static json_t *
transport_json(const struct cp_transport *t)
{
	json_t *j = json_pack("{s:s,s:s,s:o,s:b,s:b,s:b}", "id", t->id, "room", t->room, "tuple",
			      tuple(t->ip, t->port), "comedia", t->comedia, "rtcpMux", t->rtcp_mux,
			      "connected", t->connected);

	if (!t->rtcp_mux)
		json_object_set_new(j, "rtcpTuple", tuple(t->ip, t->rtcp_port));
	if (t->srtp_suite != CASCADE_SUITE_NONE) /* the suite only: keys are shown once, at create */
		json_object_set_new(j, "srtpCryptoSuite", json_string(cp_suite_name(t->srtp_suite)));
	if (t->remote_port != 0)
		json_object_set_new(j, "remote",
				    json_pack("{s:s,s:i,s:i}", "ip", t->remote_ip, "port",
					      (int)t->remote_port, "rtcpPort",
					      (int)(t->remote_rtcp_port ? t->remote_rtcp_port
									: t->remote_port)));
	else if (t->comedia)
		learned_remote(j, t);
	return j;
}

/* ---- transports ---------------------------------------------------------------------------- */

static void
on_created(const struct cp_err *err, void *obj, void *arg)
{
	struct cp_api_call *c = arg;
	struct cp_transport *t = obj;
	char b64[CASCADE_SRTP_KEY_BASE64_MAX + 1];
	json_t *j;

	if (c->req != NULL && err != NULL) {
		cp_http_release(c->req);
		cp_http_fail_err(c->req, err);
		c->req = NULL;
	} else if (c->req != NULL) {
		cp_http_release(c->req);
		j = transport_json(t);
		/* this node's key, the one and only time it is shown */
		if (t->srtp_suite != CASCADE_SUITE_NONE &&
		    cascade_srtp_key_to_base64(t->local_key, cascade_srtp_master_bytes(t->srtp_suite),
					       b64, sizeof(b64)) > 0)
			json_object_set_new(j, "srtpParameters",
					    json_pack("{s:s,s:s}", "cryptoSuite",
						      cp_suite_name(t->srtp_suite), "keyBase64", b64));
		explicit_bzero(b64, sizeof(b64));
		cp_http_json(c->req, 200, j);
		c->req = NULL;
	}
	cp_api_call_end(c);
}

static void
post_transport(struct evhttp_request *req, const struct cp_args *args)
{
	const char *room = cp_args_get(args, "room");
	struct cp_transport_req rq;
	struct cp_api_call *c;
	struct cp_err err;
	json_t *body;

	if (!cp_room_name_ok(room)) {
		cp_http_fail(req, -EINVAL, ROOM_RULE);
		return;
	}
	body = cp_http_body(req);
	if (body == NULL)
		return;
	if (cp_schema_transport_req(body, &rq, &err) < 0) {
		cp_http_fail_err(req, &err);
	} else if ((c = cp_api_call_new(req)) != NULL &&
		   cp_transport_create(room, &rq, on_created, c, &err) < 0) {
		cp_api_call_end(c);
		cp_http_fail_err(req, &err);
	}
	json_decref(body);
}

static void
post_connect(struct evhttp_request *req, const struct cp_args *args)
{
	struct cp_transport *t = cp_api_transport(req, cp_args_get(args, "id"));
	struct cp_connect_req rq;
	struct cp_api_call *c;
	struct cp_err err;
	json_t *body;

	if (t == NULL || (body = cp_http_body(req)) == NULL)
		return;
	if (cp_schema_connect_req(body, t->family, t->srtp_suite, t->comedia, t->rtcp_mux, &rq, &err) <
	    0) {
		cp_http_fail_err(req, &err);
	} else if ((c = cp_api_call_new(req)) == NULL) {
		explicit_bzero(&rq, sizeof(rq));
	} else if (cp_transport_connect(t, &rq, cp_api_answer_empty, c, &err) < 0) {
		cp_api_call_end(c);
		cp_http_fail_err(req, &err);
	}
	json_decref(body);
}

static void
delete_transport(struct evhttp_request *req, const struct cp_args *args)
{
	struct cp_transport *t = cp_api_transport(req, cp_args_get(args, "id"));
	struct cp_api_call *c;
	struct cp_err err;

	if (t == NULL || (c = cp_api_call_new(req)) == NULL)
		return;
	if (cp_transport_delete(t, cp_api_answer_empty, c, &err) < 0) {
		cp_api_call_end(c);
		cp_http_fail_err(req, &err);
	}
}

/* ---- room views ------------------------------------------------------------------------------ */

static void
add_room(const char *room, unsigned int n, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:i}", "name", room, "transports", (int)n));
}

/* Every room of the cluster with its nodes, from the nodes' records. */
static json_t *
cluster_rooms(void)
{
	json_t *nodes = cp_cluster_nodes_json(), *rooms = json_object(), *out = json_array();
	json_t *v, *r, *list;
	const char *name;
	size_t i, j;

	json_array_foreach(nodes, i, v)
	{
		json_array_foreach(json_object_get(v, "rooms"), j, r)
		{
			if (!json_is_string(r))
				continue;
			list = json_object_get(rooms, json_string_value(r));
			if (list == NULL) {
				list = json_array();
				json_object_set_new(rooms, json_string_value(r), list);
			}
			json_array_append(list, json_object_get(v, "id"));
		}
	}
	json_object_foreach(rooms, name, list)
		json_array_append_new(out, json_pack("{s:s,s:O,s:i}", "name", name, "nodes", list,
						     "transports",
						     (int)cp_registry_room_transports(name)));
	json_decref(nodes);
	json_decref(rooms);
	return out;
}

static void
get_rooms(struct evhttp_request *req, const struct cp_args *args)
{
	json_t *rooms;

	(void)args;
	if (cp_cluster_enabled()) {
		if (!cp_cluster_ready()) {
			cp_http_fail(req, -ENOTCONN, "redis unreachable: cluster state unknown");
			return;
		}
		cp_http_json(req, 200, json_pack("{s:o}", "rooms", cluster_rooms()));
		return;
	}
	rooms = json_array();
	cp_registry_each_room(add_room, rooms);
	cp_http_json(req, 200, json_pack("{s:o}", "rooms", rooms));
}

struct room_walk {
	const char *room;
	json_t *transports, *producers, *consumers;
};

static void
room_transport(struct cp_transport *t, void *arg)
{
	struct room_walk *w = arg;

	if (!t->pipe && strcmp(t->room, w->room) == 0)
		json_array_append_new(w->transports, transport_json(t));
}

static void
room_producer(struct cp_producer *p, void *arg)
{
	struct room_walk *w = arg;

	if (strcmp(p->room, w->room) == 0)
		json_array_append_new(w->producers,
				      json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "id", p->id, "node",
						p->node, "transportId", p->t->id, "kind",
						cp_kind_name(p->kind), "paused", p->paused, "pipe",
						p->pipe));
}

static void
room_consumer(struct cp_consumer *c, void *arg)
{
	struct room_walk *w = arg;

	if (c->pipe_node[0] == '\0' && strcmp(c->t->room, w->room) == 0)
		json_array_append_new(w->consumers,
				      json_pack("{s:s,s:s,s:s,s:b,s:I}", "id", c->id, "producerId",
						c->p->id, "transportId", c->t->id, "paused",
						c->paused, "ssrc", (json_int_t)c->ssrc));
}

/* The room's nodes and the producers of the other nodes, from Redis, then the answer. */
static void
on_remote_producers(const json_t *list, const struct cp_err *err, void *arg)
{
	struct cp_api_call *c = arg;
	json_t *out = c->data, *nodes, *all, *v, *p;
	const char *room = json_string_value(json_object_get(out, "name"));
	size_t i;

	if (c->req == NULL)
		goto out;
	cp_http_release(c->req);
	if (list == NULL) {
		cp_http_fail_err(c->req, err);
		goto out;
	}
	json_array_foreach((json_t *)list, i, p)
	{
		const struct cp_producer *local =
			cp_registry_producer(json_string_value(json_object_get(p, "id")));

		if (local == NULL) /* piped in here: listed already */
			json_array_append(json_object_get(out, "producers"), p);
	}
	nodes = json_array();
	if (cp_registry_room_transports(room) > 0)
		json_array_append_new(nodes, json_string(cp_api_cfg()->node_id));
	all = cp_cluster_nodes_json();
	json_array_foreach(all, i, v)
	{
		const json_t *r;
		size_t k;

		if (json_is_true(json_object_get(v, "self")))
			continue;
		json_array_foreach(json_object_get(v, "rooms"), k, r)
			if (json_is_string(r) && strcmp(json_string_value(r), room) == 0)
				json_array_append(nodes, json_object_get(v, "id"));
	}
	json_decref(all);
	if (json_array_size(nodes) == 0 && json_array_size(list) == 0) {
		json_decref(nodes);
		cp_http_fail(c->req, -ENOENT, "room %s not found on any node", room);
		goto out;
	}
	json_object_set_new(out, "nodes", nodes);
	cp_http_json(c->req, 200, json_incref(out));
out:
	c->req = NULL;
	json_decref(out);
	cp_api_call_end(c);
}

static void
get_room(struct evhttp_request *req, const struct cp_args *args)
{
	const char *room = cp_args_get(args, "room");
	struct room_walk w = {.room = room};
	struct cp_api_call *c;
	struct cp_err err;
	json_t *out;

	if (!cp_room_name_ok(room)) {
		cp_http_fail(req, -EINVAL, ROOM_RULE);
		return;
	}
	if (cp_registry_room_transports(room) == 0 && !cp_cluster_enabled()) {
		cp_http_fail(req, -ENOENT, "room %s not found (no transport in it)", room);
		return;
	}
	w.transports = json_array();
	w.producers = json_array();
	w.consumers = json_array();
	cp_registry_each_transport(room_transport, &w);
	cp_registry_each_producer(room_producer, &w);
	cp_registry_each_consumer(room_consumer, &w);
	out = json_pack("{s:s,s:o,s:o,s:o}", "name", room, "transports", w.transports, "producers",
			w.producers, "consumers", w.consumers);
	if (!cp_cluster_enabled()) {
		cp_http_json(req, 200, out);
		return;
	}
	/* the other nodes' producers of the room too */
	c = cp_api_call_new(req);
	if (c == NULL) {
		json_decref(out);
		return;
	}
	c->data = out;
	if (cp_cluster_room_producers(room, on_remote_producers, c, &err) < 0) {
		json_decref(out);
		cp_api_call_end(c);
		cp_http_fail_err(req, &err);
	}
}

static void
get_events(struct evhttp_request *req, const struct cp_args *args)
{
	const char *room = cp_args_get(args, "room");
	const char *last =
		evhttp_find_header(evhttp_request_get_input_headers(req), "Last-Event-ID");
	unsigned long long last_id = 0;
	struct cp_err err;
	char *end;

	if (!cp_room_name_ok(room)) {
		cp_http_fail(req, -EINVAL, ROOM_RULE);
		return;
	}
	if (last != NULL) {
		last_id = strtoull(last, &end, 10);
		if (last[0] < '0' || last[0] > '9' || *end != '\0')
			last_id = 0; /* not one of ours: the stream starts now */
	}
	if (cp_events_subscribe(req, room, last_id, &err) < 0)
		cp_http_fail_err(req, &err);
}

static const struct cp_route routes[] = {
	{EVHTTP_REQ_GET, "/v1/rooms", get_rooms, CP_AUTH_APP},
	{EVHTTP_REQ_GET, "/v1/rooms/{room}", get_room, CP_AUTH_APP},
	{EVHTTP_REQ_GET, "/v1/rooms/{room}/events", get_events, CP_AUTH_APP},
	{EVHTTP_REQ_POST, "/v1/rooms/{room}/transports", post_transport, CP_AUTH_APP},
	{EVHTTP_REQ_POST, "/v1/transports/{id}/connect", post_connect, CP_AUTH_APP},
	{EVHTTP_REQ_DELETE, "/v1/transports/{id}", delete_transport, CP_AUTH_APP},
};

int
cp_api_rooms_routes(struct cp_router *r)
{
	return cp_router_add(r, routes, sizeof(routes) / sizeof(routes[0]));
}
