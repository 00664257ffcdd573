/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry across control-plane restarts: the state file (state.file).
 * Event-loop thread only.
 *
 * Layer: service.
 */
#ifndef CP_STATE_H
#define CP_STATE_H

#include <event2/event.h>

#include "cp_config.h"

/*
 * Load the state file (if configured and present) into the registry, then
 * save within 50 ms of every registry change. A file that cannot be read as
 * a state file is moved aside (STATE.corrupt-SECONDS, said in one line) and
 * the node starts from the dataplane's tables. 0, or -1 (out of memory).
 */
int cp_state_init(struct event_base *base, const struct cp_config *cfg);
/* Finish a save in progress and save what changed since, now (at exit). */
void cp_state_fini(void);

#endif /* CP_STATE_H */
