/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay a libFuzzer target's inputs in a unit test: every file of a seed
 * corpus or regression directory goes through the target's entry point, linked
 * in as a plain function. A fuzz target lives in tests/fuzz/fuzz_NAME.c with
 * its inputs in tests/fuzz/corpus/fuzz_NAME/ and tests/fuzz/regressions/fuzz_NAME/
 * (every crasher the fuzzer finds is committed there, with its fix).
 */
#ifndef FUZZ_REPLAY_H
#define FUZZ_REPLAY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Feed every regular file of dir (dot files skipped) to fn. Returns how many
 * were replayed (0 when dir does not exist); fails the running cmocka test if
 * a file cannot be read.
 */
unsigned int fuzz_replay_dir(const char *dir, int (*fn)(const uint8_t *data, size_t size));

/*
 * Replay tests/fuzz/corpus/NAME and tests/fuzz/regressions/NAME under
 * fuzz_dir (the tests/fuzz directory) through fn; fails the test unless the
 * corpus holds at least one input.
 */
void fuzz_replay_target(const char *fuzz_dir, const char *name,
			int (*fn)(const uint8_t *data, size_t size));

#endif /* FUZZ_REPLAY_H */
