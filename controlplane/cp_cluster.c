/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node in the cluster (DESIGN.md 4): its record, rooms and producers in
 * Redis (keys: cp_keys.h), and the room channels.
 *
 * Whenever Redis comes (back), the node writes the truth it holds: its record,
 * its rooms and producers (re-published on the room channels), and it removes
 * what Redis still has for its id that it no longer owns (a restart after a
 * crash, or changes made while Redis was away). A heartbeat refreshes the
 * record every TTL/3 and resets the connections when Redis stops answering
 * for half a TTL; twice per TTL/3 a round of cp_liveness.c looks at the other
 * nodes.
 *
 * Every record it writes is signed with the record key (cp_sign.h), bound to
 * the key and field it is written to. Every message that arrives on a room
 * channel is checked (cp_schema.c: its producer's signature too) before
 * anything is done with it; one that does not pass is dropped, counted and
 * logged (cp_cluster_refused()).
 *
 * Layer: service.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cp_cluster.h"
#include "cp_cluster_int.h"
#include "cp_keys.h"
#include "cp_liveness.h"
#include "cp_map.h"
#include "cp_peer.h"
#include "cp_redis.h"
#include "cp_registry.h"

struct watcher {
	void (*fn)(const struct cp_cluster_event *ev, void *arg);
	void *arg;
};

static struct {
	const struct cp_config *cfg;
	struct event_base *base;
	bool enabled, registered, draining;
	struct event *heartbeat, *watch;
	struct cp_map downs; /* ids announced dead to local clients (each once per death) */
	struct watcher *watchers;
	unsigned int n_watchers;
	struct cp_node_rec self;
	/* the heartbeat's answers: a command connection that stops answering is reset */
	uint64_t hb_sent_ns, hb_answered_ns;
} cl;

static const char *
prefix(void)
{
	return cl.cfg->redis_prefix;
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

int
cp_cluster_watch(void (*fn)(const struct cp_cluster_event *ev, void *arg), void *arg)
{
	struct watcher *w = realloc(cl.watchers, (cl.n_watchers + 1) * sizeof(*w));

	if (w == NULL)
		return -ENOMEM;
	w[cl.n_watchers].fn = fn;
	w[cl.n_watchers].arg = arg;
	cl.watchers = w;
	cl.n_watchers++;
	return 0;
}

static void
announce(const struct cp_cluster_event *ev)
{
	unsigned int i;

	for (i = 0; i < cl.n_watchers; i++)
		cl.watchers[i].fn(ev, cl.watchers[i].arg);
}

/* ---- records ------------------------------------------------------------------------------ */

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

/* HSET the node record (signed: cp_sign.h) and refresh its lifetime. */
static void
write_record(void)
{
	char k[CP_KEY_MAX], api[CP_URL_MAX], pipe[8], ttl[16];
	json_t *load = cp_cluster_load_json(), *rec;
	char *ls = json_dumps(load, JSON_COMPACT);

	json_decref(load);
	cp_url_format(api, sizeof(api), "http", cl.cfg->api_host, cl.cfg->api_port);
	snprintf(pipe, sizeof(pipe), "%u", cl.cfg->pipe_port);
	snprintf(ttl, sizeof(ttl), "%u", cl.cfg->node_ttl_ms);
	cp_key_node(k, prefix(), cl.cfg->node_id, "");
	/* the hash's fields as the readers see them (strings), signed for this key */
	rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", cl.cfg->node_id, "api", api,
			"media_ip", cl.cfg->media_ips[0], "pipe_port", pipe, "pipe_srtp",
			cp_suite_name(cl.cfg->pipe_srtp), "draining", cl.draining ? "1" : "0", "load",
			ls != NULL ? ls : "{}");
	free(ls);
	if (rec == NULL || cp_sign_record(cp_cluster_trust()->key, k, "", rec) < 0) {
		fprintf(stderr, "cascade-cp: cluster: cannot sign the node record\n");
		json_decref(rec);
		return;
	}
	/* 0: our record had lapsed; the others may have declared us dead and removed our
	 * rooms and producers: write everything again */
	if (cl.registered)
		cp_redis_cmd(on_lapse_check, NULL, "PEXPIRE %s %s", k, ttl);
	/* one HSET: every field and the signature over them change together */
	cp_redis_cmd(NULL, NULL,
		     "HSET %s id %s api %s media_ip %s pipe_port %s pipe_srtp %s draining %s load %s "
		     "sig %s",
		     k, cl.cfg->node_id, api, cl.cfg->media_ips[0], pipe,
		     cp_suite_name(cl.cfg->pipe_srtp), cl.draining ? "1" : "0",
		     json_string_value(json_object_get(rec, "load")),
		     json_string_value(json_object_get(rec, "sig")));
	if (cp_redis_cmd(on_hb_answer, NULL, "PEXPIRE %s %s", k, ttl) == 0 &&
	    cl.hb_sent_ns <= cl.hb_answered_ns)
		cl.hb_sent_ns = cascade_now_ns(); /* the oldest unanswered one */
	json_decref(rec);
}

/* p's record, signed for its field of P:{ROOM}:producers (NULL: out of memory). */
static json_t *
producer_rec(const struct cp_producer *p)
{
	char k[CP_KEY_MAX];
	json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:O,s:b}", "id", p->id, "node", cl.cfg->node_id,
				"room", p->room, "kind", cp_kind_name(p->kind), "rtpParameters",
				p->rtp, "paused", p->paused);

	if (rec != NULL && cp_sign_record(cp_cluster_trust()->key,
					  cp_key_room(k, prefix(), p->room, "producers"), p->id,
					  rec) < 0) {
		json_decref(rec);
		rec = NULL;
	}
	return rec;
}

static void
publish(const char *room, const char *type, json_t *producer)
{
	char ch[CP_KEY_MAX];
	json_t *msg = json_pack("{s:s,s:s}", "type", type, "node", cl.cfg->node_id);
	char *s;

	if (msg == NULL)
		return;
	if (producer != NULL)
		json_object_set(msg, "producer", producer);
	s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (s == NULL)
		return;
	cp_redis_cmd(NULL, NULL, "PUBLISH %s %s", cp_key_room(ch, prefix(), room, "events"), s);
	free(s);
}

static void
room_write(const char *room)
{
	char k[CP_KEY_MAX];

	cp_redis_cmd(NULL, NULL, "SADD %s %s", cp_key_room(k, prefix(), room, "nodes"),
		     cl.cfg->node_id);
	cp_redis_cmd(NULL, NULL, "SADD %s %s", cp_key_node(k, prefix(), cl.cfg->node_id, ":rooms"),
		     room);
	cp_redis_subscribe(cp_key_room(k, prefix(), room, "events"), true);
}

static void
producer_write(const struct cp_producer *p, const char *event)
{
	char k[CP_KEY_MAX], member[CP_KEY_MAX];
	json_t *rec = producer_rec(p);
	char *s = rec != NULL ? json_dumps(rec, JSON_COMPACT) : NULL;

	if (s != NULL) {
		/* the record and its announcement together (one slot: the room's) */
		cp_redis_cmd(NULL, NULL, "MULTI");
		cp_redis_cmd(NULL, NULL, "HSET %s %s %s", cp_key_room(k, prefix(), p->room, "producers"),
			     p->id, s);
		publish(p->room, event, rec);
		cp_redis_cmd(NULL, NULL, "EXEC");
		/* the node's index lives in the node's slot */
		snprintf(member, sizeof(member), "%s/%s", p->room, p->id);
		cp_redis_cmd(NULL, NULL, "SADD %s %s",
			     cp_key_node(k, prefix(), cl.cfg->node_id, ":producers"), member);
	}
	free(s);
	json_decref(rec);
}

static void
producer_erase(const struct cp_producer *p)
{
	char k[CP_KEY_MAX], member[CP_KEY_MAX];
	json_t *pj = json_pack("{s:s,s:s,s:s}", "id", p->id, "node", cl.cfg->node_id, "room", p->room);

	cp_redis_cmd(NULL, NULL, "MULTI");
	cp_redis_cmd(NULL, NULL, "HDEL %s %s", cp_key_room(k, prefix(), p->room, "producers"), p->id);
	publish(p->room, "producer.close", pj);
	cp_redis_cmd(NULL, NULL, "EXEC");
	json_decref(pj);
	snprintf(member, sizeof(member), "%s/%s", p->room, p->id);
	cp_redis_cmd(NULL, NULL, "SREM %s %s", cp_key_node(k, prefix(), cl.cfg->node_id, ":producers"),
		     member);
}

/* ---- (re)registration --------------------------------------------------------------------- */

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
collect_room(const char *room, unsigned int n, void *arg)
{
	struct sync_walk *w = arg;

	(void)n;
	set_add(&w->rooms, room);
}

static void
collect_producer(struct cp_producer *p, void *arg)
{
	struct sync_walk *w = arg;
	char k[CP_KEY_MAX];

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
		char room[CP_NAME_MAX + 1], hk[CP_KEY_MAX];
		json_t *pj;

		if (r->element[i]->type != REDIS_REPLY_STRING || cp_map_get(&w->producers, e) != NULL)
			continue;
		slash = strrchr(e, '/');
		if (slash == NULL || (size_t)(slash - e) > CP_NAME_MAX)
			continue;
		snprintf(room, sizeof(room), "%.*s", (int)(slash - e), e);
		if (!cp_room_name_ok(room) || !cp_obj_id_ok(slash + 1))
			continue;
		cp_redis_cmd(NULL, NULL, "HDEL %s %s", cp_key_room(hk, prefix(), room, "producers"),
			     slash + 1);
		pj = json_pack("{s:s,s:s,s:s}", "id", slash + 1, "node", cl.cfg->node_id, "room", room);
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
	char k[CP_KEY_MAX];
	size_t i;

	(void)ac;
	for (i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    cp_room_name_ok(r->element[i]->str) && cp_map_get(&w->rooms, r->element[i]->str) == NULL)
			cp_redis_cmd(NULL, NULL, "SREM %s %s",
				     cp_key_room(k, prefix(), r->element[i]->str, "nodes"),
				     cl.cfg->node_id);
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
sync_room(const char *room, unsigned int n, void *arg)
{
	(void)n, (void)arg;
	room_write(room);
}

static void
sync_producer(struct cp_producer *p, void *arg)
{
	(void)arg;
	if (!p->pipe)
		producer_write(p, "producer.add");
}

/* Redis is (back): write this node's truth and remove what it no longer owns. */
static void
on_redis_up(void)
{
	struct sync_walk *w = calloc(1, sizeof(*w));
	char k[CP_KEY_MAX];

	cl.registered = false;
	cl.hb_sent_ns = cl.hb_answered_ns = 0;
	/* the others re-register too (after a Redis restart nothing is left): give them a TTL */
	cp_liveness_grace();
	if (w == NULL) {
		fprintf(stderr, "cascade-cp: cluster: out of memory registering\n");
		return;
	}
	cp_registry_each_room(collect_room, w);
	cp_registry_each_producer(collect_producer, w);
	/* the old index first: what is in it and not owned now is removed */
	cp_redis_cmd(on_old_producers, w, "SMEMBERS %s",
		     cp_key_node(k, prefix(), cl.cfg->node_id, ":producers"));
	cp_redis_cmd(on_old_rooms, w, "SMEMBERS %s", cp_key_node(k, prefix(), cl.cfg->node_id, ":rooms"));
	cp_redis_cmd(NULL, NULL, "MULTI");
	cp_redis_cmd(NULL, NULL, "DEL %s", cp_key_node(k, prefix(), cl.cfg->node_id, ":producers"));
	cp_redis_cmd(NULL, NULL, "DEL %s", cp_key_node(k, prefix(), cl.cfg->node_id, ":rooms"));
	cp_redis_cmd(NULL, NULL, "EXEC");
	write_record();
	cp_registry_each_room(sync_room, NULL);
	cp_registry_each_producer(sync_producer, NULL);
	cp_redis_cmd(on_registered, NULL, "SADD %s %s", cp_key_nodes(k, prefix()), cl.cfg->node_id);
}

static void
on_redis_down(void)
{
	cl.registered = false;
}

/* ---- the registry's changes ----------------------------------------------------------------- */

static void
on_registry(const struct cp_reg_event *ev, void *arg)
{
	char k[CP_KEY_MAX];

	(void)arg;
	if (!cp_redis_up())
		return; /* the sync when Redis comes back writes it */
	switch (ev->type) {
	case CP_EV_ROOM_JOINED:
		room_write(ev->room);
		break;
	case CP_EV_ROOM_LEFT:
		cp_redis_cmd(NULL, NULL, "SREM %s %s", cp_key_room(k, prefix(), ev->room, "nodes"),
			     cl.cfg->node_id);
		cp_redis_cmd(NULL, NULL, "SREM %s %s",
			     cp_key_node(k, prefix(), cl.cfg->node_id, ":rooms"), ev->room);
		cp_redis_subscribe(cp_key_room(k, prefix(), ev->room, "events"), false);
		break;
	case CP_EV_PRODUCER_ADDED:
		if (!ev->p->pipe)
			producer_write(ev->p, "producer.add");
		break;
	case CP_EV_PRODUCER_PAUSED:
		if (!ev->p->pipe)
			producer_write(ev->p, ev->p->paused ? "producer.pause" : "producer.resume");
		break;
	case CP_EV_PRODUCER_CLOSED:
		if (!ev->p->pipe)
			producer_erase(ev->p);
		break;
	default:
		break;
	}
}

struct flush_call {
	void (*done)(void *);
	void *arg;
};

static void
on_flushed(void *ac, void *reply, void *arg)
{
	struct flush_call *f = arg;

	(void)ac, (void)reply; /* written or not (Redis went away): the sync on return has it */
	f->done(f->arg);
	free(f);
}

void
cp_cluster_flush(void (*done)(void *arg), void *arg)
{
	struct flush_call *f;

	/* a PING after what is queued on the same connection: its answer means Redis has it */
	if (!cl.enabled || !cp_redis_up() || (f = calloc(1, sizeof(*f))) == NULL) {
		done(arg);
		return;
	}
	f->done = done;
	f->arg = arg;
	if (cp_redis_cmd(on_flushed, f, "PING") < 0) {
		free(f);
		done(arg);
	}
}

/* ---- room channels and nodes down --------------------------------------------------------- */

/*
 * Node id is down: the observers hear of it every time (its pipes go), and
 * clients are told once per death (tell), whoever noticed first: this node's
 * watch, or another node's clean-up announced on a room channel.
 */
static void
node_down(const char *id, bool known)
{
	struct cp_cluster_event ev = {.type = CP_CL_NODE_DOWN, .node = id};
	char *d;

	cp_liveness_forget(id);
	if (known && cp_map_get(&cl.downs, id) == NULL && (d = strdup(id)) != NULL) {
		if (cp_map_put(&cl.downs, d, d) == 0) {
			fprintf(stderr, "cascade-cp: cluster: node %s is down\n", id);
			ev.tell = true;
		} else {
			free(d);
		}
	}
	announce(&ev);
}

static void
node_alive(const char *id)
{
	free(cp_map_del(&cl.downs, id));
}

static void
on_message(const char *channel, const char *payload, size_t len)
{
	struct cp_cluster_event ev = {0};
	struct cp_room_msg m;
	struct cp_err err;
	json_t *msg = cp_schema_load(payload, len, "message", &err);

	if (msg == NULL || cp_schema_room_msg_signed(msg, cp_cluster_trust(), channel, &m, &err) < 0) {
		/* a record in Redis is input like any other: checked, and dropped when bad */
		cp_cluster_refused(CP_SRC_MESSAGE, &err);
		json_decref(msg);
		return;
	}
	if (strcmp(m.node, cl.cfg->node_id) == 0 ||
	    (m.via != NULL && strcmp(m.via, cl.cfg->node_id) == 0))
		goto out; /* our own */
	if (m.type == CP_MSG_NODE_DOWN) {
		node_down(m.node, true);
		goto out;
	}
	ev.node = m.node;
	ev.room = m.producer.room;
	ev.producer_id = m.producer.id;
	ev.kind = m.producer.kind;
	ev.paused = m.producer.paused;
	switch (m.type) {
	case CP_MSG_PRODUCER_ADD:
		ev.type = CP_CL_PRODUCER_ADDED;
		break;
	case CP_MSG_PRODUCER_PAUSE:
	case CP_MSG_PRODUCER_RESUME:
		ev.type = CP_CL_PRODUCER_PAUSED;
		ev.paused = m.type == CP_MSG_PRODUCER_PAUSE;
		break;
	default:
		ev.type = CP_CL_PRODUCER_CLOSED;
	}
	announce(&ev);
out:
	json_decref(msg);
}

const struct cp_node_rec *
cp_cluster_node(const char *id)
{
	const struct cp_peer *p;

	if (strcmp(id, cl.cfg->node_id) == 0)
		return &cl.self;
	p = cp_liveness_peer(id);
	return p != NULL ? &p->rec : NULL;
}


/* ---- views ---------------------------------------------------------------------------------- */

static void
add_local_room(const char *room, unsigned int n, void *arg)
{
	(void)n;
	json_array_append_new(arg, json_string(room));
}

/* This node as the cluster sees it. */
static json_t *
self_json(void)
{
	char api[CP_URL_MAX];
	json_t *rooms = json_array();

	cp_url_format(api, sizeof(api), "http", cl.cfg->api_host, cl.cfg->api_port);
	cp_registry_each_room(add_local_room, rooms);
	return json_pack("{s:s,s:s,s:s,s:i,s:s,s:b,s:o,s:o,s:b}", "id", cl.cfg->node_id, "api", api,
			 "media_ip", cl.cfg->media_ips[0], "pipe_port", (int)cl.cfg->pipe_port,
			 "pipe_srtp", cp_suite_name(cl.cfg->pipe_srtp), "draining", cl.draining, "load",
			 cp_cluster_load_json(), "rooms", rooms, "self", 1);
}

static void
add_peer(const struct cp_peer *p, void *arg)
{
	json_t *j = json_deep_copy(p->rec.json);

	json_object_set(j, "rooms", p->rooms);
	json_object_set_new(j, "self", json_false());
	json_array_append_new(arg, j);
}

json_t *
cp_cluster_nodes_json(void)
{
	json_t *list = json_array();

	json_array_append_new(list, self_json());
	cp_liveness_each(add_peer, list);
	return list;
}

json_t *
cp_cluster_state_json(void)
{
	if (!cl.enabled)
		return json_pack("{s:s,s:b}", "state", "standalone", "draining", cl.draining);
	json_t *refused = json_object();
	unsigned int i;

	for (i = 0; i < CP_REFUSED_MAX; i++)
		json_object_set_new(refused, cp_cluster_refusal_name(i),
				    json_integer((json_int_t)cp_cluster_refused_count(i)));
	return json_pack("{s:s,s:b,s:i,s:o,s:I}", "state",
			 cp_cluster_ready() ? "connected" : "redis unreachable", "draining",
			 cl.draining, "peers", (int)cp_liveness_count(), "recordsRefused", refused,
			 "peerCallsRefused", (json_int_t)cp_peer_refused());
}

void
cp_cluster_set_draining(bool drain)
{
	cl.draining = drain;
	if (cp_cluster_ready())
		write_record();
}

bool
cp_cluster_draining(void)
{
	return cl.draining;
}

/* ---- timers and life ---------------------------------------------------------------------- */

static void
on_watch(evutil_socket_t fd, short what, void *arg)
{
	unsigned int ms = cl.cfg->node_ttl_ms / 6;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	(void)fd, (void)what, (void)arg;
	if (cp_cluster_ready())
		cp_liveness_round();
	evtimer_add(cl.watch, &tv);
}

static void
on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	unsigned int ms = cl.cfg->node_ttl_ms / 3;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	(void)fd, (void)what, (void)arg;
	cp_cluster_load_update();
	if (cp_redis_up() && cl.hb_sent_ns > cl.hb_answered_ns &&
	    cascade_now_ns() - cl.hb_sent_ns > (uint64_t)cl.cfg->node_ttl_ms * 1000000ull / 2) {
		/* our record would lapse and the others would declare us dead: start over */
		fprintf(stderr, "cascade-cp: redis: no answer to the heartbeat for %u ms; "
				"reconnecting\n",
			cl.cfg->node_ttl_ms / 2);
		cl.hb_sent_ns = cl.hb_answered_ns = 0;
		cp_redis_reset();
	} else if (cp_cluster_ready()) {
		write_record();
	}
	evtimer_add(cl.heartbeat, &tv);
}

int
cp_cluster_init(struct event_base *base, const struct cp_config *cfg)
{
	struct timeval now = {0, 0};

	cl.cfg = cfg;
	cl.base = base;
	snprintf(cl.self.id, sizeof(cl.self.id), "%s", cfg->node_id);
	snprintf(cl.self.api_host, sizeof(cl.self.api_host), "%s", cfg->api_host);
	cl.self.api_port = cfg->api_port;
	snprintf(cl.self.media_ip, sizeof(cl.self.media_ip), "%s", cfg->media_ips[0]);
	cl.self.pipe_port = cfg->pipe_port;
	cl.self.pipe_srtp = cfg->pipe_srtp;
	if (cp_cluster_query_init(cfg) < 0)
		return -1;
	if (cfg->redis_url[0] == '\0')
		return 0;
	cl.enabled = true;
	cl.heartbeat = evtimer_new(base, on_heartbeat, NULL);
	cl.watch = evtimer_new(base, on_watch, NULL);
	if (cl.heartbeat == NULL || cl.watch == NULL ||
	    cp_liveness_init(cfg, node_down, node_alive) < 0 ||
	    cp_registry_watch(CP_EV_ROOM_JOINED, on_registry, NULL) < 0 ||
	    cp_registry_watch(CP_EV_ROOM_LEFT, on_registry, NULL) < 0 ||
	    cp_registry_watch(CP_EV_PRODUCER_ADDED, on_registry, NULL) < 0 ||
	    cp_registry_watch(CP_EV_PRODUCER_PAUSED, on_registry, NULL) < 0 ||
	    cp_registry_watch(CP_EV_PRODUCER_CLOSED, on_registry, NULL) < 0 ||
	    cp_redis_init(base, cfg->redis_host, cfg->redis_port, on_redis_up, on_redis_down,
			  on_message) < 0)
		return -1;
	evtimer_add(cl.heartbeat, &now);
	evtimer_add(cl.watch, &now);
	return 0;
}

void
cp_cluster_fini(void)
{
	free(cl.watchers);
	cl.watchers = NULL;
	cl.n_watchers = 0;
	if (!cl.enabled)
		return;
	/* the record stays until its TTL: a restarting node is not declared dead */
	cp_redis_fini();
	if (cl.heartbeat != NULL)
		event_free(cl.heartbeat);
	if (cl.watch != NULL)
		event_free(cl.watch);
	cl.heartbeat = cl.watch = NULL;
	cp_liveness_fini();
	set_free(&cl.downs);
	cl.enabled = false;
}
