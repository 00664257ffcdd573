/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The watch over the other nodes. A round reads P:nodes, then each node's
 * record and rooms; a record is checked like every input (cp_schema.c: its
 * signature first, then its content; a refusal is counted), and a
 * node whose record does not pass is not called (it is not dead either: its
 * record exists). A registered node whose record lapsed is dead: on_down runs,
 * and its entries are removed from Redis by one Lua script that first checks
 * that the record is still absent, so a node that re-registered meanwhile
 * (after a stall, or a restart) is never erased, whatever else runs
 * concurrently. The script also announces producer.close and node.down on the
 * rooms' channels on the dead node's behalf ("via" this node). A peer known
 * alive that leaves P:nodes was cleaned up by another node: on_down too.
 *
 * Redis Cluster note: the script touches the dead node's keys and its rooms'
 * keys, which live in several slots; it needs a single Redis (what redis.url
 * names today).
 *
 * Layer: service.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cp_cluster_int.h"
#include "cp_keys.h"
#include "cp_liveness.h"
#include "cp_map.h"
#include "cp_redis.h"

/*
 * KEYS: the dead node's record, its producers index, its rooms index, P:nodes.
 * ARGV: its id, the key prefix, this node's id. Returns -1 when the record
 * exists (the node came back: nothing erased), else the producers removed.
 */
static const char cleanup_lua[] =
	"if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end\n"
	"local n = 0\n"
	"for _, e in ipairs(redis.call('SMEMBERS', KEYS[2])) do\n"
	"  local room, id = string.match(e, '^(.+)/([^/]+)$')\n"
	"  if room then\n"
	"    redis.call('HDEL', ARGV[2] .. ':{' .. room .. '}:producers', id)\n"
	"    redis.call('PUBLISH', ARGV[2] .. ':{' .. room .. '}:events', cjson.encode({\n"
	"      type = 'producer.close', node = ARGV[1], via = ARGV[3],\n"
	"      producer = {id = id, node = ARGV[1], room = room}}))\n"
	"    n = n + 1\n"
	"  end\n"
	"end\n"
	"for _, room in ipairs(redis.call('SMEMBERS', KEYS[3])) do\n"
	"  redis.call('SREM', ARGV[2] .. ':{' .. room .. '}:nodes', ARGV[1])\n"
	"  redis.call('PUBLISH', ARGV[2] .. ':{' .. room .. '}:events', cjson.encode({\n"
	"    type = 'node.down', node = ARGV[1], via = ARGV[3]}))\n"
	"end\n"
	"redis.call('DEL', KEYS[2], KEYS[3])\n"
	"redis.call('SREM', KEYS[4], ARGV[1])\n"
	"return n\n";

static struct {
	const struct cp_config *cfg;
	void (*on_down)(const char *id, bool known);
	void (*on_alive)(const char *id);
	struct cp_map peers;  /* id -> struct cp_peer: live nodes other than this one */
	struct cp_map unusable; /* ids whose record did not pass (logged once) */
	unsigned int round_pending;
	bool round_busy, round_failed;
	uint64_t grace_until_ns;
} lv;

static void
peer_free(struct cp_peer *p)
{
	json_decref(p->rec.json);
	json_decref(p->rooms);
	free(p);
}

static bool
grace(void)
{
	return cascade_now_ns() < lv.grace_until_ns;
}

void
cp_liveness_grace(void)
{
	lv.grace_until_ns = cascade_now_ns() + (uint64_t)lv.cfg->node_ttl_ms * 1000000ull;
}

/* ---- a dead node ------------------------------------------------------------------------ */

static void
on_cleaned(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	char *id = arg;

	(void)ac;
	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer < 0)
		fprintf(stderr, "cascade-cp: cluster: node %s registered again during its clean-up; "
				"nothing of it was removed\n",
			id);
	else if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		fprintf(stderr, "cascade-cp: cluster: node %s cleaned up (%lld producers removed)\n",
			id, (long long)r->integer);
	else if (r != NULL && r->type == REDIS_REPLY_ERROR)
		fprintf(stderr, "cascade-cp: cluster: clean-up of node %s failed: %s\n", id, r->str);
	free(id);
}

/* Redis' entries of dead node id go, unless it came back (one atomic script). */
static void
cleanup(const char *id)
{
	char k_rec[CP_KEY_MAX], k_prod[CP_KEY_MAX], k_rooms[CP_KEY_MAX], k_nodes[CP_KEY_MAX];
	const char *argv[] = {"EVAL", cleanup_lua, "4", k_rec, k_prod, k_rooms, k_nodes,
			      id, lv.cfg->redis_prefix, lv.cfg->node_id};
	const char *prefix = lv.cfg->redis_prefix;
	char *arg = strdup(id);

	cp_key_node(k_rec, prefix, id, "");
	cp_key_node(k_prod, prefix, id, ":producers");
	cp_key_node(k_rooms, prefix, id, ":rooms");
	cp_key_nodes(k_nodes, prefix);
	if (arg == NULL || cp_redis_cmdv(on_cleaned, arg, (int)(sizeof(argv) / sizeof(argv[0])),
					 argv, NULL) < 0)
		free(arg);
}

static void
node_dead(const char *id, bool known)
{
	if (known)
		fprintf(stderr, "cascade-cp: cluster: no heartbeat from node %s for %u ms\n", id,
			lv.cfg->node_ttl_ms);
	lv.on_down(id, known);
	cleanup(id);
}

void
cp_liveness_forget(const char *id)
{
	struct cp_peer *p = cp_map_del(&lv.peers, id);

	if (p != NULL)
		peer_free(p);
}

/* ---- rounds ------------------------------------------------------------------------------ */

static void
unsee(const char *k, void *v, void *arg)
{
	(void)k, (void)arg;
	((struct cp_peer *)v)->seen = false;
}

static void
collect_unseen(const char *k, void *v, void *arg)
{
	(void)k;
	if (!((struct cp_peer *)v)->seen)
		cp_ptrs_push(arg, v);
}

static void
round_done(void)
{
	struct cp_ptrs gone = {0};
	char id[CP_ID_MAX];
	size_t i;

	lv.round_busy = false;
	if (lv.round_failed || grace())
		return;
	/* live before, absent from P:nodes now: someone else already cleaned it up */
	cp_map_each(&lv.peers, collect_unseen, &gone);
	for (i = 0; i < gone.n; i++) {
		struct cp_peer *p = gone.v[i];

		snprintf(id, sizeof(id), "%s", p->rec.id);
		cp_map_del(&lv.peers, p->rec.id);
		peer_free(p);
		node_dead(id, true);
	}
	cp_ptrs_free(&gone);
}

static void
round_step(void)
{
	if (--lv.round_pending == 0)
		round_done();
}

/* A HGETALL reply as a JSON object of strings. */
static json_t *
hash_json(const redisReply *r)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];

		if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
		    strlen(k->str) == k->len && strlen(v->str) == v->len)
			json_object_set_new(o, k->str, json_stringn(v->str, v->len));
	}
	return o;
}

static void
record_seen(const char *id, const redisReply *r, struct cp_peer *p)
{
	struct cp_node_rec rec;
	struct cp_err err;
	json_t *hash = hash_json(r);

	if (cp_schema_node_signed(hash, id, cp_cluster_trust(), &rec, &err) < 0) {
		cp_cluster_refused(CP_SRC_NODE, &err);
		if (cp_map_get(&lv.unusable, id) == NULL) {
			char *d = strdup(id);

			fprintf(stderr, "cascade-cp: cluster: node %s: its record is not usable (%s); "
					"not calling it\n",
				id, err.msg);
			if (d != NULL && cp_map_put(&lv.unusable, d, d) < 0)
				free(d);
		}
		json_decref(hash);
		if (p != NULL)
			p->seen = true; /* alive, but not to be called */
		return;
	}
	json_decref(hash);
	free(cp_map_del(&lv.unusable, id));
	if (p == NULL && (p = calloc(1, sizeof(*p))) != NULL) {
		p->rooms = json_array();
		p->rec = rec;
		rec.json = NULL;
		if (p->rooms == NULL || cp_map_put(&lv.peers, p->rec.id, p) < 0) {
			peer_free(p);
			p = NULL;
		}
	} else if (p != NULL) {
		json_decref(p->rec.json);
		p->rec = rec;
		rec.json = NULL;
	}
	json_decref(rec.json);
	if (p != NULL)
		p->seen = true;
	lv.on_alive(id);
}

static void
on_node_rec(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	char *id = arg;
	struct cp_peer *p = cp_map_get(&lv.peers, id);

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		lv.round_failed = true;
	} else if (r->elements == 0) {
		/* registered but its record lapsed: dead (announced if we knew it alive) */
		if (!grace()) {
			bool known = p != NULL;

			if (p != NULL) {
				cp_map_del(&lv.peers, id);
				peer_free(p);
			}
			node_dead(id, known);
		} else if (p != NULL) {
			p->seen = true; /* not judged during the grace period */
		}
	} else {
		record_seen(id, r, p);
	}
	free(id);
	round_step();
}

static void
on_node_rooms(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	char *id = arg;
	struct cp_peer *p = cp_map_get(&lv.peers, id);
	size_t i;

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		lv.round_failed = true;
	} else if (p != NULL) {
		json_array_clear(p->rooms);
		for (i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING &&
			    cp_room_name_ok(r->element[i]->str))
				json_array_append_new(p->rooms, json_string(r->element[i]->str));
	}
	free(id);
	round_step();
}

static void
on_nodes(void *ac, void *reply, void *arg)
{
	redisReply *r = reply;
	char k[CP_KEY_MAX];
	size_t i;

	(void)ac, (void)arg;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		lv.round_failed = true;
		round_step();
		return;
	}
	cp_map_each(&lv.peers, unsee, NULL);
	for (i = 0; i < r->elements; i++) {
		const char *id = r->element[i]->str;
		char *a, *b;

		if (r->element[i]->type != REDIS_REPLY_STRING || !cp_node_id_ok(id) ||
		    strcmp(id, lv.cfg->node_id) == 0)
			continue;
		a = strdup(id);
		b = strdup(id);
		if (a == NULL || b == NULL ||
		    cp_redis_cmd(on_node_rec, a, "HGETALL %s",
				 cp_key_node(k, lv.cfg->redis_prefix, id, "")) < 0) {
			free(a);
			free(b);
			lv.round_failed = true;
			continue;
		}
		lv.round_pending++;
		if (cp_redis_cmd(on_node_rooms, b, "SMEMBERS %s",
				 cp_key_node(k, lv.cfg->redis_prefix, id, ":rooms")) < 0) {
			free(b);
			lv.round_failed = true;
			continue;
		}
		lv.round_pending++;
	}
	round_step();
}

void
cp_liveness_round(void)
{
	char k[CP_KEY_MAX];

	if (lv.round_busy)
		return;
	lv.round_busy = true;
	lv.round_failed = false;
	lv.round_pending = 1;
	if (cp_redis_cmd(on_nodes, NULL, "SMEMBERS %s", cp_key_nodes(k, lv.cfg->redis_prefix)) < 0)
		lv.round_busy = false;
}

/* ---- views ------------------------------------------------------------------------------- */

const struct cp_peer *
cp_liveness_peer(const char *id)
{
	return cp_map_get(&lv.peers, id);
}

struct each {
	void (*fn)(const struct cp_peer *, void *);
	void *arg;
};

static void
each_one(const char *k, void *v, void *arg)
{
	struct each *e = arg;

	(void)k;
	e->fn(v, e->arg);
}

void
cp_liveness_each(void (*fn)(const struct cp_peer *p, void *arg), void *arg)
{
	struct each e = {fn, arg};

	cp_map_each(&lv.peers, each_one, &e);
}

unsigned int
cp_liveness_count(void)
{
	return (unsigned int)lv.peers.used;
}

int
cp_liveness_init(const struct cp_config *cfg, void (*on_down)(const char *id, bool known),
		 void (*on_alive)(const char *id))
{
	lv.cfg = cfg;
	lv.on_down = on_down;
	lv.on_alive = on_alive;
	return 0;
}

static void
free_peer(const char *k, void *v, void *arg)
{
	(void)k, (void)arg;
	peer_free(v);
}

static void
free_str(const char *k, void *v, void *arg)
{
	(void)k, (void)arg;
	free(v);
}

void
cp_liveness_fini(void)
{
	cp_map_each(&lv.peers, free_peer, NULL);
	cp_map_free(&lv.peers);
	cp_map_each(&lv.unusable, free_str, NULL);
	cp_map_free(&lv.unusable);
}
