/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scenario of fuzz_classify (see fuzz_scene.h).
 */
#include <stdatomic.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "fuzz_scene.h"

#define MUX CASCADE_TRANSPORT_RTCP_MUX

#define COMEDIA CASCADE_TRANSPORT_COMEDIA
#define PIPE CASCADE_TRANSPORT_PIPE

const struct scene_tp scene_tps[N_TP] = {
	/* flags, suite, port, IPv6, connected */
	[T_PLAIN] = {MUX, 0, 0, 0, 1},
	[T_COMEDIA] = {MUX | COMEDIA, 0, 0, 0, 0},
	[T_NOMUX] = {0, 0, 1, 0, 1},
	[T_SRTP] = {MUX, CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80, 0, 0, 1},
	[T_PIPE] = {MUX | PIPE, 0, 0, 0, 0},
	[T_SRTP_COMEDIA] = {MUX | COMEDIA, CASCADE_SUITE_AEAD_AES_128_GCM, 0, 0, 0},
	[T_V6] = {MUX, 0, 0, 1, 1},
	[T_SRTP_PIPE] = {MUX | PIPE, CASCADE_SUITE_AES_CM_128_HMAC_SHA1_32, 0, 0, 0},
};

/* Consumers: the transport of their producer (producer t is on transport t), where they send. */
static const uint8_t cons[N_CONS][2] = {
	{T_PLAIN, T_COMEDIA}, {T_PLAIN, T_V6},        {T_PLAIN, T_SRTP}, {T_PLAIN, T_PIPE},
	{T_COMEDIA, T_PLAIN}, {T_NOMUX, T_NOMUX},     {T_SRTP, T_PLAIN}, {T_SRTP, T_SRTP},
	{T_PIPE, T_PLAIN},    {T_SRTP_COMEDIA, T_V6}, {T_V6, T_NOMUX},   {T_SRTP_PIPE, T_SRTP_PIPE}, /* C_SRTP_PIPE */
	{T_V6, T_PLAIN},    /* maps PT 96 to 100 and takes nothing else */
	{T_NOMUX, T_PLAIN}, /* paused */
};
#define C_PT_MAP 12 /* the consumer with a payload-type map */
#define C_PAUSED 13 /* the paused one */

/* What the scenario was and what an input may change (see fuzz_scene.h). */
static struct {
	bool installed;
	uint16_t owner[N_TP];     /* each producer's worker, as first installed */
	unsigned int heap_allocs; /* rte_malloc's count with the scenario installed */
	struct dp_peer peer0[N_TP];
	uint64_t count0[N_CONS];
	bool whole[N_TP];   /* transport t goes back whole: SRTP used, or a command */
	bool touched[N_TP]; /* producer t's consumers go back: a command touched one */
} scene;

/* ---- addresses and keys --------------------------------------------------------------- */

struct cascade_addr
scene_addr(bool v6, uint8_t host, uint16_t port)
{
	struct cascade_addr a;

	memset(&a, 0, sizeof(a));
	a.port_be = rte_cpu_to_be_16(port);
	if (v6) {
		a.family = CASCADE_AF_INET6;
		a.ip[0] = 0x20;
		a.ip[1] = 0x01;
		a.ip[2] = 0x0d;
		a.ip[3] = 0xb8;
		a.ip[15] = host;
	} else {
		a.family = CASCADE_AF_INET;
		a.ip[0] = 10;
		a.ip[3] = host;
	}
	return a;
}

struct cascade_addr
scene_local(uint32_t t, bool rtcp)
{
	return scene_addr(scene_tps[t].v6, 1, (uint16_t)(40000 + 2 * t + rtcp));
}

struct cascade_addr
scene_remote(uint32_t t)
{
	return scene_addr(scene_tps[t].v6, 101, (uint16_t)(5000 + 2 * t));
}

/* The peer node of pipe consumers. */
struct cascade_addr
scene_pipe_peer(void)
{
	return scene_addr(false, 201, 39999);
}

void
scene_key(uint8_t *master, uint8_t suite, uint32_t t, int which)
{
	unsigned int i, mb = cascade_srtp_master_bytes(suite);

	memset(master, 0, CASCADE_SRTP_MASTER_MAX);
	for (i = 0; i < mb; i++)
		master[i] = (uint8_t)(1 + t * 31 + (unsigned int)which * 7 + i);
}

/* ---- the scenario, through commands ----------------------------------------------------- */

static void
apply_ok(struct cascade_cmd *cmd)
{
	fuzz_check(fuzz_dp_apply(cmd) == 0);
}

static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x99};

/* On an SRTP pipe t: the stream key of object id (kind CASCADE_PIPE_SRTP_*). */
static void
pipe_key(uint32_t t, uint64_t id, uint8_t kind, int which)
{
	struct cascade_cmd cmd;

	if (scene_tps[t].suite == CASCADE_SUITE_NONE || !(scene_tps[t].flags & PIPE))
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_PIPE_SRTP;
	cmd.u.pipe_srtp.obj_id = id;
	cmd.u.pipe_srtp.kind = kind;
	cmd.u.pipe_srtp.suite = scene_tps[t].suite;
	scene_key(cmd.u.pipe_srtp.master, scene_tps[t].suite, t, which);
	apply_ok(&cmd);
}

/* Transport t, with its keys when it is an SRTP transport that has them. */
static void
add_transport(uint32_t t)
{
	struct cascade_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_TRANSPORT_ADD;
	cmd.u.transport.obj_id = TP_ID(t);
	cmd.u.transport.port_id = scene_tps[t].port;
	cmd.u.transport.flags = scene_tps[t].flags;
	cmd.u.transport.srtp_suite = scene_tps[t].suite;
	cmd.u.transport.local = scene_local(t, false);
	if (!(scene_tps[t].flags & MUX))
		cmd.u.transport.local_rtcp = scene_local(t, true);
	if (scene_tps[t].connect) {
		cmd.u.transport.remote = scene_remote(t);
		memcpy(cmd.u.transport.remote_mac, peer_mac, 6);
	}
	apply_ok(&cmd);
	if (scene_tps[t].suite == CASCADE_SUITE_NONE || (scene_tps[t].flags & PIPE))
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_TRANSPORT_SRTP;
	cmd.u.srtp.obj_id = TP_ID(t);
	cmd.u.srtp.suite = scene_tps[t].suite;
	scene_key(cmd.u.srtp.rx_master, scene_tps[t].suite, t, KEY_RX);
	scene_key(cmd.u.srtp.tx_master, scene_tps[t].suite, t, KEY_TX);
	apply_ok(&cmd);
}

/* Producer t on transport t, with its stream key on an SRTP pipe. */
static void
add_producer(uint32_t t)
{
	struct cascade_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_PRODUCER_ADD;
	cmd.u.producer.obj_id = PROD_ID(t);
	cmd.u.producer.transport_id = TP_ID(t);
	cmd.u.producer.ssrc = PROD_SSRC(t);
	cmd.u.producer.clock_rate = 90000;
	cmd.u.producer.kind = CASCADE_KIND_VIDEO;
	/*
	 * its sender takes NACKs and repairs on an RTX stream (payload type 97 for
	 * 96); no PLI, so that adding a consumer posts no keyframe message (which
	 * the accounting of a drain could not tell from a packet)
	 */
	cmd.u.producer.fb = CASCADE_FB_NACK;
	cmd.u.producer.rtx_ssrc = PROD_RTX_SSRC(t);
	cmd.u.producer.n_rtx = 1;
	cmd.u.producer.rtx_map[0].pt = 97;
	cmd.u.producer.rtx_map[0].apt = 96;
	apply_ok(&cmd);
	pipe_key(t, PROD_ID(t), CASCADE_PIPE_SRTP_PRODUCER, KEY_PIPE_PROD);
}

/* Consumer j, with its remote on a pipe and its stream key on an SRTP pipe. */
static void
add_consumer(uint32_t j)
{
	uint32_t to = cons[j][1];
	struct cascade_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_CONSUMER_ADD;
	cmd.u.consumer.obj_id = CONS_ID(j);
	cmd.u.consumer.producer_id = PROD_ID(cons[j][0]);
	cmd.u.consumer.transport_id = TP_ID(to);
	cmd.u.consumer.ssrc = CONS_SSRC(j);
	cmd.u.consumer.paused = j == C_PAUSED;
	if (j == C_PT_MAP) {
		/* and RTX: what its NACKs make the dataplane send again goes as RTX */
		cmd.u.consumer.n_pt_map = 1;
		cmd.u.consumer.pt_map[0].in_pt = 96;
		cmd.u.consumer.pt_map[0].out_pt = 100;
		cmd.u.consumer.rtx_ssrc = CONS_RTX_SSRC(j);
		cmd.u.consumer.rtx_pt[0] = 101;
	}
	if (scene_tps[to].flags & PIPE) {
		cmd.u.consumer.remote = scene_pipe_peer();
		memcpy(cmd.u.consumer.remote_mac, peer_mac, 6);
	}
	apply_ok(&cmd);
	pipe_key(to, CONS_ID(j), CASCADE_PIPE_SRTP_CONSUMER, KEY_PIPE_CONS);
}

/*
 * The scenario is installed as it was the first time: every producer owned
 * by the worker it had then, every producer's consumer list in cons[] order
 * (which decides who gets the ingress mbuf itself). What a reset restores.
 */
static void
scenario_check(void)
{
	uint32_t t, j, i;

	for (t = 0; t < N_TP; t++) {
		uint32_t ps = fuzz_dp_slot(dp.prod_by_id, PROD_ID(t));
		const struct dp_clist *cl;

		fuzz_check(ps != UINT32_MAX && dp.producers[ps].owner == scene.owner[t]);
		cl = atomic_load(&dp.producers[ps].clist);
		for (i = 0, j = 0; j < N_CONS; j++) {
			if (cons[j][0] != t)
				continue;
			fuzz_check(cl != NULL && i < cl->n);
			fuzz_check(cl->slot[i++] == fuzz_dp_slot(dp.cons_by_id, CONS_ID(j)));
		}
		fuzz_check(cl == NULL || i == cl->n);
	}
}

static unsigned int
heap_allocs(void)
{
	struct rte_malloc_socket_stats st;

	fuzz_check(rte_malloc_get_socket_stats((int)rte_socket_id(), &st) == 0);
	return st.alloc_count;
}

/* Peers, consumer lists and SRTP pairs: what the tables hold is all rte_malloc holds. */
static void
heap_check(void)
{
	fuzz_check(!dp_table_pending(&dp));
	fuzz_check(heap_allocs() == scene.heap_allocs);
}

static void
rtx_release(void *pkt, void *arg)
{
	RTE_SET_USED(arg);
	rte_pktmbuf_free(pkt);
}

void
scene_rtx_clear(void)
{
	uint32_t i;

	for (i = 0; i < dp.opt.max_producers; i++) {
		struct dp_rtxbuf *b = atomic_load(&dp.producers[i].rtx);

		if (dp.producers[i].in_use && b != NULL) {
			dp_rtxbuf_flush(b, rtx_release, NULL);
			dp_nackgen_init(dp_rtx_nackgen(b)); /* nothing missing: no NACK carries over */
		}
		dp.producers[i].nack_listed = 0;
	}
	for (i = 0; i < dp.n_workers; i++) {
		dp.workers[i]->n_nack = 0;
		dp.workers[i]->nack_poll_tsc = 0;
	}
}

void
scene_install(void)
{
	uint32_t t, j;

	if (scene.installed)
		return;
	for (t = 0; t < N_TP; t++) {
		add_transport(t);
		add_producer(t);
	}
	for (j = 0; j < N_CONS; j++)
		add_consumer(j);
	fuzz_dp_settle(true);
	fuzz_dp_check_tables(true);
	for (t = 0; t < N_TP; t++)
		scene.owner[t] = dp.producers[fuzz_dp_slot(dp.prod_by_id, PROD_ID(t))].owner;
	scene.heap_allocs = heap_allocs();
	scene.installed = true;
	scenario_check();
}

/* ---- back to the scenario after an input -------------------------------------------------- */

/* Transport t's remote as it is now (all zero without one, or when t is not installed). */
static struct dp_peer
peer_now(uint32_t t)
{
	uint32_t s = fuzz_dp_slot(dp.tp_by_id, TP_ID(t));
	const struct dp_peer *p = s == UINT32_MAX ? NULL : atomic_load(&dp.transports[s].peer);
	struct dp_peer v;

	memset(&v, 0, sizeof(v));
	if (p != NULL)
		v = *p;
	return v;
}

/* What consumer j's slot counted on every worker (any copy it got, sent or lost). */
static uint64_t
consumer_count(uint32_t j)
{
	uint32_t s = fuzz_dp_slot(dp.cons_by_id, CONS_ID(j)), i;
	uint64_t n = 0;

	if (s == UINT32_MAX)
		return UINT64_MAX;
	for (i = 0; i < FUZZ_WORKERS; i++)
		n += dp.workers[i]->cstats[s].tx_pkts + dp.workers[i]->cstats[s].drop_pkts +
		     dp.workers[i]->cstats[s].rtcp_pkts;
	return n;
}

uint32_t
scene_consumer_producer(uint32_t j)
{
	return cons[j % N_CONS][0];
}

void
scene_whole(uint32_t t)
{
	scene.whole[t % N_TP] = true;
}

void
scene_consumers(uint32_t t)
{
	scene.touched[t % N_TP] = true;
}

void
scene_mark(void)
{
	uint32_t t, j;

	for (t = 0; t < N_TP; t++) {
		scene.peer0[t] = peer_now(t);
		scene.whole[t] = false;
	}
	for (j = 0; j < N_CONS; j++)
		scene.count0[j] = consumer_count(j);
	memset(scene.touched, 0, sizeof(scene.touched));
}

/*
 * Put back what the input changed, so that every input starts from the
 * scenario as first installed and replays alone as it ran. What a packet can
 * change: a transport's remote (a learn), an SRTP stream's replay window (a
 * packet that authenticates: only those the harness protects), and a
 * consumer's sequence state (any copy made for it, which its counters show);
 * and what the input's commands touched. A changed transport is deleted
 * (with its producer and their consumers) and added again; a producer that
 * lost a consumer gets all of them again, in order; producers come back in
 * the order that gives each its first owner. Then rte_malloc holds exactly
 * what it held with the scenario first installed: nothing leaked.
 */
void
scene_reset(void)
{
	bool tp_dirty[N_TP] = {false}, group[N_TP] = {false}, added[N_TP] = {false}, any = false;
	uint32_t n_owned[FUZZ_WORKERS] = {0}, t, j, w, left = 0;
	struct dp_peer now;

	for (t = 0; t < N_TP; t++) {
		now = peer_now(t);
		tp_dirty[t] = scene.whole[t] || memcmp(&now, &scene.peer0[t], sizeof(now)) != 0;
		group[t] = scene.touched[t];
	}
	for (j = 0; j < N_CONS; j++)
		if (consumer_count(j) != scene.count0[j] || tp_dirty[cons[j][0]] ||
		    tp_dirty[cons[j][1]])
			group[cons[j][0]] = true;
	for (t = 0; t < N_TP; t++) {
		any |= group[t] || tp_dirty[t];
		left += tp_dirty[t];
	}
	if (!any) {
		heap_check();
		return;
	}
	for (t = 0; t < N_TP; t++)
		if (tp_dirty[t] && fuzz_dp_slot(dp.tp_by_id, TP_ID(t)) != UINT32_MAX)
			fuzz_check(fuzz_dp_apply_obj(CASCADE_CMD_TRANSPORT_DEL, TP_ID(t), 0) == 0);
	for (j = 0; j < N_CONS; j++)
		if (group[cons[j][0]] && fuzz_dp_slot(dp.cons_by_id, CONS_ID(j)) != UINT32_MAX)
			fuzz_check(fuzz_dp_apply_obj(CASCADE_CMD_CONSUMER_DEL, CONS_ID(j), 0) == 0);
	for (t = 0; t < N_TP; t++) {
		if (tp_dirty[t])
			add_transport(t);
		else
			n_owned[dp.producers[fuzz_dp_slot(dp.prod_by_id, PROD_ID(t))].owner]++;
	}
	/* dp_tbl_owner_take() gives the worker owning fewest, the first of equals */
	while (left > 0) {
		for (w = 0, j = 1; j < FUZZ_WORKERS; j++)
			if (n_owned[j] < n_owned[w])
				w = j;
		for (t = 0; t < N_TP && !(tp_dirty[t] && !added[t] && scene.owner[t] == w); t++)
			;
		fuzz_check(t < N_TP);
		add_producer(t);
		added[t] = true;
		n_owned[w]++;
		left--;
	}
	for (j = 0; j < N_CONS; j++)
		if (group[cons[j][0]])
			add_consumer(j);
	fuzz_dp_settle(true);
	fuzz_dp_check_tables(true);
	scenario_check();
	heap_check();
}
