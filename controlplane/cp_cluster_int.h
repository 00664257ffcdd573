/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the cluster service's files share among themselves (not for others).
 *
 * Layer: service.
 */
#ifndef CP_CLUSTER_INT_H
#define CP_CLUSTER_INT_H

#include "cp_config.h"

/* cp_cluster_query.c: reads the keys under cfg's prefix. */
void cp_cluster_query_init(const struct cp_config *cfg);

#endif /* CP_CLUSTER_INT_H */
