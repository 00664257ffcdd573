/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for ingress: frames through dp_classify() on two workers,
 * the hand-off to the producer's owner (dp_classify_owned()), fan-out, SR
 * forwarding and egress, with the main lcore's learns, commands and
 * reclamation in between. Everything is the dataplane's own code on EAL
 * without hugepages: options from dp_options_parse(), two net_null ports
 * (port 1 with VLAN 100 and linear TX) and their pools from dp_ports_init(),
 * workers from dp_worker_create(), and the tables of fuzz_scene.c installed
 * through commands: a plain, a comedia, a non-mux, an IPv6 and a pipe
 * transport, two SRTP transports with keys (one comedia) and an SRTP pipe
 * with per-stream keys, a producer on each and consumers across them.
 *
 * An input is a sequence of operations, each a byte then its arguments:
 *   op % 8 = 0..2  a frame (op_frame()) to a transport from one of a few
 *                  sources, on either worker, its UDP payload from the input
 *                  (raw, or after an RTP/SR/RR/STUN/DTLS header the harness
 *                  writes, with the SSRC of a producer or not, SRTP-protected
 *                  with the sender's key or not), tagged or not
 *            3     the end of a burst on both workers: stage flushed, hand-off
 *                  rings drained by their owners, TX flushed, quiescent
 *            4     a command: pause, resume or delete a producer or consumer,
 *                  delete a transport
 *            5     time passes (next byte: milliseconds)
 *            6     a raw frame (next byte: its length), straight from the input
 *            7     a turn of the main lcore: learns applied, lists published,
 *                  reclamation (workers not necessarily quiescent)
 *
 * Checks, besides ASan and UBSan: every frame given to a worker ends exactly
 * once (slow path, staged for its owner, accepted, or dropped under one
 * reason), copies lost are counted on their consumer, and a transport counts
 * only what it accepted; handed-off packets are all taken by their owner;
 * every transmitted frame is well-formed (parsed by the dataplane's parser,
 * IPv4 header and UDP checksums recomputed, the port's VLAN, at most its
 * MTU, nothing past the IP packet; a UDP checksum may be wrong only while a
 * raw frame that came with a wrong one is in the burst, since a derived
 * checksum carries the error over) and counted once on its transport and
 * lcore; a learn never replaces what a transport knows; per-reason drops add
 * up to the total; and after each input every mbuf is back in its pool (one
 * held back at start, so a double free shows too). The end of each input
 * puts back what the input changed (scene_reset()), so every input starts
 * from the same state and replays alone as it ran.
 *
 * The unit test replay_classify links this file too and replays corpus/ and
 * regressions/ through it on every build.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "frame.h"
#include "fuzz_dp.h"
#include "fuzz_scene.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 512
#define PAYLOAD_MAX 320
#define MUX CASCADE_TRANSPORT_RTCP_MUX

static struct {
	uint64_t now_tsc, now_ns;
	struct rte_mbuf *held; /* so that in_use never reaches 0 */
	unsigned int pkt_base, hdr_base, clone_base;
	eth_tx_burst_t tx_orig[2];
	uint64_t tx_seen;        /* frames the TX check passed to the ports */
	uint64_t tx_by_tp[N_TP]; /* ... by the transport they left from, this input */
	bool bad_cksum_in;       /* a raw frame with a wrong UDP checksum may still be on its way */
	uint32_t tp_slot0[N_TP]; /* each transport's slot and TX count at the start */
	uint64_t tp_tx0[N_TP];
	struct cascade_srtp *sender[N_TP]; /* the remote's outbound session, per input */
	uint32_t sender_ssrc[N_TP];
} fc;

/* ---- egress: every frame checked on its way to net_null -------------------------------- */

static void
egress_check(uint16_t port, const struct rte_mbuf *m)
{
	static uint8_t b[RTE_MBUF_DEFAULT_BUF_SIZE * 2];
	const struct dp_port *pt = &dp.ports[port];
	const struct rte_mbuf *s;
	enum cascade_drop why;
	struct dp_l4 l4;
	uint32_t len = 0;
	const uint8_t *udp;
	uint16_t ck;
	enum dp_class cls;
	uint32_t t;

	for (s = m; s != NULL; s = s->next) {
		fuzz_check(len + s->data_len <= sizeof(b));
		memcpy(b + len, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len);
		len += s->data_len;
	}
	fuzz_check(len == m->pkt_len);
	fuzz_check(dp_parse_l4(b, len, &l4, &why) == 0);
	fuzz_check((uint32_t)l4.payload_off + l4.payload_len == len); /* nothing past it */
	fuzz_check(memcmp(b + 6, pt->mac.addr_bytes, 6) == 0);
	fuzz_check(l4.has_vlan == (pt->vlan != DP_VLAN_NONE));
	fuzz_check(!l4.has_vlan || (l4.vlan_tci & 0xfff) == pt->vlan);
	fuzz_check(len - l4.l3_off <= pt->mtu);
	if (l4.family == CASCADE_AF_INET)
		fuzz_check(frame_fold(frame_sum16(b + l4.l3_off, 20, 0)) == 0xffff);
	udp = b + l4.l4_off;
	ck = frame_rd16(udp + 6);
	fuzz_check(ck != 0 || l4.family == CASCADE_AF_INET);
	/* derived checksums carry an ingress checksum's error over (RFC 1624): none may appear */
	if (ck != 0 && !fc.bad_cksum_in)
		fuzz_check(frame_fold(frame_udp_sum(l4.family, l4.src_ip, l4.dst_ip, udp,
						    (uint16_t)(l4.payload_len + 8))) == 0xffff);
	/* only media leaves a worker: RTP, or RTCP (an SR), whose headers stay clear under SRTP */
	cls = dp_parse_demux(b + l4.payload_off, l4.payload_len);
	fuzz_check(cls == DP_CLASS_RTP || cls == DP_CLASS_RTCP);
	/* from one of the scenario's transports, on its port */
	for (t = 0; t < N_TP; t++) {
		struct cascade_addr l = scene_local(t, false), r = scene_local(t, true);

		if (l.family == l4.family && memcmp(l.ip, l4.src_ip, 16) == 0 &&
		    (l4.src_port_be == l.port_be ||
		     (!(scene_tps[t].flags & MUX) && l4.src_port_be == r.port_be)))
			break;
	}
	fuzz_check(t < N_TP && scene_tps[t].port == port);
	fc.tx_by_tp[t]++;
}

static uint16_t
tx_check(uint16_t port, void *q, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i, sent;

	for (i = 0; i < n; i++)
		egress_check(port, pkts[i]);
	sent = fc.tx_orig[port](q, pkts, n);
	fuzz_check(sent == n); /* net_null takes everything */
	fc.tx_seen += sent;
	return sent;
}

static uint16_t
tx_port0(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	return tx_check(0, q, pkts, n);
}

static uint16_t
tx_port1(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	return tx_check(1, q, pkts, n);
}

/* What transport t counted as sent, on every worker (0 when it is not installed). */
static uint64_t
transport_tx(uint32_t t)
{
	uint32_t s = fuzz_dp_slot(dp.tp_by_id, TP_ID(t)), i;
	uint64_t n = 0;

	for (i = 0; s != UINT32_MAX && i < FUZZ_WORKERS; i++)
		n += dp.workers[i]->tstats[s].tx_pkts;
	return n;
}

/* ---- start ------------------------------------------------------------------------------- */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const vdevs[] = {"--vdev", "net_null0", "--vdev", "net_null1"};
	static const char *const opts[] = {
		"cascade-dp", "--max-transports", "16",   "--max-producers",
		"16",         "--max-consumers",  "32",   "--mbufs",
		"2047",       "--hdr-mbufs",      "1023", "--clone-mbufs",
		"1023",       "--copy-below",     "64",   "--vlan",
		"1:100",      "--tx-retry-us",    "0",    "--rtx-depth",
		"32",
	};
	char *args[RTE_DIM(opts)];
	uint32_t i;

	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	fuzz_dp_eal(vdevs, RTE_DIM(vdevs));
	for (i = 0; i < RTE_DIM(opts); i++)
		args[i] = (char *)(uintptr_t)opts[i];
	fuzz_check(dp_options_parse(&dp.opt, (int)RTE_DIM(args), args) == 0);
	dp.tsc_hz = rte_get_tsc_hz();
	dp.tx_retry_tsc = dp.tsc_hz / 1000000 * dp.opt.tx_retry_us;
	dp.n_workers = FUZZ_WORKERS;
	fuzz_dp_segment();
	fuzz_check(dp_ports_init(&dp) == 0 && dp.n_ports == 2);
	dp.tx_linear[1] = true; /* net_null takes chains; port 1 gets the linear copies */
	fuzz_check(dp_meta_init(&dp) == 0);
	for (i = 0; i < FUZZ_WORKERS; i++) {
		dp.workers[i] = dp_worker_create(&dp, i, rte_get_main_lcore());
		fuzz_check(dp.workers[i] != NULL);
	}
	fuzz_dp_tables();
	fc.tx_orig[0] = rte_eth_fp_ops[0].tx_pkt_burst;
	fc.tx_orig[1] = rte_eth_fp_ops[1].tx_pkt_burst;
	rte_eth_fp_ops[0].tx_pkt_burst = tx_port0;
	rte_eth_fp_ops[1].tx_pkt_burst = tx_port1;
	fc.held = rte_pktmbuf_alloc(dp.pkt_pool);
	fuzz_check(fc.held != NULL);
	fc.pkt_base = rte_mempool_in_use_count(dp.pkt_pool);
	fc.hdr_base = rte_mempool_in_use_count(dp.hdr_pool);
	fc.clone_base = rte_mempool_in_use_count(dp.clone_pool);
	fc.now_tsc = dp.tsc_hz;
	fc.now_ns = 1000000000ull;
	return 0;
}

/* ---- accounting ---------------------------------------------------------------------------- */

struct acct {
	uint64_t drop, slow, staged, rtp, rtcp, handoff_in;
	uint64_t after_accept; /* drops of what was accepted: copies, no consumer, terminated */
	uint64_t full, paused, t_rx;
};

static void
acct_take(const struct dp_worker *w, struct acct *a)
{
	const uint64_t *ctr = w->stats->ctr, *drop = w->stats->drop;
	uint32_t i;

	memset(a, 0, sizeof(*a));
	a->drop = ctr[CASCADE_LC_DROP_PKTS];
	a->slow = ctr[CASCADE_LC_SLOW_PKTS];
	a->rtp = ctr[CASCADE_LC_RTP_PKTS];
	a->rtcp = ctr[CASCADE_LC_RTCP_PKTS];
	a->handoff_in = ctr[CASCADE_LC_HANDOFF_IN];
	a->full = drop[CASCADE_DROP_HANDOFF_FULL];
	a->paused = drop[CASCADE_DROP_PRODUCER_PAUSED];
	a->staged = ctr[CASCADE_LC_HANDOFF_OUT] + a->full;
	for (i = 0; i < FUZZ_WORKERS; i++)
		a->staged += w->ho[i].n;
	a->after_accept = drop[CASCADE_DROP_NO_CONSUMER] + drop[CASCADE_DROP_RTCP_TERMINATED] +
			  drop[CASCADE_DROP_RTP_DUPLICATE];
	for (i = 0; i < dp.opt.max_consumers; i++)
		a->after_accept += w->cstats[i].drop_pkts;
	for (i = 0; i < dp.opt.max_transports; i++)
		a->t_rx += w->tstats[i].rx_pkts;
}

/*
 * n packets came to a worker between b and a (staged: from classify, which
 * may stage or send up) and each ended once: up the slow path, staged for
 * its owner, accepted as RTP or RTCP, or dropped. The transports counted
 * exactly the accepted ones (a paused producer's packets included).
 */
static void
acct_check(const struct acct *b, const struct acct *a, uint64_t n, bool staged)
{
	uint64_t slow = a->slow - b->slow, st = a->staged - b->staged;
	uint64_t accepted = (a->rtp - b->rtp) + (a->rtcp - b->rtcp);
	uint64_t other = (a->after_accept - b->after_accept) + (a->full - b->full);
	uint64_t drop = a->drop - b->drop;

	fuzz_check(drop >= other);
	fuzz_check(slow + st + accepted + (drop - other) == n);
	fuzz_check(staged || (slow == 0 && st == 0));
	fuzz_check(a->t_rx - b->t_rx == slow + accepted + (a->paused - b->paused));
}

/* ---- operations ---------------------------------------------------------------------------- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t
take(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* The remote's outbound session for ssrc on SRTP transport t (the key the dataplane expects). */
static struct cascade_srtp *
sender(uint32_t t, uint32_t ssrc)
{
	uint8_t master[CASCADE_SRTP_MASTER_MAX];
	int which;

	if (fc.sender[t] != NULL && fc.sender_ssrc[t] == ssrc)
		return fc.sender[t];
	dp_srtp_tx_free(fc.sender[t]);
	if (!(scene_tps[t].flags & CASCADE_TRANSPORT_PIPE))
		which = KEY_RX;
	else /* the stream's key, from its source or (a feedback SSRC) its receiving node */
		which = (ssrc & CASCADE_PIPE_FB_BIT) ? KEY_PIPE_CONS : KEY_PIPE_PROD;
	scene_key(master, scene_tps[t].suite, t, which);
	fc.sender[t] = dp_srtp_tx_make(scene_tps[t].suite, master, ssrc);
	fuzz_check(fc.sender[t] != NULL);
	fc.sender_ssrc[t] = ssrc;
	return fc.sender[t];
}

/* The sources a frame to transport t may come from (see op_frame). */
static struct cascade_addr
source(uint32_t t, uint8_t which)
{
	struct cascade_addr r = scene_remote(t);
	bool v6 = scene_tps[t].v6;

	switch (which & 7) {
	case 0:
		return r; /* the remote (any source for a comedia transport or a pipe) */
	case 1:
	case 2:
		r.port_be = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(r.port_be) + (which & 7)));
		return r; /* the remote's IP, RTCP's port or another */
	case 3:
		return scene_addr(v6, 66, 7000);
	case 4:
		return scene_addr(v6, 66, 7001);
	case 5:
		return scene_addr(v6, 67, 7000);
	case 6:
		return scene_pipe_peer();
	default:
		return scene_addr(!v6, 101, 5000); /* the other family: no transport has it */
	}
}

/*
 * A frame: a = worker (bit 0), transport (bits 1-3), to its RTCP port (bit
 * 4; on an rtcp-mux transport the port after it, where nothing listens),
 * tag (bits 5-6: the port's own, none, VLAN 100, VLAN 200), Ethernet
 * padding (bit 7); b = source (bits 0-2), no UDP checksum (bit 3), SSRC
 * (bits 4-5: the input's, the transport's producer, another transport's
 * producer, its RTX SSRC (c bit 0) or the SRTP pipe consumer's feedback SSRC (c bit 3) or
 * 0x9999), SRTP-protect (bit 6); c = payload header (bits 0-2:
 * none, RTP, RTP with the input's first byte, SR, RR, STUN, DTLS, RTP with
 * PT 97; bits 3-7 pick the other producer); n = the payload's length. Then
 * an RTP header's sequence, timestamp and SSRC (10 bytes, after its first
 * byte for header 2), then the payload.
 */
static void
op_frame(struct in *in)
{
	static uint8_t pl[PAYLOAD_MAX + 64] __attribute__((aligned(8)));
	static uint8_t fb[RTE_MBUF_DEFAULT_DATAROOM];
	uint8_t a = take(in), b = take(in), c = take(in), n = take(in);
	uint32_t t = (a >> 1) & 7, i, ssrc;
	struct dp_worker *w = dp.workers[a & 1];
	const struct dp_port *port = &dp.ports[scene_tps[t].port];
	struct frame_spec s;
	struct acct before, after;
	struct rte_mbuf *m;
	size_t len = 0;
	int vlan_mode = (a >> 5) & 3;
	bool rtp = false, rtcp = false;
	enum dp_class cls;

	switch (c & 7) {
	case 1:
	case 2:
	case 7:
		pl[0] = (c & 7) == 2 ? (uint8_t)(0x80 | (take(in) & 0x3f)) : 0x80;
		pl[1] = (c & 7) == 7 ? 97 : 96;
		for (i = 2; i < 12; i++) /* sequence, timestamp, SSRC */
			pl[i] = take(in);
		len = 12;
		rtp = true;
		break;
	case 3:
		len = frame_sr_compound(pl, 0, 0);
		rtcp = true;
		break;
	case 4:
		len = frame_rr(pl, 0);
		rtcp = true;
		break;
	case 5: /* STUN: type, length, magic cookie (RFC 5389 6) */
		memset(pl, 0, 20);
		pl[1] = 1;
		frame_wr32(pl + 4, 0x2112a442);
		len = 20;
		break;
	case 6: /* DTLS 1.2 handshake record (RFC 7983: 20..63) */
		pl[0] = 22;
		pl[1] = 0xfe;
		pl[2] = 0xfd;
		len = 3;
		break;
	default:
		break;
	}
	n = (uint8_t)RTE_MIN((size_t)n, PAYLOAD_MAX - len);
	for (i = 0; i < n && in->n > 0; i++)
		pl[len++] = take(in);
	switch ((b >> 4) & 3) {
	case 1:
		ssrc = PROD_SSRC(t);
		break;
	case 2:
		ssrc = PROD_SSRC((t + 1 + (c >> 3)) % N_TP);
		break;
	case 3:
		/* its RTX stream, the SRTP pipe consumer's feedback SSRC, or nobody's */
		ssrc = (c & 1) ? PROD_RTX_SSRC(t) : (c & 8) ? CONS_FB_SSRC(C_SRTP_PIPE) : 0x9999;
		break;
	default:
		ssrc = 0;
		break;
	}
	/* RTP carries its SSRC at 8, RTCP at 4 (RFC 3550 5.1, 6.4) */
	cls = dp_parse_demux(pl, (uint32_t)len);
	if (ssrc != 0 && cls == DP_CLASS_RTP && len >= 12)
		frame_wr32(pl + 8, ssrc);
	else if (ssrc != 0 && cls == DP_CLASS_RTCP && len >= 8)
		frame_wr32(pl + 4, ssrc);
	if ((b & 0x40) && scene_tps[t].suite != CASCADE_SUITE_NONE && (rtp || rtcp)) {
		size_t plen = len;
		uint32_t who = rtp ? frame_rd32(pl + 8) : frame_rd32(pl + 4);
		int rc = rtp ? cascade_srtp_protect_rtp(sender(t, who), pl, &plen, sizeof(pl))
			     : cascade_srtp_protect_rtcp(sender(t, who), pl, &plen, sizeof(pl));

		if (rc == 0) {
			len = plen;
			scene_whole(t); /* it may authenticate: the stream's window moves */
		}
	}
	memset(&s, 0, sizeof(s));
	memcpy(s.dst_mac, port->mac.addr_bytes, 6);
	s.src_mac[0] = 0x02;
	s.src_mac[5] = 0xaa;
	s.vlan = vlan_mode == 0   ? (port->vlan == DP_VLAN_NONE ? -1 : port->vlan)
		 : vlan_mode == 1 ? -1
		 : vlan_mode == 2 ? 100
				  : 200;
	s.src = source(t, b);
	s.dst = scene_local(t, (a & 0x10) != 0);
	if (s.dst.family != s.src.family) {
		s.dst = s.src;
		s.dst.port_be = scene_local(t, false).port_be;
	}
	s.no_cksum = (b & 8) != 0;
	s.eth_pad = (a & 0x80) ? 4 : 0;
	len = frame_build(fb, sizeof(fb), &s, pl, (uint16_t)len);
	fuzz_check(len != 0);
	m = rte_pktmbuf_alloc(dp.pkt_pool);
	if (m == NULL)
		return; /* every mbuf is in flight: the input made more than the pool holds */
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), fb, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	m->port = scene_tps[t].port;
	acct_take(w, &before);
	dp_classify(w, m);
	acct_take(w, &after);
	acct_check(&before, &after, 1, true);
}

/* A frame whose every byte comes from the input (next byte: its length), on worker 0 or 1. */
static void
op_raw(struct in *in, uint8_t op)
{
	struct dp_worker *w = dp.workers[(op >> 3) & 1];
	struct acct before, after;
	enum cascade_drop why;
	struct rte_mbuf *m;
	struct dp_l4 l4;
	uint8_t n = take(in), *p;
	uint32_t i;

	m = rte_pktmbuf_alloc(dp.pkt_pool);
	if (m == NULL)
		return;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	for (i = 0; i < n && in->n > 0; i++)
		p[i] = take(in);
	m->data_len = (uint16_t)i;
	m->pkt_len = i;
	m->port = (op >> 4) & 1;
	if (dp_parse_l4(p, i, &l4, &why) == 0 && frame_rd16(p + l4.l4_off + 6) != 0 &&
	    frame_fold(frame_udp_sum(l4.family, l4.src_ip, l4.dst_ip, p + l4.l4_off,
				     (uint16_t)(l4.payload_len + 8))) != 0xffff)
		fc.bad_cksum_in = true; /* until everything of this burst is sent */
	acct_take(w, &before);
	dp_classify(w, m);
	acct_take(w, &after);
	acct_check(&before, &after, 1, true);
}

/* The end of a burst on both workers, as dp_worker_loop() ends one. */
static void
burst_end(void)
{
	struct acct before, after;
	uint32_t i;
	uint16_t n;

	for (i = 0; i < FUZZ_WORKERS; i++)
		if (dp.workers[i]->n_ho_dirty != 0)
			dp_handoff_flush(dp.workers[i]);
	for (i = 0; i < FUZZ_WORKERS; i++) {
		struct dp_worker *w = dp.workers[i];

		do {
			acct_take(w, &before);
			n = dp_handoff_drain(w);
			acct_take(w, &after);
			fuzz_check(after.handoff_in - before.handoff_in == n);
			acct_check(&before, &after, n, false);
		} while (n != 0);
		/* what the worker loop does next: keyframe requests, receiver reports, NACKs */
		if (w->n_kf_wait != 0)
			dp_keyframe_poll(w);
		if (w->n_rr != 0 && w->now_tsc >= w->rr_poll_tsc)
			dp_sender_poll(w);
		if (w->n_nack != 0 && w->now_tsc >= w->nack_poll_tsc)
			dp_nack_poll(w);
		dp_tx_flush(w);
		rte_rcu_qsbr_quiescent(dp.qsbr, w->idx);
	}
	fc.bad_cksum_in = false;
}

/* A turn of the main lcore: learns, slow-path packets taken, lists published, reclamation. */
static void
main_turn(void)
{
	struct dp_learn l;
	struct rte_mbuf *m;
	uint32_t i;

	for (i = 0; i < FUZZ_WORKERS; i++) {
		struct dp_worker *w = dp.workers[i];

		while (rte_ring_sc_dequeue_elem(w->learn_ring, &l, sizeof(l)) == 0)
			fuzz_dp_learn(&l);
		while (rte_ring_sc_dequeue(w->slow_ring, (void **)&m) == 0) {
			struct dp_l4 l4;
			enum cascade_drop why;
			enum dp_class cls;

			fuzz_check(dp_parse_l4(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
					       &l4, &why) == 0);
			cls = dp_parse_demux(
				rte_pktmbuf_mtod_offset(m, const uint8_t *, l4.payload_off),
				l4.payload_len);
			fuzz_check(cls == DP_CLASS_STUN || cls == DP_CLASS_DTLS ||
				   cls == DP_CLASS_RTCP);
			if (cls == DP_CLASS_RTCP) /* a receiver's SRTCP of a new SSRC */
				dp_table_rcv_learn(&dp, &l4, rte_pktmbuf_mtod(m, const uint8_t *));
			rte_pktmbuf_free(m);
		}
	}
	fuzz_dp_settle(false);
}

/*
 * A command: x = what (bits 0-1: pause or resume (bit 2) a consumer or a
 * producer, delete one, delete a transport), which (bits 3-7). What it
 * touched is put back at the end of the input (scene_reset()).
 */
static void
op_command(struct in *in)
{
	uint8_t x = take(in), which = (uint8_t)(x >> 3);
	bool resume = (x & 4) != 0;
	uint32_t j = which % N_CONS, t = which % N_TP;

	switch (x & 3) {
	case 0:
		fuzz_dp_apply_obj(CASCADE_CMD_CONSUMER_PAUSE, CONS_ID(j), !resume);
		scene_consumers(scene_consumer_producer(j));
		break;
	case 1:
		fuzz_dp_apply_obj(CASCADE_CMD_PRODUCER_PAUSE, PROD_ID(t), !resume);
		scene_whole(t); /* its transport goes back, with a fresh producer */
		break;
	case 2:
		if (resume) {
			fuzz_dp_apply_obj(CASCADE_CMD_PRODUCER_DEL, PROD_ID(t), 0);
			scene_whole(t);
		} else {
			fuzz_dp_apply_obj(CASCADE_CMD_CONSUMER_DEL, CONS_ID(j), 0);
			scene_consumers(scene_consumer_producer(j));
		}
		break;
	default:
		fuzz_dp_apply_obj(CASCADE_CMD_TRANSPORT_DEL, TP_ID(t), 0);
		scene_whole(t);
		break;
	}
	fuzz_dp_settle(false);
}

static void
set_time(void)
{
	uint32_t i;

	for (i = 0; i < FUZZ_WORKERS; i++) {
		dp.workers[i]->now_tsc = fc.now_tsc;
		dp.workers[i]->now_ns = fc.now_ns;
	}
}

/*
 * Per-reason drops add up, and every frame sent was counted once on its lcore
 * and on the transport it left from (those still installed: a deleted one's
 * counters are zeroed when its slot is released).
 */
static void
counters_check(uint64_t tx_seen0, uint64_t lc_tx0)
{
	uint64_t lc_tx = 0, sum;
	uint32_t i, r;

	for (i = 0; i < FUZZ_WORKERS; i++) {
		const struct dp_worker *w = dp.workers[i];

		for (sum = 0, r = 0; r < CASCADE_DROP_MAX; r++)
			sum += w->stats->drop[r];
		fuzz_check(sum == w->stats->ctr[CASCADE_LC_DROP_PKTS]);
		fuzz_check(w->stats->drop[CASCADE_DROP_TX_FULL] == 0);
		lc_tx += w->stats->ctr[CASCADE_LC_TX_PKTS];
	}
	fuzz_check(lc_tx - lc_tx0 == fc.tx_seen - tx_seen0);
	for (r = 0; r < N_TP; r++)
		if (fuzz_dp_slot(dp.tp_by_id, TP_ID(r)) == fc.tp_slot0[r])
			fuzz_check(transport_tx(r) - fc.tp_tx0[r] == fc.tx_by_tp[r]);
}

static uint64_t
lc_tx_total(void)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < FUZZ_WORKERS; i++)
		n += dp.workers[i]->stats->ctr[CASCADE_LC_TX_PKTS];
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {.p = data, .n = size};
	uint64_t tx_seen0 = fc.tx_seen, lc_tx0 = lc_tx_total();
	uint32_t ops = 0, t;

	scene_install();
	scene_mark();
	for (t = 0; t < N_TP; t++) {
		fc.tp_slot0[t] = fuzz_dp_slot(dp.tp_by_id, TP_ID(t));
		fc.tp_tx0[t] = transport_tx(t);
	}
	/* a new input starts later than any bucket of the slow path's rate limit reaches */
	fc.now_tsc += 1ull << 32;
	fc.now_ns += 1000000000ull;
	set_time();
	memset(fc.tx_by_tp, 0, sizeof(fc.tx_by_tp));
	while (in.n > 0 && ops++ < MAX_OPS) {
		uint8_t op = take(&in);

		switch (op & 7) {
		case 0:
		case 1:
		case 2:
			op_frame(&in);
			break;
		case 3:
			burst_end();
			break;
		case 4:
			op_command(&in);
			break;
		case 5:
			fc.now_tsc += dp.tsc_hz / 1000 * take(&in);
			fc.now_ns += 1000000ull * take(&in);
			set_time();
			break;
		case 6:
			op_raw(&in, op);
			break;
		default:
			main_turn();
			break;
		}
	}
	burst_end();
	main_turn();
	counters_check(tx_seen0, lc_tx0);
	for (t = 0; t < FUZZ_WORKERS; t++) {
		fuzz_check(dp.workers[t]->n_ho_dirty == 0);
		fuzz_check(rte_ring_count(dp.workers[t]->handoff) == 0);
	}
	fuzz_dp_settle(true);
	fuzz_dp_check_tables(true);
	scene_rtx_clear();
	/* every mbuf is back: nothing leaked, nothing freed twice */
	fuzz_check(rte_mempool_in_use_count(dp.pkt_pool) == fc.pkt_base);
	fuzz_check(rte_mempool_in_use_count(dp.hdr_pool) == fc.hdr_base);
	fuzz_check(rte_mempool_in_use_count(dp.clone_pool) == fc.clone_base);
	for (t = 0; t < N_TP; t++) {
		dp_srtp_tx_free(fc.sender[t]);
		fc.sender[t] = NULL;
	}
	scene_reset();
	return 0;
}
