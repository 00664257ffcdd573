/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the shared segment (include/cascade/segment.h): the layout's
 * offsets are cache-line aligned, in order and non-overlapping for several
 * geometries (checked by filling every region in a real buffer), and attach
 * refuses segments of another ABI. The attach tests create real POSIX
 * shared-memory objects under a name unique to this process and unlink them
 * in each test's teardown, so a failed assertion leaves nothing behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <cascade/segment.h>

#define N_REGIONS 14

struct region {
	const char *name;
	uint64_t off, bytes;
};

static const struct cascade_seg_geometry geometries[] = {
	{.n_lcores = 1,
	 .max_transports = 1,
	 .max_producers = 1,
	 .max_consumers = 1,
	 .cmd_slots = 1,
	 .event_slots = 1,
	 .pkt_slots = 1},
	{.n_lcores = 2,
	 .max_transports = 16,
	 .max_producers = 32,
	 .max_consumers = 64,
	 .cmd_slots = 64,
	 .event_slots = 128,
	 .pkt_slots = 32},
	{.n_lcores = 3,
	 .max_transports = 7,
	 .max_producers = 9,
	 .max_consumers = 11,
	 .cmd_slots = 8,
	 .event_slots = 8,
	 .pkt_slots = 8},
	{.n_lcores = 8,
	 .max_transports = 1000,
	 .max_producers = 4000,
	 .max_consumers = 10000,
	 .cmd_slots = 1024,
	 .event_slots = 4096,
	 .pkt_slots = 512},
};

/* The regions cascade_seg_layout() must place, in the documented order. */
static void
regions_of(const struct cascade_seg_hdr *h, const struct cascade_seg_geometry *g, struct region *r)
{
	uint64_t nl = g->n_lcores;
	unsigned int i = 0;

	r[i++] = (struct region){"cmd", h->cmd_off,
				 cascade_ring_bytes(sizeof(struct cascade_cmd), g->cmd_slots)};
	r[i++] = (struct region){"reply", h->reply_off,
				 cascade_ring_bytes(sizeof(struct cascade_reply), g->cmd_slots)};
	r[i++] = (struct region){"event", h->event_off,
				 cascade_ring_bytes(sizeof(struct cascade_event), g->event_slots)};
	r[i++] = (struct region){"slow", h->slow_off,
				 cascade_ring_bytes(sizeof(struct cascade_pkt), g->pkt_slots)};
	r[i++] = (struct region){"inject", h->inject_off,
				 cascade_ring_bytes(sizeof(struct cascade_pkt), g->pkt_slots)};
	r[i++] = (struct region){"lcore_stats", h->lcore_stats_off,
				 nl * sizeof(struct cascade_lcore_stats)};
	r[i++] = (struct region){"transport_stats", h->transport_stats_off,
				 nl * g->max_transports * sizeof(struct cascade_obj_stats)};
	r[i++] = (struct region){"producer_stats", h->producer_stats_off,
				 nl * g->max_producers * sizeof(struct cascade_obj_stats)};
	r[i++] = (struct region){"consumer_stats", h->consumer_stats_off,
				 nl * g->max_consumers * sizeof(struct cascade_obj_stats)};
	r[i++] =
		(struct region){"dir_transport", h->dir_transport_off,
				(uint64_t)g->max_transports * sizeof(struct cascade_dir_transport)};
	r[i++] = (struct region){"dir_producer", h->dir_producer_off,
				 (uint64_t)g->max_producers * sizeof(struct cascade_dir_producer)};
	r[i++] = (struct region){"dir_consumer", h->dir_consumer_off,
				 (uint64_t)g->max_consumers * sizeof(struct cascade_dir_consumer)};
	r[i++] = (struct region){"consumer_rtcp", h->consumer_rtcp_off,
				 (uint64_t)g->max_consumers * sizeof(struct cascade_consumer_rtcp)};
	r[i++] = (struct region){"transport_twcc", h->transport_twcc_off,
				 (uint64_t)g->max_transports * sizeof(struct cascade_transport_twcc)};
	assert_int_equal(i, N_REGIONS);
}

static void
test_layout_sizes(void **state)
{
	struct cascade_seg_hdr h;

	(void)state;
	memset(&h, 0xff, sizeof(h));
	cascade_seg_layout(&h, &geometries[1]);
	assert_true(h.magic == CASCADE_SEG_MAGIC);
	assert_memory_equal(&h.magic, "CSCDESEG", 8); /* little-endian hosts only */
	assert_int_equal(h.abi_version, CASCADE_ABI_VERSION);
	assert_int_equal(h.hdr_size, sizeof(struct cascade_seg_hdr));
	assert_int_equal(h.cmd_size, sizeof(struct cascade_cmd));
	assert_int_equal(h.reply_size, sizeof(struct cascade_reply));
	assert_int_equal(h.event_size, sizeof(struct cascade_event));
	assert_int_equal(h.pkt_size, sizeof(struct cascade_pkt));
	assert_int_equal(h.lcore_stats_size, sizeof(struct cascade_lcore_stats));
	assert_int_equal(h.obj_stats_size, sizeof(struct cascade_obj_stats));
	assert_int_equal(h.dir_transport_size, sizeof(struct cascade_dir_transport));
	assert_int_equal(h.dir_producer_size, sizeof(struct cascade_dir_producer));
	assert_int_equal(h.dir_consumer_size, sizeof(struct cascade_dir_consumer));
	assert_int_equal(h.consumer_rtcp_size, sizeof(struct cascade_consumer_rtcp));
	assert_int_equal(h.transport_twcc_size, sizeof(struct cascade_transport_twcc));
	assert_int_equal(h.n_lcores, 2);
	assert_int_equal(h.max_transports, 16);
	assert_int_equal(h.max_producers, 32);
	assert_int_equal(h.max_consumers, 64);
	/* Liveness fields start clear; the dataplane fills them. */
	assert_int_equal(h.epoch, 0);
	assert_int_equal(h.pid, 0);
	assert_int_equal(atomic_load(&h.state), 0);
	/* Ring slots hold their messages whole. */
	assert_true(sizeof(struct cascade_cmd) % 8 == 0);
	assert_true(sizeof(struct cascade_reply) % 8 == 0);
	assert_true(sizeof(struct cascade_event) % 8 == 0);
	assert_true(sizeof(struct cascade_pkt) % 8 == 0);
}

static void
test_layout_regions(void **state)
{
	struct cascade_seg_hdr h;
	struct region r[N_REGIONS];
	uint64_t size, j;
	unsigned int gi, i;
	uint8_t *mem = NULL;

	(void)state;
	for (gi = 0; gi < sizeof(geometries) / sizeof(geometries[0]); gi++) {
		size = cascade_seg_layout(&h, &geometries[gi]);
		assert_int_equal(size, h.seg_size);
		assert_int_equal(size % 64, 0);
		regions_of(&h, &geometries[gi], r);
		for (i = 0; i < N_REGIONS; i++) {
			if (r[i].off % 64 != 0)
				fail_msg("geometry %u: %s at %llu is not aligned", gi, r[i].name,
					 (unsigned long long)r[i].off);
			if (i == 0)
				assert_true(r[i].off >= sizeof(struct cascade_seg_hdr));
			else if (r[i - 1].off + r[i - 1].bytes > r[i].off)
				fail_msg("geometry %u: %s overlaps %s", gi, r[i - 1].name,
					 r[i].name);
		}
		assert_true(r[N_REGIONS - 1].off + r[N_REGIONS - 1].bytes <= size);

		/* Paint every region in a real buffer, then check no paint crossed. */
		assert_int_equal(posix_memalign((void **)&mem, 64, size), 0);
		memset(mem, 0, size);
		memcpy(mem, &h, sizeof(h));
		for (i = 0; i < N_REGIONS; i++)
			memset(mem + r[i].off, (int)(i + 1), r[i].bytes);
		assert_memory_equal(mem, &h, sizeof(h));
		for (i = 0; i < N_REGIONS; i++)
			for (j = 0; j < r[i].bytes; j++)
				if (mem[r[i].off + j] != i + 1)
					fail_msg("geometry %u: %s byte %llu overwritten", gi,
						 r[i].name, (unsigned long long)j);
		/* The rings can be laid out where the header says. */
		assert_int_equal(cascade_ring_init((struct cascade_ring *)(mem + h.cmd_off),
						   sizeof(struct cascade_cmd),
						   geometries[gi].cmd_slots),
				 0);
		assert_int_equal(cascade_ring_init((struct cascade_ring *)(mem + h.slow_off),
						   sizeof(struct cascade_pkt),
						   geometries[gi].pkt_slots),
				 0);
		free(mem);
	}
}

/* ---- Attach, over real POSIX shared memory ---- */

static char seg_name[CASCADE_SEG_NAME_MAX];
static char seg_path[CASCADE_SEG_NAME_MAX + 16];

static int
seg_setup(void **state)
{
	static unsigned int counter;

	(void)state;
	snprintf(seg_name, sizeof(seg_name), "unit-%ld-%u", (long)getpid(), counter++);
	snprintf(seg_path, sizeof(seg_path), "/cascade.%s", seg_name);
	shm_unlink(seg_path);
	return 0;
}

static int
seg_teardown(void **state)
{
	(void)state;
	shm_unlink(seg_path);
	return 0;
}

/*
 * Create the segment as the dataplane would, let edit() damage its header,
 * and return the mapping size. file_size 0 means the layout's size.
 */
static uint64_t
seg_create(const struct cascade_seg_geometry *g, uint64_t file_size,
	   void (*edit)(struct cascade_seg_hdr *))
{
	struct cascade_seg_hdr h;
	uint64_t size = cascade_seg_layout(&h, g);
	void *mem;
	int fd;

	if (file_size == 0)
		file_size = size;
	fd = shm_open(seg_path, O_CREAT | O_EXCL | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)file_size), 0);
	mem = mmap(NULL, file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(mem != MAP_FAILED);
	if (file_size >= sizeof(h)) {
		if (edit != NULL)
			edit(&h);
		memcpy(mem, &h, sizeof(h));
		if (file_size >= size) {
			uint8_t *b = mem;
			struct cascade_seg_hdr ok;

			/* the rings where a correct header puts them */
			cascade_seg_layout(&ok, g);
			assert_int_equal(cascade_ring_init((struct cascade_ring *)(b + ok.cmd_off),
							   sizeof(struct cascade_cmd), g->cmd_slots),
					 0);
			assert_int_equal(cascade_ring_init((struct cascade_ring *)(b + ok.reply_off),
							   sizeof(struct cascade_reply),
							   g->cmd_slots),
					 0);
			assert_int_equal(cascade_ring_init((struct cascade_ring *)(b + ok.event_off),
							   sizeof(struct cascade_event),
							   g->event_slots),
					 0);
			assert_int_equal(cascade_ring_init((struct cascade_ring *)(b + ok.slow_off),
							   sizeof(struct cascade_pkt), g->pkt_slots),
					 0);
			assert_int_equal(cascade_ring_init((struct cascade_ring *)(b + ok.inject_off),
							   sizeof(struct cascade_pkt), g->pkt_slots),
					 0);
		}
	}
	munmap(mem, file_size);
	return file_size;
}

static void
test_attach_ok(void **state)
{
	struct cascade_seg_hdr h;
	struct cascade_seg s1, s2;
	struct cascade_cmd cmd, got;
	char err[256];
	uint64_t size;

	(void)state;
	size = seg_create(&geometries[1], 0, NULL);
	assert_int_equal(cascade_seg_attach(&s1, seg_name, err, sizeof(err)), 0);
	assert_int_equal(cascade_seg_attach(&s2, seg_name, err, sizeof(err)), 0);
	assert_int_equal(s1.size, size);
	assert_int_equal(s1.hdr->seg_size, cascade_seg_layout(&h, &geometries[1]));
	assert_true(s1.hdr->cmd_off == h.cmd_off);
	/* Two mappings see one ring: push through one, pop through the other. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.req_id = 77;
	cmd.type = CASCADE_CMD_PING;
	assert_int_equal(cascade_ring_push(cascade_seg_cmd_ring(&s1), &cmd, sizeof(cmd)), 0);
	assert_int_equal(cascade_ring_pop(cascade_seg_cmd_ring(&s2), &got, sizeof(got)), 0);
	assert_int_equal(got.req_id, 77);
	assert_int_equal(got.type, CASCADE_CMD_PING);
	cascade_seg_detach(&s1);
	assert_null(s1.hdr);
	assert_int_equal(s1.size, 0);
	cascade_seg_detach(&s1); /* twice is harmless */
	cascade_seg_detach(&s2);
}

/* A transport's TWCC record: nothing before a feedback, the record after one. */
static void
test_transport_twcc_read(void **state)
{
	struct cascade_transport_twcc *w, r;
	struct cascade_seg s;
	char err[256];

	(void)state;
	seg_create(&geometries[1], 0, NULL);
	assert_int_equal(cascade_seg_attach(&s, seg_name, err, sizeof(err)), 0);
	assert_false(cascade_seg_transport_twcc(&s, 2, &r));
	w = (struct cascade_transport_twcc *)cascade_seg_at(&s, s.lay.transport_twcc_off) + 2;
	w->feedbacks = 5;
	w->available_bps = 1500000;
	atomic_store(&w->seq, 2);
	assert_true(cascade_seg_transport_twcc(&s, 2, &r));
	assert_int_equal(r.available_bps, 1500000);
	assert_false(cascade_seg_transport_twcc(&s, s.lay.max_transports, &r));
	cascade_seg_detach(&s);
}

/*
 * A consumer's RTCP record as peers read it: nothing before a report, the
 * record whole after one, nothing for a slot past the consumers; jitter from
 * RTP units to microseconds at the producer's clock rate.
 */
static void
test_consumer_rtcp_read(void **state)
{
	struct cascade_consumer_rtcp *w, r;
	struct cascade_seg s;
	char err[256];

	(void)state;
	seg_create(&geometries[1], 0, NULL);
	assert_int_equal(cascade_seg_attach(&s, seg_name, err, sizeof(err)), 0);
	assert_false(cascade_seg_consumer_rtcp(&s, 3, &r));
	assert_int_equal(r.reports, 0);
	w = (struct cascade_consumer_rtcp *)cascade_seg_at(&s, s.lay.consumer_rtcp_off) + 3;
	w->clock_rate = 90000;
	w->reports = 2;
	w->jitter = 450;
	w->cum_lost = -3;
	w->fraction_lost = 64;
	atomic_store(&w->seq, 2);
	assert_true(cascade_seg_consumer_rtcp(&s, 3, &r));
	assert_int_equal(r.reports, 2);
	assert_int_equal(r.cum_lost, -3);
	assert_int_equal(r.fraction_lost, 64);
	assert_int_equal(cascade_jitter_us(r.jitter, r.clock_rate), 5000); /* 450 / 90 kHz */
	assert_false(cascade_seg_consumer_rtcp(&s, s.lay.max_consumers, &r));
	assert_int_equal(cascade_jitter_us(480, 48000), 10000);
	assert_int_equal(cascade_jitter_us(0xffffffffu, 8000), 0xffffffffull * 125);
	assert_int_equal(cascade_jitter_us(100, 0), 0); /* no clock rate: no figure */
	cascade_seg_detach(&s);
}

static void
test_attach_missing(void **state)
{
	struct cascade_seg s;
	char err[256];

	(void)state;
	assert_int_equal(cascade_seg_attach(&s, seg_name, err, sizeof(err)), -ENOENT);
	assert_null(s.hdr);
	assert_non_null(strstr(err, seg_name));
	assert_non_null(strstr(err, "is cascade-dp running?"));
}

static void
bad_magic(struct cascade_seg_hdr *h)
{
	h->magic ^= 1;
}

static void
bad_abi(struct cascade_seg_hdr *h)
{
	h->abi_version = CASCADE_ABI_VERSION + 1;
}

static void
bad_hdr_size(struct cascade_seg_hdr *h)
{
	h->hdr_size += 8;
}

static void
bad_cmd_size(struct cascade_seg_hdr *h)
{
	h->cmd_size = 64;
}

static void
bad_pkt_size(struct cascade_seg_hdr *h)
{
	h->pkt_size = 1024;
}

static void
bad_dir_size(struct cascade_seg_hdr *h)
{
	h->dir_consumer_size += 8;
}

static void
bad_rtcp_size(struct cascade_seg_hdr *h)
{
	h->consumer_rtcp_size = 32;
}

static void
bad_seg_size(struct cascade_seg_hdr *h)
{
	h->seg_size += 64;
}

/* Offsets and capacities that disagree with each other, inside the file. */
static void
bad_cmd_off(struct cascade_seg_hdr *h)
{
	h->cmd_off += 64;
}

static void
bad_dir_off(struct cascade_seg_hdr *h)
{
	h->dir_consumer_off = h->dir_producer_off;
}

static void
bad_rtcp_off(struct cascade_seg_hdr *h)
{
	h->consumer_rtcp_off = h->dir_consumer_off;
}

static void
bad_capacity(struct cascade_seg_hdr *h)
{
	h->max_consumers *= 2;
}

static void
bad_lcores(struct cascade_seg_hdr *h)
{
	h->n_lcores = 0;
}

static void
check_refused(void (*edit)(struct cascade_seg_hdr *), const char *want)
{
	struct cascade_seg s;
	char err[256];

	seg_create(&geometries[2], 0, edit);
	assert_int_equal(cascade_seg_attach(&s, seg_name, err, sizeof(err)), -EPROTO);
	assert_null(s.hdr);
	assert_int_equal(s.size, 0);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	shm_unlink(seg_path);
}

static void
test_attach_wrong_abi(void **state)
{
	char want[64];

	(void)state;
	check_refused(bad_magic, "ABI mismatch (segment abi 0,");
	snprintf(want, sizeof(want), "segment abi %d, this program abi %d", CASCADE_ABI_VERSION + 1,
		 CASCADE_ABI_VERSION);
	check_refused(bad_abi, want);
	check_refused(bad_hdr_size, "ABI mismatch");
	check_refused(bad_cmd_size, "ABI mismatch");
	check_refused(bad_pkt_size, "ABI mismatch");
	check_refused(bad_dir_size, "ABI mismatch");
	check_refused(bad_rtcp_size, "ABI mismatch");
	check_refused(bad_seg_size, "ABI mismatch");
}

/*
 * A header whose offsets or capacities disagree is refused, even when every
 * size is right, so nothing is ever read or written past what the layout
 * says; so is a ring whose own header disagrees with its message type.
 */
static void
test_attach_inconsistent(void **state)
{
	struct cascade_seg_hdr h;
	struct cascade_seg s;
	struct cascade_ring *r;
	char err[256];
	uint8_t *mem;
	int fd;

	(void)state;
	check_refused(bad_cmd_off, "inconsistent");
	check_refused(bad_dir_off, "inconsistent");
	check_refused(bad_rtcp_off, "inconsistent");
	check_refused(bad_capacity, "inconsistent");
	check_refused(bad_lcores, "inconsistent");

	seg_create(&geometries[1], 0, NULL);
	cascade_seg_layout(&h, &geometries[1]);
	fd = shm_open(seg_path, O_RDWR, 0);
	assert_true(fd >= 0);
	mem = mmap(NULL, h.seg_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(mem != MAP_FAILED);
	r = (struct cascade_ring *)(mem + h.event_off);
	r->slot_size = 4096; /* not a struct cascade_event */
	assert_int_equal(cascade_seg_attach(&s, seg_name, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "ring"));
	r->slot_size = sizeof(struct cascade_event);
	r->mask = 0; /* n_slots says otherwise */
	assert_int_equal(cascade_seg_attach(&s, seg_name, err, sizeof(err)), -EPROTO);
	r->mask = r->n_slots - 1;
	assert_int_equal(cascade_seg_attach(&s, seg_name, err, sizeof(err)), 0);
	/* once attached, a scribbled geometry is not read again: the private copy rules */
	r->n_slots = 1u << 30;
	r->mask = UINT32_MAX;
	assert_int_equal(s.event.n_slots, geometries[1].event_slots);
	assert_int_equal(s.lay.event_off, h.event_off);
	cascade_seg_detach(&s);
	munmap(mem, h.seg_size);
}

static void
test_attach_too_small(void **state)
{
	struct cascade_seg s;
	char err[256];

	(void)state;
	seg_create(&geometries[0], 16, NULL);
	assert_int_equal(cascade_seg_attach(&s, seg_name, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "too small"));
	shm_unlink(seg_path);
	/* A whole header but not the whole layout. */
	seg_create(&geometries[0], sizeof(struct cascade_seg_hdr), NULL);
	assert_int_equal(cascade_seg_attach(&s, seg_name, err, sizeof(err)), -EPROTO);
}

static void
test_stats_sums(void **state)
{
	static const struct cascade_seg_geometry g = {.n_lcores = 3,
						      .max_transports = 4,
						      .max_producers = 4,
						      .max_consumers = 4,
						      .cmd_slots = 4,
						      .event_slots = 4,
						      .pkt_slots = 4};
	struct cascade_seg_hdr h;
	struct cascade_seg s;
	struct cascade_lcore_stats *ls, sum;
	struct cascade_obj_stats *os, osum;
	uint64_t size = cascade_seg_layout(&h, &g);
	uint32_t l;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(posix_memalign((void **)&s.hdr, 64, size), 0);
	memset(s.hdr, 0, size);
	memcpy(s.hdr, &h, sizeof(h));
	s.size = size;
	s.lay = h;
	ls = cascade_seg_at(&s, h.lcore_stats_off);
	os = cascade_seg_at(&s, h.producer_stats_off);
	for (l = 0; l < 3; l++) {
		ls[l].ctr[CASCADE_LC_RX_PKTS] = 10 * (l + 1);
		ls[l].drop[CASCADE_DROP_RTP_TRUNC] = l;
		os[l * 4 + 2].rx_pkts = 100 + l;
		os[l * 4 + 2].last_rx_tsc = 5 - l;
		os[l * 4 + 1].rx_pkts = 1000; /* another slot: not summed */
	}
	cascade_seg_lcore_stats(&s, &sum);
	assert_int_equal(sum.ctr[CASCADE_LC_RX_PKTS], 60);
	assert_int_equal(sum.drop[CASCADE_DROP_RTP_TRUNC], 3);
	assert_int_equal(sum.ctr[CASCADE_LC_TX_PKTS], 0);
	cascade_seg_obj_stats(&s, h.producer_stats_off, 4, 2, &osum);
	assert_int_equal(osum.rx_pkts, 303);
	assert_int_equal(osum.last_rx_tsc, 5);
	free(s.hdr);
}

int
main(void)
{
	/* One test per line. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_sizes),
		cmocka_unit_test(test_layout_regions),
		cmocka_unit_test_setup_teardown(test_attach_ok, seg_setup, seg_teardown),
		cmocka_unit_test_setup_teardown(test_attach_missing, seg_setup, seg_teardown),
		cmocka_unit_test_setup_teardown(test_consumer_rtcp_read, seg_setup, seg_teardown),
		cmocka_unit_test_setup_teardown(test_transport_twcc_read, seg_setup, seg_teardown),
		cmocka_unit_test_setup_teardown(test_attach_wrong_abi, seg_setup, seg_teardown),
		cmocka_unit_test_setup_teardown(test_attach_too_small, seg_setup, seg_teardown),
		cmocka_unit_test_setup_teardown(test_attach_inconsistent, seg_setup, seg_teardown),
		cmocka_unit_test(test_stats_sums),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
