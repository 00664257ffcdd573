/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry across control-plane restarts. The dataplane keeps forwarding
 * when cascade-cp dies, but only the control plane knows the API's ids and the
 * RTP parameters behind each flow; so the registry is written to a state file
 * (state.file, JSON, replaced atomically by rename, mode 0600 since it holds
 * SRTP transports' keys) within 50 ms of every change and read back at start.
 *
 * Policy on every attach to a dataplane (start, or the dataplane came back):
 *   - an object in the registry the dataplane does not have (same object id, in
 *     use) is dropped, and its producers announce producer.close: after a
 *     dataplane restart applications re-create what they need;
 *   - an object the dataplane has but the registry does not (created in the
 *     50 ms before a crash, or by another tool) is deleted from the dataplane,
 *     so nothing is left orphaned;
 *   - everything else carries on untouched: media never stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "cp_map.h"
#include "cp_objects.h"

#define SAVE_DELAY_MS 50

static struct {
	const struct cp_config *cfg;
	struct event *timer;
	bool dirty;
} st;

/* ---- saving ---------------------------------------------------------------------------- */

static void
add_t(const struct cp_transport *t, void *arg)
{
	json_array_append_new(arg, cp_transport_state(t));
}

static void
add_p(const struct cp_producer *p, void *arg)
{
	json_array_append_new(arg, cp_producer_state(p));
}

static void
add_c(const struct cp_consumer *c, void *arg)
{
	json_array_append_new(arg, cp_consumer_state(c));
}

static void
save(void)
{
	char tmp[300];
	json_t *root, *ts, *ps, *cs;
	int fd = -1, rc = -1;

	st.dirty = false;
	if (st.cfg->state_file[0] == '\0')
		return;
	ts = json_array();
	ps = json_array();
	cs = json_array();
	cp_transports_each(add_t, ts);
	cp_producers_each(add_p, ps);
	cp_consumers_each(add_c, cs);
	root = json_pack("{s:i,s:s,s:o,s:o,s:o}", "version", 1, "node_id", st.cfg->node_id,
			 "transports", ts, "producers", ps, "consumers", cs);
	snprintf(tmp, sizeof(tmp), "%s.tmp", st.cfg->state_file);
	/* 0600: it holds SRTP keys (fchmod too, for a file left by an older version) */
	if (root != NULL)
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && fchmod(fd, 0600) == 0 && json_dumpfd(root, fd, JSON_COMPACT) == 0)
		rc = 0;
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (rc < 0 || rename(tmp, st.cfg->state_file) < 0) {
		/* out of descriptors or disk: keep the change and try again shortly */
		struct timeval again = {1, 0};

		fprintf(stderr, "cascade-cp: state.file: cannot write %s: %s; retrying in 1 s\n",
			st.cfg->state_file, strerror(errno));
		st.dirty = true;
		evtimer_add(st.timer, &again);
	}
	json_decref(root);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	if (st.dirty)
		save();
}

void
cp_state_dirty(void)
{
	struct timeval tv = {0, SAVE_DELAY_MS * 1000};

	if (st.timer == NULL || st.dirty)
		return;
	st.dirty = true;
	evtimer_add(st.timer, &tv);
}

/* ---- loading ----------------------------------------------------------------------------- */

int
cp_state_init(struct event_base *base, const struct cp_config *cfg)
{
	json_error_t err;
	json_t *root, *o;
	size_t i;
	unsigned int bad = 0;

	st.cfg = cfg;
	st.timer = evtimer_new(base, on_timer, NULL);
	if (st.timer == NULL)
		return -1;
	if (cfg->state_file[0] == '\0' || access(cfg->state_file, F_OK) != 0)
		return 0;
	root = json_load_file(cfg->state_file, 0, &err);
	if (root == NULL || json_integer_value(json_object_get(root, "version")) != 1) {
		fprintf(stderr, "cascade-cp: state.file: %s: %s\n", cfg->state_file,
			root == NULL ? err.text : "not a version 1 state file");
		json_decref(root);
		return -1;
	}
	json_array_foreach(json_object_get(root, "transports"), i, o)
		bad += cp_transport_restore(o) < 0;
	json_array_foreach(json_object_get(root, "producers"), i, o)
		bad += cp_producer_restore(o) < 0;
	json_array_foreach(json_object_get(root, "consumers"), i, o)
		bad += cp_consumer_restore(o) < 0;
	if (bad != 0)
		fprintf(stderr, "cascade-cp: state.file: %u malformed entries ignored\n", bad);
	json_decref(root);
	return 0;
}

void
cp_state_fini(void)
{
	if (st.timer != NULL && st.dirty)
		save();
	if (st.timer != NULL)
		event_free(st.timer);
	st.timer = NULL;
}

/* ---- reconciliation ------------------------------------------------------------------------- */

struct entry {
	uint64_t id;
	uint32_t slot;
	bool claimed; /* the registry has it */
};

struct table {
	struct entry *e;
	size_t n;
};

static int
by_id(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The in-use records of one directory, sorted by object id. */
static int
read_dir(const struct cascade_seg *seg, uint64_t off, uint32_t max, size_t rec_size,
	 struct table *t)
{
	uint8_t buf[256];
	uint32_t i;

	t->e = calloc(max, sizeof(*t->e));
	t->n = 0;
	if (t->e == NULL || rec_size > sizeof(buf))
		return -ENOMEM;
	for (i = 0; i < max; i++) {
		const struct cascade_dir_head *h = (const void *)buf;
		uint64_t id;

		cascade_dir_read((const uint8_t *)cascade_seg_at(seg, off) + (size_t)i * rec_size, buf,
				 rec_size);
		if (!h->in_use)
			continue;
		/* every record's body starts with its object id right after the head */
		memcpy(&id, buf + sizeof(*h), sizeof(id));
		t->e[t->n].id = id;
		t->e[t->n].slot = i;
		t->n++;
	}
	qsort(t->e, t->n, sizeof(*t->e), by_id);
	return 0;
}

static struct entry *
lookup(struct table *t, uint64_t id)
{
	struct entry key = {.id = id};

	return bsearch(&key, t->e, t->n, sizeof(*t->e), by_id);
}

struct sweep {
	struct table *dir;
	struct cp_ptrs lost;
};

/* One registry object: claim its directory entry and take its slot, or list it as lost. */
static void
sweep_one(struct sweep *s, void *obj, uint64_t dp_id, uint32_t *slot)
{
	struct entry *e = lookup(s->dir, dp_id);

	if (e == NULL) {
		cp_ptrs_push(&s->lost, obj);
		return;
	}
	e->claimed = true;
	*slot = e->slot;
}

static void
sweep_t(const struct cp_transport *t, void *arg)
{
	struct cp_transport *w = (struct cp_transport *)t;

	sweep_one(arg, w, w->dp_id, &w->slot);
}

static void
sweep_p(const struct cp_producer *p, void *arg)
{
	struct cp_producer *w = (struct cp_producer *)p;

	sweep_one(arg, w, w->dp_id, &w->slot);
}

static void
sweep_c(const struct cp_consumer *c, void *arg)
{
	struct cp_consumer *w = (struct cp_consumer *)c;

	sweep_one(arg, w, w->dp_id, &w->slot);
}

static void
on_orphan_deleted(const struct cascade_reply *r, void *arg)
{
	(void)arg;
	if (r == NULL || (r->status != 0 && r->status != -ENOENT))
		fprintf(stderr, "cascade-cp: reconcile: could not delete an orphan: %s\n",
			r == NULL ? "no answer" : r->message);
}

/* Delete what the dataplane has and the registry does not (consumers first). */
static unsigned int
delete_orphans(struct table *t, uint16_t type)
{
	struct cascade_cmd cmd;
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->e[i].claimed)
			continue;
		memset(&cmd, 0, sizeof(cmd));
		cmd.type = type;
		cmd.u.obj.obj_id = t->e[i].id;
		if (cp_dp_call(&cmd, 5000, on_orphan_deleted, NULL) == 0)
			n++;
	}
	return n;
}

void
cp_state_reconcile(const struct cascade_seg *seg)
{
	const struct cascade_seg_hdr *h = seg->hdr;
	struct table tt = {0}, pt = {0}, ct = {0};
	struct sweep s;
	unsigned int dropped = 0, orphans;
	size_t i;

	if (read_dir(seg, h->dir_transport_off, h->max_transports,
		     sizeof(struct cascade_dir_transport), &tt) < 0 ||
	    read_dir(seg, h->dir_producer_off, h->max_producers, sizeof(struct cascade_dir_producer),
		     &pt) < 0 ||
	    read_dir(seg, h->dir_consumer_off, h->max_consumers, sizeof(struct cascade_dir_consumer),
		     &ct) < 0) {
		fprintf(stderr, "cascade-cp: reconcile: out of memory\n");
		goto out;
	}
	/* drop what the dataplane lost: consumers, then producers, then transports */
	memset(&s, 0, sizeof(s));
	s.dir = &ct;
	cp_consumers_each(sweep_c, &s);
	for (i = 0; i < s.lost.n; i++)
		cp_consumer_drop(s.lost.v[i]);
	dropped += (unsigned int)s.lost.n;
	s.lost.n = 0;
	s.dir = &pt;
	cp_producers_each(sweep_p, &s);
	for (i = 0; i < s.lost.n; i++)
		cp_producer_drop(s.lost.v[i]);
	dropped += (unsigned int)s.lost.n;
	s.lost.n = 0;
	s.dir = &tt;
	cp_transports_each(sweep_t, &s);
	for (i = 0; i < s.lost.n; i++)
		cp_transport_drop(s.lost.v[i]);
	dropped += (unsigned int)s.lost.n;
	cp_ptrs_free(&s.lost);
	/* producers dropped with a transport took their consumers: re-mark survivors */
	orphans = delete_orphans(&ct, CASCADE_CMD_CONSUMER_DEL) +
		  delete_orphans(&pt, CASCADE_CMD_PRODUCER_DEL) +
		  delete_orphans(&tt, CASCADE_CMD_TRANSPORT_DEL);
	for (i = 0; i < tt.n; i++)
		cp_dp_id_seen(tt.e[i].id);
	for (i = 0; i < pt.n; i++)
		cp_dp_id_seen(pt.e[i].id);
	for (i = 0; i < ct.n; i++)
		cp_dp_id_seen(ct.e[i].id);
	fprintf(stderr,
		"cascade-cp: reconcile: dataplane has %zu transports, %zu producers, %zu consumers; "
		"%u dropped from the registry, %u orphans deleted\n",
		tt.n, pt.n, ct.n, dropped, orphans);
	if (dropped != 0)
		cp_state_dirty();
out:
	free(tt.e);
	free(pt.e);
	free(ct.e);
}
