/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cluster: Redis connections (cp_redis.c), the node's registration, rooms
 * and producers in Redis and the room channels (cp_cluster.c), and pipes
 * between nodes (cp_pipe.c). Event-loop thread only. Without redis.url the
 * node is standalone and every hook here is a no-op.
 */
#ifndef CP_CLUSTER_H
#define CP_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "cp.h"

struct cp_producer;

/* ---- cp_redis.c ---- */

/* reply is a redisReply *, NULL when the connection dropped before the answer */
typedef void (*cp_redis_cb)(void *ac, void *reply, void *arg);
typedef void (*cp_redis_msg_cb)(const char *channel, const char *payload, size_t len);

/* 0 when url is redis://IP:PORT, -1 otherwise. */
int cp_redis_check_url(const char *url);
/* Connect (and keep reconnecting). on_up runs each time both connections are up again. */
int cp_redis_init(struct event_base *base, const char *url, void (*on_up)(void),
		  void (*on_down)(void), cp_redis_msg_cb on_msg);
void cp_redis_fini(void);
bool cp_redis_up(void);
/* Drop the connections and reconnect (one stopped answering). */
void cp_redis_reset(void);
/* Queue a command; cb may be NULL. 0, -ENOTCONN while Redis is away, -EIO. */
int cp_redis_cmd(cp_redis_cb cb, void *arg, const char *fmt, ...);
int cp_redis_cmdv(cp_redis_cb cb, void *arg, int argc, const char **argv, const size_t *argvlen);
/* SUBSCRIBE (on) or UNSUBSCRIBE a channel on the subscription connection. */
int cp_redis_subscribe(const char *channel, bool on);

/* ---- cp_cluster.c ---- */

int cp_cluster_init(struct event_base *base, const struct cp_config *cfg);
void cp_cluster_fini(void);
/* The node runs with a Redis URL. */
bool cp_cluster_enabled(void);
/* Redis is reachable and the node registered since it last came back. */
bool cp_cluster_ready(void);

/* A room got its first local transport / lost its last one. */
void cp_cluster_room_join(const char *room);
void cp_cluster_room_leave(const char *room);
/* A local producer was created, paused/resumed, or closed (not pipe producers). */
/* done(arg) runs once Redis has the record (at once when standalone or Redis is away). */
void cp_cluster_producer_add(const struct cp_producer *p, void (*done)(void *), void *arg);
void cp_cluster_producer_update(const struct cp_producer *p);
void cp_cluster_producer_close(const struct cp_producer *p);

/*
 * The Redis record of producer id in room ({"id","node","kind","rtpParameters",
 * "paused"}), or NULL with err: -ENOENT (no such producer in the room),
 * -ENOTCONN (Redis away).
 */
typedef void (*cp_cluster_producer_cb)(json_t *rec, int err, void *arg);
void cp_cluster_find_producer(const char *room, const char *id, cp_cluster_producer_cb cb,
			      void *arg);
/* The node record of a live node ({"id","api","media_ip","pipe_port",...}) or NULL. */
json_t *cp_cluster_node(const char *id);

/* GET /v1/cluster/nodes, GET /v1/cluster/assign, POST /v1/node/drain */
void cp_api_cluster_nodes(struct evhttp_request *req);
void cp_api_cluster_assign(struct evhttp_request *req, const char *room);
void cp_api_node_drain(struct evhttp_request *req, bool drain);
/* GET /v1/rooms and /v1/rooms/{room} across the cluster */
void cp_api_cluster_rooms(struct evhttp_request *req);
void cp_api_cluster_room(struct evhttp_request *req, const char *room, json_t *local);
/* This node's own fields for GET /v1/node: cluster state, draining. */
json_t *cp_cluster_node_json(void);

#endif /* CP_CLUSTER_H */
