/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the cluster service's files share among themselves (not for others).
 *
 * Layer: service.
 */
#ifndef CP_CLUSTER_INT_H
#define CP_CLUSTER_INT_H

#include <jansson.h>

#include "cp_config.h"
#include "cp_err.h"
#include "cp_schema.h"

/*
 * cp_cluster_query.c: reads the keys under cfg's prefix, and derives the
 * record key from cfg's cluster secret. 0, or -1 (said why).
 */
int cp_cluster_query_init(const struct cp_config *cfg);
/* The key and prefix every record written is signed for and every record read checked against. */
const struct cp_rec_trust *cp_cluster_trust(void);
/* What was read from Redis. */
enum cp_cluster_source {
	CP_SRC_NODE,     /* a node record */
	CP_SRC_PRODUCER, /* a producer record */
	CP_SRC_MESSAGE,  /* a room channel message */
	CP_SRC_MAX
};
/*
 * A record (or room message) read from Redis was refused (err from the
 * validator; -EACCES: its signature): counted by reason, and logged at most
 * once a second per source and reason.
 */
void cp_cluster_refused(enum cp_cluster_source src, const struct cp_err *err);

/* cp_cluster_load.c: read the dataplane's counters (at each heartbeat). */
void cp_cluster_load_update(void);
/* {"egress_pps","consumers","cpu","score"} (a new reference). */
json_t *cp_cluster_load_json(void);

#endif /* CP_CLUSTER_INT_H */
