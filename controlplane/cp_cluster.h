/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node in the cluster (DESIGN.md 4): its record, rooms and producers in
 * Redis, the room channels, and (cp_liveness.c) the watch over the other
 * nodes. It observes the registry (rooms joined and left, local producers
 * added, paused, closed) and tells its own observers what other nodes do
 * (their producers added, paused, resumed, closed; a node down), so the pipes
 * and the room events follow without the cluster calling them. Without
 * redis.url the node is standalone and all of it is idle. Event-loop thread
 * only.
 *
 * Layer: service.
 */
#ifndef CP_CLUSTER_H
#define CP_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "cp_config.h"
#include "cp_err.h"
#include "cp_schema.h"

int cp_cluster_init(struct event_base *base, const struct cp_config *cfg);
void cp_cluster_fini(void);
/* The node runs with a Redis URL. */
bool cp_cluster_enabled(void);
/* Redis is reachable and the node registered since it last came back. */
bool cp_cluster_ready(void);

/* ---- what other nodes do ---- */

enum cp_cluster_ev {
	CP_CL_PRODUCER_ADDED,
	CP_CL_PRODUCER_PAUSED, /* paused or resumed: see paused */
	CP_CL_PRODUCER_CLOSED,
	CP_CL_NODE_DOWN, /* node only; once per death, whoever noticed it first */
};

struct cp_cluster_event {
	enum cp_cluster_ev type;
	const char *node; /* the node it is about */
	const char *room; /* producer events */
	const char *producer_id;
	uint8_t kind; /* producer.add */
	bool paused;  /* producer.add, producer.pause/resume */
	bool tell;    /* node.down: the first time for this death (clients hear of it) */
};

/* Call fn for every event from now on. 0, or -ENOMEM. */
int cp_cluster_watch(void (*fn)(const struct cp_cluster_event *ev, void *arg), void *arg);

/* ---- asking the cluster ---- */

/* done(arg) once Redis has every command queued so far (at once when it cannot). */
void cp_cluster_flush(void (*done)(void *arg), void *arg);
/*
 * The checked record of producer id in room, or NULL with err: -ENOENT (no
 * such producer in the room, or its record is not usable: err says why),
 * -ENOTCONN (Redis away). rec is valid during the call only.
 */
typedef void (*cp_cluster_producer_cb)(const struct cp_producer_rec *rec,
				       const struct cp_err *err, void *arg);
void cp_cluster_find_producer(const char *room, const char *id, cp_cluster_producer_cb cb,
			      void *arg);
/* A live node's checked record (this node's too), or NULL. */
const struct cp_node_rec *cp_cluster_node(const char *id);

/* ---- views for the API ---- */

/* Every live node, this one first: [{"id","api","media_ip",...,"rooms","self"}] (new reference). */
json_t *cp_cluster_nodes_json(void);
/* This node's cluster state for GET /v1/node (new reference). */
json_t *cp_cluster_state_json(void);
/* Why records read from Redis were refused: the reason's name, the counter. */
#define CP_CLUSTER_REFUSALS(X)                                                                     \
	X(SIGNATURE, "signature") /* unsigned, or not signed with the secret for its key */        \
	X(INVALID, "invalid")     /* signed, but breaks a rule (not JSON, a bad field) */
enum cp_cluster_refusal {
#define X(e, name) CP_REFUSED_##e,
	CP_CLUSTER_REFUSALS(X)
#undef X
	CP_REFUSED_MAX
};
const char *cp_cluster_refusal_name(enum cp_cluster_refusal r);
uint64_t cp_cluster_refused_count(enum cp_cluster_refusal r);

/* Stop / resume new assignments to this node. */
void cp_cluster_set_draining(bool drain);
bool cp_cluster_draining(void);
/*
 * The producers of room on other nodes, from Redis: cb(list, NULL) with
 * [{"id","node","kind","paused"}] (borrowed), or cb(NULL, err) when Redis is
 * away. Records that are not usable are left out.
 */
typedef void (*cp_cluster_list_cb)(const json_t *list, const struct cp_err *err, void *arg);
int cp_cluster_room_producers(const char *room, cp_cluster_list_cb cb, void *arg,
			      struct cp_err *err);

#endif /* CP_CLUSTER_H */
