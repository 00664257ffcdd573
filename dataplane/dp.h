/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-dp's shared declarations: options, the process-wide context, the
 * per-worker context and the entry points of each stage. Each stage lives in
 * its own file (dp_port, dp_seg, dp_table, dp_ctl, dp_worker, dp_classify,
 * dp_fanout, dp_rtcp, dp_tx, dp_telemetry); this header and dp_feedback.h
 * (the RTCP stages' entry points) are what they share.
 *
 * Threads: the main lcore runs dp_ctl (commands, replies, events, slow path,
 * deferred reclamation, heartbeat); worker lcores run dp_worker_loop(). DPDK's
 * telemetry thread reads the segment. Tables are written only by the main
 * lcore and read by workers under RCU (rte_rcu_qsbr).
 *
 * Ownership: every producer has one owning worker, chosen when it is
 * installed. Its inbound SRTP sessions, its consumers' rewrite state and
 * outbound sessions are touched by that lcore only; a packet of the producer
 * that another lcore receives is handed to the owner (dp_worker.c's rule).
 */
#ifndef DP_H
#define DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include <cascade/segment.h>

#include "bpf/cascade_xdp.h"
#include "dp_parse.h"
#include "dp_remb.h"
#include "dp_rewrite.h"
#include "dp_nackgen.h"
#include "dp_rtxbuf.h"
#include "dp_rxstats.h"
#include "dp_srtp.h"
#include "dp_twcc_tx.h"
#include "dp_twcc_rx.h"

extern int dp_logtype;
#define DP_LOG(level, fmt, ...)                                                                    \
	rte_log(RTE_LOG_##level, dp_logtype, "cascade.dp: " fmt "\n", ##__VA_ARGS__)

#define DP_MAX_WORKERS 64
#define DP_MAX_PORTS 8
#define DP_BURST 32
#define DP_SLOW_BUCKETS 1024
#define DP_HANDOFF_RING 2048 /* mbufs waiting for one owning lcore, from all others */
#define DP_VLAN_NONE 0xffff  /* a port without a VLAN: frames go untagged */
/* After a re-key the previous inbound key is still accepted this long (packets in flight). */
#define DP_SRTP_REKEY_OVERLAP_MS 2000

struct dp_options {
	char segment[CASCADE_SEG_NAME_MAX];
	uint32_t max_transports;
	uint32_t max_producers;
	uint32_t max_consumers;
	uint32_t mbufs;       /* ingress pool */
	uint32_t hdr_mbufs;   /* egress header pool */
	uint32_t clone_mbufs; /* indirect payload clones */
	uint16_t rxq_size;
	uint16_t txq_size;
	uint32_t idle_sleep_max_us; /* back-off ceiling when idle */
	uint32_t slow_pps;          /* slow-path packets per second per source bucket */
	uint32_t copy_below;        /* payloads up to this many bytes are copied, not cloned */
	uint32_t tx_retry_us;       /* how long a full TX queue is retried before dropping */
	uint32_t keyframe_interval_ms; /* at most one keyframe request per producer per interval */
	uint32_t rtcp_report_ms;       /* receiver reports: video's interval (audio 5x); 0: none */
	uint32_t remb_max_kbps;	       /* REMB's ceiling for goog-remb senders; 0: no REMB */
	/*
	 * Retransmission buffers (dp_rtxbuf.h) for video producers: rtx_depth
	 * packets each (0: none), answered up to rtx_ms old; rtx_buffers of them,
	 * holding ingress mbufs (rtx_buffers x rtx_depth at most half the pool);
	 * a consumer's retransmissions at most rtx_share percent of the stream.
	 */
	uint32_t rtx_depth;
	uint32_t rtx_ms;
	uint32_t rtx_buffers;
	bool rtx_buffers_given;
	uint32_t rtx_share;
	bool busy_poll;
	bool promisc;
	bool has_peer_mac;
	bool allow_slow_srtp; /* --allow-slow-srtp: run on a libsrtp2 that is not OpenSSL's */
	struct rte_ether_addr peer_mac; /* default next hop when none is known */
	struct cascade_xdp_ports xdp_ports; /* --xdp-udp-ports; n == 0 when not given */
	uint16_t vlan[DP_MAX_PORTS];        /* --vlan: a port's VLAN id, or DP_VLAN_NONE */
	uint32_t vlan_named;                /* ports --vlan named one by one (bit per port) */
};

/*
 * Fixed egress facts: a transport's (replaced whole, RCU, when they change) or a
 * pipe consumer's own (built at install, never changed while published).
 */
struct dp_peer {
	struct cascade_addr remote;
	struct cascade_addr remote_rtcp;
	struct rte_ether_addr mac;
	uint8_t has_mac;
	uint8_t pad[1];
};

/*
 * One SRTP stream's inbound pair: RTP and RTCP for one SSRC (a producer's: on
 * a transport with the remote's key, on a pipe with the stream's own), so an
 * unknown SSRC is refused before any crypto and no packet makes a session
 * grow. Used by the producer's owning lcore only. After a re-key the previous
 * pair stays in old until old_until_tsc, tried when the new key does not
 * authenticate; the main lcore clears old (release) once that time has passed
 * and destroys it after a grace period.
 */
struct dp_srtp_rx {
	struct cascade_srtp *rtp;
	struct cascade_srtp *rtcp;
	struct dp_srtp_rx *_Atomic old;
	uint64_t old_until_tsc;
};

/*
 * Transport-wide congestion control towards a transport's receiver
 * (dp_twcc_tx.h; dp_twcc_out.c). Made by the main lcore when the transport's
 * first consumer with twcc_ext_id is added (before that consumer is
 * published), freed after the transport's delete and a grace period.
 * Stamping: whichever lcores fan out to the transport's consumers, at once
 * (an atomic counter). Feedback: read by the lcore that receives it, one at
 * a time: a per-transport trylock, and feedback that finds it taken is
 * counted (twcc_feedbacks_busy) and not read; a receiver's RTCP comes from
 * one tuple, so RSS gives it one queue and the lock is practically never
 * contended, and no hand-off ring is needed.
 */
struct dp_twcc_out {
	rte_spinlock_t fb_lock;
	uint8_t pad[RTE_CACHE_LINE_SIZE - sizeof(rte_spinlock_t)];
	struct dp_twcc_tx tx;
};

/*
 * A transport's transport-cc feedback (dp_twcc_in.c): made by main when its first
 * producer with FB_TWCC is added, freed a grace period after its last one
 * goes. The transport's FB_TWCC producers share one owner, the only lcore
 * that touches next_tsc, listed and rx.
 */
struct dp_twcc_in {
	uint32_t id;	      /* unique per allocation: the owner's list entry checks it */
	_Atomic uint32_t via; /* the producer slot feedback goes through (main, release) */
	uint64_t next_tsc;    /* when the next feedback is due */
	uint8_t listed;	      /* on the owner's list */
	struct dp_twcc_rx rx;
};

/*
 * A receiver's SRTCP on an SRTP client transport: its sender SSRC is its own,
 * unknown in advance. The main lcore makes the session when a packet from that
 * SSRC authenticates (dp_table_rcv.c), never a worker; ssrc is written before
 * the release store of s. Only the lcore dp_rcv_lcore() names uses s.
 */
#define DP_RCV_SSRCS 4
struct dp_rcv_srtcp {
	_Atomic uint32_t ssrc;
	struct cascade_srtp *_Atomic s;
};

struct dp_transport {
	struct dp_peer *_Atomic peer; /* NULL until connected or learned */
	struct dp_twcc_out *_Atomic twcc_out; /* NULL until a consumer negotiates transport-cc */
	struct dp_twcc_in *_Atomic twcc_in; /* NULL without FB_TWCC producers (main, release) */
	struct dp_rcv_srtcp rcv[DP_RCV_SSRCS]; /* SRTP client transports: receivers' SRTCP */
	struct cascade_cmd_transport cfg;
	uint32_t gen;
	uint8_t in_use;
	uint8_t learn_posted; /* worker hint: a learn event is on its way (racy, harmless) */
	/* main lcore only: the keys, to make the streams' sessions and detect retries */
	uint8_t has_keys;
	uint8_t rx_master[CASCADE_SRTP_MASTER_MAX];
	uint8_t tx_master[CASCADE_SRTP_MASTER_MAX];
	/* main lcore only: its FB_TWCC producers and the worker that owns them all */
	uint32_t twcc_users;
	uint16_t twcc_owner;
};

struct dp_clist {
	uint32_t n;
	uint32_t slot[];
};

struct dp_producer {
	struct dp_clist *_Atomic clist; /* consumers, published by main */
	_Atomic uint8_t paused;
	uint8_t in_use;
	uint16_t owner; /* index of the worker that owns it, fixed for its life */
	uint32_t transport;
	/*
	 * Bumped when the producer is installed and again when it is deleted
	 * (release); a packet handed to the owner carries the value it saw, and
	 * the owner drops it as producer_gone when the producer has changed since.
	 */
	_Atomic uint32_t gen;
	struct cascade_cmd_producer cfg;
	/*
	 * On an SRTP transport: this SSRC's inbound pair (the transport's rx key,
	 * or on a pipe the stream's own from PIPE_SRTP); NULL until the key is
	 * known (its packets are dropped as srtp_error).
	 */
	struct dp_srtp_rx *_Atomic srtp_rx;
	/*
	 * The same for its RTX stream (cfg.rtx_ssrc) on an SRTP transport: the
	 * transport's rx key, made and replaced with srtp_rx (a re-key keeps no
	 * previous key for it: only repairs in flight are lost). NULL without.
	 */
	struct dp_srtp_rx *_Atomic srtp_rtx_rx;
	/* main lcore only: the key PIPE_SRTP gave, to tell a retry from a re-key */
	uint8_t has_key;
	uint8_t master[CASCADE_SRTP_MASTER_MAX];
	/*
	 * The node's own RTCP to its sender (dp_sender.c): the SSRC it goes from
	 * and, on an SRTP transport, the outbound SRTCP session for it (the
	 * transport's tx key, this SSRC; made and replaced by main, NULL without
	 * keys). Fixed at install / published with a release store.
	 */
	uint32_t rtcp_ssrc;
	struct cascade_srtp *_Atomic rtcp_tx;
	/* owner only (dp_sender.c): when the next request may go, one waiting, FIR's number */
	uint64_t kf_next_tsc;
	uint8_t kf_pending;
	uint8_t fir_seq;
	/* owner only (dp_sender.c): the stream's receiver statistics, the next RR */
	uint64_t rr_next_tsc;
	uint64_t rr_last_rx_tsc; /* the last RTP packet: a sender gone quiet gets no more */
	uint8_t rr_listed;       /* on its owner's list of streams to report on */
	uint64_t remb_bps;       /* FB_REMB: the estimate sent with the RR (dp_remb.c); 0: none yet */
	/* owner only, on a pipe: where its packets come from (the source node's pipe port) */
	struct dp_peer pipe_src;
	struct dp_rxstats rxs;
	/*
	 * Its last packets, for consumers' NACKs (a video producer, while buffers
	 * last; NULL otherwise): set by main before the producer is published and
	 * taken back after its delete's grace period; the owner puts and gets.
	 */
	struct dp_rtxbuf *_Atomic rtx;
	uint8_t nack_listed; /* owner only: on its owner's list of senders to NACK (dp_nack.c) */
};

/*
 * Consumer: cfg and peer are immutable once published; seen_epoch and st are
 * owned by the producer's lcore. What fan-out reads for every packet (the
 * first 120 bytes: flags, slots, st, cfg up to ext_map) stays within two cache
 * lines; cfg's remote and the pipe peer come after.
 */
struct dp_consumer {
	_Atomic uint8_t paused;
	uint8_t in_use;
	uint8_t has_peer; /* on a PIPE transport: peer is where its packets go */
	uint8_t is_srtp;  /* on an SRTP transport: a private copy, protected with srtp */
	_Atomic uint32_t resume_epoch; /* bumped by main on every resume */
	uint32_t producer;
	uint32_t transport;
	uint32_t gen;
	/* worker-owned */
	uint32_t seen_epoch;
	struct dp_seq_state st;
	struct cascade_cmd_consumer cfg;
	struct dp_peer peer; /* cfg.remote and cfg.remote_mac, when has_peer */
	/*
	 * is_srtp: the outbound session (the consumer's SSRC, the transport's tx
	 * key; on a pipe transport the stream's own key from PIPE_SRTP), made by
	 * main when the consumer is installed or gets keys; NULL until then. Used
	 * only by the lcore of its producer.
	 */
	struct cascade_srtp *_Atomic srtp;
	/*
	 * is_srtp with cfg.rtx_ssrc on a client transport: its RTX stream's
	 * outbound session (the RTX SSRC, the transport's tx key), made and
	 * replaced with srtp; NULL without (its repairs then go under its SSRC).
	 */
	struct cascade_srtp *_Atomic rtx_srtp;
	/* worker-owned, off the per-packet lines: its retransmission budget (dp_nack.c) */
	int64_t rtx_tokens; /* bytes it may still be sent again */
	uint16_t rtx_seq;   /* its RTX stream's next sequence number (cfg.rtx_ssrc) */
	uint64_t rtx_seen;  /* the producer's received bytes when the budget was last filled */
	/* worker-owned (dp_rtcp.c): the last SR sent to it, for its receiver's LSR (RTT) */
	uint32_t sr_mid; /* the middle 32 bits of its NTP time */
	uint64_t sr_tsc; /* when it went; 0: none yet */
	/* main lcore only, pipe consumers: the key PIPE_SRTP gave (retry or re-key) */
	uint8_t has_key;
	uint8_t master[CASCADE_SRTP_MASTER_MAX];
	/*
	 * An SRTP pipe consumer: the inbound SRTCP session for the receiving
	 * node's feedback (the stream's key, cascade_pipe_fb_ssrc() of its SSRC),
	 * from PIPE_SRTP; NULL until then. Published by main with a release
	 * store, used only by the lcore of its producer.
	 */
	struct cascade_srtp *_Atomic fb_rx;
} __rte_cache_aligned;
static_assert(offsetof(struct dp_consumer, cfg) + offsetof(struct cascade_cmd_consumer, remote) <=
		      2 * RTE_CACHE_LINE_SIZE,
	      "fan-out's per-packet consumer fields fit in two cache lines");

/* What a packet from a transport's remote teaches (dp_learn.what, dp_meta.learn). */
enum {
	DP_LEARN_RTP = 1 << 0,  /* a comedia transport's remote tuple (from RTP only) */
	DP_LEARN_RTCP = 1 << 1, /* the RTCP remote: the remote's IP, another port */
	DP_LEARN_MAC = 1 << 2,  /* the next hop's MAC */
};

/* A learn request from a worker to the main lcore. */
struct dp_learn {
	uint32_t transport;
	uint32_t gen;
	struct cascade_addr src;
	struct rte_ether_addr mac;
	uint8_t what; /* DP_LEARN_* */
	uint8_t pad[5];
};

/*
 * What classify found out about a packet it hands to another lcore, kept in
 * an mbuf dynamic field: the producer (slot and the generation seen), whether
 * it is RTCP and came on a separate RTCP port, and what it would teach once
 * accepted (SRTP transports learn only from a packet that authenticates).
 */
struct dp_meta {
	uint32_t pslot;
	uint32_t pgen;
	uint32_t cslot; /* DP_META_FEEDBACK: the consumer it is about, and its generation */
	uint32_t cgen;
	uint8_t is_rtcp;
	uint8_t rtcp_port;
	uint8_t learn; /* DP_LEARN_* */
	uint8_t kind;  /* DP_META_* */
	uint8_t rtx;   /* a packet of the producer's RTX stream */
	uint8_t srtcp; /* DP_META_FEEDBACK: still SRTCP (an SRTP pipe's), unprotected by the owner */
};

enum {
	DP_META_PACKET = 0,   /* a producer's RTP or RTCP */
	DP_META_FEEDBACK = 1, /* a consumer's PLI/FIR/NACK for producer pslot: its RTCP packet */
	DP_META_KEYFRAME_MSG = 2, /* the same from the main lcore (a consumer added or resumed) */
	DP_META_RCV_SRTCP = 3, /* a receiver's SRTCP: transport pslot (gen pgen), session cslot */
};

struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST * 2];
};

struct dp_slow_bucket {
	uint64_t tokens_tsc; /* TSC when the bucket is full again */
};

/* A producer on one of its owner's lists, and its generation then (it may be deleted meanwhile). */
struct dp_slot_gen {
	uint32_t pslot, gen;
};

/* Packets staged for one owning lcore during a burst. */
struct dp_handoff_buf {
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
};

struct dp_worker {
	uint32_t idx;     /* 0..n_workers-1: queue id, RCU thread id, stats block */
	uint32_t lcore_id;
	struct cascade_lcore_stats *stats;
	struct cascade_obj_stats *tstats; /* this lcore's row of transport stats */
	struct cascade_obj_stats *pstats;
	struct cascade_obj_stats *cstats;
	struct rte_ring *learn_ring; /* to main: struct dp_learn */
	struct rte_ring *slow_ring;  /* to main: struct rte_mbuf * */
	struct rte_ring *handoff;    /* to this lcore from the others: mbufs of its producers */
	struct rte_ring *event_ring; /* to main: struct cascade_event for the segment's ring */
	/* owned producers that sent lately, to report on (dp_sender.c); max_producers long */
	struct dp_slot_gen *rr_list;
	uint32_t n_rr;
	uint64_t rr_poll_tsc;
	/* owned producers with a keyframe request waiting (dp_sender.c); max_producers long */
	struct dp_slot_gen *kf_wait;
	uint32_t n_kf_wait;
	/* owned producers missing packets to NACK their senders for (dp_nack.c); max_producers long */
	struct dp_slot_gen *nack_list;
	uint32_t n_nack;
	uint64_t nack_poll_tsc;
	/* transports whose transport-cc feedback it sends (dp_twcc_in.c): slot and state id */
	struct dp_slot_gen *twcc_list;
	uint32_t n_twcc;
	uint64_t twcc_poll_tsc;
	struct dp_txbuf tx[DP_MAX_PORTS];
	uint32_t n_ho_dirty;               /* owners with staged packets this burst */
	uint16_t ho_dirty[DP_MAX_WORKERS];
	struct dp_handoff_buf ho[DP_MAX_WORKERS];
	uint64_t slow_tsc_per_pkt;
	struct dp_slow_bucket slow[DP_SLOW_BUCKETS];
	uint64_t now_tsc;
	uint64_t now_ns;
} __rte_cache_aligned;

struct dp_port {
	uint16_t port_id;
	bool main_txq; /* queue n_workers exists, for the main lcore's injected packets */
	bool is_memif; /* left to process exit at shutdown (see dp_ports_close) */
	uint16_t mtu;  /* largest IP packet it sends (checked on every egress path) */
	uint16_t vlan; /* VLAN id its frames carry both ways, or DP_VLAN_NONE */
	uint16_t l2_len; /* Ethernet header it writes: 14, or 18 with its VLAN tag */
	struct rte_ether_addr mac;
};

struct dp_ctx {
	struct dp_options opt;
	/* segment */
	struct cascade_seg seg;
	char seg_path[CASCADE_SEG_NAME_MAX + 16];
	/* ports and pools */
	uint16_t n_ports;
	struct dp_port ports[DP_MAX_PORTS];
	bool tx_linear[RTE_MAX_ETHPORTS]; /* by port id: the driver sends one segment only */
	struct rte_mempool *pkt_pool;
	struct rte_mempool *hdr_pool;
	struct rte_mempool *clone_pool;
	/* workers */
	uint32_t n_workers;
	struct dp_worker *workers[DP_MAX_WORKERS];
	struct rte_rcu_qsbr *qsbr;
	/* tables */
	struct dp_transport *transports;
	struct dp_producer *producers;
	struct dp_consumer *consumers;
	struct rte_hash *tp_by_addr;  /* struct cascade_addr (local) -> slot | DP_TP_RTCP */
	struct rte_hash *prod_by_ssrc; /* struct dp_prod_key -> producer slot | DP_PROD_RTX */
	struct rte_hash *tp_by_id;     /* obj id -> slot; main lcore only */
	struct rte_hash *prod_by_id;
	struct rte_hash *cons_by_id;
	struct rte_hash *cons_by_ssrc; /* struct dp_cons_key -> consumer slot */
	int meta_off; /* the struct dp_meta mbuf dynamic field */
	/* retransmission buffers not in use (main lcore only): opt.rtx_buffers at start */
	struct dp_rtxbuf **rtx_free;
	uint32_t n_rtx_free;
	uint32_t rtcp_ssrc; /* the SSRC this node's own RTCP goes out with (random, non-zero) */
	/* consumers' receiver reports, in the segment (set by dp_tables_init; dp_rtcp.c) */
	struct cascade_consumer_rtcp *consumer_rtcp;
	/* transports' transport-cc estimates, in the segment (dp_twcc_out.c) */
	struct cascade_transport_twcc *transport_twcc;
	uint64_t tsc_hz;
	uint64_t tx_retry_tsc;
	volatile bool quit;
};

/* The hand-off facts of m (valid between classify and the owner's stage). */
static inline struct dp_meta *
dp_meta_of(struct rte_mbuf *m, int off)
{
	return RTE_MBUF_DYNFIELD(m, off, struct dp_meta *);
}

#define DP_TP_RTCP 0x80000000u
/* In prod_by_ssrc: the key is the producer's RTX SSRC (its packets are unwrapped). */
#define DP_PROD_RTX 0x80000000u

/*
 * The transport table's key: a local address padded to 32 bytes, a size
 * rte_hash compares with vector instructions (a 20-byte key fell back to
 * memcmp: 8% of a 1 -> 1 forwarding profile). Unused bytes are zero.
 */
struct dp_addr_key {
	struct cascade_addr a;
	uint8_t pad[12];
};

static inline void
dp_addr_key_make(struct dp_addr_key *k, const struct cascade_addr *a)
{
	memset(k, 0, sizeof(*k));
	k->a.family = a->family;
	k->a.port_be = a->port_be;
	memcpy(k->a.ip, a->ip, a->family == CASCADE_AF_INET ? 4 : 16);
}

/*
 * Consumer by SSRC on its transport (a receiver's feedback names it as media
 * source); on a pipe transport also by the peer node's pipe address, since
 * each peer picks its pipe SSRCs alone. 32 bytes; unused bytes zero.
 */
struct dp_cons_key {
	uint32_t transport;
	uint32_t ssrc;
	struct cascade_addr peer;
	uint32_t zero;
};

/* Producer table key, padded to 16 bytes for rte_hash's vector compare. */
struct dp_prod_key {
	uint32_t transport;
	uint32_t ssrc;
	uint64_t zero;
};

extern struct dp_ctx dp;

/* ---- dp_opts.c: options (main thread, before anything starts) ---- */

/*
 * Fill o from cascade-dp's own arguments (those after EAL's). Returns 0, 1 when
 * --help or --version was answered, or -EINVAL after printing a message that
 * names the bad option.
 */
int dp_options_parse(struct dp_options *o, int argc, char **argv);
/* Print the options and their defaults to stdout. */
void dp_usage(const char *prog);

/* ---- dp_seg.c: the shared segment (main lcore) ---- */

/* Create and lay out /dev/shm/cascade.NAME; refuses one a live dataplane owns. 0 or -errno. */
int dp_seg_create(struct dp_ctx *c);
/* Mark the segment stopped, unmap and unlink it. */
void dp_seg_destroy(struct dp_ctx *c);
/* Copy a table slot into its directory record under the record's sequence lock. */
void dp_dir_write_transport(struct dp_ctx *c, uint32_t slot);
void dp_dir_write_producer(struct dp_ctx *c, uint32_t slot);
void dp_dir_write_consumer(struct dp_ctx *c, uint32_t slot);

/* ---- dp_port.c: ports and mempools (main lcore, at start and exit) ---- */

/* Create the pools, configure and start every port. 0 or -errno (logged). */
int dp_ports_init(struct dp_ctx *c);
/* Stop and close the ports; true when some were left to process exit (memif). */
bool dp_ports_close(struct dp_ctx *c);

/* ---- dp_xdp.c: Cascade's XDP program on net_af_xdp ports (main lcore, at start) ---- */

/*
 * Write --xdp-udp-ports into the cascade_ports map of the XDP program attached
 * to every net_af_xdp port's interface; call after the ports have started.
 * Returns 0 (also when the option was not given), or -errno after logging why:
 * no net_af_xdp port, no program attached, or a program without that map.
 */
int dp_xdp_ports_init(const struct dp_ctx *c);

/* ---- dp_table.c, dp_table_cmd.c: tables (main lcore writes, workers read) ---- */

/* Allocate the tables, hashes and the RCU variable. 0 or -ENOMEM (logged). */
int dp_tables_init(struct dp_ctx *c);
/* Free everything, running all deferred work first; the workers must have stopped. */
void dp_tables_free(struct dp_ctx *c);
/*
 * Apply one command; fills *r (status, slot, message naming a bad field). Sets
 * *needs_grace when the reply must wait for a grace period (deletes, pauses):
 * hand it to dp_table_defer_reply(). Returns r->status.
 */
int dp_table_apply(struct dp_ctx *c, const struct cascade_cmd *cmd, struct cascade_reply *r,
		   bool *needs_grace);
/*
 * Publish the consumer lists changed since the last call and stamp the batch's
 * deferred work (held back while a list cannot be published).
 */
void dp_table_publish(struct dp_ctx *c);
/* Queue a reply for after the current batch's grace period. 0 or -ENOMEM. */
int dp_table_defer_reply(const struct cascade_reply *r);
/* Run deferred work whose grace period ended (all of it when `all`). */
void dp_table_reclaim(struct dp_ctx *c, bool all);
/* Record a learned remote tuple or MAC and announce it on the event ring. 0 or -errno. */
int dp_table_learn(struct dp_ctx *c, const struct dp_learn *l);
/*
 * A receiver's SRTCP packet (frame, parsed as l4) from an SSRC its transport
 * has no session for: keep one for that SSRC when it authenticates (dp_table_rcv.c).
 */
void dp_table_rcv_learn(struct dp_ctx *c, const struct dp_l4 *l4, const uint8_t *frame);
/* The lcore that alone uses transport tslot's receivers' SRTCP sessions. */
static inline uint32_t
dp_rcv_lcore(const struct dp_ctx *c, uint32_t tslot)
{
	return tslot % c->n_workers;
}
/* Whether deferred work is waiting (the main loop then naps shorter). */
bool dp_table_pending(const struct dp_ctx *c);
/* Periodic upkeep: end re-keyed SRTP streams' overlap when its time is up. */
void dp_table_housekeep(struct dp_ctx *c);

/* ---- dp_ctl.c: the main lcore's loop ---- */

/* Announce the start on the event ring and mark the segment running. */
int dp_ctl_init(struct dp_ctx *c);
/* Commands, learns, replies, reclamation, slow and inject rings, heartbeat; until quit. */
void dp_ctl_loop(struct dp_ctx *c);

/* ---- dp_worker.c: worker lcores ---- */

/* Register the struct dp_meta mbuf dynamic field (c->meta_off). 0 or -ENOMEM (logged). */
int dp_meta_init(struct dp_ctx *c);
/*
 * Worker idx's context, to run on lcore: its counter blocks in the segment
 * (laid out already), its learn and slow rings to the main lcore and its
 * hand-off ring. Returns it, or NULL (logged). Main lcore, at start.
 */
struct dp_worker *dp_worker_create(struct dp_ctx *c, uint32_t idx, unsigned int lcore);
/* Free w, its rings and the mbufs still in them; NULL is fine. Main lcore, workers stopped. */
void dp_worker_destroy(struct dp_worker *w);
/* A worker's poll loop (rte_eal_remote_launch entry); arg is its struct dp_worker. */
int dp_worker_loop(void *arg);
/* Count m as dropped for `why` and free it. Worker lcore. */
void dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum cascade_drop why);
/* Count a drop of one egress copy (no mbuf to free). Worker lcore. */
static inline void
dp_drop_count(struct dp_worker *w, enum cascade_drop why)
{
	w->stats->drop[why]++;
	w->stats->ctr[CASCADE_LC_DROP_PKTS]++;
}
/*
 * Stage m (its dp_meta filled) for worker `owner`; the burst's staged packets
 * go to the owners' hand-off rings in dp_handoff_flush(). Worker lcore.
 */
void dp_handoff(struct dp_worker *w, struct rte_mbuf *m, uint16_t owner);
/* Enqueue every staged packet on its owner's ring; a full ring drops as handoff_full. */
void dp_handoff_flush(struct dp_worker *w);
/* Finish up to DP_BURST packets other lcores handed to this one. Returns how many. */
uint16_t dp_handoff_drain(struct dp_worker *w);

/* ---- dp_classify.c: ingress (worker lcores) ---- */

/*
 * One received packet: parse, transport, demux, remote check, producer;
 * fanned out here when this lcore owns the producer, else handed to the
 * owner; STUN and DTLS go to the slow path. Consumes m. Worker lcore.
 */
void dp_classify(struct dp_worker *w, struct rte_mbuf *m);
/* A packet another lcore handed to this one (its owner): finish it. Consumes m. */
void dp_classify_owned(struct dp_worker *w, struct rte_mbuf *m);

/* The address family, ip and port of a packet's end, zero-padded (compared whole). */
static inline void
dp_addr_from(struct cascade_addr *a, uint8_t family, const uint8_t ip[16], uint16_t port_be)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->port_be = port_be;
	memcpy(a->ip, ip, family == CASCADE_AF_INET ? 4 : 16);
}

/* Count m as accepted by transport tslot (its packets, bytes and last arrival). */
static inline void
dp_count_accepted(struct dp_worker *w, uint32_t tslot, const struct rte_mbuf *m)
{
	w->tstats[tslot].rx_pkts++;
	w->tstats[tslot].rx_bytes += m->pkt_len;
	w->tstats[tslot].last_rx_tsc = w->now_tsc;
}

/* Ask the main lcore to record what m teaches transport tp (DP_LEARN_*); one in flight. */
void dp_post_learn(struct dp_worker *w, struct dp_transport *tp, uint32_t slot,
		   const struct rte_mbuf *m, const struct dp_l4 *l4, uint8_t what);
/*
 * Send m (on transport tslot) up the slow path, rate-limited per source
 * bucket; true when it went (counted accepted), false when it was dropped.
 */
bool dp_slow_path(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4, uint32_t tslot);

/* ---- dp_rcv_rtcp.c: receivers' RTCP, after classify found no producer (worker lcores) ---- */

/*
 * Plain RTCP of no producer on transport tp (slot tslot): counted, and what
 * names one of its consumers handed to that consumer's producer's owner;
 * learn is what it teaches (DP_LEARN_*). Consumes m.
 */
void dp_rtcp_terminate(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4,
		       struct dp_transport *tp, uint32_t tslot, int learn);
/* SRTCP of no producer on SRTP pipe tslot, from sender SSRC ssrc. Consumes m. */
void dp_pipe_srtcp(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t tslot,
		   uint32_t ssrc);
/* SRTCP of no producer on SRTP client transport tslot, from sender SSRC ssrc. Consumes m. */
void dp_rcv_srtcp(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t tslot,
		  uint32_t ssrc, int learn);
/* The same, handed to the lcore that uses the transport's session i. Consumes m. */
void dp_rcv_srtcp_owned(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4,
			uint32_t tslot, uint32_t i, int learn);
/*
 * Feedback about consumer cs handed to the owner of its producer pslot
 * (srtcp: still an SRTP pipe's SRTCP): acted on. Consumes m.
 */
void dp_feedback_owned(struct dp_worker *w, struct rte_mbuf *m, struct dp_l4 *l4, uint32_t pslot,
		       uint32_t cs, bool srtcp);

/* ---- dp_fanout.c: RTP fan-out (the producer's owning lcore) ---- */

/* Send RTP packet m of producer p to each of its consumers; consumes m. */
void dp_fanout_rtp(struct dp_worker *w, struct rte_mbuf *m, const struct dp_l4 *l4,
		   const struct dp_rtp *rtp, const struct dp_producer *p, uint32_t pslot);

/*
 * Send consumer k (slot cslot) the packet it was sent as out_seq again, from
 * its producer's retransmission buffer: held is the buffered ingress mbuf
 * (left to the buffer). Returns the bytes sent, or 0 with nothing sent (the
 * packet is not one of its payload types, or the copy failed: counted).
 */
uint32_t dp_fanout_resend(struct dp_worker *w, struct rte_mbuf *held, struct dp_consumer *k,
			  uint32_t cslot, uint16_t out_seq);

/* ---- dp_tx.c: egress headers, checks and TX buffers ---- */

/* Ethernet (with the port's VLAN tag) + IP + UDP header bytes on port for family. */
static inline uint16_t
dp_l2l4_len(uint16_t port, uint8_t family)
{
	return (uint16_t)(dp.ports[port].l2_len + (family == CASCADE_AF_INET ? 28 : 48));
}

/* Fold a one's-complement sum to 16 bits. */
static inline uint16_t
dp_cksum_fold(uint32_t sum)
{
	return __rte_raw_cksum_reduce(sum);
}

/* One's-complement sum of a UDP pseudo header + UDP header (checksum zero). */
uint32_t dp_pseudo_udp_sum(uint8_t family, const uint8_t *src_ip, const uint8_t *dst_ip,
			   uint16_t sport_be, uint16_t dport_be, uint16_t udp_len);
/* Queue pkt for TX on port (sent when DP_BURST are buffered or at dp_tx_flush). */
void dp_tx_add(struct dp_worker *w, uint16_t port, struct rte_mbuf *pkt);
/* Hand every buffered egress packet to its TX queue (before reporting quiescence). */
void dp_tx_flush(struct dp_worker *w);
/*
 * After an SRTP packet was unprotected in place (its payload shrank to
 * l4->payload_len and changed): recompute the ingress UDP checksum over what is
 * now there, so fan-out's derived checksums stay right. Leaves an IPv4 packet
 * that came without a checksum alone. Worker lcore.
 */
void dp_udp_cksum_redo(struct rte_mbuf *m, const struct dp_l4 *l4);
/*
 * Write Ethernet (with port's VLAN tag) + IPv4/IPv6 + UDP headers at h for a
 * UDP payload of udp_payload_len bytes from local to remote, on port, towards
 * peer's MAC (or --peer-mac). body_sum is the one's-complement sum of the UDP
 * payload (__rte_raw_cksum), used when want_cksum (always over IPv6). Returns
 * the header length (dp_l2l4_len), -EHOSTUNREACH when no next-hop MAC is
 * known, or -EMSGSIZE when the IP packet would be larger than the port's MTU.
 * Any thread; writes only h.
 */
int dp_write_l2l4(uint8_t *h, uint16_t port, const struct dp_peer *peer,
		  const struct cascade_addr *local, const struct cascade_addr *remote,
		  uint16_t udp_payload_len, uint32_t body_sum, bool want_cksum);
/* The drop reason of a dp_write_l2l4() error. */
static inline enum cascade_drop
dp_l2l4_drop(int rc)
{
	return rc == -EMSGSIZE ? CASCADE_DROP_TOO_BIG : CASCADE_DROP_NO_ROUTE;
}

/* ---- dp_telemetry.c ---- */

/* Register the /cascade/ telemetry commands. 0 or -EINVAL (logged). */
int dp_telemetry_init(struct dp_ctx *c);

#include "dp_feedback.h"

#endif /* DP_H */
