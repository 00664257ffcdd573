/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP keys in the tables, on the main lcore. Inbound sessions are per known
 * SSRC: each producer on an SRTP transport gets its own pair from the
 * transport's rx key (a pipe stream from its own key), made here when the
 * producer is installed or the key arrives, never by a worker on a packet.
 * Outbound sessions are per consumer (its SSRC, the transport's tx key, or a
 * pipe stream's own).
 *
 * Every session a command needs is made before anything is published, so a
 * refused command changes nothing; replaced sessions are destroyed after a
 * grace period. The same key again is a retry and keeps the sessions (their
 * replay and rollover state). A new inbound key keeps the previous one
 * accepted for DP_SRTP_REKEY_OVERLAP_MS (packets in flight, a remote that
 * switches a little later); an outbound session is remade only when its key
 * changed, so a consumer's rollover counter never restarts under the same key.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "dp.h"
#include "dp_check.h"
#include "dp_table_priv.h"

static int
session_fail(struct cascade_reply *r, int err, const char *what)
{
	return dp_tbl_fail(r, err == ENOTSUP ? ENOTSUP : ENOMEM, "srtp: %s: %s", what,
			   strerror(err));
}

uint32_t
dp_tbl_rtcp_ssrc(const struct dp_transport *tp, uint32_t ssrc)
{
	static uint32_t installs;
	uint32_t s;

	if (tp->cfg.srtp_suite == CASCADE_SUITE_NONE)
		return dp.rtcp_ssrc;
	if (tp->cfg.flags & CASCADE_TRANSPORT_PIPE)
		return cascade_pipe_fb_ssrc(ssrc); /* under the stream's own key (msg.h) */
	do
		s = dp.rtcp_ssrc + ++installs * 2654435761u; /* odd: a bijection of 2^32 */
	while (s == 0 || s == dp.rtcp_ssrc);
	return s;
}

int
dp_tbl_producer_srtp(const struct dp_transport *tp, const struct cascade_cmd_producer *cfg,
		     uint32_t rtcp_ssrc, struct dp_producer_srtp *s, struct cascade_reply *r)
{
	const char *what = "inbound session";
	int err;

	memset(s, 0, sizeof(*s));
	if (tp->cfg.srtp_suite == CASCADE_SUITE_NONE || (tp->cfg.flags & CASCADE_TRANSPORT_PIPE) ||
	    !tp->has_keys)
		return 0;
	s->rx = dp_srtp_rx_make_ssrc(tp->cfg.srtp_suite, tp->rx_master, cfg->ssrc);
	if (s->rx == NULL)
		goto fail;
	what = "outbound RTCP session";
	s->rtcp_tx = dp_srtp_tx_make(tp->cfg.srtp_suite, tp->tx_master, rtcp_ssrc);
	if (s->rtcp_tx == NULL)
		goto fail;
	what = "RTX inbound session";
	if (cfg->rtx_ssrc != 0 &&
	    (s->rtx_rx = dp_srtp_rx_make_ssrc(tp->cfg.srtp_suite, tp->rx_master, cfg->rtx_ssrc)) ==
		    NULL)
		goto fail;
	return 0;
fail:
	err = errno;
	dp_tbl_producer_srtp_free(s);
	return session_fail(r, err, what);
}

void
dp_tbl_producer_srtp_free(struct dp_producer_srtp *s)
{
	dp_srtp_rx_free(s->rx);
	dp_srtp_tx_free(s->rtcp_tx);
	dp_srtp_rx_free(s->rtx_rx);
	memset(s, 0, sizeof(*s));
}

/*
 * Make rx producer p's inbound pair. When p had one, it stays accepted as
 * rx->old until the overlap ends (dp_table_housekeep), and whatever it kept
 * from an earlier re-key goes now (after a grace period).
 */
static void
rx_install(uint32_t ps, struct dp_producer *p, struct dp_srtp_rx *rx)
{
	struct dp_srtp_rx *prev = atomic_load_explicit(&p->srtp_rx, memory_order_relaxed);

	if (prev != NULL) {
		/* nobody reads prev->old once prev is not current: release it */
		dp_tbl_defer_call(dp_srtp_rx_free,
				  atomic_exchange_explicit(&prev->old, NULL, memory_order_acq_rel));
		rx->old_until_tsc = rte_rdtsc() + rte_get_tsc_hz() / 1000 * DP_SRTP_REKEY_OVERLAP_MS;
		atomic_store_explicit(&rx->old, prev, memory_order_relaxed);
		if (dp_tbl_rekeyed_add(ps) < 0) {
			/* no room to track the overlap: end it now rather than never */
			atomic_store_explicit(&rx->old, NULL, memory_order_relaxed);
			dp_tbl_defer_call(dp_srtp_rx_free, prev);
		}
	}
	/* pairs with the owning worker's acquire load of srtp_rx in srtp_in() */
	atomic_store_explicit(&p->srtp_rx, rx, memory_order_release);
}

void
dp_tbl_consumer_srtp_release(struct dp_consumer *k)
{
	dp_tbl_defer_call(dp_srtp_tx_free, atomic_load_explicit(&k->srtp, memory_order_relaxed));
	dp_tbl_defer_call(dp_srtp_tx_free,
			  atomic_exchange_explicit(&k->rtx_srtp, NULL, memory_order_relaxed));
	dp_tbl_defer_call(dp_srtp_tx_free,
			  atomic_exchange_explicit(&k->fb_rx, NULL, memory_order_relaxed));
}

static void session_swap(struct cascade_srtp *_Atomic *slot, struct cascade_srtp *s);

/*
 * TRANSPORT_SRTP: give an SRTP transport its keys, or new ones: a new inbound
 * pair for each producer on it when the rx key changed, a new outbound session
 * for each consumer on it when the tx key changed. Touches only the
 * transport's own objects (its lists in dp_lists).
 */
int
dp_tbl_transport_srtp(struct dp_ctx *c, const struct cascade_cmd_transport_srtp *cmd,
		      struct cascade_reply *r)
{
	struct dp_lists *l = dp_tbl_lists();
	struct dp_srtp_rx **rx = NULL, **rtx = NULL;
	struct cascade_srtp **tx = NULL, **ptx = NULL;
	const uint32_t *prods, *cons;
	struct dp_transport *tp;
	uint32_t slot, np, nc, i, made_rx = 0, made_tx = 0, made_ptx = 0;
	bool rx_new, tx_new;
	unsigned int mb;
	int rc, err;

	if (dp_tbl_id_lookup(c->tp_by_id, cmd->obj_id, &slot) < 0)
		return dp_tbl_fail(r, ENOENT, "transport 0x%" PRIx64 " not found", cmd->obj_id);
	tp = &c->transports[slot];
	rc = dp_check_transport_srtp(cmd, &tp->cfg, r->message, sizeof(r->message));
	if (rc < 0) {
		r->status = rc;
		return rc;
	}
	mb = cascade_srtp_master_bytes(cmd->suite);
	rx_new = !tp->has_keys || memcmp(tp->rx_master, cmd->rx_master, mb) != 0;
	tx_new = !tp->has_keys || memcmp(tp->tx_master, cmd->tx_master, mb) != 0;
	if (!rx_new && !tx_new) {
		dp_tbl_ok(r, slot, tp->gen);
		return 0; /* a retry */
	}
	prods = dp_lists_get(l, DP_REL_TP_PROD, slot, &np);
	cons = dp_lists_get(l, DP_REL_TP_CONS, slot, &nc);
	if ((rx_new && np != 0 && (rx = calloc(np, sizeof(*rx))) == NULL) ||
	    (rx_new && np != 0 && (rtx = calloc(np, sizeof(*rtx))) == NULL) ||
	    (tx_new && nc != 0 && (tx = calloc(2 * (size_t)nc, sizeof(*tx))) == NULL) ||
	    (tx_new && np != 0 && (ptx = calloc(np, sizeof(*ptx))) == NULL)) {
		rc = dp_tbl_fail(r, ENOMEM, "srtp: out of memory");
		goto out;
	}
	for (i = 0; rx_new && i < np; i++, made_rx++) {
		const struct cascade_cmd_producer *pc = &c->producers[prods[i]].cfg;

		rx[i] = dp_srtp_rx_make_ssrc(cmd->suite, cmd->rx_master, pc->ssrc);
		/* and its RTX stream's, when it has one */
		if (rx[i] != NULL && pc->rtx_ssrc != 0 &&
		    (rtx[i] = dp_srtp_rx_make_ssrc(cmd->suite, cmd->rx_master, pc->rtx_ssrc)) ==
			    NULL) {
			dp_srtp_rx_free(rx[i]);
			rx[i] = NULL;
		}
		if (rx[i] == NULL) {
			err = errno;
			rc = session_fail(r, err, "producer inbound session");
			goto out;
		}
	}
	/* tx[2i]: consumer i's session, tx[2i + 1]: its RTX stream's (NULL without) */
	for (i = 0; tx_new && i < nc; i++, made_tx += 2) {
		const struct cascade_cmd_consumer *kc = &c->consumers[cons[i]].cfg;

		tx[2 * i] = dp_srtp_tx_make(cmd->suite, cmd->tx_master, kc->ssrc);
		if (tx[2 * i] != NULL && kc->rtx_ssrc != 0 &&
		    (tx[2 * i + 1] = dp_srtp_tx_make(cmd->suite, cmd->tx_master, kc->rtx_ssrc)) ==
			    NULL) {
			err = errno;
			dp_srtp_tx_free(tx[2 * i]);
			tx[2 * i] = NULL;
			errno = err;
		}
		if (tx[2 * i] == NULL) {
			err = errno;
			rc = session_fail(r, err, "consumer outbound session");
			goto out;
		}
	}
	for (i = 0; tx_new && i < np; i++, made_ptx++) {
		ptx[i] = dp_srtp_tx_make(cmd->suite, cmd->tx_master,
					 c->producers[prods[i]].rtcp_ssrc);
		if (ptx[i] == NULL) {
			err = errno;
			rc = session_fail(r, err, "producer outbound RTCP session");
			goto out;
		}
	}
	/* everything is made: publish */
	for (i = 0; rx_new && i < np; i++) {
		struct dp_producer *p = &c->producers[prods[i]];

		rx_install(prods[i], p, rx[i]);
		dp_tbl_defer_call(dp_srtp_rx_free,
				  atomic_load_explicit(&p->srtp_rtx_rx, memory_order_relaxed));
		/* pairs with the owning worker's acquire load in srtp_in() */
		atomic_store_explicit(&p->srtp_rtx_rx, rtx[i], memory_order_release);
	}
	for (i = 0; tx_new && i < nc; i++) {
		struct dp_consumer *k = &c->consumers[cons[i]];

		session_swap(&k->srtp, tx[2 * i]);
		session_swap(&k->rtx_srtp, tx[2 * i + 1]);
	}
	for (i = 0; tx_new && i < np; i++) {
		struct dp_producer *p = &c->producers[prods[i]];

		dp_tbl_defer_call(dp_srtp_tx_free,
				  atomic_load_explicit(&p->rtcp_tx, memory_order_relaxed));
		/* pairs with the owning worker's acquire load of rtcp_tx */
		atomic_store_explicit(&p->rtcp_tx, ptx[i], memory_order_release);
	}
	if (rx_new)
		dp_tbl_rcv_release(tp); /* learned again under the new key */
	made_rx = made_tx = made_ptx = 0;
	memset(tp->rx_master, 0, sizeof(tp->rx_master));
	memset(tp->tx_master, 0, sizeof(tp->tx_master));
	memcpy(tp->rx_master, cmd->rx_master, mb);
	memcpy(tp->tx_master, cmd->tx_master, mb);
	tp->has_keys = 1;
	dp_tbl_ok(r, slot, tp->gen);
	rc = 0;
out:
	while (made_rx > 0) {
		dp_srtp_rx_free(rtx[--made_rx]);
		dp_srtp_rx_free(rx[made_rx]);
	}
	while (made_tx > 0)
		dp_srtp_tx_free(tx[--made_tx]);
	while (made_ptx > 0)
		dp_srtp_tx_free(ptx[--made_ptx]);
	free(rx);
	free(rtx);
	free(tx);
	free(ptx);
	return rc;
}

/* Publish s in *slot (release: pairs with the worker's acquire load); the old one after a grace period. */
static void
session_swap(struct cascade_srtp *_Atomic *slot, struct cascade_srtp *s)
{
	dp_tbl_defer_call(dp_srtp_tx_free, atomic_load_explicit(slot, memory_order_relaxed));
	atomic_store_explicit(slot, s, memory_order_release);
}

/*
 * PIPE_SRTP: one pipe stream's key. A pipe producer gets its inbound pair (its
 * SSRC only) and the outbound SRTCP session for its feedback SSRC (its
 * rtcp_ssrc), a pipe consumer its outbound session and the inbound SRTCP
 * session for that feedback SSRC.
 */
int
dp_tbl_pipe_srtp(struct dp_ctx *c, const struct cascade_cmd_pipe_srtp *cmd,
		 struct cascade_reply *r)
{
	bool is_prod = cmd->kind == CASCADE_PIPE_SRTP_PRODUCER;
	struct dp_producer *p = NULL;
	struct dp_consumer *k = NULL;
	struct dp_srtp_rx *rx = NULL;
	struct cascade_srtp *tx = NULL, *fb = NULL;
	const struct dp_transport *tp;
	uint8_t *have_key, *master;
	unsigned int mb;
	uint32_t slot, gen;
	int rc;

	if (cmd->kind != CASCADE_PIPE_SRTP_PRODUCER && cmd->kind != CASCADE_PIPE_SRTP_CONSUMER)
		return dp_tbl_fail(r, EINVAL,
				   "pipe_srtp.kind: must be 1 (producer) or 2 (consumer)");
	if (dp_tbl_id_lookup(is_prod ? c->prod_by_id : c->cons_by_id, cmd->obj_id, &slot) < 0)
		return dp_tbl_fail(r, ENOENT, "pipe_srtp.obj_id: %s 0x%" PRIx64 " not found",
				   is_prod ? "producer" : "consumer", cmd->obj_id);
	if (is_prod) {
		p = &c->producers[slot];
		tp = &c->transports[p->transport];
		have_key = &p->has_key;
		master = p->master;
		gen = atomic_load_explicit(&p->gen, memory_order_relaxed);
	} else {
		k = &c->consumers[slot];
		tp = &c->transports[k->transport];
		have_key = &k->has_key;
		master = k->master;
		gen = k->gen;
	}
	rc = dp_check_pipe_srtp(cmd, &tp->cfg, r->message, sizeof(r->message));
	if (rc < 0) {
		r->status = rc;
		return rc;
	}
	mb = cascade_srtp_master_bytes(cmd->suite);
	if (*have_key && memcmp(master, cmd->master, mb) == 0) {
		dp_tbl_ok(r, slot, gen);
		return 0; /* a retry */
	}
	if (is_prod) {
		rx = dp_srtp_rx_make_ssrc(cmd->suite, cmd->master, p->cfg.ssrc);
		if (rx != NULL)
			fb = dp_srtp_tx_make(cmd->suite, cmd->master, p->rtcp_ssrc);
	} else {
		tx = dp_srtp_tx_make(cmd->suite, cmd->master, k->cfg.ssrc);
		if (tx != NULL)
			fb = dp_srtp_rtcp_rx_make(cmd->suite, cmd->master,
						  cascade_pipe_fb_ssrc(k->cfg.ssrc));
	}
	if (fb == NULL) {
		rc = errno;
		dp_srtp_rx_free(rx);
		dp_srtp_tx_free(tx);
		return session_fail(r, rc, "pipe session");
	}
	if (is_prod) {
		rx_install(slot, p, rx);
		session_swap(&p->rtcp_tx, fb);
	} else {
		session_swap(&k->srtp, tx);
		session_swap(&k->fb_rx, fb);
	}
	memset(master, 0, CASCADE_SRTP_MASTER_MAX);
	memcpy(master, cmd->master, mb);
	*have_key = 1;
	dp_tbl_ok(r, slot, gen);
	return 0;
}
