/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The watch over the other nodes of the cluster (DESIGN.md 4, step 6): which
 * nodes are alive, their records and rooms, and the clean-up after one that
 * died. Part of the cluster service (cp_cluster.c drives it). Event-loop
 * thread only.
 *
 * Layer: service.
 */
#ifndef CP_LIVENESS_H
#define CP_LIVENESS_H

#include <stdbool.h>

#include <jansson.h>

#include "cp_config.h"
#include "cp_schema.h"

struct cp_peer {
	struct cp_node_rec rec; /* its checked record (rec.json owned) */
	json_t *rooms;          /* array of its rooms' names */
	bool seen;              /* in the current round */
};

/*
 * on_down(id, known): node id is dead (known: it was alive in this node's
 * view, so clients hear of it); on_alive(id): its record was seen.
 */
int cp_liveness_init(const struct cp_config *cfg, void (*on_down)(const char *id, bool known),
		     void (*on_alive)(const char *id));
void cp_liveness_fini(void);
/* Redis just came back: nobody is judged dead for one TTL (everyone re-registers). */
void cp_liveness_grace(void);
/* Start a round: every node's record and rooms (Redis must be up and this node registered). */
void cp_liveness_round(void);
/* Another node found id dead: it leaves this node's view now. */
void cp_liveness_forget(const char *id);
/* A live peer, or NULL. */
const struct cp_peer *cp_liveness_peer(const char *id);
void cp_liveness_each(void (*fn)(const struct cp_peer *p, void *arg), void *arg);
unsigned int cp_liveness_count(void);

#endif /* CP_LIVENESS_H */
