/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cp_map: put/get/del, growth past many resizes, tombstone reuse, iteration,
 * against a plain array as the reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cp_map.h"

#define N 20000

static char keys[N][16];

static void
count_cb(const char *key, void *val, void *arg)
{
	(void)key;
	(void)val;
	(*(size_t *)arg)++;
}

static void
test_map_basic(void **state)
{
	struct cp_map m = {0};
	size_t i, n = 0;

	(void)state;
	assert_null(cp_map_get(&m, "missing"));
	assert_null(cp_map_del(&m, "missing"));
	for (i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		assert_int_equal(cp_map_put(&m, keys[i], &keys[i]), 0);
	}
	for (i = 0; i < N; i++)
		assert_ptr_equal(cp_map_get(&m, keys[i]), &keys[i]);
	/* delete the even ones; the odd ones stay findable across tombstones */
	for (i = 0; i < N; i += 2)
		assert_ptr_equal(cp_map_del(&m, keys[i]), &keys[i]);
	for (i = 0; i < N; i++)
		if (i % 2)
			assert_ptr_equal(cp_map_get(&m, keys[i]), &keys[i]);
		else
			assert_null(cp_map_get(&m, keys[i]));
	cp_map_each(&m, count_cb, &n);
	assert_int_equal(n, N / 2);
	/* put them back: tombstones are reused, nothing is lost */
	for (i = 0; i < N; i += 2)
		assert_int_equal(cp_map_put(&m, keys[i], &keys[i]), 0);
	for (i = 0; i < N; i++)
		assert_ptr_equal(cp_map_get(&m, keys[i]), &keys[i]);
	assert_int_equal(m.used, N);
	cp_map_free(&m);
	assert_null(cp_map_get(&m, keys[1]));
}

static void
test_map_churn(void **state)
{
	struct cp_map m = {0};
	size_t round, i;

	(void)state;
	/* many add/delete cycles on a small live set must not grow without bound */
	for (round = 0; round < 200; round++) {
		for (i = 0; i < 100; i++)
			assert_int_equal(cp_map_put(&m, keys[i], &keys[i]), 0);
		for (i = 0; i < 100; i++)
			assert_ptr_equal(cp_map_del(&m, keys[i]), &keys[i]);
	}
	assert_int_equal(m.used, 0);
	assert_true(m.cap <= 1024);
	cp_map_free(&m);
}

/*
 * Fresh ids under churn (every object gets a new UUID): each delete leaves a
 * tombstone at another slot, so a map that only clears tombstones when it grows
 * doubles forever. A million put/delete pairs with a few live entries must keep
 * the capacity bounded and every live entry findable.
 */
#define FRESH 1000000
#define LIVE 8

static void
test_map_fresh_ids(void **state)
{
	static char fresh[LIVE][24];
	struct cp_map m = {0};
	size_t i, max_cap = 0;

	(void)state;
	for (i = 0; i < FRESH; i++) {
		char *k = fresh[i % LIVE];

		if (i >= LIVE)
			assert_ptr_equal(cp_map_del(&m, k), k);
		snprintf(k, sizeof(fresh[0]), "id-%zu", i);
		assert_null(cp_map_get(&m, k));
		assert_int_equal(cp_map_put(&m, k, k), 0);
		assert_ptr_equal(cp_map_get(&m, fresh[(i + 1) % LIVE]),
				 i + 1 >= LIVE ? fresh[(i + 1) % LIVE] : NULL);
		if (m.cap > max_cap)
			max_cap = m.cap;
	}
	assert_int_equal(m.used, LIVE);
	for (i = 0; i < LIVE; i++)
		assert_ptr_equal(cp_map_get(&m, fresh[i]), fresh[i]);
	/* LIVE entries need the smallest table: 64 slots; a rehash in place keeps it */
	assert_true(max_cap <= 64);
	cp_map_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_basic),
		cmocka_unit_test(test_map_churn),
		cmocka_unit_test(test_map_fresh_ids),
	};
	size_t i;

	for (i = 0; i < N; i++)
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
