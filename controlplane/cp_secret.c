/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Secrets from files, the environment and systemd credentials (cp_secret.h).
 * A secret file is read whole with one read (it is small), must be a regular
 * file, and holds one line; a final "\n" or "\r\n" is dropped so that
 * `echo TOKEN >file` works. Its mode is checked, not enforced: a file group or
 * others can read gets a warning, since a deployment may have reasons (a
 * group the service runs as) that this process cannot judge.
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cp_secret.h"

static int
bad(const char *field, const char *path, const char *why)
{
	if (path != NULL)
		fprintf(stderr, "cascade-cp: config: %s: %s: %s\n", field, path, why);
	else
		fprintf(stderr, "cascade-cp: config: %s: %s\n", field, why);
	return -1;
}

static void
warn_mode(const struct stat *st, const char *field, const char *path)
{
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0)
		fprintf(stderr,
			"cascade-cp: config: %s: warning: %s is accessible to group or others "
			"(mode %04o); make it 0600 or 0400\n",
			field, path, (unsigned int)(st->st_mode & 07777));
}

void
cp_secret_check_mode(const char *path, const char *field)
{
	struct stat st;

	if (stat(path, &st) == 0)
		warn_mode(&st, field, path);
}

/* One line, no control characters: what an HTTP header or a Redis AUTH can carry. */
static int
check_value(const char *s, size_t min_len, const char *field, const char *path)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return bad(field, path, "empty");
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return bad(field, path, "must be one line without control characters");
	if (n < min_len) {
		char why[64];
		snprintf(why, sizeof(why), "too short, at least %zu characters", min_len);
		return bad(field, path, why);
	}
	return 0;
}

static int
read_file(const char *path, const char *field, size_t min_len, char *dst, size_t cap)
{
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		memset(dst, 0, cap); /* no half of an inline value left behind */
		return bad(field, path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		bad(field, path, "not a regular file");
		goto out;
	}
	warn_mode(&st, field, path);
	if ((size_t)st.st_size >= cap) {
		bad(field, path, "too long");
		goto out;
	}
	n = read(fd, dst, cap - 1);
	if (n < 0) {
		bad(field, path, strerror(errno));
		goto out;
	}
	dst[n] = '\0';
	if (memchr(dst, '\0', (size_t)n) != NULL) {
		bad(field, path, "holds a NUL byte");
		goto out;
	}
	if (n > 0 && dst[n - 1] == '\n')
		dst[--n] = '\0';
	if (n > 0 && dst[n - 1] == '\r')
		dst[--n] = '\0';
	rc = check_value(dst, min_len, field, path);
out:
	if (rc < 0)
		memset(dst, 0, cap);
	close(fd);
	return rc;
}

int
cp_secret_load(const struct cp_secret_src *src, const char *file, size_t min_len, char *dst,
	       size_t cap)
{
	const char *env = getenv(src->env), *dir = getenv("CREDENTIALS_DIRECTORY");
	char cred[PATH_MAX];

	if (env != NULL) {
		int rc;

		if (strlen(env) >= cap)
			rc = bad(src->env, NULL, "too long");
		else
			rc = check_value(env, min_len, src->env, NULL);
		if (rc == 0)
			snprintf(dst, cap, "%s", env);
		unsetenv(src->env); /* no child inherits it */
		return rc;
	}
	if (dir != NULL && dir[0] != '\0' &&
	    snprintf(cred, sizeof(cred), "%s/%s", dir, src->cred) < (int)sizeof(cred) &&
	    access(cred, F_OK) == 0) {
		char field[64];
		snprintf(field, sizeof(field), "credential %s", src->cred);
		return read_file(cred, field, min_len, dst, cap);
	}
	if (file[0] != '\0')
		return read_file(file, src->file_field, min_len, dst, cap);
	if (dst[0] != '\0')
		return check_value(dst, min_len, src->inline_field, NULL);
	if (min_len > 0) {
		char why[160];
		snprintf(why, sizeof(why), "required (or %s%s%s, or the credential %s)", src->env,
			 src->inline_field != NULL ? ", or " : "",
			 src->inline_field != NULL ? src->inline_field : "", src->cred);
		return bad(src->file_field, NULL, why);
	}
	return 0;
}
