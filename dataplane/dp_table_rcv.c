/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receivers' SRTCP on SRTP client transports, on the main lcore. A consumer's
 * receiver protects its RTCP (RR, NACK, PLI) under an SSRC of its own that
 * nobody tells Cascade. A worker never makes a session for it (libsrtp's
 * ssrc_any_inbound would allocate one per new SSRC, on the packet's lcore,
 * for anyone who sends): it sends such a packet up the slow path (rate-limited
 * per source, counted as srtcp_learn_up), and here the packet is checked with a
 * session for that SSRC under the transport's rx key. Only when it
 * authenticates is that session kept, in one of the transport's
 * DP_RCV_SSRCS slots (full: srtcp_learn_full), and published; it already
 * holds the teaching packet's index, so that packet cannot be replayed. The
 * sessions go (after a grace period) with the transport or its rx key.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "dp_bytes.h"
#include "dp_parse.h"
#include "dp_srtp.h"
#include "dp_table_priv.h"

void
dp_table_rcv_learn(struct dp_ctx *c, const struct dp_l4 *l4, const uint8_t *frame)
{
	const uint8_t *pl = frame + l4->payload_off;
	uint16_t len = l4->payload_len;
	uint8_t buf[RTE_MBUF_DEFAULT_DATAROOM];
	struct dp_transport *tp;
	struct cascade_addr dst;
	struct dp_addr_key key;
	struct cascade_srtp *s;
	uint32_t ssrc, i, free_i = DP_RCV_SSRCS;
	size_t n = len;
	void *data;

	memset(&dst, 0, sizeof(dst));
	dst.family = l4->family;
	dst.port_be = l4->dst_port_be;
	memcpy(dst.ip, l4->dst_ip, 16);
	dp_addr_key_make(&key, &dst);
	if (rte_hash_lookup_data(c->tp_by_addr, &key, &data) < 0)
		return; /* gone while the packet waited */
	tp = &c->transports[(uint32_t)(uintptr_t)data & ~DP_TP_RTCP];
	if (!tp->in_use || !tp->has_keys || tp->cfg.srtp_suite == CASCADE_SUITE_NONE ||
	    (tp->cfg.flags & CASCADE_TRANSPORT_PIPE) || len < 8 || len > sizeof(buf))
		return;
	ssrc = rd32(pl + 4);
	for (i = 0; i < DP_RCV_SSRCS; i++) {
		if (atomic_load_explicit(&tp->rcv[i].s, memory_order_relaxed) == NULL) {
			if (free_i == DP_RCV_SSRCS)
				free_i = i;
		} else if (atomic_load_explicit(&tp->rcv[i].ssrc, memory_order_relaxed) == ssrc) {
			return; /* learned already (from a packet that waited beside this one) */
		}
	}
	s = dp_srtp_rtcp_rx_make(tp->cfg.srtp_suite, tp->rx_master, ssrc);
	if (s == NULL)
		return; /* out of memory: the receiver's next packet tries again */
	memcpy(buf, pl, len);
	if (cascade_srtp_unprotect_rtcp(s, buf, &n) < 0) {
		cascade_srtp_destroy(s);
		c->seg.hdr->srtcp_learn_auth++;
		return;
	}
	if (free_i == DP_RCV_SSRCS) {
		cascade_srtp_destroy(s);
		c->seg.hdr->srtcp_learn_full++;
		return;
	}
	atomic_store_explicit(&tp->rcv[free_i].ssrc, ssrc, memory_order_relaxed);
	/* pairs with the worker's acquire load of s (dp_classify.c, rcv_srtcp) */
	atomic_store_explicit(&tp->rcv[free_i].s, s, memory_order_release);
	c->seg.hdr->srtcp_learned++;
}

void
dp_tbl_rcv_release(struct dp_transport *tp)
{
	uint32_t i;

	for (i = 0; i < DP_RCV_SSRCS; i++)
		dp_tbl_defer_call(dp_srtp_tx_free, atomic_exchange_explicit(&tp->rcv[i].s, NULL,
									     memory_order_release));
}
