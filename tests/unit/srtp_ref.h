/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A reference SRTP/SRTCP transform for test_srtp, written from the RFCs over
 * OpenSSL's AES-CTR, AES-GCM and HMAC-SHA1 and sharing no code with libsrtp2:
 * the RFC 3711 §4.3 key derivation (AES-128 or, RFC 6188 §7, AES-256 PRF),
 * RFC 3711 §4.1/§4.2 AES-CM + HMAC-SHA1 and RFC 7714 §8/§9 AEAD AES-GCM. The
 * test pins it to the RFCs' vectors, then holds Cascade's wrapper to it.
 * Key derivation rate 0, no MKI. Test-only: aborts on an OpenSSL failure.
 */
#ifndef SRTP_REF_H
#define SRTP_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One direction's session keys (SRTP or SRTCP) of one suite. */
struct ref_keys {
	bool aead;        /* AES-GCM (RFC 7714) rather than AES-CM + HMAC-SHA1 */
	uint8_t enc[32];  /* session encryption key */
	size_t enc_len;   /* 16 or 32 */
	uint8_t salt[14]; /* session salt: 14 bytes for AES-CM, 12 for AES-GCM */
	size_t salt_len;
	uint8_t auth[20]; /* session authentication key (AES-CM only) */
	size_t tag_len;   /* authentication tag bytes */
};

/* out = AES-CTR(key, iv) applied to in (key_len 16 or 32); in may be NULL for keystream. */
void ref_aes_ctr(const uint8_t *key, size_t key_len, const uint8_t iv[16], const uint8_t *in,
		 uint8_t *out, size_t len);

/*
 * RFC 3711 §4.3.1/§4.3.3 key derivation with kdr 0: out_len bytes for label
 * from the master key (16 or 32 bytes: the AES-128 or AES-256 PRF) and the
 * master salt (14 bytes; a 12-byte AEAD salt is extended with zeros on the
 * right, as libsrtp2 and other implementations do for RFC 7714 §11).
 */
void ref_kdf(const uint8_t *master_key, size_t key_len, const uint8_t *master_salt, size_t salt_len,
	     uint8_t label, uint8_t *out, size_t out_len);

/*
 * Session keys derived from master (key then salt) for SRTP (rtcp false,
 * labels 0, 1, 2) or SRTCP (rtcp true, labels 3, 4, 5).
 */
void ref_session_keys(struct ref_keys *k, bool aead, size_t key_len, size_t salt_len,
		      size_t tag_len, const uint8_t *master, bool rtcp);

/*
 * Protect RTP packet pkt[0..len) with rollover counter roc into out (room for
 * len + tag_len). Returns the protected length.
 */
size_t ref_srtp_protect(const struct ref_keys *k, const uint8_t *pkt, size_t len, uint32_t roc,
			uint8_t *out);

/*
 * Protect RTCP packet pkt[0..len) as SRTCP with index (31 bits, E flag set)
 * into out (room for len + 4 + tag_len). Returns the protected length.
 */
size_t ref_srtcp_protect(const struct ref_keys *k, const uint8_t *pkt, size_t len, uint32_t index,
			 uint8_t *out);

#endif /* SRTP_REF_H */
