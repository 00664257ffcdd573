/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fuzz targets' corpora and regression inputs, replayed on every build
 * (see fuzz_replay.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_replay.h"

unsigned int
fuzz_replay_dir(const char *dir, int (*fn)(const uint8_t *data, size_t size))
{
	char path[1024];
	struct dirent *de;
	unsigned int count = 0;
	uint8_t *data;
	DIR *d = opendir(dir);
	FILE *fp;
	long size;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fp = fopen(path, "rb");
		assert_non_null(fp);
		assert_int_equal(fseek(fp, 0, SEEK_END), 0);
		size = ftell(fp);
		assert_true(size >= 0);
		rewind(fp);
		data = malloc((size_t)size + 1);
		assert_non_null(data);
		assert_int_equal(fread(data, 1, (size_t)size, fp), (size_t)size);
		fclose(fp);
		fn(data, (size_t)size);
		free(data);
		count++;
	}
	closedir(d);
	return count;
}

void
fuzz_replay_target(const char *fuzz_dir, const char *name,
		   int (*fn)(const uint8_t *data, size_t size))
{
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/corpus/%s", fuzz_dir, name);
	if (fuzz_replay_dir(dir, fn) == 0)
		fail_msg("no seed inputs in %s", dir);
	snprintf(dir, sizeof(dir), "%s/regressions/%s", fuzz_dir, name);
	fuzz_replay_dir(dir, fn);
}
