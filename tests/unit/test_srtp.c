/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for Cascade's SRTP wrapper (srtp/cascade_srtp.c), its behaviour
 * (test_srtp_kat.c has the known answers): the backend it was built with,
 * suite names and sizes, round trips of every suite, tampering, replay, wrong
 * keys and errors, bad sessions, base64 keys and key generation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srtp_util.h"

/* ---- 3. Behaviour ---- */

static void
test_backend(void **state)
{
	char line[256];
	int i;

	(void)state;
	assert_int_equal(cascade_srtp_init(), 0);
	assert_int_equal(cascade_srtp_init(), 0); /* once, then the same answer */
	assert_string_equal(cascade_srtp_backend_name(cascade_srtp_backend()),
			    CASCADE_SRTP_BUILT_BACKEND);
	assert_true(strncmp(cascade_srtp_version(), "libsrtp2 ", 9) == 0);
	assert_true(cascade_srtp_describe(line, sizeof(line)) > 0);
	assert_non_null(strstr(line, cascade_srtp_version()));
	assert_non_null(strstr(line, CASCADE_SRTP_BUILT_BACKEND));
	if (cascade_srtp_backend() == CASCADE_SRTP_BACKEND_OPENSSL) {
		assert_true(strncmp(cascade_srtp_crypto_version(), "OpenSSL ", 8) == 0);
		for (i = 0; i < CASCADE_SRTP_SUITE_COUNT; i++)
			assert_true(cascade_srtp_suite_is_supported((enum cascade_srtp_suite)i));
	}
	assert_false(cascade_srtp_suite_is_supported(CASCADE_SRTP_SUITE_COUNT));
}

static void
test_suite_names_and_sizes(void **state)
{
	static const struct {
		const char *name;
		enum cascade_srtp_suite s;
		size_t master, b64;
	} want[] = {
		{"AES_CM_128_HMAC_SHA1_80", CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80, 30, 40},
		{"AES_CM_128_HMAC_SHA1_32", CASCADE_SRTP_AES_CM_128_HMAC_SHA1_32, 30, 40},
		{"AEAD_AES_128_GCM", CASCADE_SRTP_AEAD_AES_128_GCM, 28, 40},
		{"AEAD_AES_256_GCM", CASCADE_SRTP_AEAD_AES_256_GCM, 44, 60},
	};
	enum cascade_srtp_suite s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct cascade_srtp_suite_info *si;
		uint8_t m[CASCADE_SRTP_MASTER_MAX_BYTES];
		char b64[CASCADE_SRTP_KEY_BASE64_MAX + 1];

		assert_int_equal(cascade_srtp_suite_from_name(want[i].name, &s), 0);
		assert_int_equal(s, want[i].s);
		si = cascade_srtp_suite_info(s);
		assert_string_equal(si->name, want[i].name);
		assert_int_equal(si->master_bytes, want[i].master);
		assert_int_equal(si->key_bytes + si->salt_bytes, want[i].master);
		assert_true(si->rtp_trailer_bytes <= CASCADE_SRTP_RTP_TRAILER_MAX);
		assert_true(si->rtcp_trailer_bytes <= CASCADE_SRTP_RTCP_TRAILER_MAX);
		assert_int_equal(cascade_srtp_key_generate(s, m, sizeof(m)), 0);
		assert_int_equal(cascade_srtp_key_to_base64(m, si->master_bytes, b64, sizeof(b64)),
				 (int)want[i].b64);
		assert_int_equal(strlen(b64), want[i].b64);
	}
	assert_int_equal(cascade_srtp_suite_from_name("aes_cm_128_hmac_sha1_80", &s), -EINVAL);
	assert_int_equal(cascade_srtp_suite_from_name("AES_CM_128_HMAC_SHA1_80 ", &s), -EINVAL);
	assert_int_equal(cascade_srtp_suite_from_name("", &s), -EINVAL);
	assert_int_equal(cascade_srtp_suite_from_name(NULL, &s), -EINVAL);
	assert_null(cascade_srtp_suite_info(CASCADE_SRTP_SUITE_COUNT));
}

/* Many packets of many sizes, all suites, RTP and RTCP, through the wrapper both ways. */
static void
test_round_trip_all_suites(void **state)
{
	int s;

	(void)state;
	for (s = 0; s < CASCADE_SRTP_SUITE_COUNT; s++) {
		uint8_t m[CASCADE_SRTP_MASTER_MAX_BYTES], pkt[BUF], plain[BUF];
		struct cascade_srtp *tx, *rx;
		size_t n, plain_len;
		uint32_t i;

		if (!usable(s))
			continue;
		assert_int_equal(cascade_srtp_key_generate(s, m, sizeof(m)), 0);
		tx = session(s, CASCADE_SRTP_OUTBOUND, true, 0, m);
		rx = session(s, CASCADE_SRTP_INBOUND, true, 0, m);
		for (i = 0; i < 3000; i++) {
			/* two SSRCs, seq from 64000 through a wrap, sizes 0..1400 */
			uint32_t ssrc = i % 2 ? 0x11111111 : 0x22222222;
			size_t payload = (i * 37) % 1401;

			plain_len = make_rtp(plain, (uint16_t)(64000 + i / 2), ssrc, i % 3, i % 4,
					     payload);
			memcpy(pkt, plain, plain_len);
			n = plain_len;
			assert_int_equal(cascade_srtp_protect_rtp(tx, pkt, &n, sizeof(pkt)), 0);
			assert_int_equal(n - plain_len,
					 cascade_srtp_suite_info(s)->rtp_trailer_bytes);
			/* the header stays clear, the payload does not */
			assert_memory_equal(pkt, plain, plain_len - payload);
			if (payload >= 16)
				assert_memory_not_equal(pkt + plain_len - payload,
							plain + plain_len - payload, payload);
			assert_int_equal(cascade_srtp_unprotect_rtp(rx, pkt, &n), 0);
			assert_int_equal(n, plain_len);
			assert_memory_equal(pkt, plain, n);
			if (i % 50 == 0) {
				plain_len = make_rtcp(plain, ssrc, 4 * (i % 30));
				memcpy(pkt, plain, plain_len);
				n = plain_len;
				assert_int_equal(
					cascade_srtp_protect_rtcp(tx, pkt, &n, sizeof(pkt)), 0);
				assert_int_equal(n - plain_len,
						 cascade_srtp_suite_info(s)->rtcp_trailer_bytes);
				assert_int_equal(cascade_srtp_unprotect_rtcp(rx, pkt, &n), 0);
				assert_int_equal(n, plain_len);
				assert_memory_equal(pkt, plain, n);
			}
		}
		cascade_srtp_destroy(tx);
		cascade_srtp_destroy(rx);
	}
}

/* Protect one packet of suite s under master; the protected bytes go to out. */
static size_t
protect_one(enum cascade_srtp_suite s, const uint8_t *master, bool rtcp, uint8_t *out)
{
	struct cascade_srtp *tx = session(s, CASCADE_SRTP_OUTBOUND, true, 0, master);
	size_t n =
		rtcp ? make_rtcp(out, 0xabcdef01, 40) : make_rtp(out, 1000, 0xabcdef01, 0, 0, 160);

	if (rtcp)
		assert_int_equal(cascade_srtp_protect_rtcp(tx, out, &n, BUF), 0);
	else
		assert_int_equal(cascade_srtp_protect_rtp(tx, out, &n, BUF), 0);
	cascade_srtp_destroy(tx);
	return n;
}

/* Unprotect a copy of pkt with a fresh inbound session; returns the wrapper's code. */
static int
unprotect_fresh(enum cascade_srtp_suite s, const uint8_t *master, bool rtcp, const uint8_t *pkt,
		size_t len)
{
	struct cascade_srtp *rx = session(s, CASCADE_SRTP_INBOUND, true, 0, master);
	uint8_t copy[BUF];
	size_t n = len;
	int rc;

	memcpy(copy, pkt, len);
	rc = rtcp ? cascade_srtp_unprotect_rtcp(rx, copy, &n)
		  : cascade_srtp_unprotect_rtp(rx, copy, &n);
	cascade_srtp_destroy(rx);
	return rc;
}

/* One flipped bit in the header, the payload or the tag: an authentication failure. */
static void
test_tamper(void **state)
{
	int s;

	(void)state;
	for (s = 0; s < CASCADE_SRTP_SUITE_COUNT; s++) {
		uint8_t m[CASCADE_SRTP_MASTER_MAX_BYTES], pkt[BUF];
		size_t n, tag = cascade_srtp_suite_info(s)->rtp_trailer_bytes;
		/* payload type, timestamp, SSRC, payload start and end, first and last tag byte */
		size_t rtp_at[] = {1, 5, 9, 12, 0, 0, 0};
		size_t i;

		if (!usable(s))
			continue;
		assert_int_equal(cascade_srtp_key_generate(s, m, sizeof(m)), 0);
		n = protect_one(s, m, false, pkt);
		rtp_at[4] = n - tag - 1;
		rtp_at[5] = n - tag;
		rtp_at[6] = n - 1;
		assert_int_equal(unprotect_fresh(s, m, false, pkt, n), 0);
		for (i = 0; i < sizeof(rtp_at) / sizeof(rtp_at[0]); i++) {
			pkt[rtp_at[i]] ^= 0x01;
			assert_int_equal(unprotect_fresh(s, m, false, pkt, n), -EBADMSG);
			pkt[rtp_at[i]] ^= 0x01;
		}

		/* RTCP: sender SSRC, body, the E|index trailer or tag, the last byte */
		n = protect_one(s, m, true, pkt);
		assert_int_equal(unprotect_fresh(s, m, true, pkt, n), 0);
		{
			size_t rtcp_at[] = {
				7, 8, n - cascade_srtp_suite_info(s)->rtcp_trailer_bytes, n - 1};

			for (i = 0; i < sizeof(rtcp_at) / sizeof(rtcp_at[0]); i++) {
				pkt[rtcp_at[i]] ^= 0x01;
				assert_int_equal(unprotect_fresh(s, m, true, pkt, n), -EBADMSG);
				pkt[rtcp_at[i]] ^= 0x01;
			}
		}
	}
}

/* The same packet twice, or one older than the window: a replay. */
static void
test_replay(void **state)
{
	int s;

	(void)state;
	for (s = 0; s < CASCADE_SRTP_SUITE_COUNT; s++) {
		uint8_t m[CASCADE_SRTP_MASTER_MAX_BYTES], pkt[BUF], copy[BUF], old[BUF];
		struct cascade_srtp *tx, *rx;
		size_t n, cn, on;
		uint16_t seq;

		if (!usable(s))
			continue;
		assert_int_equal(cascade_srtp_key_generate(s, m, sizeof(m)), 0);
		tx = session(s, CASCADE_SRTP_OUTBOUND, false, 0x01020304, m);
		rx = session(s, CASCADE_SRTP_INBOUND, true, 0, m);
		on = make_rtp(old, 100, 0x01020304, 0, 0, 50);
		assert_int_equal(cascade_srtp_protect_rtp(tx, old, &on, sizeof(old)), 0);
		for (seq = 101; seq <= 400; seq++) {
			n = make_rtp(pkt, seq, 0x01020304, 0, 0, 50);
			assert_int_equal(cascade_srtp_protect_rtp(tx, pkt, &n, sizeof(pkt)), 0);
			memcpy(copy, pkt, n);
			cn = n;
			assert_int_equal(cascade_srtp_unprotect_rtp(rx, pkt, &n), 0);
		}
		/* seq 400 again */
		assert_int_equal(cascade_srtp_unprotect_rtp(rx, copy, &cn), -EALREADY);
		/* seq 100: never seen, but 300 behind the 128-packet window */
		assert_int_equal(cascade_srtp_unprotect_rtp(rx, old, &on), -EALREADY);

		n = make_rtcp(pkt, 0x01020304, 24);
		assert_int_equal(cascade_srtp_protect_rtcp(tx, pkt, &n, sizeof(pkt)), 0);
		memcpy(copy, pkt, n);
		cn = n;
		assert_int_equal(cascade_srtp_unprotect_rtcp(rx, pkt, &n), 0);
		assert_int_equal(cascade_srtp_unprotect_rtcp(rx, copy, &cn), -EALREADY);
		cascade_srtp_destroy(tx);
		cascade_srtp_destroy(rx);
	}
}

/* Another key, another SSRC, no room, a broken header. */
static void
test_wrong_key_and_errors(void **state)
{
	int s;

	(void)state;
	for (s = 0; s < CASCADE_SRTP_SUITE_COUNT; s++) {
		const struct cascade_srtp_suite_info *si = cascade_srtp_suite_info(s);
		uint8_t m[CASCADE_SRTP_MASTER_MAX_BYTES], other[CASCADE_SRTP_MASTER_MAX_BYTES];
		uint8_t pkt[BUF], plain[BUF];
		struct cascade_srtp *tx, *rx;
		size_t n, plain_len;

		if (!usable(s))
			continue;
		assert_int_equal(cascade_srtp_key_generate(s, m, sizeof(m)), 0);
		assert_int_equal(cascade_srtp_key_generate(s, other, sizeof(other)), 0);
		assert_memory_not_equal(m, other, si->master_bytes);
		n = protect_one(s, m, false, pkt);
		assert_int_equal(unprotect_fresh(s, other, false, pkt, n), -EBADMSG);
		n = protect_one(s, m, true, pkt);
		assert_int_equal(unprotect_fresh(s, other, true, pkt, n), -EBADMSG);

		/* a session for one SSRC has no stream for another */
		tx = session(s, CASCADE_SRTP_OUTBOUND, true, 0, m);
		rx = session(s, CASCADE_SRTP_INBOUND, false, 0x0a0b0c0d, m);
		n = make_rtp(pkt, 7, 0x0a0b0c0e, 0, 0, 30);
		assert_int_equal(cascade_srtp_protect_rtp(tx, pkt, &n, sizeof(pkt)), 0);
		assert_int_equal(cascade_srtp_unprotect_rtp(rx, pkt, &n), -ENOENT);

		/* one byte short of the trailer: refused, packet untouched */
		plain_len = make_rtp(plain, 8, 0x0a0b0c0d, 0, 0, 30);
		memcpy(pkt, plain, plain_len);
		n = plain_len;
		assert_int_equal(cascade_srtp_protect_rtp(tx, pkt, &n,
							  plain_len + si->rtp_trailer_bytes - 1),
				 -ENOBUFS);
		assert_int_equal(n, plain_len);
		assert_memory_equal(pkt, plain, n);
		assert_int_equal(
			cascade_srtp_protect_rtp(tx, pkt, &n, plain_len + si->rtp_trailer_bytes),
			0);
		assert_int_equal(cascade_srtp_unprotect_rtp(rx, pkt, &n), 0);
		n = make_rtcp(pkt, 0x0a0b0c0d, 16);
		assert_int_equal(
			cascade_srtp_protect_rtcp(tx, pkt, &n, n + si->rtcp_trailer_bytes - 1),
			-ENOBUFS);

		/* shorter than an RTP header; 15 CSRCs announced in a 20-byte packet */
		n = 5;
		assert_int_equal(cascade_srtp_unprotect_rtp(rx, pkt, &n), -EINVAL);
		n = make_rtp(pkt, 9, 0x0a0b0c0d, 0, 0, 8);
		pkt[0] |= 0x0f;
		assert_int_equal(cascade_srtp_protect_rtp(tx, pkt, &n, sizeof(pkt)), -EINVAL);
		n = 4;
		assert_int_equal(cascade_srtp_unprotect_rtcp(rx, pkt, &n), -EINVAL);
		cascade_srtp_destroy(tx);
		cascade_srtp_destroy(rx);
	}
}

static void
test_create_errors(void **state)
{
	uint8_t m[CASCADE_SRTP_MASTER_MAX_BYTES] = {1};
	struct cascade_srtp_conf c = {
		.suite = CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80,
		.dir = CASCADE_SRTP_INBOUND,
		.any_ssrc = true,
		.master = m,
		.master_len = 30,
	};
	struct cascade_srtp *s;

	(void)state;
	c.master_len = 28; /* a GCM key for an AES-CM suite */
	errno = 0;
	assert_null(cascade_srtp_create(&c));
	assert_int_equal(errno, EMSGSIZE);
	c.master_len = 30;
	c.replay_window = 32;
	errno = 0;
	assert_null(cascade_srtp_create(&c));
	assert_int_equal(errno, EINVAL);
	c.replay_window = 1024;
	c.suite = CASCADE_SRTP_SUITE_COUNT;
	errno = 0;
	assert_null(cascade_srtp_create(&c));
	assert_int_equal(errno, EINVAL);
	c.suite = CASCADE_SRTP_AES_CM_128_HMAC_SHA1_32;
	s = cascade_srtp_create(&c);
	assert_non_null(s);
	assert_int_equal(cascade_srtp_suite(s), CASCADE_SRTP_AES_CM_128_HMAC_SHA1_32);
	cascade_srtp_destroy(s);
	cascade_srtp_destroy(NULL);
}

/* mediasoup's keyBase64: known value, round trip, and everything that is not one. */
static void
test_base64(void **state)
{
	const enum cascade_srtp_suite cm = CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80;
	uint8_t m[CASCADE_SRTP_MASTER_MAX_BYTES], want[CASCADE_SRTP_MASTER_MAX_BYTES];
	char b64[CASCADE_SRTP_KEY_BASE64_MAX + 1], bad[128];
	static const char *const not_base64[] = {
		"4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqv!",  /* '!' */
		"4fl6DT4Bi-DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm",  /* base64url's '-' */
		"4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqv_",  /* base64url's '_' */
		"4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOq m",  /* a space */
		"4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqv\n", /* a newline */
		"4fl6DT4Bi+DWT6MsBt5BOQ7G=a1Jiv7rtpYLOqvm",  /* '=' inside */
		"4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm=", /* length not a multiple of 4 */
		"4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqv",   /* ditto */
		"",
		"====",
	};
	size_t i;

	(void)state;
	/* RFC 3711 B.3's master, as a keyBase64 */
	unhex(b3_master_hex, want, sizeof(want));
	assert_int_equal(cascade_srtp_key_from_base64(
				 cm, "4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm", m, sizeof(m)),
			 30);
	assert_memory_equal(m, want, 30);
	assert_int_equal(cascade_srtp_key_to_base64(want, 30, b64, sizeof(b64)), 40);
	assert_string_equal(b64, "4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm");
	/* RFC 7714's key and salt: padded forms */
	assert_int_equal(cascade_srtp_key_from_base64(CASCADE_SRTP_AEAD_AES_128_GCM,
						      "AAECAwQFBgcICQoLDA0OD1F1aWQgcHJvIHF1bw==", m,
						      sizeof(m)),
			 28);
	assert_int_equal(cascade_srtp_key_from_base64(
				 CASCADE_SRTP_AEAD_AES_256_GCM,
				 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9RdWlkIHBybyBxdW8=", m,
				 sizeof(m)),
			 44);
	assert_int_equal(m[43], 0x6f);

	for (i = 0; i < sizeof(not_base64) / sizeof(not_base64[0]); i++) {
		memset(m, 0x5a, sizeof(m));
		assert_int_equal(cascade_srtp_key_from_base64(cm, not_base64[i], m, sizeof(m)),
				 -EILSEQ);
		assert_true(m[0] == 0 && m[29] == 0); /* wiped, nothing half-decoded left */
	}
	/* non-zero pad bits: "bw==" is canonical, "bx==" decodes to the same byte */
	assert_int_equal(cascade_srtp_key_from_base64(CASCADE_SRTP_AEAD_AES_128_GCM,
						      "AAECAwQFBgcICQoLDA0OD1F1aWQgcHJvIHF1bx==", m,
						      sizeof(m)),
			 -EILSEQ);
	/* valid base64 of the wrong length for the suite */
	assert_int_equal(cascade_srtp_key_from_base64(
				 cm, "AAECAwQFBgcICQoLDA0OD1F1aWQgcHJvIHF1bw==", m, sizeof(m)),
			 -EMSGSIZE);
	assert_int_equal(cascade_srtp_key_from_base64(CASCADE_SRTP_AEAD_AES_256_GCM,
						      "4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm", m,
						      sizeof(m)),
			 -EMSGSIZE);
	memset(bad, 'A', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	assert_int_equal(cascade_srtp_key_from_base64(cm, bad, m, sizeof(m)), -EMSGSIZE);
	assert_int_equal(cascade_srtp_key_from_base64(cm, "AAAA", m, sizeof(m)), -EMSGSIZE);
	/* arguments */
	assert_int_equal(cascade_srtp_key_from_base64(cm, NULL, m, sizeof(m)), -EINVAL);
	assert_int_equal(cascade_srtp_key_from_base64(cm, b64, m, 29), -ENOBUFS);
	assert_int_equal(cascade_srtp_key_to_base64(want, 30, b64, 40), -ENOBUFS);
	assert_int_equal(cascade_srtp_key_generate(cm, m, 29), -ENOBUFS);

	/* every error has its own message */
	assert_string_equal(cascade_srtp_strerror(-EILSEQ), "keyBase64 is not valid base64");
	assert_string_equal(cascade_srtp_strerror(-EMSGSIZE),
			    "key length does not match the crypto suite");
	assert_string_equal(cascade_srtp_strerror(-EBADMSG), "authentication failed");
	assert_string_equal(cascade_srtp_strerror(-EALREADY), "replayed or too old packet");
}

/* Generated keys are fresh each time and survive the base64 round trip. */
static void
test_key_generate(void **state)
{
	int s;

	(void)state;
	for (s = 0; s < CASCADE_SRTP_SUITE_COUNT; s++) {
		size_t len = cascade_srtp_suite_info(s)->master_bytes;
		uint8_t a[CASCADE_SRTP_MASTER_MAX_BYTES], b[CASCADE_SRTP_MASTER_MAX_BYTES];
		char b64[CASCADE_SRTP_KEY_BASE64_MAX + 1];

		assert_int_equal(cascade_srtp_key_generate(s, a, sizeof(a)), 0);
		assert_int_equal(cascade_srtp_key_generate(s, b, sizeof(b)), 0);
		assert_memory_not_equal(a, b, len);
		assert_true(cascade_srtp_key_to_base64(a, len, b64, sizeof(b64)) > 0);
		assert_int_equal(cascade_srtp_key_from_base64(s, b64, b, sizeof(b)), (int)len);
		assert_memory_equal(a, b, len);
	}
}

int
main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend),
		cmocka_unit_test(test_suite_names_and_sizes),
		cmocka_unit_test(test_round_trip_all_suites),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_wrong_key_and_errors),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_key_generate),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
