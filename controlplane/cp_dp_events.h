/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the dataplane reports on its event ring, applied to the registry's
 * objects: each keyframe request it sent a producer's sender is counted on
 * the producer (PLI or FIR, shown in /v1/stats and /metrics). A transport's
 * learned remote is not copied here: the API reads it from the dataplane's
 * directory, which outlives this process. Event-loop thread only.
 *
 * Layer: service.
 */
#ifndef CP_DP_EVENTS_H
#define CP_DP_EVENTS_H

#include <stdint.h>

#include <cascade/msg.h>

/* Take the driver's events from now on. */
void cp_dp_events_init(void);
/* Apply one (checked) event; exposed for the unit tests. */
void cp_dp_events_apply(const struct cascade_event *ev);
/* Events about objects this node does not know (deleted since, or never ours). */
uint64_t cp_dp_events_stale(void);

#endif /* CP_DP_EVENTS_H */
