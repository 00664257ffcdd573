/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's events, applied (cp_dp_events.h).
 *
 * Layer: service.
 */
#include <stdio.h>

#include "cp_dp.h"
#include "cp_dp_events.h"
#include "cp_registry.h"

static uint64_t n_stale;

void
cp_dp_events_apply(const struct cascade_event *ev)
{
	struct cp_producer *p;

	switch (ev->type) {
	case CASCADE_EV_KEYFRAME_REQUEST:
		p = cp_registry_producer_by_dp(ev->obj_id);
		if (p == NULL) {
			n_stale++; /* closed while the event waited */
			return;
		}
		if (ev->value == 2)
			p->fir_count++;
		else
			p->pli_count++;
		return;
	case CASCADE_EV_STARTED:
		fprintf(stderr, "cascade-cp: dataplane started (epoch %016llx)\n",
			(unsigned long long)ev->value);
		return;
	default:
		/* CASCADE_EV_REMOTE_LEARNED: the directory has it (see cp_dp_events.h) */
		return;
	}
}

uint64_t
cp_dp_events_stale(void)
{
	return n_stale;
}

static void
on_event(const struct cascade_event *ev, void *arg)
{
	(void)arg;
	cp_dp_events_apply(ev);
}

void
cp_dp_events_init(void)
{
	cp_dp_on_event(on_event, NULL);
}
