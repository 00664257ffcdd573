/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtp_raw: the crypto limit. Raw libsrtp2 srtp_protect() in a tight loop on
 * one RTP packet (its sequence number bumped each time), per suite and
 * packet size, one thread; prints packets per second as JSON. The SRTP
 * fan-out benchmark is measured against this.
 *
 * The same source builds twice: srtp_raw against Cascade's libsrtp2 (the
 * OpenSSL build under .deps/libsrtp2) and, when Debian's libsrtp2-dev is
 * installed, srtp_raw_nss against the system's (NSS) one, for the record.
 * Each reports the backend it finds at run time, so the two cannot be mixed
 * up. No Cascade code is involved: this is libsrtp2 alone.
 *
 *   srtp_raw [--seconds S] [--rounds N] [--suite NAME] [--size BYTES]
 *            [--sessions N]
 *
 * Each case runs N rounds (default 3) of S seconds (default 1); pps is the
 * median round; pps_cpu counts the thread's on-CPU time instead of the wall
 * clock's (CLOCK_THREAD_CPUTIME_ID), so time the scheduler gives another task
 * on a busy host does not count. Without --suite and --size it runs every suite and size
 * below; with them, that one case (tests/bench/run puts each raw figure next
 * to the fan-out figure it is the baseline of). --sessions N rotates over N
 * sessions (each its own srtp_t and SSRC, as N consumers of one producer
 * have), protecting the packet once with each before the next sequence
 * number: the same working set of key schedules and cipher contexts that an
 * SRTP fan-out to N consumers walks through for every packet.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#define MAX_ROUNDS 15
#define MAX_SESSIONS 100000

struct suite {
	const char *name;
	void (*set)(srtp_crypto_policy_t *p);
	int master_bytes;
};

static void
set_cm80(srtp_crypto_policy_t *p)
{
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
}

static const struct suite suites[] = {
	{"AES_CM_128_HMAC_SHA1_80", set_cm80, 30},
	{"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth, 28},
};
static const size_t sizes[] = {200, 1200};

#define N_SUITES (sizeof(suites) / sizeof(suites[0]))
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))
#define MIN_SIZE 12 /* an RTP header */
#define MAX_SIZE 1500

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* Which crypto backend the linked libsrtp2 registered (see srtp/cascade_srtp.c). */
static const char *
backend(void)
{
	if (srtp_set_debug_module("hmac sha-1 openssl", 0) == srtp_err_status_ok)
		return "openssl";
	if (srtp_set_debug_module("hmac sha-1 nss", 0) == srtp_err_status_ok)
		return "nss";
	if (srtp_set_debug_module("hmac sha-1", 0) == srtp_err_status_ok)
		return "internal";
	return "unknown";
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
free_sessions(srtp_t *ctx, size_t n)
{
	while (n > 0)
		srtp_dealloc(ctx[--n]);
	free(ctx);
}

/*
 * One case: median packets per second over rounds of `seconds`, rotating over
 * `sessions` sessions, and in *pps_cpu the median per second of the thread's
 * on-CPU time; < 0 on a libsrtp2 error.
 */
static double
run_case(const struct suite *su, size_t size, size_t sessions, double seconds, int rounds,
	 double *pps_cpu)
{
	unsigned char key[SRTP_MAX_KEY_LEN];
	/* 4-byte aligned, room for the trailer */
	static uint32_t words[(MAX_SIZE + SRTP_MAX_TRAILER_LEN) / 4];
	uint8_t *pkt = (uint8_t *)words;
	double pps[MAX_ROUNDS], cpu[MAX_ROUNDS];
	srtp_policy_t p;
	srtp_t *ctx;
	uint16_t seq = 0;
	size_t i, s;
	int r, len;

	ctx = calloc(sessions, sizeof(*ctx));
	if (ctx == NULL)
		return -1;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i * 29 + 7);
	memset(&p, 0, sizeof(p));
	su->set(&p.rtp);
	su->set(&p.rtcp);
	p.ssrc.type = ssrc_specific;
	p.key = key;
	p.window_size = 128;
	for (s = 0; s < sessions; s++) {
		p.ssrc.value = 0x5eed0000u + (uint32_t)s;
		if (srtp_create(&ctx[s], &p) != srtp_err_status_ok) {
			free_sessions(ctx, s);
			return -1;
		}
	}

	memset(pkt, 0, size);
	pkt[0] = 0x80;
	pkt[1] = 96;
	for (i = 12; i < size; i++)
		pkt[i] = (uint8_t)i;

	for (r = -1; r < rounds; r++) { /* round -1 warms up */
		double t0 = now_s(), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), t;
		uint64_t n = 0;

		do {
			/* about 1024 packets between clock reads, whatever the session count */
			for (i = 0; i < (1024 + sessions - 1) / sessions; i++) {
				seq++;
				pkt[2] = (uint8_t)(seq >> 8);
				pkt[3] = (uint8_t)seq;
				for (s = 0; s < sessions; s++) {
					uint32_t ssrc = 0x5eed0000u + (uint32_t)s;

					pkt[8] = (uint8_t)(ssrc >> 24);
					pkt[9] = (uint8_t)(ssrc >> 16);
					pkt[10] = (uint8_t)(ssrc >> 8);
					pkt[11] = (uint8_t)ssrc;
					len = (int)size;
					if (srtp_protect(ctx[s], pkt, &len) != srtp_err_status_ok) {
						free_sessions(ctx, sessions);
						return -1;
					}
				}
				n += sessions;
			}
			t = now_s() - t0;
		} while (t < (r < 0 ? seconds / 4 : seconds));
		if (r >= 0) {
			pps[r] = (double)n / t;
			cpu[r] = (double)n / (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0);
		}
	}
	free_sessions(ctx, sessions);
	qsort(pps, (size_t)rounds, sizeof(pps[0]), cmp_double);
	qsort(cpu, (size_t)rounds, sizeof(cpu[0]), cmp_double);
	*pps_cpu = cpu[rounds / 2];
	return pps[rounds / 2];
}

static int
usage(void)
{
	fprintf(stderr,
		"usage: srtp_raw [--seconds S (0.05..60, default 1)] "
		"[--rounds N (1..%d, default 3)]\n"
		"                [--suite AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM] "
		"[--size BYTES (%d..%d)]\n"
		"                [--sessions N (1..%d, default 1)]\n",
		MAX_ROUNDS, MIN_SIZE, MAX_SIZE, MAX_SESSIONS);
	return 2;
}

/* A whole-string number in [lo, hi], or -1. */
static long
arg_long(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (end == s || *end != '\0' || v < lo || v > hi) ? -1 : v;
}

int
main(int argc, char **argv)
{
	double seconds = 1.0;
	int rounds = 3, i, first = 1;
	const struct suite *only_suite = NULL;
	long only_size = 0, sessions = 1;
	size_t s, z;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (val == NULL)
			return usage();
		i++;
		if (strcmp(o, "--seconds") == 0) {
			seconds = strtod(val, &end);
			if (*end != '\0' || !(seconds >= 0.05 && seconds <= 60))
				return usage();
		} else if (strcmp(o, "--rounds") == 0) {
			rounds = (int)arg_long(val, 1, MAX_ROUNDS);
			if (rounds < 0)
				return usage();
		} else if (strcmp(o, "--size") == 0) {
			only_size = arg_long(val, MIN_SIZE, MAX_SIZE);
			if (only_size < 0)
				return usage();
		} else if (strcmp(o, "--sessions") == 0) {
			sessions = arg_long(val, 1, MAX_SESSIONS);
			if (sessions < 0)
				return usage();
		} else if (strcmp(o, "--suite") == 0) {
			for (s = 0; s < N_SUITES; s++)
				if (strcmp(val, suites[s].name) == 0)
					only_suite = &suites[s];
			if (only_suite == NULL) {
				fprintf(stderr, "srtp_raw: --suite: unknown suite \"%s\"\n", val);
				return usage();
			}
		} else {
			return usage();
		}
	}
	if (srtp_init() != srtp_err_status_ok) {
		fprintf(stderr, "srtp_raw: srtp_init failed\n");
		return 1;
	}
	printf("{\"bench\":\"srtp_raw\",\"libsrtp\":\"%s\",\"backend\":\"%s\","
	       "\"seconds\":%g,\"rounds\":%d,\"results\":[",
	       srtp_get_version_string(), backend(), seconds, rounds);
	for (s = 0; s < N_SUITES; s++) {
		if (only_suite != NULL && only_suite != &suites[s])
			continue;
		for (z = 0; z < (only_size != 0 ? 1 : N_SIZES); z++) {
			size_t size = only_size != 0 ? (size_t)only_size : sizes[z];
			double cpu;
			double pps = run_case(&suites[s], size, (size_t)sessions, seconds, rounds, &cpu);

			if (pps < 0) {
				fprintf(stderr, "srtp_raw: %s: libsrtp2 failed\n", suites[s].name);
				return 1;
			}
			printf("%s{\"suite\":\"%s\",\"rtp_bytes\":%zu,\"sessions\":%ld,"
			       "\"pps\":%.0f,\"pps_cpu\":%.0f,\"mbit_s\":%.1f}",
			       first ? "" : ",", suites[s].name, size, sessions, pps, cpu,
			       pps * (double)size * 8 / 1e6);
			first = 0;
			fflush(stdout);
		}
	}
	printf("]}\n");
	srtp_shutdown();
	return 0;
}
