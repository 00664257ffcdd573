/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared segment's creator side: a POSIX shared-memory object sized from
 * the table capacities, laid out by cascade_seg_layout() (include/cascade/
 * segment.h), its rings initialised before the header's magic is written, so a
 * peer that maps it early sees either no magic or a complete segment.
 *
 * A segment left behind by a dataplane that died is replaced; one whose owner
 * is still alive is refused, so two dataplanes never share a name.
 *
 * Directory records (the tables as peers see them) are written here, by the
 * main lcore only, under each record's sequence lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "dp.h"

static struct cascade_ring *
seg_ring(struct cascade_seg_hdr *h, uint64_t off)
{
	return (struct cascade_ring *)((uint8_t *)h + off);
}

static bool
owner_alive(const char *path)
{
	struct cascade_seg_hdr h;
	bool alive = false;
	int fd = shm_open(path, O_RDONLY, 0);

	if (fd < 0)
		return false;
	if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && h.magic == CASCADE_SEG_MAGIC &&
	    h.pid > 0 && h.pid != getpid() && kill((pid_t)h.pid, 0) == 0 &&
	    atomic_load(&h.state) != CASCADE_DP_STOPPED)
		alive = true;
	close(fd);
	return alive;
}

int
dp_seg_create(struct dp_ctx *c)
{
	struct cascade_seg_geometry g = {
		.n_lcores = c->n_workers,
		.max_transports = c->opt.max_transports,
		.max_producers = c->opt.max_producers,
		.max_consumers = c->opt.max_consumers,
		.cmd_slots = 4096,
		.event_slots = 4096,
		.pkt_slots = 1024,
	};
	struct cascade_seg_hdr layout;
	struct cascade_seg_hdr *h;
	uint64_t size, epoch = 0;
	char why[160];
	int fd;

	size = cascade_seg_layout(&layout, &g);
	snprintf(c->seg_path, sizeof(c->seg_path), "/cascade.%s", c->opt.segment);
	if (owner_alive(c->seg_path)) {
		DP_LOG(ERR, "segment %s is in use by a running cascade-dp; choose another --segment",
		       c->opt.segment);
		return -EBUSY;
	}
	shm_unlink(c->seg_path);
	fd = shm_open(c->seg_path, O_RDWR | O_CREAT | O_EXCL, 0660);
	if (fd < 0) {
		DP_LOG(ERR, "segment %s: shm_open: %s", c->opt.segment, strerror(errno));
		return -errno;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		int rc = -errno;
		DP_LOG(ERR, "segment %s: ftruncate %" PRIu64 " bytes: %s", c->opt.segment, size,
		       strerror(errno));
		close(fd);
		shm_unlink(c->seg_path);
		return rc;
	}
	h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED) {
		int rc = -errno;
		DP_LOG(ERR, "segment %s: mmap: %s", c->opt.segment, strerror(errno));
		shm_unlink(c->seg_path);
		return rc;
	}
	/* ftruncate gave zeroed memory: counters and directories start empty. */
	memcpy(h, &layout, sizeof(layout));
	h->magic = 0; /* written last */
	cascade_ring_init(seg_ring(h, layout.cmd_off), sizeof(struct cascade_cmd), g.cmd_slots);
	cascade_ring_init(seg_ring(h, layout.reply_off), sizeof(struct cascade_reply), g.cmd_slots);
	cascade_ring_init(seg_ring(h, layout.event_off), sizeof(struct cascade_event),
			  g.event_slots);
	cascade_ring_init(seg_ring(h, layout.slow_off), sizeof(struct cascade_pkt), g.pkt_slots);
	cascade_ring_init(seg_ring(h, layout.inject_off), sizeof(struct cascade_pkt), g.pkt_slots);
	if (getrandom(&epoch, sizeof(epoch), 0) != sizeof(epoch))
		epoch = rte_rdtsc();
	h->epoch = epoch | 1;
	h->pid = getpid();
	h->tsc_hz = rte_get_tsc_hz();
	snprintf(h->version, sizeof(h->version), "%s", CASCADE_DP_VERSION);
	snprintf(h->srtp_backend, sizeof(h->srtp_backend), "none");
	atomic_store(&h->state, CASCADE_DP_STARTING);
	atomic_store(&h->heartbeat_ns, cascade_now_ns());
	/* pairs with the acquire reads of peers that check magic before anything else */
	atomic_thread_fence(memory_order_release);
	h->magic = CASCADE_SEG_MAGIC;
	/* the dataplane's own view (private geometry and ring handles), as any peer's */
	if (cascade_seg_open(&c->seg, h, size, why, sizeof(why)) < 0) {
		DP_LOG(ERR, "segment %s: own layout refused: %s", c->opt.segment, why);
		munmap(h, size);
		shm_unlink(c->seg_path);
		return -EPROTO;
	}
	DP_LOG(INFO, "segment=%s bytes=%" PRIu64 " epoch=%016" PRIx64, c->opt.segment, size,
	       h->epoch);
	return 0;
}

void
dp_seg_destroy(struct dp_ctx *c)
{
	if (c->seg.hdr == NULL)
		return;
	atomic_store(&c->seg.hdr->state, CASCADE_DP_STOPPED);
	munmap(c->seg.hdr, c->seg.size);
	shm_unlink(c->seg_path);
	c->seg.hdr = NULL;
}

/* Sequence lock, writer side: odd while the record changes. */
static void
dir_begin(struct cascade_dir_head *h)
{
	uint32_t s = atomic_load_explicit(&h->seq, memory_order_relaxed);
	atomic_store_explicit(&h->seq, s + 1, memory_order_relaxed);
	/* pairs with the reader's acquire fence before it re-reads seq */
	atomic_thread_fence(memory_order_release);
}

static void
dir_end(struct cascade_dir_head *h)
{
	uint32_t s = atomic_load_explicit(&h->seq, memory_order_relaxed);
	/* pairs with the reader's acquire load of seq before it copies the record */
	atomic_store_explicit(&h->seq, s + 1, memory_order_release);
}

void
dp_dir_write_transport(struct dp_ctx *c, uint32_t slot)
{
	struct cascade_dir_transport *d =
		(struct cascade_dir_transport *)cascade_seg_at(&c->seg, c->seg.lay.dir_transport_off);
	const struct dp_transport *t = &c->transports[slot];
	const struct dp_peer *peer = atomic_load_explicit(&t->peer, memory_order_relaxed);

	d += slot;
	dir_begin(&d->h);
	d->h.gen = t->gen;
	d->h.in_use = t->in_use;
	d->t = t->cfg;
	if (peer != NULL) {
		d->t.remote = peer->remote;
		d->t.remote_rtcp = peer->remote_rtcp;
		if (peer->has_mac)
			memcpy(d->t.remote_mac, peer->mac.addr_bytes, 6);
	}
	dir_end(&d->h);
}

void
dp_dir_write_producer(struct dp_ctx *c, uint32_t slot)
{
	struct cascade_dir_producer *d =
		(struct cascade_dir_producer *)cascade_seg_at(&c->seg, c->seg.lay.dir_producer_off);
	const struct dp_producer *p = &c->producers[slot];

	d += slot;
	dir_begin(&d->h);
	d->h.gen = p->gen;
	d->h.in_use = p->in_use;
	d->p = p->cfg;
	d->p.paused = atomic_load_explicit(&p->paused, memory_order_relaxed);
	dir_end(&d->h);
}

void
dp_dir_write_consumer(struct dp_ctx *c, uint32_t slot)
{
	struct cascade_dir_consumer *d =
		(struct cascade_dir_consumer *)cascade_seg_at(&c->seg, c->seg.lay.dir_consumer_off);
	const struct dp_consumer *k = &c->consumers[slot];

	d += slot;
	dir_begin(&d->h);
	d->h.gen = k->gen;
	d->h.in_use = k->in_use;
	d->c = k->cfg;
	d->c.paused = atomic_load_explicit(&k->paused, memory_order_relaxed);
	dir_end(&d->h);
}
