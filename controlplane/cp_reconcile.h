/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry against the dataplane's tables: on every attach, and
 * periodically. Event-loop thread only.
 *
 * Layer: service.
 */
#ifndef CP_RECONCILE_H
#define CP_RECONCILE_H

#include <event2/event.h>

#include <cascade/segment.h>

/* Start the periodic pass (every period_ms). 0, or -1 (out of memory). */
int cp_reconcile_init(struct event_base *base, unsigned int period_ms);
void cp_reconcile_fini(void);
/* The driver attached to seg: reconcile now (call before anything else uses the registry). */
void cp_reconcile_attach(const struct cascade_seg *seg);

#endif /* CP_RECONCILE_H */
