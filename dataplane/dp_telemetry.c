/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands under /cascade/, readable with dpdk-telemetry.py:
 *   /cascade/info       version, segment, epoch, capacities, objects in use, pools
 *   /cascade/stats      totals and drops by reason, summed over workers
 *   /cascade/lcore,N    one worker's totals and drops
 *   /cascade/transport,ID  /cascade/producer,ID  /cascade/consumer,ID
 *                       one object's counters (ID in hex, as the control plane gave it)
 * Callbacks run on DPDK's telemetry thread: they only read the segment and the
 * tables' plain fields, never change anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mempool.h>
#include <rte_telemetry.h>

#include "dp.h"

static void
put_lcore_stats(struct rte_tel_data *d, const struct cascade_lcore_stats *s)
{
	struct rte_tel_data *drops = rte_tel_data_alloc();
	unsigned int i;

	for (i = 0; i < CASCADE_LC_MAX; i++)
		rte_tel_data_add_dict_u64(d, cascade_lcore_ctr_name(i), s->ctr[i]);
	if (drops == NULL)
		return;
	rte_tel_data_start_dict(drops);
	for (i = 0; i < CASCADE_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(drops, cascade_drop_name(i), s->drop[i]);
	rte_tel_data_add_dict_container(d, "drops", drops, 0);
}

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct cascade_lcore_stats s;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	cascade_seg_lcore_stats(&dp.seg, &s);
	rte_tel_data_start_dict(d);
	put_lcore_stats(d, &s);
	return 0;
}

static int
cmd_lcore(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct cascade_lcore_stats *st;
	char *end;
	unsigned long i;

	RTE_SET_USED(cmd);
	if (params == NULL || *params == '\0')
		return -EINVAL;
	i = strtoul(params, &end, 10);
	if (*end != '\0' || i >= dp.n_workers)
		return -EINVAL;
	st = (const struct cascade_lcore_stats *)cascade_seg_at(&dp.seg,
								dp.seg.lay.lcore_stats_off);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "lcore_id", dp.workers[i]->lcore_id);
	put_lcore_stats(d, &st[i]);
	return 0;
}

enum obj_kind {
	OBJ_TRANSPORT,
	OBJ_PRODUCER,
	OBJ_CONSUMER,
};

static uint32_t
obj_max(enum obj_kind k)
{
	return k == OBJ_TRANSPORT  ? dp.opt.max_transports
	       : k == OBJ_PRODUCER ? dp.opt.max_producers
				   : dp.opt.max_consumers;
}

static uint64_t
obj_stats_off(enum obj_kind k)
{
	return k == OBJ_TRANSPORT  ? dp.seg.lay.transport_stats_off
	       : k == OBJ_PRODUCER ? dp.seg.lay.producer_stats_off
				   : dp.seg.lay.consumer_stats_off;
}

/* Slot i of kind k: whether it is in use, and its id, generation and SSRC (0 if none). */
static bool
obj_at(enum obj_kind k, uint32_t i, uint64_t *id, uint32_t *gen, uint32_t *ssrc)
{
	switch (k) {
	case OBJ_TRANSPORT:
		*id = dp.transports[i].cfg.obj_id, *gen = dp.transports[i].gen, *ssrc = 0;
		return dp.transports[i].in_use;
	case OBJ_PRODUCER:
		*id = dp.producers[i].cfg.obj_id, *gen = dp.producers[i].gen;
		*ssrc = dp.producers[i].cfg.ssrc;
		return dp.producers[i].in_use;
	default:
		*id = dp.consumers[i].cfg.obj_id, *gen = dp.consumers[i].gen;
		*ssrc = dp.consumers[i].cfg.ssrc;
		return dp.consumers[i].in_use;
	}
}

static uint32_t
count_in_use(enum obj_kind k)
{
	uint32_t i, n = 0, gen, ssrc;
	uint64_t id;

	for (i = 0; i < obj_max(k); i++)
		n += obj_at(k, i, &id, &gen, &ssrc);
	return n;
}

/* Packets the producers' retransmission buffers hold (in pool_pkt's in_use meanwhile). */
static uint64_t
rtx_held(void)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < dp.opt.max_producers; i++) {
		const struct dp_rtxbuf *b = atomic_load_explicit(&dp.producers[i].rtx,
								 memory_order_relaxed);

		if (dp.producers[i].in_use && b != NULL)
			n += __atomic_load_n(&b->held, __ATOMIC_RELAXED);
	}
	return n;
}

static void
put_pool(struct rte_tel_data *d, const char *name, const struct rte_mempool *mp)
{
	struct rte_tel_data *p = rte_tel_data_alloc();

	if (p == NULL)
		return;
	rte_tel_data_start_dict(p);
	rte_tel_data_add_dict_u64(p, "size", mp->size);
	rte_tel_data_add_dict_u64(p, "in_use", rte_mempool_in_use_count(mp));
	rte_tel_data_add_dict_u64(p, "available", rte_mempool_avail_count(mp));
	rte_tel_data_add_dict_container(d, name, p, 0);
}

static int
cmd_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char epoch[32];

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", CASCADE_DP_VERSION);
	rte_tel_data_add_dict_string(d, "segment", dp.opt.segment);
	snprintf(epoch, sizeof(epoch), "%016" PRIx64, dp.seg.hdr->epoch);
	rte_tel_data_add_dict_string(d, "epoch", epoch);
	rte_tel_data_add_dict_u64(d, "abi", CASCADE_ABI_VERSION);
	rte_tel_data_add_dict_u64(d, "workers", dp.n_workers);
	rte_tel_data_add_dict_u64(d, "ports", dp.n_ports);
	rte_tel_data_add_dict_u64(d, "busy_poll", dp.opt.busy_poll);
	rte_tel_data_add_dict_u64(d, "max_transports", dp.opt.max_transports);
	rte_tel_data_add_dict_u64(d, "max_producers", dp.opt.max_producers);
	rte_tel_data_add_dict_u64(d, "max_consumers", dp.opt.max_consumers);
	rte_tel_data_add_dict_u64(d, "transports", count_in_use(OBJ_TRANSPORT));
	rte_tel_data_add_dict_u64(d, "producers", count_in_use(OBJ_PRODUCER));
	rte_tel_data_add_dict_u64(d, "consumers", count_in_use(OBJ_CONSUMER));
	put_pool(d, "pool_pkt", dp.pkt_pool);
	put_pool(d, "pool_hdr", dp.hdr_pool);
	put_pool(d, "pool_clone", dp.clone_pool);
	rte_tel_data_add_dict_u64(d, "rtx_buffers", dp.opt.rtx_buffers);
	rte_tel_data_add_dict_u64(d, "rtx_buffers_free", dp.n_rtx_free);
	rte_tel_data_add_dict_u64(d, "rtx_held", rtx_held());
	return 0;
}

static void
put_obj(struct rte_tel_data *d, uint64_t base, uint32_t max, uint32_t slot, uint32_t gen)
{
	struct cascade_obj_stats s;

	cascade_seg_obj_stats(&dp.seg, base, max, slot, &s);
	rte_tel_data_add_dict_u64(d, "slot", slot);
	rte_tel_data_add_dict_u64(d, "gen", gen);
	rte_tel_data_add_dict_u64(d, "rx_packets", s.rx_pkts);
	rte_tel_data_add_dict_u64(d, "rx_bytes", s.rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", s.tx_pkts);
	rte_tel_data_add_dict_u64(d, "tx_bytes", s.tx_bytes);
	rte_tel_data_add_dict_u64(d, "rtcp_packets", s.rtcp_pkts);
	rte_tel_data_add_dict_u64(d, "drop_packets", s.drop_pkts);
}

/* A consumer's receiver's last report (its RTCP record): nothing but rtcp_reports before one. */
static void
put_consumer_rtcp(struct rte_tel_data *d, uint32_t slot)
{
	struct cascade_consumer_rtcp r;
	bool has = cascade_seg_consumer_rtcp(&dp.seg, slot, &r);

	rte_tel_data_add_dict_u64(d, "rtcp_reports", r.reports);
	if (!has)
		return;
	rte_tel_data_add_dict_u64(d, "fraction_lost", r.fraction_lost);
	rte_tel_data_add_dict_int(d, "packets_lost", r.cum_lost);
	rte_tel_data_add_dict_u64(d, "ext_max_seq", r.ext_max_seq);
	rte_tel_data_add_dict_u64(d, "jitter", r.jitter);
	rte_tel_data_add_dict_u64(d, "jitter_us", cascade_jitter_us(r.jitter, r.clock_rate));
	rte_tel_data_add_dict_u64(d, "rtts", r.rtts);
	if (r.rtts != 0)
		rte_tel_data_add_dict_u64(d, "rtt_us", r.rtt_us);
}

/* A transport's transport-cc estimate (its TWCC record): twcc_feedbacks 0 before any. */
static void
put_transport_twcc(struct rte_tel_data *d, uint32_t slot)
{
	struct cascade_transport_twcc t;

	if (!cascade_seg_transport_twcc(&dp.seg, slot, &t))
		return;
	rte_tel_data_add_dict_u64(d, "twcc_feedbacks", t.feedbacks);
	rte_tel_data_add_dict_u64(d, "available_bps", t.available_bps);
	rte_tel_data_add_dict_u64(d, "acked_bps", t.acked_bps);
}

static int
parse_id(const char *params, uint64_t *id)
{
	char *end;

	if (params == NULL || *params == '\0')
		return -EINVAL;
	errno = 0;
	*id = strtoull(params, &end, 16);
	return (errno != 0 || *end != '\0') ? -EINVAL : 0;
}

/* One object's counters by id, with a linear scan of the table (the id hashes
 * belong to the main lcore and are not safe to read from this thread). */
static int
cmd_obj(enum obj_kind k, const char *params, struct rte_tel_data *d)
{
	uint64_t want, id;
	uint32_t i, gen, ssrc;

	if (parse_id(params, &want) < 0)
		return -EINVAL;
	for (i = 0; i < obj_max(k); i++) {
		if (!obj_at(k, i, &id, &gen, &ssrc) || id != want)
			continue;
		rte_tel_data_start_dict(d);
		put_obj(d, obj_stats_off(k), obj_max(k), i, gen);
		if (k != OBJ_TRANSPORT)
			rte_tel_data_add_dict_u64(d, "ssrc", ssrc);
		if (k == OBJ_CONSUMER)
			put_consumer_rtcp(d, i);
		if (k == OBJ_TRANSPORT)
			put_transport_twcc(d, i);
		return 0;
	}
	return -ENOENT;
}

static int
cmd_transport(const char *cmd, const char *params, struct rte_tel_data *d)
{
	RTE_SET_USED(cmd);
	return cmd_obj(OBJ_TRANSPORT, params, d);
}

static int
cmd_producer(const char *cmd, const char *params, struct rte_tel_data *d)
{
	RTE_SET_USED(cmd);
	return cmd_obj(OBJ_PRODUCER, params, d);
}

static int
cmd_consumer(const char *cmd, const char *params, struct rte_tel_data *d)
{
	RTE_SET_USED(cmd);
	return cmd_obj(OBJ_CONSUMER, params, d);
}

int
dp_telemetry_init(struct dp_ctx *c)
{
	RTE_SET_USED(c);
	if (rte_telemetry_register_cmd("/cascade/info", cmd_info,
				       "Dataplane version, capacities, objects, pools") ||
	    rte_telemetry_register_cmd("/cascade/stats", cmd_stats,
				       "Packet totals and drops by reason over all workers") ||
	    rte_telemetry_register_cmd("/cascade/lcore", cmd_lcore,
				       "One worker's totals and drops. Parameters: worker index") ||
	    rte_telemetry_register_cmd("/cascade/transport", cmd_transport,
				       "Transport counters. Parameters: id (hex)") ||
	    rte_telemetry_register_cmd("/cascade/producer", cmd_producer,
				       "Producer counters. Parameters: id (hex)") ||
	    rte_telemetry_register_cmd("/cascade/consumer", cmd_consumer,
				       "Consumer counters. Parameters: id (hex)")) {
		DP_LOG(ERR, "telemetry: cannot register /cascade commands");
		return -EINVAL;
	}
	return 0;
}
