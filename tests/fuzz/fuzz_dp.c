/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's fuzz targets' common ground (see fuzz_dp.h).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "fuzz_dp.h"

/* The dataplane's globals, which dp_main.c defines in cascade-dp. */
struct dp_ctx dp;
int dp_logtype;

#define REQ_WINDOW 4096 /* commands that may wait for their reply at once */

static struct {
	uint64_t next_req;
	uint32_t outstanding;
	uint8_t waiting[REQ_WINDOW]; /* by req_id % REQ_WINDOW */
	unsigned int heap_allocs;    /* rte_malloc's count with empty tables */
	/*
	 * The SRTP sessions the tables hold, as of the last settle. The tables
	 * live in EAL's memory, which LeakSanitizer does not search for
	 * pointers: without this list it would call every installed session a
	 * leak (a session the tables lost is not on it).
	 */
	struct cascade_srtp **sessions;
	size_t n_sessions, cap_sessions;
} fz;

void
fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, file, line);
	abort();
}

void
fuzz_dp_eal(const char *const *extra, int n)
{
	static const char *const base[] = {
		"cascade-fuzz", "--no-huge", "-m", "256",           "--no-pci",
		"--no-shconf",  "-l",        "0",  "--log-level=1",
	};
	char *argv[RTE_DIM(base) + 8];
	int argc = 0, i;

	fuzz_check(n <= 8);
	for (i = 0; i < (int)RTE_DIM(base); i++)
		argv[argc++] = (char *)(uintptr_t)base[i];
	for (i = 0; i < n; i++)
		argv[argc++] = (char *)(uintptr_t)extra[i];
	fuzz_check(rte_eal_init(argc, argv) >= 0);
}

void
fuzz_dp_segment(void)
{
	struct cascade_seg_geometry g = {
		.n_lcores = FUZZ_WORKERS,
		.max_transports = dp.opt.max_transports,
		.max_producers = dp.opt.max_producers,
		.max_consumers = dp.opt.max_consumers,
		.cmd_slots = 1024,
		.event_slots = 1024,
		.pkt_slots = 4,
	};
	struct cascade_seg_hdr lay, *h;
	uint64_t size = cascade_seg_layout(&lay, &g);
	char why[160];

	size = (size + 63) & ~(uint64_t)63;
	h = aligned_alloc(64, size);
	fuzz_check(h != NULL);
	memset(h, 0, size);
	memcpy(h, &lay, sizeof(lay));
	cascade_ring_init((struct cascade_ring *)((uint8_t *)h + lay.cmd_off),
			  sizeof(struct cascade_cmd), g.cmd_slots);
	cascade_ring_init((struct cascade_ring *)((uint8_t *)h + lay.reply_off),
			  sizeof(struct cascade_reply), g.cmd_slots);
	cascade_ring_init((struct cascade_ring *)((uint8_t *)h + lay.event_off),
			  sizeof(struct cascade_event), g.event_slots);
	cascade_ring_init((struct cascade_ring *)((uint8_t *)h + lay.slow_off),
			  sizeof(struct cascade_pkt), g.pkt_slots);
	cascade_ring_init((struct cascade_ring *)((uint8_t *)h + lay.inject_off),
			  sizeof(struct cascade_pkt), g.pkt_slots);
	fuzz_check(cascade_seg_open(&dp.seg, h, size, why, sizeof(why)) == 0);
}

void
fuzz_dp_tables(void)
{
	struct rte_malloc_socket_stats st;
	uint32_t i;

	dp.n_workers = FUZZ_WORKERS;
	fuzz_check(dp_tables_init(&dp) == 0);
	for (i = 0; i < FUZZ_WORKERS; i++) {
		fuzz_check(rte_rcu_qsbr_thread_register(dp.qsbr, i) == 0);
		rte_rcu_qsbr_thread_online(dp.qsbr, i);
	}
	fuzz_check(rte_malloc_get_socket_stats((int)rte_socket_id(), &st) == 0);
	fz.heap_allocs = st.alloc_count;
}

/* The errors a command may be refused with (msg.h, dp_table_cmd.c). */
static bool
known_status(int32_t s)
{
	switch (s) {
	case 0:
	case -EINVAL:
	case -ENOENT:
	case -EEXIST:
	case -ENOSPC:
	case -ENOMEM:
	case -EADDRINUSE:
	case -ENOTSUP:
		return true;
	default:
		return false;
	}
}

int
fuzz_dp_apply(struct cascade_cmd *cmd)
{
	struct cascade_reply r;
	bool grace;
	int rc;

	cmd->req_id = ++fz.next_req;
	rc = dp_table_apply(&dp, cmd, &r, &grace);
	fuzz_check(rc == r.status);
	fuzz_check(r.req_id == cmd->req_id);
	fuzz_check(known_status(r.status));
	fuzz_check(memchr(r.message, '\0', sizeof(r.message)) != NULL);
	fuzz_check(r.status == 0 || r.message[0] != '\0'); /* a refusal names the field */
	fuzz_check(fz.outstanding < REQ_WINDOW && !fz.waiting[r.req_id % REQ_WINDOW]);
	fz.waiting[r.req_id % REQ_WINDOW] = 1;
	fz.outstanding++;
	/* as dp_ctl.c: a delete's reply waits for its grace period */
	if (grace && r.status == 0 && dp_table_defer_reply(&r) == 0)
		return rc;
	fuzz_check(cascade_ring_push(cascade_seg_reply_ring(&dp.seg), &r, sizeof(r)) == 0);
	return rc;
}

int
fuzz_dp_apply_obj(uint16_t type, uint64_t id, uint8_t paused)
{
	struct cascade_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = type;
	cmd.u.obj.obj_id = id;
	cmd.u.obj.paused = paused;
	return fuzz_dp_apply(&cmd);
}

int
fuzz_dp_learn(const struct dp_learn *l)
{
	const struct dp_transport *tp = &dp.transports[l->transport % dp.opt.max_transports];
	const struct dp_peer *peer = atomic_load(&tp->peer);
	struct dp_peer before;
	int rc;

	memset(&before, 0, sizeof(before));
	if (peer != NULL)
		before = *peer;
	rc = dp_table_learn(&dp, l);
	fuzz_check(rc == 0 || rc == -EINVAL || rc == -ESTALE || rc == -ENOMEM);
	peer = atomic_load(&tp->peer);
	if (tp->cfg.flags & CASCADE_TRANSPORT_PIPE)
		fuzz_check(peer == NULL);
	if (before.remote.port_be != 0)
		fuzz_check(memcmp(&peer->remote, &before.remote, sizeof(before.remote)) == 0);
	if (before.remote_rtcp.port_be != 0)
		fuzz_check(memcmp(&peer->remote_rtcp, &before.remote_rtcp,
				  sizeof(before.remote_rtcp)) == 0);
	if (before.has_mac)
		fuzz_check(memcmp(&peer->mac, &before.mac, sizeof(before.mac)) == 0);
	return rc;
}

static void
keep(struct cascade_srtp *s)
{
	if (s == NULL)
		return;
	if (fz.n_sessions == fz.cap_sessions) {
		size_t cap = fz.cap_sessions ? 2 * fz.cap_sessions : 64;
		struct cascade_srtp **v = realloc(fz.sessions, cap * sizeof(*v));

		fuzz_check(v != NULL);
		fz.sessions = v;
		fz.cap_sessions = cap;
	}
	fz.sessions[fz.n_sessions++] = s;
}

/* Note every session the tables hold (see fz.sessions). */
static void
keep_sessions(void)
{
	const struct dp_srtp_rx *rx;
	uint32_t i, j;

	fz.n_sessions = 0;
	for (i = 0; i < dp.opt.max_producers; i++) {
		for (rx = dp.producers[i].in_use ? atomic_load(&dp.producers[i].srtp_rx) : NULL;
		     rx != NULL; rx = atomic_load(&rx->old)) {
			keep(rx->rtp);
			keep(rx->rtcp);
		}
		/* the outbound SRTCP session of the node's own RTCP to an SRTP sender */
		if (dp.producers[i].in_use)
			keep(atomic_load(&dp.producers[i].rtcp_tx));
		/* its RTX stream's inbound pair */
		rx = dp.producers[i].in_use ? atomic_load(&dp.producers[i].srtp_rtx_rx) : NULL;
		if (rx != NULL) {
			keep(rx->rtp);
			keep(rx->rtcp);
		}
	}
	/* receivers' SRTCP sessions of SRTP client transports */
	for (i = 0; i < dp.opt.max_transports; i++)
		for (j = 0; dp.transports[i].in_use && j < DP_RCV_SSRCS; j++)
			keep(atomic_load(&dp.transports[i].rcv[j].s));
	for (i = 0; i < dp.opt.max_consumers; i++)
		if (dp.consumers[i].in_use) {
			keep(atomic_load(&dp.consumers[i].srtp));
			keep(atomic_load(&dp.consumers[i].rtx_srtp));
			/* an SRTP pipe consumer's inbound session for its feedback */
			keep(atomic_load(&dp.consumers[i].fb_rx));
		}
}

void
fuzz_dp_settle(bool quiescent)
{
	const struct cascade_ring_ref *rr = cascade_seg_reply_ring(&dp.seg);
	const struct cascade_ring_ref *er = cascade_seg_event_ring(&dp.seg);
	struct cascade_reply r;
	struct cascade_event ev;
	const void *p;
	uint32_t i;

	dp_table_publish(&dp);
	if (quiescent)
		for (i = 0; i < FUZZ_WORKERS; i++)
			rte_rcu_qsbr_quiescent(dp.qsbr, i);
	dp_table_reclaim(&dp, false);
	dp_table_housekeep(&dp);
	/* one reply per command, matched by id */
	while ((p = cascade_ring_peek(rr)) != NULL) {
		memcpy(&r, p, sizeof(r));
		cascade_ring_release(rr);
		fuzz_check(r.req_id != 0 && r.req_id <= fz.next_req &&
			   fz.next_req - r.req_id < REQ_WINDOW);
		fuzz_check(fz.waiting[r.req_id % REQ_WINDOW]);
		fz.waiting[r.req_id % REQ_WINDOW] = 0;
		fz.outstanding--;
	}
	while ((p = cascade_ring_peek(er)) != NULL) {
		memcpy(&ev, p, sizeof(ev));
		cascade_ring_release(er);
		fuzz_check(ev.type == CASCADE_EV_REMOTE_LEARNED && ev.value <= 1);
		fuzz_check(ev.addr.family == CASCADE_AF_INET || ev.addr.family == CASCADE_AF_INET6);
		fuzz_check(ev.addr.port_be != 0);
	}
	keep_sessions();
}

uint32_t
fuzz_dp_slot(struct rte_hash *h, uint64_t id)
{
	void *data;

	if (rte_hash_lookup_data(h, &id, &data) < 0)
		return UINT32_MAX;
	return (uint32_t)(uintptr_t)data;
}

static uint32_t
hash_entries(const struct rte_hash *h)
{
	const void *key;
	void *data;
	uint32_t next = 0, n = 0;

	while (rte_hash_iterate(h, &key, &data, &next) >= 0)
		n++;
	return n;
}

static void
check_transports(uint32_t *n_addr)
{
	const struct cascade_dir_transport *dir =
		cascade_seg_at(&dp.seg, dp.seg.lay.dir_transport_off);
	uint32_t s, n = 0;

	*n_addr = 0;
	for (s = 0; s < dp.opt.max_transports; s++) {
		const struct dp_transport *tp = &dp.transports[s];
		struct dp_addr_key k;
		void *data;

		fuzz_check(dir[s].h.in_use == tp->in_use);
		if (!tp->in_use)
			continue;
		n++;
		fuzz_check(dir[s].h.gen == tp->gen && dir[s].t.obj_id == tp->cfg.obj_id);
		fuzz_check(fuzz_dp_slot(dp.tp_by_id, tp->cfg.obj_id) == s);
		dp_addr_key_make(&k, &tp->cfg.local);
		fuzz_check(rte_hash_lookup_data(dp.tp_by_addr, &k, &data) >= 0 &&
			   (uint32_t)(uintptr_t)data == s);
		(*n_addr)++;
		if (!(tp->cfg.flags & CASCADE_TRANSPORT_RTCP_MUX)) {
			dp_addr_key_make(&k, &tp->cfg.local_rtcp);
			fuzz_check(rte_hash_lookup_data(dp.tp_by_addr, &k, &data) >= 0 &&
				   (uint32_t)(uintptr_t)data == (s | DP_TP_RTCP));
			(*n_addr)++;
		}
		if (tp->cfg.flags & CASCADE_TRANSPORT_PIPE)
			fuzz_check(atomic_load(&tp->peer) == NULL);
	}
	fuzz_check(hash_entries(dp.tp_by_id) == n);
}

static void
check_producers(void)
{
	const struct cascade_dir_producer *dir =
		cascade_seg_at(&dp.seg, dp.seg.lay.dir_producer_off);
	uint32_t s, n = 0, n_rtx = 0;

	for (s = 0; s < dp.opt.max_producers; s++) {
		const struct dp_producer *p = &dp.producers[s];
		const struct dp_transport *tp = &dp.transports[p->transport];
		struct dp_prod_key key = {.transport = p->transport, .ssrc = p->cfg.ssrc};
		void *data;

		fuzz_check(dir[s].h.in_use == p->in_use);
		if (!p->in_use)
			continue;
		n++;
		fuzz_check(dir[s].h.gen == atomic_load(&p->gen) &&
			   dir[s].p.obj_id == p->cfg.obj_id);
		fuzz_check(p->owner < FUZZ_WORKERS && dir[s].p.lcore == p->owner);
		fuzz_check(p->transport < dp.opt.max_transports && tp->in_use);
		fuzz_check(p->cfg.transport_id == tp->cfg.obj_id);
		fuzz_check(fuzz_dp_slot(dp.prod_by_id, p->cfg.obj_id) == s);
		fuzz_check(rte_hash_lookup_data(dp.prod_by_ssrc, &key, &data) >= 0 &&
			   (uint32_t)(uintptr_t)data == s);
		if (p->cfg.rtx_ssrc != 0) {
			/* its RTX stream finds it too, marked */
			key.ssrc = p->cfg.rtx_ssrc;
			fuzz_check(rte_hash_lookup_data(dp.prod_by_ssrc, &key, &data) >= 0 &&
				   (uint32_t)(uintptr_t)data == (s | DP_PROD_RTX));
			n_rtx++;
		}
		/* inbound sessions only on SRTP transports, from their keys or a pipe stream's */
		if (tp->cfg.srtp_suite == CASCADE_SUITE_NONE)
			fuzz_check(atomic_load(&p->srtp_rx) == NULL);
		else if (!(tp->cfg.flags & CASCADE_TRANSPORT_PIPE))
			fuzz_check((atomic_load(&p->srtp_rx) != NULL) == (tp->has_keys != 0));
		else
			fuzz_check((atomic_load(&p->srtp_rx) != NULL) == (p->has_key != 0));
	}
	fuzz_check(hash_entries(dp.prod_by_id) == n);
	fuzz_check(hash_entries(dp.prod_by_ssrc) == n + n_rtx);
}

static void
check_consumers(bool published)
{
	const struct cascade_dir_consumer *dir =
		cascade_seg_at(&dp.seg, dp.seg.lay.dir_consumer_off);
	uint32_t s, n = 0, i, listed = 0;

	for (s = 0; s < dp.opt.max_consumers; s++) {
		const struct dp_consumer *k = &dp.consumers[s];
		const struct dp_transport *tp = &dp.transports[k->transport];

		fuzz_check(dir[s].h.in_use == k->in_use);
		if (!k->in_use)
			continue;
		n++;
		fuzz_check(dir[s].h.gen == k->gen && dir[s].c.obj_id == k->cfg.obj_id);
		fuzz_check(k->producer < dp.opt.max_producers && dp.producers[k->producer].in_use);
		fuzz_check(k->transport < dp.opt.max_transports && tp->in_use);
		fuzz_check(k->cfg.producer_id == dp.producers[k->producer].cfg.obj_id);
		fuzz_check(k->cfg.transport_id == tp->cfg.obj_id);
		fuzz_check(k->is_srtp == (tp->cfg.srtp_suite != CASCADE_SUITE_NONE));
		fuzz_check(k->has_peer == ((tp->cfg.flags & CASCADE_TRANSPORT_PIPE) != 0));
		fuzz_check(fuzz_dp_slot(dp.cons_by_id, k->cfg.obj_id) == s);
	}
	fuzz_check(hash_entries(dp.cons_by_id) == n);
	if (!published)
		return;
	/* what workers read: each producer's list is exactly its consumers, once each */
	for (s = 0; s < dp.opt.max_producers; s++) {
		const struct dp_clist *cl = atomic_load(&dp.producers[s].clist);

		if (!dp.producers[s].in_use) {
			fuzz_check(cl == NULL);
			continue;
		}
		for (i = 0; cl != NULL && i < cl->n; i++) {
			const struct dp_consumer *k = &dp.consumers[cl->slot[i]];
			uint32_t j;

			fuzz_check(cl->slot[i] < dp.opt.max_consumers);
			fuzz_check(k->in_use && k->producer == s);
			for (j = 0; j < i; j++)
				fuzz_check(cl->slot[j] != cl->slot[i]);
		}
		fuzz_check(cl == NULL || cl->n > 0);
		listed += cl != NULL ? cl->n : 0;
	}
	fuzz_check(listed == n);
}

void
fuzz_dp_check_tables(bool published)
{
	uint32_t n_addr;

	check_transports(&n_addr);
	fuzz_check(hash_entries(dp.tp_by_addr) == n_addr);
	check_producers();
	check_consumers(published);
}

void
fuzz_dp_flush(void)
{
	struct rte_malloc_socket_stats st;

	fuzz_check(fuzz_dp_apply_obj(CASCADE_CMD_FLUSH, 0, 0) == 0);
	fuzz_dp_settle(true);
	fuzz_check(!dp_table_pending(&dp));
	fuzz_check(fz.outstanding == 0);
	fuzz_dp_check_tables(true);
	fuzz_check(hash_entries(dp.tp_by_id) == 0 && hash_entries(dp.prod_by_id) == 0 &&
		   hash_entries(dp.cons_by_id) == 0);
	/* peers, consumer lists, SRTP pairs: everything the tables held went back */
	fuzz_check(rte_malloc_get_socket_stats((int)rte_socket_id(), &st) == 0);
	fuzz_check(st.alloc_count == fz.heap_allocs);
}
