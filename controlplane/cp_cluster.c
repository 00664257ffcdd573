/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node in the cluster (DESIGN.md §4): its record, rooms and producers in
 * Redis, the room channels, and the watch over the other nodes.
 *
 * Keys (P = redis.prefix; room keys hash-tagged by room, node keys by node, so
 * that a Redis Cluster can hold them and each MULTI stays in one slot):
 *   P:nodes                     set of registered node ids
 *   P:node:{ID}                 hash: id, api, media_ip, pipe_port, pipe_srtp, draining, load
 *                               (expires after cluster.node_ttl_ms unless refreshed)
 *   P:node:{ID}:rooms           set of the rooms the node has participants in
 *   P:node:{ID}:producers       set of "ROOM/PRODUCER" the node owns
 *   P:{ROOM}:nodes              set of node ids with participants in ROOM
 *   P:{ROOM}:producers          hash: producer id -> {"id","node","room","kind",
 *                               "rtpParameters","paused"}
 *   P:{ROOM}:events             channel: {"type","node","producer"?}
 *
 * Whenever Redis comes (back), the node writes the truth it holds: its record,
 * its rooms and producers (re-published on the room channels), and it removes
 * what Redis still has for its id that it no longer owns (a restart after a
 * crash, or changes made while Redis was away). The watch reads every node's
 * record twice per TTL/3; a node whose record lapsed is dead: its producers are
 * removed from their rooms (by whichever node sees it first; every step is
 * idempotent), pipes from it are closed, and local clients get node.down.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cp.h"
#include "cp_cluster.h"
#include "cp_map.h"
#include "cp_objects.h"

#define KEY_MAX 256
/* a node over this load is passed over for its rooms' new participants */
#define ASSIGN_ROOM_THRESHOLD 0.8
/* egress packets per second that count as a fully loaded node */
#define EGRESS_PPS_FULL 5000000.0

struct peer_node {
	char id[CP_ID_MAX];
	json_t *rec;   /* its record: id, api, media_ip, pipe_port, pipe_srtp, draining, load */
	json_t *rooms; /* array of room names */
	bool seen;     /* in the current watch round */
};

static struct {
	const struct cp_config *cfg;
	struct event_base *base;
	bool enabled, registered, draining;
	struct event *heartbeat, *watch;
	struct cp_map peers; /* id -> struct peer_node: live nodes other than this one */
	struct cp_map downs; /* ids announced dead to local clients (each once per death) */
	/* the watch round in flight */
	unsigned int round_pending;
	bool round_busy, round_failed;
	uint64_t grace_until_ns; /* no node is judged dead before (Redis just came back) */
	/* the heartbeat's answers: a command connection that stops answering is reset */
	uint64_t hb_sent_ns, hb_answered_ns;
	/* load */
	uint64_t last_tx, last_polls, last_idle, last_ns;
	double egress_pps, cpu;
} cl;

/* ---- keys ------------------------------------------------------------------------------ */

static const char *
key_node(char *b, const char *id, const char *suffix)
{
	snprintf(b, KEY_MAX, "%s:node:{%s}%s", cl.cfg->redis_prefix, id, suffix);
	return b;
}

static const char *
key_room(char *b, const char *room, const char *suffix)
{
	snprintf(b, KEY_MAX, "%s:{%s}:%s", cl.cfg->redis_prefix, room, suffix);
	return b;
}

static const char *
key_nodes(char *b)
{
	snprintf(b, KEY_MAX, "%s:nodes", cl.cfg->redis_prefix);
	return b;
}

bool
cp_cluster_enabled(void)
{
	return cl.enabled;
}

bool
cp_cluster_ready(void)
{
	return cl.enabled && cl.registered && cp_redis_up();
}

/* ---- records ------------------------------------------------------------------------- */

static const char *
kind_name(uint8_t kind)
{
	return kind == CASCADE_KIND_AUDIO ? "audio" : "video";
}

static json_t *
producer_rec(const struct cp_producer *p)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:O,s:b}", "id", p->id, "node", cl.cfg->node_id, "room",
			 p->room, "kind", kind_name(p->kind), "rtpParameters", p->rtp, "paused",
			 p->paused);
}

static void
publish(const char *room, const char *type, json_t *producer)
{
	char ch[KEY_MAX];
	json_t *msg = json_pack("{s:s,s:s}", "type", type, "node", cl.cfg->node_id);
	char *s;

	if (producer != NULL)
		json_object_set(msg, "producer", producer);
	s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (s == NULL)
		return;
	cp_redis_cmd(NULL, NULL, "PUBLISH %s %s", key_room(ch, room, "events"), s);
	free(s);
}

static void
load_update(void)
{
	const struct cascade_seg *seg = cp_dp_seg();
	struct cascade_lcore_stats s;
	uint64_t now = cascade_now_ns(), polls, idle;
	double dt;

	if (seg == NULL || cp_dp_state() != CP_DP_RUNNING) {
		cl.egress_pps = cl.cpu = 0;
		cl.last_ns = 0;
		return;
	}
	cascade_seg_lcore_stats(seg, &s);
	polls = s.ctr[CASCADE_LC_POLLS];
	idle = s.ctr[CASCADE_LC_IDLE_POLLS];
	if (cl.last_ns != 0 && now > cl.last_ns && s.ctr[CASCADE_LC_TX_PKTS] >= cl.last_tx &&
	    polls >= cl.last_polls && idle >= cl.last_idle) {
		dt = (double)(now - cl.last_ns) / 1e9;
		cl.egress_pps = (double)(s.ctr[CASCADE_LC_TX_PKTS] - cl.last_tx) / dt;
		/* share of polls that found packets: how busy the workers are */
		cl.cpu = polls > cl.last_polls ? 1.0 - (double)(idle - cl.last_idle) /
							 (double)(polls - cl.last_polls)
					      : 0.0;
	}
	cl.last_tx = s.ctr[CASCADE_LC_TX_PKTS];
	cl.last_polls = polls;
	cl.last_idle = idle;
	cl.last_ns = now;
}

static json_t *
load_json(void)
{
	double consumers = (double)cp_consumer_count();
	double max_c = cp_dp_seg() != NULL ? (double)cp_dp_seg()->hdr->max_consumers : 131072.0;
	double score = cl.cpu;

	if (consumers / max_c > score)
		score = consumers / max_c;
	if (cl.egress_pps / EGRESS_PPS_FULL > score)
		score = cl.egress_pps / EGRESS_PPS_FULL;
	return json_pack("{s:I,s:I,s:f,s:f}", "egress_pps", (json_int_t)cl.egress_pps, "consumers",
			 (json_int_t)consumers, "cpu", cl.cpu, "score", score);
}

static void on_redis_up(void);

static void
on_lapse_check(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;

	(void)ac, (void)arg;
	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 0 && cl.registered) {
		fprintf(stderr, "cascade-cp: cluster: our record had lapsed (a stall?); "
				"registering again\n");
		on_redis_up();
	}
}

static void
on_hb_answer(void *ac, void *reply, void *arg)
{
	(void)ac, (void)arg;
	if (reply != NULL)
		cl.hb_answered_ns = cascade_now_ns();
}

/* HSET the node record and refresh its lifetime. */
static void
write_record(void)
{
	char k[KEY_MAX], api[96], pipe[8], ttl[16];
	json_t *load = load_json();
	char *ls = json_dumps(load, JSON_COMPACT);

	json_decref(load);
	snprintf(api, sizeof(api), "http://%s:%u", cl.cfg->api_host, cl.cfg->api_port);
	snprintf(pipe, sizeof(pipe), "%u", cl.cfg->pipe_port);
	snprintf(ttl, sizeof(ttl), "%u", cl.cfg->node_ttl_ms);
	key_node(k, cl.cfg->node_id, "");
	/* 0: our record had lapsed; the others may have declared us dead and removed our
	 * rooms and producers: write everything again */
	if (cl.registered)
		cp_redis_cmd(on_lapse_check, NULL, "PEXPIRE %s %s", k, ttl);
	cp_redis_cmd(NULL, NULL,
		     "HSET %s id %s api %s media_ip %s pipe_port %s pipe_srtp %s draining %s load %s",
		     k, cl.cfg->node_id, api, cl.cfg->media_ips[0], pipe, cp_suite_name(cl.cfg->pipe_srtp),
		     cl.draining ? "1" : "0", ls != NULL ? ls : "{}");
	if (cp_redis_cmd(on_hb_answer, NULL, "PEXPIRE %s %s", k, ttl) == 0 && cl.hb_sent_ns <= cl.hb_answered_ns)
		cl.hb_sent_ns = cascade_now_ns(); /* the oldest unanswered one */
	free(ls);
}

/* ---- (re)registration ---------------------------------------------------------------- */

struct sync_walk {
	struct cp_map rooms;     /* local rooms */
	struct cp_map producers; /* "room/id" of local producers */
};

/* a set of strings: each value is its own (owned) key */
static void
set_add(struct cp_map *m, const char *s)
{
	char *d = strdup(s);

	if (d != NULL && cp_map_put(m, d, d) < 0)
		free(d);
}

static void
free_value(const char *k, void *v, void *arg)
{
	(void)k, (void)arg;
	free(v);
}

static void
set_free(struct cp_map *m)
{
	cp_map_each(m, free_value, NULL);
	cp_map_free(m);
}

static void
collect_room(const char *room, void *arg)
{
	struct sync_walk *w = arg;

	set_add(&w->rooms, room);
}

static void
collect_producer(const struct cp_producer *p, void *arg)
{
	struct sync_walk *w = arg;
	char k[KEY_MAX];

	if (p->pipe)
		return;
	snprintf(k, sizeof(k), "%s/%s", p->room, p->id);
	set_add(&w->producers, k);
}

/* Old entries Redis holds for this node that it no longer owns. */
static void
on_old_producers(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	struct sync_walk *w = arg;
	size_t i;

	(void)ac;
	for (i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const char *e = r->element[i]->str, *slash;
		char room[CP_NAME_MAX + 1], hk[KEY_MAX];
		json_t *pj;

		if (r->element[i]->type != REDIS_REPLY_STRING || cp_map_get(&w->producers, e) != NULL)
			continue;
		slash = strrchr(e, '/');
		if (slash == NULL || (size_t)(slash - e) > CP_NAME_MAX)
			continue;
		snprintf(room, sizeof(room), "%.*s", (int)(slash - e), e);
		cp_redis_cmd(NULL, NULL, "HDEL %s %s", key_room(hk, room, "producers"), slash + 1);
		pj = json_pack("{s:s,s:s,s:s}", "id", slash + 1, "node", cl.cfg->node_id, "room",
			       room);
		publish(room, "producer.close", pj);
		json_decref(pj);
	}
	set_free(&w->producers);
}

static void
on_old_rooms(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	struct sync_walk *w = arg;
	size_t i;
	char k[KEY_MAX];

	(void)ac;
	for (i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    cp_map_get(&w->rooms, r->element[i]->str) == NULL)
			cp_redis_cmd(NULL, NULL, "SREM %s %s",
				     key_room(k, r->element[i]->str, "nodes"), cl.cfg->node_id);
	set_free(&w->rooms);
	free(w);
}

static void
on_registered(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;

	(void)ac, (void)arg;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		fprintf(stderr, "cascade-cp: redis: registration failed (%s)\n",
			r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : "connection lost");
		return;
	}
	cl.registered = true;
	fprintf(stderr, "cascade-cp: cluster: node %s registered\n", cl.cfg->node_id);
}

static void
room_write(const char *room, bool subscribe)
{
	char k[KEY_MAX];

	cp_redis_cmd(NULL, NULL, "SADD %s %s", key_room(k, room, "nodes"), cl.cfg->node_id);
	cp_redis_cmd(NULL, NULL, "SADD %s %s", key_node(k, cl.cfg->node_id, ":rooms"), room);
	if (subscribe)
		cp_redis_subscribe(key_room(k, room, "events"), true);
}

static void
producer_write(const struct cp_producer *p, const char *event)
{
	char k[KEY_MAX], member[KEY_MAX];
	json_t *rec;
	char *s;

	if (p->pipe)
		return;
	rec = producer_rec(p);
	s = json_dumps(rec, JSON_COMPACT);
	if (s != NULL) {
		/* the record and its announcement together (one slot: the room's) */
		cp_redis_cmd(NULL, NULL, "MULTI");
		cp_redis_cmd(NULL, NULL, "HSET %s %s %s", key_room(k, p->room, "producers"), p->id, s);
		publish(p->room, event, rec);
		cp_redis_cmd(NULL, NULL, "EXEC");
		/* the node's index lives in the node's slot */
		snprintf(member, sizeof(member), "%s/%s", p->room, p->id);
		cp_redis_cmd(NULL, NULL, "SADD %s %s", key_node(k, cl.cfg->node_id, ":producers"),
			     member);
	}
	free(s);
	json_decref(rec);
}

static void
sync_room(const char *room, void *arg)
{
	(void)arg;
	room_write(room, true);
}

static void
sync_producer(const struct cp_producer *p, void *arg)
{
	(void)arg;
	producer_write(p, "producer.add");
}

/* Redis is (back): write this node's truth and remove what it no longer owns. */
static void
on_redis_up(void)
{
	struct sync_walk *w = calloc(1, sizeof(*w));
	char k[KEY_MAX];

	cl.registered = false;
	cl.hb_sent_ns = cl.hb_answered_ns = 0;
	/* the others re-register too (after a Redis restart nothing is left): give them a TTL */
	cl.grace_until_ns = cascade_now_ns() + (uint64_t)cl.cfg->node_ttl_ms * 1000000ull;
	if (w == NULL) {
		fprintf(stderr, "cascade-cp: cluster: out of memory registering\n");
		return;
	}
	cp_rooms_each(collect_room, w);
	cp_producers_each(collect_producer, w);
	/* the old index first: what is in it and not owned now is removed */
	cp_redis_cmd(on_old_producers, w, "SMEMBERS %s", key_node(k, cl.cfg->node_id, ":producers"));
	cp_redis_cmd(on_old_rooms, w, "SMEMBERS %s", key_node(k, cl.cfg->node_id, ":rooms"));
	cp_redis_cmd(NULL, NULL, "MULTI");
	cp_redis_cmd(NULL, NULL, "DEL %s", key_node(k, cl.cfg->node_id, ":producers"));
	cp_redis_cmd(NULL, NULL, "DEL %s", key_node(k, cl.cfg->node_id, ":rooms"));
	cp_redis_cmd(NULL, NULL, "EXEC");
	write_record();
	cp_rooms_each(sync_room, NULL);
	cp_producers_each(sync_producer, NULL);
	cp_redis_cmd(on_registered, NULL, "SADD %s %s", key_nodes(k), cl.cfg->node_id);
}

static void
on_redis_down(void)
{
	cl.registered = false;
}

/* ---- hooks from the registry ----------------------------------------------------------- */

void
cp_cluster_room_join(const char *room)
{
	if (cl.enabled && cp_redis_up())
		room_write(room, true);
	/* while Redis is away, the sync on its return writes the room */
}

void
cp_cluster_room_leave(const char *room)
{
	char k[KEY_MAX];

	if (!cl.enabled || !cp_redis_up())
		return;
	cp_redis_cmd(NULL, NULL, "SREM %s %s", key_room(k, room, "nodes"), cl.cfg->node_id);
	cp_redis_cmd(NULL, NULL, "SREM %s %s", key_node(k, cl.cfg->node_id, ":rooms"), room);
	cp_redis_subscribe(key_room(k, room, "events"), false);
}

struct done_call {
	void (*done)(void *);
	void *arg;
};

static void
on_written(void *ac, void *reply, void *arg)
{
	struct done_call *d = arg;

	(void)ac, (void)reply; /* written or not (Redis went away): the sync on return has it */
	d->done(d->arg);
	free(d);
}

void
cp_cluster_producer_add(const struct cp_producer *p, void (*done)(void *), void *arg)
{
	struct done_call *d;

	if (!cl.enabled || !cp_redis_up() || (d = calloc(1, sizeof(*d))) == NULL) {
		if (cl.enabled && cp_redis_up())
			producer_write(p, "producer.add");
		done(arg);
		return;
	}
	d->done = done;
	d->arg = arg;
	producer_write(p, "producer.add");
	/* after the MULTI...EXEC on the same connection: its answer means Redis has it */
	if (cp_redis_cmd(on_written, d, "PING") < 0) {
		free(d);
		done(arg);
	}
}

void
cp_cluster_producer_update(const struct cp_producer *p)
{
	if (cl.enabled && cp_redis_up())
		producer_write(p, p->paused ? "producer.pause" : "producer.resume");
}

void
cp_cluster_producer_close(const struct cp_producer *p)
{
	char k[KEY_MAX], member[KEY_MAX];
	json_t *pj;

	if (!cl.enabled || p->pipe || !cp_redis_up())
		return;
	pj = json_pack("{s:s,s:s,s:s}", "id", p->id, "node", cl.cfg->node_id, "room", p->room);
	cp_redis_cmd(NULL, NULL, "MULTI");
	cp_redis_cmd(NULL, NULL, "HDEL %s %s", key_room(k, p->room, "producers"), p->id);
	publish(p->room, "producer.close", pj);
	cp_redis_cmd(NULL, NULL, "EXEC");
	json_decref(pj);
	snprintf(member, sizeof(member), "%s/%s", p->room, p->id);
	cp_redis_cmd(NULL, NULL, "SREM %s %s", key_node(k, cl.cfg->node_id, ":producers"), member);
}

/* ---- room channels ----------------------------------------------------------------------- */

static void announce_down(const char *id);
struct peer_node;
static void peer_free(struct peer_node *n);

static void
on_message(const char *channel, const char *payload, size_t len)
{
	json_t *msg = json_loadb(payload, len, 0, NULL), *pr;
	const char *type = NULL, *node = NULL, *room = NULL, *id = NULL, *via = NULL;

	(void)channel;
	/* every field is checked before use: a record in Redis is input too */
	if (msg == NULL ||
	    json_unpack(msg, "{s:s,s:s,s?s}", "type", &type, "node", &node, "via", &via) < 0 ||
	    strcmp(node, cl.cfg->node_id) == 0 || (via != NULL && strcmp(via, cl.cfg->node_id) == 0))
		goto out;
	if (strcmp(type, "node.down") == 0) {
		/* another node found it dead: it leaves our view now, not at our next round */
		struct peer_node *pn = cp_map_del(&cl.peers, node);
		if (pn != NULL)
			peer_free(pn);
		cp_pipe_node_down(node);
		announce_down(node);
		goto out;
	}
	pr = json_object_get(msg, "producer");
	if (pr == NULL || json_unpack(pr, "{s:s,s:s}", "id", &id, "room", &room) < 0 ||
	    !cp_room_name_ok(room) || strlen(id) >= 40)
		goto out;
	if (strcmp(type, "producer.close") == 0) {
		/* a pipe producer here announces its own close as it goes */
		if (!cp_pipe_producer_closed(id, node))
			cp_events_publish(room, "producer.close",
					  json_pack("{s:s,s:s}", "id", id, "node", node));
	} else if (strcmp(type, "producer.pause") == 0 || strcmp(type, "producer.resume") == 0) {
		cp_pipe_producer_paused(id, strcmp(type, "producer.pause") == 0);
		cp_events_publish(room, type, json_pack("{s:s,s:s}", "id", id, "node", node));
	} else if (strcmp(type, "producer.add") == 0) {
		json_t *kind = json_object_get(pr, "kind"), *paused = json_object_get(pr, "paused");
		cp_events_publish(room, type,
				  json_pack("{s:s,s:s,s:s,s:b}", "id", id, "node", node, "kind",
					    json_is_string(kind) ? json_string_value(kind) : "",
					    "paused", json_is_true(paused)));
	}
out:
	json_decref(msg);
}

/* ---- the watch over the other nodes ------------------------------------------------------ */

static void
peer_free(struct peer_node *n)
{
	json_decref(n->rec);
	json_decref(n->rooms);
	free(n);
}

static void
unsee(const char *k, void *v, void *arg)
{
	(void)k, (void)arg;
	((struct peer_node *)v)->seen = false;
}

static void
collect_unseen(const char *k, void *v, void *arg)
{
	(void)k;
	if (!((struct peer_node *)v)->seen)
		cp_ptrs_push(arg, v);
}

static void
room_node_down(const char *room, void *arg)
{
	cp_events_publish(room, "node.down", json_pack("{s:s}", "node", (const char *)arg));
}

/*
 * Tell local clients (every local room) that node id is down: once per death,
 * whoever noticed first (this node's watch, or another node's cleanup announced
 * on a room channel). A node seen alive again may be announced again later.
 */
static void
announce_down(const char *id)
{
	char *d;

	if (cp_map_get(&cl.downs, id) != NULL || (d = strdup(id)) == NULL)
		return;
	if (cp_map_put(&cl.downs, d, d) < 0) {
		free(d);
		return;
	}
	fprintf(stderr, "cascade-cp: cluster: node %s is down\n", id);
	cp_rooms_each(room_node_down, (void *)id);
}

static void
seen_alive(const char *id)
{
	free(cp_map_del(&cl.downs, id));
}

/* Another node's index, read after it died: remove its producers and room entries. */
static void
on_dead_producers(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	char *dead = arg, k[KEY_MAX];
	size_t i;

	(void)ac;
	for (i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const char *e = r->element[i]->str, *slash;
		char room[CP_NAME_MAX + 1];
		json_t *pj;

		if (r->element[i]->type != REDIS_REPLY_STRING || (slash = strrchr(e, '/')) == NULL ||
		    (size_t)(slash - e) > CP_NAME_MAX)
			continue;
		snprintf(room, sizeof(room), "%.*s", (int)(slash - e), e);
		cp_redis_cmd(NULL, NULL, "HDEL %s %s", key_room(k, room, "producers"), slash + 1);
		/* on the dead node's behalf: nodes that have not noticed yet close their pipes */
		pj = json_pack("{s:s,s:s,s:s}", "id", slash + 1, "node", dead, "room", room);
		{
			json_t *msg = json_pack("{s:s,s:s,s:o,s:s}", "type", "producer.close",
						"node", dead, "producer", pj, "via",
						cl.cfg->node_id);
			char *s = json_dumps(msg, JSON_COMPACT);
			if (s != NULL)
				cp_redis_cmd(NULL, NULL, "PUBLISH %s %s", key_room(k, room, "events"),
					     s);
			free(s);
			json_decref(msg);
		}
	}
	free(dead);
}

static void
on_dead_rooms(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	char *dead = arg, k[KEY_MAX];
	size_t i;

	(void)ac;
	for (i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		json_t *msg;
		char *m;

		if (r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		cp_redis_cmd(NULL, NULL, "SREM %s %s", key_room(k, r->element[i]->str, "nodes"),
			     dead);
		/* every node of the room hears it, including those still in their grace period */
		msg = json_pack("{s:s,s:s,s:s}", "type", "node.down", "node", dead, "via",
				cl.cfg->node_id);
		m = json_dumps(msg, JSON_COMPACT);
		if (m != NULL)
			cp_redis_cmd(NULL, NULL, "PUBLISH %s %s",
				     key_room(k, r->element[i]->str, "events"), m);
		free(m);
		json_decref(msg);
	}
	/* last of the sequence: the dead node's keys go */
	cp_redis_cmd(NULL, NULL, "DEL %s", key_node(k, dead, ":producers"));
	cp_redis_cmd(NULL, NULL, "DEL %s", key_node(k, dead, ":rooms"));
	cp_redis_cmd(NULL, NULL, "SREM %s %s", key_nodes(k), dead);
	free(dead);
}

static void
node_dead(const char *id, bool announce)
{
	char k[KEY_MAX], *a = strdup(id), *b = strdup(id);

	/* pipes from it go in any case: a restarted control plane may still hold some */
	cp_pipe_node_down(id);
	if (announce) {
		fprintf(stderr, "cascade-cp: cluster: no heartbeat from node %s for %u ms\n", id,
			cl.cfg->node_ttl_ms);
		announce_down(id);
	}
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return;
	}
	cp_redis_cmd(on_dead_producers, a, "SMEMBERS %s", key_node(k, id, ":producers"));
	cp_redis_cmd(on_dead_rooms, b, "SMEMBERS %s", key_node(k, id, ":rooms"));
}

/* json of a HGETALL reply ({} when the hash does not exist) */
static json_t *
hash_json(const redisReply *r)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		json_t *val;

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "load") == 0)
			val = json_loads(v->str, 0, NULL);
		else if (strcmp(k->str, "pipe_port") == 0)
			val = json_integer(atoi(v->str));
		else if (strcmp(k->str, "draining") == 0)
			val = json_boolean(strcmp(v->str, "1") == 0);
		else
			val = json_string(v->str);
		if (val != NULL)
			json_object_set_new(o, k->str, val);
	}
	return o;
}

static bool
grace(void)
{
	return cascade_now_ns() < cl.grace_until_ns;
}

static void
round_done(void)
{
	struct cp_ptrs gone = {0};
	size_t i;

	cl.round_busy = false;
	if (cl.round_failed || grace())
		return;
	/* live before, absent from P:nodes now: someone else already cleaned it up */
	cp_map_each(&cl.peers, collect_unseen, &gone);
	for (i = 0; i < gone.n; i++) {
		struct peer_node *n = gone.v[i];
		cp_map_del(&cl.peers, n->id);
		node_dead(n->id, true);
		peer_free(n);
	}
	cp_ptrs_free(&gone);
}

static void
round_step(void)
{
	if (--cl.round_pending == 0)
		round_done();
}

static void
on_node_rec(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	char *id = arg;
	struct peer_node *n = cp_map_get(&cl.peers, id);

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		cl.round_failed = true;
	} else if (r->elements == 0) {
		/* registered but its record lapsed: dead (announced if we knew it alive) */
		if (!grace()) {
			if (n != NULL)
				cp_map_del(&cl.peers, id);
			node_dead(id, n != NULL);
			if (n != NULL)
				peer_free(n);
		} else if (n != NULL) {
			n->seen = true; /* not judged during the grace period */
		}
	} else {
		json_t *rec = hash_json(r);

		if (n == NULL && (n = calloc(1, sizeof(*n))) != NULL) {
			snprintf(n->id, sizeof(n->id), "%s", id);
			n->rooms = json_array();
			if (cp_map_put(&cl.peers, n->id, n) < 0) {
				peer_free(n);
				n = NULL;
			}
		}
		seen_alive(id);
		if (n != NULL) {
			json_decref(n->rec);
			n->rec = rec;
			n->seen = true;
		} else {
			json_decref(rec);
		}
	}
	free(id);
	round_step();
}

static void
on_node_rooms(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	char *id = arg;
	struct peer_node *n = cp_map_get(&cl.peers, id);
	size_t i;

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		cl.round_failed = true;
	} else if (n != NULL) {
		json_array_clear(n->rooms);
		for (i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				json_array_append_new(n->rooms, json_string(r->element[i]->str));
	}
	free(id);
	round_step();
}

static void
on_nodes(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	char k[KEY_MAX];
	size_t i;

	(void)ac, (void)arg;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		cl.round_failed = true;
		round_step();
		return;
	}
	cp_map_each(&cl.peers, unsee, NULL);
	for (i = 0; i < r->elements; i++) {
		const char *id = r->element[i]->str;
		char *a, *b;

		if (r->element[i]->type != REDIS_REPLY_STRING || strcmp(id, cl.cfg->node_id) == 0 ||
		    strlen(id) >= CP_ID_MAX)
			continue;
		a = strdup(id);
		b = strdup(id);
		if (a == NULL || b == NULL ||
		    cp_redis_cmd(on_node_rec, a, "HGETALL %s", key_node(k, id, "")) < 0) {
			free(a);
			free(b);
			cl.round_failed = true;
			continue;
		}
		cl.round_pending++;
		if (cp_redis_cmd(on_node_rooms, b, "SMEMBERS %s", key_node(k, id, ":rooms")) < 0) {
			free(b);
			cl.round_failed = true;
			continue;
		}
		cl.round_pending++;
	}
	round_step();
}

static void
on_watch(evutil_socket_t fd, short what, void *arg)
{
	unsigned int ms = cl.cfg->node_ttl_ms / 6;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	char k[KEY_MAX];

	(void)fd, (void)what, (void)arg;
	if (cp_cluster_ready() && !cl.round_busy) {
		cl.round_busy = true;
		cl.round_failed = false;
		cl.round_pending = 1;
		if (cp_redis_cmd(on_nodes, NULL, "SMEMBERS %s", key_nodes(k)) < 0)
			cl.round_busy = false;
	}
	evtimer_add(cl.watch, &tv);
}

static void
on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	unsigned int ms = cl.cfg->node_ttl_ms / 3;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	(void)fd, (void)what, (void)arg;
	load_update();
	if (cp_redis_up() && cl.hb_sent_ns > cl.hb_answered_ns &&
	    cascade_now_ns() - cl.hb_sent_ns > (uint64_t)cl.cfg->node_ttl_ms * 1000000ull / 2) {
		/* our record would lapse and the others would declare us dead: start over */
		fprintf(stderr, "cascade-cp: redis: no answer to the heartbeat for %u ms; "
				"reconnecting\n", cl.cfg->node_ttl_ms / 2);
		cl.hb_sent_ns = cl.hb_answered_ns = 0;
		cp_redis_reset();
	} else if (cp_cluster_ready()) {
		write_record();
	}
	evtimer_add(cl.heartbeat, &tv);
}

/* ---- API ------------------------------------------------------------------------------------ */

static bool
in_room(json_t *rooms, const char *room)
{
	size_t i;
	json_t *v;

	json_array_foreach(rooms, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), room) == 0)
			return true;
	return false;
}

static void
add_local_room(const char *room, void *arg)
{
	json_array_append_new(arg, json_string(room));
}

/* This node as the cluster sees it. */
static json_t *
self_json(void)
{
	char api[96];
	json_t *rooms = json_array();

	snprintf(api, sizeof(api), "http://%s:%u", cl.cfg->api_host, cl.cfg->api_port);
	cp_rooms_each(add_local_room, rooms);
	return json_pack("{s:s,s:s,s:s,s:i,s:s,s:b,s:o,s:o,s:b}", "id", cl.cfg->node_id, "api", api,
			 "media_ip", cl.cfg->media_ips[0], "pipe_port", (int)cl.cfg->pipe_port,
			 "pipe_srtp", cp_suite_name(cl.cfg->pipe_srtp), "draining", cl.draining, "load",
			 load_json(), "rooms", rooms, "self", 1);
}

static json_t *
peer_json(const struct peer_node *n)
{
	json_t *j = json_deep_copy(n->rec);

	json_object_set(j, "rooms", n->rooms);
	json_object_set_new(j, "self", json_false());
	return j;
}

static void
add_peer(const char *k, void *v, void *arg)
{
	(void)k;
	json_array_append_new(arg, peer_json(v));
}

/* Every live node, this one first. */
static json_t *
nodes_json(void)
{
	json_t *list = json_array();

	json_array_append_new(list, self_json());
	cp_map_each(&cl.peers, add_peer, list);
	return list;
}

static int
need_ready(struct evhttp_request *req)
{
	if (!cl.enabled) {
		cp_http_error(req, CP_API_NOT_FOUND, "this node runs without a cluster (no redis.url)");
		return -1;
	}
	if (!cp_cluster_ready()) {
		cp_http_error(req, CP_API_UNAVAILABLE, "redis unreachable: cluster state unknown");
		return -1;
	}
	return 0;
}

json_t *
cp_cluster_node(const char *id)
{
	struct peer_node *n;

	if (strcmp(id, cl.cfg->node_id) == 0)
		return self_json();
	n = cp_map_get(&cl.peers, id);
	return n != NULL && n->rec != NULL ? peer_json(n) : NULL;
}

json_t *
cp_cluster_node_json(void)
{
	if (!cl.enabled)
		return json_pack("{s:s,s:b}", "state", "standalone", "draining", cl.draining);
	return json_pack("{s:s,s:b,s:i}", "state", cp_cluster_ready() ? "connected" : "redis unreachable",
			 "draining", cl.draining, "peers", (int)cl.peers.used);
}

void
cp_api_cluster_nodes(struct evhttp_request *req)
{
	if (need_ready(req) < 0)
		return;
	cp_http_json(req, 200, json_pack("{s:o}", "nodes", nodes_json()));
}

void
cp_api_cluster_assign(struct evhttp_request *req, const char *room)
{
	json_t *nodes, *v, *best = NULL, *best_room = NULL;
	double best_s = 1e300, best_room_s = 1e300;
	size_t i;

	if (room == NULL || !cp_room_name_ok(room)) {
		cp_http_error(req, CP_API_BAD_REQUEST,
			      "room: required query parameter, 1 to 64 letters, digits, '-', '_' or '.'");
		return;
	}
	if (need_ready(req) < 0)
		return;
	nodes = nodes_json();
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
		cp_http_error(req, CP_API_UNAVAILABLE, "every node is draining");
		return;
	}
	cp_http_json(req, 200,
		     json_pack("{s:s,s:O,s:O,s:O,s:b,s:O}", "room", room, "node",
			       json_object_get(best, "id"), "api", json_object_get(best, "api"),
			       "media_ip", json_object_get(best, "media_ip"), "inRoom",
			       best == best_room, "load", json_object_get(best, "load")));
	json_decref(nodes);
}

void
cp_api_node_drain(struct evhttp_request *req, bool drain)
{
	cl.draining = drain;
	if (cp_cluster_ready())
		write_record();
	cp_http_json(req, 200, json_pack("{s:s,s:b}", "id", cl.cfg->node_id, "draining", drain));
}

void
cp_api_cluster_rooms(struct evhttp_request *req)
{
	json_t *nodes, *v, *rooms = json_object(), *out = json_array(), *list;
	const char *name;
	size_t i, j;

	if (need_ready(req) < 0) {
		json_decref(rooms);
		json_decref(out);
		return;
	}
	nodes = nodes_json();
	json_array_foreach(nodes, i, v)
	{
		json_t *r;

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
						     "transports", cp_room_transports(name)));
	json_decref(nodes);
	json_decref(rooms);
	cp_http_json(req, 200, json_pack("{s:o}", "rooms", out));
}

struct room_call {
	struct evhttp_request *req;
	json_t *out;
	char room[CP_NAME_MAX + 1];
};

static void
on_room_producers(void *ac, void *reply, void *arg)
{
	struct room_call *rc = arg;
	redisReply *r = reply;
	json_t *producers = json_object_get(rc->out, "producers"), *nodes, *v;
	size_t i;
	bool any_remote = false;

	(void)ac;
	if (rc->req == NULL)
		goto out;
	cp_http_release(rc->req);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		cp_http_error(rc->req, CP_API_UNAVAILABLE, "redis unreachable: cluster state unknown");
		goto out;
	}
	for (i = 0; i + 1 < r->elements; i += 2) {
		json_t *rec;
		const char *node, *kind;
		int paused = 0;

		if (r->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		rec = json_loads(r->element[i + 1]->str, 0, NULL);
		if (rec != NULL &&
		    json_unpack(rec, "{s:s,s:s,s?b}", "node", &node, "kind", &kind, "paused", &paused) == 0 &&
		    strcmp(node, cl.cfg->node_id) != 0 &&
		    cp_producer_get(r->element[i]->str) == NULL /* piped in: listed already */) {
			json_array_append_new(producers, json_pack("{s:s,s:s,s:s,s:b}", "id",
								   r->element[i]->str, "node", node,
								   "kind", kind, "paused", paused));
			any_remote = true;
		}
		json_decref(rec);
	}
	nodes = json_array();
	if (cp_room_transports(rc->room) > 0)
		json_array_append_new(nodes, json_string(cl.cfg->node_id));
	{
		json_t *all = nodes_json();
		json_array_foreach(all, i, v)
			if (!json_is_true(json_object_get(v, "self")) &&
			    in_room(json_object_get(v, "rooms"), rc->room))
				json_array_append(nodes, json_object_get(v, "id"));
		json_decref(all);
	}
	if (json_array_size(nodes) == 0 && !any_remote) {
		json_decref(nodes);
		cp_http_error(rc->req, CP_API_NOT_FOUND, "room %s not found on any node", rc->room);
		goto out;
	}
	json_object_set_new(rc->out, "nodes", nodes);
	cp_http_json(rc->req, 200, rc->out);
	rc->out = NULL;
out:
	json_decref(rc->out);
	free(rc);
}

void
cp_api_cluster_room(struct evhttp_request *req, const char *room, json_t *local)
{
	struct room_call *rc;
	char k[KEY_MAX];

	if (need_ready(req) < 0) {
		json_decref(local);
		return;
	}
	rc = calloc(1, sizeof(*rc));
	if (rc == NULL) {
		json_decref(local);
		cp_http_error(req, CP_API_INTERNAL, "out of memory");
		return;
	}
	snprintf(rc->room, sizeof(rc->room), "%s", room);
	rc->out = local;
	if (cp_redis_cmd(on_room_producers, rc, "HGETALL %s", key_room(k, room, "producers")) < 0) {
		json_decref(local);
		free(rc);
		cp_http_error(req, CP_API_UNAVAILABLE, "redis unreachable: cluster state unknown");
		return;
	}
	rc->req = req;
	cp_http_hold(req, &rc->req);
}

/* ---- producers by id --------------------------------------------------------------------- */

struct find_call {
	cp_cluster_producer_cb cb;
	void *arg;
	char room[CP_NAME_MAX + 1];
};

static void
on_find(void *ac, void *reply, void *arg)
{
	struct find_call *f = arg;
	redisReply *r = reply;
	json_t *rec = NULL;
	const char *node, *kind, *room;
	json_t *rtp;

	(void)ac;
	if (r == NULL || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
		f->cb(NULL, -ENOTCONN, f->arg);
	} else if (r->type == REDIS_REPLY_NIL ||
		   (rec = json_loads(r->str, 0, NULL)) == NULL ||
		   json_unpack(rec, "{s:s,s:s,s:s,s:o}", "node", &node, "kind", &kind, "room", &room,
			       "rtpParameters", &rtp) < 0 ||
		   strcmp(room, f->room) != 0 || !json_is_object(rtp)) {
		json_decref(rec);
		f->cb(NULL, -ENOENT, f->arg);
	} else {
		f->cb(rec, 0, f->arg);
	}
	free(f);
}

void
cp_cluster_find_producer(const char *room, const char *id, cp_cluster_producer_cb cb, void *arg)
{
	struct find_call *f = calloc(1, sizeof(*f));
	char k[KEY_MAX];

	if (f == NULL) {
		cb(NULL, -ENOMEM, arg);
		return;
	}
	f->cb = cb;
	f->arg = arg;
	snprintf(f->room, sizeof(f->room), "%s", room);
	if (!cp_cluster_ready() ||
	    cp_redis_cmd(on_find, f, "HGET %s %s", key_room(k, room, "producers"), id) < 0) {
		free(f);
		cb(NULL, -ENOTCONN, arg);
	}
}

/* ---- init ---------------------------------------------------------------------------------- */

int
cp_cluster_init(struct event_base *base, const struct cp_config *cfg)
{
	struct timeval now = {0, 0};

	cl.cfg = cfg;
	cl.base = base;
	if (cfg->redis_url[0] == '\0')
		return 0;
	cl.enabled = true;
	cl.heartbeat = evtimer_new(base, on_heartbeat, NULL);
	cl.watch = evtimer_new(base, on_watch, NULL);
	if (cl.heartbeat == NULL || cl.watch == NULL)
		return -1;
	if (cp_redis_init(base, cfg->redis_url, on_redis_up, on_redis_down, on_message) < 0)
		return -1;
	evtimer_add(cl.heartbeat, &now);
	evtimer_add(cl.watch, &now);
	return 0;
}

static void
free_peer(const char *k, void *v, void *arg)
{
	(void)k, (void)arg;
	peer_free(v);
}

void
cp_cluster_fini(void)
{
	if (!cl.enabled)
		return;
	/* the record stays until its TTL: a restarting node is not declared dead */
	cp_redis_fini();
	if (cl.heartbeat != NULL)
		event_free(cl.heartbeat);
	if (cl.watch != NULL)
		event_free(cl.watch);
	cl.heartbeat = cl.watch = NULL;
	cp_map_each(&cl.peers, free_peer, NULL);
	cp_map_free(&cl.peers);
	set_free(&cl.downs);
	cl.enabled = false;
}
