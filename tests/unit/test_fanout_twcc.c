/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for transport-cc on egress (dp_fanout.c, dp_twcc_out.c), on the
 * fan-out tests' fake dataplane (fanout_env.h): two consumers of one
 * transport get Cascade's transport-wide sequence numbers, one counter over
 * both, one more per packet; where the sender's own element was, or in a new
 * extension block when the packet had none, the payload intact and the UDP
 * checksum right (the harness recomputes it); a consumer without transport-cc
 * gets the sender's element blanked, never its numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include <rte_malloc.h>

#include "fanout_env.h"
#include "frame.h"

#define TW_ID 5
#define SENDER_TW_ID 3

static struct dp_twcc_out twcc __rte_cache_aligned;

/* The producer's packet seq: with (ext) id 1 (one byte) and the sender's transport-wide number. */
static struct rte_mbuf *
frame_ext(uint16_t seq, bool ext)
{
	static uint8_t pl[FAKE_FRAME_MAX];
	struct fake_frame_opts o = {.src = in_remote, .dst = in_local, .port = 0, .vlan = -1};
	uint16_t n = frame_rtp(pl + (ext ? 12 : 0), 96, seq, 1000u * seq, P_SSRC, BIG);

	if (!ext)
		return fake_frame(&o, pl, n);
	memcpy(pl, pl + 12, 12); /* the fixed header in front, the block after it */
	pl[0] |= 0x10;
	memcpy(pl + 12, "\xbe\xde\x00\x02\x10\xaa\x31\x12\x34\x00\x00\x00", 12);
	return fake_frame(&o, pl, (uint16_t)(n + 12));
}

/* The producer's packet seq fanned out (fanout_env.c's fan). */
static struct rte_mbuf *
send_ext(uint16_t seq, bool ext)
{
	return fan(frame_ext(seq, ext));
}

static struct dp_consumer *
tw_consumer(uint32_t cs, uint32_t ssrc, uint8_t id)
{
	struct dp_consumer *k = consumer(cs, T_A, ssrc);

	for (unsigned int i = 1; i <= CASCADE_MAX_EXT_ID; i++)
		k->cfg.ext_map[i] = (uint8_t)i;
	k->cfg.ext_map[SENDER_TW_ID] = CASCADE_EXT_TWCC;
	k->cfg.ext_map[TW_ID] = 9; /* out of the way of Cascade's */
	k->cfg.twcc_ext_id = id;
	return k;
}

static int
setup_twcc(void **state)
{
	int rc = setup(state);

	dp_twcc_init(&twcc.tx, 0);
	rte_spinlock_init(&twcc.fb_lock);
	atomic_store(&dp.transports[T_A].twcc_out, &twcc);
	return rc;
}

/*
 * Captured frame i: its RTP header's length, and the value of element id in
 * its one-byte block (-1: none); the payload after the header checked.
 */
static int
tw_of(unsigned int i, uint16_t in_seq, uint8_t id, uint16_t *hdr_len, struct fake_out *o)
{
	const uint8_t *p;
	uint16_t len, blk, k;
	int val = -1;

	out(i, o);
	p = o->payload;
	*hdr_len = 12;
	if (p[0] & 0x10) {
		assert_int_equal(frame_rd16(p + 12), 0xbede);
		blk = (uint16_t)(4 * frame_rd16(p + 14));
		*hdr_len = (uint16_t)(16 + blk);
		for (k = 16; k < 16 + blk;) {
			if (p[k] == 0) {
				k++;
				continue;
			}
			len = (uint16_t)((p[k] & 0x0f) + 1);
			if (p[k] >> 4 == id) {
				assert_int_equal(len, 2);
				val = frame_rd16(p + k + 1);
			}
			k = (uint16_t)(k + 1 + len);
		}
	}
	assert_int_equal(o->payload_len, *hdr_len + BIG);
	for (k = 0; k < BIG; k++)
		assert_int_equal(p[*hdr_len + k], (uint8_t)(in_seq + k));
	return val;
}

static void
test_one_counter_two_consumers(void **state)
{
	struct fake_out o;
	uint16_t hl;
	int n = 0;

	RTE_SET_USED(state);
	tw_consumer(0, A_SSRC, TW_ID);
	tw_consumer(1, B_SSRC, TW_ID);
	publish(2, 0, 1);
	for (uint16_t s = 10; s < 13; s++) {
		send_ext(s, true);
		assert_int_equal(fake_n_tx, 2);
		for (unsigned int i = 0; i < 2; i++, n++) {
			/* where the sender's was: the header keeps its length */
			assert_int_equal(tw_of(i, s, TW_ID, &hl, &o), n);
			assert_int_equal(hl, 24);
			assert_int_equal(tw_of(i, s, SENDER_TW_ID, &hl, &o), -1);
			assert_memory_equal(o.payload + 16, "\x10\xaa", 2);
		}
		fake_tx_free_all();
	}
	/* a packet without a block: one is added */
	send_ext(13, false);
	for (unsigned int i = 0; i < 2; i++, n++) {
		assert_int_equal(tw_of(i, 13, TW_ID, &hl, &o), n);
		assert_int_equal(hl, 20);
	}
	fake_tx_free_all();
	assert_int_equal(w->stats->ctr[CASCADE_LC_TWCC_STAMPED], 8);
	assert_int_equal(atomic_load(&twcc.tx.next_seq), 8);
}

/* Without transport-cc: the sender's number is blanked, nothing is added. */
static void
test_sender_number_never_forwarded(void **state)
{
	struct fake_out o;
	uint16_t hl;

	RTE_SET_USED(state);
	tw_consumer(0, A_SSRC, 0);
	tw_consumer(1, B_SSRC, TW_ID);
	publish(2, 0, 1);
	send_ext(20, true);
	assert_int_equal(tw_of(0, 20, SENDER_TW_ID, &hl, &o), -1);
	assert_int_equal(hl, 24);
	assert_memory_equal(o.payload + 16, "\x10\xaa\x00\x00\x00\x00\x00\x00", 8);
	assert_int_equal(tw_of(1, 20, TW_ID, &hl, &o), 0);
	fake_tx_free_all();
	send_ext(21, false);
	assert_int_equal(tw_of(0, 21, TW_ID, &hl, &o), -1);
	assert_int_equal(hl, 12);
	assert_int_equal(tw_of(1, 21, TW_ID, &hl, &o), 1);
	fake_tx_free_all();
	assert_int_equal(w->stats->ctr[CASCADE_LC_TWCC_STAMPED], 2);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_twcc, fake_teardown)
	const struct CMUnitTest tests[] = {
		T(test_one_counter_two_consumers),
		T(test_sender_number_never_forwarded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
