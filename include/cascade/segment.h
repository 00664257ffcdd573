/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's shared segment: one POSIX shared-memory object per node,
 * created by cascade-dp and mapped by the control plane, cascadectl and tests
 * without DPDK's EAL. It starts with a versioned header that records the size
 * of every message type and the offset of every ring and counter array; a peer
 * built against another ABI is refused with a clear error.
 *
 * Layout (offsets in the header, each cache-line aligned):
 *   header | rings cmd, reply, event, slow, inject | lcore stats[n_lcores] |
 *   transport, producer, consumer stats[n_lcores][max] | directories |
 *   consumer RTCP[max_consumers] | transport TWCC[max_transports]
 *
 * The directories mirror the dataplane's tables: one record per slot, written
 * only by the dataplane's main lcore under a per-record sequence lock, so a
 * control plane that restarts can re-read what is installed.
 *
 * Consumer RTCP records: what each consumer's receiver last reported about it
 * (RFC 3550 6.4.1 report blocks) and the round trip measured from them, one
 * record per consumer slot, written by the worker that owns the consumer's
 * producer under the record's own sequence lock.
 *
 * Transport TWCC records: for a transport whose consumers negotiated
 * transport-cc, the available bitrate Cascade estimates towards its receiver
 * from the receiver's feedback (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01, GCC), one record per transport slot, written by whichever
 * worker holds the transport's feedback lock, under the record's own sequence
 * lock.
 */
#ifndef CASCADE_SEGMENT_H
#define CASCADE_SEGMENT_H

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "msg.h"
#include "ring.h"

#define CASCADE_SEG_MAGIC 0x4745534544435343ULL /* "CSCDESEG" in memory (little-endian) */
/* 2: pipe transports (CASCADE_TRANSPORT_PIPE) and a consumer's own remote */
/* 3: SRTP transports (srtp_suite, CASCADE_CMD_TRANSPORT_SRTP) and srtp_* drop reasons */
/* 4: SRTP pipes (srtp_suite on a PIPE transport, CASCADE_CMD_PIPE_SRTP) */
/* 5: a producer's owning worker (lcore in the directory), hand-off counters, drop reasons */
/* 6: producers' negotiated feedback (fb), keyframe-request events, keyframe counters */
/* 7: RTX and retransmission figures (consumer rtx_ssrc/rtx_pt, producer rtx_map, rtx_pkts),
 *    consumers' receiver reports (consumer RTCP records), receiver_reports_in */
/* 8: transport-cc towards consumers (consumer twcc_ext_id, CASCADE_EXT_TWCC, transport TWCC
 *    records, twcc_* counters) */
/* 9: producers' transport-cc (FB_TWCC, twcc_ext_id) and REMB (FB_REMB), their counters;
 *    receivers' SRTCP SSRCs learned (srtcp_learn* in the header) */
#define CASCADE_ABI_VERSION 9
#define CASCADE_SEG_NAME_MAX 64

enum cascade_dp_state {
	CASCADE_DP_STARTING = 1,
	CASCADE_DP_RUNNING = 2,
	CASCADE_DP_STOPPING = 3,
	CASCADE_DP_STOPPED = 4,
};

struct cascade_seg_hdr {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t hdr_size;
	uint64_t seg_size;
	/* sizes of every message type, checked by peers */
	uint32_t cmd_size, reply_size, event_size, pkt_size;
	uint32_t lcore_stats_size, obj_stats_size, dir_transport_size, dir_producer_size;
	uint32_t dir_consumer_size;
	/* capacities */
	uint32_t n_lcores; /* worker lcores; stats blocks per family */
	uint32_t max_transports, max_producers, max_consumers;
	uint32_t pad0;
	/* offsets from the segment start */
	uint64_t cmd_off, reply_off, event_off, slow_off, inject_off;
	uint64_t lcore_stats_off;
	uint64_t transport_stats_off, producer_stats_off, consumer_stats_off;
	uint64_t dir_transport_off, dir_producer_off, dir_consumer_off;
	/* liveness: written by the dataplane's main lcore */
	uint64_t epoch;   /* random per dataplane start: a change means a restart */
	int64_t pid;
	_Atomic uint32_t state;        /* enum cascade_dp_state */
	uint32_t pad1;
	_Atomic uint64_t heartbeat_ns; /* CLOCK_MONOTONIC, refreshed about every 10 ms */
	uint64_t tsc_hz;               /* to convert *_tsc fields */
	/* the main lcore's own counters (written by it only) */
	uint64_t slow_up_pkts;     /* slow-path packets copied into the slow ring */
	uint64_t slow_up_drops;    /* ... lost because the slow ring was full */
	uint64_t inject_pkts;      /* inject-ring packets transmitted */
	uint64_t inject_drops;     /* ... refused: bad transport, no route, TX full */
	char version[32];
	char srtp_backend[32];
	/* at the end, so the fields above keep the offsets older ABIs gave them */
	uint32_t consumer_rtcp_size;
	uint32_t transport_twcc_size;
	uint64_t consumer_rtcp_off;
	uint64_t transport_twcc_off;
	/* the main lcore's: receivers' SRTCP SSRCs learned, refused (no auth), no room left */
	uint64_t srtcp_learned;
	uint64_t srtcp_learn_auth;
	uint64_t srtcp_learn_full;
};

/* A directory record's common head; seq is odd while the record changes. */
struct cascade_dir_head {
	_Atomic uint32_t seq;
	uint32_t gen;    /* bumped each time the slot is reused */
	uint8_t in_use;
	uint8_t pad[7];
};

struct cascade_dir_transport {
	struct cascade_dir_head h;
	struct cascade_cmd_transport t; /* remote fields include learned values */
};
struct cascade_dir_producer {
	struct cascade_dir_head h;
	struct cascade_cmd_producer p;
};
struct cascade_dir_consumer {
	struct cascade_dir_head h;
	struct cascade_cmd_consumer c; /* remote, remote_mac: a pipe consumer's destination */
};
static_assert(sizeof(struct cascade_dir_head) == 16, "dir head layout");
static_assert(sizeof(struct cascade_dir_transport) == 120, "dir transport layout");
static_assert(sizeof(struct cascade_dir_producer) == 64, "dir producer layout");
static_assert(sizeof(struct cascade_dir_consumer) == 128, "dir consumer layout");

/*
 * What a consumer's receiver last reported about it (RFC 3550 6.4.1: one
 * report block of its RR or SR naming the consumer's SSRC) and the round trip
 * measured from it. One per consumer slot; written only by the worker lcore
 * that owns the consumer's producer, seq odd while it writes (read it with
 * cascade_seg_consumer_rtcp); zeroed by the dataplane's main lcore when the
 * slot is freed, after a grace period. reports == 0: nothing reported yet.
 */
struct cascade_consumer_rtcp {
	_Atomic uint32_t seq;
	uint32_t clock_rate;   /* the producer's RTP clock (Hz): jitter / clock_rate is seconds */
	uint64_t reports;      /* report blocks read about the consumer */
	uint64_t reported_ns;  /* CLOCK_MONOTONIC (cascade_now_ns) when the last one arrived */
	uint64_t rtts;         /* reports that measured a round trip (LSR of an SR sent to it) */
	uint32_t ext_max_seq;  /* extended highest sequence number received */
	int32_t cum_lost;      /* cumulative packets lost (24-bit signed, sign-extended) */
	uint32_t jitter;       /* interarrival jitter, RTP timestamp units */
	uint32_t rtt_us;       /* the last round trip measured, when rtts != 0 */
	uint8_t fraction_lost; /* of the last interval, fixed point /256 */
	uint8_t pad[11];
};
static_assert(sizeof(struct cascade_consumer_rtcp) == 64, "consumer RTCP record is one cache line");

/*
 * The available bitrate towards a transport's receiver, estimated from its
 * transport-cc feedback (GCC: delay- and loss-based). One per transport slot;
 * written by the worker that holds the transport's feedback lock, seq odd
 * while it writes (read it with cascade_seg_transport_twcc); zeroed by the
 * main lcore when the slot is freed. feedbacks == 0: none read yet.
 */
struct cascade_transport_twcc {
	_Atomic uint32_t seq;
	uint32_t pad;
	uint64_t feedbacks;     /* transport-cc feedback packets read */
	uint64_t available_bps; /* the estimate, bit/s */
	uint64_t acked_bps;     /* what the receiver acknowledged receiving, bit/s */
	uint64_t reported;      /* packets the feedback reported on */
	uint64_t lost;          /* of them, reported not received */
	uint64_t updated_ns;    /* CLOCK_MONOTONIC (cascade_now_ns) of the last feedback */
	uint64_t pad1;
};
static_assert(sizeof(struct cascade_transport_twcc) == 64, "transport TWCC record is one cache line");

/* Capacities chosen at dataplane start; ring sizes are powers of two. */
struct cascade_seg_geometry {
	uint32_t n_lcores;
	uint32_t max_transports, max_producers, max_consumers;
	uint32_t cmd_slots, event_slots, pkt_slots;
};

/* CLOCK_MONOTONIC in ns: the clock of heartbeat_ns and of probe timestamps. */
static inline uint64_t
cascade_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
cascade_align64(uint64_t v)
{
	return (v + 63) & ~(uint64_t)63;
}

/*
 * Fill in the header's sizes and offsets for geometry g and return the total
 * segment size. Pure; used by the creator before it maps the segment.
 */
static inline uint64_t
cascade_seg_layout(struct cascade_seg_hdr *h, const struct cascade_seg_geometry *g)
{
	uint64_t off = cascade_align64(sizeof(*h));
	uint64_t nl = g->n_lcores;

	memset(h, 0, sizeof(*h));
	h->magic = CASCADE_SEG_MAGIC;
	h->abi_version = CASCADE_ABI_VERSION;
	h->hdr_size = sizeof(*h);
	h->cmd_size = sizeof(struct cascade_cmd);
	h->reply_size = sizeof(struct cascade_reply);
	h->event_size = sizeof(struct cascade_event);
	h->pkt_size = sizeof(struct cascade_pkt);
	h->lcore_stats_size = sizeof(struct cascade_lcore_stats);
	h->obj_stats_size = sizeof(struct cascade_obj_stats);
	h->dir_transport_size = sizeof(struct cascade_dir_transport);
	h->dir_producer_size = sizeof(struct cascade_dir_producer);
	h->dir_consumer_size = sizeof(struct cascade_dir_consumer);
	h->consumer_rtcp_size = sizeof(struct cascade_consumer_rtcp);
	h->transport_twcc_size = sizeof(struct cascade_transport_twcc);
	h->n_lcores = g->n_lcores;
	h->max_transports = g->max_transports;
	h->max_producers = g->max_producers;
	h->max_consumers = g->max_consumers;

#define CASCADE_SEG_PLACE(field, bytes)                                                            \
	do {                                                                                       \
		h->field = off;                                                                    \
		off = cascade_align64(off + (bytes));                                              \
	} while (0)
	CASCADE_SEG_PLACE(cmd_off, cascade_ring_bytes(sizeof(struct cascade_cmd), g->cmd_slots));
	CASCADE_SEG_PLACE(reply_off, cascade_ring_bytes(sizeof(struct cascade_reply), g->cmd_slots));
	CASCADE_SEG_PLACE(event_off,
			  cascade_ring_bytes(sizeof(struct cascade_event), g->event_slots));
	CASCADE_SEG_PLACE(slow_off, cascade_ring_bytes(sizeof(struct cascade_pkt), g->pkt_slots));
	CASCADE_SEG_PLACE(inject_off, cascade_ring_bytes(sizeof(struct cascade_pkt), g->pkt_slots));
	CASCADE_SEG_PLACE(lcore_stats_off, nl * sizeof(struct cascade_lcore_stats));
	CASCADE_SEG_PLACE(transport_stats_off,
			  nl * g->max_transports * sizeof(struct cascade_obj_stats));
	CASCADE_SEG_PLACE(producer_stats_off,
			  nl * g->max_producers * sizeof(struct cascade_obj_stats));
	CASCADE_SEG_PLACE(consumer_stats_off,
			  nl * g->max_consumers * sizeof(struct cascade_obj_stats));
	CASCADE_SEG_PLACE(dir_transport_off,
			  (uint64_t)g->max_transports * sizeof(struct cascade_dir_transport));
	CASCADE_SEG_PLACE(dir_producer_off,
			  (uint64_t)g->max_producers * sizeof(struct cascade_dir_producer));
	CASCADE_SEG_PLACE(dir_consumer_off,
			  (uint64_t)g->max_consumers * sizeof(struct cascade_dir_consumer));
	CASCADE_SEG_PLACE(consumer_rtcp_off,
			  (uint64_t)g->max_consumers * sizeof(struct cascade_consumer_rtcp));
	CASCADE_SEG_PLACE(transport_twcc_off,
			  (uint64_t)g->max_transports * sizeof(struct cascade_transport_twcc));
#undef CASCADE_SEG_PLACE
	h->seg_size = off;
	return off;
}

/*
 * A mapped segment, as one process sees it. hdr points into shared memory; lay
 * is this process's private copy of the header's geometry (sizes, capacities,
 * offsets), taken and checked once when the segment was laid out or attached,
 * and the ring handles are built from it. Readers of offsets and capacities
 * use lay, so a peer that scribbles on the shared header cannot make this
 * process read or write outside the segment.
 */
struct cascade_seg {
	struct cascade_seg_hdr *hdr;
	size_t size;
	struct cascade_seg_hdr lay;
	struct cascade_ring_ref cmd, reply, event, slow, inject;
};

static inline void *
cascade_seg_at(const struct cascade_seg *s, uint64_t off)
{
	return (uint8_t *)s->hdr + off;
}

static inline const struct cascade_ring_ref *
cascade_seg_cmd_ring(const struct cascade_seg *s)
{
	return &s->cmd;
}
static inline const struct cascade_ring_ref *
cascade_seg_reply_ring(const struct cascade_seg *s)
{
	return &s->reply;
}
static inline const struct cascade_ring_ref *
cascade_seg_event_ring(const struct cascade_seg *s)
{
	return &s->event;
}
static inline const struct cascade_ring_ref *
cascade_seg_slow_ring(const struct cascade_seg *s)
{
	return &s->slow;
}
static inline const struct cascade_ring_ref *
cascade_seg_inject_ring(const struct cascade_seg *s)
{
	return &s->inject;
}

/*
 * Take this process's view of a segment of size bytes mapped at h whose
 * header is believed complete: check the ABI and every message size, open the
 * five rings, recompute the whole layout from the header's capacities and the
 * rings' slot counts and require the header's offsets to be exactly those,
 * inside size. Fills s (hdr, size, lay, the ring handles). Returns 0, or
 * -EPROTO with a reason in err. Used by attach and by the creator alike.
 */
static inline int
cascade_seg_open(struct cascade_seg *s, struct cascade_seg_hdr *h, size_t size, char *err,
		 size_t errlen)
{
	struct cascade_seg_hdr lay, want;
	struct cascade_seg_geometry g;
	const struct cascade_ring *cr, *er, *pr;

	memset(s, 0, sizeof(*s));
	if (size < sizeof(lay)) {
		snprintf(err, errlen, "too small to hold a header");
		return -EPROTO;
	}
	memcpy(&lay, h, sizeof(lay));
	if (lay.magic != CASCADE_SEG_MAGIC || lay.abi_version != CASCADE_ABI_VERSION ||
	    lay.hdr_size != sizeof(lay) || lay.cmd_size != sizeof(struct cascade_cmd) ||
	    lay.reply_size != sizeof(struct cascade_reply) ||
	    lay.event_size != sizeof(struct cascade_event) ||
	    lay.pkt_size != sizeof(struct cascade_pkt) ||
	    lay.lcore_stats_size != sizeof(struct cascade_lcore_stats) ||
	    lay.obj_stats_size != sizeof(struct cascade_obj_stats) ||
	    lay.dir_transport_size != sizeof(struct cascade_dir_transport) ||
	    lay.dir_producer_size != sizeof(struct cascade_dir_producer) ||
	    lay.dir_consumer_size != sizeof(struct cascade_dir_consumer) ||
	    lay.consumer_rtcp_size != sizeof(struct cascade_consumer_rtcp) ||
	    lay.transport_twcc_size != sizeof(struct cascade_transport_twcc) ||
	    lay.seg_size > size) {
		snprintf(err, errlen,
			 "ABI mismatch (segment abi %u, this program abi %u, or message sizes "
			 "differ)",
			 lay.magic == CASCADE_SEG_MAGIC ? lay.abi_version : 0, CASCADE_ABI_VERSION);
		return -EPROTO;
	}
	/* slot counts from the rings themselves, each checked against its room */
	if (lay.cmd_off > size || lay.event_off > size || lay.slow_off > size) {
		snprintf(err, errlen, "ring offsets past the segment's end");
		return -EPROTO;
	}
	cr = (const struct cascade_ring *)((uint8_t *)h + lay.cmd_off);
	er = (const struct cascade_ring *)((uint8_t *)h + lay.event_off);
	pr = (const struct cascade_ring *)((uint8_t *)h + lay.slow_off);
	if (size - lay.cmd_off < sizeof(*cr) || size - lay.event_off < sizeof(*er) ||
	    size - lay.slow_off < sizeof(*pr)) {
		snprintf(err, errlen, "ring headers past the segment's end");
		return -EPROTO;
	}
	g.n_lcores = lay.n_lcores;
	g.max_transports = lay.max_transports;
	g.max_producers = lay.max_producers;
	g.max_consumers = lay.max_consumers;
	g.cmd_slots = cr->n_slots;
	g.event_slots = er->n_slots;
	g.pkt_slots = pr->n_slots;
	if (g.n_lcores == 0 || g.n_lcores > 1024 || g.max_transports > (1u << 24) ||
	    g.max_producers > (1u << 24) || g.max_consumers > (1u << 24) ||
	    g.cmd_slots > (1u << 20) || g.event_slots > (1u << 20) || g.pkt_slots > (1u << 20) ||
	    cascade_seg_layout(&want, &g) > size || want.seg_size != lay.seg_size ||
	    want.cmd_off != lay.cmd_off || want.reply_off != lay.reply_off ||
	    want.event_off != lay.event_off || want.slow_off != lay.slow_off ||
	    want.inject_off != lay.inject_off || want.lcore_stats_off != lay.lcore_stats_off ||
	    want.transport_stats_off != lay.transport_stats_off ||
	    want.producer_stats_off != lay.producer_stats_off ||
	    want.consumer_stats_off != lay.consumer_stats_off ||
	    want.dir_transport_off != lay.dir_transport_off ||
	    want.dir_producer_off != lay.dir_producer_off ||
	    want.dir_consumer_off != lay.dir_consumer_off ||
	    want.consumer_rtcp_off != lay.consumer_rtcp_off ||
	    want.transport_twcc_off != lay.transport_twcc_off) {
		snprintf(err, errlen, "header inconsistent with its own capacities");
		return -EPROTO;
	}
	if (cascade_ring_open(&s->cmd, (uint8_t *)h + lay.cmd_off, lay.reply_off - lay.cmd_off,
			      sizeof(struct cascade_cmd)) < 0 ||
	    cascade_ring_open(&s->reply, (uint8_t *)h + lay.reply_off,
			      lay.event_off - lay.reply_off, sizeof(struct cascade_reply)) < 0 ||
	    cascade_ring_open(&s->event, (uint8_t *)h + lay.event_off,
			      lay.slow_off - lay.event_off, sizeof(struct cascade_event)) < 0 ||
	    cascade_ring_open(&s->slow, (uint8_t *)h + lay.slow_off,
			      lay.inject_off - lay.slow_off, sizeof(struct cascade_pkt)) < 0 ||
	    cascade_ring_open(&s->inject, (uint8_t *)h + lay.inject_off,
			      lay.lcore_stats_off - lay.inject_off, sizeof(struct cascade_pkt)) < 0) {
		snprintf(err, errlen, "a ring's header is inconsistent");
		memset(s, 0, sizeof(*s));
		return -EPROTO;
	}
	s->hdr = h;
	s->size = size;
	s->lay = lay;
	return 0;
}

/*
 * Map the segment named name (as given to cascade-dp --segment) read-write and
 * check it (cascade_seg_open). Returns 0 and fills s, or -errno with a reason
 * in err (errlen bytes): ENOENT no such segment (dataplane not running),
 * EPROTO wrong magic, ABI version, message size or an inconsistent header.
 * Any thread; the caller unmaps with cascade_seg_detach().
 */
static inline int
cascade_seg_attach(struct cascade_seg *s, const char *name, char *err, size_t errlen)
{
	char path[CASCADE_SEG_NAME_MAX + 16], why[160];
	struct cascade_seg_hdr *h;
	struct stat st;
	int fd, rc;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "/cascade.%s", name);
	fd = shm_open(path, O_RDWR, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "segment %s: %s (is cascade-dp running?)", name,
			 strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(*h)) {
		snprintf(err, errlen, "segment %s: too small to hold a header", name);
		close(fd);
		return -EPROTO;
	}
	h = (struct cascade_seg_hdr *)mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
					   MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "segment %s: mmap: %s", name, strerror(errno));
		return rc;
	}
	rc = cascade_seg_open(s, h, (size_t)st.st_size, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "segment %s: %s", name, why);
		munmap(h, (size_t)st.st_size);
		return rc;
	}
	return 0;
}

static inline void
cascade_seg_detach(struct cascade_seg *s)
{
	if (s->hdr != NULL)
		munmap(s->hdr, s->size);
	memset(s, 0, sizeof(*s));
}

/*
 * Copy directory record `rec` (size bytes, starting with a cascade_dir_head)
 * into out consistently: the sequence lock's reader side, retried while the
 * dataplane's main lcore is changing the record. Any thread.
 */
static inline void
cascade_dir_read(const void *rec, void *out, size_t size)
{
	struct cascade_dir_head *h = (struct cascade_dir_head *)rec;
	uint32_t s1, s2;

	do {
		/* pairs with the writer's release store of seq when it finishes */
		s1 = atomic_load_explicit(&h->seq, memory_order_acquire);
		memcpy(out, rec, size);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&h->seq, memory_order_relaxed);
	} while ((s1 & 1) != 0 || s1 != s2);
}

/* Sum object stats of one slot over all lcores. base is the family's offset. */
static inline void
cascade_seg_obj_stats(const struct cascade_seg *s, uint64_t base, uint32_t max, uint32_t slot,
		      struct cascade_obj_stats *out)
{
	const struct cascade_obj_stats *st =
		(const struct cascade_obj_stats *)cascade_seg_at(s, base);
	uint32_t l;

	memset(out, 0, sizeof(*out));
	for (l = 0; l < s->lay.n_lcores; l++) {
		const volatile struct cascade_obj_stats *o = &st[(uint64_t)l * max + slot];
		out->rx_pkts += o->rx_pkts;
		out->rx_bytes += o->rx_bytes;
		out->tx_pkts += o->tx_pkts;
		out->tx_bytes += o->tx_bytes;
		out->rtcp_pkts += o->rtcp_pkts;
		out->drop_pkts += o->drop_pkts;
		out->rtx_pkts += o->rtx_pkts;
		if (o->last_rx_tsc > out->last_rx_tsc)
			out->last_rx_tsc = o->last_rx_tsc;
	}
}

/*
 * Copy the n-byte record that starts with its sequence lock seq into out
 * consistently (the reader side: retried while its writer, which keeps seq odd
 * while it writes, changes it). Any thread.
 */
static inline void
cascade_seqlock_copy(const _Atomic uint32_t *seq, void *out, size_t n)
{
	uint32_t s1, s2;

	do {
		/* pairs with the writer's release store of seq when it finishes */
		s1 = atomic_load_explicit((_Atomic uint32_t *)seq, memory_order_acquire);
		memcpy(out, (const void *)seq, n);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit((_Atomic uint32_t *)seq, memory_order_relaxed);
	} while ((s1 & 1) != 0 || s1 != s2);
}

/*
 * Copy consumer slot's RTCP record into out consistently (the sequence lock's
 * reader side, retried while its worker writes it). Returns true when its
 * receiver has reported (out->reports != 0); false and out zeroed otherwise,
 * or for a slot past the segment's consumers. Any thread.
 */
static inline bool
cascade_seg_consumer_rtcp(const struct cascade_seg *s, uint32_t slot,
			  struct cascade_consumer_rtcp *out)
{
	const struct cascade_consumer_rtcp *r;

	memset(out, 0, sizeof(*out));
	if (slot >= s->lay.max_consumers)
		return false;
	r = (const struct cascade_consumer_rtcp *)cascade_seg_at(s, s->lay.consumer_rtcp_off) +
	    slot;
	cascade_seqlock_copy(&r->seq, out, sizeof(*out));
	return out->reports != 0;
}

/*
 * Copy transport slot's TWCC record into out consistently (the sequence
 * lock's reader side). Returns true when its receiver's transport-cc feedback
 * has been read (out->feedbacks != 0); false and out zeroed otherwise, or for
 * a slot past the segment's transports. Any thread.
 */
static inline bool
cascade_seg_transport_twcc(const struct cascade_seg *s, uint32_t slot,
			   struct cascade_transport_twcc *out)
{
	const struct cascade_transport_twcc *r;

	memset(out, 0, sizeof(*out));
	if (slot >= s->lay.max_transports)
		return false;
	r = (const struct cascade_transport_twcc *)cascade_seg_at(s, s->lay.transport_twcc_off) +
	    slot;
	cascade_seqlock_copy(&r->seq, out, sizeof(*out));
	return out->feedbacks != 0;
}

/* A report's jitter (RTP units, RFC 3550 A.8) in microseconds at clock_rate Hz; 0 without one. */
static inline uint64_t
cascade_jitter_us(uint32_t jitter, uint32_t clock_rate)
{
	return clock_rate == 0 ? 0 : (uint64_t)jitter * 1000000u / clock_rate;
}

/* Sum the per-lcore totals and drops of all workers into out. */
static inline void
cascade_seg_lcore_stats(const struct cascade_seg *s, struct cascade_lcore_stats *out)
{
	const struct cascade_lcore_stats *st =
		(const struct cascade_lcore_stats *)cascade_seg_at(s, s->lay.lcore_stats_off);
	uint32_t l, i;

	memset(out, 0, sizeof(*out));
	for (l = 0; l < s->lay.n_lcores; l++) {
		const volatile struct cascade_lcore_stats *b = &st[l];
		for (i = 0; i < CASCADE_LC_MAX; i++)
			out->ctr[i] += b->ctr[i];
		for (i = 0; i < CASCADE_DROP_MAX; i++)
			out->drop[i] += b->drop[i];
	}
}

#endif /* CASCADE_SEGMENT_H */
