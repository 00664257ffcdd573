/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What workers learn about a transport's remote (a comedia remote tuple, an
 * RTCP remote, the next hop's MAC), recorded on the main lcore: a new peer
 * record published with a release store, the old one freed after a grace
 * period, and an event per tuple learned for the control plane.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_check.h"
#include "dp_table_priv.h"

static void
learn_event(struct dp_ctx *c, uint64_t obj_id, const struct cascade_addr *a, bool is_rtcp)
{
	struct cascade_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CASCADE_EV_REMOTE_LEARNED;
	ev.obj_id = obj_id;
	ev.addr = *a;
	ev.value = is_rtcp;
	ev.tsc = rte_rdtsc();
	cascade_ring_push(cascade_seg_event_ring(&c->seg), &ev, sizeof(ev));
}

/*
 * A worker heard a transport's remote: record what was missing and tell the
 * control plane (an event per tuple learned). Each part is learned once: a
 * comedia transport's remote tuple (from RTP only, and with a source port:
 * port 0 is no tuple), the RTCP remote (the remote's IP from another port),
 * the next-hop MAC; whatever later learns would replace is ignored, so
 * several learns of one transport queued before this ran change it exactly
 * once. Main lcore.
 */
int
dp_table_learn(struct dp_ctx *c, const struct dp_learn *l)
{
	struct dp_peer next, *old, *peer;
	struct dp_transport *tp;
	bool rtp = false, rtcp = false;

	if (l->transport >= c->opt.max_transports)
		return -EINVAL;
	tp = &c->transports[l->transport];
	tp->learn_posted = 0;
	if (!tp->in_use || tp->gen != l->gen || (tp->cfg.flags & CASCADE_TRANSPORT_PIPE))
		return -ESTALE;
	old = atomic_load_explicit(&tp->peer, memory_order_relaxed);
	memset(&next, 0, sizeof(next));
	if (old != NULL)
		next = *old;
	if ((l->what & DP_LEARN_RTP) && (tp->cfg.flags & CASCADE_TRANSPORT_COMEDIA) &&
	    next.remote.port_be == 0 && l->src.port_be != 0 &&
	    l->src.family == tp->cfg.local.family) {
		next.remote = dp_addr_norm(&l->src);
		rtp = true;
	}
	if ((l->what & DP_LEARN_RTCP) && next.remote.port_be != 0 && next.remote_rtcp.port_be == 0 &&
	    l->src.family == next.remote.family &&
	    memcmp(l->src.ip, next.remote.ip, sizeof(l->src.ip)) == 0 &&
	    l->src.port_be != next.remote.port_be && l->src.port_be != 0) {
		next.remote_rtcp = dp_addr_norm(&l->src);
		rtcp = true;
	}
	if ((l->what & DP_LEARN_MAC) && !next.has_mac && next.remote.port_be != 0) {
		next.mac = l->mac;
		next.has_mac = 1;
	}
	if (old != NULL && memcmp(old, &next, sizeof(next)) == 0)
		return 0;
	if (old == NULL && !rtp && !next.has_mac)
		return 0;
	peer = rte_zmalloc("dp_peer", sizeof(*peer), RTE_CACHE_LINE_SIZE);
	if (peer == NULL)
		return -ENOMEM;
	*peer = next;
	/* pairs with the worker's acquire load of peer */
	atomic_store_explicit(&tp->peer, peer, memory_order_release);
	dp_tbl_defer_free(old);
	dp_dir_write_transport(c, l->transport);
	if (rtp)
		learn_event(c, tp->cfg.obj_id, &next.remote, false);
	if (rtcp)
		learn_event(c, tp->cfg.obj_id, &next.remote_rtcp, true);
	return 0;
}
