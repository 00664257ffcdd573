/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-pktgen internals. The tool is a DPDK application that sends paced RTP streams,
 * receives RTP and measures it, or both. Every RTP payload starts with the
 * struct cascade_probe from include/cascade/probe.h, which carries the producer's 64-bit
 * sequence and its CLOCK_MONOTONIC send time; a receiver keys its statistics by the SSRC it
 * receives (an SFU rewrites SSRCs per consumer) and uses the probe for loss, duplicates,
 * reordering and one-way latency.
 *
 * One lcore may run the transmitter, the receiver and the control duties (deadlines,
 * progress) interleaved, or each may have an lcore of its own; see pg_main.c. Each role owns
 * one cache-aligned struct (struct pg_tx, struct pg_rx) written only by the lcore that runs
 * it; the few totals the control duty reads while the run is going are published with
 * relaxed atomic stores. Nothing on the packet path allocates, locks or makes a syscall:
 * buffers come from mempools, tables are sized from the options at start.
 */
#ifndef PG_H
#define PG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#define PG_NAME "cascade-pktgen"
#define PG_BURST_MAX 256
#define PG_TMPL_MAX 128          /* Ethernet + VLAN + IPv6 + UDP + RTP + probe, rounded up */
#define PG_RTP_HDR_LEN 12        /* RFC 3550 5.1 fixed header */
#define PG_VIDEO_FPS 30          /* frames per second of --video streams */
#define PG_UNPACED_PPF 32        /* packets per video frame when --rate 0 */
#define PG_AUDIO_PTIME_HZ 50     /* 20 ms audio packets */
#define PG_HIST_SUB_BITS 5       /* 32 linear sub-buckets per power of two: <= 3.2% error */
#define PG_HIST_BUCKETS 1024     /* covers latencies up to 2^36 ns (68 s); larger go last */
#define PG_WIN_BITS 8192         /* reorder/duplicate window per SSRC, in probe sequences */
#define PG_UDP_PAYLOAD_MAX 65527 /* UDP payload bytes at most (RFC 768 length field) */
#define PG_MIN_FRAME 60          /* minimum Ethernet frame without FCS: shorter is padded */

/*
 * Why a received packet is malformed (see pg_rx.c); one packet may have several reasons.
 * The receiver keeps one counter per reason, globally and per SSRC.
 */
enum pg_bad {
	PG_BAD_IP_CKSUM,  /* IPv4 header checksum */
	PG_BAD_UDP_CKSUM, /* UDP checksum wrong (or zero over IPv6) */
	PG_BAD_LEN,       /* frame, IP, UDP lengths or header layout inconsistent */
	PG_BAD_RTP,       /* not RTP version 2, or CSRCs/extension/padding beyond the packet */
	PG_BAD_PROBE,     /* no room for the probe, or wrong probe magic */
	PG_BAD_PAYLOAD,   /* filler after the probe differs from what pg_tx writes */
	PG_BAD_COUNT,
};

/* JSON names of the reasons, indexed by enum pg_bad ("bad_ip_cksum", ...). */
extern const char *const pg_bad_names[PG_BAD_COUNT];

/*
 * Byte i of the payload filler that follows the probe (i = 0 right after it): a pattern, so
 * captures are readable and the receiver can check every byte. Period 256.
 */
static inline uint8_t
pg_filler_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 1);
}

/* Which roles this run has. */
enum pg_mode {
	PG_MODE_BOTH,
	PG_MODE_TX,
	PG_MODE_RX,
};

/* An IPv4 or IPv6 address and UDP port, address bytes in network order. */
struct pg_addr {
	int family; /* AF_INET or AF_INET6; 0 when unset */
	uint8_t ip[16];
	uint16_t port;
};

/* Everything the command line after "--" sets; see pg_options_usage(). */
struct pg_options {
	enum pg_mode mode;
	uint16_t tx_port;
	uint16_t rx_port;
	uint32_t streams;
	uint32_t ssrc_base;
	uint8_t pt;
	uint16_t size;   /* RTP packet bytes (header + probe + filler) = UDP payload */
	double rate;     /* packets/s per stream; 0 = as fast as possible */
	double duration; /* seconds of sending (receive-only: of receiving); 0 = until signal */
	struct pg_addr src;
	struct pg_addr dst;
	bool dst_per_stream; /* destination port + stream index */
	bool has_src_mac;
	struct rte_ether_addr src_mac;
	struct rte_ether_addr dst_mac;
	int vlan; /* 802.1Q VLAN id on sent frames, -1 for none */
	bool video;
	uint32_t clock_rate; /* RTP clock, Hz */
	uint32_t expect_ssrcs;
	double max_loss; /* < 0: no bound */
	const char *json_path;
	double rx_grace;
	double rx_idle; /* receive-only: stop after this long without packets; 0 = off */
	uint16_t burst;
	uint16_t ring_size;
	uint32_t max_ssrcs;
	bool no_verify;         /* skip the per-packet well-formedness checks (benchmarks) */
	uint64_t max_malformed; /* exit 2 above this many malformed packets; UINT64_MAX: no bound */
	bool allow_overflow;    /* SSRCs that found the table full do not fail the run */
	uint32_t rx_mbuf_size;  /* RX mbuf data bytes; 0: a whole frame (test chained mbufs) */
	double link_timeout;
	uint32_t idle_sleep_us; /* 0: busy poll */
	bool progress;
};

/*
 * Parse the tool's own options (the part of the command line after "--"); argv[0] is a
 * program name. Returns 0 on success, 1 when --help was printed, -EINVAL after printing a
 * message that names the bad option. Called once, before the EAL starts.
 */
int pg_options_parse(struct pg_options *o, int argc, char **argv);

/* Print the option summary to f. */
void pg_options_usage(FILE *f);

/*
 * A CLOCK_MONOTONIC nanosecond clock derived from the TSC, so that the packet path reads
 * only the TSC. Every anchor period it takes a fresh (TSC, CLOCK_MONOTONIC) pair through the
 * vDSO and refines the slope from the whole run, so two processes on one host agree to
 * about a microsecond. Each lcore owns its own copy; not shared between lcores.
 */
struct pg_clock {
	uint64_t tsc_start;
	uint64_t ns_start;
	uint64_t tsc_ref;
	uint64_t ns_ref;
	uint64_t next_anchor_tsc;
	uint64_t anchor_period_tsc;
	double ns_per_tsc;
};

/* Calibrate c against CLOCK_MONOTONIC; blocks for about 100 ms. Main lcore, at start. */
void pg_clock_init(struct pg_clock *c);

/* Take a new anchor now; called by pg_clock_ns() when the anchor period has passed. */
void pg_clock_anchor(struct pg_clock *c);

/* TSC ticks per second as calibrated by pg_clock_init(). */
double pg_clock_tsc_hz(const struct pg_clock *c);

/* CLOCK_MONOTONIC nanoseconds at TSC value tsc (which should be recent). */
static inline uint64_t
pg_clock_ns(struct pg_clock *c, uint64_t tsc)
{
	if (unlikely(tsc >= c->next_anchor_tsc))
		pg_clock_anchor(c);
	int64_t d = (int64_t)(tsc - c->tsc_ref);
	return c->ns_ref + (uint64_t)(int64_t)((double)d * c->ns_per_tsc);
}

/* Per-stream sender state: a header template and the counters written into each packet. */
struct pg_stream {
	uint8_t hdr[PG_TMPL_MAX]; /* Ethernet .. probe, constant fields filled in */
	uint32_t phdr_sum;        /* UDP pseudo-header sum (RFC 768, RFC 8200 8.1), folded */
	uint32_t ts_base;
	uint64_t probe_seq; /* next probe sequence */
	uint16_t rtp_seq;   /* next RTP sequence */
} __rte_cache_aligned;

/* The transmitter. Owned by the lcore that runs pg_tx_poll(). */
struct pg_tx {
	struct rte_mempool *pool;
	struct pg_stream *streams;
	uint32_t nstreams;
	uint16_t port;
	uint16_t burst;
	uint16_t frame_len;
	uint16_t tmpl_len;
	uint16_t off_l3;
	uint16_t off_udp;
	uint16_t off_probe;
	bool ipv6;
	bool video;
	uint32_t filler_sum; /* one's complement sum of the constant payload after the probe */
	/* schedule: global packet k of stream k % nstreams is due at t0 + k * period */
	double period_tsc; /* 0: unpaced */
	uint64_t t0_tsc;
	uint64_t end_tsc;   /* 0: until stopped */
	uint64_t slack_tsc; /* how long after end_tsc a late sender may catch up */
	uint64_t total;     /* packets scheduled over the run; 0: unbounded */
	uint64_t next_k;
	uint32_t cur_stream;
	uint64_t cur_j; /* per-stream index of packet next_k */
	double ts_per_pkt;
	double frames_per_pkt;
	uint32_t ts_per_frame;
	struct pg_clock clock;
	/* results; "sent" and "drops" are also published for the progress line */
	uint64_t sent;
	uint64_t bytes;
	uint64_t drops;      /* refused by the PMD (their sequences are reused) */
	uint64_t alloc_fail; /* bursts skipped because the mempool was empty */
	uint64_t unsent;     /* scheduled but not sent when time ran out (sender too slow) */
	uint64_t done_tsc;
	bool done;
	bool stop; /* set by SIGUSR1: the schedule ends at the next poll */
} __rte_cache_aligned;

/*
 * Build the per-stream templates from the options. port_mac is the TX port's address, used
 * when --src-mac is not given. Returns 0 or -ENOMEM. Main lcore, before the run.
 */
int pg_tx_init(struct pg_tx *tx, const struct pg_options *o, const struct rte_ether_addr *port_mac);

/* Release what pg_tx_init() allocated. */
void pg_tx_fini(struct pg_tx *tx);

/* Frame length of the packets tx sends (without FCS). */
uint16_t pg_tx_frame_len(const struct pg_options *o);

/*
 * Write the constant payload filler into every mbuf of mp, which must be used only by this
 * transmitter, so that the packet path copies headers only. Main lcore, before the run.
 */
void pg_tx_prefill(struct pg_tx *tx, struct rte_mempool *mp);

/* Start the schedule at TSC now with run length o->duration. TX lcore. */
void pg_tx_start(struct pg_tx *tx, const struct pg_options *o, uint64_t now_tsc);

/*
 * Send the packets that are due at TSC now, at most one burst. Sets tx->done when the
 * schedule is complete. Returns the number of packets the PMD accepted. TX lcore only.
 */
unsigned int pg_tx_poll(struct pg_tx *tx, uint64_t now_tsc);

/* TSC at which the next packet is due (now, when unpaced). */
static inline uint64_t
pg_tx_next_due_tsc(const struct pg_tx *tx)
{
	if (tx->period_tsc == 0)
		return tx->t0_tsc;
	return tx->t0_tsc + (uint64_t)((double)tx->next_k * tx->period_tsc);
}

/* Per-SSRC receiver statistics. */
struct pg_ssrc {
	uint32_t ssrc;
	bool has_transit;
	bool has_probe; /* a trusted probe has been accounted (min_seq, max_seq valid) */
	uint8_t pt;
	uint32_t stream; /* probe stream index of the first trusted probe */
	uint16_t first_rtp_seq;
	uint16_t last_rtp_seq;
	uint32_t last_transit;
	uint32_t jitter_x16;     /* RFC 3550 A.8 estimate, in timestamp units times 16 */
	uint64_t jitter_x16_sum; /* of the estimate after each packet, for the run's mean */
	uint64_t packets;
	uint64_t bytes;
	uint64_t probed; /* packets whose probe was trusted (the rest are malformed) */
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t seq_errors;
	uint64_t late;        /* older than the window: counted as new, may hide a duplicate */
	uint64_t first_rx_ns; /* CLOCK_MONOTONIC of the burst of the first and last packet */
	uint64_t last_rx_ns;
	uint64_t malformed; /* packets with at least one reason */
	uint64_t bad[PG_BAD_COUNT];
	uint64_t min_seq;
	uint64_t max_seq;
	uint64_t distinct;
	uint64_t lat_count;
	uint64_t lat_sum_ns;
	uint64_t lat_max_ns;
	uint64_t lat_negative; /* probe time after receive time: clocks disagree */
	uint64_t win[PG_WIN_BITS / 64];
	uint64_t hist[PG_HIST_BUCKETS];
};

/*
 * SSRC -> struct pg_ssrc: an open-addressing index (linear probing, twice the capacity)
 * over a dense array filled in order of first arrival. Sized at start, never grows.
 */
struct pg_ssrc_table {
	struct pg_ssrc *entries; /* cap entries, the first "used" valid */
	uint32_t *index;         /* mask + 1 slots: 0 empty, else entry number + 1 */
	uint32_t mask;
	uint32_t cap;
	uint32_t used;
	uint64_t overflow; /* packets of SSRCs that found the table full */
};

/* Allocate a table for up to max SSRCs. Returns 0 or -ENOMEM. */
int pg_table_init(struct pg_ssrc_table *t, uint32_t max);

/* Free the table's memory. */
void pg_table_fini(struct pg_ssrc_table *t);

/* The entry for ssrc, created on first use; NULL (and overflow counted) when full. */
struct pg_ssrc *pg_table_get(struct pg_ssrc_table *t, uint32_t ssrc);

/* One received RTP packet's facts, as pg_ssrc_update() consumes them. */
struct pg_sample {
	uint64_t rx_ns; /* CLOCK_MONOTONIC at receive */
	uint64_t probe_seq;
	uint32_t stream;
	uint32_t rtp_ts;
	uint32_t arrival_ts; /* receive time in RTP timestamp units */
	int64_t latency_ns;
	uint32_t bytes;
	uint16_t rtp_seq;
	uint8_t pt;
	uint8_t bad;   /* 1 << enum pg_bad for each reason the packet is malformed */
	bool probe_ok; /* probe found and trusted: feeds loss, latency and jitter */
};

/*
 * Account one packet to s: packets, bytes, RTP sequence, receive times and malformed
 * counters always; the probe sequence, latency and jitter only when p->probe_ok.
 */
void pg_ssrc_update(struct pg_ssrc *s, const struct pg_sample *p);

/* Probe sequences from the lowest to the highest seen (0 before the first packet). */
uint64_t pg_ssrc_expected(const struct pg_ssrc *s);

/* Probe sequences missing between the lowest and highest seen. */
uint64_t pg_ssrc_lost(const struct pg_ssrc *s);

/* Lost over expected (0 when nothing was expected). */
double pg_ssrc_loss_fraction(const struct pg_ssrc *s);

/* Latency histogram bucket of v nanoseconds. */
uint32_t pg_hist_bucket(uint64_t v_ns);

/*
 * The q-quantile (0..1) of a histogram with n samples, in ns: the midpoint of the bucket
 * that holds it, capped at max_ns.
 */
uint64_t pg_hist_quantile(const uint64_t *hist, uint64_t n, double q, uint64_t max_ns);

/* The receiver. Owned by the lcore that runs pg_rx_poll(). */
struct pg_rx {
	struct pg_ssrc_table table;
	struct pg_clock clock;
	uint16_t port;
	uint16_t burst;
	uint32_t clock_rate;
	uint64_t start_ns;
	uint64_t first_rx_tsc; /* 0 until the first packet */
	uint64_t last_rx_tsc;
	/* totals; "packets" and the table's "used" are also published for the progress line */
	uint64_t packets;
	uint64_t bytes;
	uint64_t probes;    /* RTP packets charged to an SSRC (or found the table full) */
	uint64_t other;     /* well-formed but not ours: ARP, RTCP, STUN, padding-only RTP... */
	uint64_t chained;   /* packets that arrived in more than one mbuf */
	bool verify;        /* check checksums, lengths, RTP, probe and filler (not --no-verify) */
	uint64_t malformed; /* packets with at least one reason */
	uint64_t malformed_no_ssrc; /* of those, not charged to an SSRC (none, or table full) */
	uint64_t bad[PG_BAD_COUNT];
	uint32_t overflow_ssrc; /* the first SSRC that found the table full */
} __rte_cache_aligned;

/* Set up rx for the options. Returns 0 or -ENOMEM. Main lcore, before the run. */
int pg_rx_init(struct pg_rx *rx, const struct pg_options *o);

/* Release what pg_rx_init() allocated. */
void pg_rx_fini(struct pg_rx *rx);

/* Receive and account one burst. Returns the number of packets received. RX lcore only. */
unsigned int pg_rx_poll(struct pg_rx *rx);

/* Create a mempool of n mbufs with data_room bytes each (headroom included). */
struct rte_mempool *pg_pool_create(const char *name, uint32_t n, uint32_t data_room);

/*
 * Configure and start port with one RX and one TX queue of ring_size descriptors, RX
 * buffers from rx_pool, room for frames of max_frame bytes; retry a failing start for up to
 * retry_s seconds (a memif client whose server is not up yet). Returns 0 or -errno after a
 * message. Main lcore, before the run.
 */
int pg_port_start(uint16_t port, uint16_t ring_size, struct rte_mempool *rx_pool,
		  uint32_t max_frame, double retry_s);

/* Wait up to timeout_s (or until a signal) for port's link. Returns true when it is up. */
bool pg_port_wait_link(uint16_t port, double timeout_s);

/* Stop and close port. */
void pg_port_stop(uint16_t port);

/* True once the run is to end: a signal, or the control role saw its deadline. Any thread. */
bool pg_quit_requested(void);

/* What the report needs besides the options. */
struct pg_result {
	const struct pg_tx *tx; /* NULL when not sending */
	const struct pg_rx *rx; /* NULL when not receiving */
	double tx_seconds;
	double rx_seconds;
	bool interrupted;
};

/*
 * Exit status the result deserves: 0, or 2 when the loss bound, --expect-ssrcs,
 * --max-malformed or the SSRC table's size (unless --allow-overflow) fails.
 */
int pg_report_status(const struct pg_options *o, const struct pg_result *r);

/* Print the human summary to f. */
void pg_report_text(FILE *f, const struct pg_options *o, const struct pg_result *r);

/* Write the JSON summary to f. Returns 0 or -EIO. */
int pg_report_json(FILE *f, const struct pg_options *o, const struct pg_result *r);

#endif /* PG_H */
