/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-cp, the control plane: one process, one libevent loop; nothing in
 * it is thread-safe and nothing needs to be.
 *
 * The layer rule. Its files form four layers, and arrows point down only: a
 * file includes, and so calls, files of its own layer or a lower one, never a
 * higher one, and no two modules include each other, directly or around a
 * circle. News travels up by observers instead: the registry announces its
 * changes, the cluster announces what other nodes do, and whoever cares
 * subscribes.
 *   - Leaves know nothing of the others' business: no cp.h, no HTTP request,
 *     no registry. What they check or compute they report as a cp_err.
 *     cp_err, cp_json, cp_ids, cp_addr, cp_map, cp_ports, cp_config (the
 *     configuration), cp_secret (its secrets), cp_rtp (RtpParameters,
 *     RtpCapabilities, negotiation), cp_schema (every input from outside),
 *     cp_keys (Redis keys), cp_dp (the dataplane driver), cp_neigh (next-hop
 *     MACs), cp_redis (the Redis connections), cp_peer (calls to other
 *     nodes), cp_sign (what the cluster secret signs: records and inter-node
 *     calls).
 *   - The registry owns rooms, transports, producers and consumers, their
 *     lifecycle and nothing else, and announces every change: cp_registry
 *     (the objects), cp_install (their changes through the dataplane).
 *   - Services observe the registry: cp_state (the state file), cp_reconcile
 *     (the registry against the dataplane's tables), cp_cluster and
 *     cp_liveness (Redis records, room channels, the other nodes), cp_events
 *     (room events for clients), cp_pipe and cp_pipe_out (pipes between
 *     nodes).
 *   - The API is a route table (cp_route) each API file adds its routes to,
 *     HTTP plumbing (cp_http) and the endpoint files (cp_api_*.c, this
 *     header); it alone turns a cp_err into an HTTP status.
 * cp_main.c wires them together. Every file names its layer at the end of its
 * opening comment; tests/unit/layers.py derives the include graph and fails on
 * an arrow that points up and on any circle.
 *
 * This header is the API layer's: what the endpoint files share.
 *
 * Layer: api.
 */
#ifndef CP_H
#define CP_H

#include <stdint.h>

#include <event2/http.h>

#include "cp_config.h"
#include "cp_err.h"
#include "cp_registry.h"
#include "cp_route.h"

/* ---- cp_api.c: what the endpoint files share ---- */

/* The API's view of the node: its configuration and start time (before any route runs). */
void cp_api_init(const struct cp_config *cfg, uint64_t start_ns);
const struct cp_config *cp_api_cfg(void);
uint64_t cp_api_start_ns(void);

/*
 * The object with this id, as the API sees it: pipe objects are internal and
 * answer 404 like unknown ids. NULL after answering 404.
 */
struct cp_transport *cp_api_transport(struct evhttp_request *req, const char *id);
struct cp_producer *cp_api_producer(struct evhttp_request *req, const char *id);
struct cp_consumer *cp_api_consumer(struct evhttp_request *req, const char *id);

/* A request waiting for an asynchronous change (held: req is NULL once the client went). */
struct cp_api_call {
	struct evhttp_request *req;
	void *data;
};
/* A held call for req (NULL after answering 500). */
struct cp_api_call *cp_api_call_new(struct evhttp_request *req);
/* Let go of req and free the call (its request answered or gone). */
void cp_api_call_end(struct cp_api_call *c);
/* A cp_op_cb answering {} on success and the error otherwise (arg: a cp_api_call). */
void cp_api_answer_empty(const struct cp_err *err, void *obj, void *arg);

/* ---- the endpoint files: each adds its routes ---- */

/* GET /v1/node, node drain, /v1/cluster/nodes, /v1/cluster/assign (cp_api_node.c) */
int cp_api_node_routes(struct cp_router *r);
/* rooms, transports, room events (cp_api_rooms.c) */
int cp_api_rooms_routes(struct cp_router *r);
/* producers and consumers (cp_api_media.c) */
int cp_api_media_routes(struct cp_router *r);
/* /v1/internal: node to node (cp_api_internal.c) */
int cp_api_internal_routes(struct cp_router *r);
/* GET /v1/stats, GET /metrics (cp_api_stats.c) */
int cp_api_stats_routes(struct cp_router *r);
/* Every route of the API. 0, or -ENOMEM. */
int cp_api_routes(struct cp_router *r);

#endif /* CP_H */
