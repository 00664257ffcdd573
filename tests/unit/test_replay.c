/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replays the seed corpus and regression inputs of the dataplane fuzz target
 * CASCADE_FUZZ_TARGET (tests/fuzz/CASCADE_FUZZ_TARGET.c, linked in as plain
 * functions) on every build, so an input that once crashed keeps being run
 * where the fuzzer is not. These targets need EAL, which they start in
 * LLVMFuzzerInitialize() without hugepages, root or shared files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fuzz_replay.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
test_replay_corpus_and_regressions(void **state)
{
	(void)state;
	fuzz_replay_target(CASCADE_FUZZ_DIR, CASCADE_FUZZ_TARGET, LLVMFuzzerTestOneInput);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_corpus_and_regressions),
	};

	LLVMFuzzerInitialize(&argc, &argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
