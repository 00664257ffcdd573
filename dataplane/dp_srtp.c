/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_srtp: start-up checks for SRTP and session making (see dp_srtp.h). The
 * packet path calls the cascade_srtp wrapper directly; nothing here runs per
 * packet except the log forwarder, which libsrtp2 calls only for rare events (a key reaching its
 * usage limit, an SSRC collision) and which drops all but a few lines a
 * second.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_srtp.h"

/* The ABI's suite ids are the wrapper's suites plus one (0 is plain RTP). */
static_assert((int)CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80 ==
			      (int)CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80 - 1 &&
		      (int)CASCADE_SRTP_AES_CM_128_HMAC_SHA1_32 ==
			      (int)CASCADE_SUITE_AES_CM_128_HMAC_SHA1_32 - 1 &&
		      (int)CASCADE_SRTP_AEAD_AES_128_GCM == (int)CASCADE_SUITE_AEAD_AES_128_GCM - 1 &&
		      (int)CASCADE_SRTP_AEAD_AES_256_GCM == (int)CASCADE_SUITE_AEAD_AES_256_GCM - 1 &&
		      (int)CASCADE_SRTP_SUITE_COUNT == (int)CASCADE_SUITE_MAX,
	      "suite numbering");

#define RX_REPLAY_WINDOW 1024

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

static struct cascade_srtp *
session(uint8_t suite, const uint8_t *master, enum cascade_srtp_dir dir, uint32_t ssrc)
{
	struct cascade_srtp_conf conf = {
		.suite = (enum cascade_srtp_suite)(suite - 1),
		.dir = dir,
		.any_ssrc = false, /* one stream per session: no packet makes it grow */
		.ssrc = ssrc,
		.replay_window = dir == CASCADE_SRTP_INBOUND ? RX_REPLAY_WINDOW : 0,
		.allow_repeat_tx = dir == CASCADE_SRTP_OUTBOUND,
		.master = master,
		.master_len = cascade_srtp_master_bytes(suite),
	};

	if (suite == CASCADE_SUITE_NONE || suite > CASCADE_SUITE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	return cascade_srtp_create(&conf);
}

static struct dp_srtp_rx *
rx_make(uint8_t suite, const uint8_t *master, uint32_t ssrc)
{
	struct dp_srtp_rx *rx = rte_zmalloc("dp_srtp_rx", sizeof(*rx), RTE_CACHE_LINE_SIZE);
	int err;

	if (rx == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rx->rtp = session(suite, master, CASCADE_SRTP_INBOUND, ssrc);
	if (rx->rtp == NULL)
		goto fail;
	rx->rtcp = session(suite, master, CASCADE_SRTP_INBOUND, ssrc);
	if (rx->rtcp == NULL)
		goto fail;
	return rx;
fail:
	err = errno;
	dp_srtp_rx_free(rx);
	errno = err;
	return NULL;
}

struct dp_srtp_rx *
dp_srtp_rx_make_ssrc(uint8_t suite, const uint8_t *master, uint32_t ssrc)
{
	return rx_make(suite, master, ssrc);
}

struct cascade_srtp *
dp_srtp_tx_make(uint8_t suite, const uint8_t *master, uint32_t ssrc)
{
	return session(suite, master, CASCADE_SRTP_OUTBOUND, ssrc);
}

struct cascade_srtp *
dp_srtp_rtcp_rx_make(uint8_t suite, const uint8_t *master, uint32_t ssrc)
{
	return session(suite, master, CASCADE_SRTP_INBOUND, ssrc);
}

void
dp_srtp_rx_free(void *p)
{
	struct dp_srtp_rx *rx = p;

	if (rx == NULL)
		return;
	/* what a re-key kept of the previous key goes with it (no worker reads it any more) */
	dp_srtp_rx_free(atomic_load_explicit(&rx->old, memory_order_relaxed));
	cascade_srtp_destroy(rx->rtp);
	cascade_srtp_destroy(rx->rtcp);
	rte_free(rx);
}

void
dp_srtp_tx_free(void *s)
{
	cascade_srtp_destroy(s);
}
