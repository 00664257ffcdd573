/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asking the cluster (part of the cluster service, cp_cluster.c): a
 * producer's record by id, a room's producers on the other nodes. Every record
 * read is checked (cp_schema_producer_rec()) before anything uses it; a record
 * that does not pass is "not usable", said in the log and in the error, and
 * never reaches the negotiation or the dataplane.
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
#include "cp_redis.h"

static struct {
	const struct cp_config *cfg;
} q;

void
cp_cluster_query_init(const struct cp_config *cfg)
{
	q.cfg = cfg;
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
		   cp_schema_producer_rec(j, &rec, &err) < 0 || strcmp(rec.room, f->room) != 0 ||
		   strcmp(rec.id, f->id) != 0 || strcmp(rec.node, q.cfg->node_id) == 0) {
		if (j != NULL && err.code == 0)
			cp_err_set(&err, -EINVAL, "it names another room, id or this node");
		cp_err_prefix(&err, "producer %s: its cluster record is not usable", f->id);
		fprintf(stderr, "cascade-cp: cluster: %s\n", err.msg);
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

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		cp_err_set(&err, -ENOTCONN, "redis unreachable: cluster state unknown");
		lc->cb(NULL, &err, lc->arg);
		free(lc);
		return;
	}
	list = json_array();
	for (i = 0; list != NULL && i + 1 < r->elements; i += 2) {
		if (r->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		j = cp_schema_load(r->element[i + 1]->str, r->element[i + 1]->len, "record", NULL);
		if (j != NULL && cp_schema_producer_rec(j, &rec, NULL) == 0 &&
		    strcmp(rec.room, lc->room) == 0 && strcmp(rec.node, q.cfg->node_id) != 0)
			json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:b}", "id", rec.id, "node",
							      rec.node, "kind", cp_kind_name(rec.kind),
							      "paused", rec.paused));
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

