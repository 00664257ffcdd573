/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-dp: the DPDK primary process. Start-up in dependency order (EAL,
 * options, shared segment, ports and pools, tables, workers, telemetry and
 * pdump), then the main lcore runs the control loop while each worker lcore
 * polls. SIGINT/SIGTERM set dp.quit; everything is torn down in reverse order
 * and the segment is removed, so nothing is left behind.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_pdump.h>

#include "dp.h"

struct dp_ctx dp;
RTE_LOG_REGISTER(dp_logtype, cascade.dp, INFO);

static void
on_signal(int sig)
{
	RTE_SET_USED(sig);
	dp.quit = true;
}

/* The hand-off facts classify leaves in each mbuf it hands to another lcore. */
static int
meta_init(struct dp_ctx *c)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "cascade_dp_meta",
		.size = sizeof(struct dp_meta),
		.align = __alignof__(struct dp_meta),
	};

	c->meta_off = rte_mbuf_dynfield_register(&desc);
	if (c->meta_off < 0) {
		DP_LOG(ERR, "mbuf dynamic field: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

/*
 * EAL logs a --vdev it could not probe and starts anyway, with a port less.
 * Every --vdev (or --vdev=) name must have become a port: the name, up to
 * its first comma, is the port's name. Returns 0, or -ENODEV after saying
 * which one failed.
 */
static int
vdevs_check(int argc, char **argv)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	const char *arg;
	uint16_t port;
	size_t n;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--vdev") == 0 && i + 1 < argc)
			arg = argv[++i];
		else if (strncmp(argv[i], "--vdev=", 7) == 0)
			arg = argv[i] + 7;
		else
			continue;
		n = strcspn(arg, ",");
		if (n == 0 || n >= sizeof(name))
			continue; /* EAL refused it already */
		memcpy(name, arg, n);
		name[n] = '\0';
		if (rte_eth_dev_get_port_by_name(name, &port) != 0) {
			fprintf(stderr,
				"cascade-dp: --vdev %s: the device did not probe (see EAL's "
				"messages above): check its driver and arguments\n",
				name);
			return -ENODEV;
		}
	}
	return 0;
}

static int
workers_init(struct dp_ctx *c)
{
	const struct cascade_seg_hdr *h = &c->seg.lay;
	unsigned int lcore;
	uint32_t i = 0;
	char name[RTE_RING_NAMESIZE];

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		struct dp_worker *w =
			rte_zmalloc_socket("dp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
					   (int)rte_lcore_to_socket_id(lcore));
		if (w == NULL)
			return -ENOMEM;
		c->workers[i] = w;
		w->idx = i;
		w->lcore_id = lcore;
		w->stats = (struct cascade_lcore_stats *)cascade_seg_at(&c->seg,
									 h->lcore_stats_off) +
			   i;
		w->tstats = (struct cascade_obj_stats *)cascade_seg_at(&c->seg,
								       h->transport_stats_off) +
			    (uint64_t)i * h->max_transports;
		w->pstats = (struct cascade_obj_stats *)cascade_seg_at(&c->seg,
								       h->producer_stats_off) +
			    (uint64_t)i * h->max_producers;
		w->cstats = (struct cascade_obj_stats *)cascade_seg_at(&c->seg,
								       h->consumer_stats_off) +
			    (uint64_t)i * h->max_consumers;
		w->slow_tsc_per_pkt = c->tsc_hz / c->opt.slow_pps;
		/* room for every producer it could own: the list never refuses one */
		w->rr_list = rte_zmalloc_socket("dp_rr_list",
						sizeof(*w->rr_list) * c->opt.max_producers,
						RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
		w->kf_wait = rte_zmalloc_socket("dp_kf_wait",
						sizeof(*w->kf_wait) * c->opt.max_producers,
						RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
		if (w->rr_list == NULL || w->kf_wait == NULL)
			return -ENOMEM;
		snprintf(name, sizeof(name), "dp_learn_%u", i);
		w->learn_ring = rte_ring_create_elem(name, sizeof(struct dp_learn), 1024,
						     rte_socket_id(),
						     RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "dp_slow_%u", i);
		w->slow_ring = rte_ring_create(name, 1024, rte_socket_id(),
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
		/* every other worker enqueues (one burst at a time), only this one dequeues */
		snprintf(name, sizeof(name), "dp_handoff_%u", i);
		w->handoff = rte_ring_create(name, DP_HANDOFF_RING,
					     rte_lcore_to_socket_id(lcore), RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "dp_events_%u", i);
		w->event_ring = rte_ring_create_elem(name, sizeof(struct cascade_event), 1024,
						     rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->learn_ring == NULL || w->slow_ring == NULL || w->handoff == NULL ||
		    w->event_ring == NULL) {
			DP_LOG(ERR, "worker rings: %s", rte_strerror(rte_errno));
			return -ENOMEM;
		}
		i++;
	}
	return 0;
}

static void
workers_free(struct dp_ctx *c)
{
	uint32_t i;

	for (i = 0; i < c->n_workers; i++) {
		struct dp_worker *w = c->workers[i];
		struct rte_mbuf *m = NULL;

		if (w == NULL)
			continue;
		while (w->slow_ring != NULL && rte_ring_dequeue(w->slow_ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		while (w->handoff != NULL && rte_ring_dequeue(w->handoff, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->slow_ring);
		rte_ring_free(w->handoff);
		rte_ring_free(w->event_ring);
		rte_free(w->rr_list);
		rte_free(w->kf_wait);
		rte_ring_free(w->learn_ring);
		rte_free(w);
		c->workers[i] = NULL;
	}
}

int
main(int argc, char **argv)
{
	int rc, eal_args, argc0 = argc;
	char **argv0;
	unsigned int lcore;
	int exit_code = 1;
	bool pdump = false, skip_cleanup = false;

	/* --help and --version answer without starting DPDK (no hugepages needed) */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			dp_usage("cascade-dp");
			printf("EAL options (cores, devices, memory): dpdk's usual, e.g. -l 0-2 "
			       "--vdev net_memif0,role=server,socket=/run/cascade.sock\n");
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("cascade-dp %s (abi %u)\n", CASCADE_DP_VERSION, CASCADE_ABI_VERSION);
			dp_srtp_version_print(stdout);
			return 0;
		}
	}
	/* EAL's getopt permutes argv: keep the order the user wrote for vdevs_check() */
	argv0 = calloc((size_t)argc + 1, sizeof(*argv0));
	if (argv0 == NULL)
		return 1;
	memcpy(argv0, argv, (size_t)argc * sizeof(*argv0));
	eal_args = rte_eal_init(argc, argv);
	if (eal_args < 0) {
		fprintf(stderr, "cascade-dp: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		free(argv0);
		return 1;
	}
	rc = vdevs_check(argc0, argv0);
	free(argv0);
	if (rc < 0) {
		rte_eal_cleanup();
		return 1;
	}
	argc -= eal_args;
	argv += eal_args;
	argv[0] = (char *)"cascade-dp";
	rc = dp_options_parse(&dp.opt, argc, argv);
	if (rc != 0) {
		rte_eal_cleanup();
		return rc > 0 ? 0 : 1;
	}
	if (dp_srtp_init(dp.opt.allow_slow_srtp) < 0) {
		rte_eal_cleanup();
		return 1;
	}
	dp.tsc_hz = rte_get_tsc_hz();
	/* the SSRC of the node's own RTCP (keyframe requests): random, never 0 */
	while (dp.rtcp_ssrc == 0)
		if (getrandom(&dp.rtcp_ssrc, sizeof(dp.rtcp_ssrc), 0) != sizeof(dp.rtcp_ssrc))
			dp.rtcp_ssrc = (uint32_t)rte_rdtsc();
	dp.tx_retry_tsc = dp.tsc_hz / 1000000 * dp.opt.tx_retry_us;
	dp.n_workers = rte_lcore_count() - 1;
	if (dp.n_workers == 0 || dp.n_workers > DP_MAX_WORKERS) {
		fprintf(stderr,
			"cascade-dp: -l/--lcores: need the main lcore plus 1 to %u worker lcores, "
			"got %u lcores\n",
			DP_MAX_WORKERS, rte_lcore_count());
		rte_eal_cleanup();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (meta_init(&dp) < 0 || dp_seg_create(&dp) < 0)
		goto out_eal;
	if (dp_ports_init(&dp) < 0)
		goto out_ports;
	if (dp_tables_init(&dp) < 0)
		goto out_tables;
	if (workers_init(&dp) < 0)
		goto out_workers;
	if (dp_telemetry_init(&dp) < 0)
		goto out_workers;
	if (rte_pdump_init() == 0)
		pdump = true;
	else
		DP_LOG(WARNING, "pdump unavailable: dpdk-dumpcap will not attach");
	dp_ctl_init(&dp);

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		uint32_t i;
		for (i = 0; i < dp.n_workers; i++)
			if (dp.workers[i]->lcore_id == lcore)
				rte_eal_remote_launch(dp_worker_loop, dp.workers[i], lcore);
	}
	DP_LOG(INFO, "running: segment=%s workers=%u ports=%u", dp.opt.segment, dp.n_workers,
	       dp.n_ports);
	printf("cascade-dp: running segment=%s workers=%u ports=%u\n", dp.opt.segment,
	       dp.n_workers, dp.n_ports);
	fflush(stdout);
	dp_ctl_loop(&dp);
	atomic_store(&dp.seg.hdr->state, CASCADE_DP_STOPPING);
	rte_eal_mp_wait_lcore();
	DP_LOG(INFO, "stopping");
	exit_code = 0;

	if (pdump)
		rte_pdump_uninit();
out_workers:
	workers_free(&dp);
out_tables:
	dp_tables_free(&dp);
out_ports:
	skip_cleanup = dp_ports_close(&dp);
	if (!skip_cleanup) {
		rte_mempool_free(dp.pkt_pool);
		rte_mempool_free(dp.hdr_pool);
		rte_mempool_free(dp.clone_pool);
	}
	dp_seg_destroy(&dp);
out_eal:
	if (!skip_cleanup)
		rte_eal_cleanup();
	if (exit_code != 0)
		fprintf(stderr, "cascade-dp: start-up failed (see the messages above)\n");
	return exit_code;
}
