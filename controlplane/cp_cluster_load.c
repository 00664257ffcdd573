/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node's load, as its record tells the cluster (part of the cluster
 * service, cp_cluster.c): egress packets per second and the workers' busy
 * share, from the dataplane's counters at each heartbeat, and consumers
 * against the dataplane's capacity; the score is the highest of the three
 * shares.
 *
 * Layer: service.
 */
#include <jansson.h>

#include "cp_cluster_int.h"
#include "cp_dp.h"
#include "cp_registry.h"

/* egress packets per second that count as a fully loaded node */
#define EGRESS_PPS_FULL 5000000.0

static struct {
	uint64_t last_tx, last_polls, last_idle, last_ns;
	double egress_pps, cpu;
} load;

void
cp_cluster_load_update(void)
{
	const struct cascade_seg *seg = cp_dp_seg();
	struct cascade_lcore_stats s;
	uint64_t now = cascade_now_ns(), polls, idle;
	double dt;

	if (seg == NULL) {
		load.egress_pps = load.cpu = 0;
		load.last_ns = 0;
		return;
	}
	cascade_seg_lcore_stats(seg, &s);
	polls = s.ctr[CASCADE_LC_POLLS];
	idle = s.ctr[CASCADE_LC_IDLE_POLLS];
	if (load.last_ns != 0 && now > load.last_ns && s.ctr[CASCADE_LC_TX_PKTS] >= load.last_tx &&
	    polls >= load.last_polls && idle >= load.last_idle) {
		dt = (double)(now - load.last_ns) / 1e9;
		load.egress_pps = (double)(s.ctr[CASCADE_LC_TX_PKTS] - load.last_tx) / dt;
		/* share of polls that found packets: how busy the workers are */
		load.cpu = polls > load.last_polls
				   ? 1.0 - (double)(idle - load.last_idle) /
						     (double)(polls - load.last_polls)
				   : 0.0;
	}
	load.last_tx = s.ctr[CASCADE_LC_TX_PKTS];
	load.last_polls = polls;
	load.last_idle = idle;
	load.last_ns = now;
}

json_t *
cp_cluster_load_json(void)
{
	const struct cascade_seg *seg = cp_dp_seg();
	double consumers = (double)cp_registry_n_consumers();
	double max_c = seg != NULL ? (double)seg->lay.max_consumers : 131072.0;
	double score = load.cpu;

	if (consumers / max_c > score)
		score = consumers / max_c;
	if (load.egress_pps / EGRESS_PPS_FULL > score)
		score = load.egress_pps / EGRESS_PPS_FULL;
	return json_pack("{s:I,s:I,s:f,s:f}", "egress_pps", (json_int_t)load.egress_pps,
			 "consumers", (json_int_t)consumers, "cpu", load.cpu, "score", score);
}
