/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_srtp: start-up checks for SRTP (see dp_srtp.h). The packet path calls
 * the cascade_srtp wrapper directly; nothing here runs per packet except the
 * log forwarder, which libsrtp2 calls only for rare events (a key reaching its
 * usage limit, an SSRC collision) and which drops all but a few lines a
 * second.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "dp_srtp.h"

RTE_LOG_REGISTER(dp_srtp_logtype, cascade.dp.srtp, INFO);

#define LOG_LINES_PER_SEC 10

/*
 * libsrtp2 log line → cascade.dp.srtp, at most LOG_LINES_PER_SEC a second.
 * May run on any lcore that uses a session. The two counters are relaxed and
 * pair with nothing: two lcores racing on a window reset can let a few extra
 * lines through, which is harmless.
 */
static void
on_libsrtp_log(int level, const char *msg)
{
	static _Atomic uint64_t window_start;
	static _Atomic uint32_t in_window;
	uint64_t now = rte_get_timer_cycles();
	uint32_t rte_level;

	if (now - atomic_load_explicit(&window_start, memory_order_relaxed) > rte_get_timer_hz()) {
		atomic_store_explicit(&window_start, now, memory_order_relaxed);
		atomic_store_explicit(&in_window, 0, memory_order_relaxed);
	}
	if (atomic_fetch_add_explicit(&in_window, 1, memory_order_relaxed) >= LOG_LINES_PER_SEC)
		return;
	rte_level = level <= 0 ? RTE_LOG_ERR : level == 1 ? RTE_LOG_WARNING : RTE_LOG_DEBUG;
	rte_log(rte_level, dp_srtp_logtype, "cascade.dp.srtp: libsrtp2: %s\n", msg);
}

void
dp_srtp_version_print(FILE *f)
{
	char line[256];

	cascade_srtp_describe(line, sizeof(line));
	fprintf(f, "srtp: %s\n", line);
	if (cascade_srtp_init() == 0 && cascade_srtp_backend() != CASCADE_SRTP_BACKEND_OPENSSL)
		fprintf(f,
			"srtp: not OpenSSL: slow; cascade-dp starts only with --allow-slow-srtp\n");
}

int
dp_srtp_init(bool allow_slow)
{
	enum cascade_srtp_backend b;
	char line[256];
	int rc;

	rc = cascade_srtp_init();
	cascade_srtp_describe(line, sizeof(line));
	if (rc < 0) {
		fprintf(stderr, "cascade-dp: srtp: %s: %s\n", line, cascade_srtp_strerror(rc));
		return rc;
	}
	b = cascade_srtp_backend();
	if (b != CASCADE_SRTP_BACKEND_OPENSSL) {
		if (!allow_slow) {
			fprintf(stderr,
				"cascade-dp: srtp: %s: not OpenSSL, so SRTP would run several times "
				"slower; rebuild libsrtp2 with 'tools/run setup', or start with "
				"--allow-slow-srtp to run anyway\n",
				line);
			return -ENOTSUP;
		}
		rte_log(RTE_LOG_WARNING, dp_srtp_logtype,
			"cascade.dp.srtp: slow backend=%s allowed by --allow-slow-srtp\n",
			cascade_srtp_backend_name(b));
	}
	cascade_srtp_set_log(on_libsrtp_log);
	rte_log(RTE_LOG_INFO, dp_srtp_logtype,
		"cascade.dp.srtp: backend=%s libsrtp=\"%s\" crypto=\"%s\"\n",
		cascade_srtp_backend_name(b), cascade_srtp_version(),
		cascade_srtp_crypto_version());
	return 0;
}
