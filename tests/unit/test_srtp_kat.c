/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Known-answer tests for Cascade's SRTP wrapper (srtp/cascade_srtp.c) over
 * the OpenSSL build of libsrtp2.
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
 * test_srtp.c has the behaviour: round trips, tampering, replay, wrong keys,
 * bad base64 and sizes.
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

#include "srtp_util.h"

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
		cmocka_unit_test(test_kat_b3_master_published),
		cmocka_unit_test(test_kat_aes_cm_suites),
		cmocka_unit_test(test_kat_aead_suites),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
