/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for Cascade's SRTP wrapper (srtp/cascade_srtp.c) over the
 * OpenSSL build of libsrtp2.
 *
 * Known answers come in two steps, because libsrtp2 (so the wrapper) takes
 * only master keys while RFC 7714's packet vectors start from session keys:
 * 1. srtp_ref.c, a reference written from the RFCs over OpenSSL primitives, is
 *    pinned to the published vectors: RFC 3711 B.2 (AES-CM keystream), B.3
 *    (key derivation), RFC 6188 §7.2 (AES-256 key derivation) and RFC 7714
 *    §16/§17 (AEAD_AES_128_GCM / AEAD_AES_256_GCM SRTP and SRTCP packets).
 * 2. Packets protected through the wrapper must equal the reference's output
 *    for the same master key, for all four suites, RTP and RTCP; for
 *    AES_CM_128_HMAC_SHA1_80 also libsrtp2's published packet vector made with
 *    the RFC 3711 B.3 master key (test/srtp_driver.c, srtp_validate()).
 * Then: round trips, tampering, replay, wrong keys, bad base64 and sizes.
 *
 * The RFC 7714 vectors were copied from public test suites that quote the RFC
 * (pion/srtp's RFC 7714 §16/§17 table, matching other independent copies), not
 * from the RFC text itself.
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

#include "cascade_srtp.h"
#include "srtp_ref.h"

#define BUF 2048

/* ---- Helpers ---- */

/* Parse hex (whitespace ignored) into out; fails the test on a bad digit or overflow. */
static size_t
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

static void
assert_hex_equal(const uint8_t *got, size_t got_len, const char *want_hex)
{
	uint8_t want[BUF];
	size_t n = unhex(want_hex, want, sizeof(want));

	assert_int_equal(got_len, n);
	assert_memory_equal(got, want, n);
}

/* The test's own view of each suite, for the reference (not the wrapper's table). */
struct suite_ref {
	bool aead;
	size_t key_len, salt_len, rtp_tag, rtcp_tag;
};

static const struct suite_ref suite_refs[CASCADE_SRTP_SUITE_COUNT] = {
	[CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80] = {false, 16, 14, 10, 10},
	[CASCADE_SRTP_AES_CM_128_HMAC_SHA1_32] = {false, 16, 14, 4, 10},
	[CASCADE_SRTP_AEAD_AES_128_GCM] = {true, 16, 12, 16, 16},
	[CASCADE_SRTP_AEAD_AES_256_GCM] = {true, 32, 12, 16, 16},
};

static void
ref_keys_for(struct ref_keys *k, enum cascade_srtp_suite s, const uint8_t *master, bool rtcp)
{
	const struct suite_ref *r = &suite_refs[s];

	ref_session_keys(k, r->aead, r->key_len, r->salt_len, rtcp ? r->rtcp_tag : r->rtp_tag,
			 master, rtcp);
}

static struct cascade_srtp *
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

/*
 * true when this libsrtp2 build has suite s. When it has not (GCM in an
 * internal-crypto build, allowed only with -Dsrtp_allow_slow), creating a
 * session must fail with ENOTSUP, which is checked here.
 */
static bool
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

/* An RTP packet: V=2, given CSRC count and (if ext_words) a one-byte-header extension. */
static size_t
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

/* An RTCP sender report with a few report bytes. */
static size_t
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

/* RFC 3711 B.3's master key and salt, as one AES_CM master. */
static const char b3_master_hex[] = "E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6";

/* RFC 7714 §16/§17: session key and salt ("Quid pro quo"), and the packets they protect. */
static const char rfc7714_key128[] = "000102030405060708090a0b0c0d0e0f";
static const char rfc7714_key256[] = "000102030405060708090a0b0c0d0e0f"
				     "101112131415161718191a1b1c1d1e1f";
static const char rfc7714_salt[] = "517569642070726f2071756f";
/* RTP header 8040f17b 8041f8d3 5501a0b2 (SSRC 0x5501a0b2, seq 0xf17b, ROC 0), payload
 * "Gallia est omnis divisa in partes tres" */
static const char rfc7714_rtp[] = "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f"
				  "6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573";
/* RTCP SR from SSRC "Mars", SRTCP index 0x5d4 */
static const char rfc7714_rtcp[] = "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
				   "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef";

/* ---- 1. The reference against the RFCs ---- */

/* RFC 3711 B.2: the AES-CM keystream of session key 2B7E... with the shifted salt F0F1...FCFD. */
static void
test_ref_rfc3711_b2_keystream(void **state)
{
	uint8_t key[16], iv[16];
	size_t n = 65282 * 16; /* the appendix's keystream segment */
	uint8_t *ks = malloc(n);

	(void)state;
	assert_non_null(ks);
	unhex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof(key));
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv, sizeof(iv));
	ref_aes_ctr(key, 16, iv, NULL, ks, n);
	assert_hex_equal(ks, 48,
			 "E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB"
			 "41E95B3BB0A2E8DD477901E4FCA894C0");
	assert_hex_equal(ks + 0xfeff * 16, 48,
			 "EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE"
			 "6A2CC3787889374FBEB4C81B17BA6C44");
	free(ks);
}

/* RFC 3711 B.3: cipher key, cipher salt and the 94-octet auth key from the master key. */
static void
test_ref_rfc3711_b3_kdf(void **state)
{
	uint8_t m[30], out[94];

	(void)state;
	unhex(b3_master_hex, m, sizeof(m));
	ref_kdf(m, 16, m + 16, 14, 0x00, out, 16);
	assert_hex_equal(out, 16, "C61E7A93744F39EE10734AFE3FF7A087");
	ref_kdf(m, 16, m + 16, 14, 0x02, out, 14);
	assert_hex_equal(out, 14, "30CBBC08863D8C85D49DB34A9AE1");
	ref_kdf(m, 16, m + 16, 14, 0x01, out, 94);
	assert_hex_equal(out, 94,
			 "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE"
			 "E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25"
			 "6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2");
}

/* RFC 6188 §7.2: the AES_256_CM_PRF key derivation. */
static void
test_ref_rfc6188_kdf(void **state)
{
	uint8_t key[32], salt[14], out[32];

	(void)state;
	unhex("f0f04914b513f2763a1b1fa130f10e29 98f6f6e43e4309d1e622a0e332b9f1b6", key,
	      sizeof(key));
	unhex("3b04803de51ee7c96423ab5b78d2", salt, sizeof(salt));
	ref_kdf(key, 32, salt, 14, 0x00, out, 32);
	assert_hex_equal(out, 32,
			 "5ba1064e30ec51613cad926c5a28ef73 1ec7fb397f70a960653caf06554cd8c4");
	ref_kdf(key, 32, salt, 14, 0x02, out, 14);
	assert_hex_equal(out, 14, "fa31791685ca444a9e07c6c64e93");
	ref_kdf(key, 32, salt, 14, 0x01, out, 20);
	assert_hex_equal(out, 20, "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05");
}

static void
rfc7714_keys(struct ref_keys *k, const char *key_hex)
{
	memset(k, 0, sizeof(*k));
	k->aead = true;
	k->enc_len = unhex(key_hex, k->enc, sizeof(k->enc));
	k->salt_len = unhex(rfc7714_salt, k->salt, sizeof(k->salt));
	k->tag_len = 16;
}

/* RFC 7714 §16.1.1 / §17.1.1: SRTP AEAD_AES_128_GCM and AEAD_AES_256_GCM encryption. */
static void
test_ref_rfc7714_srtp(void **state)
{
	uint8_t pkt[BUF], out[BUF];
	struct ref_keys k;
	size_t n = unhex(rfc7714_rtp, pkt, sizeof(pkt));

	(void)state;
	rfc7714_keys(&k, rfc7714_key128);
	assert_hex_equal(out, ref_srtp_protect(&k, pkt, n, 0, out),
			 "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca"
			 "be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1"
			 "6a9152cf 765ee439 0cce");
	rfc7714_keys(&k, rfc7714_key256);
	assert_hex_equal(out, ref_srtp_protect(&k, pkt, n, 0, out),
			 "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa"
			 "b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff"
			 "d6b0f9bb 7878d7a7 6c13");
}

/* RFC 7714 §16.2.1 / §17.2.1: SRTCP AEAD_AES_128_GCM and AEAD_AES_256_GCM encryption. */
static void
test_ref_rfc7714_srtcp(void **state)
{
	uint8_t pkt[BUF], out[BUF];
	struct ref_keys k;
	size_t n = unhex(rfc7714_rtcp, pkt, sizeof(pkt));

	(void)state;
	rfc7714_keys(&k, rfc7714_key128);
	assert_hex_equal(out, ref_srtcp_protect(&k, pkt, n, 0x5d4, out),
			 "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7"
			 "6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458"
			 "96cf4d2f c5abf872 45d9eade 800005d4");
	rfc7714_keys(&k, rfc7714_key256);
	assert_hex_equal(out, ref_srtcp_protect(&k, pkt, n, 0x5d4, out),
			 "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d"
			 "bffe0a50 a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c"
			 "4446839f 57ff6f6c b26ac3be 800005d4");
}

/* ---- 2. The wrapper against published packets and the reference ---- */

/*
 * libsrtp2's published vector (srtp_validate()): AES_CM_128_HMAC_SHA1_80 with
 * the RFC 3711 B.3 master key, SSRC 0xcafebabe; the reference agrees.
 */
static void
test_kat_b3_master_published(void **state)
{
	uint8_t m[30], pkt[BUF], rtcp[BUF], ref[BUF];
	struct cascade_srtp *tx;
	struct ref_keys k;
	size_t n, rn;

	(void)state;
	unhex(b3_master_hex, m, sizeof(m));
	tx = session(CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80, CASCADE_SRTP_OUTBOUND, false, 0xcafebabe,
		     m);
	n = unhex("800f1234 decafbad cafebabe abababab abababab abababab abababab", pkt,
		  sizeof(pkt));
	ref_keys_for(&k, CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80, m, false);
	rn = ref_srtp_protect(&k, pkt, n, 0, ref);
	assert_int_equal(cascade_srtp_protect_rtp(tx, pkt, &n, sizeof(pkt)), 0);
	assert_hex_equal(pkt, n,
			 "800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402"
			 "b78d6acc 99ea179b 8dbb");
	assert_int_equal(n, rn);
	assert_memory_equal(pkt, ref, n);

	n = unhex("81c8000b cafebabe abababab abababab abababab abababab", rtcp, sizeof(rtcp));
	ref_keys_for(&k, CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80, m, true);
	rn = ref_srtcp_protect(&k, rtcp, n, 1, ref);
	assert_int_equal(cascade_srtp_protect_rtcp(tx, rtcp, &n, sizeof(rtcp)), 0);
	assert_hex_equal(rtcp, n,
			 "81c8000b cafebabe 7128035b e487b9bd bef89041 f977a5a8 80000001"
			 "993e08cd 54d6c123 0798");
	assert_int_equal(n, rn);
	assert_memory_equal(rtcp, ref, n);
	cascade_srtp_destroy(tx);
}

/*
 * Every suite, RTP and RTCP: the wrapper's output equals the reference's for the
 * same master key, over packets with and without CSRCs and extensions and across
 * a sequence number wrap (ROC 0 → 1); an inbound session takes it back.
 */
static void
kat_suite(enum cascade_srtp_suite s, const uint8_t *master)
{
	const struct cascade_srtp_suite_info *si = cascade_srtp_suite_info(s);
	struct cascade_srtp *tx = session(s, CASCADE_SRTP_OUTBOUND, false, 0x5501a0b2, master);
	struct cascade_srtp *rx = session(s, CASCADE_SRTP_INBOUND, true, 0, master);
	struct ref_keys krtp, krtcp;
	static const struct {
		uint16_t seq;
		uint32_t roc;
		unsigned int cc, ext;
		size_t payload;
	} pk[] = {
		{0xfffd, 0, 0, 0, 38}, {0xfffe, 0, 2, 0, 200}, {0xffff, 0, 0, 3, 1200},
		{0x0000, 1, 15, 2, 0}, {0x0001, 1, 1, 1, 1},
	};
	uint8_t pkt[BUF], plain[BUF], ref[BUF];
	size_t i, n, plain_len, rn;

	ref_keys_for(&krtp, s, master, false);
	ref_keys_for(&krtcp, s, master, true);
	for (i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		plain_len =
			make_rtp(plain, pk[i].seq, 0x5501a0b2, pk[i].cc, pk[i].ext, pk[i].payload);
		memcpy(pkt, plain, plain_len);
		n = plain_len;
		rn = ref_srtp_protect(&krtp, plain, plain_len, pk[i].roc, ref);
		assert_int_equal(cascade_srtp_protect_rtp(tx, pkt, &n, sizeof(pkt)), 0);
		assert_int_equal(n, plain_len + si->rtp_trailer_bytes);
		assert_int_equal(n, rn);
		assert_memory_equal(pkt, ref, n);
		assert_int_equal(cascade_srtp_unprotect_rtp(rx, pkt, &n), 0);
		assert_int_equal(n, plain_len);
		assert_memory_equal(pkt, plain, n);
	}
	for (i = 1; i <= 3; i++) {
		plain_len = make_rtcp(plain, 0x5501a0b2, 20 * i);
		memcpy(pkt, plain, plain_len);
		n = plain_len;
		/* libsrtp2 counts SRTCP indices from 1 */
		rn = ref_srtcp_protect(&krtcp, plain, plain_len, (uint32_t)i, ref);
		assert_int_equal(cascade_srtp_protect_rtcp(tx, pkt, &n, sizeof(pkt)), 0);
		assert_int_equal(n, plain_len + si->rtcp_trailer_bytes);
		assert_int_equal(n, rn);
		assert_memory_equal(pkt, ref, n);
		assert_int_equal(cascade_srtp_unprotect_rtcp(rx, pkt, &n), 0);
		assert_int_equal(n, plain_len);
		assert_memory_equal(pkt, plain, n);
	}
	cascade_srtp_destroy(tx);
	cascade_srtp_destroy(rx);
}

static void
test_kat_aes_cm_suites(void **state)
{
	uint8_t m[30];

	(void)state;
	unhex(b3_master_hex, m, sizeof(m));
	kat_suite(CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80, m);
	kat_suite(CASCADE_SRTP_AES_CM_128_HMAC_SHA1_32, m);
}

/*
 * The AEAD suites with RFC 7714's key and salt used as the master key and
 * salt, and RFC 7714's own packets: through the wrapper, the key derivation
 * comes first, so the expected output is the reference's, not the RFC's.
 */
static void
test_kat_aead_suites(void **state)
{
	uint8_t m[CASCADE_SRTP_MASTER_MAX_BYTES], pkt[BUF], plain[BUF], ref[BUF];
	enum cascade_srtp_suite s[2] = {CASCADE_SRTP_AEAD_AES_128_GCM,
					CASCADE_SRTP_AEAD_AES_256_GCM};
	const char *key[2] = {rfc7714_key128, rfc7714_key256};
	struct ref_keys k;
	size_t n, len, plain_len;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct cascade_srtp *tx, *rx;

		if (!usable(s[i]))
			continue;
		len = unhex(key[i], m, sizeof(m));
		len += unhex(rfc7714_salt, m + len, sizeof(m) - len);
		assert_int_equal(len, cascade_srtp_suite_info(s[i])->master_bytes);
		tx = session(s[i], CASCADE_SRTP_OUTBOUND, true, 0, m);
		rx = session(s[i], CASCADE_SRTP_INBOUND, true, 0, m);

		plain_len = unhex(rfc7714_rtp, plain, sizeof(plain));
		memcpy(pkt, plain, plain_len);
		n = plain_len;
		ref_keys_for(&k, s[i], m, false);
		assert_int_equal(cascade_srtp_protect_rtp(tx, pkt, &n, sizeof(pkt)), 0);
		assert_int_equal(n, ref_srtp_protect(&k, plain, plain_len, 0, ref));
		assert_memory_equal(pkt, ref, n);
		assert_int_equal(cascade_srtp_unprotect_rtp(rx, pkt, &n), 0);
		assert_int_equal(n, plain_len);
		assert_memory_equal(pkt, plain, n);

		plain_len = unhex(rfc7714_rtcp, plain, sizeof(plain));
		memcpy(pkt, plain, plain_len);
		n = plain_len;
		ref_keys_for(&k, s[i], m, true);
		assert_int_equal(cascade_srtp_protect_rtcp(tx, pkt, &n, sizeof(pkt)), 0);
		assert_int_equal(n, ref_srtcp_protect(&k, plain, plain_len, 1, ref));
		assert_memory_equal(pkt, ref, n);
		assert_int_equal(cascade_srtp_unprotect_rtcp(rx, pkt, &n), 0);
		assert_int_equal(n, plain_len);
		assert_memory_equal(pkt, plain, n);
		cascade_srtp_destroy(tx);
		cascade_srtp_destroy(rx);
	}
	/* and the full reference chain for the AEAD suites with a generated key */
	for (i = 0; i < 2; i++) {
		if (!usable(s[i]))
			continue;
		assert_int_equal(cascade_srtp_key_generate(s[i], m, sizeof(m)), 0);
		kat_suite(s[i], m);
	}
}

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
		cmocka_unit_test(test_ref_rfc3711_b2_keystream),
		cmocka_unit_test(test_ref_rfc3711_b3_kdf),
		cmocka_unit_test(test_ref_rfc6188_kdf),
		cmocka_unit_test(test_ref_rfc7714_srtp),
		cmocka_unit_test(test_ref_rfc7714_srtcp),
		cmocka_unit_test(test_backend),
		cmocka_unit_test(test_kat_b3_master_published),
		cmocka_unit_test(test_kat_aes_cm_suites),
		cmocka_unit_test(test_kat_aead_suites),
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
