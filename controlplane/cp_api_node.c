/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node and the cluster as a whole: GET /v1/node (answered after a ping
 * through the command ring, so "running" means the dataplane answers),
 * POST and DELETE /v1/node/drain, GET /v1/cluster/nodes and
 * GET /v1/cluster/assign?room=R.
 *
 * Layer: api.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cp.h"
#include "cp_cluster.h"
#include "cp_dp.h"
#include "cp_http.h"
#include "cp_redis.h"

#define PING_TIMEOUT_MS 1000
/* a node over this load is passed over for its rooms' new participants */
#define ASSIGN_ROOM_THRESHOLD 0.8

static json_t *
node_json(const struct cascade_reply *ping)
{
	const struct cp_config *c = cp_api_cfg();
	const struct cascade_seg *seg = cp_dp_seg();
	json_t *ips = json_array(), *dp, *node, *cluster;
	char api[CP_URL_MAX], epoch[24];
	unsigned int i;

	for (i = 0; i < c->n_media_ips; i++)
		json_array_append_new(ips, json_string(c->media_ips[i]));
	/* HOST:PORT, an IPv6 host in brackets */
	cp_url_format(api, sizeof(api), "http", c->api_host, c->api_port);
	if (seg != NULL && ping != NULL && ping->status == 0) {
		struct cascade_lcore_stats s;
		cascade_seg_lcore_stats(seg, &s);
		snprintf(epoch, sizeof(epoch), "%016" PRIx64, seg->hdr->epoch);
		dp = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:{s:i,s:i,s:i},s:{s:I,s:I,s:I}}", "state",
			       "running", "segment", c->segment, "epoch", epoch, "version",
			       seg->hdr->version, "srtp_backend", seg->hdr->srtp_backend, "workers",
			       (int)seg->lay.n_lcores, "capacity", "transports",
			       (int)seg->lay.max_transports, "producers", (int)seg->lay.max_producers,
			       "consumers", (int)seg->lay.max_consumers, "packets", "rx",
			       (json_int_t)s.ctr[CASCADE_LC_RX_PKTS], "tx",
			       (json_int_t)s.ctr[CASCADE_LC_TX_PKTS], "dropped",
			       (json_int_t)s.ctr[CASCADE_LC_DROP_PKTS]);
	} else {
		dp = json_pack("{s:s,s:s}", "state", seg == NULL ? "absent" : "not answering",
			       "segment", c->segment);
	}
	node = json_pack("{s:s,s:s,s:I,s:{s:s,s:o,s:[i,i]},s:o}", "id", c->node_id, "version",
			 CASCADE_CP_VERSION, "uptime_s",
			 (json_int_t)((cascade_now_ns() - cp_api_start_ns()) / 1000000000ull),
			 "addresses", "api", api + strlen("http://"), "media", ips, "port_range",
			 (int)c->port_min, (int)c->port_max, "dataplane", dp);
	cluster = cp_cluster_state_json();
	/* why "redis unreachable" when it is Redis refusing our credentials */
	if (cp_cluster_enabled() && cp_redis_auth_error() != NULL)
		json_object_set_new(cluster, "redis_error", json_string(cp_redis_auth_error()));
	json_object_set_new(node, "cluster", cluster);
	return node;
}

static void
on_ping(const struct cascade_reply *r, void *arg)
{
	struct cp_api_call *c = arg;

	if (c->req != NULL) {
		cp_http_release(c->req);
		cp_http_json(c->req, 200, node_json(r));
		c->req = NULL;
	}
	cp_api_call_end(c);
}

static void
get_node(struct evhttp_request *req, const struct cp_args *args)
{
	struct cp_api_call *c;
	struct cascade_cmd cmd;

	(void)args;
	if (cp_dp_state() != CP_DP_RUNNING) {
		cp_http_json(req, 200, node_json(NULL));
		return;
	}
	c = cp_api_call_new(req);
	if (c == NULL)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_PING;
	if (cp_dp_call(&cmd, PING_TIMEOUT_MS, on_ping, c) < 0) {
		cp_api_call_end(c);
		cp_http_json(req, 200, node_json(NULL));
	}
}

static void
drain(struct evhttp_request *req, bool on)
{
	cp_cluster_set_draining(on);
	cp_http_json(req, 200, json_pack("{s:s,s:b}", "id", cp_api_cfg()->node_id, "draining", on));
}

static void
post_drain(struct evhttp_request *req, const struct cp_args *args)
{
	(void)args;
	drain(req, true);
}

static void
delete_drain(struct evhttp_request *req, const struct cp_args *args)
{
	(void)args;
	drain(req, false);
}

/* 0 when the cluster can answer; else answers 404 (standalone) or 503 (Redis away). */
static int
need_cluster(struct evhttp_request *req)
{
	if (!cp_cluster_enabled()) {
		cp_http_fail(req, -ENOENT, "this node runs without a cluster (no redis.url)");
		return -1;
	}
	if (!cp_cluster_ready()) {
		cp_http_fail(req, -ENOTCONN, "redis unreachable: cluster state unknown");
		return -1;
	}
	return 0;
}

static void
get_nodes(struct evhttp_request *req, const struct cp_args *args)
{
	(void)args;
	if (need_cluster(req) == 0)
		cp_http_json(req, 200, json_pack("{s:o}", "nodes", cp_cluster_nodes_json()));
}

static bool
in_room(const json_t *rooms, const char *room)
{
	const json_t *v;
	size_t i;

	json_array_foreach((json_t *)rooms, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), room) == 0)
			return true;
	return false;
}

/* The least loaded node already in the room unless it is over the threshold, else the least
 * loaded node; never a draining one. */
static void
get_assign(struct evhttp_request *req, const struct cp_args *args)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	json_t *nodes, *v, *best = NULL, *best_room = NULL;
	double best_s = 1e300, best_room_s = 1e300;
	struct evkeyvalq q;
	char room[CP_NAME_MAX + 1] = "";
	size_t i;

	(void)args;
	if (query != NULL && evhttp_parse_query_str(query, &q) == 0) {
		const char *r = evhttp_find_header(&q, "room");
		if (r != NULL && cp_room_name_ok(r))
			snprintf(room, sizeof(room), "%s", r);
		evhttp_clear_headers(&q);
	}
	if (room[0] == '\0') {
		cp_http_fail(req, -EINVAL,
			     "room: required query parameter, 1 to 64 letters, digits, '-', '_' or '.'");
		return;
	}
	if (need_cluster(req) < 0)
		return;
	nodes = cp_cluster_nodes_json();
	json_array_foreach(nodes, i, v)
	{
		json_t *score = json_object_get(json_object_get(v, "load"), "score");
		double s = json_is_number(score) ? json_number_value(score) : 1.0;

		if (json_is_true(json_object_get(v, "draining")))
			continue;
		if (s < best_s)
			best_s = s, best = v;
		if (in_room(json_object_get(v, "rooms"), room) && s < best_room_s)
			best_room_s = s, best_room = v;
	}
	/* a node already in the room unless it is over the threshold: fewer pipes */
	if (best_room != NULL && best_room_s < ASSIGN_ROOM_THRESHOLD)
		best = best_room;
	if (best == NULL) {
		json_decref(nodes);
		cp_http_fail(req, -ENOTCONN, "every node is draining");
		return;
	}
	cp_http_json(req, 200,
		     json_pack("{s:s,s:O,s:O,s:O,s:b,s:O}", "room", room, "node",
			       json_object_get(best, "id"), "api", json_object_get(best, "api"),
			       "media_ip", json_object_get(best, "media_ip"), "inRoom",
			       best == best_room, "load", json_object_get(best, "load")));
	json_decref(nodes);
}

static const struct cp_route routes[] = {
	{EVHTTP_REQ_GET, "/v1/node", get_node, CP_AUTH_APP},
	{EVHTTP_REQ_POST, "/v1/node/drain", post_drain, CP_AUTH_APP},
	{EVHTTP_REQ_DELETE, "/v1/node/drain", delete_drain, CP_AUTH_APP},
	{EVHTTP_REQ_GET, "/v1/cluster/nodes", get_nodes, CP_AUTH_APP},
	{EVHTTP_REQ_GET, "/v1/cluster/assign", get_assign, CP_AUTH_APP},
};

int
cp_api_node_routes(struct cp_router *r)
{
	return cp_router_add(r, routes, sizeof(routes) / sizeof(routes[0]));
}
