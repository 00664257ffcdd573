/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the SRTP unit tests share (srtp_util.h).
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

const char b3_master_hex[] = "E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6";

size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		int v = 0;

		if (*s == ' ' || *s == '\n' || *s == '\t')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			fail_msg("bad hex digit '%c'", *s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

void
assert_hex_equal(const uint8_t *got, size_t got_len, const char *want_hex)
{
	uint8_t want[BUF];
	size_t n = unhex(want_hex, want, sizeof(want));

	assert_int_equal(got_len, n);
	assert_memory_equal(got, want, n);
}

const struct suite_ref suite_refs[CASCADE_SRTP_SUITE_COUNT] = {
	[CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80] = {false, 16, 14, 10, 10},
	[CASCADE_SRTP_AES_CM_128_HMAC_SHA1_32] = {false, 16, 14, 4, 10},
	[CASCADE_SRTP_AEAD_AES_128_GCM] = {true, 16, 12, 16, 16},
	[CASCADE_SRTP_AEAD_AES_256_GCM] = {true, 32, 12, 16, 16},
};

void
ref_keys_for(struct ref_keys *k, enum cascade_srtp_suite s, const uint8_t *master, bool rtcp)
{
	const struct suite_ref *r = &suite_refs[s];

	ref_session_keys(k, r->aead, r->key_len, r->salt_len, rtcp ? r->rtcp_tag : r->rtp_tag,
			 master, rtcp);
}

struct cascade_srtp *
session(enum cascade_srtp_suite s, enum cascade_srtp_dir dir, bool any, uint32_t ssrc,
	const uint8_t *master)
{
	struct cascade_srtp_conf c = {
		.suite = s,
		.dir = dir,
		.any_ssrc = any,
		.ssrc = ssrc,
		.master = master,
		.master_len = cascade_srtp_suite_info(s)->master_bytes,
	};
	struct cascade_srtp *sess = cascade_srtp_create(&c);

	if (sess == NULL)
		fail_msg("cascade_srtp_create(%s): %s", cascade_srtp_suite_info(s)->name,
			 strerror(errno));
	return sess;
}

bool
usable(enum cascade_srtp_suite s)
{
	uint8_t m[CASCADE_SRTP_MASTER_MAX_BYTES] = {0};
	struct cascade_srtp_conf c = {
		.suite = s,
		.dir = CASCADE_SRTP_OUTBOUND,
		.any_ssrc = true,
		.master = m,
		.master_len = cascade_srtp_suite_info(s)->master_bytes,
	};

	if (cascade_srtp_suite_is_supported(s))
		return true;
	assert_int_not_equal(cascade_srtp_backend(), CASCADE_SRTP_BACKEND_OPENSSL);
	errno = 0;
	assert_null(cascade_srtp_create(&c));
	assert_int_equal(errno, ENOTSUP);
	return false;
}

size_t
make_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, unsigned int cc, unsigned int ext_words,
	 size_t payload)
{
	size_t n = 12, i;

	p[0] = (uint8_t)(0x80 | (ext_words ? 0x10 : 0) | cc);
	p[1] = 96;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = 0x12;
	p[5] = 0x34;
	p[6] = (uint8_t)(seq >> 4);
	p[7] = (uint8_t)seq;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (i = 0; i < 4 * cc; i++)
		p[n++] = (uint8_t)(0xc0 + i);
	if (ext_words) {
		p[n++] = 0xbe;
		p[n++] = 0xde;
		p[n++] = 0;
		p[n++] = (uint8_t)ext_words;
		for (i = 0; i < 4 * ext_words; i++)
			p[n++] = (uint8_t)(0x10 + i);
	}
	for (i = 0; i < payload; i++)
		p[n++] = (uint8_t)(i * 7 + seq);
	return n;
}

size_t
make_rtcp(uint8_t *p, uint32_t ssrc, size_t body)
{
	size_t i, n = 8 + body;

	p[0] = 0x80;
	p[1] = 200;
	p[2] = (uint8_t)((n / 4 - 1) >> 8);
	p[3] = (uint8_t)(n / 4 - 1);
	p[4] = (uint8_t)(ssrc >> 24);
	p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8);
	p[7] = (uint8_t)ssrc;
	for (i = 0; i < body; i++)
		p[8 + i] = (uint8_t)(i * 13 + 1);
	return n;
}
