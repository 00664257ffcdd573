/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asking the cluster (part of the cluster service, cp_cluster.c): a
 * producer's record by id, a room's producers on the other nodes. Every record
 * read is checked (cp_schema_producer_signed(): its signature for the key and
 * field it was read from, then its content) before anything uses it; a record
 * that does not pass is "not usable", said in the log and in the error, counted
 * (cp_cluster_refused()), and never reaches the negotiation or the dataplane.
 * The record key and the refusal counters live here.
 *
 * Layer: service.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cp_cluster.h"
#include "cp_cluster_int.h"
#include "cp_keys.h"
#include "cp_redis.h"

static struct {
	const struct cp_config *cfg;
	struct cp_sign_key key; /* the record key (cp_sign.h) */
	struct cp_rec_trust trust;
	uint64_t refused[CP_REFUSED_MAX];
	uint64_t logged_ns[CP_SRC_MAX][CP_REFUSED_MAX], logged_at[CP_SRC_MAX][CP_REFUSED_MAX];
} q;

int
cp_cluster_query_init(const struct cp_config *cfg)
{
	q.cfg = cfg;
	q.trust.key = &q.key;
	q.trust.prefix = cfg->redis_prefix;
	if (cfg->cluster_secret[0] != '\0' &&
	    cp_sign_derive(cfg->cluster_secret, CP_SIGN_RECORDS, &q.key) < 0) {
		fprintf(stderr, "cascade-cp: cluster: cannot derive the record key\n");
		return -1;
	}
	return 0;
}

const struct cp_rec_trust *
cp_cluster_trust(void)
{
	return &q.trust;
}

const char *
cp_cluster_refusal_name(enum cp_cluster_refusal r)
{
	static const char *const names[] = {
#define X(e, name) [CP_REFUSED_##e] = name,
		CP_CLUSTER_REFUSALS(X)
#undef X
	};

	return r < CP_REFUSED_MAX ? names[r] : "?";
}

uint64_t
cp_cluster_refused_count(enum cp_cluster_refusal r)
{
	return r < CP_REFUSED_MAX ? q.refused[r] : 0;
}

void
cp_cluster_refused(enum cp_cluster_source src, const struct cp_err *err)
{
	static const char *const what[] = {
		[CP_SRC_NODE] = "a node record",
		[CP_SRC_PRODUCER] = "a producer record",
		[CP_SRC_MESSAGE] = "a room channel message",
	};
	enum cp_cluster_refusal r = err->code == -EACCES ? CP_REFUSED_SIGNATURE : CP_REFUSED_INVALID;

	q.refused[r]++;
	/* a Redis writer decides how often this happens: at most one line a second each */
	if (src < CP_SRC_MAX && cp_err_log_now(&q.logged_ns[src][r])) {
		fprintf(stderr, "cascade-cp: cluster: refused %s (%s): %s (%" PRIu64
				" refused for this reason, %" PRIu64 " of these since the last line)\n",
			what[src], cp_cluster_refusal_name(r), err->msg, q.refused[r],
			q.refused[r] - q.logged_at[src][r]);
		q.logged_at[src][r] = q.refused[r];
	}
}

static const char *
prefix(void)
{
	return q.cfg->redis_prefix;
}

/* ---- producers by id ------------------------------------------------------------------------ */

struct find_call {
	cp_cluster_producer_cb cb;
	void *arg;
	char room[CP_NAME_MAX + 1];
	char id[CP_OBJ_ID_MAX];
};

static void
on_find(void *ac, void *reply, void *arg)
{
	struct find_call *f = arg;
	redisReply *r = reply;
	struct cp_producer_rec rec;
	struct cp_err err = {0};
	json_t *j = NULL;

	(void)ac;
	if (r == NULL || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
		cp_err_set(&err, -ENOTCONN, "redis unreachable: cannot find producer %s", f->id);
		f->cb(NULL, &err, f->arg);
	} else if (r->type == REDIS_REPLY_NIL) {
		cp_err_set(&err, -ENOENT, "producer %s not found in room %s on any node", f->id,
			   f->room);
		f->cb(NULL, &err, f->arg);
	} else if ((j = cp_schema_load(r->str, r->len, "record", &err)) == NULL ||
		   cp_schema_producer_signed(j, &q.trust, f->room, f->id, &rec, &err) < 0 ||
		   strcmp(rec.room, f->room) != 0 || strcmp(rec.id, f->id) != 0 ||
		   strcmp(rec.node, q.cfg->node_id) == 0) {
		if (j != NULL && err.code == 0)
			cp_err_set(&err, -EINVAL, "it names another room, id or this node");
		cp_err_prefix(&err, "producer %s: its cluster record is not usable", f->id);
		cp_cluster_refused(CP_SRC_PRODUCER, &err);
		err.code = -ENOENT;
		f->cb(NULL, &err, f->arg);
	} else {
		f->cb(&rec, NULL, f->arg);
	}
	json_decref(j);
	free(f);
}

void
cp_cluster_find_producer(const char *room, const char *id, cp_cluster_producer_cb cb, void *arg)
{
	struct find_call *f = calloc(1, sizeof(*f));
	struct cp_err err;
	char k[CP_KEY_MAX];

	if (f == NULL) {
		cp_err_set(&err, -ENOMEM, "out of memory");
		cb(NULL, &err, arg);
		return;
	}
	f->cb = cb;
	f->arg = arg;
	snprintf(f->room, sizeof(f->room), "%s", room);
	snprintf(f->id, sizeof(f->id), "%s", id);
	if (!cp_cluster_ready() || cp_redis_cmd(on_find, f, "HGET %s %s",
						  cp_key_room(k, prefix(), room, "producers"), id) < 0) {
		free(f);
		cp_err_set(&err, -ENOTCONN, "redis unreachable: producers of other nodes cannot be found");
		cb(NULL, &err, arg);
	}
}

struct list_call {
	cp_cluster_list_cb cb;
	void *arg;
	char room[CP_NAME_MAX + 1];
};

static void
on_room_producers(void *ac, void *reply, void *arg)
{
	struct list_call *lc = arg;
	redisReply *r = reply;
	struct cp_producer_rec rec;
	struct cp_err err;
	json_t *list, *j;
	size_t i;
	int rc;

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		cp_err_set(&err, -ENOTCONN, "redis unreachable: cluster state unknown");
		lc->cb(NULL, &err, lc->arg);
		free(lc);
		return;
	}
	list = json_array();
	for (i = 0; list != NULL && i + 1 < r->elements; i += 2) {
		const redisReply *field = r->element[i], *value = r->element[i + 1];

		if (field->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING)
			continue;
		if (!cp_obj_id_ok(field->str)) {
			cp_err_set(&err, -EINVAL, "a field that is not a producer id");
			cp_cluster_refused(CP_SRC_PRODUCER, &err);
			continue;
		}
		j = cp_schema_load(value->str, value->len, "record", &err);
		rc = j == NULL ? err.code
			       : cp_schema_producer_signed(j, &q.trust, lc->room, field->str, &rec, &err);
		if (rc < 0) {
			cp_err_prefix(&err, "producer %s", field->str);
			cp_cluster_refused(CP_SRC_PRODUCER, &err);
		} else if (strcmp(rec.room, lc->room) == 0 && strcmp(rec.id, field->str) == 0 &&
			   strcmp(rec.node, q.cfg->node_id) != 0) {
			json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:b}", "id", rec.id, "node",
							      rec.node, "kind", cp_kind_name(rec.kind),
							      "paused", rec.paused));
		}
		json_decref(j);
	}
	lc->cb(list, NULL, lc->arg);
	json_decref(list);
	free(lc);
}

int
cp_cluster_room_producers(const char *room, cp_cluster_list_cb cb, void *arg, struct cp_err *err)
{
	struct list_call *lc;
	char k[CP_KEY_MAX];

	if (!cp_cluster_ready())
		return cp_err_set(err, -ENOTCONN, "redis unreachable: cluster state unknown");
	lc = calloc(1, sizeof(*lc));
	if (lc == NULL)
		return cp_err_set(err, -ENOMEM, "out of memory");
	lc->cb = cb;
	lc->arg = arg;
	snprintf(lc->room, sizeof(lc->room), "%s", room);
	if (cp_redis_cmd(on_room_producers, lc, "HGETALL %s", cp_key_room(k, prefix(), room, "producers")) <
	    0) {
		free(lc);
		return cp_err_set(err, -ENOTCONN, "redis unreachable: cluster state unknown");
	}
	return 0;
}

