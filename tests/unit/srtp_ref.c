/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reference SRTP/SRTCP for test_srtp (see srtp_ref.h). Straight from the RFC
 * text, byte by byte, with no attempt at speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "srtp_ref.h"

static void
die(const char *what)
{
	fprintf(stderr, "srtp_ref: OpenSSL failed in %s\n", what);
	abort();
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
ref_aes_ctr(const uint8_t *key, size_t key_len, const uint8_t iv[16], const uint8_t *in,
	    uint8_t *out, size_t len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t *zeros = NULL;
	int n;

	if (c == NULL)
		die("EVP_CIPHER_CTX_new");
	if (in == NULL) {
		zeros = calloc(1, len + 1);
		if (zeros == NULL)
			die("calloc");
		in = zeros;
	}
	if (EVP_EncryptInit_ex(c, key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(), NULL, key,
			       iv) != 1 ||
	    EVP_EncryptUpdate(c, out, &n, in, (int)len) != 1 || (size_t)n != len)
		die("AES-CTR");
	EVP_CIPHER_CTX_free(c);
	free(zeros);
}

void
ref_kdf(const uint8_t *master_key, size_t key_len, const uint8_t *master_salt, size_t salt_len,
	uint8_t label, uint8_t *out, size_t out_len)
{
	uint8_t iv[16] = {0};

	/*
	 * RFC 3711 §4.3.1: x = key_id XOR master_salt, key_id = label || r with
	 * r = index DIV kdr = 0 (48 bits); the label sits 7 octets from the
	 * right of the 14-octet x. §4.3.3: the PRF input is x * 2^16.
	 */
	memcpy(iv, master_salt, salt_len);
	iv[7] ^= label;
	ref_aes_ctr(master_key, key_len, iv, NULL, out, out_len);
}

void
ref_session_keys(struct ref_keys *k, bool aead, size_t key_len, size_t salt_len, size_t tag_len,
		 const uint8_t *master, bool rtcp)
{
	uint8_t base = rtcp ? 3 : 0; /* RFC 3711 §4.3.2: SRTCP labels are 0x03..0x05 */

	memset(k, 0, sizeof(*k));
	k->aead = aead;
	k->enc_len = key_len;
	k->salt_len = salt_len;
	k->tag_len = tag_len;
	ref_kdf(master, key_len, master + key_len, salt_len, base, k->enc, key_len);
	ref_kdf(master, key_len, master + key_len, salt_len, base + 2, k->salt, salt_len);
	if (!aead)
		ref_kdf(master, key_len, master + key_len, salt_len, base + 1, k->auth,
			sizeof(k->auth));
}

/* RFC 3550 §5.1 (and §5.3.1): fixed header, CSRCs, then the extension if X. */
static size_t
rtp_header_len(const uint8_t *pkt)
{
	size_t n = 12 + 4 * (size_t)(pkt[0] & 0x0f);

	if (pkt[0] & 0x10)
		n += 4 + 4 * (size_t)((pkt[n + 2] << 8) | pkt[n + 3]);
	return n;
}

static void
hmac_sha1(const uint8_t *key, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	  uint8_t out[20])
{
	uint8_t *buf = malloc(alen + blen + 1);
	unsigned int n = 20;

	if (buf == NULL)
		die("malloc");
	memcpy(buf, a, alen);
	if (blen > 0)
		memcpy(buf + alen, b, blen);
	if (HMAC(EVP_sha1(), key, 20, buf, alen + blen, out, &n) == NULL || n != 20)
		die("HMAC-SHA1");
	free(buf);
}

/* AES-GCM encryption of in[0..len) with a 12-byte IV and aad; 16-byte tag to tag. */
static void
gcm_seal(const struct ref_keys *k, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
	 const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;

	if (c == NULL)
		die("EVP_CIPHER_CTX_new");
	if (EVP_EncryptInit_ex(c, k->enc_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(), NULL,
			       NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, k->enc, iv) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) != 1 ||
	    EVP_EncryptUpdate(c, out, &n, in, (int)len) != 1 || (size_t)n != len ||
	    EVP_EncryptFinal_ex(c, out + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, (int)k->tag_len, tag) != 1)
		die("AES-GCM");
	EVP_CIPHER_CTX_free(c);
}

size_t
ref_srtp_protect(const struct ref_keys *k, const uint8_t *pkt, size_t len, uint32_t roc,
		 uint8_t *out)
{
	size_t hl = rtp_header_len(pkt);
	uint32_t ssrc = be32(pkt + 8);
	uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	uint8_t iv[16] = {0}, tag[20], rocb[4];
	int i;

	memcpy(out, pkt, hl);
	if (k->aead) {
		/* RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; AAD = header */
		put_be32(iv + 2, ssrc);
		put_be32(iv + 6, roc);
		iv[10] = (uint8_t)(seq >> 8);
		iv[11] = (uint8_t)seq;
		for (i = 0; i < 12; i++)
			iv[i] ^= k->salt[i];
		gcm_seal(k, iv, pkt, hl, pkt + hl, len - hl, out + hl, out + len);
		return len + k->tag_len;
	}
	/* RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = 2^16 * ROC + SEQ */
	memcpy(iv, k->salt, 14);
	for (i = 0; i < 4; i++)
		iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
	for (i = 0; i < 4; i++)
		iv[8 + i] ^= (uint8_t)(roc >> (24 - 8 * i));
	iv[12] ^= (uint8_t)(seq >> 8);
	iv[13] ^= (uint8_t)seq;
	ref_aes_ctr(k->enc, k->enc_len, iv, pkt + hl, out + hl, len - hl);
	/* RFC 3711 §4.2: the tag covers the authenticated portion || ROC */
	put_be32(rocb, roc);
	hmac_sha1(k->auth, out, len, rocb, 4, tag);
	memcpy(out + len, tag, k->tag_len);
	return len + k->tag_len;
}

size_t
ref_srtcp_protect(const struct ref_keys *k, const uint8_t *pkt, size_t len, uint32_t index,
		  uint8_t *out)
{
	uint32_t ssrc = be32(pkt + 4), e_index = 0x80000000u | index;
	uint8_t iv[16] = {0}, tag[20], trailer[4], aad[12];
	int i;

	memcpy(out, pkt, 8);
	put_be32(trailer, e_index);
	if (k->aead) {
		/*
		 * RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || 0 || index) XOR
		 * salt; AAD = the first 8 octets || E flag || index; the tag
		 * comes before the E|index trailer.
		 */
		put_be32(iv + 2, ssrc);
		put_be32(iv + 8, index);
		for (i = 0; i < 12; i++)
			iv[i] ^= k->salt[i];
		memcpy(aad, pkt, 8);
		memcpy(aad + 8, trailer, 4);
		gcm_seal(k, iv, aad, sizeof(aad), pkt + 8, len - 8, out + 8, out + len);
		memcpy(out + len + k->tag_len, trailer, 4);
		return len + k->tag_len + 4;
	}
	/* RFC 3711 §4.1.1 with the SRTCP index as i; §3.4: E|index, then the tag over all of it */
	memcpy(iv, k->salt, 14);
	for (i = 0; i < 4; i++)
		iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
	for (i = 0; i < 4; i++)
		iv[10 + i] ^= (uint8_t)(index >> (24 - 8 * i));
	ref_aes_ctr(k->enc, k->enc_len, iv, pkt + 8, out + 8, len - 8);
	memcpy(out + len, trailer, 4);
	hmac_sha1(k->auth, out, len + 4, NULL, 0, tag);
	memcpy(out + len + 4, tag, k->tag_len);
	return len + 4 + k->tag_len;
}
