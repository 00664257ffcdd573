/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the SRTP unit tests (test_srtp_kat.c, test_srtp.c) share: hex, the
 * tests' own table of the suites, sessions through the wrapper, and RTP and
 * RTCP packets to protect.
 */
#ifndef SRTP_UTIL_H
#define SRTP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cascade_srtp.h"
#include "srtp_ref.h"

#define BUF 2048

/* The test's own view of each suite, for the reference (not the wrapper's table). */
struct suite_ref {
	bool aead;
	size_t key_len, salt_len, rtp_tag, rtcp_tag;
};
extern const struct suite_ref suite_refs[CASCADE_SRTP_SUITE_COUNT];
/* RFC 3711 B.3's master key and salt, as one AES_CM master. */
extern const char b3_master_hex[];

/* Parse hex (whitespace ignored) into out; fails the test on a bad digit or overflow. */
size_t unhex(const char *s, uint8_t *out, size_t cap);
/* got[0..got_len) is the bytes of want_hex. */
void assert_hex_equal(const uint8_t *got, size_t got_len, const char *want_hex);
/* The reference's session keys of suite s from master (for RTCP when rtcp). */
void ref_keys_for(struct ref_keys *k, enum cascade_srtp_suite s, const uint8_t *master, bool rtcp);
/* A session through the wrapper; fails the test when it cannot be made. */
struct cascade_srtp *session(enum cascade_srtp_suite s, enum cascade_srtp_dir dir, bool any,
			     uint32_t ssrc, const uint8_t *master);
/*
 * true when this libsrtp2 build has suite s. When it has not (GCM in an
 * internal-crypto build, allowed only with -Dsrtp_allow_slow), creating a
 * session must fail with ENOTSUP, which is checked here.
 */
bool usable(enum cascade_srtp_suite s);
/* An RTP packet: V=2, given CSRC count and (if ext_words) a one-byte-header extension. */
size_t make_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, unsigned int cc, unsigned int ext_words,
		size_t payload);
/* An RTCP sender report with a few report bytes. */
size_t make_rtcp(uint8_t *p, uint32_t ssrc, size_t body);

#endif /* SRTP_UTIL_H */
