/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore's loop: the dataplane side of the control-plane interface.
 * Each turn does bounded work: drain up to CMD_BATCH commands and apply them,
 * apply the workers' learn requests, publish the changed consumer lists once,
 * push replies (deletes wait for their RCU grace period), reclaim what the
 * grace period freed, move slow-path packets from the workers into the
 * segment's slow ring, send what the control plane put in the inject ring (on
 * the main lcore's own TX queue), refresh the heartbeat. It sleeps briefly when a turn
 * found nothing to do, so the control path costs no core when idle.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dp.h"

#define CMD_BATCH 256
#define LEARN_BATCH 64
#define SLOW_BATCH 64

static struct cascade_reply pending[CMD_BATCH];
static uint32_t n_pending;

int
dp_ctl_init(struct dp_ctx *c)
{
	struct cascade_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CASCADE_EV_STARTED;
	ev.value = c->seg.hdr->epoch;
	ev.tsc = rte_rdtsc();
	cascade_ring_push(cascade_seg_event_ring(&c->seg), &ev, sizeof(ev));
	atomic_store(&c->seg.hdr->state, CASCADE_DP_RUNNING);
	return 0;
}

/* Push replies that are ready; keep the rest for the next turn. */
static void
flush_pending(struct dp_ctx *c)
{
	const struct cascade_ring_ref *rr = cascade_seg_reply_ring(&c->seg);
	uint32_t i = 0;

	while (i < n_pending && cascade_ring_push(rr, &pending[i], sizeof(pending[i])) == 0)
		i++;
	if (i > 0 && i < n_pending)
		memmove(pending, pending + i, (n_pending - i) * sizeof(pending[0]));
	n_pending -= i;
}

static uint32_t
do_commands(struct dp_ctx *c)
{
	const struct cascade_ring_ref *cr = cascade_seg_cmd_ring(&c->seg);
	struct cascade_reply r;
	struct cascade_cmd cmd;
	uint32_t n = 0;
	bool grace;

	/* a reply ring the client does not drain holds commands back, never drops them */
	while (n_pending < CMD_BATCH && n < CMD_BATCH) {
		void *slot = (void *)(uintptr_t)cascade_ring_peek(cr);

		if (slot == NULL)
			break;
		memcpy(&cmd, slot, sizeof(cmd));
		/* SRTP keys leave no copy in the shared segment (the slot is ours until release) */
		if (cmd.type == CASCADE_CMD_TRANSPORT_SRTP || cmd.type == CASCADE_CMD_PIPE_SRTP)
			memset(slot, 0, sizeof(cmd));
		cascade_ring_release(cr);
		n++;
		dp_table_apply(c, &cmd, &r, &grace);
		if (cmd.type == CASCADE_CMD_TRANSPORT_SRTP || cmd.type == CASCADE_CMD_PIPE_SRTP)
			explicit_bzero(&cmd, sizeof(cmd));
		if (grace && r.status == 0) {
			if (dp_table_defer_reply(&r) < 0)
				pending[n_pending++] = r; /* cannot defer: answer now */
		} else {
			pending[n_pending++] = r;
		}
	}
	return n;
}

/* The workers' events (keyframe requests) onto the segment's event ring. */
static uint32_t
do_events(struct dp_ctx *c)
{
	struct cascade_event ev[LEARN_BATCH];
	uint32_t w, i, n, total = 0;

	for (w = 0; w < c->n_workers; w++) {
		n = rte_ring_sc_dequeue_burst_elem(c->workers[w]->event_ring, ev, sizeof(ev[0]),
						   LEARN_BATCH, NULL);
		for (i = 0; i < n; i++)
			cascade_ring_push(cascade_seg_event_ring(&c->seg), &ev[i], sizeof(ev[i]));
		total += n;
	}
	return total;
}

static uint32_t
do_learns(struct dp_ctx *c)
{
	struct dp_learn l[LEARN_BATCH];
	uint32_t w, i, n, total = 0;

	for (w = 0; w < c->n_workers; w++) {
		n = rte_ring_sc_dequeue_burst_elem(c->workers[w]->learn_ring, l, sizeof(l[0]),
						   LEARN_BATCH, NULL);
		for (i = 0; i < n; i++)
			dp_table_learn(c, &l[i]);
		total += n;
	}
	return total;
}

/* Copy one slow-path packet (UDP payload plus its tuple) into the segment. */
static void
slow_up(struct dp_ctx *c, struct rte_mbuf *m)
{
	const struct cascade_ring_ref *sr = cascade_seg_slow_ring(&c->seg);
	struct cascade_pkt *pkt;
	struct dp_addr_key key;
	const uint8_t *pl;
	struct dp_l4 l4;
	enum cascade_drop why;
	void *data;

	/* parsed once by the worker: cannot fail, but a packet lost is counted all the same */
	if (dp_parse_l4(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &l4, &why) < 0) {
		c->seg.hdr->slow_up_drops++;
		goto out;
	}
	pl = rte_pktmbuf_mtod_offset(m, const uint8_t *, l4.payload_off);
	if (dp_parse_demux(pl, l4.payload_len) == DP_CLASS_RTCP) {
		/* a receiver's SRTCP from an SSRC not learned yet: it ends here */
		dp_table_rcv_learn(c, &l4, rte_pktmbuf_mtod(m, const uint8_t *));
		goto out;
	}
	if ((pkt = cascade_ring_reserve(sr)) == NULL) {
		c->seg.hdr->slow_up_drops++; /* or: the control plane is not reading */
		goto out;
	}
	memset(&pkt->hdr, 0, sizeof(pkt->hdr));
	pkt->hdr.tsc = rte_rdtsc();
	pkt->hdr.port_id = m->port;
	pkt->hdr.src.family = l4.family;
	pkt->hdr.src.port_be = l4.src_port_be;
	memcpy(pkt->hdr.src.ip, l4.src_ip, 16);
	pkt->hdr.dst.family = l4.family;
	pkt->hdr.dst.port_be = l4.dst_port_be;
	memcpy(pkt->hdr.dst.ip, l4.dst_ip, 16);
	dp_addr_key_make(&key, &pkt->hdr.dst);
	if (rte_hash_lookup_data(c->tp_by_addr, &key, &data) >= 0)
		pkt->hdr.transport_id =
			c->transports[(uint32_t)(uintptr_t)data & ~DP_TP_RTCP].cfg.obj_id;
	pkt->hdr.class = dp_parse_demux(rte_pktmbuf_mtod_offset(m, const uint8_t *, l4.payload_off),
					l4.payload_len) == DP_CLASS_STUN
				 ? CASCADE_SLOW_STUN
				 : CASCADE_SLOW_DTLS;
	pkt->hdr.len = (uint16_t)RTE_MIN(l4.payload_len, sizeof(pkt->data));
	memcpy(pkt->data, rte_pktmbuf_mtod_offset(m, const uint8_t *, l4.payload_off),
	       pkt->hdr.len);
	cascade_ring_commit(sr);
	c->seg.hdr->slow_up_pkts++;
out:
	rte_pktmbuf_free(m);
}

static uint32_t
do_slow(struct dp_ctx *c)
{
	struct rte_mbuf *pkts[SLOW_BATCH];
	uint32_t w, i, n, total = 0;

	for (w = 0; w < c->n_workers; w++) {
		n = rte_ring_sc_dequeue_burst(c->workers[w]->slow_ring, (void **)pkts, SLOW_BATCH,
					      NULL);
		for (i = 0; i < n; i++)
			slow_up(c, pkts[i]);
		total += n;
	}
	return total;
}

/*
 * Send one packet from the inject ring: its data is a UDP payload for the
 * transport hdr.transport_id, sent from the transport's local address to
 * hdr.dst when that has a port, else to the transport's remote (the way a STUN
 * response or a DTLS record goes back). Returns 0 or -errno; the caller counts.
 */
static int
inject_one(struct dp_ctx *c, const struct cascade_pkt *pkt)
{
	const struct dp_transport *tp;
	const struct dp_peer *peer;
	struct dp_peer dst_peer;
	const struct cascade_addr *dst;
	struct rte_mbuf *m;
	uint8_t *h;
	uint16_t len = pkt->hdr.len;
	uint32_t slot;
	int hl;
	void *data;

	if (len > sizeof(pkt->data))
		return -EMSGSIZE;
	if (rte_hash_lookup_data(c->tp_by_id, &pkt->hdr.transport_id, &data) < 0)
		return -ENOENT;
	slot = (uint32_t)(uintptr_t)data;
	tp = &c->transports[slot];
	if (!c->ports[tp->cfg.port_id].main_txq)
		return -ENOTSUP;
	peer = atomic_load_explicit(&tp->peer, memory_order_acquire);
	if (pkt->hdr.dst.port_be != 0) {
		if (pkt->hdr.dst.family != tp->cfg.local.family)
			return -EAFNOSUPPORT;
		memset(&dst_peer, 0, sizeof(dst_peer));
		if (peer != NULL)
			dst_peer = *peer;
		dst_peer.remote = pkt->hdr.dst;
		peer = &dst_peer;
	}
	if (peer == NULL || peer->remote.port_be == 0)
		return -EHOSTUNREACH;
	dst = &peer->remote;
	m = rte_pktmbuf_alloc(c->pkt_pool);
	if (m == NULL)
		return -ENOMEM;
	h = rte_pktmbuf_mtod(m, uint8_t *);
	if ((uint32_t)dp_l2l4_len(tp->cfg.port_id, tp->cfg.local.family) + len >
	    rte_pktmbuf_tailroom(m)) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	hl = dp_write_l2l4(h, tp->cfg.port_id, peer, &tp->cfg.local, dst, len,
			   __rte_raw_cksum(pkt->data, len, 0), true);
	if (hl < 0) {
		rte_pktmbuf_free(m);
		return hl;
	}
	memcpy(h + hl, pkt->data, len);
	m->data_len = (uint16_t)(hl + len);
	m->pkt_len = m->data_len;
	if (rte_eth_tx_burst(tp->cfg.port_id, (uint16_t)c->n_workers, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

static uint32_t
do_inject(struct dp_ctx *c)
{
	const struct cascade_ring_ref *ir = cascade_seg_inject_ring(&c->seg);
	const struct cascade_pkt *pkt;
	uint32_t n = 0;

	while (n < SLOW_BATCH && (pkt = cascade_ring_peek(ir)) != NULL) {
		if (inject_one(c, pkt) == 0)
			c->seg.hdr->inject_pkts++;
		else
			c->seg.hdr->inject_drops++;
		cascade_ring_release(ir);
		n++;
	}
	return n;
}

/*
 * Run until dp.quit. Main lcore only. Work per turn is bounded by the batch
 * sizes above; an idle turn sleeps 100 us.
 */
void
dp_ctl_loop(struct dp_ctx *c)
{
	uint64_t last_hb = 0;

	while (!c->quit) {
		uint32_t work = 0;
		uint64_t now;

		if (n_pending > 0)
			flush_pending(c);
		work += do_commands(c);
		work += do_learns(c);
		work += do_events(c);
		dp_table_publish(c);
		flush_pending(c);
		dp_table_reclaim(c, false);
		work += do_slow(c);
		work += do_inject(c);

		now = cascade_now_ns();
		if (now - last_hb > 10 * 1000 * 1000) {
			atomic_store_explicit(&c->seg.hdr->heartbeat_ns, now, memory_order_release);
			dp_table_housekeep(c);
			last_hb = now;
		}
		if (work == 0) {
			struct timespec ts = {0, dp_table_pending(c) ? 20000 : 100000};
			nanosleep(&ts, NULL);
		}
	}
}
