/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry against the dataplane's tables, on every attach. Event-loop
 * thread only.
 *
 * Layer: service.
 */
#ifndef CP_RECONCILE_H
#define CP_RECONCILE_H

#include <cascade/segment.h>

/* The driver attached to seg: reconcile now (call before anything else uses the registry). */
void cp_reconcile_attach(const struct cascade_seg *seg);

#endif /* CP_RECONCILE_H */
