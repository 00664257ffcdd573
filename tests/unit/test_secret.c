/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cp_secret and the configuration's secrets: which source wins (environment,
 * systemd credential, file, inline), what a secret file may hold, the warning
 * on a file others can read, the refused flags and api.metrics_auth's default.
 * Files live in a private temp dir; stderr goes to a file the tests read.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cp_config.h"
#include "cp_secret.h"

static struct {
	char dir[128];
	char err[160]; /* where stderr goes */
	int saved_stderr;
} t;

static const struct cp_secret_src src = {"CASCADE_TEST_SECRET", "test-secret", "x.secret_file",
					 "x.secret"};

static char *
path(const char *name)
{
	static char p[4][256];
	static unsigned int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", t.dir, name);
	return p[i];
}

static void
put(const char *name, const char *text, mode_t mode)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path(name), mode), 0);
}

/* What went to stderr since the last call (and empties it). */
static const char *
err_text(void)
{
	static char buf[4096];
	FILE *f;
	size_t n;

	fflush(stderr);
	f = fopen(t.err, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_int_equal(truncate(t.err, 0), 0);
	return buf;
}

static int
setup(void **state)
{
	int fd;

	(void)state;
	snprintf(t.dir, sizeof(t.dir), "%s/cascade-test-secret.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(t.dir));
	snprintf(t.err, sizeof(t.err), "%s/stderr", t.dir);
	fflush(stderr);
	t.saved_stderr = dup(2);
	fd = open(t.err, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600); /* err_text truncates */
	assert_true(fd >= 0);
	dup2(fd, 2);
	close(fd);
	unsetenv("CASCADE_TEST_SECRET");
	unsetenv("CREDENTIALS_DIRECTORY");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	fflush(stderr);
	dup2(t.saved_stderr, 2);
	close(t.saved_stderr);
	/* what a failed test said went to the file: show it */
	fputs(err_text(), stderr);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t.dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_file(void **state)
{
	char s[64] = "";

	(void)state;
	put("ok", "0123456789abcdef\n", 0600);
	assert_int_equal(cp_secret_load(&src, path("ok"), 16, s, sizeof(s)), 0);
	assert_string_equal(s, "0123456789abcdef");
	assert_string_equal(err_text(), "");
	put("crlf", "0123456789abcdef\r\n", 0400);
	assert_int_equal(cp_secret_load(&src, path("crlf"), 16, s, sizeof(s)), 0);
	assert_string_equal(s, "0123456789abcdef");
	/* readable by others: a warning naming the field, and the secret still read */
	put("open", "0123456789abcdef", 0644);
	assert_int_equal(cp_secret_load(&src, path("open"), 16, s, sizeof(s)), 0);
	assert_non_null(strstr(err_text(), "x.secret_file: warning:"));
	/* refused, naming the field: missing, empty, short, two lines, too long */
	assert_int_equal(cp_secret_load(&src, path("missing"), 16, s, sizeof(s)), -1);
	assert_non_null(strstr(err_text(), "x.secret_file: "));
	assert_string_equal(s, "");
	put("empty", "", 0600);
	assert_int_equal(cp_secret_load(&src, path("empty"), 0, s, sizeof(s)), -1);
	assert_non_null(strstr(err_text(), "empty"));
	put("short", "short\n", 0600);
	assert_int_equal(cp_secret_load(&src, path("short"), 16, s, sizeof(s)), -1);
	assert_non_null(strstr(err_text(), "too short"));
	put("lines", "0123456789abcdef\nsecond\n", 0600);
	assert_int_equal(cp_secret_load(&src, path("lines"), 16, s, sizeof(s)), -1);
	assert_non_null(strstr(err_text(), "one line"));
	put("long", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0600);
	assert_int_equal(cp_secret_load(&src, path("long"), 16, s, sizeof(s)), -1);
	assert_non_null(strstr(err_text(), "too long"));
	assert_int_equal(cp_secret_load(&src, t.dir, 16, s, sizeof(s)), -1);
	assert_non_null(strstr(err_text(), "not a regular file"));
}

static void
test_precedence(void **state)
{
	char s[64];

	(void)state;
	put("file", "from-the-file-0123456789", 0600);
	mkdir(path("creds"), 0700);
	put("creds/test-secret", "from-the-credential-0123", 0400);
	/* inline alone */
	snprintf(s, sizeof(s), "inline-secret-0123456789");
	assert_int_equal(cp_secret_load(&src, "", 16, s, sizeof(s)), 0);
	assert_string_equal(s, "inline-secret-0123456789");
	/* the file over inline */
	assert_int_equal(cp_secret_load(&src, path("file"), 16, s, sizeof(s)), 0);
	assert_string_equal(s, "from-the-file-0123456789");
	/* the credential over the file */
	setenv("CREDENTIALS_DIRECTORY", path("creds"), 1);
	assert_int_equal(cp_secret_load(&src, path("file"), 16, s, sizeof(s)), 0);
	assert_string_equal(s, "from-the-credential-0123");
	/* the environment over all, and unset once read */
	setenv("CASCADE_TEST_SECRET", "from-the-environment-01", 1);
	assert_int_equal(cp_secret_load(&src, path("file"), 16, s, sizeof(s)), 0);
	assert_string_equal(s, "from-the-environment-01");
	assert_null(getenv("CASCADE_TEST_SECRET"));
	/* a credential directory without this credential: on to the file */
	setenv("CREDENTIALS_DIRECTORY", t.dir, 1);
	assert_int_equal(cp_secret_load(&src, path("file"), 16, s, sizeof(s)), 0);
	assert_string_equal(s, "from-the-file-0123456789");
	unsetenv("CREDENTIALS_DIRECTORY");
	/* nothing anywhere: "" when optional, refused naming every source when required */
	s[0] = '\0';
	assert_int_equal(cp_secret_load(&src, "", 0, s, sizeof(s)), 0);
	assert_string_equal(s, "");
	assert_int_equal(cp_secret_load(&src, "", 16, s, sizeof(s)), -1);
	assert_non_null(strstr(err_text(), "x.secret_file: required (or CASCADE_TEST_SECRET"));
	setenv("CASCADE_TEST_SECRET", "short", 1);
	assert_int_equal(cp_secret_load(&src, "", 16, s, sizeof(s)), -1);
	assert_non_null(strstr(err_text(), "CASCADE_TEST_SECRET: too short"));
}

/* cp_config_load on a configuration file and flags; 0 or -1. */
static int
load(struct cp_config *c, const char *json, const char *flag, const char *value)
{
	char *argv[] = {"cascade-cp", "--config",    path("cfg.json"),
			(char *)flag, (char *)value, NULL};

	put("cfg.json", json, 0600);
	return cp_config_load(c, flag != NULL ? 5 : 3, argv);
}

#define BASE                                                                                       \
	"\"node_id\": \"n\", \"media\": {\"ips\": [\"198.18.0.1\"], \"port_min\": 40000, "         \
	"\"port_max\": 40999}, \"api\": {\"listen\": \"127.0.0.1:1\""

static void
test_config(void **state)
{
	static struct cp_config c;
	char json[1024];

	(void)state;
	put("token", "token-in-a-file-0123456789\n", 0600);
	put("pw", "redis-password\n", 0600);
	snprintf(json, sizeof(json), "{" BASE ", \"token_file\": \"%s\"}}", path("token"));
	assert_int_equal(load(&c, json, NULL, NULL), 0);
	assert_string_equal(c.api_token, "token-in-a-file-0123456789");
	assert_true(c.metrics_auth);
	snprintf(json, sizeof(json), "{" BASE ", \"token_file\": \"%s\", \"metrics_auth\": false}}",
		 path("token"));
	assert_int_equal(load(&c, json, NULL, NULL), 0);
	assert_false(c.metrics_auth);
	/* both forms of one secret */
	snprintf(json, sizeof(json),
		 "{" BASE ", \"token\": \"0123456789abcdef\", \"token_file\": \"%s\"}}",
		 path("token"));
	assert_int_equal(load(&c, json, NULL, NULL), -1);
	assert_non_null(strstr(err_text(), "api.token_file: set api.token or api.token_file"));
	/* no flag carries a secret */
	snprintf(json, sizeof(json), "{" BASE ", \"token\": \"0123456789abcdef\"}}");
	assert_int_equal(load(&c, json, "--api-token", "0123456789abcdef"), -1);
	assert_non_null(strstr(err_text(), "--api-token: removed"));
	assert_int_equal(load(&c, json, "--cluster-secret", "0123456789abcdef"), -1);
	assert_non_null(strstr(err_text(), "--cluster-secret: removed"));
	/* a cluster: the secret and the Redis credentials */
	snprintf(json, sizeof(json),
		 "{" BASE ", \"token\": \"0123456789abcdef\"}, \"redis\": {\"url\": "
		 "\"redis://127.0.0.1:1\", \"username\": \"cascade\", \"password_file\": \"%s\"}, "
		 "\"cluster\": {\"secret\": \"cluster-secret-0123\", \"pipe_port\": 7000}}",
		 path("pw"));
	assert_int_equal(load(&c, json, NULL, NULL), 0);
	assert_string_equal(c.redis_username, "cascade");
	assert_string_equal(c.redis_password, "redis-password");
	assert_string_equal(c.cluster_secret, "cluster-secret-0123");
	snprintf(json, sizeof(json),
		 "{" BASE ", \"token\": \"0123456789abcdef\"}, \"redis\": {\"url\": "
		 "\"redis://127.0.0.1:1\", \"username\": \"cascade\"}, "
		 "\"cluster\": {\"secret\": \"cluster-secret-0123\", \"pipe_port\": 7000}}");
	assert_int_equal(load(&c, json, NULL, NULL), -1);
	assert_non_null(strstr(err_text(), "redis.password_file: required with redis.username"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
