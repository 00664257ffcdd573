/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the tables' main-lcore bookkeeping: the deferred-reclamation
 * FIFO (dp_defer.c) and the slot relations with their publish-and-stamp
 * commit (dp_lists.c), both leaf modules, driven with a real rte_rcu_qsbr on
 * plain cache-aligned memory (no EAL) whose one registered reader is the test
 * itself: it reports quiescence exactly when a test says so, so a grace
 * period ends at a known point.
 *
 * Covered: a deferred entry runs only after the grace period of its batch's
 * stamp (a quiescent state reported before the stamp does not count), in FIFO
 * order, across growth of the queue past its initial capacity; entries not
 * stamped yet never run (but for the shutdown's run-all), and a batch stamped
 * later waits for its own grace period; when a consumer list cannot be
 * published, the batch's entries (a slot release and a reply) stay unstamped
 * and unrun even after a grace period, and so does every later batch, until a
 * commit publishes the list; each dirty list is published once per commit;
 * O(1) removal keeps every member's position right under random adds and
 * deletes (checked against a simple model); a transport's relations lead to
 * exactly its own producers and consumers, and walking them as a transport
 * delete does leaves the other transports' relations whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "dp_defer.h"
#include "dp_lists.h"

#define READER 0 /* the one registered reader's thread id */

enum {
	KIND_SLOT = 1,
	KIND_REPLY
};

static struct rte_rcu_qsbr *qsbr;
static struct dp_defer_q q;
static struct dp_lists lists;

/* What ran, in order. */
static struct {
	uint32_t n;
	uint8_t kind[512];
	uint32_t slot[512];
	uint64_t req_id[512];
} ran;

/* What the commit published. */
static struct {
	uint32_t calls;
	int fail; /* -ENOMEM: refuse every list */
	uint32_t pslot[16];
	uint32_t n[16];
	uint32_t slots[16][64];
} pub;

static int
setup(void **state)
{
	size_t size = rte_rcu_qsbr_get_memsize(1);

	RTE_SET_USED(state);
	size = (size + RTE_CACHE_LINE_SIZE - 1) & ~(size_t)(RTE_CACHE_LINE_SIZE - 1);
	qsbr = aligned_alloc(RTE_CACHE_LINE_SIZE, size);
	assert_non_null(qsbr);
	memset(qsbr, 0, size);
	assert_int_equal(rte_rcu_qsbr_init(qsbr, 1), 0);
	assert_int_equal(rte_rcu_qsbr_thread_register(qsbr, READER), 0);
	rte_rcu_qsbr_thread_online(qsbr, READER);
	assert_int_equal(dp_defer_init(&q, 4), 0);
	assert_int_equal(dp_lists_init(&lists, 8, 8, 64), 0);
	memset(&ran, 0, sizeof(ran));
	memset(&pub, 0, sizeof(pub));
	return 0;
}

static void run(void *ctx, struct dp_defer_ent *e);
static bool done(void *ctx, uint64_t token);

static int
teardown(void **state)
{
	RTE_SET_USED(state);
	dp_defer_run(&q, true, done, run, qsbr);
	dp_defer_fini(&q);
	dp_lists_fini(&lists);
	rte_rcu_qsbr_thread_offline(qsbr, READER);
	rte_rcu_qsbr_thread_unregister(qsbr, READER);
	free(qsbr);
	return 0;
}

/* ---- callbacks, as dp_table.c wires them ------------------------------------------------- */

static bool
done(void *ctx, uint64_t token)
{
	return rte_rcu_qsbr_check(ctx, token, false) == 1;
}

static void
run(void *ctx, struct dp_defer_ent *e)
{
	RTE_SET_USED(ctx);
	assert_true(ran.n < RTE_DIM(ran.kind));
	ran.kind[ran.n] = e->kind;
	ran.slot[ran.n] = e->slot;
	ran.req_id[ran.n] = e->reply.req_id;
	ran.n++;
}

static uint64_t
token(void *ctx)
{
	return rte_rcu_qsbr_start(ctx);
}

static int
publish(void *ctx, uint32_t pslot, const uint32_t *slots, uint32_t n)
{
	RTE_SET_USED(ctx);
	if (pub.fail)
		return pub.fail;
	assert_true(pub.calls < RTE_DIM(pub.pslot) && n <= RTE_DIM(pub.slots[0]));
	pub.pslot[pub.calls] = pslot;
	pub.n[pub.calls] = n;
	memcpy(pub.slots[pub.calls], slots, n * sizeof(*slots));
	pub.calls++;
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static void
push_slot(uint32_t slot)
{
	struct dp_defer_ent *e = dp_defer_push(&q);

	assert_non_null(e);
	assert_true(e->token == DP_DEFER_UNSTAMPED);
	e->kind = KIND_SLOT;
	e->slot = slot;
}

static void
push_reply(uint64_t req_id)
{
	struct dp_defer_ent *e = dp_defer_push(&q);

	assert_non_null(e);
	e->kind = KIND_REPLY;
	e->reply.req_id = req_id;
}

static void
stamp(void)
{
	dp_defer_stamp(&q, rte_rcu_qsbr_start(qsbr));
}

/* The reader passes through a quiescent state (once per worker loop, in the dataplane). */
static void
quiescent(void)
{
	rte_rcu_qsbr_quiescent(qsbr, READER);
}

static size_t
reclaim(void)
{
	return dp_defer_run(&q, false, done, run, qsbr);
}

static void
expect_ran_slots(uint32_t from, uint32_t n, const uint32_t *slots)
{
	uint32_t i;

	assert_int_equal(ran.n, from + n);
	for (i = 0; i < n; i++) {
		assert_int_equal(ran.kind[from + i], KIND_SLOT);
		assert_int_equal(ran.slot[from + i], slots[i]);
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* owner's members in rel, sorted, equal want[0..n) (sorted); every position right. */
static void
expect_members(enum dp_rel rel, uint32_t owner, const uint32_t *want, uint32_t n)
{
	uint32_t got[64], k, i;
	const uint32_t *v = dp_lists_get(&lists, rel, owner, &k);

	assert_int_equal(k, n);
	for (i = 0; i < k; i++)
		assert_int_equal(lists.pos[rel][v[i]], i);
	for (i = 0; i < k; i++)
		got[i] = v[i];
	qsort(got, k, sizeof(*got), cmp_u32);
	for (i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

/* ---- the deferral FIFO -------------------------------------------------------------------- */

static void
test_entry_runs_only_after_grace_period(void **state)
{
	const uint32_t one[] = {1};

	RTE_SET_USED(state);
	/* a quiescent state from before the stamp does not end its grace period */
	quiescent();
	push_slot(1);
	stamp();
	assert_int_equal(reclaim(), 0);
	assert_int_equal(dp_defer_pending(&q), 1);
	quiescent();
	assert_int_equal(reclaim(), 1);
	expect_ran_slots(0, 1, one);
	assert_int_equal(dp_defer_pending(&q), 0);
}

static void
test_entries_run_in_fifo_order(void **state)
{
	const uint32_t first[] = {1, 2}, all[] = {1, 2, 3, 4};

	RTE_SET_USED(state);
	push_slot(1);
	push_slot(2);
	stamp();
	quiescent();
	push_slot(3);
	push_slot(4);
	stamp();
	/* the first batch's grace period is over, the second's is not */
	assert_int_equal(reclaim(), 2);
	expect_ran_slots(0, 2, first);
	quiescent();
	assert_int_equal(reclaim(), 2);
	expect_ran_slots(0, 4, all);
}

static void
test_queue_grows_past_initial_capacity(void **state)
{
	uint32_t want[100], i;

	RTE_SET_USED(state);
	/* move the ring's head off 0 so that growing has to unwrap it (capacity 4) */
	push_slot(1000);
	push_slot(1001);
	stamp();
	quiescent();
	for (i = 0; i < 3; i++)
		push_slot(i);
	assert_int_equal(reclaim(), 2);
	for (i = 3; i < 100; i++)
		push_slot(i);
	assert_int_equal(dp_defer_pending(&q), 100);
	assert_true(q.cap >= 100);
	stamp();
	assert_int_equal(reclaim(), 0);
	quiescent();
	assert_int_equal(reclaim(), 100);
	for (i = 0; i < 100; i++)
		want[i] = i;
	expect_ran_slots(2, 100, want);
}

static void
test_unstamped_entries_never_run(void **state)
{
	const uint32_t one[] = {5};
	int i;

	RTE_SET_USED(state);
	push_slot(5);
	for (i = 0; i < 3; i++) {
		quiescent();
		assert_int_equal(reclaim(), 0);
	}
	assert_true(dp_defer_has_unstamped(&q));
	/* only shutdown, with the workers stopped, runs everything */
	assert_int_equal(dp_defer_run(&q, true, done, run, qsbr), 1);
	expect_ran_slots(0, 1, one);
}

static void
test_later_batch_waits_for_its_own_stamp(void **state)
{
	const uint32_t a[] = {1}, ab[] = {1, 2};

	RTE_SET_USED(state);
	push_slot(1);
	stamp();
	push_slot(2); /* the next batch, not stamped yet */
	quiescent();
	assert_int_equal(reclaim(), 1);
	expect_ran_slots(0, 1, a);
	stamp();
	assert_int_equal(reclaim(), 0); /* its own grace period has not passed */
	quiescent();
	assert_int_equal(reclaim(), 1);
	expect_ran_slots(0, 2, ab);
}

/* ---- publish and stamp -------------------------------------------------------------------- */

static void
test_publish_failure_holds_the_batch(void **state)
{
	RTE_SET_USED(state);
	/* producer 0 has consumers 1 and 2, published */
	assert_int_equal(dp_lists_add(&lists, DP_REL_PROD_CONS, 0, 1), 0);
	assert_int_equal(dp_lists_add(&lists, DP_REL_PROD_CONS, 0, 2), 0);
	assert_int_equal(dp_lists_commit(&lists, &q, publish, token, qsbr), 0);
	pub.calls = 0;
	/* a batch deletes consumer 1: its slot and its reply wait for the new list */
	dp_lists_del(&lists, DP_REL_PROD_CONS, 0, 1);
	push_slot(1);
	push_reply(77);
	pub.fail = -ENOMEM;
	assert_int_equal(dp_lists_commit(&lists, &q, publish, token, qsbr), -ENOMEM);
	assert_int_equal(lists.n_dirty, 1);
	assert_true(dp_defer_has_unstamped(&q));
	quiescent();
	assert_int_equal(reclaim(), 0);
	/* a later batch fails too, and holds its entries back behind the first */
	push_slot(9);
	assert_int_equal(dp_lists_commit(&lists, &q, publish, token, qsbr), -ENOMEM);
	quiescent();
	assert_int_equal(reclaim(), 0);
	assert_int_equal(ran.n, 0);
	/* memory is back: the list without consumer 1 goes live, then everything is stamped */
	pub.fail = 0;
	assert_int_equal(dp_lists_commit(&lists, &q, publish, token, qsbr), 0);
	assert_int_equal(pub.calls, 1);
	assert_int_equal(pub.pslot[0], 0);
	assert_int_equal(pub.n[0], 1);
	assert_int_equal(pub.slots[0][0], 2);
	assert_int_equal(lists.n_dirty, 0);
	assert_false(dp_defer_has_unstamped(&q));
	/* still not before a grace period of that publish */
	assert_int_equal(reclaim(), 0);
	quiescent();
	assert_int_equal(reclaim(), 3);
	assert_int_equal(ran.kind[0], KIND_SLOT);
	assert_int_equal(ran.slot[0], 1);
	assert_int_equal(ran.kind[1], KIND_REPLY);
	assert_int_equal(ran.req_id[1], 77);
	assert_int_equal(ran.kind[2], KIND_SLOT);
	assert_int_equal(ran.slot[2], 9);
}

static void
test_commit_publishes_each_dirty_list_once(void **state)
{
	const uint32_t p0[] = {3, 4, 5};
	uint32_t got[3];

	RTE_SET_USED(state);
	assert_int_equal(dp_lists_add(&lists, DP_REL_PROD_CONS, 0, 3), 0);
	assert_int_equal(dp_lists_add(&lists, DP_REL_PROD_CONS, 0, 4), 0);
	assert_int_equal(dp_lists_add(&lists, DP_REL_PROD_CONS, 0, 5), 0);
	assert_int_equal(dp_lists_add(&lists, DP_REL_PROD_CONS, 1, 6), 0);
	/* other relations publish nothing */
	assert_int_equal(dp_lists_add(&lists, DP_REL_TP_CONS, 2, 7), 0);
	assert_int_equal(dp_lists_commit(&lists, &q, publish, token, qsbr), 0);
	assert_int_equal(pub.calls, 2);
	assert_int_equal(pub.pslot[0], 0);
	assert_int_equal(pub.n[0], 3);
	memcpy(got, pub.slots[0], sizeof(got));
	qsort(got, 3, sizeof(got[0]), cmp_u32);
	assert_memory_equal(got, p0, sizeof(p0));
	assert_int_equal(pub.pslot[1], 1);
	assert_int_equal(pub.n[1], 1);
	assert_int_equal(pub.slots[1][0], 6);
	/* nothing changed since: nothing to publish; nothing deferred: nothing stamped */
	assert_int_equal(dp_lists_commit(&lists, &q, publish, token, qsbr), 0);
	assert_int_equal(pub.calls, 2);
	assert_int_equal(dp_defer_pending(&q), 0);
	/* a producer marked on its own (new or deleted) publishes its list as it is */
	dp_lists_mark(&lists, 1);
	assert_int_equal(dp_lists_commit(&lists, &q, publish, token, qsbr), 0);
	assert_int_equal(pub.calls, 3);
	assert_int_equal(pub.pslot[2], 1);
	assert_int_equal(pub.n[2], 1);
}

/* ---- relations ---------------------------------------------------------------------------- */

static uint32_t
rng(uint64_t *s)
{
	/* xorshift64: a fixed sequence, so a failure is reproducible */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 32);
}

static void
test_removal_keeps_positions_right(void **state)
{
	enum {
		OWNERS = 4,
		MEMBERS = 64
	};
	int owner_of[MEMBERS]; /* the model: -1 when not a member */
	uint32_t want[MEMBERS], n, o, m, i;
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	RTE_SET_USED(state);
	for (m = 0; m < MEMBERS; m++)
		owner_of[m] = -1;
	for (i = 0; i < 20000; i++) {
		m = rng(&seed) % MEMBERS;
		o = rng(&seed) % OWNERS;
		if (owner_of[m] < 0) {
			assert_int_equal(dp_lists_add(&lists, DP_REL_TP_CONS, o, m), 0);
			owner_of[m] = (int)o;
		} else if ((uint32_t)owner_of[m] != o) {
			/* not its owner: removing it there changes nothing */
			dp_lists_del(&lists, DP_REL_TP_CONS, o, m);
		} else {
			dp_lists_del(&lists, DP_REL_TP_CONS, o, m);
			owner_of[m] = -1;
		}
		for (o = 0; o < OWNERS; o++) {
			for (n = 0, m = 0; m < MEMBERS; m++)
				if (owner_of[m] == (int)o)
					want[n++] = m;
			expect_members(DP_REL_TP_CONS, o, want, n);
		}
	}
}

static void
test_transport_relations_cascade(void **state)
{
	enum {
		T1 = 1,
		T2 = 2,
		P1 = 1,
		P2 = 2
	};
	/* consumer: its producer and the transport it sends on */
	const uint32_t cons[][2] = {{0, 0}, {P1, T1}, {P2, T1}, {P1, T2}, {P2, T2}};
	const uint32_t p2_left[] = {4}, t2_prod[] = {P2};
	const uint32_t *v;
	uint32_t c, n, i;

	RTE_SET_USED(state);
	assert_int_equal(dp_lists_add(&lists, DP_REL_LIVE_TP, 0, T1), 0);
	assert_int_equal(dp_lists_add(&lists, DP_REL_LIVE_TP, 0, T2), 0);
	assert_int_equal(dp_lists_add(&lists, DP_REL_TP_PROD, T1, P1), 0);
	assert_int_equal(dp_lists_add(&lists, DP_REL_TP_PROD, T2, P2), 0);
	for (c = 1; c < RTE_DIM(cons); c++) {
		assert_int_equal(dp_lists_add(&lists, DP_REL_PROD_CONS, cons[c][0], c), 0);
		assert_int_equal(dp_lists_add(&lists, DP_REL_TP_CONS, cons[c][1], c), 0);
	}
	assert_int_equal(dp_lists_commit(&lists, &q, publish, token, qsbr), 0);
	pub.calls = 0;
	/*
	 * Delete T1 as transport_remove does: its consumers, then its producers
	 * with theirs, each loop taking the last member until none is left (a
	 * removal that leaves its member in place fails here rather than loops).
	 */
	while ((v = dp_lists_get(&lists, DP_REL_TP_CONS, T1, &n)), n > 0) {
		c = v[n - 1];
		dp_lists_del(&lists, DP_REL_PROD_CONS, cons[c][0], c);
		dp_lists_del(&lists, DP_REL_TP_CONS, T1, c);
		dp_lists_get(&lists, DP_REL_TP_CONS, T1, &i);
		assert_int_equal(i, n - 1);
	}
	while ((v = dp_lists_get(&lists, DP_REL_TP_PROD, T1, &n)), n > 0) {
		uint32_t p = v[n - 1], k;

		while ((v = dp_lists_get(&lists, DP_REL_PROD_CONS, p, &k)), k > 0) {
			c = v[k - 1];
			dp_lists_del(&lists, DP_REL_PROD_CONS, p, c);
			dp_lists_del(&lists, DP_REL_TP_CONS, cons[c][1], c);
			dp_lists_get(&lists, DP_REL_PROD_CONS, p, &i);
			assert_int_equal(i, k - 1);
		}
		dp_lists_mark(&lists, p);
		dp_lists_del(&lists, DP_REL_TP_PROD, T1, p);
		dp_lists_get(&lists, DP_REL_TP_PROD, T1, &i);
		assert_int_equal(i, n - 1);
	}
	dp_lists_del(&lists, DP_REL_LIVE_TP, 0, T1);
	expect_members(DP_REL_TP_CONS, T1, NULL, 0);
	expect_members(DP_REL_TP_PROD, T1, NULL, 0);
	expect_members(DP_REL_PROD_CONS, P1, NULL, 0);
	/* T2 keeps its producer and the consumer that sends on it; P2 lost one */
	expect_members(DP_REL_TP_PROD, T2, t2_prod, 1);
	expect_members(DP_REL_TP_CONS, T2, p2_left, 1);
	expect_members(DP_REL_PROD_CONS, P2, p2_left, 1);
	expect_members(DP_REL_LIVE_TP, 0, t2_prod, 1); /* T2 == 2 */
	/* both producers' lists changed: both are published, once each */
	assert_int_equal(dp_lists_commit(&lists, &q, publish, token, qsbr), 0);
	assert_int_equal(pub.calls, 2);
	for (i = 0; i < pub.calls; i++) {
		if (pub.pslot[i] == P1) {
			assert_int_equal(pub.n[i], 0);
		} else {
			assert_int_equal(pub.pslot[i], P2);
			assert_int_equal(pub.n[i], 1);
			assert_int_equal(pub.slots[i][0], 4);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_entry_runs_only_after_grace_period),
		T(test_entries_run_in_fifo_order),
		T(test_queue_grows_past_initial_capacity),
		T(test_unstamped_entries_never_run),
		T(test_later_batch_waits_for_its_own_stamp),
		T(test_publish_failure_holds_the_batch),
		T(test_commit_publishes_each_dirty_list_once),
		T(test_removal_keeps_positions_right),
		T(test_transport_relations_cascade),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
