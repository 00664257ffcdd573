/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry against the dataplane's tables (DESIGN.md 3: never leave
 * orphan flows).
 *
 * On every attach (start, or the dataplane came back), in one pass:
 *   - an object in the registry the dataplane does not have (same object id,
 *     in use) is dropped, and its producers announce producer.close: after a
 *     dataplane restart applications re-create what they need;
 *   - an object the dataplane has but the registry does not (created in the
 *     50 ms before a crash, given up on after a timeout, or made by another
 *     tool) is an orphan and is deleted from the dataplane;
 *   - everything else carries on untouched (its table slot is taken from the
 *     directory): media never stops.
 * Nothing is in flight at an attach (the driver failed every command when it
 * detached), so this pass may drop registry objects.
 *
 * Periodically, with the same dataplane, the directories are walked again in
 * batches of WALK_BATCH records per loop turn, for orphans only: an object the
 * registry neither has nor holds and no command in flight is about. This
 * catches what a command given up on left behind when its compensating
 * delete could not be confirmed either.
 *
 * Orphans are deleted through a queue, at most DELETE_WINDOW commands in
 * flight, consumers before producers before transports, however many there
 * are.
 *
 * Layer: service.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cp_dp.h"
#include "cp_map.h"
#include "cp_reconcile.h"
#include "cp_registry.h"

#define WALK_BATCH 4096
#define DELETE_WINDOW 256
#define DELETE_TIMEOUT_MS 5000

enum table { TB_CONSUMERS, TB_PRODUCERS, TB_TRANSPORTS, TB_MAX };

struct orphan {
	uint64_t id;
	uint16_t type;
};

static struct {
	struct event_base *base;
	struct event *period, *step, *pump;
	unsigned int period_ms;
	/* the periodic walk in progress */
	bool walking;
	enum table tb;
	uint32_t slot;
	uint64_t epoch; /* of the dataplane the walk started on */
	unsigned int found;
	/* the delete queue */
	struct orphan *q;
	size_t q_head, q_n, q_cap;
	unsigned int in_flight, deleted, failed;
} rc;

static const uint16_t del_type[TB_MAX] = {
	[TB_CONSUMERS] = CASCADE_CMD_CONSUMER_DEL,
	[TB_PRODUCERS] = CASCADE_CMD_PRODUCER_DEL,
	[TB_TRANSPORTS] = CASCADE_CMD_TRANSPORT_DEL,
};

/* ---- the directories ---------------------------------------------------------------------- */

static void
table_geometry(const struct cascade_seg *seg, enum table tb, uint64_t *off, uint32_t *max,
	       size_t *size)
{
	switch (tb) {
	case TB_CONSUMERS:
		*off = seg->lay.dir_consumer_off, *max = seg->lay.max_consumers;
		*size = sizeof(struct cascade_dir_consumer);
		break;
	case TB_PRODUCERS:
		*off = seg->lay.dir_producer_off, *max = seg->lay.max_producers;
		*size = sizeof(struct cascade_dir_producer);
		break;
	default:
		*off = seg->lay.dir_transport_off, *max = seg->lay.max_transports;
		*size = sizeof(struct cascade_dir_transport);
	}
}

/* Slot i of a table: its object id when in use, else 0. */
static uint64_t
dir_id(const struct cascade_seg *seg, enum table tb, uint32_t i)
{
	union { /* room for the largest record */
		struct cascade_dir_transport t;
		struct cascade_dir_producer p;
		struct cascade_dir_consumer c;
	} buf;
	const struct cascade_dir_head *h = &buf.t.h;
	uint64_t off, id;
	uint32_t max;
	size_t size;

	table_geometry(seg, tb, &off, &max, &size);
	cascade_dir_read((const uint8_t *)cascade_seg_at(seg, off) + (size_t)i * size, &buf, size);
	if (!h->in_use)
		return 0;
	/* every record's body starts with its object id right after the head */
	memcpy(&id, (const uint8_t *)&buf + sizeof(*h), sizeof(id));
	return id;
}

/* ---- the delete queue ---------------------------------------------------------------------- */

static void pump(void);

static void
on_deleted(const struct cascade_reply *r, void *arg)
{
	(void)arg;
	rc.in_flight--;
	if (r != NULL && (r->status == 0 || r->status == -ENOENT))
		rc.deleted++;
	else
		rc.failed++;
	pump();
}

static void
queue(uint64_t id, uint16_t type)
{
	if (rc.q_head + rc.q_n == rc.q_cap) {
		size_t cap;
		struct orphan *q;

		if (rc.q_head > 0) { /* move the live part to the front first */
			memmove(rc.q, rc.q + rc.q_head, rc.q_n * sizeof(*rc.q));
			rc.q_head = 0;
		}
		if (rc.q_n == rc.q_cap) {
			cap = rc.q_cap != 0 ? rc.q_cap * 2 : 1024;
			q = realloc(rc.q, cap * sizeof(*q));
			if (q == NULL)
				return; /* the next pass finds it again */
			rc.q = q;
			rc.q_cap = cap;
		}
	}
	rc.q[rc.q_head + rc.q_n++] = (struct orphan){.id = id, .type = type};
}

static void
on_pump(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	pump();
}

/* Send queued deletes while the window and the driver have room. */
static void
pump(void)
{
	struct cascade_cmd cmd;

	while (rc.q_n > 0 && rc.in_flight < DELETE_WINDOW && cp_dp_room() > 64) {
		struct orphan o = rc.q[rc.q_head];

		if (cp_registry_knows(o.id) || cp_dp_busy(o.id)) {
			rc.q_head++, rc.q_n--; /* known by now after all */
			continue;
		}
		memset(&cmd, 0, sizeof(cmd));
		cmd.type = o.type;
		cmd.u.obj.obj_id = o.id;
		if (cp_dp_call(&cmd, DELETE_TIMEOUT_MS, on_deleted, NULL) < 0)
			break;
		rc.q_head++, rc.q_n--;
		rc.in_flight++;
	}
	if (rc.q_n > 0 && rc.in_flight == 0 && cp_dp_state() == CP_DP_RUNNING) {
		/* the driver is full of other commands: look again shortly */
		struct timeval tv = {0, 10 * 1000};
		evtimer_add(rc.pump, &tv);
		return;
	}
	if (rc.q_n == 0 && rc.in_flight == 0 && rc.failed != 0) {
		fprintf(stderr, "cascade-cp: reconcile: %u orphans deleted, %u could not be (the next "
				"pass tries again)\n",
			rc.deleted, rc.failed);
		rc.deleted = rc.failed = 0;
	}
	if (rc.q_n == 0)
		rc.q_head = 0;
	if (cp_dp_state() != CP_DP_RUNNING)
		rc.q_head = rc.q_n = 0; /* the next attach starts over */
}

/* ---- on attach ----------------------------------------------------------------------------- */

static void
forget_slot(struct cp_transport *t, void *arg)
{
	(void)arg;
	t->slot = UINT32_MAX;
}

static void
forget_slot_p(struct cp_producer *p, void *arg)
{
	(void)arg;
	p->slot = UINT32_MAX;
}

static void
forget_slot_c(struct cp_consumer *c, void *arg)
{
	(void)arg;
	c->slot = UINT32_MAX;
}

static void
lost_c(struct cp_consumer *c, void *arg)
{
	if (c->slot == UINT32_MAX)
		cp_ptrs_push(arg, c);
}

static void
lost_p(struct cp_producer *p, void *arg)
{
	if (p->slot == UINT32_MAX)
		cp_ptrs_push(arg, p);
}

static void
lost_t(struct cp_transport *t, void *arg)
{
	if (t->slot == UINT32_MAX)
		cp_ptrs_push(arg, t);
}

/* Drop what the dataplane lost: consumers, then producers, then transports. */
static unsigned int
drop_lost(void)
{
	struct cp_ptrs lost = {0};
	unsigned int n = 0;
	size_t i;

	cp_registry_each_consumer(lost_c, &lost);
	for (i = 0; i < lost.n; i++)
		cp_registry_remove_consumer(lost.v[i]);
	n += (unsigned int)lost.n;
	lost.n = 0;
	cp_registry_each_producer(lost_p, &lost);
	for (i = 0; i < lost.n; i++)
		cp_registry_remove_producer(lost.v[i]); /* its consumers were lost too */
	n += (unsigned int)lost.n;
	lost.n = 0;
	cp_registry_each_transport(lost_t, &lost);
	for (i = 0; i < lost.n; i++)
		cp_registry_remove_transport(lost.v[i]);
	n += (unsigned int)lost.n;
	cp_ptrs_free(&lost);
	return n;
}

void
cp_reconcile_attach(const struct cascade_seg *seg)
{
	size_t in_use[TB_MAX] = {0};
	unsigned int orphans = 0, dropped;
	enum table tb;
	uint32_t i, max;
	uint64_t off, id;
	size_t size;

	rc.walking = false; /* a periodic walk of the dataplane before is over */
	rc.q_head = rc.q_n = 0;
	cp_registry_each_transport(forget_slot, NULL);
	cp_registry_each_producer(forget_slot_p, NULL);
	cp_registry_each_consumer(forget_slot_c, NULL);
	for (tb = 0; tb < TB_MAX; tb++) {
		table_geometry(seg, tb, &off, &max, &size);
		for (i = 0; i < max; i++) {
			uint32_t *slot;

			if ((id = dir_id(seg, tb, i)) == 0)
				continue;
			in_use[tb]++;
			cp_registry_dp_id_seen(id);
			slot = cp_registry_dp_slot(id);
			if (slot != NULL) {
				*slot = i;
			} else if (!cp_registry_knows(id)) {
				queue(id, del_type[tb]);
				orphans++;
			}
		}
	}
	dropped = drop_lost();
	fprintf(stderr,
		"cascade-cp: reconcile: dataplane has %zu transports, %zu producers, %zu consumers; "
		"%u dropped from the registry, %u orphans deleted\n",
		in_use[TB_TRANSPORTS], in_use[TB_PRODUCERS], in_use[TB_CONSUMERS], dropped, orphans);
	pump();
}

/* ---- periodically ------------------------------------------------------------------------- */

static void
on_step(evutil_socket_t fd, short what, void *arg)
{
	const struct cascade_seg *seg = cp_dp_seg();
	struct timeval now = {0, 0};
	unsigned int budget = WALK_BATCH;
	uint64_t off, id;
	uint32_t max;
	size_t size;

	(void)fd, (void)what, (void)arg;
	if (!rc.walking)
		return;
	if (seg == NULL || seg->hdr->epoch != rc.epoch) {
		rc.walking = false; /* detached meanwhile: the attach reconciles */
		return;
	}
	while (budget > 0 && rc.tb < TB_MAX) {
		table_geometry(seg, rc.tb, &off, &max, &size);
		for (; budget > 0 && rc.slot < max; rc.slot++, budget--) {
			id = dir_id(seg, rc.tb, rc.slot);
			if (id == 0 || cp_registry_knows(id) || cp_dp_busy(id))
				continue;
			queue(id, del_type[rc.tb]);
			rc.found++;
		}
		if (rc.slot == max) {
			rc.tb++;
			rc.slot = 0;
		}
	}
	if (rc.tb < TB_MAX) {
		evtimer_add(rc.step, &now);
		return;
	}
	rc.walking = false;
	if (rc.found != 0)
		fprintf(stderr, "cascade-cp: reconcile: %u orphans in the dataplane's tables; "
				"deleting them\n",
			rc.found);
	pump();
}

static void
on_period(evutil_socket_t fd, short what, void *arg)
{
	const struct cascade_seg *seg = cp_dp_seg();
	struct timeval now = {0, 0};

	(void)fd, (void)what, (void)arg;
	if (seg == NULL || rc.walking)
		return;
	rc.walking = true;
	rc.tb = 0;
	rc.slot = 0;
	rc.found = 0;
	rc.epoch = seg->hdr->epoch;
	evtimer_add(rc.step, &now);
}

int
cp_reconcile_init(struct event_base *base, unsigned int period_ms)
{
	struct timeval tv = {period_ms / 1000, (period_ms % 1000) * 1000};

	rc.base = base;
	rc.period_ms = period_ms;
	rc.period = event_new(base, -1, EV_PERSIST, on_period, NULL);
	rc.step = evtimer_new(base, on_step, NULL);
	rc.pump = evtimer_new(base, on_pump, NULL);
	if (rc.period == NULL || rc.step == NULL || rc.pump == NULL)
		return -1;
	return event_add(rc.period, &tv);
}

void
cp_reconcile_fini(void)
{
	if (rc.period != NULL)
		event_free(rc.period);
	if (rc.step != NULL)
		event_free(rc.step);
	if (rc.pump != NULL)
		event_free(rc.pump);
	rc.period = rc.step = rc.pump = NULL;
	free(rc.q);
	rc.q = NULL;
	rc.q_head = rc.q_n = rc.q_cap = 0;
}
