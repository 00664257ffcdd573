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
 *   srtp_raw [--seconds S] [--rounds N]
 *
 * Each case runs N rounds (default 3) of S seconds (default 1); pps is the
 * median round.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#define MAX_ROUNDS 15

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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* One case: median packets per second over rounds of `seconds`; < 0 on a libsrtp2 error. */
static double
run_case(const struct suite *su, size_t size, double seconds, int rounds)
{
	unsigned char key[SRTP_MAX_KEY_LEN];
	/* 4-byte aligned, room for the trailer */
	static uint32_t words[(1500 + SRTP_MAX_TRAILER_LEN) / 4];
	uint8_t *pkt = (uint8_t *)words;
	double pps[MAX_ROUNDS];
	srtp_policy_t p;
	srtp_t ctx;
	uint16_t seq = 0;
	size_t i;
	int r, len;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i * 29 + 7);
	memset(&p, 0, sizeof(p));
	su->set(&p.rtp);
	su->set(&p.rtcp);
	p.ssrc.type = ssrc_specific;
	p.ssrc.value = 0x5eed5eed;
	p.key = key;
	p.window_size = 128;
	if (srtp_create(&ctx, &p) != srtp_err_status_ok)
		return -1;

	memset(pkt, 0, size);
	pkt[0] = 0x80;
	pkt[1] = 96;
	memcpy(pkt + 8, "\x5e\xed\x5e\xed", 4);
	for (i = 12; i < size; i++)
		pkt[i] = (uint8_t)i;

	for (r = -1; r < rounds; r++) { /* round -1 warms up */
		double t0 = now_s(), t;
		uint64_t n = 0;

		do {
			for (i = 0; i < 1024; i++) {
				seq++;
				pkt[2] = (uint8_t)(seq >> 8);
				pkt[3] = (uint8_t)seq;
				len = (int)size;
				if (srtp_protect(ctx, pkt, &len) != srtp_err_status_ok) {
					srtp_dealloc(ctx);
					return -1;
				}
			}
			n += 1024;
			t = now_s() - t0;
		} while (t < (r < 0 ? seconds / 4 : seconds));
		if (r >= 0)
			pps[r] = (double)n / t;
	}
	srtp_dealloc(ctx);
	qsort(pps, (size_t)rounds, sizeof(pps[0]), cmp_double);
	return pps[rounds / 2];
}

static int
usage(void)
{
	fprintf(stderr,
		"usage: srtp_raw [--seconds S (0.05..60, default 1)] "
		"[--rounds N (1..%d, default 3)]\n",
		MAX_ROUNDS);
	return 2;
}

int
main(int argc, char **argv)
{
	double seconds = 1.0;
	int rounds = 3, i, first = 1;
	size_t s, z;

	for (i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			seconds = strtod(argv[++i], &end);
			if (*end != '\0' || !(seconds >= 0.05 && seconds <= 60))
				return usage();
		} else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			long v = strtol(argv[++i], &end, 10);

			if (*end != '\0' || v < 1 || v > MAX_ROUNDS)
				return usage();
			rounds = (int)v;
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
	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++)
		for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			double pps = run_case(&suites[s], sizes[z], seconds, rounds);

			if (pps < 0) {
				fprintf(stderr, "srtp_raw: %s: libsrtp2 failed\n", suites[s].name);
				return 1;
			}
			printf("%s{\"suite\":\"%s\",\"rtp_bytes\":%zu,\"pps\":%.0f,\"mbit_s\":%.1f}",
			       first ? "" : ",", suites[s].name, sizes[z], pps,
			       pps * (double)sizes[z] * 8 / 1e6);
			first = 0;
			fflush(stdout);
		}
	printf("]}\n");
	srtp_shutdown();
	return 0;
}
