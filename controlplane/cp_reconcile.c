/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry against the dataplane's tables (DESIGN.md 3: never leave
 * orphan flows). On every attach (start, or the dataplane came back):
 *   - an object in the registry the dataplane does not have (same object id,
 *     in use) is dropped, and its producers announce producer.close: after a
 *     dataplane restart applications re-create what they need;
 *   - an object the dataplane has but the registry does not (created in the
 *     50 ms before a crash, or by another tool) is an orphan and is deleted
 *     from the dataplane;
 *   - everything else carries on untouched (its table slot is taken from the
 *     directory): media never stops.
 * Nothing is in flight at an attach (the driver failed every command when it
 * detached), so this pass may drop registry objects.
 *
 * Layer: service.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_dp.h"
#include "cp_map.h"
#include "cp_reconcile.h"
#include "cp_registry.h"

#define DELETE_TIMEOUT_MS 5000

enum table { TB_CONSUMERS, TB_PRODUCERS, TB_TRANSPORTS, TB_MAX };

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
	uint8_t buf[sizeof(struct cascade_dir_transport)];
	const struct cascade_dir_head *h = (const void *)buf;
	uint64_t off, id;
	uint32_t max;
	size_t size;

	table_geometry(seg, tb, &off, &max, &size);
	cascade_dir_read((const uint8_t *)cascade_seg_at(seg, off) + (size_t)i * size, buf, size);
	if (!h->in_use)
		return 0;
	/* every record's body starts with its object id right after the head */
	memcpy(&id, buf + sizeof(*h), sizeof(id));
	return id;
}

static void
on_orphan_deleted(const struct cascade_reply *r, void *arg)
{
	(void)arg;
	if (r == NULL || (r->status != 0 && r->status != -ENOENT))
		fprintf(stderr, "cascade-cp: reconcile: could not delete an orphan: %s\n",
			r == NULL ? "no answer" : r->message);
}

static bool
delete_orphan(uint64_t id, uint16_t type)
{
	struct cascade_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = type;
	cmd.u.obj.obj_id = id;
	return cp_dp_call(&cmd, DELETE_TIMEOUT_MS, on_orphan_deleted, NULL) == 0;
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
			} else if (!cp_registry_knows(id) && delete_orphan(id, del_type[tb])) {
				orphans++;
			}
		}
	}
	dropped = drop_lost();
	fprintf(stderr,
		"cascade-cp: reconcile: dataplane has %zu transports, %zu producers, %zu consumers; "
		"%u dropped from the registry, %u orphans deleted\n",
		in_use[TB_TRANSPORTS], in_use[TB_PRODUCERS], in_use[TB_CONSUMERS], dropped, orphans);
}
